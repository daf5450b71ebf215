import { normalizeName, type NormalizedName } from './names.js';
import { ALIAS_HEADERS, findNameColumn, headerKey } from './watch-list-columns.js';

/** One name on a watch list, ready to screen against. */
export interface WatchListEntry {
  /** The name as the list writes it (an alias is an entry of its own). */
  name: string;
  normalized: NormalizedName;
  /** Where the entry came from; opaque here, handed back with every hit. */
  citation: unknown;
  /** The row's other cells (table lists), shared by a name and its aliases. */
  fields: Record<string, string>;
}

/** A watch-list entry for `name`, normalised once. */
export function watchListEntry(name: string, citation: unknown, fields: Record<string, string> = {}): WatchListEntry {
  return { name, normalized: normalizeName(name), citation, fields };
}

/** A name found in a list, before it becomes a {@link WatchListEntry}. */
export interface ListedName {
  name: string;
  line: number;
  fields: Record<string, string>;
}

/**
 * Watch-list names from a table (CSV, spreadsheet sheet). The name column is
 * `opts.nameColumn` or found by {@link findNameColumn}; a column of aliases
 * (`aliases`, `aka`, `also known as`, …) whose cells hold `;`- or `|`-separated names
 * adds one entry per alias, on the same line with the same `fields`. Rows without a
 * name (and without aliases) are skipped. When no name column is found, `problem`
 * says so and names the headers seen, and there are no entries.
 */
export function entriesFromTable(
  table: { header: string[]; rows: Array<{ line: number; fields: Record<string, string> }> },
  opts: { nameColumn?: string } = {},
): { entries: ListedName[]; nameColumn: string | null; problem: string | null } {
  const nameColumn = findNameColumn(table.header, opts.nameColumn);
  const seen = table.header.map((h) => `"${h}"`).join(', ') || 'none';
  if (!nameColumn) {
    const problem = opts.nameColumn !== undefined ? `no column "${opts.nameColumn}" in the watch list (headers: ${seen})` : `no column of names in the watch list (headers: ${seen})`;
    return { entries: [], nameColumn: null, problem };
  }
  const aliasColumn = table.header.find((h) => h !== nameColumn && ALIAS_HEADERS.has(headerKey(h)));
  const entries: ListedName[] = [];
  for (const row of table.rows) {
    const names = [(row.fields[nameColumn] ?? '').trim()];
    if (aliasColumn) names.push(...(row.fields[aliasColumn] ?? '').split(/[;|]/).map((a) => a.trim()));
    const kept = new Set<string>();
    for (const name of names) {
      const key = name.toLowerCase();
      if (!/[\p{L}\p{N}]/u.test(name) || kept.has(key)) continue;
      kept.add(key);
      entries.push({ name, line: row.line, fields: row.fields });
    }
  }
  return { entries, nameColumn, problem: null };
}

export { findNameColumn } from './watch-list-columns.js';
export { entriesFromLines } from './watch-list-lines.js';
export { WatchListIndex, type ScreeningHit } from './watch-list-index.js';
