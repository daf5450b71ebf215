/**
 * The PostgreSQL store's data-lifecycle steps (the contract is on StorePort in
 * src/store/port.ts): export from one REPEATABLE READ snapshot through cursors,
 * idempotent import in batches, erasure helpers and receipts (migration 4).
 */
import type { ErasureReceipt } from '../../../domain/erasure.js';
import type { MemoryEvent } from '../../../domain/event.js';
import type { SignalAttachment } from '../../../domain/task.js';
import type { ArchiveRow, ImportBatchResult } from '../../archive/types.js';
import { assertTenantId } from '../../keys.js';
import type { Page } from '../../port.js';
import { decodeCursor, encodeCursor, pageLimit } from '../common.js';
import { ERASURE_COLUMNS, erasureFromRow, erasureValues } from '../erasure-rows.js';
import { Conn, lockKey, mapPgError, type PgDb } from './db.js';
import { enqueueIfOn } from './outbox.js';
import * as C from './rows.js';
import { recordLexemes, recordWords } from './search.js';

type Row = Record<string, unknown>;

const FILES = `(SELECT coalesce(json_agg(json_build_object('index', a.idx, 'name', a.name, 'mediaType', a.media_type, 'size', a.size, 'sha256', a.sha256) ORDER BY a.idx), '[]')
  FROM signal_attachments a WHERE a.tenant_id = s.tenant_id AND a.signal_id = s.id) AS lh_files`;

/** Every exported table: its query (`%W` the tenant filter), rows per FETCH, and how a row becomes an archive row. */
const PLAN: ReadonlyArray<{ sql: string; fetch: number; row: (r: Row) => ArchiveRow }> = [
  { sql: 'SELECT * FROM investigations %W ORDER BY tenant_id, id', fetch: 500, row: (r) => ({ t: 'investigation', row: C.investigations.fromRow(r) }) },
  { sql: 'SELECT * FROM sessions %W ORDER BY tenant_id, id', fetch: 500, row: (r) => ({ t: 'session', row: C.sessions.fromRow(r) }) },
  { sql: 'SELECT * FROM tasks %W ORDER BY tenant_id, id', fetch: 500, row: (r) => ({ t: 'task', row: C.tasks.fromRow(r) }) },
  { sql: 'SELECT * FROM waits %W ORDER BY tenant_id, id', fetch: 500, row: (r) => ({ t: 'wait', row: C.waits.fromRow(r) }) },
  {
    sql: `SELECT s.*, ${FILES} FROM signals s %W ORDER BY tenant_id, id`,
    fetch: 200,
    row: (r) => ({ t: 'signal', row: { ...C.signals.fromRow(r), attachments: r.lh_files as SignalAttachment[] } }),
  },
  {
    // Files are up to 5 MiB each: a few per fetch.
    sql: 'SELECT tenant_id, signal_id, idx, name, media_type, size, sha256, content FROM signal_attachments %W ORDER BY tenant_id, signal_id, idx',
    fetch: 4,
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
    fetch: 500,
    row: (r) => ({ t: 'signal_total', row: { tenantId: String(r.tenant_id), investigationId: String(r.investigation_id), count: Number(r.count), bytes: Number(r.bytes) } }),
  },
  { sql: 'SELECT * FROM checkpoints %W ORDER BY tenant_id, session_id', fetch: 500, row: (r) => ({ t: 'checkpoint', row: C.checkpoints.fromRow(r) }) },
  { sql: 'SELECT * FROM events %W ORDER BY seq', fetch: 1000, row: (r) => ({ t: 'event', row: { ...C.events.fromRow(r), seq: Number(r.seq) } }) },
  { sql: `SELECT ${C.records.selectList()} FROM records %W ORDER BY rid`, fetch: 500, row: (r) => ({ t: 'record', row: C.records.fromRow(r) }) },
  { sql: 'SELECT * FROM reports %W ORDER BY tenant_id, id', fetch: 200, row: (r) => ({ t: 'report', row: C.reports.fromRow(r) }) },
  { sql: 'SELECT * FROM inbox %W ORDER BY tenant_id, id', fetch: 500, row: (r) => ({ t: 'inbox', row: C.inbox.fromRow(r) }) },
  { sql: 'SELECT * FROM erasures %W ORDER BY tenant_id, id', fetch: 500, row: (r) => ({ t: 'erasure', row: erasureFromRow(r) }) },
];

/**
 * StorePort.exportRows: one REPEATABLE READ READ ONLY transaction on a connection of its
 * own (one snapshot for every table), each table read through a cursor a page at a time.
 */
export async function* exportPg(db: PgDb, tenants?: readonly string[]): AsyncGenerator<ArchiveRow> {
  // Tenant ids are allow-listed (letters, digits, . _ @ -): safe as SQL literals, which a
  // DECLARE needs (its query takes no bound parameters).
  const where = tenants ? `WHERE tenant_id = ANY(ARRAY[${tenants.map((t) => `'${assertTenantId(t)}'`).join(', ')}]::text[])` : '';
  const client = await db.connect();
  const c = new Conn(client, db.location);
  let broken: Error | undefined;
  let committed = false;
  try {
    await c.run('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    for (const [i, step] of PLAN.entries()) {
      const cursor = `lh_export_${i}`;
      await c.run(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${step.sql.replace('%W', where)}`);
      for (;;) {
        const rows = await c.all(`FETCH ${step.fetch} FROM ${cursor}`);
        for (const r of rows) yield step.row(r);
        if (rows.length < step.fetch) break;
      }
      await c.run(`CLOSE ${cursor}`);
    }
    await c.run('COMMIT');
    committed = true;
  } catch (e) {
    broken = e instanceof Error ? e : new Error(String(e));
    throw mapPgError(e, db.location);
  } finally {
    // Stopped early (the consumer returned): the snapshot is dropped with its transaction.
    if (!committed && broken === undefined) await client.query('ROLLBACK').catch(() => undefined);
    db.release(client, broken);
  }
}

const ignore = (sql: string) => `${sql} ON CONFLICT DO NOTHING`;
const RECORD_INSERT = (() => {
  const cols = C.records.insertColumns;
  const n = cols.length;
  return ignore(`INSERT INTO records (${cols.join(', ')}, words, word_count, tsv) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')}, $${n + 1}, $${n + 2}, array_to_tsvector($${n + 3}::text[]))`);
})();
const EVENT_COLUMNS = C.events.insertColumns;
const EVENT_ARRAY_TYPES: Record<string, string> = { created_at: 'bigint[]', expires_at: 'bigint[]' };
const EVENT_INSERT = ignore(
  `INSERT INTO events (seq, ${EVENT_COLUMNS.join(', ')}) SELECT * FROM unnest($1::bigint[], ${EVENT_COLUMNS.map((col, i) => `$${i + 2}::${EVENT_ARRAY_TYPES[col] ?? 'text[]'}`).join(', ')})`,
) + ' RETURNING tenant_id, id, seq';

/**
 * StorePort.importRows: one transaction; each row only when absent. Events go in one
 * statement per run of event rows, with seqs drawn under their tenants' event locks (the
 * lock appends take: a tenant's events still commit in seq order).
 */
export async function importPg(db: PgDb, rows: readonly ArchiveRow[], now: number): Promise<ImportBatchResult> {
  for (const r of rows) assertTenantId(r.row.tenantId);
  return db.write(async (c) => {
    let inserted = 0;
    const eventSeqs: number[] = [];
    const records = new Map<string, string[]>();
    for (let i = 0; i < rows.length; ) {
      const r = rows[i]!;
      if (r.t === 'event') {
        let j = i;
        while (j < rows.length && rows[j]!.t === 'event') j++;
        const events = rows.slice(i, j).map((x) => x.row as MemoryEvent);
        const got = await insertEvents(c, db.schema, events, now);
        inserted += got.inserted;
        eventSeqs.push(...got.seqs);
        i = j;
        continue;
      }
      inserted += await insertOne(c, r, records);
      i++;
    }
    for (const [tenantId, ids] of records) await enqueueIfOn(c, tenantId, 'record', ids, now);
    return { inserted, skipped: rows.length - inserted, eventSeqs };
  });
}

async function insertOne(c: Conn, r: Exclude<ArchiveRow, { t: 'event' }>, records: Map<string, string[]>): Promise<number> {
  switch (r.t) {
    case 'investigation':
      return c.run(ignore(C.investigations.insertSql), C.investigations.insertParams(r.row));
    case 'session':
      return c.run(ignore(C.sessions.insertSql), C.sessions.insertParams(r.row));
    case 'task':
      return c.run(ignore(C.tasks.insertSql), C.tasks.insertParams(r.row));
    case 'wait':
      return c.run(ignore(C.waits.insertSql), C.waits.insertParams(r.row));
    case 'signal':
      return c.run(ignore(C.signals.insertSql), C.signals.insertParams(r.row));
    case 'attachment': {
      const { meta, content } = r.row;
      return c.run(ignore('INSERT INTO signal_attachments (tenant_id, signal_id, idx, name, media_type, size, sha256, content) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)'), [
        r.row.tenantId,
        r.row.signalId,
        meta.index,
        meta.name,
        meta.mediaType,
        meta.size,
        meta.sha256,
        Buffer.from(content.buffer, content.byteOffset, content.byteLength),
      ]);
    }
    case 'signal_total':
      return c.run(ignore('INSERT INTO signal_totals (tenant_id, investigation_id, count, bytes) VALUES ($1, $2, $3, $4)'), [r.row.tenantId, r.row.investigationId, r.row.count, r.row.bytes]);
    case 'checkpoint':
      return c.run(ignore(C.checkpoints.insertSql), C.checkpoints.insertParams(r.row));
    case 'record': {
      // The tsvector is the store's own: rebuilt from the record's text, never imported.
      const words = recordWords(r.row.text);
      const n = await c.run(RECORD_INSERT, [...C.records.insertParams(r.row), words.join(' '), words.length, recordLexemes(r.row.tenantId, r.row.status, r.row.namespace, words)]);
      if (n > 0) {
        const list = records.get(r.row.tenantId) ?? [];
        list.push(r.row.id);
        records.set(r.row.tenantId, list);
      }
      return n;
    }
    case 'report':
      return c.run(ignore(C.reports.insertSql), C.reports.insertParams(r.row));
    case 'inbox':
      return c.run(ignore(C.inbox.insertSql), C.inbox.insertParams(r.row));
    case 'erasure':
      return c.run(ignore(`INSERT INTO erasures (${ERASURE_COLUMNS.join(', ')}) VALUES (${ERASURE_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`), erasureValues(r.row));
  }
}

async function insertEvents(c: Conn, schema: string, events: readonly MemoryEvent[], now: number): Promise<{ inserted: number; seqs: number[] }> {
  const tenants = [...new Set(events.map((e) => e.tenantId))].sort();
  // In a fixed order, so two imports never wait on each other crosswise.
  for (const t of tenants) await c.run('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey(schema, `events|${t}`)]);
  const drawn = await c.get<{ a: string[] }>(`SELECT array_agg(x.seq ORDER BY x.seq) AS a FROM (SELECT nextval('events_seq_seq') AS seq FROM generate_series(1, $1::int)) x`, [events.length]);
  const seqs = drawn!.a.map(Number);
  const values = events.map((e) => C.events.insertParams(e));
  const columns = EVENT_COLUMNS.map((_, i) => values.map((v) => v[i]));
  const back = await c.all<{ tenant_id: string; id: string; seq: number }>(EVENT_INSERT, [seqs, ...columns]);
  const key = (tenantId: string, id: string) => `${tenantId}\u0000${id}`;
  const bySeq = new Map(back.map((r) => [key(r.tenant_id, r.id), Number(r.seq)]));
  const missing = events.filter((e) => !bySeq.has(key(e.tenantId, e.id)));
  if (missing.length > 0) {
    const had = await c.all<{ tenant_id: string; id: string; seq: number }>('SELECT tenant_id, id, seq FROM events WHERE (tenant_id, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))', [
      missing.map((e) => e.tenantId),
      missing.map((e) => e.id),
    ]);
    for (const r of had) bySeq.set(key(r.tenant_id, r.id), Number(r.seq));
  }
  const fresh = new Map<string, string[]>();
  for (const r of back) {
    const list = fresh.get(r.tenant_id) ?? [];
    list.push(r.id);
    fresh.set(r.tenant_id, list);
  }
  for (const [tenantId, ids] of fresh) await enqueueIfOn(c, tenantId, 'event', ids, now);
  return { inserted: back.length, seqs: events.map((e) => bySeq.get(key(e.tenantId, e.id))!) };
}

/** StorePort.deleteMentions. */
export async function deleteMentionsPg(db: PgDb, tenantId: string, needles: readonly string[]): Promise<{ changeLogRows: number; kvEntries: number }> {
  assertTenantId(tenantId);
  const found = needles.filter((x) => typeof x === 'string' && x.length > 0);
  if (found.length === 0) return { changeLogRows: 0, kvEntries: 0 };
  const own = `t:${tenantId}:`;
  return db.write(async (c) => {
    const changeLogRows = await c.run('DELETE FROM change_log WHERE tenant_id = $1 AND EXISTS (SELECT 1 FROM unnest($2::text[]) n WHERE strpos(change, n) > 0)', [tenantId, found]);
    const kvEntries = await c.run(
      `DELETE FROM kv WHERE (starts_with(key, $1) OR strpos(key, ':' || $1) > 0)
         AND EXISTS (SELECT 1 FROM unnest($2::text[]) n WHERE strpos(key, n) > 0 OR strpos(coalesce(value, ''), n) > 0)`,
      [own, found],
    );
    return { changeLogRows, kvEntries };
  });
}

/** StorePort.reclaimDeleted: VACUUM drops the dead rows an erasure left and their index (GIN) entries. */
export async function reclaimPg(db: PgDb): Promise<void> {
  await db.run('VACUUM records, events, change_log, kv, memory_outbox');
}

export const pgErasures = {
  async save(db: PgDb, receipt: ErasureReceipt): Promise<void> {
    await db.run(`INSERT INTO erasures (${ERASURE_COLUMNS.join(', ')}) VALUES (${ERASURE_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`, erasureValues(receipt));
  },
  async get(db: PgDb, tenantId: string, id: string): Promise<ErasureReceipt | null> {
    const rows = await db.query('SELECT * FROM erasures WHERE tenant_id = $1 AND id = $2', [tenantId, id], { idempotent: true });
    return rows[0] ? erasureFromRow(rows[0]) : null;
  },
  async list(db: PgDb, tenantId: string, q: { limit: number; cursor?: string | null }): Promise<Page<ErasureReceipt>> {
    const n = pageLimit(q.limit);
    return db.read(async (c) => {
      const total = (await c.get<{ n: number }>('SELECT count(*)::int AS n FROM erasures WHERE tenant_id = $1', [tenantId]))!.n;
      let rows: Row[];
      if (q.cursor) {
        const [at, id] = decodeCursor('era', q.cursor, ['number', 'string'] as const);
        rows = await c.all('SELECT * FROM erasures WHERE tenant_id = $1 AND (created_at, id) < ($2, $3) ORDER BY created_at DESC, id DESC LIMIT $4', [tenantId, at, id, n + 1]);
      } else rows = await c.all('SELECT * FROM erasures WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2', [tenantId, n + 1]);
      const items = rows.slice(0, n).map(erasureFromRow);
      const last = items[items.length - 1];
      return { items, total, nextCursor: rows.length > n && last ? encodeCursor('era', [last.createdAt, last.id]) : null };
    });
  },
};
