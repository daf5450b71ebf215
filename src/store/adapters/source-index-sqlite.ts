import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StorageUnavailableError } from '../../domain/errors.js';
import type { SourceChunk, SourceFile, SourceHit, SourceIndex } from '../source-index.js';
import { queryTerms } from './common.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS source_files (
  path TEXT PRIMARY KEY,
  root TEXT NOT NULL,
  display TEXT NOT NULL,
  mtime_ms REAL NOT NULL,
  size INTEGER NOT NULL,
  hash TEXT NOT NULL,
  chunks INTEGER NOT NULL,
  indexed_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS source_chunks (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL,
  start_line INTEGER NOT NULL,
  end_line INTEGER NOT NULL,
  text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS source_chunks_path ON source_chunks(path);
CREATE VIRTUAL TABLE IF NOT EXISTS source_chunks_fts USING fts5(
  text, content='source_chunks', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS source_chunks_ai AFTER INSERT ON source_chunks BEGIN
  INSERT INTO source_chunks_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER IF NOT EXISTS source_chunks_ad AFTER DELETE ON source_chunks BEGIN
  INSERT INTO source_chunks_fts(source_chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
`;

interface FileRow {
  path: string;
  root: string;
  display: string;
  mtime_ms: number;
  size: number;
  hash: string;
  chunks: number;
  indexed_at: number;
}

/**
 * The source index on SQLite FTS5, ranked by bm25. `path` is a file (created with its
 * folder) or `:memory:`. Its own database, never the store's: the index is a cache of
 * the folders and can be deleted at any time; it is rebuilt on the next refresh.
 */
export function createSqliteSourceIndex(path: string): SourceIndex {
  let db: Database.Database;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    if (path !== ':memory:') db.pragma('journal_mode = WAL');
    // Two server processes may refresh the same folders; wait rather than fail.
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
  } catch (e) {
    throw new StorageUnavailableError(`Cannot open the source index at ${path}: ${(e as Error).message}`, e);
  }
  const q = {
    files: db.prepare<[], FileRow>('SELECT * FROM source_files ORDER BY path'),
    upsertFile: db.prepare(
      `INSERT INTO source_files (path, root, display, mtime_ms, size, hash, chunks, indexed_at)
       VALUES (@path, @root, @display, @mtimeMs, @size, @hash, @chunks, @indexedAt)
       ON CONFLICT(path) DO UPDATE SET root = excluded.root, display = excluded.display, mtime_ms = excluded.mtime_ms,
         size = excluded.size, hash = excluded.hash, chunks = excluded.chunks, indexed_at = excluded.indexed_at`,
    ),
    touchFile: db.prepare('UPDATE source_files SET root = @root, display = @display, mtime_ms = @mtimeMs, size = @size, indexed_at = @indexedAt WHERE path = @path'),
    deleteChunks: db.prepare('DELETE FROM source_chunks WHERE path = ?'),
    deleteFile: db.prepare('DELETE FROM source_files WHERE path = ?'),
    insertChunk: db.prepare('INSERT INTO source_chunks (path, start_line, end_line, text) VALUES (?, ?, ?, ?)'),
    search: db.prepare<[string, number], { path: string; display: string; start_line: number; end_line: number; text: string; rank: number }>(
      `SELECT c.path, f.display, c.start_line, c.end_line, c.text, bm25(source_chunks_fts) AS rank
       FROM source_chunks_fts JOIN source_chunks c ON c.id = source_chunks_fts.rowid JOIN source_files f ON f.path = c.path
       WHERE source_chunks_fts MATCH ? ORDER BY rank, c.path, c.start_line LIMIT ?`,
    ),
  };
  const put = db.transaction((file: Omit<SourceFile, 'chunks'>, chunks: readonly SourceChunk[]) => {
    q.deleteChunks.run(file.path);
    for (const c of chunks) q.insertChunk.run(file.path, c.startLine, c.endLine, c.text);
    q.upsertFile.run({ ...file, chunks: chunks.length });
  });
  const remove = db.transaction((path: string) => {
    q.deleteChunks.run(path);
    q.deleteFile.run(path);
  });
  const guard = <T>(what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      throw new StorageUnavailableError(`Source index (${path}) failed to ${what}: ${(e as Error).message}`, e);
    }
  };
  let closed = false;
  return {
    location: path,
    async listFiles() {
      return guard('list files', () =>
        q.files.all().map((r) => ({ path: r.path, root: r.root, display: r.display, mtimeMs: r.mtime_ms, size: r.size, hash: r.hash, chunks: r.chunks, indexedAt: r.indexed_at })),
      );
    },
    async putFile(file, chunks) {
      guard('index a file', () => put(file, chunks));
    },
    async touchFile(file) {
      guard('update a file', () => q.touchFile.run(file));
    },
    async removeFile(p) {
      guard('remove a file', () => remove(p));
    },
    async search(query, topK) {
      const terms = queryTerms(query);
      if (terms.length === 0 || topK <= 0) return [];
      // Each word quoted: FTS5 operators and column filters in the query are inert.
      const match = terms.map((t) => `"${t.replace(/"/g, '""')}"`).join(' OR ');
      return guard('search', () =>
        q.search.all(match, Math.floor(topK)).map(
          (r): SourceHit => ({ path: r.path, display: r.display, startLine: r.start_line, endLine: r.end_line, text: r.text, score: -r.rank }),
        ),
      );
    },
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
