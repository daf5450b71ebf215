import { describe, expect, it } from 'vitest';
import { rng } from '../../bench/rng.js';
import { jaccard, nearDuplicateGroups, nearIdentical } from '../../src/memory/text.js';

describe('nearDuplicateGroups', () => {
  it('leaves every near-identical variant holding one group whole (10,000 random cases)', () => {
    const r = rng(42);
    // Letters-only words (distinct per position), and now and then one holding digits.
    const letters = (i: number) => [...i.toString(26)].map((c) => String.fromCharCode(97 + parseInt(c, 26))).join('');
    const word = (i: number) => (r() < 0.1 ? `n${i}${Math.floor(r() * 100)}` : `w${letters(i)}${'x'.repeat(Math.floor(r() * 9))}`);
    let checked = 0;
    let atTheLimit = 0;
    for (let c = 0; c < 10_000; c++) {
      const n = 9 + Math.floor(r() * 40);
      const mine = new Set(Array.from({ length: n }, (_, i) => word(i)));
      // A variant: drop up to as many of mine as Jaccard ≥ 0.9 allows (any of them), add up to one new word.
      const allowed = n - Math.ceil(0.9 * n - 1e-9);
      const dropped = new Set([...mine].sort(() => r() - 0.5).slice(0, Math.floor(r() * (allowed + 1))));
      const theirs = new Set([...mine].filter((w) => !dropped.has(w)));
      if (r() < 0.3) theirs.add('extra');
      if (!nearIdentical(mine, theirs, 0.9)) continue;
      checked++;
      const missing = [...mine].filter((w) => !theirs.has(w)).length;
      if (missing > 0 && missing === allowed) atTheLimit++;
      const groups = nearDuplicateGroups(mine, 0.9, 4);
      expect(groups.some((g) => g.length > 0 && g.every((w) => theirs.has(w))), `mine ${[...mine].join(' ')} | theirs ${[...theirs].join(' ')}`).toBe(true);
    }
    // The generator makes plenty of near-identical pairs, including ones missing the most words allowed.
    expect(checked).toBeGreaterThan(2_500);
    expect(atTheLimit).toBeGreaterThan(500);
  });

  it('cuts m + 1 disjoint groups of the longest words, with the words holding digits in each', () => {
    const mine = new Set(['alpha', 'bravoo', 'charlie', 'deltaaaa', 'echo', 'foxtrott', 'golf', 'hotel', 'india', 'juliett', '2025']);
    // 11 words, Jaccard ≥ 0.9: at most 11 − ⌈9.9⌉ = 1 missing, so 2 groups.
    const groups = nearDuplicateGroups(mine, 0.9, 4);
    expect(groups).toEqual([
      ['2025', 'deltaaaa', 'foxtrott', 'charlie', 'juliett'],
      ['2025', 'bravoo', 'alpha', 'hotel', 'india'],
    ]);
    expect(jaccard(mine, new Set([...mine].filter((w) => w !== 'deltaaaa')))).toBeGreaterThanOrEqual(0.9);
  });
});
