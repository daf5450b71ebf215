import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseEvidenceItem } from '../../../src/workers/evidence/index.js';
import { attachment, brief, parseFixture, skipped } from './helpers.js';

describe('evidence: CSV bank exports', () => {
  describe('a German export (";" delimiter, decimal comma, BOM)', () => {
    it('reads each booking with its date, signed amount, currency and party', async () => {
      const r = await parseFixture('de-girokonto.csv');
      expect(r.format).toBe('csv');
      expect(r.unreadable).toBeNull();
      expect(r.transactions.map(brief).slice(0, 3)).toEqual([
        { date: '2026-11-03', amount: 620000, currency: 'EUR', direction: 'debit', counterparty: 'Orion Shell Holdings Ltd' },
        { date: '2026-11-04', amount: 84.5, currency: 'EUR', direction: 'debit', counterparty: 'Stadtwerke München GmbH' },
        { date: '2026-11-05', amount: 1234.56, currency: 'EUR', direction: 'credit', counterparty: 'Müller & Söhne KG' },
      ]);
      expect(r.mapping).toMatchObject({ date: 'Buchungstag', amount: 'Betrag', currency: 'Währung', counterparty: 'Auftraggeber/Empfänger', description: 'Verwendungszweck', counterpartyAccount: 'IBAN', by: 'inferred' });
      expect(r.notes).toEqual(expect.arrayContaining(['delimiter ";"', 'decimal comma', '1 empty row skipped']));
    });

    it('keeps a quoted field that contains the delimiter whole', async () => {
      const r = await parseFixture('de-girokonto.csv');
      expect(r.transactions[0]?.description).toBe('Beratung; Rechnung 2026-117');
      expect(r.transactions[0]?.counterpartyAccount).toBe('GB29NWBK60161331926819');
    });

    it('locates each row by data row and file line, with an id that says where', async () => {
      const r = await parseFixture('de-girokonto.csv');
      const t = r.transactions[0];
      expect(t?.location).toEqual({ signalId: 'sig-1', attachment: 'de-girokonto.csv', locator: 'row 1', line: 2 });
      expect(t?.id).toBe('sig-1:de-girokonto.csv:row 1');
      expect(t?.raw).toMatchObject({ Buchungstag: '03.11.2026', Betrag: '-620.000,00', 'Auftraggeber/Empfänger': 'Orion Shell Holdings Ltd' });
    });

    it('keeps a row whose amount cannot be read, with the reason', async () => {
      const r = await parseFixture('de-girokonto.csv');
      const bad = r.transactions.find((t) => t.counterparty === 'Kantine Nord');
      expect(bad).toMatchObject({ amount: null, currency: 'EUR', location: { locator: 'row 5', line: 6 } });
      expect(bad?.problems).toEqual(['amount "-12,3x" is not a number']);
    });

    it('reads the same export in Windows-1252', async () => {
      const text = readFileSync(fileURLToPath(new URL('./fixtures/de-girokonto.csv', import.meta.url)), 'utf8').replace(/^\uFEFF/, '');
      const r = await parseEvidenceItem(attachment('umsaetze.csv', Buffer.from(text, 'latin1')));
      expect(r.transactions[1]?.counterparty).toBe('Stadtwerke München GmbH');
      expect(r.notes).toContain('encoding windows-1252');
    });
  });

  describe('an export with preamble lines before the header', () => {
    it('finds the header, reads the account and the currency the amount header names', async () => {
      const r = await parseFixture('de-preamble.csv');
      expect(r.notes).toContain('header on line 5');
      expect(r.accounts).toEqual(['DE89370400440532013000']);
      expect(r.transactions.map(brief)).toEqual([
        { date: '2026-11-02', amount: 479.89, currency: 'EUR', direction: 'debit', counterparty: 'Orion Shell Holdings Ltd' },
        { date: '2026-11-10', amount: 1000, currency: 'EUR', direction: 'debit', counterparty: 'Versicherung AG' },
        { date: '2026-11-15', amount: 1000, currency: 'EUR', direction: 'credit', counterparty: 'Arbeitgeber GmbH' },
      ]);
      expect(r.transactions[0]?.location).toMatchObject({ locator: 'row 2', line: 7 });
    });

    it('skips opening and closing balance lines and counts them', async () => {
      const r = await parseFixture('de-preamble.csv');
      expect(skipped(r).totals).toBe(2);
      expect(r.transactions.every((t) => t.problems.length === 0)).toBe(true);
    });
  });

  describe('a UK export with Paid out / Paid in columns', () => {
    it('reads the direction from the column that holds the amount', async () => {
      const r = await parseFixture('uk-statement.csv');
      expect(r.mapping).toMatchObject({ amount: null, debit: 'Paid out', credit: 'Paid in', date: 'Date', description: 'Description' });
      expect(r.transactions.map((t) => [t.date, t.direction, t.amount])).toEqual([
        ['2026-11-03', 'debit', 620],
        ['2026-11-04', 'credit', 2500],
        ['2026-11-05', 'debit', 45.67],
      ]);
      expect(skipped(r).totals).toBe(1);
    });

    it('names what it could not find rather than guessing a currency or a party', async () => {
      const r = await parseFixture('uk-statement.csv');
      expect(r.transactions[0]?.description).toBe('ORION SHELL HOLDINGS LTD, LONDON');
      expect(r.transactions[0]?.problems).toEqual(['no currency', 'no counterparty field']);
    });
  });

  describe('a US export (MM/DD/YYYY, parenthesised negatives)', () => {
    it('decides month-first from a day above 12 and reads (1,234.56) as a debit', async () => {
      const r = await parseFixture('us-checking.csv');
      expect(r.notes).toContain('dates are month-first (MM/DD/YYYY)');
      expect(r.transactions.map(brief)).toEqual([
        { date: '2026-11-03', amount: 1234.56, currency: null, direction: 'debit', counterparty: 'Orion Shell Holdings Ltd' },
        { date: '2026-11-15', amount: 3000, currency: null, direction: 'credit', counterparty: 'Payroll Acme Corp' },
        { date: '2026-12-01', amount: 250, currency: null, direction: 'debit', counterparty: 'Smith, John' },
      ]);
    });
  });

  describe('an export with a debit/credit indicator column', () => {
    it('reads D/C and DBIT/CRDT marks and lower-case currency codes', async () => {
      const r = await parseFixture('indicator.psv');
      expect(r.notes).toContain('delimiter "|"');
      expect(r.mapping).toMatchObject({ direction: 'D/C', counterpartyAccount: 'Counterparty IBAN', reference: 'Reference' });
      expect(r.transactions.map((t) => [t.direction, t.amount, t.currency])).toEqual([
        ['debit', 620000, 'USD'],
        ['credit', 1500, 'USD'],
        ['debit', 75.25, 'AED'],
      ]);
    });

    it('reads Soll/Haben columns, S/H marks, trailing minus and CR/DR suffixes', async () => {
      const csv = ['Datum;Empfänger;Soll;Haben;Währung', '03.11.2026;Orion Shell Holdings Ltd;620.000,00;;EUR', '04.11.2026;Kunde AG;;1.500,00;EUR'].join('\n');
      const a = await parseEvidenceItem(attachment('soll-haben.csv', csv));
      expect(a.transactions.map((t) => [t.direction, t.amount])).toEqual([['debit', 620000], ['credit', 1500]]);

      const marks = ['Date,Name,Amount,S/H,Currency', '2026-11-03,Orion,620.00,S,EUR', '2026-11-04,Kunde,12.00,H,EUR'].join('\n');
      const b = await parseEvidenceItem(attachment('sh.csv', marks));
      expect(b.transactions.map((t) => t.direction)).toEqual(['debit', 'credit']);

      const suffixes = ['Date;Payee;Amount;Currency', '03.11.2026;Orion;620,00-;EUR', '04.11.2026;Kunde;100,00 CR;EUR', '05.11.2026;Bank;2,50 DR;EUR'].join('\n');
      const c = await parseEvidenceItem(attachment('suffix.csv', suffixes));
      expect(c.transactions.map((t) => [t.direction, t.amount])).toEqual([['debit', 620], ['credit', 100], ['debit', 2.5]]);
    });
  });

  describe('content over labels', () => {
    it('reads a CSV delivered as application/octet-stream with a .txt name', async () => {
      const csv = 'Date\tPayee\tAmount\tCurrency\n2026-11-03\tOrion Shell Holdings Ltd\t-620000.00\tUSD\n';
      const r = await parseEvidenceItem(attachment('export.txt', csv, 'application/octet-stream'));
      expect(r.format).toBe('csv');
      expect(r.notes).toContain('delimiter "\\t"');
      expect(r.transactions.map(brief)).toEqual([{ date: '2026-11-03', amount: 620000, currency: 'USD', direction: 'debit', counterparty: 'Orion Shell Holdings Ltd' }]);
    });

    it('reads a headerless export by its values and says so', async () => {
      const csv = '03.11.2026;Orion Shell Holdings Ltd;-620.000,00;EUR\n04.11.2026;Kunde AG;1.500,00;EUR\n';
      const r = await parseEvidenceItem(attachment('raw.csv', csv));
      expect(r.notes).toContain('no header row: columns named by position and read from their values');
      expect(r.transactions.map((t) => [t.date, t.amount, t.currency, t.direction])).toEqual([
        ['2026-11-03', 620000, 'EUR', 'debit'],
        ['2026-11-04', 1500, 'EUR', 'credit'],
      ]);
      expect(r.transactions[0]?.problems).toEqual(['no counterparty field']);
    });
  });

  describe('currencies written in the amount', () => {
    it('reads € inside the amount cell', async () => {
      const r = await parseEvidenceItem(attachment('a.csv', 'Datum;Empfänger;Betrag\n03.11.2026;Orion Shell Holdings Ltd;-620.000,00 €\n'));
      expect(r.transactions.map(brief)).toEqual([{ date: '2026-11-03', amount: 620000, currency: 'EUR', direction: 'debit', counterparty: 'Orion Shell Holdings Ltd' }]);
    });

    it('reads a lone $ as USD only without another hint, and says so', async () => {
      const usd = await parseEvidenceItem(attachment('a.csv', 'Date,Payee,Amount\n2026-11-03,Orion,"-$620,000.00"\n'));
      expect(usd.transactions[0]?.currency).toBe('USD');
      expect(usd.notes).toContain('"$" read as USD (no other currency hint)');
      const cad = await parseEvidenceItem(attachment('a.csv', 'Currency: CAD\n\nDate,Payee,Amount\n2026-11-03,Orion,-$620.00\n'));
      expect(cad.transactions[0]?.currency).toBe('CAD');
    });
  });

  describe('total and balance lines', () => {
    it('skips a Total line without a date but keeps a payee called "Total"', async () => {
      const csv = ['Date,Payee,Amount,Currency', '2026-11-03,Total,-50.00,EUR', '2026-11-04,Saldo GmbH,-10.00,EUR', 'Total,,-60.00,EUR', 'Closing balance 30.11.2026,,940.00,EUR'].join('\n');
      const r = await parseEvidenceItem(attachment('totals.csv', csv));
      expect(r.transactions.map((t) => t.counterparty)).toEqual(['Total', 'Saldo GmbH']);
      expect(skipped(r).totals).toBe(2);
    });
  });
});
