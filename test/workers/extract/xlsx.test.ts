import { describe, expect, it } from 'vitest';
import { extractDocument } from '../../../src/workers/sources/extract/index.js';
import { expectOk, sampleDocx, utf8, xlsxOf } from './fixtures.js';

const workbook = () =>
  xlsxOf([
    {
      sheet: 'People',
      data: [
        [], // row 1 left empty: the header is the first non-empty row
        ['Name', 'Born', 'Last visit', 'Score', 'Active'],
        ['Ann', { value: new Date(Date.UTC(1990, 4, 17)), format: 'yyyy-mm-dd' }, { value: new Date(Date.UTC(2024, 2, 1, 14, 30)), format: 'yyyy-mm-dd hh:mm' }, 0.1 + 0.2, true],
        [null, null, null, null, null],
        ['Bob', { value: new Date(Date.UTC(2001, 0, 2)), format: 'yyyy-mm-dd' }, null, 1234567.5, false],
      ],
    },
    {
      sheet: 'Money',
      data: [
        ['Item', 'Amount'],
        ['Tea', 3],
        ['Cake', -12.25],
      ],
    },
    { sheet: 'Empty', data: [[]] },
  ]);

describe('Excel .xlsx extraction', () => {
  it('makes a table of each non-empty sheet, rows numbered as in the sheet', async () => {
    const ex = await extractDocument('xlsx', await workbook());
    expectOk(ex);
    expect(ex.tables.map((t) => t.sheet)).toEqual(['People', 'Money']);
    const [people, money] = ex.tables;
    expect(people!.header).toEqual(['Name', 'Born', 'Last visit', 'Score', 'Active']);
    expect(people!.rows).toEqual([
      { line: 3, fields: { Name: 'Ann', Born: '1990-05-17', 'Last visit': '2024-03-01T14:30:00', Score: '0.3', Active: 'TRUE' } },
      { line: 5, fields: { Name: 'Bob', Born: '2001-01-02', 'Last visit': '', Score: '1234567.5', Active: 'FALSE' } },
    ]);
    expect(money!.rows.map((r) => r.fields)).toEqual([
      { Item: 'Tea', Amount: '3' },
      { Item: 'Cake', Amount: '-12.25' },
    ]);
  });

  it('renders rows as labelled lines carrying their sheet and row number', async () => {
    const ex = await extractDocument('xlsx', await workbook());
    expectOk(ex);
    expect(ex.lines).toEqual([
      { text: 'Name, Born, Last visit, Score, Active', line: 2, sheet: 'People' },
      { text: 'Name: Ann; Born: 1990-05-17; Last visit: 2024-03-01T14:30:00; Score: 0.3; Active: TRUE', line: 3, sheet: 'People' },
      { text: 'Name: Bob; Born: 2001-01-02; Score: 1234567.5; Active: FALSE', line: 5, sheet: 'People' },
      { text: 'Item, Amount', line: 1, sheet: 'Money' },
      { text: 'Item: Tea; Amount: 3', line: 2, sheet: 'Money' },
      { text: 'Item: Cake; Amount: -12.25', line: 3, sheet: 'Money' },
    ]);
  });

  it('fails a Word document renamed .xlsx as corrupt', async () => {
    const ex = await extractDocument('xlsx', await sampleDocx());
    expect(ex).toMatchObject({ ok: false, kind: 'xlsx', reason: expect.stringMatching(/^corrupt or not an Excel \.xlsx file: /) });
  });

  it('fails a file that is not a zip as corrupt', async () => {
    const ex = await extractDocument('xlsx', utf8('name,amount\nTea,3\n'));
    expect(ex).toEqual({ ok: false, kind: 'xlsx', reason: "corrupt or not an Excel .xlsx file: Doesn't look like an .xlsx file" });
  });

  it('recognises an old binary .xls file', async () => {
    // The OLE2 compound file signature that starts every .xls.
    const ole = new Uint8Array(1024);
    ole.set([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
    const ex = await extractDocument('xlsx', ole);
    expect(ex).toEqual({ ok: false, kind: 'xlsx', reason: 'an old binary Excel .xls file (save it as .xlsx)' });
  });

  it('stops between sheets when the signal is aborted', async () => {
    const bytes = await workbook();
    const controller = new AbortController();
    const pending = extractDocument('xlsx', bytes, { signal: controller.signal });
    controller.abort(new Error('index closing'));
    await expect(pending).rejects.toThrow('index closing');
  });
});
