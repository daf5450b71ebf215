import { describe, expect, it } from 'vitest';
import { parseEvidenceItem } from '../../../src/workers/evidence/index.js';
import { attachment, brief, fixture, parseFixture } from './helpers.js';

describe('evidence: ISO 20022 camt', () => {
  describe('a camt.053.001.02 statement', () => {
    it('reads debits and credits with the creditor for a debit and the debtor for a credit', async () => {
      const r = await parseFixture('camt053-v02.xml');
      expect(r.format).toBe('camt.053');
      expect(r.accounts).toEqual(['DE89370400440532013000']);
      expect(r.notes).toContain('camt.053.001.02');
      expect(r.mapping?.by).toBe('format');
      const [orion, refund] = r.transactions;
      expect(orion).toMatchObject({
        date: '2026-11-03', amount: 620000, currency: 'EUR', direction: 'debit', counterparty: 'Orion Shell Holdings Ltd',
        counterpartyAccount: 'GB29NWBK60161331926819', reference: 'E2E-OSH-117', description: 'Consulting fee invoice 2026-117', problems: [],
      });
      expect(refund).toMatchObject({ date: '2026-11-04', direction: 'credit', counterparty: 'Harbor Freight Logistics LLC', counterpartyAccount: '000123456789', reference: 'ASR-0002' });
    });

    it('splits a batch entry into one transaction per TxDtls with its own amount', async () => {
      const r = await parseFixture('camt053-v02.xml');
      const batch = r.transactions.filter((t) => t.location.locator.startsWith('Stmt[0].Ntry[2]'));
      expect(batch.map((t) => [t.location.locator, t.amount, t.counterparty, t.location.line])).toEqual([
        ['Stmt[0].Ntry[2].TxDtls[0]', 2000, 'Jane Doe', 75],
        ['Stmt[0].Ntry[2].TxDtls[1]', 1500, 'Blue Dune Trading FZE', 84],
      ]);
    });

    it('gives the line where each entry starts', async () => {
      const r = await parseFixture('camt053-v02.xml');
      expect(r.transactions.map((t) => t.location.line)).toEqual([21, 46, 75, 84, 95]);
      expect(r.transactions[0]?.id).toBe('sig-1:camt053-v02.xml:Stmt[0].Ntry[0]');
    });

    it('keeps an entry without related parties, saying so', async () => {
      const r = await parseFixture('camt053-v02.xml');
      const fee = r.transactions[4];
      expect(fee).toMatchObject({ amount: 12.5, direction: 'debit', counterparty: null, description: 'Account maintenance fee November' });
      expect(fee?.problems).toEqual(['no transaction details (RltdPties) in the entry']);
      expect(fee?.raw).toMatchObject({ 'Amt.#text': '12.50', 'Amt.@Ccy': 'EUR', CdtDbtInd: 'DBIT' });
    });
  });

  it('reads the Pty/Nm names of camt.053.001.08 and notes pending entries', async () => {
    const r = await parseFixture('camt053-v08.xml');
    expect(r.transactions.map(brief)).toEqual([
      { date: '2026-11-12', amount: 48250, currency: 'CHF', direction: 'debit', counterparty: 'Orion Shell Holdings Ltd' },
      { date: '2026-11-13', amount: 900, currency: 'CHF', direction: 'credit', counterparty: 'Alpine Rentals AG' },
    ]);
    expect(r.notes).toEqual(['camt.053.001.08', '1 pending (PDNG) entry included']);
  });

  it('reads a camt.052 account report, falling back to the value date', async () => {
    const r = await parseFixture('camt052.xml');
    expect(r.format).toBe('camt.052');
    expect(r.mapping?.transactions).toBe('Rpt[*].Ntry');
    expect(r.transactions.map(brief)).toEqual([{ date: '2026-11-03', amount: 99.9, currency: 'EUR', direction: 'debit', counterparty: 'Cloud Services Inc' }]);
  });

  it('reads a namespace-prefixed camt.054 notification', async () => {
    const r = await parseFixture('camt054.xml');
    expect(r.format).toBe('camt.054');
    expect(r.transactions[0]).toMatchObject({ location: { locator: 'Ntfctn[0].Ntry[0]', line: 8 }, direction: 'credit', counterparty: 'Orion Shell Holdings Ltd', reference: 'INV-2026-88' });
  });

  it('is unreadable, naming the elements, when the XML is not camt', async () => {
    const r = await parseFixture('not-camt.xml');
    expect(r.unreadable).toEqual({ reason: 'XML is not a camt.052/053/054 statement (root element <Invoice>)', fieldsSeen: ['Invoice', 'ID', 'IssueDate', 'LegalMonetaryTotal'] });
  });

  it('is unreadable when the file is cut off, rather than losing entries silently', async () => {
    const full = await parseFixture('camt053-v02.xml');
    const text = new TextDecoder().decode(fixture('camt053-v02.xml').content);
    const r = await parseEvidenceItem(attachment('cut.xml', text.slice(0, text.indexOf('<Ntry>', 2000) + 200)));
    expect(full.unreadable).toBeNull();
    expect(r.transactions).toEqual([]);
    expect(r.unreadable?.reason).toMatch(/^XML is not well-formed: the XML ends inside <\w+> \(truncated\?\)$/);
  });
});
