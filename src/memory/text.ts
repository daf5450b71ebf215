import { createHash } from 'node:crypto';

/** Longest textKey kept verbatim; longer texts keep a prefix plus a hash of the whole. */
const MAX_TEXT_KEY = 200;

/** Folded words: NFKD without diacritics, lower-case, runs of letters and digits (like FTS5 unicode61). */
export function words(text: string): string[] {
  const folded = String(text).normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
  return folded.match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * The normalised text key duplicates consolidate on: case, accents, punctuation and
 * spacing do not matter ("Revenue grew 12%." = "revenue  grew 12 %"). Bounded, so it
 * can be indexed: a long text keeps its first words plus a hash of all of them.
 */
export function textKey(text: string): string {
  const key = words(text).join(' ');
  if (key.length <= MAX_TEXT_KEY) return key;
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 32);
  return `${key.slice(0, MAX_TEXT_KEY - 33)}#${hash}`;
}

/** A topic key (`data.key` on a fact/preference event): same folding, at most 200 chars, null when empty. */
export function topicKey(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const key = words(value).join('-').slice(0, MAX_TEXT_KEY);
  return key === '' ? null : key;
}

/** Token-set Jaccard similarity: |A ∩ B| / |A ∪ B|. Two empty texts are identical. */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let inter = 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const w of small) if (large.has(w)) inter++;
  return inter / (a.size + b.size - inter);
}

/**
 * Near-identical statements: word sets at least `threshold` alike (Jaccard) *and* the
 * same numbers. Word overlap alone would merge "revenue grew 12% in 2024" with "…15%…"
 * — one token apart, opposite facts — so any word holding a digit must match exactly.
 */
export function nearIdentical(a: ReadonlySet<string>, b: ReadonlySet<string>, threshold: number): boolean {
  for (const w of a) if (/\d/.test(w) && !b.has(w)) return false;
  for (const w of b) if (/\d/.test(w) && !a.has(w)) return false;
  return jaccard(a, b) >= threshold;
}

/**
 * Word groups every text near-identical to `mine` holds whole, at least one of them —
 * so an index lookup for "all words of some group" finds every near duplicate:
 * - Jaccard ≥ t over mine's n words means sharing at least ⌈t·n⌉ of them, so missing at
 *   most m = n − ⌈t·n⌉; of m + 1 disjoint groups of mine's words, one is then whole in it.
 * - Words holding a digit must all be shared (nearIdentical), so they join every group.
 * Groups take the longest (usually rarest) words, at most `perGroup` besides the digits.
 */
export function nearDuplicateGroups(mine: ReadonlySet<string>, threshold: number, perGroup: number): string[][] {
  const digits = [...mine].filter((w) => /\d/.test(w)).sort(longestFirst).slice(0, 2);
  const rest = [...mine].filter((w) => !/\d/.test(w)).sort(longestFirst);
  // Missing words may be any of mine, digits included; the groups are cut from `rest` alone,
  // which is safe because a text missing a digit word is never near-identical.
  const missable = mine.size - Math.ceil(threshold * mine.size - 1e-9);
  const count = missable + 1;
  if (rest.length < count) return digits.length ? [digits] : [];
  const size = Math.max(1, Math.min(perGroup, Math.floor(rest.length / count)));
  return Array.from({ length: count }, (_, i) => [...digits, ...rest.slice(i * size, (i + 1) * size)]);
}

const longestFirst = (a: string, b: string) => b.length - a.length || (a < b ? -1 : a > b ? 1 : 0);

/** Whitespace collapsed, trimmed, at most `max` characters (with an ellipsis). */
export function clip(text: string, max: number): string {
  const one = String(text).replace(/\s+/g, ' ').trim();
  return one.length > max ? one.slice(0, max - 1) + '…' : one;
}
