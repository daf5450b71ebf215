import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchName, tokensAlike } from '../../../src/workers/compliance/names.js';
import { variation, word } from './arbitraries.js';

describe('matchName properties', () => {
  it('is symmetric in argument order', () => {
    const pool = fc.constantFrom('orion', 'shell', 'holdings', 'holdngs', 'group', 'cyprus', 'ltd', 'the', 'globex', 'shipping', 'oryon', 'international', 'marine');
    const name = fc.array(pool, { minLength: 0, maxLength: 5 }).map((ws) => ws.join(' '));
    fc.assert(
      fc.property(name, name, fc.constantFrom(0, 80, 90, 100), (a, b, threshold) => {
        expect(matchName(a, b, { threshold })).toEqual(matchName(b, a, { threshold }));
      }),
      { numRuns: 500 },
    );
  });

  it('always matches a variation of a name in case, punctuation, accents and legal form', () => {
    const named = fc.uniqueArray(word, { minLength: 1, maxLength: 5 }).chain((words) => fc.tuple(fc.constant(words.join(' ')), variation(words)));
    fc.assert(
      fc.property(named, ([name, varied]) => {
        const m = matchName(varied, name);
        expect(m.matched, `${varied} vs ${name}: ${m.why}`).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('never matches a name with one of its words replaced by another', () => {
    const replaced = fc
      .uniqueArray(word, { minLength: 2, maxLength: 5 })
      .chain((words) => fc.tuple(fc.constant(words), fc.integer({ min: 0, max: words.length - 1 }), word))
      .filter(([words, i, other]) => !words.includes(other) && !tokensAlike(words[i]!, other));
    fc.assert(
      fc.property(replaced, ([words, i, other]) => {
        const changed = words.map((w, j) => (j === i ? other : w)).join(' ');
        const m = matchName(changed, words.join(' '));
        expect(m.matched, `${changed} vs ${words.join(' ')}: ${m.why}`).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
