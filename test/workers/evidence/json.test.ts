import { describe, expect, it } from 'vitest';
import { parseEvidenceItem } from '../../../src/workers/evidence/index.js';
import { brief, parseFixture, payload } from './helpers.js';

const orion = { date: '2026-11-03', amount: 620000, currency: 'USD', direction: 'debit', counterparty: 'Orion Shell Holdings Ltd' };

describe('evidence: JSON of any reasonable shape', () => {
  it('reads the issue shape: `to` names the payee, documents and account are listed', async () => {
    const r = await parseFixture('issue-shape.json');
    expect(r.format).toBe('json');
    expect(r.transactions.map(brief)).toEqual([orion, { date: '2026-11-04', amount: 84.5, currency: 'EUR', direction: 'debit', counterparty: 'Stadtwerke München' }]);
    expect(r.documents).toEqual(['passport.pdf', 'proof_of_address']);
    expect(r.accounts).toEqual(['DE89370400440532013000']);
    expect(r.mapping).toMatchObject({ transactions: 'transactions', counterparty: 'to', amount: 'amount', by: 'inferred' });
  });

  it('reads a Berlin Group (PSD2) account report: nested amounts, creditor or debtor by direction', async () => {
    const r = await parseFixture('psd2-berlin-group.json');
    expect(r.accounts).toEqual(['DE89370400440532013000']);
    expect(r.mapping).toMatchObject({
      transactions: 'data.transactions', date: 'bookingDate', amount: 'transactionAmount.amount', currency: 'transactionAmount.currency',
      counterparty: 'creditorName|debtorName', counterpartyAccount: 'creditorAccount.iban|debtorAccount.iban', reference: 'endToEndId',
      description: 'remittanceInformationUnstructured',
    });
    expect(r.transactions.map(brief)).toEqual([orion, { date: '2026-11-04', amount: 1500, currency: 'EUR', direction: 'credit', counterparty: 'Harbor Freight Logistics LLC' }]);
    expect(r.transactions[0]?.counterpartyAccount).toBe('GB29NWBK60161331926819');
    expect(r.transactions[1]?.counterpartyAccount).toBe('DE44500105175407324931');
    expect(r.transactions[0]?.location).toEqual({ signalId: 'sig-1', attachment: 'psd2-berlin-group.json', locator: 'data.transactions[0]', line: null });
    expect(r.transactions[0]?.raw).toMatchObject({ 'transactionAmount.amount': '-620000.00', creditorName: 'Orion Shell Holdings Ltd' });
  });

  it('reads a top-level array with nested payee/payer objects and string amounts', async () => {
    const r = await parseFixture('top-level-array.json');
    expect(r.mapping?.transactions).toBe('(top-level array)');
    expect(r.transactions.map((t) => [t.location.locator, t.direction, t.amount, t.currency, t.counterparty])).toEqual([
      ['[0]', 'debit', 620000, 'USD', 'Orion Shell Holdings Ltd'],
      ['[1]', 'credit', 1500, 'USD', 'Harbor Freight Logistics LLC'],
    ]);
  });

  it('reads several statements, each with its own currency, and flags the rows it cannot read', async () => {
    const r = await parseFixture('statements.json');
    expect(r.accounts).toEqual(['DE89370400440532013000', 'GB29NWBK60161331926819']);
    expect(r.mapping?.transactions).toBe('statements[*].entries');
    expect(r.transactions.map((t) => [t.location.locator, t.amount, t.currency])).toEqual([
      ['statements[0].entries[0]', 620000, 'EUR'],
      ['statements[0].entries[1]', 84.5, 'EUR'],
      ['statements[1].entries[0]', 45.67, 'GBP'],
      ['statements[1].entries[1]', null, 'GBP'],
    ]);
    expect(r.transactions[3]?.problems).toEqual(['amount "12,3x" is not a number', 'counterparty is empty']);
  });

  it.each([
    ['payments', { payments: [{ date: '2026-11-03', payee: 'Orion Shell Holdings Ltd', amount: '-620,000.00', currency: 'USD' }] }],
    ['entries', { entries: [{ booking_date: '2026-11-03', beneficiary: { name: 'Orion Shell Holdings Ltd' }, amount: { value: 620000, currency: 'USD' }, direction: 'out' }] }],
    ['items', { items: [{ postedAt: '2026-11-03T09:00:00Z', recipient: 'Orion Shell Holdings Ltd', value: -620000, ccy: 'usd' }] }],
    ['data.results', { data: { results: [{ timestamp: '2026-11-03', merchant: { name: 'Orion Shell Holdings Ltd', category: 'services' }, amt: '620000', currency_code: 'USD', type: 'DEBIT' }] } }],
    ['account.transactions', { account: { iban: 'DE89370400440532013000', currency: 'USD', transactions: [{ valueDate: '03.11.2026', counterparty: { name: 'Orion Shell Holdings Ltd' }, amount: -620000 }] } }],
    ['creditDebitIndicator', { transactions: [{ bookingDate: '2026-11-03', creditor: { name: 'Orion Shell Holdings Ltd' }, debtor: { name: 'Me' }, amount: '620000', currency: 'USD', creditDebitIndicator: 'DBIT' }] }],
    ['outgoing list', { outgoing: [{ date: '2026-11-03', counterparty_name: 'Orion Shell Holdings Ltd', amount: 620000, currency: 'USD' }] }],
    ['amount in cents', { transactions: [{ created: '2026-11-03', to: 'Orion Shell Holdings Ltd', amountInCents: -62000000, currency: 'USD' }] }],
    ['German names', { umsaetze: [{ Buchungstag: '03.11.2026', Empfänger: 'Orion Shell Holdings Ltd', Betrag: '-620.000,00', Währung: 'USD' }] }],
  ])('reads the %s shape', async (_shape, body) => {
    const r = await parseEvidenceItem(payload(body));
    expect(r.unreadable).toBeNull();
    expect(r.transactions.map(brief)).toEqual([orion]);
    expect(r.transactions[0]?.id).toMatch(/^sig-1:payload:/);
  });

  it('reads Berlin Group booked and pending lists, taking the value date where no booking date is given', async () => {
    const body = {
      transactions: {
        booked: [{ bookingDate: '2026-11-03', transactionAmount: { amount: '-620000.00', currency: 'USD' }, creditorName: 'Orion Shell Holdings Ltd' }],
        pending: [{ valueDate: '2026-11-04', transactionAmount: { amount: '-5.00', currency: 'USD' }, creditorName: 'Cafe' }],
      },
      balances: [{ balanceType: 'closingBooked', balanceAmount: { amount: '10.00', currency: 'USD' }, referenceDate: '2026-11-30' }],
    };
    const r = await parseEvidenceItem(payload(body));
    expect(r.mapping?.transactions).toBe('transactions.booked, transactions.pending');
    expect(r.transactions.map((t) => [t.location.locator, t.date, t.amount])).toEqual([
      ['transactions.booked[0]', '2026-11-03', 620000],
      ['transactions.pending[0]', '2026-11-04', 5],
    ]);
    expect(r.notes).toEqual(expect.arrayContaining(['"valueDate" read as the date where "bookingDate" is empty (1 row)', 'list "balances" (1 object) not read as transactions: no amount field']));
  });

  it('reads a payload that is a single transaction', async () => {
    const r = await parseEvidenceItem(payload({ date: '2026-11-03', to: 'Orion Shell Holdings Ltd', amount: 620000, currency: 'USD' }));
    expect(r.transactions.map(brief)).toEqual([orion]);
    expect(r.transactions[0]?.location.locator).toBe('$');
  });

  it('reads a payload given as JSON text', async () => {
    const r = await parseEvidenceItem(payload(JSON.stringify({ transactions: [{ date: '2026-11-03', to: 'Orion Shell Holdings Ltd', amount: 620000, currency: 'USD' }] })));
    expect(r.transactions.map(brief)).toEqual([orion]);
  });

  it('takes a currency from the list or the top level, and says when there is none', async () => {
    const r = await parseEvidenceItem(payload({ currency: 'EUR', transactions: [{ date: '2026-11-03', to: 'A', amount: 1 }] }));
    expect(r.transactions[0]?.currency).toBe('EUR');
    const none = await parseEvidenceItem(payload({ transactions: [{ date: '2026-11-03', to: 'A', amount: 1 }] }));
    expect(none.transactions[0]).toMatchObject({ currency: null, problems: ['no currency'] });
  });

  it('keeps entries that are not objects, and objects missing fields, with their problems', async () => {
    const r = await parseEvidenceItem(payload({ transactions: [{ amount: 5, currency: 'EUR' }, 'paid Orion 620k', null, {}] }));
    expect(r.transactions.map((t) => [t.location.locator, t.problems])).toEqual([
      ['transactions[0]', ['no counterparty field', 'no date field']],
      ['transactions[1]', ['entry is not an object: "paid Orion 620k"']],
    ]);
    expect(r.notes).toEqual(expect.arrayContaining(['1 empty row skipped', '1 null entry skipped']));
  });

  it('is not unreadable when the payload holds no lists at all', async () => {
    const r = await parseEvidenceItem(payload({ documents: ['passport.pdf', { name: 'articles.pdf' }], account: 'DE89370400440532013000' }));
    expect(r).toMatchObject({ unreadable: null, transactions: [], documents: ['passport.pdf', 'articles.pdf'], accounts: ['DE89370400440532013000'] });
  });

  it('is unreadable, with the fields seen, when its lists hold no amounts', async () => {
    const r = await parseEvidenceItem(payload({ transactions: [{ when: '2026-11-03', who: 'Orion Shell Holdings Ltd', how_much: 'a lot' }] }));
    expect(r.transactions).toEqual([]);
    expect(r.unreadable).toEqual({ reason: 'no amount field in the objects of "transactions"', fieldsSeen: ['when', 'who', 'how_much'] });
  });

  it('is unreadable when the JSON attachment does not parse', async () => {
    const r = await parseEvidenceItem({ signalId: 'sig-1', kind: 'attachment', name: 'x.json', mediaType: 'application/json', content: new TextEncoder().encode('{"transactions": [') });
    expect(r.unreadable?.reason).toMatch(/^JSON could not be parsed: /);
  });
});
