/**
 * The word lists name normalisation and matching rest on, written in the form tokens
 * take after normalisation (lower-case ASCII, dotted abbreviations joined: `s.p.a.` →
 * `spa`). Kept apart from the rules in `names.ts` so a list can grow without touching
 * the logic, and so tests can keep generated names clear of these words.
 */

const phrases = (list: string) => list.split(',').map((p) => p.trim().split(/\s+/));

/**
 * Legal forms and their spelled-out versions. Removed only at the end of a name (or
 * before a trailing country or parenthetical): in the middle a word such as `co` or
 * `as` is part of the name.
 */
export const LEGAL_FORMS: readonly string[][] = phrases(
  [
    'ltd, limited, inc, incorporated, llc, plc, corp, corporation, co, cos, company, companies',
    'gmbh, mbh, ag, kg, kgaa, ohg, ug, ev, eg, se',
    'sa, sas, sasu, sarl, srl, spa, sl, slu, sau, snc, sca, scs, ltda, sapi, cv, sa de cv, de cv',
    'bv, nv, vof, oy, oyj, ab, publ, as, asa, aps, a s, sp z oo, zoo, kft, zrt, doo, dd',
    'pty, pte, bhd, sdn bhd, tbk, kk, ooo, oao, zao, pao, ao, jsc, ojsc, cjsc',
    'lp, llp, lllp, pllc, pc',
    'public limited company, limited liability company, limited liability partnership, limited partnership',
    'private limited, proprietary limited, private limited company',
    'societe anonyme, societe a responsabilite limitee, societe par actions simplifiee',
    'gesellschaft mit beschrankter haftung, aktiengesellschaft, kommanditgesellschaft',
    'besloten vennootschap, naamloze vennootschap, societa per azioni, societa a responsabilita limitata',
    'sociedad anonima, sociedad limitada, sociedade anonima',
  ].join(','),
);

/**
 * Countries, jurisdictions and their usual codes. At the end of a name (`Orion Shell
 * Holdings Ltd Cyprus`) they say where, not who: a matching name may add one without
 * becoming a different party.
 */
export const COUNTRY_WORDS: readonly string[][] = phrases(
  [
    'cyprus, malta, ireland, luxembourg, netherlands, holland, switzerland, swiss, schweiz, suisse, liechtenstein, monaco',
    'germany, deutschland, austria, osterreich, france, belgium, spain, espana, portugal, italy, italia, greece, hellas',
    'denmark, sweden, norway, finland, iceland, poland, polska, czech republic, hungary, romania, bulgaria, croatia',
    'estonia, latvia, lithuania, slovakia, slovenia, serbia, ukraine, russia, belarus, turkey, turkiye, georgia, armenia',
    'uk, gb, great britain, united kingdom, england, scotland, wales, jersey, guernsey, isle of man, gibraltar',
    'us, usa, america, united states, united states of america, delaware, nevada, wyoming, canada, mexico',
    'panama, belize, bahamas, bermuda, barbados, cayman, cayman islands, bvi, british virgin islands, virgin islands',
    'seychelles, mauritius, uae, united arab emirates, dubai, abu dhabi, qatar, bahrain, kuwait, oman, saudi arabia',
    'israel, egypt, morocco, nigeria, kenya, south africa, india, pakistan, china, prc, hong kong, hk, macau, taiwan',
    'singapore, malaysia, indonesia, thailand, vietnam, philippines, japan, korea, australia, new zealand',
    'brazil, brasil, argentina, chile, colombia, peru, venezuela, uruguay',
    'europe, asia, africa, emea, latam, apac',
  ].join(','),
);

/** Stop words dropped anywhere in a name (`The Bank of Orion` ≈ `Orion Bank`). */
export const STOP_WORDS: ReadonlySet<string> = new Set(['the', 'of', 'and']);

/**
 * Words that say what kind of organisation, not which one. A matching name may add
 * one (`Orion Shell` ≈ `Orion Shell Holdings`); they never make a name distinctive.
 */
export const GENERIC_WORDS: ReadonlySet<string> = new Set(
  'holding holdings group grp international intl global worldwide enterprise enterprises industries trading'.split(' '),
);

/** Every word the lists above hold, for callers (and tests) that need names free of them. */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([...LEGAL_FORMS.flat(), ...COUNTRY_WORDS.flat(), ...STOP_WORDS, ...GENERIC_WORDS]);
