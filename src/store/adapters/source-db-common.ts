/**
 * What both database-source adapters share: the spec's defaults, URL redaction and
 * driver errors, identifier lookup and quoting, how a table's key and columns are chosen
 * from the catalog, the plans `describe()` leaves and how a read finds its table's plan,
 * the key codec for citations, the keyset scan loop and how a fetched row becomes a
 * SourceRow. An adapter adds only its dialect: catalog queries, SQL text and binding,
 * fingerprints and connection handling. The factory (`source-db.ts`) imports the
 * adapters, and the adapters import only this file, so there is no import cycle.
 */
import { InvalidInputError, StorageUnavailableError } from '../../domain/errors.js';
import type { Logger } from '../../logger.js';
import type { DatabaseSourceSpec, SourceDatabase, SourceRow, TableCheck, TableDescription } from '../source-database.js';

/** Rows read per table at most when the spec does not say. */
export const DEFAULT_MAX_ROWS_PER_TABLE = 2_000_000;
/** Per statement when the spec does not say. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 15_000;
/** A connection attempt gives up after this long. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** `getRows` takes at most this many keys per call. */
export const MAX_GET_ROWS_KEYS = 1_000;
/** A scan batch is clamped to this many rows, whatever the caller asks. */
export const MAX_BATCH_SIZE = 50_000;
/** Error messages list at most this many table or column names. */
const MAX_NAMES_IN_MESSAGE = 20;

export interface OpenSourceOptions {
  logger?: Logger;
  /** How long a connection attempt may take (PostgreSQL; default 5 s). */
  connectTimeoutMs?: number;
}

/** The spec with its defaults applied and the URL's password removed for display; built once per source. */
export interface CompiledSourceSpec {
  name: string;
  url: string;
  displayUrl: string;
  tables: readonly string[];
  columns: Readonly<Record<string, readonly string[]>>;
  keys: Readonly<Record<string, string>>;
  maxRowsPerTable: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
}

/** Applies defaults and checks the numbers; throws InvalidInputError naming the source. */
export function compileSourceSpec(spec: DatabaseSourceSpec, opts: OpenSourceOptions = {}): CompiledSourceSpec {
  const displayUrl = redactUrl(spec.url ?? '');
  const bad = (what: string): never => {
    throw new InvalidInputError(`database source "${spec.name}" (${displayUrl}): ${what}`);
  };
  if (!spec.name) bad('a name is required');
  if (!spec.url) bad('a url is required');
  if (!Array.isArray(spec.tables) || spec.tables.length === 0) bad('list at least one table under "tables"');
  const positive = (v: number | undefined, dflt: number, what: string): number => {
    if (v === undefined) return dflt;
    if (!Number.isFinite(v) || v <= 0) bad(`${what} must be a positive number, not ${v}`);
    return Math.floor(v);
  };
  return Object.freeze({
    name: spec.name,
    url: spec.url,
    displayUrl,
    tables: Object.freeze([...spec.tables]),
    columns: Object.freeze({ ...(spec.columns ?? {}) }),
    keys: Object.freeze({ ...(spec.keys ?? {}) }),
    maxRowsPerTable: positive(spec.maxRowsPerTable, DEFAULT_MAX_ROWS_PER_TABLE, 'maxRowsPerTable'),
    statementTimeoutMs: positive(spec.statementTimeoutMs, DEFAULT_STATEMENT_TIMEOUT_MS, 'statementTimeoutMs'),
    connectTimeoutMs: positive(opts.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS, 'connectTimeoutMs'),
  });
}

/**
 * The URL without its password: the userinfo password and `password` / `sslpassword`
 * query parameters are dropped. A URL that does not parse loses everything between the
 * first `:` after `//` and the `@`, so a password never survives a typo.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.protocol === 'sqlite:') return url;
    u.password = '';
    for (const p of [...u.searchParams.keys()]) if (/pass/i.test(p)) u.searchParams.delete(p);
    return u.toString();
  } catch {
    return url.replace(/(\/\/[^:/@]*):[^@]*@/, '$1@').replace(/([?&][^=&]*pass[^=&]*=)[^&]*/gi, '$1***');
  }
}

/** Removes the URL's password from a driver's message, in case one ever echoes it. */
export function scrubSecret(message: string, url: string): string {
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    password = /\/\/[^:/@]*:([^@]*)@/.exec(url)?.[1] ?? '';
  }
  let out = message.split(url).join(redactUrl(url));
  // Very short passwords would garble every message; drivers do not echo them anyway.
  if (password.length >= 3) out = out.split(password).join('***');
  return out;
}

/** A driver failure as StorageUnavailableError naming the source and its redacted URL, never the password. */
export function sourceUnavailable(spec: CompiledSourceSpec, doing: string, cause: unknown): StorageUnavailableError {
  const msg = scrubSecret(errorText(cause), spec.url);
  return new StorageUnavailableError(`database source "${spec.name}" (${spec.displayUrl}): ${doing} failed: ${msg}`);
}

/** An error's message; an AggregateError (a host name with several addresses) shows its parts'. */
function errorText(e: unknown): string {
  if (e instanceof AggregateError && e.errors.length > 0 && !e.message) return e.errors.map(errorText).join('; ');
  if (e instanceof Error) return e.message || (e as { code?: string }).code || e.name;
  return String(e);
}

/** A SQL identifier, double-quoted with embedded quotes doubled. Only ever applied to names read from the catalog. */
export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw new InvalidInputError('an identifier cannot contain a NUL character');
  return '"' + name.replace(/"/g, '""') + '"';
}

/**
 * The catalog name a person meant: the exact name, else the only one equal to it
 * ignoring case (PostgreSQL folds unquoted names to lower case, so `Vendors` in a
 * sources file means `vendors`). Undefined when there is none or the match is ambiguous.
 */
export function matchName(wanted: string, names: Iterable<string>): string | undefined {
  const all = [...names];
  if (all.includes(wanted)) return wanted;
  const folded = all.filter((n) => n.toLowerCase() === wanted.toLowerCase());
  return folded.length === 1 ? folded[0] : undefined;
}

/** `a, b, c` — at most 20 names, then `…`. */
export function nameList(names: readonly string[]): string {
  if (names.length === 0) return 'none';
  const shown = names.slice(0, MAX_NAMES_IN_MESSAGE).join(', ');
  return names.length > MAX_NAMES_IN_MESSAGE ? `${shown}, …` : shown;
}

/** The `describe()` error for an allow-listed name the catalog does not have. */
export function tableNotFound(source: string, table: string, available: readonly string[]): string {
  return `table "${table}" not found in ${source} (tables and views: ${nameList(available)})`;
}

// ---- choosing the key and the columns ------------------------------------------------

/** A relation as the catalog describes it, before the spec is applied. */
export interface CatalogRelation {
  kind: 'table' | 'view';
  /** Columns in declaration order; `textLike` ones are read by default. */
  columns: ReadonlyArray<{ name: string; textLike: boolean }>;
  /** The primary key's columns in key order (empty when none). */
  primaryKey: readonly string[];
  /** A unique, NOT NULL key to use when there is no primary key (PostgreSQL unique index; SQLite `rowid`). */
  uniqueKey?: readonly string[];
}

/** What an adapter needs to read one allow-listed table. */
export interface TablePlan {
  description: TableDescription;
  /** The key's columns (one, or several for a composite primary key). */
  keyColumns: readonly string[];
  /** True when no two rows share a key (primary key, unique index, rowid): the scan needs no tie handling. */
  keyUnique: boolean;
}

/**
 * Applies the spec to a catalog relation. The key is, in order: `keys[table]` (a
 * column, or comma-separated columns), the primary key, the catalog's unique key, else
 * the first column (a view, or a PostgreSQL table with no unique key; rows are still all
 * read, but citations may name several rows). Columns are `columns[table]` when given
 * (any type: read as text), else every text-like column. Returns an error sentence for
 * `describe()` when a named column is missing or nothing would be read.
 */
export function planTable(source: string, table: string, rel: CatalogRelation, spec: CompiledSourceSpec): { plan: TablePlan } | { error: string } {
  const names = rel.columns.map((c) => c.name);
  const where = `${source}:${table}`;
  const missing = (col: string, what: string) => ({ error: `${what} "${col}" not found in ${where} (columns: ${nameList(names)})` });

  let keyColumns: string[];
  let keyUnique = false;
  const override = spec.keys[table];
  if (override !== undefined) {
    const exact = matchName(override, names);
    const parts = exact !== undefined ? [override] : override.split(',').map((s) => s.trim());
    keyColumns = [];
    for (const p of parts) {
      // The unique key may be a hidden column (SQLite's rowid), so it is a valid choice too.
      const found = matchName(p, [...new Set([...names, ...(rel.uniqueKey ?? [])])]);
      if (found === undefined) return missing(p, 'key column');
      keyColumns.push(found);
    }
    keyUnique = sameColumns(keyColumns, rel.primaryKey) || sameColumns(keyColumns, rel.uniqueKey ?? []);
  } else if (rel.primaryKey.length > 0) {
    keyColumns = [...rel.primaryKey];
    keyUnique = true;
  } else if (rel.uniqueKey && rel.uniqueKey.length > 0) {
    keyColumns = [...rel.uniqueKey];
    keyUnique = true;
  } else if (names[0] !== undefined) {
    keyColumns = [names[0]];
  } else {
    return { error: `${where} has no columns` };
  }

  let columns: string[];
  const listed = spec.columns[table];
  if (listed !== undefined) {
    columns = [];
    for (const c of listed) {
      const found = matchName(c, names);
      if (found === undefined) return missing(c, 'column');
      if (!columns.includes(found)) columns.push(found);
    }
  } else {
    columns = rel.columns.filter((c) => c.textLike).map((c) => c.name);
    if (columns.length === 0) {
      return { error: `${where} has no text columns to read (columns: ${nameList(names)}); list the ones to read under "columns"` };
    }
  }
  return {
    plan: { description: { table, kind: rel.kind, keyColumn: keyColumns.join(','), columns }, keyColumns, keyUnique },
  };
}

const sameColumns = (a: readonly string[], b: readonly string[]) => a.length > 0 && a.length === b.length && a.every((c, i) => c === b[i]);

// ---- keys in citations ----------------------------------------------------------------

/**
 * A row's key as cited: the value itself for a one-column key (`id=42`); for a
 * composite key the values joined by `,` with `%` and `,` inside a value escaped as
 * `%25` and `%2C` (`order_id,line_no=42,3`), so `decodeKey` can split it back.
 */
export function encodeKey(values: readonly string[]): string {
  if (values.length === 1) return values[0] ?? '';
  return values.map((v) => v.replace(/%/g, '%25').replace(/,/g, '%2C')).join(',');
}

/** The values of a cited key with `arity` columns, or null when it cannot be one. */
export function decodeKey(value: string, arity: number): string[] | null {
  if (arity === 1) return [value];
  const parts = value.split(',');
  if (parts.length !== arity) return null;
  return parts.map((p) => p.replace(/%2C/gi, ',').replace(/%25/g, '%'));
}

/** Checks a `getRows` key list: at most MAX_GET_ROWS_KEYS, duplicates dropped. */
export function checkedKeys(source: string, keys: readonly string[]): string[] {
  if (keys.length > MAX_GET_ROWS_KEYS) {
    throw new InvalidInputError(`getRows on ${source} takes at most ${MAX_GET_ROWS_KEYS} keys per call, not ${keys.length}; split the list.`);
  }
  return [...new Set(keys.map(String))];
}

// ---- scanning -------------------------------------------------------------------------

/** One fetched row: its cursor (the key as the adapter binds it back) and the row. */
export interface KeyedRow {
  cursor: readonly unknown[];
  row: SourceRow;
}

/** What the keyset loop asks of an adapter; both return rows in key order, at most `limit`. */
export interface KeysetReader {
  /** Rows whose key is greater than `after` (all non-NULL keys when null). */
  after(after: readonly unknown[] | null, limit: number): Promise<KeyedRow[]>;
  /** Rows whose key equals `key` (needed only when keys may repeat). */
  equal(key: readonly unknown[], limit: number): Promise<KeyedRow[]>;
}

/**
 * Keyset paging: `WHERE key > last ORDER BY key LIMIT n`, batch after batch, at most
 * `maxRows` rows, checking `signal` before each query. When keys may repeat (a view, a
 * chosen non-unique column), a full batch drops its trailing run of equal keys and the
 * next batch starts before it, so rows sharing a key across a batch edge are never
 * skipped; a run longer than a batch is read whole with `equal`.
 */
export async function* keysetScan(reader: KeysetReader, opts: { batchSize: number; maxRows: number; unique: boolean; signal?: AbortSignal }): AsyncGenerator<SourceRow[]> {
  const batchSize = Math.max(1, Math.min(MAX_BATCH_SIZE, Math.floor(opts.batchSize) || 1));
  let remaining = Math.max(0, Math.floor(opts.maxRows) || 0);
  let cursor: readonly unknown[] | null = null;
  while (remaining > 0) {
    opts.signal?.throwIfAborted();
    const limit = Math.min(batchSize, remaining);
    const got = await reader.after(cursor, limit);
    if (got.length === 0) return;
    let take = got;
    const full = got.length === limit;
    const last = got[got.length - 1] as KeyedRow;
    if (full && !opts.unique && limit < remaining) {
      let start = got.length - 1;
      while (start > 0 && sameKey((got[start - 1] as KeyedRow).cursor, last.cursor)) start--;
      if (start > 0) {
        take = got.slice(0, start);
      } else {
        // The whole batch is one key: read that run completely, then move past it.
        opts.signal?.throwIfAborted();
        const run = await reader.equal(last.cursor, remaining);
        for (let i = 0; i < run.length && remaining > 0; i += batchSize) {
          const part = run.slice(i, i + Math.min(batchSize, remaining)).map((r) => r.row);
          remaining -= part.length;
          yield part;
        }
        cursor = last.cursor;
        continue;
      }
    }
    cursor = (take[take.length - 1] as KeyedRow).cursor;
    remaining -= take.length;
    yield take.map((r) => r.row);
    if (!full) return;
  }
}

function sameKey(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i] || (Buffer.isBuffer(v) && Buffer.isBuffer(b[i]) && v.equals(b[i] as Buffer)));
}

// ---- reading rows ----------------------------------------------------------------------

/** A column of the relation being read, qualified by the alias `keyedSelect` gives it. */
export const srcColumn = (name: string): string => `src.${quoteIdent(name)}`;

/**
 * `SELECT key…, col… FROM relation AS src {where} ORDER BY key… {limit}`: the key columns
 * first, then the plan's columns, the order `rowOf` reads them in. `output` wraps each
 * selected column (PostgreSQL casts to text on the server). Columns are qualified with
 * `src.` everywhere, so ORDER BY always means the column, never an output alias: with a
 * bare `ORDER BY "id"` PostgreSQL would sort by the output `"id"::text`, as text.
 */
export function keyedSelect(plan: TablePlan & { relation: string }, where: string, limit: string, output: (column: string) => string = (c) => c): string {
  const keys = plan.keyColumns.map(srcColumn);
  const cols = [...keys, ...plan.description.columns.map(srcColumn)].map(output);
  return `SELECT ${cols.join(', ')} FROM ${plan.relation} AS src ${where} ORDER BY ${keys.join(', ')} ${limit}`;
}

/**
 * A row fetched by a `keyedSelect` query: the key values as they came are the cursor
 * (bound back unchanged for the next batch), their text the cited key; the columns'
 * values become text fields, NULLs omitted. (PostgreSQL's values are already text, cast
 * on the server, and `toText` leaves a string as it is.)
 */
export function rowOf(plan: TablePlan, r: readonly unknown[]): KeyedRow {
  const nk = plan.keyColumns.length;
  const cursor = r.slice(0, nk);
  const fields: Record<string, string> = {};
  plan.description.columns.forEach((col, i) => {
    const v = r[nk + i];
    if (v !== null && v !== undefined) fields[col] = toText(v);
  });
  const { table, keyColumn } = plan.description;
  return { cursor, row: { table, key: { column: keyColumn, value: encodeKey(cursor.map(toText)) }, fields } };
}

/** The rows' text: strings as they are, numbers and bigints in decimal, dates as ISO 8601, bytes as UTF-8. */
export function toText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

// ---- the plans describe() leaves, and the reads that use them -------------------------

/** One allow-listed table as the last `describe()` left it: its check, and the plan to read it or the outage that stopped describing. */
export interface PlanEntry<P extends TablePlan> {
  check: TableCheck;
  plan?: P;
  outage?: StorageUnavailableError;
}

/** The entry of a table `describe()` reports as unreadable, for `error`. */
export function failedEntry(table: string, error: string): PlanEntry<never> {
  return { check: { table, ok: false, error } };
}

/** The entry of a table that `plan` reads. */
export function readyEntry<P extends TablePlan>(plan: P): PlanEntry<P> {
  return { check: { table: plan.description.table, ok: true, description: plan.description }, plan };
}

type ScanOptions = Parameters<SourceDatabase['scan']>[1];

/** What a `SourceDatabase` does the same in every dialect: describing through the adapter's catalog reader, finding a table's plan, and the outer loops of `scan` and `getRows`. */
export interface PlannedTables<P extends TablePlan> {
  /** `SourceDatabase.describe`: the adapter's `load`, or every table reporting the outage when it fails. */
  describe(): Promise<TableCheck[]>;
  /**
   * The plan of an allow-listed table, describing first when there is none yet (so a
   * table fixed since the last describe is picked up). Throws InvalidInputError for a
   * table not on the allow-list or one that cannot be read, and the outage itself when
   * the source is down: an outage never looks like a bad table.
   */
  planFor(table: string): Promise<P>;
  /**
   * `SourceDatabase.scan` through the adapter's keyset reader; the plan is looked up on
   * the first iteration, not at the call. `doing` names the read in error messages.
   */
  scan(table: string, opts: ScanOptions, readerOf: (plan: P, doing: string) => KeysetReader): AsyncIterable<SourceRow[]>;
  /** `SourceDatabase.getRows`: the keys checked and decoded by the key's arity, then read `chunkSize` at a time by `readChunk`. */
  getRows(
    table: string,
    keys: readonly string[],
    chunkSize: number,
    readChunk: (plan: P, tuples: string[][], doing: string) => Promise<KeyedRow[]>,
  ): Promise<SourceRow[]>;
}

/**
 * The plan cache both adapters keep. `load` reads the catalog and plans every
 * allow-listed table (a bad table is a failed entry, never a throw); when it throws, the
 * source is down and every table reports that outage, and `onOutage` runs (SQLite drops
 * its handle so a replaced file is reopened). A table whose key may repeat is warned
 * about once, the first time a describe plans it.
 */
export function plannedTables<P extends TablePlan>(
  spec: CompiledSourceSpec,
  log: Logger,
  load: () => Promise<Map<string, PlanEntry<P>>>,
  onOutage: () => void = () => {},
): PlannedTables<P> {
  let entries: Map<string, PlanEntry<P>> | null = null;
  const warned = new Set<string>();

  async function describe(): Promise<TableCheck[]> {
    let next: Map<string, PlanEntry<P>>;
    try {
      next = await load();
    } catch (e) {
      const outage = e instanceof StorageUnavailableError ? e : sourceUnavailable(spec, 'describing tables', e);
      onOutage();
      next = new Map(spec.tables.map((t) => [t, { check: { table: t, ok: false, error: outage.message }, outage }]));
    }
    for (const t of spec.tables) {
      const plan = next.get(t)?.plan;
      if (plan && !plan.keyUnique && !warned.has(t)) {
        warned.add(t);
        log.warn('database source table has no unique key; citations may name several rows', { table: t, keyColumn: plan.description.keyColumn });
      }
    }
    entries = next;
    return spec.tables.map((t) => (next.get(t) as PlanEntry<P>).check);
  }

  async function planFor(table: string): Promise<P> {
    if (!spec.tables.includes(table)) {
      throw new InvalidInputError(`"${table}" is not an allow-listed table of database source "${spec.name}" (tables: ${spec.tables.join(', ')})`);
    }
    let entry = entries?.get(table);
    if (!entry?.plan) {
      await describe();
      entry = entries?.get(table);
    }
    if (entry?.plan) return entry.plan;
    if (entry?.outage) throw entry.outage;
    throw new InvalidInputError(entry && !entry.check.ok ? entry.check.error : `${spec.name}:${table} cannot be read`);
  }

  return {
    describe,
    planFor,

    scan(table, opts, readerOf) {
      const maxRows = Math.min(opts.maxRows, spec.maxRowsPerTable);
      return (async function* (): AsyncGenerator<SourceRow[]> {
        const plan = await planFor(table);
        yield* keysetScan(readerOf(plan, `scanning ${table}`), { batchSize: opts.batchSize, maxRows, unique: plan.keyUnique, signal: opts.signal });
      })();
    },

    async getRows(table, keys, chunkSize, readChunk) {
      const plan = await planFor(table);
      const n = plan.keyColumns.length;
      // A cited key that cannot be one of this table's (wrong arity) matches no row.
      const tuples = checkedKeys(`${spec.name}:${table}`, keys)
        .map((k) => decodeKey(k, n))
        .filter((k): k is string[] => k !== null);
      const out: SourceRow[] = [];
      for (let i = 0; i < tuples.length; i += chunkSize) {
        const rows = await readChunk(plan, tuples.slice(i, i + chunkSize), `reading rows of ${table}`);
        out.push(...rows.map((r) => r.row));
      }
      return out;
    },
  };
}
