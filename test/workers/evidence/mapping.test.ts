import { describe, expect, it } from 'vitest';
import { mapRecords, parseEvidenceItem, tabularRecords, validateMapping } from '../../../src/workers/evidence/index.js';
import { attachment, payload } from './helpers.js';

const odd = ['Wann;Wer;Wieviel;Geld', '03/04/2026;Orion Shell Holdings Ltd;1.234;EUR', '05/04/2026;Kunde AG;2.000;EUR'].join('\n');

describe('evidence: mappings from the rules file or a model', () => {
  it('uses the override for the fields it names and infers the rest', async () => {
    const r = await parseEvidenceItem(attachment('odd.csv', odd), { mapping: { amount: 'Wieviel', counterparty: 'Wer', date: 'Wann', decimal: '.', dateOrder: 'MDY' } });
    expect(r.mapping).toMatchObject({ amount: 'Wieviel', counterparty: 'Wer', date: 'Wann', currency: 'Geld', by: 'rules' });
    expect(r.transactions.map((t) => [t.date, t.amount, t.currency, t.counterparty])).toEqual([
      ['2026-03-04', 1.234, 'EUR', 'Orion Shell Holdings Ltd'],
      ['2026-05-04', 2, 'EUR', 'Kunde AG'],
    ]);
    expect(r.notes).toEqual(expect.arrayContaining(['decimal "." (from the mapping)', 'dates read as MDY (from the mapping)']));
  });

  it('without an override, the same file is unreadable and names its columns', async () => {
    const r = await parseEvidenceItem(attachment('odd.csv', odd));
    expect(r.unreadable?.fieldsSeen).toEqual(['Wann', 'Wer', 'Wieviel', 'Geld']);
  });

  it('marks a mapping a model proposed', async () => {
    const r = await parseEvidenceItem(attachment('odd.csv', odd), { mapping: { amount: 'Wieviel' }, mappingBy: 'model' });
    expect(r.mapping?.by).toBe('model');
  });

  it('reads a JSON list at the path the override names, with a payee|payer pair', async () => {
    const body = { weird: { stuff: [{ d: '2026-11-03', a: -620000, c: 'USD', payee_x: 'Orion Shell Holdings Ltd', payer_x: 'Me' }] } };
    const r = await parseEvidenceItem(payload(body), { mapping: { transactions: 'weird.stuff', date: 'd', amount: 'a', currency: 'c', counterparty: 'payee_x|payer_x' } });
    expect(r.mapping).toMatchObject({ transactions: 'weird.stuff', counterparty: 'payee_x|payer_x', by: 'rules' });
    expect(r.transactions.map((t) => [t.direction, t.amount, t.counterparty])).toEqual([['debit', 620000, 'Orion Shell Holdings Ltd']]);
  });

  it('says when the override names a field the data does not have', async () => {
    const r = await parseEvidenceItem(attachment('odd.csv', odd), { mapping: { amount: 'Betrag' } });
    expect(r.notes).toContain('the mapping names "Betrag" for amount, but the data has no such field');
    expect(r.transactions[0]?.problems).toContain('amount is empty');
  });

  describe('checking a proposed mapping before using it', () => {
    it('gives the rows of any CSV, XLSX or JSON item regardless of mapping', async () => {
      const t = await tabularRecords(attachment('odd.csv', odd));
      expect(t?.fieldsSeen).toEqual(['Wann', 'Wer', 'Wieviel', 'Geld']);
      expect(t?.records[0]).toEqual({ locator: 'row 1', line: 2, fields: { Wann: '03/04/2026', Wer: 'Orion Shell Holdings Ltd', Wieviel: '1.234', Geld: 'EUR' } });
      const j = await tabularRecords(payload({ transactions: [{ when: 'x', payee: { name: 'Orion' } }] }));
      expect(j?.records[0]?.fields).toEqual({ when: 'x', 'payee.name': 'Orion' });
      expect(await tabularRecords(attachment('x.pdf', '%PDF-1.4'))).toBeNull();
    });

    it('counts the rows a mapping reads and explains the others', async () => {
      const rows = [
        { Wann: '03.04.2026', Wer: 'Orion', Wieviel: '1.234,00' },
        { Wann: '04.04.2026', Wer: 'Kunde', Wieviel: 'viel' },
        { Wann: '', Wer: '', Wieviel: '' },
      ];
      const good = validateMapping(rows, { amount: 'Wieviel', counterparty: 'Wer', date: 'Wann' });
      expect(good.total).toBe(3);
      expect(good.readable).toBe(1);
      expect(good.problems).toEqual(expect.arrayContaining(['1 of 3 rows — e.g. records[1]: amount "viel" is not a number', '1 rows skipped as empty or total/balance lines']));
      const bad = validateMapping(rows, { amount: 'Amount' });
      expect(bad.readable).toBe(0);
      expect(bad.problems[0]).toBe('the mapping names "Amount" for amount, but the data has no such field');
    });

    it('lets a caller rescue unreadable JSON: rows out, mapping checked, then parsed with it', async () => {
      const item = payload({ transactions: [{ when: '2026-11-03', who: 'Orion Shell Holdings Ltd', how_much: '-620000', ccy: 'USD' }] });
      expect((await parseEvidenceItem(item)).unreadable).not.toBeNull();
      const rows = await tabularRecords(item);
      expect(rows?.fieldsSeen).toEqual(['when', 'who', 'how_much', 'ccy']);
      const proposal = { amount: 'how_much', counterparty: 'who', date: 'when' };
      expect(validateMapping(rows!.records.map((r) => r.fields), proposal)).toEqual({ total: 1, readable: 1, problems: [] });
      const r = await parseEvidenceItem(item, { mapping: proposal, mappingBy: 'model' });
      expect(r.mapping?.by).toBe('model');
      expect(r.transactions.map((t) => [t.date, t.amount, t.currency, t.direction, t.counterparty])).toEqual([['2026-11-03', 620000, 'USD', 'debit', 'Orion Shell Holdings Ltd']]);
    });

    it('applies a mapping to plain records, flattening nested objects', () => {
      const out = mapRecords([{ on: '2026-11-03', to: { name: 'Orion Shell Holdings Ltd' }, sum: { v: '-620000', ccy: 'USD' } }], { amount: 'sum.v', currency: 'sum.ccy', date: 'on' }, { signalId: 's', attachment: null, by: 'model' });
      expect(out.mapping).toMatchObject({ amount: 'sum.v', counterparty: 'to.name', by: 'model' });
      expect(out.transactions[0]).toMatchObject({ id: 's:payload:records[0]', amount: 620000, currency: 'USD', direction: 'debit', counterparty: 'Orion Shell Holdings Ltd' });
    });
  });
});
