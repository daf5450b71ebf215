/**
 * The document-source index port: full-text search over the folders in
 * `LONGHAUL_SOURCES`, chunked with line numbers so every hit can be cited
 * (file, line range, snippet).
 *
 * The index is a cache of the files on disk, not tenant data: it is rebuilt from the
 * folders at any time (the indexer in src/workers/sources/ keeps it current), so it
 * lives in its own SQLite file beside the store rather than in the store itself.
 * Adapters: SQLite FTS5 with bm25 (src/store/adapters/source-index-sqlite.ts) and an
 * in-process scorer for unit tests (src/store/adapters/source-index-memory.ts).
 */

/** What the indexer last saw of a file: enough to tell whether it changed. */
export interface SourceFile {
  /** Absolute path: the key. */
  path: string;
  /** The configured source folder it was found under (absolute). */
  root: string;
  /** How citations name it: the folder's base name and the path below it, `techcorp/vendors.csv`. */
  display: string;
  mtimeMs: number;
  size: number;
  /** SHA-256 of the raw bytes: a touched but unchanged file is not re-chunked. */
  hash: string;
  chunks: number;
  indexedAt: number;
}

/** A passage of a file: lines `startLine`..`endLine` (1-based, inclusive) as text. */
export interface SourceChunk {
  /** 1-based line range: of the file, of the page (PDF), paragraphs (DOCX), rows of the sheet (XLSX). */
  startLine: number;
  endLine: number;
  /** PDF: the page the passage is on (a chunk never spans pages). */
  page?: number | null;
  /** XLSX: the sheet the rows are on (a chunk never spans sheets). */
  sheet?: string | null;
  /** The passage's lines joined by `\n`, already converted to text (HTML stripped, CSV rows labelled). */
  text: string;
}

export interface SourceHit extends SourceChunk {
  path: string;
  display: string;
  /** Higher is better (bm25 negated on SQLite). Comparable within one search only. */
  score: number;
}

export interface SourceIndex {
  /** Where it lives, for logs: a file path or `:memory:`. */
  readonly location: string;
  /** Every indexed file (the indexer compares them with the folders). */
  listFiles(): Promise<SourceFile[]>;
  /** Replaces a file's chunks and its signature in one atomic step. */
  putFile(file: Omit<SourceFile, 'chunks'>, chunks: readonly SourceChunk[]): Promise<void>;
  /** Updates a file's signature only (its mtime moved, its bytes did not). */
  touchFile(file: Omit<SourceFile, 'chunks'>): Promise<void>;
  /** Drops a file and its chunks (deleted on disk, or its folder is no longer configured). */
  removeFile(path: string): Promise<void>;
  /**
   * Ranked full-text search: chunks matching any of the query's words, best first, at
   * most `topK`. Query syntax never reaches the engine (words only). Empty query → [].
   */
  search(query: string, topK: number): Promise<SourceHit[]>;
  close(): Promise<void>;
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
    listFiles: () => get().listFiles(),
    putFile: (f, c) => get().putFile(f, c),
    touchFile: (f) => get().touchFile(f),
    removeFile: (p) => get().removeFile(p),
    search: (q, k) => get().search(q, k),
    close: async () => {
      await index?.close();
    },
  };
}
