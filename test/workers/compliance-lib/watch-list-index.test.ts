import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchName } from '../../../src/workers/compliance/names.js';
import { watchListEntry, WatchListIndex, type WatchListEntry } from '../../../src/workers/compliance/watch-list.js';

const bruteForce = (entries: WatchListEntry[], name: string, threshold: number) =>
  entries
    .map((entry, at) => ({ entry, at, m: matchName(name, entry.normalized, { threshold }) }))
    .filter((x) => x.m.matched)
    .sort((a, b) => b.m.score - a.m.score || a.at - b.at)
    .map(({ entry, m }) => ({ entry, score: m.score, why: m.why }));

/** Words with near-twins (one typo apart), generic words, legal forms, a country and long words. */
const VOCABULARY = [
  'orion', 'orin', 'oryon', 'shell', 'shel', 'holdings', 'holdngs', 'group', 'globex', 'globx', 'marine', 'pharma', 'acme', 'zeta',
  'versicherungsgesellschaft', 'versicherungsgeselschaft', 'versicherungsgesellschaften', 'internationalization', 'internationalisation',
  'ltd', 'gmbh', 'cyprus', 'the', 'shipping', 'shippingg', 'abcdefghijklm', 'abcdefghijkl', 'bcdefghijklmn',
];
const name = fc
  .tuple(fc.array(fc.constantFrom(...VOCABULARY), { minLength: 1, maxLength: 4 }), fc.constantFrom('', ' (Cyprus)', ' Ltd', ' (Malta)'))
  .map(([ws, tail]) => ws.join(' ') + tail);

describe('WatchListIndex', () => {
  it('finds the watch-listed party behind a variant spelling, best match first', () => {
    const index = new WatchListIndex([
      watchListEntry('Orion Holdings Ltd', 'list:1'),
      watchListEntry('Orion Shell Holdings Ltd', 'list:2'),
      watchListEntry('Globex', 'list:3'),
      watchListEntry('Orion Shell Holdngs', 'list:4'),
    ]);
    const hits = index.screen('ORION SHELL HOLDINGS LIMITED (Cyprus)');
    expect(hits.map((h) => [h.entry.citation, h.score])).toEqual([
      ['list:2', 100],
      ['list:4', 97],
    ]);
    expect(hits[0]!.why).toBe('all 3 words of "orion shell holdings" found, plus "cyprus"');
  });

  it('finds nothing for a name that only shares a common word', () => {
    const index = new WatchListIndex([watchListEntry('Orion Shell Holdings Ltd', null), watchListEntry('Zeta Holdings', null)]);
    expect(index.screen('Acme Holdings')).toEqual([]);
  });

  it('finds an entry whose only word differs by a typo in its first letters', () => {
    const index = new WatchListIndex([watchListEntry('Versicherungsgesellschaft Nord', null), watchListEntry('Holdings Globex', null)]);
    expect(index.screen('Holdings Lgobex').map((h) => h.entry.name)).toEqual([]);
    expect(index.screen('Versicherungsgeselschaft Nord').map((h) => h.entry.name)).toEqual(['Versicherungsgesellschaft Nord']);
    expect(index.screen('Globexx Holdings').map((h) => h.entry.name)).toEqual(['Holdings Globex']);
  });

  it('finds every typo-alike one-word entry that comparing with each would, at any word length', () => {
    const letters = fc.constantFrom(...'abcdefghij');
    const token = fc.array(letters, { minLength: 3, maxLength: 22 }).map((cs) => cs.join(''));
    const edit = fc.tuple(fc.constantFrom('delete', 'insert', 'replace'), fc.nat(), letters);
    const variant = fc.tuple(token, fc.array(edit, { maxLength: 3 })).map(([t, edits]) =>
      edits.reduce((s, [kind, at, c]) => {
        const i = at % (s.length + 1);
        return kind === 'insert' ? s.slice(0, i) + c + s.slice(i) : kind === 'delete' ? s.slice(0, i) + s.slice(i + 1) : s.slice(0, i) + c + s.slice(i + 1);
      }, t),
    );
    fc.assert(
      fc.property(fc.array(variant, { minLength: 1, maxLength: 30 }), variant, (listed, screened) => {
        const entries = listed.map((n, i) => watchListEntry(n, i));
        expect(new WatchListIndex(entries).screen(screened, 0)).toEqual(bruteForce(entries, screened, 0));
      }),
      { numRuns: 300 },
    );
  });

  it('gives exactly the matches of matchName against every entry', () => {
    fc.assert(
      fc.property(fc.array(name, { minLength: 0, maxLength: 40 }), fc.array(name, { minLength: 1, maxLength: 10 }), fc.constantFrom(0, 85, 90, 100), (listed, screened, threshold) => {
        const entries = listed.map((n, i) => watchListEntry(n, i));
        const index = new WatchListIndex(entries);
        for (const s of screened) expect(index.screen(s, threshold)).toEqual(bruteForce(entries, s, threshold));
      }),
      { numRuns: 300 },
    );
  });
});
