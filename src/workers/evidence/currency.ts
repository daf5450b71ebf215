/**
 * Currency codes and symbols. ISO 4217 codes come from the runtime's ICU data
 * (`Intl.supportedValuesOf`), so the list is neither hand-kept nor stale.
 */

let isoCodes: Set<string> | null = null;

/** Whether `code` is an ISO 4217 currency code (upper-case). */
export function isIsoCurrency(code: string): boolean {
  isoCodes ??= new Set(Intl.supportedValuesOf('currency'));
  return isoCodes.has(code);
}

/** Symbols and spellings that name exactly one currency. A lone `$` is handled apart: it is only USD by assumption. */
const SYMBOLS: Record<string, string> = {
  '€': 'EUR', eur: 'EUR', euro: 'EUR', euros: 'EUR',
  '£': 'GBP', 'gb£': 'GBP',
  'us$': 'USD', usd$: 'USD', 'u$s': 'USD', 'us dollar': 'USD', 'us dollars': 'USD',
  'c$': 'CAD', 'ca$': 'CAD', 'can$': 'CAD', 'a$': 'AUD', 'au$': 'AUD', 'nz$': 'NZD', 'hk$': 'HKD', 's$': 'SGD',
  'fr.': 'CHF', 'sfr.': 'CHF', sfr: 'CHF', 'chf.': 'CHF',
  '₹': 'INR', '₩': 'KRW', '₺': 'TRY', '₽': 'RUB', '₪': 'ILS', '₴': 'UAH', '₱': 'PHP', 'zł': 'PLN', 'kč': 'CZK',
};

/** Currency words of prose (policy texts, rate files): `euros`, `pounds sterling`, `swiss francs`. */
const WORDS: Record<string, string> = {
  dollar: 'USD', dollars: 'USD', 'pound sterling': 'GBP', 'pounds sterling': 'GBP', pound: 'GBP', pounds: 'GBP', sterling: 'GBP',
  'swiss franc': 'CHF', 'swiss francs': 'CHF', yen: 'JPY', '¥': 'JPY', 'u.s.$': 'USD',
};

/** The symbols and currency words {@link currencyCode} knows, longest first (for building patterns over prose). */
export const CURRENCY_SIGNS: readonly string[] = [...Object.keys(SYMBOLS), ...Object.keys(WORDS), '$'].sort((a, b) => b.length - a.length);

/**
 * The ISO 4217 code prose or a rules file means: a code in any case (`usd` → USD), a
 * symbol (`€`, `£`, `US$`, `HK$`; in prose a bare `$` is taken as USD) or a currency
 * word (`euros`, `pounds sterling`). Null when `s` is none of these. The same table as
 * the evidence's cells, so the rates, the evidence and the policy text agree on what
 * `US$` or `€` means.
 */
export function currencyCode(s: string | null | undefined): string | null {
  if (!s) return null;
  const t = s.trim().replace(/\s+/g, ' ');
  const read = readCurrency(t);
  if (read.code) return read.code;
  return WORDS[t.toLowerCase()] ?? null;
}

export interface CurrencyRead {
  code: string | null;
  /** True when a lone `$` was read as USD: the caller notes the assumption. */
  assumedDollar: boolean;
}

/**
 * Reads a currency cell or token: an ISO code in any case (`eur` → EUR), a symbol
 * (`€`, `£`, `US$`, `Fr.`), or a lone `$` (USD, flagged as assumed). Null when unknown.
 */
export function readCurrency(value: string): CurrencyRead {
  const v = value.trim();
  if (!v) return { code: null, assumedDollar: false };
  if (v === '$') return { code: 'USD', assumedDollar: true };
  const upper = v.toUpperCase();
  if (/^[A-Z]{3}$/.test(upper) && isIsoCurrency(upper)) return { code: upper, assumedDollar: false };
  return { code: SYMBOLS[v.toLowerCase()] ?? null, assumedDollar: false };
}

/** Minor units of a currency (JPY 0, KWD 3, most 2), from ICU. */
export function minorUnits(code: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** Symbol/code tokens that may lead or trail an amount cell (`USD 620,000.00`, `620.000,00 €`, `$1,234.56`). */
const AFFIX = /^(?:[A-Za-z]{3}|US\$|[A-Z]{1,2}\$|\$|€|£|₹|₩|₺|₽|₪|₴|₱|zł|Kč|S?Fr\.|CHF)/;

/**
 * Splits a currency written inside an amount cell from the number. Returns the
 * remaining text and the currency token found (raw), if any.
 */
export function splitCurrency(cell: string): { rest: string; token: string | null } {
  let s = cell.trim();
  // Leading: optional sign before the symbol (`-€5`, `-$1.00`) is kept with the number.
  const lead = /^([-+−(]?)\s*/.exec(s)?.[1] ?? '';
  const afterSign = s.slice(lead.length).trimStart();
  const m = AFFIX.exec(afterSign);
  if (m && !/^[0-9]/.test(afterSign) && (afterSign.length === m[0].length || /[\s0-9(+\-−.,]/.test(afterSign.charAt(m[0].length)))) {
    return { rest: (lead + afterSign.slice(m[0].length)).trim(), token: m[0] };
  }
  const t = /\s*(?:[A-Za-z]{3}|US\$|\$|€|£|₹|₩|₺|₽|₪|₴|₱|zł|Kč|S?Fr\.|CHF)$/.exec(s);
  if (t && t.index > 0) {
    const token = t[0].trim();
    // `620,00 CR` / `100 DR` are debit/credit marks, not currencies.
    if (/^(CR|DR)$/i.test(token)) return { rest: s, token: null };
    s = s.slice(0, t.index);
    return { rest: s.trim(), token };
  }
  return { rest: s, token: null };
}
