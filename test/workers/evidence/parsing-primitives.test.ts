import { describe, expect, it } from 'vitest';
import { decideDecimal, readAmount } from '../../../src/workers/evidence/amount.js';
import { readCurrency } from '../../../src/workers/evidence/currency.js';
import { decideDateOrder, readDate } from '../../../src/workers/evidence/dates.js';

describe('evidence amounts', () => {
  it.each([
    ['620.000,00', ',', 620000],
    ['-620.000,00', ',', -620000],
    ['1 234,56', ',', 1234.56],
    ['1,234.56', '.', 1234.56],
    ['(1,234.56)', '.', -1234.56],
    ['620,00-', ',', -620],
    ['100.00 CR', '.', 100],
    ['100.00 DR', '.', -100],
    ["1'234.50", '.', 1234.5],
    ['12,34,567.00', '.', 1234567],
    ['−45,10', ',', -45.1],
    ['+15', null, 15],
    ['0.05', null, 0.05],
  ] as const)('reads %s exactly', (cell, decimal, value) => {
    expect(readAmount(cell, decimal).value).toBe(value);
  });

  it('reads a currency written inside the cell', () => {
    expect(readAmount('USD 620,000.00', null)).toMatchObject({ value: 620000, currency: 'USD' });
    expect(readAmount('620.000,00 €', ',')).toMatchObject({ value: 620000, currency: 'EUR' });
    expect(readAmount('-£45.67', null)).toMatchObject({ value: -45.67, currency: 'GBP' });
    expect(readAmount('$1,234.56', null)).toMatchObject({ value: 1234.56, currency: 'USD', assumedDollar: true });
  });

  it('says why a cell is not a number instead of guessing', () => {
    expect(readAmount('12,3x', ',')).toMatchObject({ value: null, problem: 'amount "12,3x" is not a number' });
    expect(readAmount('1.2.3,4,5', null).value).toBeNull();
    expect(readAmount('', null).problem).toBe('amount is empty');
    expect(readAmount('620 XYZQ', null).value).toBeNull();
  });

  it('reads an ambiguous 1.234 by the column, and as thousands when nothing tells', () => {
    expect(readAmount('1.234', ',').value).toBe(1234);
    expect(readAmount('1.234', '.').value).toBe(1.234);
    expect(readAmount('1.234', null)).toMatchObject({ value: 1234, ambiguous: true });
    expect(decideDecimal(['1.234', '12,50'], undefined, null).decimal).toBe(',');
    expect(decideDecimal(['1.234', '5.5'], undefined, null).decimal).toBe('.');
    expect(decideDecimal(['1.234'], undefined, null).note).toMatch(/read as thousands/);
    expect(decideDecimal(['1.234'], '.', null)).toMatchObject({ decimal: '.', note: 'decimal "." (from the mapping)' });
  });
});

describe('evidence dates', () => {
  it.each([
    ['2026-11-03', '2026-11-03'],
    ['2026-11-03T23:30:00-05:00', '2026-11-03'],
    ['03.11.2026', '2026-11-03'],
    ['3.11.26', '2026-11-03'],
    ['20261103', '2026-11-03'],
    ['03 Nov 2026', '2026-11-03'],
    ['3-Nov-2026', '2026-11-03'],
    ['Nov 3, 2026', '2026-11-03'],
    ['3. März 2026', '2026-03-03'],
  ])('reads %s', (cell, iso) => {
    expect(readDate(cell, 'DMY')).toBe(iso);
  });

  it('rejects impossible dates', () => {
    expect(readDate('31.02.2026', 'DMY')).toBeNull();
    expect(readDate('2026-13-01', 'DMY')).toBeNull();
    expect(readDate('not a date', 'DMY')).toBeNull();
  });

  it('decides day/month order from the column and says when it assumed', () => {
    expect(decideDateOrder(['03/04/2026', '13/04/2026'], undefined, false)).toEqual({ order: 'DMY', note: null });
    expect(decideDateOrder(['03/04/2026', '04/13/2026'], undefined, false).order).toBe('MDY');
    expect(decideDateOrder(['03/04/2026'], undefined, false)).toMatchObject({ order: 'DMY', note: expect.stringMatching(/day-first/) });
    expect(decideDateOrder(['03/04/2026'], undefined, true)).toMatchObject({ order: 'MDY', note: expect.stringMatching(/USD/) });
    expect(decideDateOrder(['03/04/2026'], 'MDY', false).order).toBe('MDY');
    expect(readDate('03/04/2026', 'MDY')).toBe('2026-03-04');
  });

  it('reads spreadsheet serial days and epoch timestamps only for date fields', () => {
    expect(readDate(46329, 'DMY', true)).toBe('2026-11-03');
    expect(readDate(1793664000 + 3600, 'DMY', true)).toBe('2026-11-03');
    expect(readDate(46329, 'DMY')).toBeNull();
  });
});

describe('evidence currencies', () => {
  it.each([
    ['eur', 'EUR'],
    ['€', 'EUR'],
    ['£', 'GBP'],
    ['US$', 'USD'],
    ['Fr.', 'CHF'],
    ['CHF', 'CHF'],
  ])('reads %s as %s', (cell, code) => {
    expect(readCurrency(cell)).toEqual({ code, assumedDollar: false });
  });

  it('reads a lone $ as USD but flags the assumption', () => {
    expect(readCurrency('$')).toEqual({ code: 'USD', assumedDollar: true });
  });

  it('does not invent a currency', () => {
    expect(readCurrency('XYZ').code).toBeNull();
    expect(readCurrency('dollars-ish').code).toBeNull();
  });
});
