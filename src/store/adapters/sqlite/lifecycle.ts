/**
 * The SQLite store's data-lifecycle steps (the contract is on StorePort in
 * src/store/port.ts): export from one snapshot, idempotent import, erasure helpers and
 * receipts (migration 10).
 */
import Database from 'better-sqlite3';
import type { ErasureReceipt } from '../../../domain/erasure.js';
import type { SignalAttachment } from '../../../domain/task.js';
import type { ArchiveRow, ImportBatchResult } from '../../archive/types.js';
import { assertTenantId } from '../../keys.js';
import type { Page } from '../../port.js';
import { decodeCursor, encodeCursor, pageLimit } from '../common.js';
import { ERASURE_COLUMNS, erasureFromRow, erasureValues } from '../erasure-rows.js';
import { IN_MEMORY, mapSqliteError, sqlCount, type Db } from './db.js';
import type { SqliteOutbox } from './outbox.js';
import * as C from './rows.js';
import { scopeOf, termsOf } from './search.js';

type Row = Record<string, unknown>;

/**
 * A connection of its own holding one read snapshot of the file: in WAL mode a read
 * transaction sees the database as of its first read, whatever commits meanwhile, and
 * writers on other connections are not held up. A private in-memory database cannot be
 * opened twice, so it is copied (serialize) instead: those are small, test-sized stores.
 */
function snapshotConnection(db: Db): Database.Database {
  try {
    if (db.location === IN_MEMORY) return new Database(db.raw.serialize());
    const conn = new Database(db.location, { readonly: true, fileMustExist: true });
    conn.pragma('busy_timeout = 5000');
    return conn;
  } catch (e) {
    throw mapSqliteError(e, db.location);
  }
}

const FILES = `(SELECT json_group_array(json_object('index', a.idx, 'name', a.name, 'mediaType', a.media_type, 'size', a.size, 'sha256', a.sha256))
  FROM (SELECT * FROM signal_attachments a WHERE a.tenant_id = s.tenant_id AND a.signal_id = s.id ORDER BY a.idx) a) AS lh_files`;

/** Every exported table: its query (a tenant filter `%W` on alias-free tenant_id) and how a row becomes an archive row. */
const PLAN: ReadonlyArray<{ sql: string; row: (r: Row) => ArchiveRow }> = [
  { sql: 'SELECT * FROM investigations %W ORDER BY tenant_id, id', row: (r) => ({ t: 'investigation', row: C.investigations.fromRow(r) }) },
  { sql: 'SELECT * FROM sessions %W ORDER BY tenant_id, id', row: (r) => ({ t: 'session', row: C.sessions.fromRow(r) }) },
  { sql: 'SELECT * FROM tasks %W ORDER BY tenant_id, id', row: (r) => ({ t: 'task', row: C.tasks.fromRow(r) }) },
  { sql: 'SELECT * FROM waits %W ORDER BY tenant_id, id', row: (r) => ({ t: 'wait', row: C.waits.fromRow(r) }) },
  {
    sql: `SELECT s.*, ${FILES} FROM signals s %W ORDER BY tenant_id, id`,
    row: (r) => ({ t: 'signal', row: { ...C.signals.fromRow(r), attachments: JSON.parse(String(r.lh_files)) as SignalAttachment[] } }),
  },
  {
    sql: 'SELECT tenant_id, signal_id, idx, name, media_type, size, sha256, content FROM signal_attachments %W ORDER BY tenant_id, signal_id, idx',
    row: (r) => ({
      t: 'attachment',
      row: {
        tenantId: String(r.tenant_id),
        signalId: String(r.signal_id),
        meta: { index: Number(r.idx), name: String(r.name), mediaType: String(r.media_type), size: Number(r.size), sha256: String(r.sha256) },
        content: new Uint8Array(r.content as Buffer),
      },
    }),
  },
  {
    sql: 'SELECT * FROM signal_totals %W ORDER BY tenant_id, investigation_id',
    row: (r) => ({ t: 'signal_total', row: { tenantId: String(r.tenant_id), investigationId: String(r.investigation_id), count: Number(r.count), bytes: Number(r.bytes) } }),
  },
  { sql: 'SELECT * FROM checkpoints %W ORDER BY tenant_id, session_id', row: (r) => ({ t: 'checkpoint', row: C.checkpoints.fromRow(r) }) },
  { sql: 'SELECT * FROM events %W ORDER BY seq', row: (r) => ({ t: 'event', row: { ...C.events.fromRow(r), seq: Number(r.seq) } }) },
  { sql: 'SELECT * FROM records %W ORDER BY rid', row: (r) => ({ t: 'record', row: C.records.fromRow(r) }) },
  { sql: 'SELECT * FROM reports %W ORDER BY tenant_id, id', row: (r) => ({ t: 'report', row: C.reports.fromRow(r) }) },
  { sql: 'SELECT * FROM inbox %W ORDER BY tenant_id, id', row: (r) => ({ t: 'inbox', row: C.inbox.fromRow(r) }) },
  { sql: 'SELECT * FROM erasures %W ORDER BY tenant_id, id', row: (r) => ({ t: 'erasure', row: erasureFromRow(r) }) },
];

/** StorePort.exportRows: one read transaction on a connection of its own, each table read row by row (iterate). */
export async function* exportSqlite(db: Db, tenants?: readonly string[]): AsyncGenerator<ArchiveRow> {
  for (const t of tenants ?? []) assertTenantId(t);
  const conn = snapshotConnection(db);
  try {
    conn.exec('BEGIN');
    // The snapshot starts at the first read, before any row is handed out.
    conn.prepare('SELECT count(*) FROM sqlite_master').get();
    const where = tenants ? 'WHERE tenant_id IN (SELECT value FROM json_each(?))' : '';
    const params = tenants ? [JSON.stringify(tenants)] : [];
    for (const step of PLAN) {
      const stmt = conn.prepare(step.sql.replace('%W', where));
      // One row in memory at a time; the statement is finalized when the loop ends or the consumer stops.
      for (const r of stmt.iterate(...params) as IterableIterator<Row>) yield step.row(r);
    }
  } catch (e) {
    throw mapSqliteError(e, db.location);
  } finally {
    try {
      if (conn.inTransaction) conn.exec('COMMIT');
    } catch {
      // A read-only transaction: nothing to keep.
    }
    conn.close();
  }
}

const ignore = (sql: string) => `${sql} ON CONFLICT DO NOTHING`;
const INSERT = {
  investigation: ignore(C.investigations.insertSql),
  session: ignore(C.sessions.insertSql),
  task: ignore(C.tasks.insertSql),
  wait: ignore(C.waits.insertSql),
  signal: ignore(C.signals.insertSql),
  attachment: ignore('INSERT INTO signal_attachments (tenant_id, signal_id, idx, name, media_type, size, sha256, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
  signal_total: ignore('INSERT INTO signal_totals (tenant_id, investigation_id, count, bytes) VALUES (?, ?, ?, ?)'),
  checkpoint: ignore(C.checkpoints.insertSql),
  event: ignore(C.events.insertSql),
  record: ignore(C.records.insertSql),
  report: ignore(C.reports.insertSql),
  inbox: ignore(C.inbox.insertSql),
  erasure: ignore(`INSERT INTO erasures (${ERASURE_COLUMNS.join(', ')}) VALUES (${ERASURE_COLUMNS.map(() => '?').join(', ')})`),
} as const;

/** StorePort.importRows: one write transaction; each row only when absent. */
export function importSqlite(db: Db, outbox: SqliteOutbox, rows: readonly ArchiveRow[]): ImportBatchResult {
  for (const r of rows) assertTenantId(r.row.tenantId);
  return db.write(() => {
    let inserted = 0;
    const eventSeqs: number[] = [];
    const shipped = new Map<string, { events: string[]; records: string[] }>();
    const ship = (tenantId: string) => {
      let s = shipped.get(tenantId);
      if (!s) shipped.set(tenantId, (s = { events: [], records: [] }));
      return s;
    };
    for (const r of rows) {
      let n = 0;
      switch (r.t) {
        case 'investigation':
          n = db.run(INSERT.investigation, C.investigations.params(r.row)).changes;
          break;
        case 'session':
          n = db.run(INSERT.session, C.sessions.params(r.row)).changes;
          break;
        case 'task':
          n = db.run(INSERT.task, C.tasks.params(r.row)).changes;
          break;
        case 'wait':
          n = db.run(INSERT.wait, C.waits.params(r.row)).changes;
          break;
        case 'signal':
          n = db.run(INSERT.signal, C.signals.params(r.row)).changes;
          break;
        case 'attachment': {
          const { meta, content } = r.row;
          n = db.run(INSERT.attachment, r.row.tenantId, r.row.signalId, meta.index, meta.name, meta.mediaType, meta.size, meta.sha256, Buffer.from(content.buffer, content.byteOffset, content.byteLength)).changes;
          break;
        }
        case 'signal_total':
          n = db.run(INSERT.signal_total, r.row.tenantId, r.row.investigationId, r.row.count, r.row.bytes).changes;
          break;
        case 'checkpoint':
          n = db.run(INSERT.checkpoint, C.checkpoints.params(r.row)).changes;
          break;
        case 'event': {
          const res = db.run(INSERT.event, C.events.params(r.row));
          n = res.changes;
          if (n > 0) {
            eventSeqs.push(Number(res.lastInsertRowid));
            ship(r.row.tenantId).events.push(r.row.id);
          } else eventSeqs.push(db.get<{ seq: number }>('SELECT seq FROM events WHERE tenant_id = ? AND id = ?', r.row.tenantId, r.row.id)!.seq);
          break;
        }
        case 'record': {
          const res = db.run(INSERT.record, C.records.params(r.row));
          n = res.changes;
          if (n > 0) {
            // The full-text index is the store's own: rebuilt from the record's text, never imported.
            db.run('INSERT INTO records_fts (rowid, terms, scope) VALUES (?, ?, ?)', res.lastInsertRowid, termsOf(r.row.tenantId, r.row.status, r.row.text), scopeOf(r.row.tenantId, r.row.namespace));
            ship(r.row.tenantId).records.push(r.row.id);
          }
          break;
        }
        case 'report':
          n = db.run(INSERT.report, C.reports.params(r.row)).changes;
          break;
        case 'inbox':
          n = db.run(INSERT.inbox, C.inbox.params(r.row)).changes;
          break;
        case 'erasure':
          n = db.run(INSERT.erasure, ...erasureValues(r.row)).changes;
          break;
      }
      inserted += n;
    }
    // With an external memory, what arrives here ships to it like anything written here.
    for (const [tenantId, s] of shipped) {
      outbox.enqueue(tenantId, 'event', s.events);
      outbox.enqueue(tenantId, 'record', s.records);
    }
    return { inserted, skipped: rows.length - inserted, eventSeqs };
  });
}

/** StorePort.deleteMentions. */
export function deleteMentionsSqlite(db: Db, tenantId: string, needles: readonly string[]): { changeLogRows: number; kvEntries: number } {
  assertTenantId(tenantId);
  const found = needles.filter((x) => typeof x === 'string' && x.length > 0);
  if (found.length === 0) return { changeLogRows: 0, kvEntries: 0 };
  // kv keys come from tenantKey() (`t:{tenant}:…`), behind keyv's namespace prefix.
  const own = `t:${tenantId}:`;
  return db.write(() => {
    let changeLogRows = 0;
    let kvEntries = 0;
    for (const needle of found) {
      changeLogRows += db.run('DELETE FROM change_log WHERE tenant_id = ? AND instr(change, ?) > 0', tenantId, needle).changes;
      kvEntries += db.run(
        `DELETE FROM kv WHERE (substr(key, 1, length(@own)) = @own OR instr(key, ':' || @own) > 0) AND (instr(key, @needle) > 0 OR instr(coalesce(value, ''), @needle) > 0)`,
        { own, needle },
      ).changes;
    }
    return { changeLogRows, kvEntries };
  });
}

/**
 * StorePort.reclaimDeleted: merges records_fts into one segment (an FTS5 delete only
 * marks entries deleted until segments merge), then VACUUM (rewrites the file: freed pages
 * that held deleted rows are gone) and truncates the WAL, where the old pages also lived.
 */
export function reclaimSqlite(db: Db): void {
  db.write(() => db.run(`INSERT INTO records_fts (records_fts) VALUES ('optimize')`));
  try {
    db.raw.exec('VACUUM');
    if (db.location !== IN_MEMORY) db.raw.pragma('wal_checkpoint(TRUNCATE)');
  } catch (e) {
    throw mapSqliteError(e, db.location);
  }
}

/** Erasure receipts of one tenant. */
export const sqliteErasures = {
  save(db: Db, receipt: ErasureReceipt): void {
    db.write(() => db.run(`INSERT INTO erasures (${ERASURE_COLUMNS.join(', ')}) VALUES (${ERASURE_COLUMNS.map(() => '?').join(', ')})`, ...erasureValues(receipt)));
  },
  get(db: Db, tenantId: string, id: string): ErasureReceipt | null {
    return db.read(() => {
      const row = db.get('SELECT * FROM erasures WHERE tenant_id = ? AND id = ?', tenantId, id);
      return row ? erasureFromRow(row) : null;
    });
  },
  list(db: Db, tenantId: string, q: { limit: number; cursor?: string | null }): Page<ErasureReceipt> {
    const n = pageLimit(q.limit);
    return db.read(() => {
      const total = db.get<{ n: number }>('SELECT count(*) AS n FROM erasures WHERE tenant_id = ?', tenantId)!.n;
      let rows: Row[];
      if (q.cursor) {
        const [at, id] = decodeCursor('era', q.cursor, ['number', 'string'] as const);
        rows = db.all(
          `SELECT * FROM erasures WHERE tenant_id = ? AND (created_at < ? OR (created_at = ? AND id < ?)) ORDER BY created_at DESC, id DESC LIMIT ${sqlCount(n + 1)}`,
          tenantId,
          at,
          at,
          id,
        );
      } else rows = db.all(`SELECT * FROM erasures WHERE tenant_id = ? ORDER BY created_at DESC, id DESC LIMIT ${sqlCount(n + 1)}`, tenantId);
      const items = rows.slice(0, n).map(erasureFromRow);
      const last = items[items.length - 1];
      return { items, total, nextCursor: rows.length > n && last ? encodeCursor('era', [last.createdAt, last.id]) : null };
    });
  },
};
