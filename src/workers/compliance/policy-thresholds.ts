import { CURRENCY_SIGNS, currencyCode } from '../evidence/currency.js';

/** An amount a policy sentence sets as the point from which a rule applies. */
export interface PolicyThreshold {
  amount: number;
  /** ISO code (`€` → EUR, a bare `$` → USD). */
  currency: string;
  /** The sentence that states it. */
  text: string;
  citation: unknown;
  /** `aggregate` when the amount is a sum over time or over payments ("cumulative", "per month"). */
  kind: 'single' | 'aggregate';
  /** Whether an amount equal to the threshold is caught ("at least", "or more", "≥") or only above it. */
  inclusive: boolean;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const CODES = 'EUR USD GBP CHF JPY CNY HKD SGD AUD CAD NZD SEK NOK DKK ISK PLN CZK HUF RON BGN TRY RUB UAH INR BRL MXN ARS CLP ZAR AED SAR QAR ILS KRW TWD THB MYR IDR PHP';
const CURRENCY = `(?:(?<![A-Za-z])(?:${CODES.split(' ').join('|')})(?![A-Za-z])|${CURRENCY_SIGNS.map((s) => (/^[a-z]/.test(s) ? `(?<![\\p{L}])${escape(s)}(?![\\p{L}])` : escape(s))).join('|')})`;
// Grouped thousands must use one separator throughout (`1'000'000`, `10.000`, `50 000`),
// so a number is not glued to the next one across a space.
const number = (sep: string) => `(?:\\d{1,3}(?<${sep}>[,.'’ \\u00a0\\u202f])\\d{3}(?:\\k<${sep}>\\d{3})*(?:[.,]\\d{1,2})?|\\d+(?:[.,]\\d+)?)`;
const MULTIPLIER = `(?:\\s?(?:million|mio\\.?|mn|m|billion|bn|thousand|k)(?![\\p{L}]))`;
const MONEY = `(?:(?<c1>${CURRENCY})\\s?(?<n1>${number('s1')})(?<m1>${MULTIPLIER})?|(?<n2>${number('s2')})(?<m2>${MULTIPLIER})?\\s?(?<c2>${CURRENCY}))`;
const INCLUSIVE_BEFORE = 'greater than or equal to|more than or equal to|equal to or (?:greater|more|higher) than|at or above|not less than|no less than|(?:of )?at least|threshold (?:of|is|at)|≥|>=';
const STRICT_BEFORE = 'in excess of|upwards of|exceed(?:s|ing)?|above|over|more than|greater than|higher than|larger than|>';
const FILLER = `(?:\\s*(?:the|a|an)?\\s*(?:equivalent|value|amount|sum|total|aggregate)\\s+(?:value\\s+|amount\\s+)?of)?`;
const BEFORE = new RegExp(`(?<![\\p{L}])(?:(?<incl>${INCLUSIVE_BEFORE})|(?<strict>${STRICT_BEFORE}))${FILLER}\\s*${MONEY}`, 'giu');
const AFTER = new RegExp(`(?<![\\p{L}\\d])${MONEY}\\s*(?:or|and)\\s+(?:more|above|over|higher|greater|upwards)(?![\\p{L}])`, 'giu');
const BETWEEN = new RegExp(`(?<![\\p{L}])between\\s+${MONEY}\\s+and\\b`, 'giu');

/** Words before the comparator that make the amount something other than a payment threshold. */
const NOT_A_PAYMENT = /\b(?:fines?|penalt(?:y|ies)|fees?|charges?|turnover|revenues?|salar(?:y|ies)|insurance|insured|loss(?:es)?|budget|bonus(?:es)?)\b[^.;]{0,30}$/i;
/** A sentence about payments, or one that states an obligation. */
const RULE_CUE = /\b(?:payments?|transactions?|transfers?|wires?|remittances?|deposits?|withdrawals?|amounts?|sums?|invoices?|disbursements?|must|shall|requires?|required|subject to|needs?|approv\w*|review\w*|report\w*|escalat\w*|flag\w*|sign-off|due diligence|EDD)\b/i;
const AGGREGATE_CUE = /\b(?:cumulative(?:ly)?|aggregated?|in (?:the )?aggregate|in total|totall?ing|combined|sum of|series of|linked (?:payments|transactions)|per (?:calendar )?(?:day|week|month|quarter|year)|(?:in )?(?:a|any|one|each) (?:single )?(?:calendar )?(?:day|week|month|quarter|year)|daily|weekly|monthly|quarterly|yearly|annually|rolling|within (?:a |any )?\d+ (?:days|weeks|months)|over (?:a|any) (?:period|\d+))\b/i;
const CLAUSE_BREAK = /;|\s(?:or|and|while|whereas|but)\s/i;

const MULTIPLIERS: Record<string, number> = { million: 1e6, mio: 1e6, 'mio.': 1e6, mn: 1e6, m: 1e6, billion: 1e9, bn: 1e9, thousand: 1e3, k: 1e3 };

/**
 * A written amount as a number: `,` `.` space or apostrophe as thousands separators
 * (`1'000'000`, `10.000`, `50 000`), the last of `,`/`.` as the decimal mark when
 * both occur (`10.000,50`), a single separator followed by exactly three digits as
 * thousands (`10.000` = 10000), otherwise as decimals (`2.5`, `1,5`).
 */
export function parseAmount(digits: string, multiplier = ''): number {
  let s = digits.replace(/['’ \u00a0\u202f]/g, '');
  const lastComma = s.lastIndexOf(',');
  const lastDot = s.lastIndexOf('.');
  if (lastComma >= 0 && lastDot >= 0) {
    const dec = lastComma > lastDot ? ',' : '.';
    s = s.split(dec === ',' ? '.' : ',').join('').replace(dec, '.');
  } else if (lastComma >= 0 || lastDot >= 0) {
    const sep = lastComma >= 0 ? ',' : '.';
    const parts = s.split(sep);
    s = parts.length > 2 || parts[parts.length - 1]!.length === 3 ? parts.join('') : parts.join('.');
  }
  const m = MULTIPLIERS[multiplier.trim().toLowerCase()] ?? 1;
  return Math.round(Number(s) * m * 100) / 100;
}

// Not after an abbreviation: `2 Mio. EUR`, `Art. 5`, `approx. USD 10,000` stay in one sentence.
const SENTENCE_END = /(?<=[.!?])(?<!\b(?:Mio|Mrd|Mn|approx|ca|e\.g|i\.e|No|Nr|Art|Sec|Sect|para|cf|vs|Inc|Ltd|Co|Corp|incl|excl|min|max)\.)\s+(?=[A-Z"“(])/i;
const sentencesOf = (text: string) => text.split(SENTENCE_END).map((s) => s.trim()).filter(Boolean);

interface Found {
  phrase: string;
  start: number;
  end: number;
  amount: number;
  currency: string;
  inclusive: boolean;
}

function amountsIn(sentence: string): Found[] {
  const found: Found[] = [];
  const take = (re: RegExp, inclusive: (g: Record<string, string | undefined>) => boolean) => {
    for (const m of sentence.matchAll(re)) {
      const g = m.groups ?? {};
      const currency = currencyCode(g.c1 ?? g.c2);
      const amount = parseAmount(g.n1 ?? g.n2 ?? '', g.m1 ?? g.m2 ?? '');
      const start = m.index;
      if (!currency || !(amount > 0)) continue;
      if (NOT_A_PAYMENT.test(sentence.slice(Math.max(0, start - 40), start))) continue;
      if (found.some((f) => f.start < start + m[0].length && start < f.end)) continue;
      found.push({ phrase: m[0], start, end: start + m[0].length, amount, currency, inclusive: inclusive(g) });
    }
  };
  take(BEFORE, (g) => g.incl !== undefined);
  take(AFTER, () => true);
  take(BETWEEN, () => true);
  return found.sort((a, b) => a.start - b.start);
}

/**
 * The payment thresholds a policy's lines state: an amount with its currency after a
 * comparator ("above", "over", "exceeding", "in excess of", "more than", "greater
 * than or equal to", "at least", "≥", …), before "or more"/"and above", or the lower
 * end of "between X and Y". Amounts take `,` `.` space or apostrophe thousands
 * separators and `k`/`m`/`million`/`bn` (see {@link parseAmount}); currencies are
 * codes, symbols (`€`, `US$`) or words (`euros`).
 *
 * Not thresholds, so not returned: numbers without a currency (dates, clause and page
 * numbers, "10 days", percentages), amounts without a comparator or capped by one
 * ("up to", "below"), fines, fees and other non-payment amounts, and sentences about
 * neither payments nor an obligation. `kind` is `aggregate` when the clause around
 * the amount speaks of a sum ("cumulative", "in aggregate", "per month", "within 30
 * days"). Results follow the lines' order; `text` is the sentence.
 */
export function findPolicyThresholds(lines: ReadonlyArray<{ text: string; citation: unknown }>): PolicyThreshold[] {
  const out: PolicyThreshold[] = [];
  for (const { text, citation } of lines) {
    for (const sentence of sentencesOf(text)) {
      if (!RULE_CUE.test(sentence)) continue;
      const found = amountsIn(sentence);
      found.forEach((f, i) => {
        const lead = sentence.slice(found[i - 1]?.end ?? 0, f.start);
        let tail = sentence.slice(f.end, found[i + 1]?.start ?? sentence.length);
        const brk = found[i + 1] ? CLAUSE_BREAK.exec(tail) : null;
        if (brk) tail = tail.slice(0, brk.index);
        const kind = AGGREGATE_CUE.test(`${lead} ${f.phrase} ${tail}`) ? 'aggregate' : 'single';
        out.push({ amount: f.amount, currency: f.currency, text: sentence, citation, kind, inclusive: f.inclusive });
      });
    }
  }
  return out;
}
