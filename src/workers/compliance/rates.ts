import { parse } from 'csv-parse/sync';
import { currencyCode } from '../evidence/currency.js';

/** One published rate: `rate` units of the table's base currency buy one unit of the currency, from `date` on. */
export interface RatePoint {
  date: string;
  rate: number;
  /** Where the rate was given (`rates[0]`, `rates file fx.csv line 3`), for messages. */
  source: string;
}

/**
 * Exchange rates into one base currency, by currency, each list sorted by date.
 * Rates are per base only: there are no cross rates and no inverted pairs — a
 * table in EUR converts USD and GBP amounts into EUR, never EUR into USD.
 */
export interface RateTable {
  base: string;
  rates: ReadonlyMap<string, readonly RatePoint[]>;
  /** The currencies the table has rates for (the base excluded), alphabetically. */
  currencies(): string[];
}

const DAY = 86_400_000;

/** Days since the epoch of an ISO calendar date (`2026-10-01`), or null when it is no real date. */
function dayNumber(s: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = Date.UTC(y, mo - 1, d);
  const back = new Date(t);
  return back.getUTCFullYear() === y && back.getUTCMonth() === mo - 1 && back.getUTCDate() === d ? t / DAY : null;
}

function positive(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d*\.?\d+(?:e[-+]?\d+)?\s*$/i.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) && n > 0 ? n : null;
}

const shown = (v: unknown) => (typeof v === 'string' ? `"${v}"` : JSON.stringify(v) ?? String(v));
const commaHint = (v: unknown) => (typeof v === 'string' && /^\s*\d+,\d+\s*$/.test(v) ? ' (write decimals with a point)' : '');

class RateBuilder {
  private readonly byCurrency = new Map<string, Map<string, RatePoint>>();
  constructor(readonly base: string) {}

  add(currency: string, date: string, rate: number, source: string): void {
    if (currency === this.base) {
      if (rate !== 1) throw new Error(`${source}: ${currency} is the base currency, its rate is 1, not ${rate}`);
      return;
    }
    const dates = this.byCurrency.get(currency) ?? new Map<string, RatePoint>();
    this.byCurrency.set(currency, dates);
    const before = dates.get(date);
    if (before && before.rate !== rate) throw new Error(`${source}: ${currency} rate for ${date} is ${rate}, but ${before.source} gives ${before.rate}`);
    dates.set(date, before ?? { date, rate, source });
  }

  table(): RateTable {
    const rates = new Map<string, RatePoint[]>();
    for (const [c, dates] of [...this.byCurrency].sort(([a], [b]) => (a < b ? -1 : 1))) {
      rates.set(c, [...dates.values()].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0)));
    }
    return { base: this.base, rates, currencies: () => [...rates.keys()] };
  }
}

/** Rates in the rules' JSON shape: `[{ "date": "2026-10-01", "USD": 0.93, … }]` (or `{date, currency, rate}` rows). */
function addJsonRates(b: RateBuilder, rates: unknown, where: string): void {
  if (!Array.isArray(rates)) throw new Error(`${where} must be a list of { "date": "YYYY-MM-DD", "<CURRENCY>": rate } entries`);
  rates.forEach((entry, i) => {
    const at = `${where}[${i}]`;
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) throw new Error(`${at} must be an object such as { "date": "2026-10-01", "USD": 0.93 }`);
    const o = entry as Record<string, unknown>;
    if (typeof o.date !== 'string' || dayNumber(o.date) === null) throw new Error(`${at}.date ${shown(o.date)} is not a date (YYYY-MM-DD)`);
    const pairs: Array<[string, unknown, string]> =
      'currency' in o && 'rate' in o ? [[String(o.currency), o.rate, `${at}.rate`]] : Object.entries(o).filter(([k]) => k !== 'date').map(([k, v]) => [k, v, `${at}.${k}`]);
    if (!pairs.length) throw new Error(`${at} gives no rate: add "<CURRENCY>": rate`);
    for (const [key, value, path] of pairs) {
      const code = /^[A-Za-z]{3}$/.test(key) ? key.toUpperCase() : null;
      if (!code) throw new Error(`${at}: "${key}" is not a currency code`);
      const rate = positive(value);
      if (rate === null) throw new Error(`${path} ${shown(value)} is not a positive number${commaHint(value)}`);
      b.add(code, o.date, rate, at);
    }
  });
}

const DATE_HEADERS = new Set(['date', 'day', 'as of', 'valid from', 'effective date']);
const CURRENCY_HEADERS = new Set(['currency', 'ccy', 'currency code', 'code', 'iso']);
const RATE_HEADERS = new Set(['rate', 'fx rate', 'exchange rate', 'value']);

/** The header line's most frequent of `,` `;` and tab: exports from European locales use `;`. */
function delimiterOf(text: string): string {
  const head = text.trimStart().split(/\r?\n/, 1)[0] ?? '';
  const count = (d: string) => head.split(d).length - 1;
  return [',', ';', '\t'].reduce((best, d) => (count(d) > count(best) ? d : best));
}

function addCsvRates(b: RateBuilder, name: string, text: string): void {
  const where = `rates file ${name}`;
  let rows: Array<{ record: string[]; info: { lines: number } }>;
  try {
    rows = parse(text, { bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true, delimiter: delimiterOf(text) }) as unknown as typeof rows;
  } catch (e) {
    throw new Error(`${where} is not readable CSV: ${(e as Error).message}`);
  }
  const [head, ...data] = rows;
  if (!head) throw new Error(`${where} is empty`);
  const keys = head.record.map((h) => h.toLowerCase().replace(/[_-]+/g, ' ').trim());
  const col = (names: Set<string>) => keys.findIndex((k) => names.has(k));
  const [d, c, r] = [col(DATE_HEADERS), col(CURRENCY_HEADERS), col(RATE_HEADERS)];
  if (d < 0 || c < 0 || r < 0) throw new Error(`${where}: the header must name date, currency and rate columns (found ${head.record.map((h) => `"${h}"`).join(', ')})`);
  for (const { record, info } of data) {
    const at = `${where} line ${info.lines}`;
    const [date, currency, value] = [record[d] ?? '', record[c] ?? '', record[r] ?? ''];
    if (dayNumber(date) === null) throw new Error(`${at}: date "${date}" is not a date (YYYY-MM-DD)`);
    const code = currencyCode(currency);
    if (!code) throw new Error(`${at}: currency "${currency}" is not a currency code`);
    const rate = positive(value);
    if (rate === null) throw new Error(`${at}: rate "${value}" is not a positive number${commaHint(value)}`);
    b.add(code, date, rate, at);
  }
}

function addFileRates(b: RateBuilder, file: { name: string; text: string }): void {
  const body = file.text.replace(/^\uFEFF/, '').trim();
  if (!/\.json$/i.test(file.name) && !/^[[{]/.test(body)) return addCsvRates(b, file.name, file.text);
  const where = `rates file ${file.name}`;
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (e) {
    throw new Error(`${where} is not valid JSON: ${(e as Error).message}`);
  }
  if (Array.isArray(doc)) return addJsonRates(b, doc, `${where}: rates`);
  const o = (doc && typeof doc === 'object' ? doc : {}) as Record<string, unknown>;
  if (o.base !== undefined && currencyCode(String(o.base)) !== b.base) throw new Error(`${where} gives rates in ${shown(o.base)}, but the base currency is ${b.base}`);
  addJsonRates(b, o.rates, `${where}: rates`);
}

/**
 * Builds a rate table in `base` from the rules' `rates` list and/or a rates file.
 *
 * - `rates`: `[{ "date": "2026-10-01", "USD": 0.9312, "GBP": 1.1588 }, …]` — each rate
 *   is units of base per one unit of the currency, valid from its date.
 * - `file`: JSON in the same shape (a list, or `{ "base": "EUR", "rates": [...] }`,
 *   whose base must agree), or CSV with a header naming `date`, `currency` and `rate`
 *   columns in any order (`,` `;` or tab separated, as the header is; decimal point).
 *
 * Both may be given; the same currency and date given twice with different rates is
 * an error. Throws an Error naming the entry at fault: `rates[2].date "2026-13-01" is
 * not a date (YYYY-MM-DD)`, `rates file rates.csv line 14: rate "abc" is not a
 * positive number`.
 */
export function parseRates(input: { base: string; rates?: unknown; file?: { name: string; text: string } }): RateTable {
  const base = /^[A-Za-z]{3}$/.test(input.base.trim()) ? input.base.trim().toUpperCase() : null;
  if (!base) throw new Error(`base currency "${input.base}" is not a three-letter currency code`);
  const b = new RateBuilder(base);
  if (input.rates !== undefined) addJsonRates(b, input.rates, 'rates');
  if (input.file) addFileRates(b, input.file);
  return b.table();
}

export type Conversion = { ok: true; value: number; rate: number; rateDate: string; note?: string } | { ok: false; reason: string };

/** Rates older than this many days before the transaction are not used, by default. */
export const DEFAULT_MAX_RATE_AGE_DAYS = 45;

/**
 * `amount` of `currency` in the table's base currency, at the rate of the latest
 * date on or before the transaction's `date` (an ISO date; a timestamp's date part
 * is used). The base currency converts at rate 1 (`rateDate` is then the
 * transaction's date, or '' when undated).
 *
 * Not converted (`ok: false`, with a reason to show): no currency, an unknown
 * currency (`no rate for USD (rates known: GBP, JPY)`), a date before the first rate
 * (`no USD rate on or before 2026-09-12 (first rate 2026-10-01)`), a rate more than
 * `maxAgeDays` (default 45) older than the transaction, an unreadable date.
 * An undated transaction converts at the latest rate, with a `note` saying so.
 * The value is not rounded.
 */
export function convert(table: RateTable, amount: number, currency: string | null, date: string | null, opts: { maxAgeDays?: number } = {}): Conversion {
  if (!Number.isFinite(amount)) return { ok: false, reason: `amount ${amount} is not a number` };
  if (!currency?.trim()) return { ok: false, reason: 'the transaction names no currency' };
  const code = currencyCode(currency);
  if (!code) return { ok: false, reason: `"${currency}" is not a currency code` };
  const day = date === null ? null : date.trim().slice(0, 10);
  if (day !== null && dayNumber(day) === null) return { ok: false, reason: `transaction date "${date}" is not a date` };
  if (code === table.base) return { ok: true, value: amount, rate: 1, rateDate: day ?? '' };
  const points = table.rates.get(code);
  if (!points?.length) {
    const known = [...table.rates.keys()];
    return { ok: false, reason: `no rate for ${code} (${known.length ? `rates known: ${known.join(', ')}` : 'no rates given'})` };
  }
  if (day === null) {
    const last = points[points.length - 1]!;
    return { ok: true, value: amount * last.rate, rate: last.rate, rateDate: last.date, note: `undated: converted at the latest ${code} rate (${last.date})` };
  }
  let lo = 0;
  let hi = points.length; // first index whose date is after `day`
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid]!.date <= day) lo = mid + 1;
    else hi = mid;
  }
  const p = points[lo - 1];
  if (!p) return { ok: false, reason: `no ${code} rate on or before ${day} (first rate ${points[0]!.date})` };
  const maxAge = opts.maxAgeDays ?? DEFAULT_MAX_RATE_AGE_DAYS;
  const age = dayNumber(day)! - dayNumber(p.date)!;
  if (age > maxAge) return { ok: false, reason: `the latest ${code} rate on or before ${day} is of ${p.date}, ${age} days earlier (more than ${maxAge})` };
  return { ok: true, value: amount * p.rate, rate: p.rate, rateDate: p.date };
}
