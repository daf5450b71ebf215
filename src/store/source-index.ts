/**
 * The source index port: full-text search over one tenant's sources — the documents of
 * its folders and the rows of its allow-listed database tables — chunked with
 * locators, so every hit can be cited (`docs/policies/aml.md:12-14`,
 * `docs/minutes.pdf:p3`, `erp:vendors#id=42`).
 *
 * The index is a cache of the sources, not tenant data: it is rebuilt from them at any
 * time (the library in src/workers/sources/ keeps it current), so it lives in its own
 * SQLite file per tenant beside the store rather than in the store itself — one file per
 * tenant, so no query can reach another tenant's documents.
 */

/** What the indexer last saw of a document (a file, or a whole table): enough to tell whether it changed. */
export interface SourceDocument {
  /** `file:/abs/path` or `table:{source}:{table}`: the key. */
  key: string;
  /** The source's name (`docs`, `erp`). */
  source: string;
  kind: 'file' | 'table';
  /** How citations name it: `docs/policies/aml.md` (source name and path below the folder) or `erp:vendors`. */
  display: string;
  /** Changes when the document changes: a file's mtime and size, a table's fingerprint (empty: unknown). */
  signature: string;
  /** SHA-256 of a file's bytes (a touched but unchanged file is not re-read); null for tables. */
  hash: string | null;
  /** Passages (files) or rows (tables) indexed. */
  chunks: number;
  indexedAt: number;
  /** `skipped`: the file could not be read (a scan without text, a corrupt file, too large); `error` says why. */
  status: 'indexed' | 'skipped';
  error: string | null;
}

/** A passage of a file, or one row of a table. */
export interface SourceChunk {
  /** 1-based line range: of the file, of the page (PDF), paragraphs (DOCX), rows of the sheet (XLSX); 0 for a table row. */
  startLine: number;
  endLine: number;
  /** PDF: the page the passage is on (a chunk never spans pages). */
  page?: number | null;
  /** XLSX: the sheet the rows are on (a chunk never spans sheets). */
  sheet?: string | null;
  /** Table rows: the key column and value that identify the row. */
  row?: { column: string; value: string } | null;
  /**
   * The line of each of `text`'s lines, when they are not simply startLine, startLine + 1, …
   * (HTML leaves out lines without text and may put several on one source line).
   */
  lines?: number[] | null;
  /** The passage's lines joined by `\n` (HTML stripped, CSV rows labelled); a row as `column: value` lines. */
  text: string;
}

export interface SourceHit extends SourceChunk {
  documentKey: string;
  source: string;
  kind: 'file' | 'table';
  display: string;
  /** Higher is better (bm25 negated). Comparable within one search only. */
  score: number;
}

/** One source's last refresh, for `longhaul://sources` and `longhaul status`. */
export interface SourceStatus {
  name: string;
  kind: 'folder' | 'database';
  /** Folder path, or the database URL without its password. */
  location: string;
  /** When the last refresh finished (null: never). */
  refreshedAt: number | null;
  /** Files indexed, or tables read. */
  documents: number;
  /** Passages of files, or rows of tables. */
  chunks: number;
  /** Files skipped (unreadable) or tables that failed. */
  skipped: number;
  /** What went wrong on the last refresh: a folder that cannot be read, a table not found, a database that did not answer. */
  errors: string[];
  /** How long the last refresh took. */
  durationMs: number | null;
}

/** A row of a table for `replaceRows`: its key, the hash of its fields, its indexed text. */
export interface IndexedRow {
  key: string;
  hash: string;
  text: string;
}

export interface SourceIndex {
  /** Where it lives, for logs: a file path or `:memory:`. */
  readonly location: string;
  /** Every indexed document, optionally of one source, in key order. */
  listDocuments(source?: string): Promise<SourceDocument[]>;
  /** Replaces a document's chunks and its signature in one atomic step (a skipped one has none). */
  putDocument(doc: Omit<SourceDocument, 'chunks'>, chunks: readonly SourceChunk[]): Promise<void>;
  /** Updates a document's signature only (its mtime moved, its bytes did not). */
  touchDocument(doc: Omit<SourceDocument, 'chunks'>): Promise<void>;
  /** Drops a document and its chunks (deleted, or its source is no longer configured). */
  removeDocument(key: string): Promise<void>;
  /**
   * Brings a table's rows up to date batch by batch: rows whose hash is unchanged are
   * kept (only marked seen), new and changed ones (re)indexed; `finish` drops the rows
   * no batch named and records the document. Each batch is one transaction, so a large
   * table is never one huge write and searches see committed batches.
   */
  beginTable(doc: Omit<SourceDocument, 'chunks' | 'status' | 'error' | 'hash'>, keyColumn: string): TableWriter;
  /**
   * Ranked full-text search: chunks matching any of the query's words, best first, at
   * most `topK`, optionally only of some sources. Query syntax never reaches the engine
   * (words only). Empty query → [].
   */
  search(query: string, topK: number, opts?: { sources?: readonly string[] }): Promise<SourceHit[]>;
  /**
   * How many chunks of files and rows of tables match any of the words — or, with
   * `all`, every content word (stop words aside) — counting at most `cap` of each.
   */
  countMatches(query: string, cap: number, opts?: { sources?: readonly string[]; all?: boolean }): Promise<{ passages: number; rows: number }>;
  putStatus(status: SourceStatus): Promise<void>;
  listStatus(): Promise<SourceStatus[]>;
  /** Forgets a source no longer configured: its status, documents and chunks. */
  removeSource(name: string): Promise<void>;
  close(): Promise<void>;
}

export interface TableWriter {
  /** Indexes one batch (one transaction). Returns how many rows were new or changed. */
  write(rows: readonly IndexedRow[]): Promise<number>;
  /**
   * Drops rows not written since begin, records the document with its row count. Returns
   * rows removed, and rows skipped because an earlier row of this refresh had their key.
   */
  finish(): Promise<{ rows: number; removed: number; duplicates: number }>;
}

/**
 * Defers opening an index until it is first used: `longhaul status` and `longhaul
 * signal` build the app but never search, so they never open the index file.
 */
export function lazySourceIndex(location: string, open: () => SourceIndex): SourceIndex {
  let index: SourceIndex | null = null;
  const get = () => (index ??= open());
  return {
    location,
    listDocuments: (s) => get().listDocuments(s),
    putDocument: (d, c) => get().putDocument(d, c),
    touchDocument: (d) => get().touchDocument(d),
    removeDocument: (k) => get().removeDocument(k),
    beginTable: (d, k) => get().beginTable(d, k),
    search: (q, k, o) => get().search(q, k, o),
    countMatches: (q, c, o) => get().countMatches(q, c, o),
    putStatus: (s) => get().putStatus(s),
    listStatus: () => get().listStatus(),
    removeSource: (n) => get().removeSource(n),
    close: async () => {
      await index?.close();
    },
  };
}

/** The file line of line `i` (0-based) of a chunk's text. */
export const lineOf = (c: Pick<SourceChunk, 'startLine' | 'lines'>, i: number): number => c.lines?.[i] ?? c.startLine + i;
