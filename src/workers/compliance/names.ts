import * as fuzz from 'fuzzball';
import { COUNTRY_WORDS, GENERIC_WORDS, LEGAL_FORMS, STOP_WORDS } from './name-words.js';

/** A party name reduced to what identifies it. Build one with {@link normalizeName}. */
export interface NormalizedName {
  /** `tokens` joined by single spaces: what the similarity score compares. */
  text: string;
  /** Lower-case ASCII-folded words, legal forms and stop words removed, in name order. */
  tokens: string[];
  /**
   * The tokens that only say where or in which capacity (a trailing country, or the
   * words of a trailing parenthetical such as `(Cyprus)` or `(in liquidation)`). They
   * stay in `tokens`; matching lets a name add them without becoming another party.
   */
  qualifiers: string[];
}

/** Letters that Unicode decomposition does not reduce to a base letter plus accents. */
const FOLD: Record<string, string> = { ß: 'ss', ẞ: 'ss', ø: 'o', Ø: 'o', æ: 'ae', Æ: 'ae', œ: 'oe', Œ: 'oe', ł: 'l', Ł: 'l', đ: 'd', Đ: 'd', ð: 'd', Ð: 'd', þ: 'th', Þ: 'th', ı: 'i', ħ: 'h', Ħ: 'h' };
const FOLDABLE = new RegExp(`[${Object.keys(FOLD).join('')}]`, 'g');
// The combining-mark blocks used by Latin, Greek and Cyrillic accents only: marks of
// scripts such as Devanagari carry vowels, and removing them would garble the name.
const ACCENTS = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/g;
const APOSTROPHES = /['’‘ʼ`´]/g;
// `s.a.`, `l.l.c.`, `e.V.`, `a.k.a.`: single letters joined by dots are one word, and
// must be joined before punctuation turns them into loose letters.
const DOTTED = /(?<![\p{L}\p{N}])\p{L}(?:\.\p{L})+\.?(?![\p{L}\p{N}])/gu;
// `A/S`, `S/A`: the same for a slash between two single letters.
const SLASHED = /(?<![\p{L}\p{N}])(\p{L})\/(\p{L})(?![\p{L}\p{N}])/gu;
const TRAILING_PARENTHETICAL = /\(([^()]*)\)?\s*$/;

const fold = (s: string) =>
  s
    .replace(FOLDABLE, (c) => FOLD[c] ?? c)
    .normalize('NFKD')
    .replace(ACCENTS, '')
    .toLowerCase()
    .replace(DOTTED, (m) => m.replace(/\./g, ''))
    .replace(SLASHED, '$1$2')
    .replace(/&/g, ' and ')
    .replace(APOSTROPHES, '');

// Recompose (NFC) so token lengths agree with what fuzzball measures for scripts that
// NFKD splits into several code points (Hangul).
const words = (s: string) =>
  s
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .split(' ')
    .filter(Boolean)
    .map((w) => w.normalize('NFC'));

/** Phrases by their last word, so the walk back from a name's end looks up only candidates. */
const byLastWord = (list: readonly string[][]) => {
  const m = new Map<string, string[][]>();
  for (const p of list) m.set(p[p.length - 1]!, [...(m.get(p[p.length - 1]!) ?? []), p]);
  return m;
};
const LEGAL_BY_LAST = byLastWord(LEGAL_FORMS);
const COUNTRY_BY_LAST = byLastWord(COUNTRY_WORDS);

/** Length of the longest phrase of `list` that ends `tokens` at index `end` (exclusive), or 0. */
function phraseEndingAt(tokens: readonly string[], end: number, list: ReadonlyMap<string, string[][]>): number {
  let best = 0;
  for (const p of list.get(tokens[end - 1] ?? '') ?? []) {
    if (p.length <= best || p.length > end) continue;
    if (p.every((w, i) => tokens[end - p.length + i] === w)) best = p.length;
  }
  return best;
}

/**
 * Reduces a party name to the words that identify it: Unicode accents folded (`Oríon`
 * → `orion`, `ß` → `ss`, `ø` → `o`, `æ` → `ae`, `ł` → `l`), lower case, `&` → `and`,
 * punctuation and hyphens → spaces except apostrophes, which join (`O'Brien` →
 * `obrien`), dotted abbreviations joined (`S.A.` → `sa`).
 *
 * Then, walking back from the end of the name, legal forms (`Ltd`, `GmbH`,
 * `S.p.A.`, `Limited Liability Company`, …) and stop words are dropped, and countries
 * are kept but marked as qualifiers, so a legal form before a trailing country
 * (`Orion Ltd Cyprus`) or a trailing parenthetical (`Orion Ltd (Cyprus)`) goes too;
 * the parenthetical's own words become qualifiers. Last, `the`, `of` and `and` are
 * dropped anywhere.
 *
 * Never returns an empty name for a non-empty one: a name made only of legal forms
 * and stop words (`The Company Ltd`) keeps all its words, and a name whose words are
 * all qualifiers (`Cyprus`) has none marked. A string without letters or digits gives
 * no tokens at all.
 */
export function normalizeName(s: string): NormalizedName {
  let main = fold(s);
  const parentheticals: string[] = [];
  for (let m = TRAILING_PARENTHETICAL.exec(main); m && m[0].trim(); m = TRAILING_PARENTHETICAL.exec(main)) {
    parentheticals.unshift(m[1] ?? '');
    main = main.slice(0, m.index);
  }
  const raw = words(main);
  const trailingQualifiers: string[] = [];
  let end = raw.length;
  for (;;) {
    const legal = Math.max(phraseEndingAt(raw, end, LEGAL_BY_LAST), STOP_WORDS.has(raw[end - 1] ?? '') ? 1 : 0);
    if (legal) {
      end -= legal;
      continue;
    }
    const country = phraseEndingAt(raw, end, COUNTRY_BY_LAST);
    if (!country) break;
    trailingQualifiers.unshift(...raw.slice(end - country, end));
    end -= country;
  }
  const inParens = parentheticals.flatMap((p) => {
    const w = words(p);
    let e = w.length;
    for (let n = phraseEndingAt(w, e, LEGAL_BY_LAST); n; n = phraseEndingAt(w, e, LEGAL_BY_LAST)) e -= n;
    return w.slice(0, e).filter((t) => !STOP_WORDS.has(t));
  });
  let core = raw.slice(0, end).filter((t) => !STOP_WORDS.has(t));
  let qualifiers = [...trailingQualifiers.filter((t) => !STOP_WORDS.has(t)), ...inParens];
  if (!core.length && !qualifiers.length) {
    // Only legal forms and stop words: they are the name.
    core = [...raw, ...parentheticals.flatMap(words)];
  } else if (!core.length) {
    // Only qualifiers (`Cyprus`, `(Malta)`): they are what identifies it.
    core = qualifiers;
    qualifiers = [];
  }
  const tokens = [...core, ...qualifiers];
  return { text: tokens.join(' '), tokens, qualifiers };
}

/** The verdict on one pair of names. */
export interface NameMatch {
  /** fuzzball's token-set similarity of the normalised names, 0–100. */
  score: number;
  matched: boolean;
  /** A few words on why: `all 3 words match`, `"orion holdings" lacks "shell"`. */
  why: string;
}

/** The similarity at or above which two names that pass the word checks match. */
export const DEFAULT_NAME_THRESHOLD = 90;

/** Two tokens are the same word with a typo: the longer has ≥ 5 letters and fuzz.ratio ≥ 88. */
export function tokensAlike(a: string, b: string): boolean {
  const sum = a.length + b.length;
  // fuzz.ratio ≥ 88 needs an edit distance (substitution = 2) of at most sum / 8, and
  // the distance is at least the length difference: most pairs fail before fuzzball runs.
  return Math.max(a.length, b.length) >= 5 && Math.abs(a.length - b.length) * 8 <= sum && fuzz.ratio(a, b, { full_process: false }) >= 88;
}

/**
 * Whether a screened name and a watch-list entry name the same party.
 *
 * The score is fuzzball's `token_set_ratio` of the two normalised texts, its own
 * processing off (but see 5.). Token-set similarity scores any subset 100 (`Orion
 * Holdings` vs `Orion Shell Holdings`), so a name matches only when the score is ≥
 * `threshold` (default 90) AND the words agree:
 *
 * 1. Order the two names: the one with fewer distinct tokens first (ties: the
 *    alphabetically smaller text). Call them the shorter and the longer.
 * 2. Pair tokens: equal tokens first, then typo pairs (see {@link tokensAlike}), best
 *    ratio first, each token used once.
 * 3. Every token of the shorter must be paired — otherwise `"<longer>" lacks "<word>"`.
 * 4. The longer's unpaired tokens are extras. Extras that only qualify (a trailing
 *    country or parenthetical of the longer) or that are generic (`holdings`,
 *    `group`, `international`, …) are free — unless the shorter has no distinctive
 *    word at all, then every extra counts. The others count: none is allowed when the
 *    shorter has ≤ 2 distinctive words (`Orion` ≠ `Orion Shell`, `Orion Holdings` ≠
 *    `Orion Shell Holdings`, `Globex` ≠ `Globex Shipping`), one when it has ≥ 3 (a
 *    three-word name found whole in a longer one is specific enough to review).
 * 5. The score then compares the shorter with the longer less its free extras, so
 *    that a typo plus a country (`Orion Shell Holdngs` vs `… Holdings (Cyprus)`) is
 *    not pushed under the threshold by a word that cannot make a difference.
 *
 * Symmetric: `matchName(a, b)` and `matchName(b, a)` give the same result.
 */
export function matchName(candidate: string | NormalizedName, entry: string | NormalizedName, opts: { threshold?: number } = {}): NameMatch {
  const a = typeof candidate === 'string' ? normalizeName(candidate) : candidate;
  const b = typeof entry === 'string' ? normalizeName(entry) : entry;
  return judgeNames(a, b, opts.threshold ?? DEFAULT_NAME_THRESHOLD, true);
}

interface Side {
  name: NormalizedName;
  unique: string[];
  /** Tokens an extra may be without counting: qualifiers and generic words. */
  free: ReadonlySet<string>;
  distinctive: number;
}

// Screening judges the same entries again and again; a NormalizedName is a value, so
// what is derived from it can be kept with it.
const sides = new WeakMap<NormalizedName, Side>();

function side(name: NormalizedName): Side {
  let s = sides.get(name);
  if (!s) {
    const unique = [...new Set(name.tokens)];
    const q = new Set(name.qualifiers);
    const free = new Set(unique.filter((t) => q.has(t) || GENERIC_WORDS.has(t)));
    s = { name, unique, free, distinctive: unique.length - free.size };
    sides.set(name, s);
  }
  return s;
}

/**
 * The tokens of `name` that never make it a different party when added to another
 * name: its qualifiers and generic words (`holdings`, `group`, …). The others are
 * its distinctive tokens.
 */
export function freeTokens(name: NormalizedName): ReadonlySet<string> {
  return side(name).free;
}

const quoted = (ts: readonly string[]) => ts.map((t) => `"${t}"`).join(', ');
const REJECTED: NameMatch = Object.freeze({ score: 0, matched: false, why: 'words differ' });

/**
 * {@link matchName} on normalised names. For screening (`explain` false) a rejection
 * is the same unscored `REJECTED` verdict: only matches are shown, and most pairs a
 * screen judges are rejections.
 */
export function judgeNames(x: NormalizedName, y: NormalizedName, threshold: number, explain: boolean): NameMatch {
  let s = side(x);
  let l = side(y);
  if (l.unique.length < s.unique.length || (l.unique.length === s.unique.length && l.name.text < s.name.text)) [s, l] = [l, s];
  if (!s.unique.length) return explain ? { score: 0, matched: false, why: 'a name without letters or digits' } : REJECTED;
  const similarity = (longText: string) => (s.name.text && longText ? fuzz.token_set_ratio(s.name.text, longText, { full_process: false }) : 0);

  const longRest = new Set(l.unique);
  const shortRest: string[] = [];
  for (const t of s.unique) if (!longRest.delete(t)) shortRest.push(t);
  const typos: Array<[string, string]> = [];
  if (shortRest.length && longRest.size) {
    const pairs: Array<{ a: string; b: string; r: number }> = [];
    for (const a of shortRest) for (const b of longRest) if (tokensAlike(a, b)) pairs.push({ a, b, r: fuzz.ratio(a, b, { full_process: false }) });
    pairs.sort((p, q) => q.r - p.r || (p.a < q.a ? -1 : p.a > q.a ? 1 : p.b < q.b ? -1 : p.b > q.b ? 1 : 0));
    for (const p of pairs) {
      if (typos.some(([a]) => a === p.a) || !longRest.has(p.b)) continue;
      longRest.delete(p.b);
      typos.push([p.a, p.b]);
    }
  }
  if (shortRest.length > typos.length) {
    if (!explain) return REJECTED;
    const lacking = shortRest.filter((t) => !typos.some(([a]) => a === t));
    return { score: similarity(l.name.text), matched: false, why: `"${l.name.text}" lacks ${quoted(lacking)}` };
  }

  const extras = [...longRest];
  const counted = s.distinctive ? extras.filter((t) => !l.free.has(t)) : extras;
  const allowed = s.distinctive >= 3 ? 1 : 0;
  if (counted.length > allowed) return explain ? { score: similarity(l.name.text), matched: false, why: `"${s.name.text}" lacks ${quoted(counted)}` } : REJECTED;

  // Free extras cannot make the names differ, so they do not lower the score either:
  // `Orion Shell Holdngs` vs `Orion Shell Holdings (Cyprus)` scores as without `cyprus`.
  const free = new Set(extras.filter((t) => !counted.includes(t)));
  // Without typo pairs the shorter's words are a subset of the rest of the longer's,
  // which token-set similarity scores 100 by construction: no need to compute it.
  const value = typos.length ? similarity(free.size ? l.name.tokens.filter((t) => !free.has(t)).join(' ') : l.name.text) : 100;
  if (value < threshold && !explain) return REJECTED;
  const n = s.unique.length;
  let why = `${n === 1 ? 'the one word' : `all ${n} words`} ${extras.length ? `of "${s.name.text}" found` : n === 1 ? 'matches' : 'match'}`;
  if (typos.length) why += `, ${typos.map(([a, b]) => `"${a}" ≈ "${b}"`).join(', ')}`;
  if (extras.length) why += `, plus ${quoted(extras)}`;
  if (value < threshold) return { score: value, matched: false, why: `${why}, but similarity ${value} < ${threshold}` };
  return { score: value, matched: true, why };
}
