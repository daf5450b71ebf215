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

/** Whitespace collapsed, trimmed, at most `max` characters (with an ellipsis). */
export function clip(text: string, max: number): string {
  const one = String(text).replace(/\s+/g, ' ').trim();
  return one.length > max ? one.slice(0, max - 1) + '…' : one;
}
