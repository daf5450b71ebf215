import { describe, expect, it } from 'vitest';
import { findPolicyThresholds, parseAmount } from '../../../src/workers/compliance/policy-thresholds.js';

const thresholdsIn = (text: string) => findPolicyThresholds([{ text, citation: null }]).map((t) => [t.amount, t.currency, t.kind, t.inclusive]);

describe('parseAmount', () => {
  it.each([
    ['100,000', '', 100_000],
    ['10.000', '', 10_000],
    ['50 000', '', 50_000],
    ["1'000'000", '', 1_000_000],
    ['1’000’000', '', 1_000_000],
    ['10.000,50', '', 10_000.5],
    ['10,000.50', '', 10_000.5],
    ['2.5', '', 2.5],
    ['1,5', ' Mio', 1_500_000],
    ['5', ' million', 5_000_000],
    ['2.5', 'm', 2_500_000],
    ['25', 'k', 25_000],
    ['1.2', 'bn', 1_200_000_000],
  ])('reads %j%s as %d', (digits, multiplier, value) => {
    expect(parseAmount(digits, multiplier)).toBe(value);
  });
});

describe('findPolicyThresholds', () => {
  it.each([
    ['Any single payment above USD 100,000 requires dual approval.', [100_000, 'USD', 'single', false]],
    ['Transactions over EUR 10.000 must be reviewed by compliance.', [10_000, 'EUR', 'single', false]],
    ['Payments exceeding €250,000 require board approval.', [250_000, 'EUR', 'single', false]],
    ['Transfers of more than 50 000 GBP must be reported to the MLRO.', [50_000, 'GBP', 'single', false]],
    ["Amounts greater than or equal to CHF 1'000'000 are subject to enhanced due diligence.", [1_000_000, 'CHF', 'single', true]],
    ['Wire transfers in excess of US$ 5 million must be approved by the CFO.', [5_000_000, 'USD', 'single', false]],
    ['Cumulative payments to one counterparty above EUR 500,000 per month require escalation.', [500_000, 'EUR', 'aggregate', false]],
    ['Payments of EUR 15,000 or more must be reported.', [15_000, 'EUR', 'single', true]],
    ['Cash deposits of at least 10,000 euros are reported to the FIU.', [10_000, 'EUR', 'single', true]],
    ['Section 4.2: payments over EUR 2.5 million need approval by two directors.', [2_500_000, 'EUR', 'single', false]],
    ['Transactions between EUR 10,000 and EUR 50,000 require a second signature.', [10_000, 'EUR', 'single', true]],
    ['A transaction ≥ USD 1,000,000 must be escalated.', [1_000_000, 'USD', 'single', true]],
    ['Any remittance exceeding JPY 5,000,000 is flagged.', [5_000_000, 'JPY', 'single', false]],
    ['Invoices above $25k require purchase-order matching.', [25_000, 'USD', 'single', false]],
    ['Payments to a single beneficiary that in aggregate exceed EUR10,000.00 in any calendar month are reviewed.', [10_000, 'EUR', 'aggregate', false]],
    ['Capital transfers exceeding an aggregate value of 2 Mio. EUR are escalated.', [2_000_000, 'EUR', 'aggregate', false]],
  ])('reads %j', (text, threshold) => {
    expect(thresholdsIn(text)).toEqual([threshold]);
  });

  it('tells a single threshold from an aggregate one in the same sentence', () => {
    expect(thresholdsIn('Single payments above EUR 100k, or payments totalling more than EUR 1m within 30 days, need sign-off.')).toEqual([
      [100_000, 'EUR', 'single', false],
      [1_000_000, 'EUR', 'aggregate', false],
    ]);
  });

  it('returns each threshold with its sentence and the line citation, in line order', () => {
    const found = findPolicyThresholds([
      { text: '4.1 Scope. Payments over EUR 10,000 must be reviewed. Payments over USD 20,000 need approval.', citation: 'aml.md:12' },
      { text: 'Cumulative transfers above GBP 200,000 per quarter are escalated.', citation: 'aml.md:13' },
    ]);
    expect(found).toEqual([
      { amount: 10_000, currency: 'EUR', text: 'Payments over EUR 10,000 must be reviewed.', citation: 'aml.md:12', kind: 'single', inclusive: false },
      { amount: 20_000, currency: 'USD', text: 'Payments over USD 20,000 need approval.', citation: 'aml.md:12', kind: 'single', inclusive: false },
      { amount: 200_000, currency: 'GBP', text: 'Cumulative transfers above GBP 200,000 per quarter are escalated.', citation: 'aml.md:13', kind: 'aggregate', inclusive: false },
    ]);
  });

  it.each([
    'This policy was approved on 12 March 2026 and replaces version 3.1.',
    'See clause 7.3 on page 3 for details.',
    'Reviews must be completed within 10 days.',
    'Shareholders owning more than 25% of the shares are beneficial owners and must be identified.',
    'Fines of up to EUR 5 million may be imposed.',
    'A fine of more than EUR 1 million can be imposed for breaches.',
    'The company had a turnover of over EUR 50 million in 2025.',
    'Payments below EUR 1,000 need no approval.',
    'A fee of EUR 25 per transfer applies.',
    'More than 3 payments in 10 days to one payee must be reviewed.',
    'Our insurance covers losses above EUR 2 million.',
    'Records are kept for at least 5 years.',
    'Over 2026, 120 transactions were reviewed.',
    'Revenue exceeded EUR 2 million last year.',
  ])('finds no threshold in %j', (text) => {
    expect(thresholdsIn(text)).toEqual([]);
  });
});
