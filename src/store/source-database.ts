/**
 * The database-source port: read-only access to the tables and views a sources file
 * allow-lists, in a SQL database the team already runs (PostgreSQL through `pg`, or a
 * SQLite file). The retrieval worker indexes the rows' text columns and cites a row as
 * `{source}:{table}#{keyColumn}={value}`; the compliance worker reads watch lists kept
 * in a table.
 *
 * Safety: every query is built by the adapter from the allow-list and the database's
 * own catalog (identifiers checked against it, then quoted) with bound parameters for
 * every value — no SQL text ever comes from a model or a tool argument. Sessions are
 * read-only (PostgreSQL: a READ ONLY transaction with a statement timeout; SQLite:
 * opened read-only with query_only), and every read is bounded by a row limit.
 */

/** One `database` entry of a sources file. */
export interface DatabaseSourceSpec {
  /** The source's name in citations (`erp`). */
  name: string;
  /** `postgres://user@host:5432/db` (or `postgresql://`), or `sqlite:/path/file.db`. */
  url: string;
  /** Allow-listed tables or views, optionally schema-qualified (`public.vendors`). Nothing else is read. */
  tables: string[];
  /** Per table, the columns to read (default: all its text columns). */
  columns?: Record<string, string[]>;
  /** Per table, the column that identifies a row in citations (default: the primary key; a view needs one named here, else its first column). */
  keys?: Record<string, string>;
  /** Rows read per table at most (default 2,000,000); more are reported as not indexed. */
  maxRowsPerTable?: number;
  /** Per statement (default 15 s). */
  statementTimeoutMs?: number;
}

/** A row as the sources see it: its key and its text fields (values as strings; NULLs omitted). */
export interface SourceRow {
  table: string;
  key: { column: string; value: string };
  fields: Record<string, string>;
}

export interface TableDescription {
  /** As written in the allow-list. */
  table: string;
  kind: 'table' | 'view';
  /** The column citations name the row by. */
  keyColumn: string;
  /** The columns read (text-like ones, or those the spec names). */
  columns: string[];
}

export type TableCheck = { table: string; ok: true; description: TableDescription } | { table: string; ok: false; error: string };

export interface SourceDatabase {
  readonly name: string;
  /** The URL with any password removed: safe for logs, status and resources. */
  readonly displayUrl: string;
  /** Checks each allow-listed table: exists, readable, key and columns found. One bad table never hides the others. */
  describe(): Promise<TableCheck[]>;
  /**
   * A cheap fingerprint of a table's content that changes when rows change
   * (PostgreSQL: pg_stat counters; SQLite: the file's and WAL's size and mtime), or
   * null when none can be had (a view): then the indexer re-reads it by age.
   */
  fingerprint(table: string): Promise<string | null>;
  /** The table's rows in key order, in batches (keyset paging on the key), at most `maxRows` in all. */
  scan(table: string, opts: { batchSize: number; maxRows: number; signal?: AbortSignal }): AsyncIterable<SourceRow[]>;
  /** The rows with these key values (re-reading cited rows), at most 1,000 keys. */
  getRows(table: string, keys: readonly string[]): Promise<SourceRow[]>;
  close(): Promise<void>;
}
