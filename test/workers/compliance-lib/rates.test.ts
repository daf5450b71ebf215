import { describe, expect, it } from 'vitest';
import { convert, parseRates } from '../../../src/workers/compliance/rates.js';

const RULES = { base: 'EUR', rates: [{ date: '2026-10-01', USD: 0.9312, GBP: 1.1588 }, { date: '2026-11-01', USD: 0.919 }] };

describe('parseRates', () => {
  it('reads the rules list into dated rates per currency, each in date order', () => {
    const table = parseRates({ base: 'eur', rates: [{ date: '2026-11-01', USD: 0.919 }, { date: '2026-10-01', USD: 0.9312, GBP: 1.1588 }] });
    expect(table.base).toBe('EUR');
    expect(table.currencies()).toEqual(['GBP', 'USD']);
    expect(table.rates.get('USD')!.map((p) => [p.date, p.rate])).toEqual([
      ['2026-10-01', 0.9312],
      ['2026-11-01', 0.919],
    ]);
  });

  it('reads a CSV rates file with its columns in any order', () => {
    const table = parseRates({ base: 'EUR', file: { name: 'fx.csv', text: '\uFEFFCurrency,Rate,Date\r\nUSD,0.9312,2026-10-01\r\n"gbp",1.1588,2026-10-01\r\n\r\n' } });
    expect([...table.rates].map(([c, ps]) => [c, ps.map((p) => [p.date, p.rate, p.source])])).toEqual([
      ['GBP', [['2026-10-01', 1.1588, 'rates file fx.csv line 3']]],
      ['USD', [['2026-10-01', 0.9312, 'rates file fx.csv line 2']]],
    ]);
  });

  it('reads a semicolon-separated CSV rates file', () => {
    expect(parseRates({ base: 'EUR', file: { name: 'fx.csv', text: 'date;currency;rate\n2026-10-01;USD;0.9312\n' } }).rates.get('USD')![0]!.rate).toBe(0.9312);
  });

  it('reads a JSON rates file in the rules shape, alone or with its base', () => {
    const list = JSON.stringify(RULES.rates);
    const doc = JSON.stringify(RULES);
    expect(parseRates({ base: 'EUR', file: { name: 'fx.json', text: list } }).currencies()).toEqual(['GBP', 'USD']);
    expect(parseRates({ base: 'EUR', file: { name: 'fx.json', text: doc } }).rates.get('USD')).toHaveLength(2);
  });

  it('merges the rules and a file that agree', () => {
    const table = parseRates({ ...RULES, file: { name: 'fx.csv', text: 'date,currency,rate\n2026-10-01,USD,0.9312\n2026-12-01,USD,0.91\n' } });
    expect(table.rates.get('USD')!.map((p) => p.date)).toEqual(['2026-10-01', '2026-11-01', '2026-12-01']);
  });

  it('gives no rates when none are configured', () => {
    expect(parseRates({ base: 'EUR' }).currencies()).toEqual([]);
  });

  describe('rejects, naming the entry at fault,', () => {
    it.each([
      [{ base: 'EURO' }, 'base currency "EURO" is not a three-letter currency code'],
      [{ base: 'EUR', rates: { USD: 0.9 } }, 'rates must be a list of'],
      [{ base: 'EUR', rates: [{ date: '2026-10-01', USD: 0.93 }, { date: '2026-11-01', USD: 0.92 }, { date: '2026-13-01', USD: 0.9 }] }, 'rates[2].date "2026-13-01" is not a date'],
      [{ base: 'EUR', rates: [{ USD: 0.9 }] }, 'rates[0].date undefined is not a date'],
      [{ base: 'EUR', rates: [{ date: '2026-10-01', USD: 'abc' }] }, 'rates[0].USD "abc" is not a positive number'],
      [{ base: 'EUR', rates: [{ date: '2026-10-01', USD: 0 }] }, 'rates[0].USD 0 is not a positive number'],
      [{ base: 'EUR', rates: [{ date: '2026-10-01' }] }, 'rates[0] gives no rate'],
      [{ base: 'EUR', rates: [{ date: '2026-10-01', dollar: 1.1 }] }, 'rates[0]: "dollar" is not a currency code'],
      [{ base: 'EUR', rates: [{ date: '2026-10-01', EUR: 0.5 }] }, 'rates[0]: EUR is the base currency, its rate is 1, not 0.5'],
    ])('the rules rates %j', (input, message) => {
      expect(() => parseRates(input)).toThrow(message);
    });

    const csv = (text: string) => ({ base: 'EUR', file: { name: 'rates.csv', text } });
    it.each([
      [csv('date,currency,rate\n2026-10-01,USD,0.93\n2026-10-02,USD,abc\n'), 'rates file rates.csv line 3: rate "abc" is not a positive number'],
      [csv('date;currency;rate\n2026-10-01;USD;0,93\n'), 'rates file rates.csv line 2: rate "0,93" is not a positive number (write decimals with a point)'],
      [csv('date,currency,rate\n01/10/2026,USD,0.93\n'), 'rates file rates.csv line 2: date "01/10/2026" is not a date'],
      [csv('date,currency,rate\n2026-10-01,US-Dollar,0.93\n'), 'rates file rates.csv line 2: currency "US-Dollar" is not a currency code'],
      [csv('day,amount\n2026-10-01,0.93\n'), 'rates file rates.csv: the header must name date, currency and rate columns (found "day", "amount")'],
      [csv(''), 'rates file rates.csv is empty'],
      [csv('date,currency,rate\n"2026-10-01,USD,0.93\n'), 'rates file rates.csv is not readable CSV'],
    ])('the CSV file %#', (input, message) => {
      expect(() => parseRates(input)).toThrow(message);
    });

    it.each([
      ['{"base":"USD","rates":[]}', 'rates file fx.json gives rates in "USD", but the base currency is EUR'],
      ['{"rates":[{"date":"2026-10-01","USD":"x"}]}', 'rates file fx.json: rates[0].USD "x" is not a positive number'],
      ['{"rates":[{"date":"2026-10-01","USD":0.9}', 'rates file fx.json is not valid JSON'],
    ])('the JSON file %s', (text, message) => {
      expect(() => parseRates({ base: 'EUR', file: { name: 'fx.json', text } })).toThrow(message);
    });

    it('a rate the rules and the file give differently', () => {
      expect(() => parseRates({ ...RULES, file: { name: 'fx.csv', text: 'date,currency,rate\n2026-10-01,USD,0.94\n' } })).toThrow('rates file fx.csv line 2: USD rate for 2026-10-01 is 0.94, but rates[0] gives 0.9312');
    });
  });
});

describe('convert', () => {
  const table = parseRates(RULES);

  it('converts at the rate of the latest date on or before the transaction', () => {
    expect(convert(table, 620_000, 'USD', '2026-10-01')).toEqual({ ok: true, value: 620_000 * 0.9312, rate: 0.9312, rateDate: '2026-10-01' });
    expect(convert(table, 620_000, 'USD', '2026-10-31')).toMatchObject({ ok: true, rate: 0.9312, rateDate: '2026-10-01' });
    expect(convert(table, 620_000, 'USD', '2026-11-01')).toMatchObject({ ok: true, rate: 0.919, rateDate: '2026-11-01' });
    expect(convert(table, 620_000, 'USD', '2026-11-20')).toMatchObject({ ok: true, rate: 0.919, rateDate: '2026-11-01' });
  });

  it('reads the currency as a code in any case or a symbol, and the date of a timestamp', () => {
    expect(convert(table, 100, 'usd', '2026-10-05T14:30:00Z')).toMatchObject({ ok: true, rate: 0.9312 });
    expect(convert(table, 100, 'US$', '2026-10-05')).toMatchObject({ ok: true, rate: 0.9312 });
    expect(convert(table, 100, '£', '2026-10-05')).toMatchObject({ ok: true, rate: 1.1588 });
  });

  it('converts the base currency at rate 1', () => {
    expect(convert(table, 5_000, 'EUR', '2026-10-05')).toEqual({ ok: true, value: 5_000, rate: 1, rateDate: '2026-10-05' });
    expect(convert(table, 5_000, '€', null)).toEqual({ ok: true, value: 5_000, rate: 1, rateDate: '' });
  });

  it('does not convert a transaction dated before the first rate', () => {
    expect(convert(table, 620_000, 'USD', '2026-09-12')).toEqual({ ok: false, reason: 'no USD rate on or before 2026-09-12 (first rate 2026-10-01)' });
  });

  it('does not convert at a rate older than the maximum age', () => {
    expect(convert(table, 100, 'GBP', '2026-11-15')).toMatchObject({ ok: true, rate: 1.1588 });
    expect(convert(table, 100, 'GBP', '2026-11-16')).toEqual({ ok: false, reason: 'the latest GBP rate on or before 2026-11-16 is of 2026-10-01, 46 days earlier (more than 45)' });
    expect(convert(table, 100, 'GBP', '2026-10-20', { maxAgeDays: 7 })).toMatchObject({ ok: false, reason: expect.stringContaining('19 days earlier (more than 7)') });
  });

  it('converts an undated transaction at the latest rate, saying so', () => {
    expect(convert(table, 100, 'USD', null)).toEqual({ ok: true, value: 100 * 0.919, rate: 0.919, rateDate: '2026-11-01', note: 'undated: converted at the latest USD rate (2026-11-01)' });
  });

  it('does not convert a currency without rates, naming those it knows', () => {
    expect(convert(table, 100, 'JPY', '2026-10-05')).toEqual({ ok: false, reason: 'no rate for JPY (rates known: GBP, USD)' });
    expect(convert(parseRates({ base: 'EUR' }), 100, 'USD', '2026-10-05')).toEqual({ ok: false, reason: 'no rate for USD (no rates given)' });
  });

  it('does not convert without a currency, with a foreign currency word or with an unreadable date', () => {
    expect(convert(table, 100, null, '2026-10-05')).toEqual({ ok: false, reason: 'the transaction names no currency' });
    expect(convert(table, 100, 'Dollars (US)', '2026-10-05')).toEqual({ ok: false, reason: '"Dollars (US)" is not a currency code' });
    expect(convert(table, 100, 'USD', '05.10.2026')).toEqual({ ok: false, reason: 'transaction date "05.10.2026" is not a date' });
  });
});
