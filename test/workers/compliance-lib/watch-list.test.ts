import { describe, expect, it } from 'vitest';
import { entriesFromLines, entriesFromTable, findNameColumn, watchListEntry } from '../../../src/workers/compliance/watch-list.js';

const linesOf = (text: string) => text.split('\n').map((t, i) => ({ text: t, line: i + 1 }));
const names = (text: string) => entriesFromLines(linesOf(text)).map((e) => e.name);

describe('watch-list tables', () => {
  const row = (line: number, fields: Record<string, string>) => ({ line, fields });

  it.each([
    [['ID', 'Name', 'Country'], 'Name'],
    [['entity_name', 'country'], 'entity_name'],
    [['Party', 'Status'], 'Party'],
    [['COUNTERPARTY', 'Amount'], 'COUNTERPARTY'],
    [['Organisation', 'Land'], 'Organisation'],
    [['Firma', 'Land'], 'Firma'],
    [['Full Name', 'DOB'], 'Full Name'],
    [['Company', 'Name'], 'Name'],
    [['ID', 'Sanctioned Entity', 'Listed On'], 'Sanctioned Entity'],
  ])('finds the names in the columns %j', (header, column) => {
    expect(findNameColumn(header)).toBe(column);
  });

  it('does not take an id, date or country column for names', () => {
    expect(findNameColumn(['Entity ID', 'Entity Country', 'Listing Date'])).toBeNull();
  });

  it('reads one entry per row, with the row line and fields', () => {
    const table = { header: ['ID', 'Entity', 'Country'], rows: [row(2, { ID: '1', Entity: 'Orion Shell Holdings Ltd', Country: 'CY' }), row(3, { ID: '2', Entity: 'Globex', Country: 'US' })] };
    expect(entriesFromTable(table)).toEqual({
      entries: [
        { name: 'Orion Shell Holdings Ltd', line: 2, fields: { ID: '1', Entity: 'Orion Shell Holdings Ltd', Country: 'CY' } },
        { name: 'Globex', line: 3, fields: { ID: '2', Entity: 'Globex', Country: 'US' } },
      ],
      nameColumn: 'Entity',
      problem: null,
    });
  });

  it('adds an entry for each alias of a row, on its line with its fields', () => {
    const fields = { Name: 'Orion Shell Holdings Ltd', 'Also known as': 'Orion Shell; OSH Ltd | orion shell holdings ltd' };
    const { entries } = entriesFromTable({ header: ['Name', 'Also known as'], rows: [row(4, fields)] });
    expect(entries).toEqual([
      { name: 'Orion Shell Holdings Ltd', line: 4, fields },
      { name: 'Orion Shell', line: 4, fields },
      { name: 'OSH Ltd', line: 4, fields },
    ]);
  });

  it('skips rows without a name, unless they hold aliases', () => {
    const { entries } = entriesFromTable({ header: ['Name', 'AKA'], rows: [row(2, { Name: ' ', AKA: '' }), row(3, { Name: '', AKA: 'Ghost Co' })] });
    expect(entries.map((e) => e.name)).toEqual(['Ghost Co']);
  });

  it('uses the name column it is told to, in any case', () => {
    const { entries, nameColumn } = entriesFromTable({ header: ['Name', 'Beneficiary'], rows: [row(2, { Name: 'ignored', Beneficiary: 'Orion' })] }, { nameColumn: 'beneficiary' });
    expect([nameColumn, entries.map((e) => e.name)]).toEqual(['Beneficiary', ['Orion']]);
  });

  it('names the headers it saw when no column holds names', () => {
    expect(entriesFromTable({ header: ['ID', 'Country'], rows: [row(2, { ID: '1', Country: 'CY' })] })).toEqual({
      entries: [],
      nameColumn: null,
      problem: 'no column of names in the watch list (headers: "ID", "Country")',
    });
    expect(entriesFromTable({ header: ['Name'], rows: [] }, { nameColumn: 'Who' }).problem).toBe('no column "Who" in the watch list (headers: "Name")');
  });
});

describe('watch-list text', () => {
  it('takes bullet items, numbered items and plain lines as entries', () => {
    expect(names('- Orion Shell Holdings Ltd\n* Globex Corp\n+ Initech GmbH\n1. Umbrella S.A.\n2) Hooli Inc\nStark Industries')).toEqual([
      'Orion Shell Holdings Ltd',
      'Globex Corp',
      'Initech GmbH',
      'Umbrella S.A.',
      'Hooli Inc',
      'Stark Industries',
    ]);
  });

  it('skips headings, blank lines, prose, introductions, titles and metadata', () => {
    const text = [
      '# Internal watch list',
      'Last updated: 2026-10-01',
      '',
      'The following counterparties must not be paid without approval from the compliance officer.',
      'Sanctioned entities',
      'Entities added this quarter:',
      'Payments to these parties are blocked, see policy 4.2 for the details.',
      '---',
      '- Orion Shell Holdings Ltd',
    ].join('\n');
    expect(names(text)).toEqual(['Orion Shell Holdings Ltd']);
  });

  it('cuts a note after a dash or a colon, and keeps it', () => {
    const entries = entriesFromLines(linesOf('- Orion Shell Holdings Ltd — added 2026-09-01 after the Q3 review\n- Initech GmbH: sanctions list (EU)\n- Cyberdyne Systems - do not onboard'));
    expect(entries.map((e) => [e.name, e.fields.note])).toEqual([
      ['Orion Shell Holdings Ltd', 'added 2026-09-01 after the Q3 review'],
      ['Initech GmbH', 'sanctions list (EU)'],
      ['Cyberdyne Systems', 'do not onboard'],
    ]);
  });

  it('cuts at a parenthesis or comma only when a note follows', () => {
    expect(names('- Wayne Enterprises Inc (added 2026-08-14, OFAC)\n- Globex Corporation (Cyprus)\n- Umbrella Holdings S.A., Luxembourg, ref 44/2026\n- Orion Shell Holdings, Ltd.\n- Müller, Hans')).toEqual([
      'Wayne Enterprises Inc',
      'Globex Corporation (Cyprus)',
      'Umbrella Holdings S.A.',
      'Orion Shell Holdings, Ltd.',
      'Müller, Hans',
    ]);
  });

  it('adds the aliases a line names', () => {
    expect(names('- Acme Trading Ltd (aka Acme Intl; ACME Global Trading)\n- Stark Industries, also known as Stark Intl, Ltd.\n- Orion Ltd (a.k.a. Orion Trading)\n- Initech — f.k.a.: Initrode | Intertrode')).toEqual([
      'Acme Trading Ltd',
      'Acme Intl',
      'ACME Global Trading',
      'Stark Industries',
      'Stark Intl, Ltd.',
      'Orion Ltd',
      'Orion Trading',
      'Initech',
      'Initrode',
      'Intertrode',
    ]);
  });

  it('takes the value of a Name: line and strips Markdown emphasis and links', () => {
    expect(names('- Name: Tyrell Corporation\n- **Globex Corp**\n- [Initech GmbH](https://example.com/initech)')).toEqual(['Tyrell Corporation', 'Globex Corp', 'Initech GmbH']);
  });

  it('reads the name column of a Markdown table, with its cells as fields', () => {
    const entries = entriesFromLines(linesOf('| Country | Entity | Reason |\n|---|---|---|\n| US | Soylent Corp | fraud |\n| US | Oscorp, Inc. | pep |'));
    expect(entries).toEqual([
      { name: 'Soylent Corp', line: 3, fields: { Country: 'US', Entity: 'Soylent Corp', Reason: 'fraud' } },
      { name: 'Oscorp, Inc.', line: 4, fields: { Country: 'US', Entity: 'Oscorp, Inc.', Reason: 'pep' } },
    ]);
  });
});

describe('watchListEntry', () => {
  it('normalises the name once and passes the citation through', () => {
    const citation = { file: 'lists/watch.md', line: 7 };
    expect(watchListEntry('Orion Shell Holdings Ltd', citation)).toEqual({
      name: 'Orion Shell Holdings Ltd',
      normalized: { text: 'orion shell holdings', tokens: ['orion', 'shell', 'holdings'], qualifiers: [] },
      citation,
      fields: {},
    });
  });
});
