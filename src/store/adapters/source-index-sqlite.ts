import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StorageUnavailableError } from '../../domain/errors.js';
import type { IndexedRow, SourceChunk, SourceDocument, SourceHit, SourceIndex, SourceStatus, TableWriter } from '../source-index.js';
import { queryTerms, searchTerms } from './common.js';
import { sqlCount } from './sqlite/db.js';

// Version 4: documents and table rows (version 1 held files only), line maps (3), no generations (4). The index is a cache:
// an older layout is dropped and rebuilt from the sources, never migrated.
const VERSION = 4;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS documents (
  key TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  kind TEXT NOT NULL,
  display TEXT NOT NULL,
  signature TEXT NOT NULL,
  hash TEXT,
  chunks INTEGER NOT NULL,
  indexed_at INTEGER NOT NULL,
  status TEXT NOT NULL,
  error TEXT,
  key_column TEXT
);
CREATE INDEX IF NOT EXISTS documents_source ON documents(source, key);
CREATE TABLE IF NOT EXISTS chunks (
  id INTEGER PRIMARY KEY,
  doc_key TEXT NOT NULL,
  start_line INTEGER NOT NULL,
  end_line INTEGER NOT NULL,
  page INTEGER,
  sheet TEXT,
  row_key TEXT,
  row_hash TEXT,
  line_map TEXT
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_key, start_line);
CREATE UNIQUE INDEX IF NOT EXISTS chunks_row ON chunks(doc_key, row_key) WHERE row_key IS NOT NULL;
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(text, tokenize='unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS sources (
  name TEXT PRIMARY KEY,
  status TEXT NOT NULL
);
`;

interface DocRow {
  key: string;
  source: string;
  kind: 'file' | 'table';
  display: string;
  signature: string;
  hash: string | null;
  chunks: number;
  indexed_at: number;
  status: 'indexed' | 'skipped';
  error: string | null;
  key_column: string | null;
}

interface ChunkRow {
  id: number;
  start_line: number;
  end_line: number;
  page: number | null;
  sheet: string | null;
  row_key: string | null;
  key_column: string | null;
  line_map: string | null;
  text: string;
}

const toDoc = (r: DocRow): SourceDocument => ({
  key: r.key,
  source: r.source,
  kind: r.kind,
  display: r.display,
  signature: r.signature,
  hash: r.hash,
  chunks: r.chunks,
  indexedAt: r.indexed_at,
  status: r.status,
  error: r.error,
});

const toChunk = (r: ChunkRow): SourceChunk => ({
  startLine: r.start_line,
  endLine: r.end_line,
  page: r.page,
  sheet: r.sheet,
  row: r.row_key !== null ? { column: r.key_column ?? 'key', value: r.row_key } : null,
  lines: r.line_map ? r.line_map.split(',').map(Number) : null,
  text: r.text,
});

/** Rows a table writer looks up per statement (SQLite's bound-parameter limit is far above). */
const LOOKUP_BATCH = 500;

/**
 * The source index on SQLite FTS5, ranked by bm25. `path` is a file (created with its
 * folder) or `:memory:`. Its own database, never the store's: the index is a cache of
 * the sources and can be deleted at any time; it is rebuilt on the next refresh.
 */
export function createSqliteSourceIndex(path: string): SourceIndex {
  let db: Database.Database;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    if (path !== ':memory:') db.pragma('journal_mode = WAL');
    // An index is rebuilt from its sources after a crash at worst: durability per commit is not needed.
    db.pragma('synchronous = NORMAL');
    // Two server processes may refresh the same sources; wait rather than fail.
    db.pragma('busy_timeout = 5000');
    if ((db.pragma('user_version', { simple: true }) as number) !== VERSION) {
      db.exec('DROP TABLE IF EXISTS source_chunks_fts; DROP TABLE IF EXISTS source_chunks; DROP TABLE IF EXISTS source_files;');
      db.exec('DROP TABLE IF EXISTS chunks_fts; DROP TABLE IF EXISTS chunks; DROP TABLE IF EXISTS documents; DROP TABLE IF EXISTS sources; DROP TABLE IF EXISTS generations;');
      db.exec(SCHEMA);
      db.pragma(`user_version = ${VERSION}`);
    } else db.exec(SCHEMA);
  } catch (e) {
    throw new StorageUnavailableError(`Cannot open the source index at ${path}: ${(e as Error).message}`, e);
  }
  const q = {
    docs: db.prepare<[], DocRow>('SELECT * FROM documents ORDER BY key'),
    docsOf: db.prepare<[string], DocRow>('SELECT * FROM documents WHERE source = ? ORDER BY key'),
    upsertDoc: db.prepare(
      `INSERT INTO documents (key, source, kind, display, signature, hash, chunks, indexed_at, status, error, key_column)
       VALUES (@key, @source, @kind, @display, @signature, @hash, @chunks, @indexedAt, @status, @error, @keyColumn)
       ON CONFLICT(key) DO UPDATE SET source = excluded.source, kind = excluded.kind, display = excluded.display, signature = excluded.signature,
         hash = excluded.hash, chunks = excluded.chunks, indexed_at = excluded.indexed_at, status = excluded.status, error = excluded.error,
         key_column = excluded.key_column`,
    ),
    touchDoc: db.prepare('UPDATE documents SET display = @display, signature = @signature, indexed_at = @indexedAt WHERE key = @key'),
    deleteFts: db.prepare('DELETE FROM chunks_fts WHERE rowid IN (SELECT id FROM chunks WHERE doc_key = ?)'),
    deleteChunks: db.prepare('DELETE FROM chunks WHERE doc_key = ?'),
    deleteDoc: db.prepare('DELETE FROM documents WHERE key = ?'),
    insertChunk: db.prepare('INSERT INTO chunks (doc_key, start_line, end_line, page, sheet, row_key, row_hash, line_map) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    insertFts: db.prepare('INSERT INTO chunks_fts (rowid, text) VALUES (?, ?)'),
    updateRow: db.prepare('UPDATE chunks SET row_hash = ? WHERE id = ?'),
    deleteFtsRow: db.prepare('DELETE FROM chunks_fts WHERE rowid = ?'),
    rowIds: db.prepare<[string], number>('SELECT id FROM chunks WHERE doc_key = ?').pluck(),
    deleteChunk: db.prepare('DELETE FROM chunks WHERE id = ?'),
    countChunks: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM chunks WHERE doc_key = ?'),
    putStatus: db.prepare('INSERT INTO sources (name, status) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET status = excluded.status'),
    statuses: db.prepare<[], { name: string; status: string }>('SELECT name, status FROM sources ORDER BY name'),
    deleteStatus: db.prepare('DELETE FROM sources WHERE name = ?'),
    keysOfSource: db.prepare<[string], { key: string }>('SELECT key FROM documents WHERE source = ?'),
  };
  const statements = new Map<string, Database.Statement>();
  const prepared = (sql: string) => {
    let s = statements.get(sql);
    if (!s) statements.set(sql, (s = db.prepare(sql)));
    return s;
  };

  const removeDoc = (key: string) => {
    q.deleteFts.run(key);
    q.deleteChunks.run(key);
    q.deleteDoc.run(key);
  };
  const put = db.transaction((doc: Omit<SourceDocument, 'chunks'>, chunks: readonly SourceChunk[]) => {
    q.deleteFts.run(doc.key);
    q.deleteChunks.run(doc.key);
    for (const c of chunks) {
      const id = q.insertChunk.run(doc.key, c.startLine, c.endLine, c.page ?? null, c.sheet ?? null, c.row?.value ?? null, null, c.lines?.join(',') ?? null).lastInsertRowid;
      q.insertFts.run(id, c.text);
    }
    q.upsertDoc.run({ ...doc, chunks: chunks.length, keyColumn: null });
  });
  const removeSource = db.transaction((name: string) => {
    for (const { key } of q.keysOfSource.all(name)) removeDoc(key);
    q.deleteStatus.run(name);
  });

  const guard = <T>(what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      throw new StorageUnavailableError(`Source index (${path}) failed to ${what}: ${(e as Error).message}`, e);
    }
  };
  /** Each word quoted: FTS5 operators and column filters in the query are inert. */
  const matchOf = (query: string, all = false) => {
    const terms = all ? searchTerms(query) : queryTerms(query);
    return terms.length ? terms.map((t) => `"${t.replace(/"/g, '""')}"`).join(all ? ' AND ' : ' OR ') : null;
  };
  const sourceFilter = (sources: readonly string[] | undefined) =>
    sources ? { sql: ` AND d.source IN (${sources.map(() => '?').join(', ') || 'NULL'})`, params: [...sources] } : { sql: '', params: [] as string[] };

  let closed = false;
  return {
    location: path,
    async listDocuments(source) {
      return guard('list documents', () => (source === undefined ? q.docs.all() : q.docsOf.all(source)).map(toDoc));
    },
    async putDocument(doc, chunks) {
      guard('index a document', () => put(doc, chunks));
    },
    async touchDocument(doc) {
      guard('update a document', () => q.touchDoc.run(doc));
    },
    async removeDocument(key) {
      guard('remove a document', () => db.transaction(removeDoc)(key));
    },
    beginTable(doc, keyColumn): TableWriter {
      // The chunk ids this refresh saw, as a bitmap over rowids (dense, so 1M rows cost ~125 KB):
      // rows it did not see are gone from the source. Marking them in the table instead would
      // be a write per unchanged row.
      let seen = new Uint8Array(1 << 16);
      const see = (id: number) => {
        if (id >> 3 >= seen.length) {
          const grown = new Uint8Array(Math.max(seen.length * 2, (id >> 3) + 1));
          grown.set(seen);
          seen = grown;
        }
        seen[id >> 3]! |= 1 << (id & 7);
      };
      const wasSeen = (id: number) => id >> 3 < seen.length && (seen[id >> 3]! & (1 << (id & 7))) !== 0;
      const lookup = (keys: string[]) =>
        prepared(`SELECT id, row_key, row_hash FROM chunks WHERE doc_key = ? AND row_key IN (${keys.map(() => '?').join(', ')})`).all(doc.key, ...keys) as Array<{
          id: number;
          row_key: string;
          row_hash: string;
        }>;
      // Rows whose key another row of this refresh already had (a view keyed by a column that
      // is not unique): a citation must name one row, so the first is kept and they are counted.
      let duplicates = 0;
      const writeBatch = db.transaction((rows: readonly IndexedRow[]) => {
        let changed = 0;
        for (let i = 0; i < rows.length; i += LOOKUP_BATCH) {
          const part = rows.slice(i, i + LOOKUP_BATCH);
          const known = new Map(lookup(part.map((r) => r.key)).map((r) => [r.row_key, r]));
          const inPart = new Set<string>();
          for (const r of part) {
            const k = known.get(r.key);
            if (inPart.has(r.key) || (k && wasSeen(k.id))) {
              duplicates++;
              continue;
            }
            inPart.add(r.key);
            if (k && k.row_hash === r.hash) {
              see(k.id);
              continue;
            }
            changed++;
            if (k) {
              q.deleteFtsRow.run(k.id);
              q.insertFts.run(k.id, r.text);
              q.updateRow.run(r.hash, k.id);
              see(k.id);
            } else {
              const id = q.insertChunk.run(doc.key, 0, 0, null, null, r.key, r.hash, null).lastInsertRowid;
              q.insertFts.run(id, r.text);
              see(Number(id));
            }
          }
        }
        return changed;
      });
      const finish = db.transaction(() => {
        let removed = 0;
        const stale: number[] = [];
        for (const id of q.rowIds.iterate(doc.key)) if (!wasSeen(id)) stale.push(id);
        for (const id of stale) {
          q.deleteFtsRow.run(id);
          q.deleteChunk.run(id);
          removed++;
        }
        const rows = q.countChunks.get(doc.key)!.n;
        q.upsertDoc.run({ ...doc, hash: null, chunks: rows, status: 'indexed', error: null, keyColumn });
        return { rows, removed, duplicates };
      });
      return {
        write: async (rows) => guard('index table rows', () => writeBatch(rows)),
        finish: async () => guard('finish a table', () => finish()),
      };
    },
    async search(query, topK, opts = {}) {
      const match = matchOf(query);
      if (!match || topK <= 0) return [];
      const f = sourceFilter(opts.sources);
      const sql = `SELECT c.id, c.start_line, c.end_line, c.page, c.sheet, c.row_key, c.line_map, d.key_column, d.key AS doc_key, d.source, d.kind, d.display,
                          chunks_fts.text AS text, bm25(chunks_fts) AS rank
                   FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid JOIN documents d ON d.key = c.doc_key
                   WHERE chunks_fts MATCH ?${f.sql} ORDER BY rank, c.doc_key, c.start_line, c.id LIMIT ${sqlCount(Math.floor(topK))}`;
      return guard('search', () =>
        (prepared(sql).all(match, ...f.params) as Array<ChunkRow & { doc_key: string; source: string; kind: 'file' | 'table'; display: string; rank: number }>).map(
          (r): SourceHit => ({ ...toChunk(r), documentKey: r.doc_key, source: r.source, kind: r.kind, display: r.display, score: -r.rank }),
        ),
      );
    },
    async countMatches(query, cap, opts = {}) {
      const match = matchOf(query, opts.all);
      if (!match) return { passages: 0, rows: 0 };
      const f = sourceFilter(opts.sources);
      const count = (kind: 'file' | 'table') =>
        (
          prepared(
            `SELECT count(*) AS n FROM (SELECT 1 FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid JOIN documents d ON d.key = c.doc_key
             WHERE chunks_fts MATCH ? AND d.kind = ?${f.sql} LIMIT ${sqlCount(cap)})`,
          ).get(match, kind, ...f.params) as { n: number }
        ).n;
      return guard('count matches', () => ({ passages: count('file'), rows: count('table') }));
    },
    async putStatus(status) {
      guard('record a source status', () => q.putStatus.run(status.name, JSON.stringify(status)));
    },
    async listStatus() {
      return guard('list source status', () => q.statuses.all().map((r) => JSON.parse(r.status) as SourceStatus));
    },
    async removeSource(name) {
      guard('remove a source', () => removeSource(name));
    },
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}

export type { SourceDocument, SourceHit, SourceStatus };
