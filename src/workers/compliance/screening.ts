import { citationRef, clipSnippet, type Citation } from '../sources/citation.js';
import type { Sources } from '../sources/library.js';
import { normalizeName } from './names.js';
import type { ComplianceRules } from './rules.js';
import { entriesFromLines, entriesFromTable, WatchListIndex, type WatchListEntry } from './watch-list.js';

/** A file or table is a watch list by its name when it says so. */
export const WATCH_LIST_NAME = /(watch[\s_-]?list|sanction|black[\s_-]?list|deny[\s_-]?list|denied[\s_-]?part|restricted[\s_-]?part|\bofac\b|\bsdn\b|\bpep[\s_-]?list)/i;

/** One watch list as the check saw it. */
export interface ListRead {
  /** `docs/lists/watch-list.csv`, `erp:sanctions`, or `rules file` for `watchList.names`. */
  ref: string;
  /** How it was chosen: named by the rules, or found by its name. */
  by: 'rules' | 'detected';
  entries: number;
  /** Why nothing could be read from it (not found, no name column, unreadable): the screening is incomplete. */
  problem: string | null;
}

export interface Screening {
  index: WatchListIndex;
  /** Entries of two words or more, found as a phrase in free text (a statement's description when it has no payee column). */
  phrases: PhraseIndex;
  lists: ListRead[];
  /** True when there is something to screen against: a list with entries, names in the rules, or sources to search for marker lines. */
  canScreen: boolean;
}

/** Entries read per list at most (a sanctions list is tens of thousands of names, not millions). */
const MAX_ENTRIES = 200_000;

/**
 * Loads the watch lists the rules name (`watchList.lists`: files of folder sources by
 * their path, tables as `source:table`), those found by their names when
 * `detectLists` is on, and the rules' own `names`, into one screening index. Each
 * entry cites where it came from (`lists/watch.csv:4`, `erp:sanctions#id=17`). A list
 * that cannot be read is reported, never silently skipped.
 */
export async function loadScreening(rules: ComplianceRules, sources: Sources): Promise<Screening> {
  const wl = rules.watchList;
  const entries: WatchListEntry[] = [];
  const lists: ListRead[] = [];
  const refs = new Map<string, { nameColumn?: string; sheet?: string; by: 'rules' | 'detected' }>();
  for (const l of wl.lists) {
    const ref = typeof l === 'string' ? l : l.ref;
    refs.set(ref, typeof l === 'string' ? { by: 'rules' } : { nameColumn: l.nameColumn, sheet: l.sheet, by: 'rules' });
  }
  if (wl.detectLists && sources.configured) {
    // Indexed ones only: a file the indexer skipped (unreadable, too large) is not read whole here either.
    for (const d of (await sources.documents()).filter((x) => x.status === 'indexed')) {
      const name = d.kind === 'file' ? d.display.split('/').pop()! : d.display.split(':').pop()!;
      if (WATCH_LIST_NAME.test(name) && !refs.has(d.display)) refs.set(d.display, { by: 'detected' });
    }
  }
  for (const [ref, o] of refs) {
    const read = await readList(sources, ref, o.nameColumn, o.sheet).catch((e: unknown) => ({ entries: [] as WatchListEntry[], problem: (e as Error).message }));
    entries.push(...read.entries);
    lists.push({ ref, by: o.by, entries: read.entries.length, problem: read.problem ?? (read.entries.length ? null : 'no entries could be read') });
  }
  if (wl.names.length) {
    for (const name of wl.names) entries.push({ name, normalized: normalizeName(name), citation: null, fields: {} });
    lists.push({ ref: 'rules file (watchList.names)', by: 'rules', entries: wl.names.length, problem: null });
  }
  return { index: new WatchListIndex(entries), phrases: new PhraseIndex(entries), lists, canScreen: entries.length > 0 || sources.configured };
}

async function readList(sources: Sources, ref: string, nameColumn: string | undefined, sheet: string | undefined): Promise<{ entries: WatchListEntry[]; problem: string | null }> {
  const content = await sources.read(ref, MAX_ENTRIES);
  if (!content) return { entries: [], problem: `not found among the configured sources (a file path such as "docs/lists/watch.csv", or an allow-listed table such as "erp:sanctions")` };
  const out: WatchListEntry[] = [];
  if (content.kind === 'table') {
    const header = Object.keys(content.rows[0]?.fields ?? {});
    const found = entriesFromTable({ header, rows: content.rows.map((r, i) => ({ line: i + 1, fields: r.fields })) }, { nameColumn });
    if (found.problem) return { entries: [], problem: found.problem };
    for (const e of found.entries) {
      const row = content.rows[e.line - 1]!;
      const citation: Citation = {
        source: content.source,
        file: `${content.source}:${content.table}`,
        startLine: 0,
        endLine: 0,
        page: null,
        sheet: null,
        row: { column: row.key.column, value: row.key.value, fields: row.fields },
        snippet: clipSnippet(Object.entries(row.fields).map(([k, v]) => `${k}: ${v}`).join('; ')),
        score: 1,
      };
      out.push({ name: e.name, normalized: normalizeName(e.name), citation, fields: e.fields });
    }
    return { entries: out, problem: content.truncated ? `only the first ${MAX_ENTRIES} rows were read` : null };
  }
  const doc = content.document;
  const cite = (line: number, sheet: string | null, snippet: string): Citation => ({
    source: doc.source,
    file: doc.display,
    startLine: line,
    endLine: line,
    page: null,
    sheet,
    row: null,
    snippet: clipSnippet(snippet),
    score: 1,
  });
  const tables = sheet ? content.tables.filter((t) => t.sheet === sheet) : content.tables;
  if (sheet && !tables.length) return { entries: [], problem: `no sheet "${sheet}" (sheets: ${content.tables.map((t) => t.sheet).join(', ') || 'none'})` };
  if (tables.length) {
    const problems: string[] = [];
    for (const t of tables) {
      const found = entriesFromTable(t, { nameColumn });
      if (found.problem) {
        problems.push(`${t.sheet ? `sheet ${t.sheet}: ` : ''}${found.problem}`);
        continue;
      }
      for (const e of found.entries) {
        const snippet = Object.entries(e.fields).map(([k, v]) => `${k}: ${v}`).join('; ');
        out.push({ name: e.name, normalized: normalizeName(e.name), citation: cite(e.line, t.sheet, snippet), fields: e.fields });
      }
    }
    return { entries: out, problem: out.length ? null : problems.join('; ') || null };
  }
  for (const e of entriesFromLines(content.lines.map((l) => ({ text: l.text, line: l.line })))) {
    out.push({ name: e.name, normalized: normalizeName(e.name), citation: cite(e.line, null, content.lines.find((l) => l.line === e.line)?.text ?? e.name), fields: e.fields ?? {} });
  }
  return { entries: out, problem: null };
}

/** `lists/watch.csv:4` or `rules file`: where a watch-list entry came from. */
export const entrySource = (e: WatchListEntry) => (e.citation ? citationRef(e.citation as Citation) : 'rules file (watchList.names)');

/**
 * Watch-list names inside free text: many bank exports (a UK current account: Date,
 * Description, Paid out, Paid in) have no payee column, and a payment through an
 * intermediary names the real party in its description. An entry matches when its
 * words appear in the text in order, side by side, after the same normalisation (exact
 * words: free text is no place for typo tolerance). An entry of one word matches as a
 * whole word only if the word has four letters or more (`Soylent SA` is `soylent`);
 * shorter ones would match ordinary words.
 */
export class PhraseIndex {
  private readonly byFirst = new Map<string, WatchListEntry[]>();

  constructor(entries: readonly WatchListEntry[]) {
    for (const e of entries) {
      const tokens = e.normalized.tokens;
      if (!tokens.length || (tokens.length === 1 && tokens[0]!.length < 4)) continue;
      const list = this.byFirst.get(tokens[0]!) ?? [];
      list.push(e);
      this.byFirst.set(tokens[0]!, list);
    }
  }

  /** Entries named in `text`, in the order they are found. */
  find(text: string): WatchListEntry[] {
    const words = normalizeName(text).text.split(' ');
    const out: WatchListEntry[] = [];
    words.forEach((w, i) => {
      for (const e of this.byFirst.get(w) ?? []) {
        const t = e.normalized.tokens;
        if (!out.includes(e) && t.every((x, k) => words[i + k] === x)) out.push(e);
      }
    });
    return out;
  }
}
