import writeXlsxFile from 'write-excel-file/node';
import { describe, expect, it } from 'vitest';
import { parseEvidenceItem, tabularRecords } from '../../../src/workers/evidence/index.js';
import { attachment, brief } from './helpers.js';

const day = (d: string) => ({ value: new Date(`${d}T00:00:00Z`), format: 'dd.mm.yyyy' });

async function workbook(sheets: Array<{ sheet: string; data: unknown[][] }>): Promise<Uint8Array> {
  // write-excel-file's types want its own cell union; the test data is plain values and {value, format} cells.
  return writeXlsxFile(sheets as never, {} as never).toBuffer();
}

describe('evidence: XLSX workbooks', () => {
  it('reads a sheet of date cells and numbers, locating rows by the sheet row number', async () => {
    const bytes = await workbook([
      {
        sheet: 'Transactions',
        data: [
          ['Date', 'Beneficiary', 'Amount', 'Currency'],
          [day('2026-11-03'), 'Orion Shell Holdings Ltd', -620000, 'USD'],
          [day('2026-11-04'), 'Harbor Freight LLC', 1500.5, 'USD'],
        ],
      },
    ]);
    const r = await parseEvidenceItem(attachment('statement.xlsx', bytes, 'application/octet-stream'));
    expect(r.format).toBe('xlsx');
    expect(r.transactions.map(brief)).toEqual([
      { date: '2026-11-03', amount: 620000, currency: 'USD', direction: 'debit', counterparty: 'Orion Shell Holdings Ltd' },
      { date: '2026-11-04', amount: 1500.5, currency: 'USD', direction: 'credit', counterparty: 'Harbor Freight LLC' },
    ]);
    expect(r.transactions[0]?.location).toEqual({ signalId: 'sig-1', attachment: 'statement.xlsx', locator: 'row 2', line: null });
    expect(r.transactions[0]?.raw).toMatchObject({ Date: '2026-11-03', Amount: '-620000' });
  });

  it('skips a sheet that maps no amount and names the sheet in the locator', async () => {
    const bytes = await workbook([
      { sheet: 'Info', data: [['Account holder', 'Example Treasury GmbH'], ['IBAN', 'DE89370400440532013000']] },
      {
        sheet: 'Umsätze',
        data: [
          ['Kontonummer', 'DE89 3704 0044 0532 0130 00'],
          [null, null, null, null],
          ['Buchungstag', 'Empfänger', 'Betrag', 'Währung'],
          ['03.11.2026', 'Orion Shell Holdings Ltd', '-620.000,00', 'EUR'],
          [null, null, null, null],
          ['04.11.2026', 'Stadtwerke', '-84,50', 'EUR'],
        ],
      },
    ]);
    const r = await parseEvidenceItem(attachment('export.xlsx', bytes));
    expect(r.notes).toContain('read sheet(s) "Umsätze" of 2');
    expect(r.accounts).toEqual(['DE89370400440532013000']);
    expect(r.transactions.map((t) => [t.location.locator, t.amount, t.direction])).toEqual([
      ['Umsätze, row 4', 620000, 'debit'],
      ['Umsätze, row 6', 84.5, 'debit'],
    ]);
    expect(r.notes).toEqual(expect.arrayContaining(['header on Umsätze, row 3', '1 empty row skipped']));
  });

  it('is unreadable, naming the columns, when no sheet maps an amount', async () => {
    const bytes = await workbook([{ sheet: 'Sheet1', data: [['foo', 'bar'], ['x', 'y']] }]);
    const r = await parseEvidenceItem(attachment('odd.xlsx', bytes));
    expect(r.transactions).toEqual([]);
    expect(r.unreadable).toEqual({ reason: 'no column reads as an amount (nor debit/credit); columns: foo, bar', fieldsSeen: ['foo', 'bar'] });
  });

  it('gives the raw rows to a caller that wants to propose a mapping', async () => {
    const bytes = await workbook([{ sheet: 'Sheet1', data: [['Wann', 'Wer', 'Wieviel'], ['2026-11-03', 'Orion', 'minus 5']] }]);
    const t = await tabularRecords(attachment('odd.xlsx', bytes));
    expect(t?.fieldsSeen).toEqual(['Wann', 'Wer', 'Wieviel']);
    expect(t?.records[0]).toEqual({ locator: 'row 2', line: null, fields: { Wann: '2026-11-03', Wer: 'Orion', Wieviel: 'minus 5' } });
  });
});
