/**
 * Currency codes from the ways documents write them. One place owns the rule so the
 * rate table, the evidence and the policy text agree on what `US$` or `€` means.
 */

const SYMBOLS: Record<string, string> = {
  '€': 'EUR', '$': 'USD', 'us$': 'USD', 'usd$': 'USD', 'u.s.$': 'USD', '£': 'GBP', '¥': 'JPY', '₹': 'INR', '₽': 'RUB', '₺': 'TRY', '₩': 'KRW', '₪': 'ILS',
  'a$': 'AUD', 'au$': 'AUD', 'c$': 'CAD', 'ca$': 'CAD', 'hk$': 'HKD', 's$': 'SGD', 'nz$': 'NZD', 'sfr': 'CHF', 'sfr.': 'CHF', 'fr.': 'CHF', 'zł': 'PLN',
  euro: 'EUR', euros: 'EUR', 'us dollar': 'USD', 'us dollars': 'USD', dollar: 'USD', dollars: 'USD', 'pound sterling': 'GBP', 'pounds sterling': 'GBP',
  pound: 'GBP', pounds: 'GBP', sterling: 'GBP', 'swiss franc': 'CHF', 'swiss francs': 'CHF', yen: 'JPY',
};

/** The symbols and currency words {@link currencyCode} knows, longest first (for building patterns). */
export const CURRENCY_SIGNS: readonly string[] = Object.keys(SYMBOLS).sort((a, b) => b.length - a.length);

/**
 * The ISO 4217 code a document means: a three-letter code in any case (`usd` →
 * `USD`), a symbol (`€`, `£`, `US$`, `HK$`; a bare `$` is taken as USD) or a currency
 * word (`euros`, `pounds sterling`). Null when `s` is none of these.
 */
export function currencyCode(s: string | null | undefined): string | null {
  if (!s) return null;
  const t = s.trim().replace(/\s+/g, ' ');
  if (/^[A-Za-z]{3}$/.test(t)) return t.toUpperCase();
  return SYMBOLS[t.toLowerCase()] ?? null;
}
