import fc from 'fast-check';
import { RESERVED_WORDS } from '../../../src/workers/compliance/name-words.js';

/** A made-up word that is no legal form, country, stop word or generic word. */
export const word = fc
  .array(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'), { minLength: 3, maxLength: 9 })
  .map((cs) => cs.join(''))
  .filter((w) => !RESERVED_WORDS.has(w));


const ACCENTED: Record<string, string[]> = { a: ['á', 'à', 'â', 'ä', 'å', 'ã'], e: ['é', 'è', 'ê', 'ë'], i: ['í', 'î', 'ï'], o: ['ó', 'ô', 'ö', 'õ', 'ø'], u: ['ú', 'ù', 'û', 'ü'], c: ['ç'], n: ['ñ'], l: ['ł'], y: ['ý'] };
const SUFFIXES = ['', ' Ltd', ' Ltd.', ', Inc.', ' GmbH', ' S.A.', ' L.L.C.', ' Limited', ' plc', ' A/S', ' GmbH & Co. KG', ' S.p.A.', ' B.V.', ' Pty Ltd', ' Corporation', ' Company Limited'];
const SEPARATORS = [' ', '  ', '-', ', ', ' - ', ' & ', ' / ', '. '];

/** `w` as a document might spell it: other case, accents, an apostrophe inside. */
const spelled = (w: string) =>
  fc.record({ casing: fc.constantFrom('lower', 'upper', 'title', 'mixed'), accents: fc.array(fc.boolean(), { minLength: w.length, maxLength: w.length }), apostrophe: fc.option(fc.integer({ min: 1, max: w.length - 1 })) }).map(({ casing, accents, apostrophe }) => {
    let s = [...w].map((c, i) => (accents[i] && ACCENTED[c] ? ACCENTED[c][i % ACCENTED[c].length]! : c)).join('');
    s = s.replace('ss', 'ß').replace('ae', 'æ');
    if (apostrophe !== null) s = `${s.slice(0, apostrophe)}'${s.slice(apostrophe)}`;
    if (casing === 'upper') return s.toUpperCase();
    if (casing === 'title') return s[0]!.toUpperCase() + s.slice(1);
    if (casing === 'mixed') return [...s].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join('');
    return s;
  });

/** A name of `words` with case, punctuation, accents, an article and a legal form varied. */
export const variation = (words: string[]) =>
  fc
    .record({
      spellings: fc.tuple(...words.map(spelled)),
      separators: fc.array(fc.constantFrom(...SEPARATORS), { minLength: words.length, maxLength: words.length }),
      article: fc.constantFrom('', 'The ', 'THE '),
      suffix: fc.constantFrom(...SUFFIXES),
      end: fc.constantFrom('', '.', ' '),
    })
    .map(({ spellings, separators, article, suffix, end }) => article + spellings.map((s, i) => (i ? separators[i]! : '') + s).join('') + suffix + end);
