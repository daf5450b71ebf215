import { describe, expect, it } from 'vitest';
import { extractDocument } from '../../../src/workers/sources/extract/index.js';
import { detectDelimiter } from '../../../src/workers/sources/extract/csv.js';
import { expectOk, utf8 } from './fixtures.js';

describe('CSV extraction', () => {
  describe('with semicolons, quoted delimiters and multi-line fields', () => {
    const csv = [
      'name;city;notes', // 1
      '', // 2
      'Globex Holdings;Hamburg;"watch list; since 2021"', // 3
      'Initech;"Austin"', // 4
      'Umbrella;Raccoon City;"two', // 5
      'line ""note""', // 6
      'ends here"', // 7
      ';;', // 8
      'Acme;Springfield;ok;extra', // 9
    ].join('\n');

    it('renders each row on the line it starts on, labelled by the header', async () => {
      const ex = await extractDocument('csv', utf8(csv));
      expectOk(ex);
      expect(ex.lines.map((l) => l.text)).toEqual([
        'name, city, notes',
        '',
        'name: Globex Holdings; city: Hamburg; notes: watch list; since 2021',
        'name: Initech; city: Austin',
        'name: Umbrella; city: Raccoon City; notes: two line "note" ends here',
        '',
        '',
        '',
        'name: Acme; city: Springfield; notes: ok; column 4: extra',
      ]);
      expect(ex.lines.map((l) => l.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(ex.notes).toEqual([]);
    });

    it('returns the table with its header and each row’s starting line', async () => {
      const ex = await extractDocument('csv', utf8(csv));
      expectOk(ex);
      expect(ex.tables).toHaveLength(1);
      const [table] = ex.tables;
      expect(table!.sheet).toBeNull();
      expect(table!.header).toEqual(['name', 'city', 'notes']);
      expect(table!.rows.map((r) => r.line)).toEqual([3, 4, 5, 9]);
      expect(table!.rows[0]!.fields).toEqual({ name: 'Globex Holdings', city: 'Hamburg', notes: 'watch list; since 2021' });
      expect(table!.rows[1]!.fields).toEqual({ name: 'Initech', city: 'Austin', notes: '' });
      expect(table!.rows[3]!.fields['column 4']).toBe('extra');
    });
  });

  it('reads a TSV file with a byte order mark and CRLF line ends', async () => {
    const ex = await extractDocument('csv', utf8('\uFEFFid\tproduct\tprice\r\n1\tTea, green\t3.50\r\n2\tCake\t12\r\n'));
    expectOk(ex);
    expect(ex.lines.map((l) => l.text)).toEqual(['id, product, price', 'id: 1; product: Tea, green; price: 3.50', 'id: 2; product: Cake; price: 12']);
    expect(ex.tables[0]!.header).toEqual(['id', 'product', 'price']);
  });

  it('detects each candidate delimiter, and prefers semicolons over decimal commas', () => {
    expect(detectDelimiter('a,b,c\n1,2,3\n')).toBe(',');
    expect(detectDelimiter('a|b|c\n1|2|3\n')).toBe('|');
    expect(detectDelimiter('a\tb\n1\t2\n')).toBe('\t');
    expect(detectDelimiter('amount;rate\n1,5;2,25\n3,0;4,75\n')).toBe(';');
    expect(detectDelimiter('"a;b",c\n"x;y",z\n')).toBe(',');
    expect(detectDelimiter('just one column\nsecond\n')).toBe(',');
  });

  it('treats a first row of values as data and names the columns', async () => {
    const ex = await extractDocument('csv', utf8('alice,30,2024-01-05\nbob,41,2023-11-30\n'));
    expectOk(ex);
    expect(ex.tables[0]!.header).toEqual(['column 1', 'column 2', 'column 3']);
    expect(ex.tables[0]!.rows.map((r) => r.line)).toEqual([1, 2]);
    expect(ex.lines[0]!.text).toBe('alice; 30; 2024-01-05');
  });

  it('names empty and repeated header cells so no field overwrites another', async () => {
    const ex = await extractDocument('csv', utf8('name,,name\nAnn,x,Bee\n'));
    expectOk(ex);
    expect(ex.tables[0]!.header).toEqual(['name', 'column 2', 'name (2)']);
    expect(ex.tables[0]!.rows[0]!.fields).toEqual({ name: 'Ann', 'column 2': 'x', 'name (2)': 'Bee' });
  });

  it('keeps a column named __proto__ as an ordinary field', async () => {
    const ex = await extractDocument('csv', utf8('__proto__,name\nx,y\n'));
    expectOk(ex);
    const fields = ex.tables[0]!.rows[0]!.fields;
    expect(Object.keys(fields)).toEqual(['__proto__', 'name']);
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
  });

  it('reads a Latin-1 CSV with a note', async () => {
    const ex = await extractDocument('csv', new Uint8Array([...utf8('city\nK'), 0xf6, ...utf8('ln\n')]));
    expectOk(ex);
    expect(ex.lines[1]!.text).toBe('city: Köln');
    expect(ex.notes).toContain('not UTF-8: decoded as windows-1252');
  });

  it('fails with the parser’s message and line when a quote is never closed', async () => {
    const ex = await extractDocument('csv', utf8('a,b\n1,2\n3,"open\n4,5\n'));
    expect(ex).toEqual({
      ok: false,
      kind: 'csv',
      reason: 'invalid CSV: Quote Not Closed: the parsing is finished with an opening quote at line 4 (the record starts on line 3)',
    });
  });

  it('rejects a binary file renamed .csv', async () => {
    const ex = await extractDocument('csv', new Uint8Array(200).fill(1));
    expect(ex).toMatchObject({ ok: false, reason: 'not text: 100% of the bytes are control characters' });
  });
});
