/**
 * Amount cells as banks write them: `1.234,56`, `1 234,56`, `-620.000,00`,
 * `1,234.56`, `(1,234.56)`, `620,00-`, `100.00 CR`, `USD 620,000.00`, `620.000,00 €`,
 * `1'234.50`. Parsing is exact (no float arithmetic on the digits) and never guesses
 * silently: a cell that is not a number says so, and a `1.234` whose separator could be
 * either is reported as ambiguous so the column decides.
 */
import { readCurrency, splitCurrency } from './currency.js';

export type Decimal = ',' | '.';

export interface AmountRead {
  /** Signed value, or null when the cell is not a number. */
  value: number | null;
  /** Currency written in the cell, when one was. */
  currency: string | null;
  assumedDollar: boolean;
  /** A `1.234`/`1,234` whose separator could be decimal or grouping; read with the column's decision. */
  ambiguous: boolean;
  /** Which decimal separator the cell proves, if any. */
  proves: Decimal | null;
  /** Why the cell could not be read. */
  problem: string | null;
}

const GROUPED_3 = /^\d{1,3}(?:[.,' \u00a0\u202f]\d{3})+$/;
/** Indian grouping: `12,34,567`. */
const GROUPED_IN = /^\d{1,2}(?:,\d{2})+,\d{3}$/;

/**
 * Reads one amount cell. `decimal` is the column's decimal separator when known; with
 * null, a lone separator followed by exactly three digits is read as a thousands
 * separator (bank amounts almost always carry two decimals) and flagged `ambiguous`.
 */
export function readAmount(cell: unknown, decimal: Decimal | null): AmountRead {
  const base: AmountRead = { value: null, currency: null, assumedDollar: false, ambiguous: false, proves: null, problem: null };
  // toPrecision(15) drops binary noise from spreadsheet arithmetic (1234.5600000000002).
  if (typeof cell === 'number') return Number.isFinite(cell) ? { ...base, value: Number(cell.toPrecision(15)) } : { ...base, problem: `amount "${cell}" is not a number` };
  if (cell === null || cell === undefined || (typeof cell === 'string' && !cell.trim())) return { ...base, problem: 'amount is empty' };
  if (typeof cell !== 'string') return { ...base, problem: `amount "${String(cell)}" is not a number` };
  const bad = { ...base, problem: `amount "${cell.trim()}" is not a number` };

  let s = cell.trim().replace(/\u2212/g, '-');
  let negative = false;
  // Debit/credit marks around the number: `100,00 CR`, `DR 50.00`, `12,00 S` (Soll) / `H` (Haben).
  const mark = /\s*\b(CR|DR|Cr|Dr|cr|dr)\.?$/.exec(s) ?? /\s+([SH])$/.exec(s);
  if (mark) {
    negative = mark[1]?.toUpperCase() === 'DR' || mark[1] === 'S';
    s = s.slice(0, mark.index).trim();
  } else {
    const lead = /^(CR|DR)\s+/i.exec(s);
    if (lead) {
      negative = lead[1]?.toUpperCase() === 'DR';
      s = s.slice(lead[0].length);
    }
  }
  const { rest, token } = splitCurrency(s);
  let currency: string | null = null;
  let assumedDollar = false;
  if (token) {
    const c = readCurrency(token);
    if (!c.code) return bad;
    currency = c.code;
    assumedDollar = c.assumedDollar;
  }
  s = rest;
  if (s.startsWith('(') && s.endsWith(')')) {
    negative = !negative;
    s = s.slice(1, -1).trim();
  }
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s.startsWith('-')) negative = !negative;
    s = s.slice(1).trim();
    // A symbol after the sign: `-€5.00`, `-$1,234.56`.
    const inner = splitCurrency(s);
    if (inner.token && !currency) {
      const c = readCurrency(inner.token);
      if (!c.code) return bad;
      currency = c.code;
      assumedDollar = c.assumedDollar;
      s = inner.rest;
    }
  } else if (s.endsWith('-')) {
    negative = !negative;
    s = s.slice(0, -1).trim();
  } else if (s.endsWith('+')) {
    s = s.slice(0, -1).trim();
  }
  if (!/^\d[\d.,' \u00a0\u202f]*$/.test(s) && !/^[.,]\d+$/.test(s)) return bad;

  const digits = readDigits(s, decimal);
  if (!digits) return bad;
  const value = Number(digits.text);
  if (!Number.isFinite(value)) return bad;
  return { value: negative && value !== 0 ? -value : value, currency, assumedDollar, ambiguous: digits.ambiguous, proves: digits.proves, problem: null };
}

/** The number's canonical text (`1234.56`) from grouped/decimal-separated digits, or null when malformed. */
function readDigits(s: string, decimal: Decimal | null): { text: string; ambiguous: boolean; proves: Decimal | null } | null {
  const lastDot = s.lastIndexOf('.');
  const lastComma = s.lastIndexOf(',');
  let dec: Decimal | null = null;
  let ambiguous = false;
  let proves: Decimal | null = null;
  if (lastDot !== -1 && lastComma !== -1) {
    dec = lastDot > lastComma ? '.' : ',';
    proves = dec;
  } else if (lastDot !== -1 || lastComma !== -1) {
    const sep: Decimal = lastDot !== -1 ? '.' : ',';
    const count = s.split(sep).length - 1;
    const tail = s.length - s.lastIndexOf(sep) - 1;
    if (count > 1) {
      dec = null; // `1.234.567`: grouping only
      proves = sep === '.' ? ',' : '.';
    } else if (tail !== 3 || /^0\d*[.,]/.test(s) || /[ '\u00a0\u202f]/.test(s.slice(s.lastIndexOf(sep)))) {
      dec = sep; // `12,5`, `1234,56`, `0.123`
      proves = tail === 3 ? null : sep;
    } else {
      // `1.234` / `1,234`: decided by the column; alone, grouping (see readAmount).
      dec = decimal === sep ? sep : null;
      ambiguous = decimal === null;
    }
  }
  const groupSeps = (dec === ',' ? '.' : dec === '.' ? ',' : '.,') + " '\u00a0\u202f";
  const [intPart = '', fracPart, extra] = dec ? s.split(dec) : [s];
  if (extra !== undefined) return null;
  let int = intPart;
  if ([...groupSeps].some((c) => int.includes(c))) {
    if (!GROUPED_3.test(int) && !GROUPED_IN.test(int)) return null;
    // One kind of grouping separator per number.
    const used = new Set(int.replace(/\d/g, ''));
    if (used.size > 1) return null;
    int = int.replace(/[^\d]/g, '');
  }
  if (!/^\d*$/.test(int) || (fracPart !== undefined && !/^\d+$/.test(fracPart))) return null;
  return { text: `${int || '0'}${fracPart !== undefined ? `.${fracPart}` : ''}`, ambiguous, proves };
}

export interface DecimalDecision {
  decimal: Decimal | null;
  /** A sentence for the item's notes, when the decision is worth telling. */
  note: string | null;
}

/**
 * Decides a column's decimal separator from its cells: the cells that prove one
 * (`1.234,56`, `12,5`) vote; an override wins; with no evidence, `hint` (e.g. a `;`
 * delimited file, a German header) decides; otherwise ambiguous cells stay grouping.
 */
export function decideDecimal(cells: Iterable<unknown>, override: Decimal | undefined, hint: Decimal | null): DecimalDecision {
  if (override) return { decimal: override, note: `decimal "${override}" (from the mapping)` };
  let comma = 0;
  let point = 0;
  let ambiguous = 0;
  for (const c of cells) {
    if (typeof c !== 'string') continue;
    const r = readAmount(c, null);
    if (r.proves === ',') comma++;
    else if (r.proves === '.') point++;
    if (r.ambiguous) ambiguous++;
  }
  if (comma || point) {
    const decimal: Decimal = comma > point ? ',' : '.';
    const mixed = comma && point ? ` (${Math.min(comma, point)} cells disagree)` : '';
    return { decimal, note: `${decimal === ',' ? 'decimal comma' : 'decimal point'}${mixed}` };
  }
  if (hint) return { decimal: hint, note: ambiguous ? `decimal "${hint}" assumed for amounts such as 1.234 (no cell proves it)` : null };
  return { decimal: null, note: ambiguous ? `amounts such as 1.234 read as thousands (no cell proves the decimal separator)` : null };
}
