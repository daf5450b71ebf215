import { describe, expect, it } from 'vitest';
import { matchName, normalizeName } from '../../../src/workers/compliance/names.js';

describe('normalizeName', () => {
  it.each([
    ['Oríon Shell Holdings', 'orion shell holdings'],
    ['Müller Straße', 'muller strasse'],
    ['Øster Æble Łódź', 'oster aeble lodz'],
    ['Orion-Shell', 'orion shell'],
    ["O'Brien Trading Partners", 'obrien trading partners'],
    ['Smith & Jones', 'smith jones'],
    ['ORION SHELL HOLDINGS LIMITED', 'orion shell holdings'],
    ['Orion Shell Holdings, Ltd.', 'orion shell holdings'],
  ])('reduces %j to %j', (input, text) => {
    expect(normalizeName(input).text).toBe(text);
  });

  it.each([
    ['Orion S.A.', 'orion'],
    ['Orion S.p.A.', 'orion'],
    ['Orion L.L.C.', 'orion'],
    ['Orion B.V.', 'orion'],
    ['Orion A/S', 'orion'],
    ['Orion GmbH & Co. KG', 'orion'],
    ['Orion Pty Ltd', 'orion'],
    ['Orion Sdn. Bhd.', 'orion'],
    ['Orion Limited Liability Company', 'orion'],
    ['Orion Gesellschaft mit beschränkter Haftung', 'orion'],
    ['Orion Société Anonyme', 'orion'],
  ])('drops the legal form of %j', (input, text) => {
    expect(normalizeName(input).text).toBe(text);
  });

  it('drops a legal form before a trailing parenthetical or country, keeping those as qualifiers', () => {
    expect(normalizeName('Orion Shell Holdings Ltd (Cyprus)')).toEqual({ text: 'orion shell holdings cyprus', tokens: ['orion', 'shell', 'holdings', 'cyprus'], qualifiers: ['cyprus'] });
    expect(normalizeName('Orion Ltd Cyprus')).toEqual({ text: 'orion cyprus', tokens: ['orion', 'cyprus'], qualifiers: ['cyprus'] });
  });

  it('keeps a legal-form word inside the name', () => {
    expect(normalizeName('Orion Co Shipping Ltd').text).toBe('orion co shipping');
  });

  it('drops the stop words the, of and and anywhere', () => {
    expect(normalizeName('The Bank of Orion and Shell').text).toBe('bank orion shell');
  });

  it('keeps the words of a name made only of stop words and legal forms', () => {
    expect(normalizeName('The Company Ltd').tokens).toEqual(['the', 'company', 'ltd']);
  });

  it('keeps a name made only of a country as an ordinary word', () => {
    expect(normalizeName('Cyprus')).toEqual({ text: 'cyprus', tokens: ['cyprus'], qualifiers: [] });
  });

  it('gives no tokens for a string without letters or digits', () => {
    expect(normalizeName(' — ').tokens).toEqual([]);
  });
});

describe('matchName', () => {
  describe('against the watch-list entry "Orion Shell Holdings Ltd"', () => {
    const entry = 'Orion Shell Holdings Ltd';

    it.each([
      'ORION SHELL HOLDINGS LIMITED',
      'Orion Shell Holdings, Ltd.',
      'Orion-Shell Holdings Ltd',
      'Oríon Shell Holdings Ltd',
      'Orion Shell Holdings Ltd (Cyprus)',
      'Holdings Orion Shell Ltd',
      'Orion Shell Holdngs Ltd',
      'The Orion Shell Holdings Limited',
    ])('matches %j', (candidate) => {
      const m = matchName(candidate, entry);
      expect(m.matched, m.why).toBe(true);
      expect(m.score).toBeGreaterThanOrEqual(90);
    });

    it.each([
      'Orion Shipping Holdings Ltd',
      'Orion Holdings Ltd',
      'Shell Holdings Ltd',
      'Orion Shell Pharma GmbH',
      'Orion',
      'Orion Shelving Holdings',
      'Orient Shell Holdings',
      'Shell',
      'Holdings Ltd',
    ])('does not match the near miss %j', (candidate) => {
      const m = matchName(candidate, entry);
      expect(m.matched, m.why).toBe(false);
    });

    it('says which word a subset lacks, although token-set similarity scores it 100', () => {
      expect(matchName('Orion Holdings Ltd', entry)).toEqual({ score: 100, matched: false, why: '"orion holdings" lacks "shell"' });
    });

    it('says which words matched, the typo it forgave and what the longer name adds', () => {
      expect(matchName('Orion Shell Holdings Limited', entry).why).toBe('all 3 words match');
      expect(matchName('Orion Shell Holdngs Ltd', entry).why).toBe('all 3 words match, "holdings" ≈ "holdngs"');
      expect(matchName('Orion Shell Holdings Ltd (Cyprus)', entry).why).toBe('all 3 words of "orion shell holdings" found, plus "cyprus"');
    });
  });

  describe('against a one-word entry', () => {
    it('matches the word with a legal form or a country', () => {
      expect(matchName('Globex Corp', 'Globex').matched).toBe(true);
      expect(matchName('Globex (Malta)', 'Globex').matched).toBe(true);
    });

    it('does not match a name that adds a distinctive word', () => {
      expect(matchName('Globex Holdings Shipping', 'Globex')).toMatchObject({ matched: false, why: '"globex" lacks "shipping"' });
    });
  });

  it('lets a three-word name match a longer one that adds one distinctive word, not two', () => {
    expect(matchName('Orion Shell Pharma Marine', 'Orion Shell Pharma').matched).toBe(true);
    expect(matchName('Orion Shell Pharma Marine Trust', 'Orion Shell Pharma')).toMatchObject({ matched: false, why: '"orion shell pharma" lacks "marine", "trust"' });
  });

  it('lets a name add a generic word such as holdings or group', () => {
    expect(matchName('Orion Shell Group', 'Orion Shell').matched).toBe(true);
  });

  it('does not let a country stand in for another country', () => {
    expect(matchName('Bank of Cyprus', 'Bank of Ireland').matched).toBe(false);
  });

  it('does not match names sharing only generic words', () => {
    expect(matchName('Holdings', 'Holdings Group').matched).toBe(false);
  });

  it('applies the threshold to names whose words agree', () => {
    expect(matchName('Orion Shell Holdngs', 'Orion Shell Holdings', { threshold: 99 })).toMatchObject({ score: 97, matched: false, why: expect.stringContaining('similarity 97 < 99') });
  });

  it('accepts an entry already normalised', () => {
    expect(matchName('Orion Shell Holdings', normalizeName('Orion Shell Holdings Ltd')).matched).toBe(true);
  });

  it('never matches a name without letters or digits', () => {
    expect(matchName('—', '—').matched).toBe(false);
  });
});
