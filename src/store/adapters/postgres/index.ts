/**
 * The team store: PostgreSQL through a `pg` pool, for several longhaul instances on one
 * database. Each port method is one atomic step — one statement, or one transaction
 * that commits or rolls back whole — and every step that reads then writes takes the
 * row locks it needs first (`SELECT … FOR UPDATE`), so compare-and-set conditions
 * (expectedVersion, leaseOwner, expectedThroughSeq) are judged on the row as it stands.
 * Lock order, where a step takes several: investigation → task → wait → session →
 * the tenant's event lock → checkpoints. Deadlocks the order cannot rule out are
 * detected by PostgreSQL and the step is run again (db.ts).
 *
 * - Claims skip rows another claim holds (`FOR UPDATE SKIP LOCKED`): no task is claimed
 *   twice, and claimers never queue behind each other.
 * - A signal takes its investigation's row lock: deliveries to one investigation take
 *   turns (the idempotency key and the limits are judged on committed rows), and a wait
 *   being registered (createTask, applyTaskOutcome, which lock the row FOR SHARE) either
 *   sees the signal or is resolved by it — never neither.
 * - Event seqs: see appendIn; the append is one statement (insertEvents).
 * - The hot session steps (record_event's appendToSession, the sweep's terminateSession)
 *   run as one statement guarded by the session's version when this store has seen the
 *   row (PgTenantStore.sessions); otherwise, or when the row moved, as a transaction.
 * - Records are searched through a GIN index of keyed lexemes (./search.ts).
 *
 * Every tenant query filters by tenant_id, the tenant of `tenant(id)`; tenant tables
 * are keyed by (tenant_id, id).
 */
import { Keyv } from 'keyv';
import { systemClock, type Clock } from '../../../domain/clock.js';
import { InvalidInputError, NotFoundError } from '../../../domain/errors.js';
import type { MemoryEvent, NewEvent } from '../../../domain/event.js';
import { assertInvestigationTransition, closedInvestigation, overdueInvestigation, touchedInvestigation, type Investigation } from '../../../domain/investigation.js';
import type { ExtractionCheckpoint, MemoryRecord, ScoredRecord } from '../../../domain/record.js';
import type { InboxItem } from '../../../domain/report.js';
import {
  sessionDueAt,
  sessionHeartbeat,
  sessionTouched,
  sessionWorkBegun,
  sessionWorkEnded,
  terminatedSession,
  touchIsDue,
  type Session,
  type SessionStatus,
  type TerminationReason,
} from '../../../domain/session.js';
import { signalBytes, signalLimitExceeded, type SignalTotals } from '../../../domain/signal-limits.js';
import {
  assertTaskTransition,
  cancelledTask,
  claimedTask,
  expiredWait,
  isTerminalTask,
  resolvedWait,
  taskAfterOutcome,
  taskAfterWaitExpiry,
  taskWokenBySignal,
  waitOnRegistration,
  type Signal,
  type SignalAttachment,
  type Task,
  type TaskStatus,
  type Wait,
} from '../../../domain/task.js';
import { Lru } from '../../../lru.js';
import { nullLogger, type Logger } from '../../../logger.js';
import { assertTenantId } from '../../keys.js';
import type { ChangeLogEntry, ChangeLogInput, InvestigationCounts, ListOptions, Page, RecordWrite, StorePort, StoreStats, StreamEvent, TenantStore } from '../../port.js';
import {
  assertSameSignalName,
  assertSameTenant,
  checkedAttachments,
  checkpointMovedError,
  closedInvestigationError,
  decodeCursor,
  encodeCursor,
  leaseLostError,
  listLimit,
  normalizePrefix,
  pageLimit,
  searchTerms,
  SESSION_STATUSES,
  STATS_OPEN_WAITS_LIMIT,
  TASK_STATUSES,
  terminatedError,
  versionMovedError,
} from '../common.js';
import { lockKey, PgDb, type Conn } from './db.js';
import { KeyvPostgres } from './keyv-postgres.js';
import { enqueueIfOn, OUTBOX_ON, PgOutbox } from './outbox.js';
import { PgChangeLog, PgStreamEvents } from './logs.js';
import { runMigrations } from './migrations.js';
import { deleteMentionsPg, exportPg, importPg, pgErasures, reclaimPg } from './lifecycle.js';
import * as C from './rows.js';
import type { Codec, Row } from './rows.js';
import { allWordsOfAnyGroup, countEachSql, INDEX_ONLY, indexWords, matchedRecords, RANK_BUDGET, rankSql, rankWithinBudgetSql, recordLexemes, recordWords, searchQuery } from './search.js';

/** How long an expired lease is kept before pruning (a late instance still sees it was taken). */
const LEASE_GRACE_MS = 60_000;

export interface PostgresStoreOptions {
  /** `postgres://user[:password]@host:port/db` (pg's connection string; `?sslmode=…` etc. pass through). */
  url: string;
  /** Every table lives in this schema, created if absent. Default `public`. */
  schema?: string;
  logger?: Logger;
  /** Judges kv expiry and stamps migrations. Default: the system clock. */
  clock?: Clock;
  /** Most connections the pool opens. Default 10. */
  poolMax?: number;
  /** How long a step waits for a connection before StorageUnavailableError. Default 10 s. */
  connectTimeoutMs?: number;
  /** The connections' application_name (pg_stat_activity). Default `longhaul`. */
  applicationName?: string;
}

/**
 * Opens the PostgreSQL store. Synchronous (the app is assembled synchronously): it
 * connects and applies pending migrations in the background, and every method waits for
 * that first. When the server cannot be reached, methods fail with
 * StorageUnavailableError and the next call tries again; the pool reconnects by itself
 * after the server restarts.
 */
export function openPostgresStore(opts: PostgresStoreOptions): StorePort {
  const logger = opts.logger ?? nullLogger;
  const clock = opts.clock ?? systemClock;
  const schema = opts.schema ?? 'public';
  const db = new PgDb({ url: opts.url, schema, logger, ...(opts.poolMax ? { poolMax: opts.poolMax } : {}), ...(opts.connectTimeoutMs ? { connectTimeoutMs: opts.connectTimeoutMs } : {}), ...(opts.applicationName ? { applicationName: opts.applicationName } : {}) }, async (d) => {
    const applied = await migrateOn(d, clock.now());
    if (applied.length > 0) logger.info('store schema migrated', { store: d.location, schema, versions: applied });
    logger.debug('store opened', { store: d.location, schema });
  });
  db.start();
  const kv = new Keyv({ store: new KeyvPostgres(db, clock), throwOnErrors: true });
  return new PgStore(db, kv, clock);
}

/**
 * Applies the pending schema migrations of `schema` (default `public`) at `url` and
 * returns the versions applied (empty when current): `longhaul migrate`. Safe to run
 * while instances start: migrations run once, under an advisory lock.
 */
export async function migratePostgres(url: string, schema = 'public', opts: { clock?: Clock } = {}): Promise<number[]> {
  const db = new PgDb({ url, schema, poolMax: 1, applicationName: 'longhaul migrate' });
  try {
    return await migrateOn(db, (opts.clock ?? systemClock).now());
  } finally {
    await db.close();
  }
}

async function migrateOn(db: PgDb, now: number): Promise<number[]> {
  const client = await db.connect();
  let broken: Error | undefined;
  try {
    return await runMigrations(client, db.schema, lockKey(db.schema, 'migrations'), now, db.location);
  } catch (e) {
    broken = e instanceof Error ? e : new Error(String(e));
    throw e;
  } finally {
    db.release(client, broken);
  }
}

/** A per-investigation listing's ORDER BY and LIMIT by creation. */
function byCreation(opts: ListOptions | undefined, p: Params): string {
  const dir = opts?.order === 'desc' ? 'DESC' : 'ASC';
  return `ORDER BY created_at ${dir}, id ${dir} LIMIT ${p.add(listLimit(opts))}`;
}

/** Positional parameters built up with the SQL that uses them. */
class Params {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

type Key = Array<string | number>;
const cmp = (a: Key, b: Key): number => {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! < b[i]!) return -1;
    if (a[i]! > b[i]!) return 1;
  }
  return 0;
};

/** The two kinds of runnable task a claim takes, each read through its own partial index. */
const CLAIMABLE = [
  { kind: 0, due: 'run_at', where: `status = 'pending' AND run_at <= $1` },
  { kind: 1, due: 'lease_until', where: `status = 'running' AND lease_until <= $1` },
] as const;

class PgStore implements StorePort {
  readonly kind = 'postgres' as const;
  readonly location: string;
  private readonly tenants = new Map<string, TenantStore>();
  private readonly changes: PgChangeLog;
  private readonly streams: PgStreamEvents;

  constructor(
    private readonly db: PgDb,
    readonly kv: Keyv,
    private readonly clock: Clock,
  ) {
    this.location = db.location;
    this.changes = new PgChangeLog(db);
    this.streams = new PgStreamEvents(db);
    this.outbox = new PgOutbox(db);
  }

  private readonly outbox: PgOutbox;
  private outboxOn = false;
  /** As this process last read it (enableMemoryOutbox, outboxStats); writes judge the stored setting itself. */
  get memoryOutbox(): boolean {
    return this.outboxOn;
  }

  async enableMemoryOutbox(): Promise<void> {
    await this.outbox.enable();
    this.outboxOn = true;
  }

  async claimOutbox(now: number, owner: string, leaseMs: number, limit: number) {
    return this.outbox.claim(now, owner, leaseMs, limit);
  }

  async settleOutbox(input: Parameters<StorePort['settleOutbox']>[0]) {
    await this.outbox.settle(input);
  }

  async outboxStats() {
    const s = await this.outbox.stats();
    this.outboxOn = s.enabled;
    return s;
  }

  exportRows(opts?: { tenants?: readonly string[] }) {
    return exportPg(this.db, opts?.tenants);
  }

  importRows(rows: Parameters<StorePort['importRows']>[0]) {
    return importPg(this.db, rows, this.clock.now());
  }

  deleteMentions(tenantId: string, needles: readonly string[]) {
    return deleteMentionsPg(this.db, tenantId, needles);
  }

  reclaimDeleted(): Promise<void> {
    return reclaimPg(this.db);
  }

  tenant(tenantId: string): TenantStore {
    assertTenantId(tenantId);
    let t = this.tenants.get(tenantId);
    if (!t) {
      t = new PgTenantStore(tenantId, this.db, this.clock);
      this.tenants.set(tenantId, t);
    }
    return t;
  }

  async dueSessions(now: number, limit: number): Promise<Session[]> {
    const rows = await this.db.query(`SELECT * FROM sessions WHERE status <> 'terminated' AND due_at <= $1 ORDER BY due_at, tenant_id, id LIMIT $2`, [now, pageLimit(limit)], { idempotent: true });
    // Remembered: the sweep terminates them next, in one statement each when unchanged.
    return rows.map((r) => (this.tenant(r.tenant_id as string) as PgTenantStore).remember(C.sessions.fromRow(r)));
  }

  async dueWaits(now: number, limit: number): Promise<Wait[]> {
    const rows = await this.db.query(`SELECT * FROM waits WHERE status = 'open' AND deadline <= $1 ORDER BY deadline, tenant_id, id LIMIT $2`, [now, pageLimit(limit)], { idempotent: true });
    return rows.map((r) => C.waits.fromRow(r));
  }

  async dueInvestigations(now: number, limit: number): Promise<Investigation[]> {
    const rows = await this.db.query(
      `SELECT * FROM investigations WHERE status = 'open' AND deadline IS NOT NULL AND overdue_at IS NULL AND deadline <= $1 ORDER BY deadline, tenant_id, id LIMIT $2`,
      [now, pageLimit(limit)],
      { idempotent: true },
    );
    return rows.map((r) => C.investigations.fromRow(r));
  }

  /**
   * The earliest runnable task, pending (by runAt) or with an expired lease (by
   * leaseUntil): first a look at the head of each kind, without locks, to know which
   * comes first; then that kind's first row no other claim holds, locked (SKIP LOCKED)
   * — only the row claimed is ever locked. A row another claim updated and committed
   * meanwhile is re-checked against the WHERE before it is returned, so a task claimed
   * a moment ago is never claimed again.
   */
  async claimTask(now: number, owner: string, leaseMs: number, roles: readonly string[], tenants?: readonly string[]): Promise<Task | null> {
    if (roles.length === 0 || tenants?.length === 0) {
      await this.db.query('SELECT 1', [], { idempotent: true });
      return null;
    }
    const params: unknown[] = [now, [...roles], ...(tenants ? [[...tenants]] : [])];
    const filter = ` AND role = ANY($2::text[])${tenants ? ' AND tenant_id = ANY($3::text[])' : ''}`;
    return this.db.write(async (c) => {
      const heads = await c.all<{ kind: number; due: number; tenant_id: string; id: string }>(
        CLAIMABLE.map((k) => `(SELECT ${k.kind} AS kind, ${k.due} AS due, tenant_id, id FROM tasks WHERE ${k.where}${filter} ORDER BY ${k.due}, tenant_id, id LIMIT 1)`).join(' UNION ALL '),
        params,
      );
      heads.sort((x, y) => cmp([x.due, x.kind, x.tenant_id, x.id], [y.due, y.kind, y.tenant_id, y.id]));
      for (const head of heads) {
        const k = CLAIMABLE[head.kind]!;
        const row = await c.get(`SELECT * FROM tasks WHERE ${k.where}${filter} ORDER BY ${k.due}, tenant_id, id LIMIT 1 FOR UPDATE SKIP LOCKED`, params);
        if (!row) continue;
        const claimed = claimedTask(C.tasks.fromRow(row), owner, now, leaseMs);
        await c.run(C.tasks.updateSql, C.tasks.updateParams(claimed));
        return C.tasks.stored(claimed);
      }
      return null;
    });
  }

  async dueExtractions(now: number, limit: number, tenants?: readonly string[]): Promise<ExtractionCheckpoint[]> {
    if (tenants?.length === 0) {
      await this.db.query('SELECT 1', [], { idempotent: true });
      return [];
    }
    const rows = await this.db.query(
      `SELECT * FROM checkpoints WHERE due_at IS NOT NULL AND due_at <= $1${tenants ? ' AND tenant_id = ANY($3::text[])' : ''} ORDER BY due_at, tenant_id, session_id LIMIT $2`,
      [now, pageLimit(limit), ...(tenants ? [[...tenants]] : [])],
      { idempotent: true },
    );
    return rows.map((r) => C.checkpoints.fromRow(r));
  }

  async deleteExpiredEvents(now: number, limit: number): Promise<number> {
    return this.db.run(
      `DELETE FROM events WHERE seq IN (
         SELECT e.seq FROM events e
         LEFT JOIN checkpoints c ON c.tenant_id = e.tenant_id AND c.session_id = e.session_id
         WHERE e.expires_at <= $1 AND (e.session_id IS NULL OR e.seq <= c.through_seq)
           AND NOT EXISTS (SELECT 1 FROM memory_outbox o WHERE o.tenant_id = e.tenant_id AND o.kind = 'event' AND o.ref_id = e.id)
         ORDER BY e.expires_at, e.seq LIMIT $2)`,
      [now, pageLimit(limit)],
    );
  }

  async acquireLease(name: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    return this.db.write(async (c) => {
      // Each scheduled slot leases its own name, so expired leases would pile up; drop a
      // bounded batch of long-expired ones on the way (skipping rows another acquire is pruning).
      await c.run('DELETE FROM leases WHERE name IN (SELECT name FROM leases WHERE until < $1 ORDER BY until LIMIT 100 FOR UPDATE SKIP LOCKED)', [now - LEASE_GRACE_MS]);
      // One statement: taken when free, expired, or already this owner's (renewal).
      const taken = await c.run(
        `INSERT INTO leases (name, owner, until) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
         WHERE leases.owner = excluded.owner OR leases.until <= $4`,
        [name, owner, now + ttlMs, now],
      );
      return taken > 0;
    });
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    await this.db.run('DELETE FROM leases WHERE name = $1 AND owner = $2', [name, owner]);
  }

  appendChanges(entries: readonly ChangeLogInput[]): Promise<number> {
    return this.changes.append(entries);
  }

  changesAfter(seq: number, limit: number): Promise<ChangeLogEntry[]> {
    return this.changes.after(seq, limit);
  }

  lastChangeSeq(): Promise<number> {
    return this.changes.last();
  }

  deleteChangesBefore(at: number, limit: number): Promise<number> {
    return this.changes.deleteBefore(at, limit);
  }

  appendStreamEvent(input: { streamId: string; message: unknown; now: number; expiresAt: number }): Promise<string> {
    return this.streams.append(input);
  }

  streamEventsAfter(eventId: string, limit: number): Promise<{ streamId: string; events: StreamEvent[] } | null> {
    return this.streams.after(eventId, limit);
  }

  deleteExpiredStreamEvents(now: number, limit: number): Promise<number> {
    return this.streams.deleteExpired(now, limit);
  }

  async stats(): Promise<StoreStats> {
    return this.db.read(async (c) => {
      const sessionsByStatus = Object.fromEntries(SESSION_STATUSES.map((s) => [s, 0])) as Record<SessionStatus, number>;
      for (const r of await c.all<{ status: SessionStatus; n: number }>('SELECT status, count(*) AS n FROM sessions GROUP BY status')) sessionsByStatus[r.status] = r.n;
      const tasksByStatus = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
      for (const r of await c.all<{ status: TaskStatus; n: number }>('SELECT status, count(*) AS n FROM tasks GROUP BY status')) tasksByStatus[r.status] = r.n;
      // The backlog is counted per checkpoint, each one's events by index past its
      // through_seq (every session with events has a checkpoint: appendIn upserts it).
      const counts = (await c.get<{ open_investigations: number; events: number; records: number; backlog_sessions: number; backlog_events: number }>(
        `SELECT
           (SELECT count(*) FROM investigations WHERE status = 'open') AS open_investigations,
           (SELECT count(*) FROM events) AS events,
           (SELECT count(*) FROM records) AS records,
           b.sessions AS backlog_sessions, b.events AS backlog_events
         FROM (SELECT count(*) AS sessions, coalesce(sum(n), 0)::bigint AS events FROM (
           SELECT (SELECT count(*) FROM events e WHERE e.tenant_id = c.tenant_id AND e.session_id = c.session_id AND e.seq > c.through_seq) AS n
           FROM checkpoints c
         ) x WHERE n > 0) b`,
      ))!;
      const openWaits = await c.all<{ tenant_id: string; investigation_id: string; task_id: string; signal: string; deadline: number }>(
        `SELECT tenant_id, investigation_id, task_id, signal, deadline FROM waits WHERE status = 'open' ORDER BY deadline, tenant_id, id LIMIT $1`,
        [STATS_OPEN_WAITS_LIMIT],
      );
      return {
        sessionsByStatus,
        openInvestigations: counts.open_investigations,
        openWaits: openWaits.map((w) => ({ tenantId: w.tenant_id, investigationId: w.investigation_id, taskId: w.task_id, signal: w.signal, deadline: w.deadline })),
        tasksByStatus,
        events: counts.events,
        records: counts.records,
        extractionBacklog: { sessions: counts.backlog_sessions, events: counts.backlog_events },
      };
    });
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

const EMPTY_CHECKPOINT = { throughSeq: 0, lastRunAt: null, lastError: null, dueAt: null };

/** Attachment metadata columns (never the bytes). */
const ATTACHMENT_META = 'SELECT signal_id, idx, name, media_type, size, sha256 FROM signal_attachments';
interface AttachmentRow {
  signal_id: string;
  idx: number;
  name: string;
  media_type: string;
  size: number;
  sha256: string;
}
const attachmentMeta = (r: AttachmentRow): SignalAttachment => ({ index: r.idx, name: r.name, mediaType: r.media_type, size: r.size, sha256: r.sha256 });

/**
 * The attachments' metadata of the signal `s` (never the bytes), as a JSON array in
 * index order: a signal and its files from one statement.
 */
const FILES_OF_S = `(SELECT coalesce(json_agg(json_build_object('signal_id', a.signal_id, 'idx', a.idx, 'name', a.name, 'media_type', a.media_type, 'size', a.size, 'sha256', a.sha256) ORDER BY a.idx), '[]') FROM signal_attachments a WHERE a.tenant_id = s.tenant_id AND a.signal_id = s.id)`;
const signalWithFiles = (row: Row & { lh_files: AttachmentRow[] }): Signal => ({ ...C.signals.fromRow(row), attachments: row.lh_files.map(attachmentMeta) });

const RECORD_COLUMNS = C.records.selectList();
/** The same, of `records rec` (a search joins its top candidates back to their rows). */
const RECORD_COLUMNS_REC = C.records.selectList('rec');
const RECORD_INSERT = (() => {
  const cols = C.records.insertColumns;
  const n = cols.length;
  return `INSERT INTO records (${cols.join(', ')}, words, word_count, tsv) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')}, $${n + 1}, $${n + 2}, array_to_tsvector($${n + 3}::text[]))`;
})();
const RECORD_UPDATE = (() => {
  const n = C.records.updateParams({} as MemoryRecord).length;
  return C.records.updateSql.replace(' WHERE ', `, words = $${n + 1}, word_count = $${n + 2}, tsv = array_to_tsvector($${n + 3}::text[]) WHERE `);
})();

/** An event row's columns as an append writes them, after its seq. */
const EVENT_COLUMNS = C.events.insertColumns;
const EVENT_ARRAY_TYPES: Record<string, string> = { created_at: 'bigint[]', expires_at: 'bigint[]' };
/** Where the event id and createdAt arrays sit among the append's per-column arrays (the outbox entries read them). */
const EVENT_ID_COLUMN = EVENT_COLUMNS.indexOf('id');
const EVENT_CREATED_COLUMN = EVENT_COLUMNS.indexOf('created_at');

/**
 * The append statement (see insertEvents). Its parameters follow the gate's `p0`: the
 * lock key, the number of events, the tenant, the due sessions and their times, then
 * one array per event column. `seqs` is referenced twice but materialized: drawn once.
 */
function appendSql(p0: number, gateCte: string, gateFrom: string): string {
  const $ = (i: number) => `$${p0 + i}`;
  const arrays = EVENT_COLUMNS.map((col, i) => `${$(6 + i)}::${EVENT_ARRAY_TYPES[col] ?? 'text[]'}`).join(', ');
  return `WITH ${gateCte}lock AS MATERIALIZED (SELECT pg_advisory_xact_lock(${$(1)}::bigint) ${gateFrom}),
    seqs AS MATERIALIZED (SELECT array_agg(x.seq ORDER BY x.seq) AS a FROM (SELECT nextval('events_seq_seq') AS seq FROM lock, generate_series(1, ${$(2)}::int)) x),
    ins AS (INSERT INTO events (seq, ${EVENT_COLUMNS.join(', ')}) SELECT u.* FROM seqs, unnest(seqs.a, ${arrays}) u WHERE seqs.a IS NOT NULL),
    due AS (INSERT INTO checkpoints (tenant_id, session_id, through_seq, last_run_at, last_error, due_at)
      SELECT ${$(3)}::text, d.sid, 0, NULL, NULL, d.at FROM lock, unnest(${$(4)}::text[], ${$(5)}::bigint[]) d(sid, at)
      ON CONFLICT (tenant_id, session_id) DO UPDATE SET due_at = excluded.due_at WHERE checkpoints.due_at IS NULL),
    ob AS (INSERT INTO memory_outbox (tenant_id, kind, ref_id, next_attempt_at, created_at)
      SELECT ${$(3)}::text, 'event', o.id, o.at, o.at FROM lock, unnest(${$(6 + EVENT_ID_COLUMN)}::text[], ${$(6 + EVENT_CREATED_COLUMN)}::bigint[]) WITH ORDINALITY o(id, at, n)
      WHERE ${OUTBOX_ON} ORDER BY o.n)
    SELECT (SELECT a FROM seqs) AS lh_seqs`;
}

/** How many sessions each tenant store remembers (see PgTenantStore.sessions). */
const KNOWN_SESSIONS = 1_024;
/** A session's updateSql, applied only while the row still has the version (the last parameter) it was read at. */
const SESSION_CAS_UPDATE = `${C.sessions.updateSql} AND version = $${C.sessions.updateParams({} as Session).length + 1}`;

/** Row locks a lookup may take. */
type Lock = 'FOR UPDATE' | 'FOR NO KEY UPDATE' | 'FOR SHARE';

class PgTenantStore implements TenantStore {
  /** The advisory lock under which this tenant's events are numbered (see appendIn). */
  private readonly eventLock: string;

  constructor(
    readonly tenantId: string,
    private readonly db: PgDb,
    private readonly clock: Clock,
  ) {
    this.eventLock = lockKey(db.schema, `events|${tenantId}`);
  }

  // ---- helpers (run inside a step) ----

  /**
   * Sessions as this store last saw them committed (read, or written by a step that
   * committed), by id: a hint that lets appendToSession and terminateSession write in one
   * statement, guarded by the version (see appendToKnownSession). Never trusted alone: a
   * stale entry only sends a call the long way. Entries are kept only after a commit, so
   * a version here was committed with exactly this content.
   */
  private readonly sessions = new Lru<string, Session>(KNOWN_SESSIONS);

  remember(s: Session): Session {
    if (s.tenantId === this.tenantId) this.sessions.set(s.id, s);
    return s;
  }

  private async remembered(step: Promise<Session>): Promise<Session> {
    return this.remember(await step);
  }


  private async find<T>(c: Conn, codec: Codec<T>, id: string, lock?: Lock): Promise<T | null> {
    const cols = codec === (C.records as unknown) ? RECORD_COLUMNS : '*';
    const row = await c.get(`SELECT ${cols} FROM ${codec.table} WHERE tenant_id = $1 AND id = $2${lock ? ' ' + lock : ''}`, [this.tenantId, id]);
    return row ? codec.fromRow(row) : null;
  }
  private async must<T>(c: Conn, codec: Codec<T>, id: string, what: string, lock?: Lock): Promise<T> {
    const found = await this.find(c, codec, id, lock);
    if (!found) throw new NotFoundError(what, id);
    return found;
  }
  private mustInvestigation(c: Conn, id: string, lock?: Lock) {
    return this.must(c, C.investigations, id, 'investigation', lock);
  }
  private mustSession(c: Conn, id: string, lock?: Lock) {
    return this.must(c, C.sessions, id, 'session', lock);
  }
  private async insert<T extends { tenantId: string; id: string }>(c: Conn, codec: Codec<T>, entity: T, what: string): Promise<T> {
    assertSameTenant(this.tenantId, entity, `${what} ${entity.id}`);
    await c.run(codec.insertSql, codec.insertParams(entity));
    return codec.stored(entity);
  }
  private async update<T>(c: Conn, codec: Codec<T>, entity: T): Promise<T> {
    await c.run(codec.updateSql, codec.updateParams(entity));
    return codec.stored(entity);
  }
  private async list<T>(c: Conn | PgDb, codec: Codec<T>, sql: string, params: unknown[]): Promise<T[]> {
    const rows = c instanceof PgDb ? await c.query(sql, params, { idempotent: true }) : await c.all(sql, params);
    return rows.map((r) => codec.fromRow(r));
  }

  /**
   * Appends events in order; `session` is one the caller already read in this step.
   *
   * Why a reader never misses an event committed late (extraction reads a session's
   * events after its checkpoint, a timeline follower reads after the last seq it saw):
   * seqs come from a sequence, which by itself hands numbers out in draw order, not
   * commit order — a transaction that drew seq 5 could commit after one that drew 6,
   * and a reader that had seen 6 would never look below it again. So each appending
   * transaction first takes its tenant's advisory lock (pg_advisory_xact_lock, held
   * until it commits or rolls back) and only then draws seqs. Appends of one tenant
   * therefore take turns, and the next one draws its seqs only after the previous one
   * is committed and visible to every new snapshot (PostgreSQL marks a transaction
   * committed before it releases its locks). Within a tenant, events become visible in
   * seq order: a snapshot that sees seq n sees every lower seq of the tenant that will
   * ever exist. Every listing (a session, a timeline, the tenant) is within a tenant,
   * so none can skip one. Tenants do not wait on each other; seqs of different tenants
   * interleave, and rolled-back draws leave gaps — seqs are ordered, not dense.
   *
   * The lock is taken at the end of each step that appends (after its row locks), and
   * while it is held only events and checkpoints are written, so no step holding it ever
   * waits for a row lock of a step waiting for it.
   */
  private async appendIn(c: Conn, events: readonly NewEvent[], session?: Session): Promise<MemoryEvent[]> {
    if (events.length === 0) return [];
    const known = new Set<string>();
    if (session) {
      known.add('s' + session.id);
      if (session.investigationId !== null) known.add('i' + session.investigationId);
    }
    for (const ev of events) {
      assertSameTenant(this.tenantId, ev, `event ${ev.id}`);
      if (ev.sessionId !== null && !known.has('s' + ev.sessionId)) {
        const s = await this.mustSession(c, ev.sessionId);
        known.add('s' + ev.sessionId);
        // The session's own investigation exists (sessions are created with it).
        if (s.investigationId !== null) known.add('i' + s.investigationId);
      }
      if (ev.investigationId !== null && !known.has('i' + ev.investigationId)) {
        await this.mustInvestigation(c, ev.investigationId);
        known.add('i' + ev.investigationId);
      }
    }
    return (await this.insertEvents(c, events))!;
  }

  /**
   * The append itself, one statement: the tenant's event lock, then the seqs (drawn
   * under it, sorted, and handed out in the order of `events`), the rows, and the due
   * marks of their sessions' checkpoints — every part reads the lock's row, so none runs
   * before the lock is held (lock order: the event lock, then checkpoints). With a
   * `gate` (a CTE named `s` and a condition on it), the lock is taken — and anything
   * written — only when the gate's row passes; null then means it did not.
   */
  private async insertEvents(c: Conn | PgDb, events: readonly NewEvent[], gate?: { cte: string; params: unknown[]; where: string }): Promise<MemoryEvent[] | null> {
    const stored = events.map((ev) => ({ ...ev, seq: 0 }));
    const values = stored.map((ev) => C.events.insertParams(ev));
    const columns = EVENT_COLUMNS.map((_, i) => values.map((v) => v[i]));
    const due = new Map<string, number>();
    for (const ev of events) if (ev.sessionId !== null && !due.has(ev.sessionId)) due.set(ev.sessionId, ev.createdAt);
    const params = [...(gate?.params ?? []), this.eventLock, events.length, this.tenantId, [...due.keys()], [...due.values()], ...columns];
    const sql = appendSql(gate ? gate.params.length : 0, gate ? `${gate.cte}, ` : '', gate ? `FROM s WHERE ${gate.where}` : '');
    const rows = c instanceof PgDb ? await c.query<Row & { lh_seqs: string[] | null }>(sql, params) : await c.all<Row & { lh_seqs: string[] | null }>(sql, params);
    const seqs = rows[0]?.lh_seqs;
    if (!seqs) return null;
    // BIGINT[] comes back as strings (only INT8 itself is parsed as a number, db.ts).
    return stored.map((ev, i) => ({ ...C.events.stored(ev), seq: Number(seqs[i]!) }));
  }

  private async markDue(c: Conn, sessionId: string, at: number, how: 'if_unset' | 'earliest'): Promise<void> {
    // The WHERE makes an append to a session already due write nothing here.
    const when = how === 'if_unset' ? 'checkpoints.due_at IS NULL' : 'checkpoints.due_at IS NULL OR excluded.due_at < checkpoints.due_at';
    await c.run(
      `INSERT INTO checkpoints (tenant_id, session_id, through_seq, last_run_at, last_error, due_at) VALUES ($1, $2, 0, NULL, NULL, $3)
       ON CONFLICT (tenant_id, session_id) DO UPDATE SET due_at = excluded.due_at WHERE ${when}`,
      [this.tenantId, sessionId, at],
    );
  }

  private async checkpoint(c: Conn | PgDb, sessionId: string, lock?: Lock): Promise<ExtractionCheckpoint | null> {
    const sql = `SELECT * FROM checkpoints WHERE tenant_id = $1 AND session_id = $2${lock ? ' ' + lock : ''}`;
    const row = c instanceof PgDb ? (await c.query(sql, [this.tenantId, sessionId], { idempotent: true }))[0] : await c.get(sql, [this.tenantId, sessionId]);
    return row ? C.checkpoints.fromRow(row) : null;
  }

  /** The session's checkpoint, locked for this step (created empty first when absent, so two first runs also take turns). */
  private async lockedCheckpoint(c: Conn, sessionId: string): Promise<ExtractionCheckpoint> {
    await c.run(`INSERT INTO checkpoints (tenant_id, session_id, through_seq, last_run_at, last_error, due_at) VALUES ($1, $2, 0, NULL, NULL, NULL) ON CONFLICT DO NOTHING`, [
      this.tenantId,
      sessionId,
    ]);
    return (await this.checkpoint(c, sessionId, 'FOR UPDATE')) ?? { tenantId: this.tenantId, sessionId, ...EMPTY_CHECKPOINT };
  }

  private async putCheckpoint(c: Conn, cp: ExtractionCheckpoint): Promise<void> {
    await c.run(C.checkpoints.updateSql, C.checkpoints.updateParams(cp));
  }

  private async latestSignal(c: Conn, investigationId: string, name: string): Promise<Signal | null> {
    const row = await c.get('SELECT * FROM signals WHERE tenant_id = $1 AND investigation_id = $2 AND name = $3 ORDER BY received_at DESC, id DESC LIMIT 1', [this.tenantId, investigationId, name]);
    return row ? (await this.withFiles(c, [C.signals.fromRow(row)]))[0]! : null;
  }

  /** Signals with their attachments' metadata, from one query however many signals there are. The bytes are not read. */
  private async withFiles(c: Conn, signals: Signal[]): Promise<Signal[]> {
    const bySignal = new Map<string, SignalAttachment[]>();
    if (signals.length > 0) {
      const rows = await c.all<AttachmentRow>(`${ATTACHMENT_META} WHERE tenant_id = $1 AND signal_id = ANY($2::text[]) ORDER BY signal_id, idx`, [this.tenantId, signals.map((s) => s.id)]);
      for (const r of rows) {
        let list = bySignal.get(r.signal_id);
        if (!list) bySignal.set(r.signal_id, (list = []));
        list.push(attachmentMeta(r));
      }
    }
    return signals.map((x) => ({ ...x, attachments: bySignal.get(x.id) ?? [] }));
  }

  /**
   * Stores a wait; resolves it at once (and makes the task pending) when its signal
   * already came. The caller holds the investigation's row (FOR SHARE at least), so no
   * signal of it commits between this look and the wait's commit.
   */
  private async registerWait(c: Conn, task: Task, wait: Wait, now: number): Promise<{ task: Task; wait: Wait; resolvedBy: Signal | null }> {
    assertSameTenant(this.tenantId, wait, `wait ${wait.id}`);
    const sig = wait.status === 'open' ? await this.latestSignal(c, wait.investigationId, wait.signal) : null;
    const r = waitOnRegistration(task, wait, sig, now);
    return { task: r.task, wait: await this.insert(c, C.waits, r.wait, 'wait'), resolvedBy: sig };
  }

  private async closeOpenWaitsOfTask(c: Conn, taskId: string, now: number): Promise<void> {
    await c.run(`UPDATE waits SET status = 'cancelled', resolved_at = $1 WHERE tenant_id = $2 AND task_id = $3 AND status = 'open'`, [now, this.tenantId, taskId]);
  }

  private async insertRecord(c: Conn, r: MemoryRecord): Promise<void> {
    assertSameTenant(this.tenantId, r, `memory record ${r.id}`);
    const words = recordWords(r.text);
    await c.run(RECORD_INSERT, [...C.records.insertParams(r), words.join(' '), words.length, recordLexemes(this.tenantId, r.status, r.namespace, words)]);
  }

  private async updateRecord(c: Conn, r: MemoryRecord): Promise<void> {
    const words = recordWords(r.text);
    const n = await c.run(RECORD_UPDATE, [...C.records.updateParams(r), words.join(' '), words.length, recordLexemes(this.tenantId, r.status, r.namespace, words)]);
    if (n === 0) throw new NotFoundError('memory record', r.id);
  }

  // ---- investigations ----

  async createInvestigation(input: Parameters<TenantStore['createInvestigation']>[0]) {
    return this.db.write(async (c) => {
      await this.insert(c, C.investigations, input.investigation, 'investigation');
      await this.insertSession(c, input.session);
      for (const { task, wait } of input.tasks) await this.insertTask(c, task, wait);
      return { events: await this.appendIn(c, input.events) };
    });
  }

  async getInvestigation(id: string) {
    const rows = await this.db.query('SELECT * FROM investigations WHERE tenant_id = $1 AND id = $2', [this.tenantId, id], { idempotent: true });
    return rows[0] ? C.investigations.fromRow(rows[0]) : null;
  }

  async listInvestigations(q: Parameters<TenantStore['listInvestigations']>[0]): Promise<Page<Investigation>> {
    const p = new Params();
    const where = [`tenant_id = ${p.add(this.tenantId)}`];
    if (q.status) where.push(`status = ${p.add(q.status)}`);
    if (q.query) {
      const needle = p.add(q.query.toLowerCase());
      where.push(`(strpos(lower(subject), ${needle}) > 0 OR strpos(lower(objective), ${needle}) > 0)`);
    }
    return this.pageDesc(C.investigations, 'inv', where, p, q);
  }

  /** A newest-first keyset page over (created_at, id), with the count of the whole filter (within the tenant), up to `totalCap` (see countUpTo). */
  private async pageDesc<T extends { createdAt: number; id: string }>(
    codec: Codec<T>,
    tag: string,
    where: string[],
    p: Params,
    { limit, cursor, totalCap }: { limit: number; cursor?: string | null; totalCap?: number },
  ): Promise<Page<T>> {
    const n = pageLimit(limit);
    const cols = codec === (C.records as unknown) ? RECORD_COLUMNS : '*';
    const { count, cap } = countUpTo(codec.table, where, totalCap);
    const conds = [...where];
    if (cursor) {
      const [at, id] = decodeCursor(tag, cursor, ['number', 'string'] as const);
      conds.push(`(created_at, id) < (${p.add(at)}, ${p.add(id)})`);
    }
    const { total, rows } = await this.countedPage(codec, count, `SELECT ${cols} FROM ${codec.table} WHERE ${conds.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ${p.add(n + 1)}`, 'p.created_at DESC, p.id DESC', p.values);
    const items = rows.slice(0, n);
    const last = items[items.length - 1];
    return { items, total, nextCursor: rows.length > n && last ? encodeCursor(tag, [last.createdAt, last.id]) : null, ...capped(total, cap) };
  }

  /**
   * A count and a page in one statement (one snapshot, one round trip): the page's rows
   * each carry the count, or one row of NULLs carries it when the page is empty. Every
   * table's `id` is NOT NULL, so a NULL id is that empty row.
   */
  private async countedPage<T>(codec: Codec<T>, count: string, page: string, order: string, params: unknown[]): Promise<{ total: number; rows: T[] }> {
    const rows = await this.db.query<Row & { lh_total: number }>(`SELECT t.n AS lh_total, p.* FROM (${count}) t LEFT JOIN LATERAL (${page}) p ON true ORDER BY ${order}`, params, { idempotent: true });
    return { total: rows[0]!.lh_total, rows: rows.filter((r) => r.id !== null).map((r) => codec.fromRow(r)) };
  }

  async markOverdue(input: { id: string; now: number; events: NewEvent[]; inbox: InboxItem[] }) {
    return this.db.write(async (c) => {
      const inv = await this.mustInvestigation(c, input.id, 'FOR UPDATE');
      if (inv.status !== 'open' || inv.overdueAt !== null) return null;
      const flagged = await this.update(c, C.investigations, overdueInvestigation(inv, input.now));
      for (const i of input.inbox) await this.insert(c, C.inbox, i, 'inbox item');
      await this.appendIn(c, input.events);
      return flagged;
    });
  }

  async touchInvestigation(id: string, now: number) {
    await this.db.write(async (c) => {
      const inv = await this.mustInvestigation(c, id, 'FOR UPDATE');
      await this.update(c, C.investigations, touchedInvestigation(inv, now));
    });
  }

  async closeInvestigation(input: Parameters<TenantStore['closeInvestigation']>[0]) {
    return this.db.write(async (c) => {
      const inv = await this.mustInvestigation(c, input.id, 'FOR UPDATE');
      assertInvestigationTransition(inv.status, 'closed');
      if (inv.version !== input.expectedVersion) throw versionMovedError(inv, input.expectedVersion);
      const now = input.now;
      const closed = await this.update(c, C.investigations, closedInvestigation(inv, input.outcome, input.summary, now));
      const open = await this.list(
        c,
        C.tasks,
        `SELECT * FROM tasks WHERE tenant_id = $1 AND investigation_id = $2 AND status IN ('pending', 'running', 'waiting') ORDER BY created_at, id FOR UPDATE`,
        [this.tenantId, inv.id],
      );
      const cancelledTasks: Task[] = [];
      for (const t of open) cancelledTasks.push(await this.update(c, C.tasks, cancelledTask(t, now)));
      await c.run(`UPDATE waits SET status = 'cancelled', resolved_at = $1 WHERE tenant_id = $2 AND investigation_id = $3 AND status = 'open'`, [now, this.tenantId, inv.id]);
      const live = await this.list(c, C.sessions, `SELECT * FROM sessions WHERE tenant_id = $1 AND investigation_id = $2 AND status <> 'terminated' ORDER BY started_at, id FOR UPDATE`, [
        this.tenantId,
        inv.id,
      ]);
      const terminatedSessions: Session[] = [];
      for (const s of live) terminatedSessions.push(await this.update(c, C.sessions, terminatedSession(s, input.terminationReason, now)));
      // Each session's final extraction is due now, in the step that ends it (before the
      // append: the event lock comes last in a step, see appendIn).
      for (const s of terminatedSessions) await this.markDue(c, s.id, now, 'earliest');
      await this.appendIn(c, input.events);
      return { investigation: closed, cancelledTasks, terminatedSessions };
    });
  }

  // ---- sessions ----

  private async insertSession(c: Conn, session: Session): Promise<void> {
    if (session.investigationId !== null) await this.mustInvestigation(c, session.investigationId);
    await this.insert(c, C.sessions, { ...session, dueAt: sessionDueAt(session) }, 'session');
  }

  async createSession(session: Session) {
    await this.db.write((c) => this.insertSession(c, session));
  }

  async getSession(id: string) {
    const rows = await this.db.query('SELECT * FROM sessions WHERE tenant_id = $1 AND id = $2', [this.tenantId, id], { idempotent: true });
    return rows[0] ? this.remember(C.sessions.fromRow(rows[0])) : null;
  }

  async listSessions(q: { investigationId?: string; actorId?: string; status?: SessionStatus; live?: boolean; kind?: Session['kind']; limit?: number }) {
    const p = new Params();
    const where = [`tenant_id = ${p.add(this.tenantId)}`];
    for (const [field, col] of [
      ['investigationId', 'investigation_id'],
      ['actorId', 'actor_id'],
      ['status', 'status'],
      ['kind', 'kind'],
    ] as const) {
      if (q[field] === undefined) continue;
      where.push(`${col} = ${p.add(q[field])}`);
    }
    if (q.live) where.push(`status <> 'terminated'`);
    return this.list(this.db, C.sessions, `SELECT * FROM sessions WHERE ${where.join(' AND ')} ORDER BY started_at DESC, id DESC LIMIT ${p.add(listLimit(q))}`, p.values);
  }

  async beginWork(id: string, now: number) {
    return this.remembered(this.db.write(async (c) => {
      const s = await this.mustSession(c, id, 'FOR UPDATE');
      if (s.status === 'terminated') throw terminatedError('active');
      return this.update(c, C.sessions, sessionWorkBegun(s, now));
    }));
  }

  async endWork(id: string, now: number) {
    return this.remembered(this.db.write(async (c) => {
      const s = await this.mustSession(c, id, 'FOR UPDATE');
      // Work that outlived its session (terminated meanwhile) changes nothing.
      if (s.status === 'terminated') return s;
      return this.update(c, C.sessions, sessionWorkEnded(s, now));
    }));
  }

  async appendToSession(sessionId: string, events: NewEvent[], now: number) {
    if (events.length === 0) {
      // A touch: one plain read decides when nothing is due (the committed row is what a
      // locked read would return; nothing is written either way).
      const s = await this.getSession(sessionId);
      if (!s) throw new NotFoundError('session', sessionId);
      if (s.status === 'terminated') throw terminatedError('active');
      if (!touchIsDue(s, now)) return { session: s, events: [] };
    } else {
      const fast = await this.appendToKnownSession(sessionId, events, now);
      if (fast) return fast;
    }
    const r = await this.db.write(async (c) => {
      const s = await this.mustSession(c, sessionId, 'FOR UPDATE');
      if (s.status === 'terminated') throw terminatedError('active');
      for (const ev of events) if (ev.sessionId !== sessionId) throw new InvalidInputError(`event ${ev.id} does not belong to session ${sessionId}`);
      const session = touchIsDue(s, now) ? await this.update(c, C.sessions, sessionTouched(s, now)) : s;
      const stored = await this.appendIn(c, events, s);
      return { session, events: stored };
    });
    this.remember(r.session);
    return r;
  }

  /**
   * appendToSession in one statement, when this store last saw the session (`known`,
   * committed) live and with no touch due now: the statement locks the session row
   * (FOR UPDATE, as the transaction does, and before the event lock) and appends only
   * if its version is still the one seen. Every write of a session row raises its
   * version, so an unchanged version is an unchanged row: what the transaction would
   * have found, and it would have appended without touching. Otherwise nothing is
   * written and null sends the caller to the transaction.
   */
  private async appendToKnownSession(sessionId: string, events: NewEvent[], now: number): Promise<{ session: Session; events: MemoryEvent[] } | null> {
    const known = this.sessions.get(sessionId);
    if (!known || known.status === 'terminated' || touchIsDue(known, now)) return null;
    // Anything the transaction would refuse or check (another session, tenant or
    // investigation than the session's) goes the long way, to be judged in its order.
    for (const ev of events) if (ev.tenantId !== this.tenantId || ev.sessionId !== sessionId || (ev.investigationId !== null && ev.investigationId !== known.investigationId)) return null;
    const stored = await this.insertEvents(this.db, events, {
      cte: 's AS (SELECT version FROM sessions WHERE tenant_id = $1 AND id = $2 FOR UPDATE)',
      params: [this.tenantId, sessionId, known.version],
      where: 's.version = $3',
    });
    return stored ? { session: known, events: stored } : null;
  }

  async heartbeat(id: string, now: number) {
    return this.remembered(this.db.write(async (c) => {
      const s = await this.mustSession(c, id, 'FOR UPDATE');
      if (s.status === 'terminated') return s;
      return this.update(c, C.sessions, sessionHeartbeat(s, now));
    }));
  }

  async terminateSession(id: string, reason: TerminationReason, now: number, expectedVersion?: number) {
    // One conditional UPDATE when this store knows the row (as the lifecycle sweep's
    // dueSessions just read it): the version in the WHERE makes it a compare-and-set on
    // exactly the row the transition was computed from (every session write raises the
    // version). When it moved, the transaction below judges the row as it stands.
    const known = this.sessions.get(id);
    if (known && known.status !== 'terminated' && (expectedVersion === undefined || known.version === expectedVersion)) {
      const next = terminatedSession(known, reason, now);
      const params = [...C.sessions.updateParams(next), known.version];
      // The update and its session's final extraction (due now) in one statement.
      const rows = await this.db.query<{ n: number }>(
        `WITH u AS (${SESSION_CAS_UPDATE} RETURNING id),
         d AS (INSERT INTO checkpoints (tenant_id, session_id, through_seq, last_run_at, last_error, due_at) SELECT $${params.length + 1}::text, u.id, 0, NULL, NULL, $${params.length + 2}::bigint FROM u
           ON CONFLICT (tenant_id, session_id) DO UPDATE SET due_at = excluded.due_at WHERE checkpoints.due_at IS NULL OR excluded.due_at < checkpoints.due_at)
         SELECT count(*)::int AS n FROM u`,
        [...params, this.tenantId, now],
      );
      if (rows[0]!.n === 1) return this.remember(C.sessions.stored(next));
    }
    const r = await this.db.write(async (c) => {
      const s = await this.mustSession(c, id, 'FOR UPDATE');
      if (s.status === 'terminated' || (expectedVersion !== undefined && s.version !== expectedVersion)) return null;
      const done = await this.update(c, C.sessions, terminatedSession(s, reason, now));
      await this.markDue(c, id, now, 'earliest'); // its final extraction, in the same step
      return done;
    });
    return r && this.remember(r);
  }

  // ---- tasks, waits, signals ----

  /** The caller holds the task's investigation row (or just created it). */
  private async insertTask(c: Conn, task: Task, wait: Wait | null): Promise<{ task: Task; wait: Wait | null; resolvedBy: Signal | null }> {
    await this.mustInvestigation(c, task.investigationId);
    let t: Task = { ...task };
    if (t.status === 'pending' && t.runAt === null) t.runAt = t.createdAt;
    let w: Wait | null = null;
    let resolvedBy: Signal | null = null;
    if (wait) ({ task: t, wait: w, resolvedBy } = await this.registerWait(c, t, wait, wait.createdAt));
    return { task: await this.insert(c, C.tasks, t, 'task'), wait: w, resolvedBy };
  }

  async createTask(input: { task: Task; wait: Wait | null; events: NewEvent[] }) {
    return this.db.write(async (c) => {
      assertSameTenant(this.tenantId, input.task, `task ${input.task.id}`);
      // FOR SHARE: tasks may be added side by side, but not while a signal is being
      // delivered to the investigation or while it closes.
      const inv = await this.mustInvestigation(c, input.task.investigationId, 'FOR SHARE');
      if (inv.status === 'closed') throw closedInvestigationError();
      const r = await this.insertTask(c, input.task, input.wait);
      await this.appendIn(c, input.events);
      return r;
    });
  }

  async getTask(id: string) {
    const rows = await this.db.query('SELECT * FROM tasks WHERE tenant_id = $1 AND id = $2', [this.tenantId, id], { idempotent: true });
    return rows[0] ? C.tasks.fromRow(rows[0]) : null;
  }

  async listTasks(investigationId: string, opts?: ListOptions & { open?: boolean }) {
    const open = opts?.open === undefined ? '' : ` AND status ${opts.open ? '' : 'NOT '}IN ('pending', 'running', 'waiting')`;
    const p = new Params();
    const sql = `SELECT * FROM tasks WHERE tenant_id = ${p.add(this.tenantId)} AND investigation_id = ${p.add(investigationId)}${open} `;
    return this.list(this.db, C.tasks, sql + byCreation(opts, p), p.values);
  }

  async listWaits(investigationId: string, opts?: ListOptions & { open?: boolean; taskId?: string }) {
    const p = new Params();
    let sql = `SELECT * FROM waits WHERE tenant_id = ${p.add(this.tenantId)} AND investigation_id = ${p.add(investigationId)}`;
    if (opts?.open !== undefined) sql += ` AND status ${opts.open ? '=' : '<>'} 'open'`;
    if (opts?.taskId !== undefined) sql += ` AND task_id = ${p.add(opts.taskId)}`;
    return this.list(this.db, C.waits, `${sql} ${byCreation(opts, p)}`, p.values);
  }

  async countInvestigation(investigationId: string): Promise<InvestigationCounts> {
    // One statement: one snapshot. Signals are counted by signal_totals, kept with each delivery.
    const rows = await this.db.query<{ tasks: number; open_tasks: number; waits: number; open_waits: number; signals: number | null; bytes: number | null; reports: number }>(
      `SELECT
         (SELECT count(*) FROM tasks WHERE tenant_id = $1 AND investigation_id = $2) AS tasks,
         (SELECT count(*) FROM tasks WHERE tenant_id = $1 AND investigation_id = $2 AND status IN ('pending', 'running', 'waiting')) AS open_tasks,
         (SELECT count(*) FROM waits WHERE tenant_id = $1 AND investigation_id = $2) AS waits,
         (SELECT count(*) FROM waits WHERE tenant_id = $1 AND investigation_id = $2 AND status = 'open') AS open_waits,
         (SELECT count FROM signal_totals WHERE tenant_id = $1 AND investigation_id = $2) AS signals,
         (SELECT bytes FROM signal_totals WHERE tenant_id = $1 AND investigation_id = $2) AS bytes,
         (SELECT count(*) FROM reports WHERE tenant_id = $1 AND investigation_id = $2) AS reports`,
      [this.tenantId, investigationId],
      { idempotent: true },
    );
    const r = rows[0]!;
    return { tasks: r.tasks, openTasks: r.open_tasks, waits: r.waits, openWaits: r.open_waits, signals: r.signals ?? 0, signalBytes: r.bytes ?? 0, reports: r.reports };
  }

  private async signalTotals(c: Conn, investigationId: string): Promise<SignalTotals> {
    return (await c.get<SignalTotals>('SELECT count, bytes FROM signal_totals WHERE tenant_id = $1 AND investigation_id = $2', [this.tenantId, investigationId])) ?? { count: 0, bytes: 0 };
  }

  async getWait(id: string) {
    const rows = await this.db.query('SELECT * FROM waits WHERE tenant_id = $1 AND id = $2', [this.tenantId, id], { idempotent: true });
    return rows[0] ? C.waits.fromRow(rows[0]) : null;
  }

  async applyTaskOutcome(input: Parameters<TenantStore['applyTaskOutcome']>[0]) {
    return this.db.write(async (c) => {
      // A wait to register: hold its investigation first (lock order), as createTask does.
      if (input.wait) await c.run('SELECT 1 FROM investigations WHERE tenant_id = $1 AND id = $2 FOR SHARE', [this.tenantId, input.wait.investigationId]);
      const task = await this.must(c, C.tasks, input.taskId, 'task', 'FOR UPDATE');
      if (task.status !== 'running' || task.leaseOwner !== input.leaseOwner) throw leaseLostError(task, input.leaseOwner);
      const now = input.now;
      let next = taskAfterOutcome(task, input, now);
      if (isTerminalTask(input.status)) await this.closeOpenWaitsOfTask(c, task.id, now);
      let wait: Wait | null = null;
      if (input.wait) ({ task: next, wait } = await this.registerWait(c, next, input.wait, now));
      const stored = await this.update(c, C.tasks, next);
      for (const r of input.reports ?? []) await this.insert(c, C.reports, r, 'report');
      for (const i of input.inbox ?? []) await this.insert(c, C.inbox, i, 'inbox item');
      for (const r of input.records ?? []) await this.insertRecord(c, r);
      await enqueueIfOn(c, this.tenantId, 'record', (input.records ?? []).map((r) => r.id), now);
      const events = await this.appendIn(c, input.events ?? []);
      return { task: stored, wait, events };
    });
  }

  async extendTaskLease(taskId: string, leaseOwner: string, leaseUntil: number) {
    // One conditional UPDATE: the compare-and-set on the lease owner.
    return (await this.db.run(`UPDATE tasks SET lease_until = $1 WHERE tenant_id = $2 AND id = $3 AND status = 'running' AND lease_owner = $4`, [leaseUntil, this.tenantId, taskId, leaseOwner])) > 0;
  }

  async expireWait(input: { waitId: string; now: number; taskStatus: 'timed_out' | 'pending'; events: NewEvent[]; inbox?: InboxItem[] }) {
    return this.db.write(async (c) => {
      const seen = await this.must(c, C.waits, input.waitId, 'wait');
      if (seen.status !== 'open') return null;
      // Lock order: the task, then the wait (re-read: a signal may have resolved it meanwhile).
      const t = await this.find(c, C.tasks, seen.taskId, 'FOR UPDATE');
      const w = (await this.find(c, C.waits, input.waitId, 'FOR UPDATE'))!;
      if (w.status !== 'open') return null;
      const now = input.now;
      const expired = await this.update(c, C.waits, expiredWait(w, now));
      let task: Task | null = null;
      if (t && t.status === 'waiting') {
        task = await this.update(c, C.tasks, taskAfterWaitExpiry(t, input.taskStatus, now));
        if (task.status === 'timed_out') await this.closeOpenWaitsOfTask(c, t.id, now);
      }
      for (const i of input.inbox ?? []) await this.insert(c, C.inbox, i, 'inbox item');
      await this.appendIn(c, input.events);
      return { wait: expired, task };
    });
  }

  async cancelTask(input: { taskId: string; now: number; events: NewEvent[] }) {
    return this.db.write(async (c) => {
      const t = await this.must(c, C.tasks, input.taskId, 'task', 'FOR UPDATE');
      assertTaskTransition(t.status, 'cancelled');
      const cancelled = await this.update(c, C.tasks, cancelledTask(t, input.now));
      await this.closeOpenWaitsOfTask(c, t.id, input.now);
      await this.appendIn(c, input.events);
      return cancelled;
    });
  }

  async deliverSignal(input: Parameters<TenantStore['deliverSignal']>[0]) {
    return this.db.write(async (c) => {
      const sig = input.signal;
      assertSameTenant(this.tenantId, sig, `signal ${sig.id}`);
      const files = checkedAttachments(sig, input.attachments);
      // Deliveries to one investigation take turns on its row: the key and the limits
      // are judged on what the previous delivery committed.
      const inv = await this.mustInvestigation(c, sig.investigationId, 'FOR NO KEY UPDATE');
      const duplicateOf = async () => {
        const row = await c.get('SELECT * FROM signals WHERE tenant_id = $1 AND investigation_id = $2 AND idempotency_key = $3', [this.tenantId, inv.id, sig.idempotencyKey]);
        if (!row) return null;
        const [earlier] = await this.withFiles(c, [C.signals.fromRow(row)]);
        assertSameSignalName(earlier!, sig);
        return { signal: earlier!, duplicate: true, resolvedWaits: [], wokenTasks: [] };
      };
      if (sig.idempotencyKey !== null) {
        const dup = await duplicateOf();
        if (dup) return dup;
      }
      if (inv.status === 'closed') throw closedInvestigationError();
      const adding = signalBytes(sig.payload, files.map((f) => f.meta.size));
      const over = signalLimitExceeded(inv.id, await this.signalTotals(c, inv.id), adding, input.limits);
      if (over) throw over;
      // The key's uniqueness is the index's: ON CONFLICT makes a delivery that lost a race
      // (only possible without the row lock above) a duplicate, never a second signal.
      const inserted = await c.get(
        `${C.signals.insertSql} ON CONFLICT (tenant_id, investigation_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING id`,
        C.signals.insertParams(sig),
      );
      if (!inserted) {
        const dup = await duplicateOf();
        if (dup) return dup;
      }
      const stored: Signal = { ...C.signals.stored(sig), attachments: files.map((f) => ({ ...f.meta })) };
      await c.run(
        `INSERT INTO signal_totals (tenant_id, investigation_id, count, bytes) VALUES ($1, $2, 1, $3)
         ON CONFLICT (tenant_id, investigation_id) DO UPDATE SET count = signal_totals.count + 1, bytes = signal_totals.bytes + excluded.bytes`,
        [this.tenantId, inv.id, adding],
      );
      // In the signal's transaction: an acknowledged signal never lacks its files.
      for (const { meta, content } of files) {
        await c.run('INSERT INTO signal_attachments (tenant_id, signal_id, idx, name, media_type, size, sha256, content) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
          this.tenantId,
          sig.id,
          meta.index,
          meta.name,
          meta.mediaType,
          meta.size,
          meta.sha256,
          Buffer.from(content.buffer, content.byteOffset, content.byteLength),
        ]);
      }
      const open = await this.list(c, C.waits, `SELECT * FROM waits WHERE tenant_id = $1 AND investigation_id = $2 AND signal = $3 AND status = 'open' ORDER BY created_at, id`, [
        this.tenantId,
        inv.id,
        sig.name,
      ]);
      const resolvedWaits: Wait[] = [];
      const wokenTasks: Task[] = [];
      for (const seen of open) {
        // Lock order: the task, then its wait (re-read under the lock).
        const t = await this.find(c, C.tasks, seen.taskId, 'FOR UPDATE');
        const w = await this.find(c, C.waits, seen.id, 'FOR UPDATE');
        if (!w || w.status !== 'open') continue;
        resolvedWaits.push(await this.update(c, C.waits, resolvedWait(w, sig)));
        if (t && t.status === 'waiting') wokenTasks.push(await this.update(c, C.tasks, taskWokenBySignal(t, sig)));
      }
      await this.appendIn(c, input.events);
      return { signal: stored, duplicate: false, resolvedWaits, wokenTasks };
    });
  }

  async listSignals(investigationId: string, name?: string, opts?: ListOptions) {
    const dir = opts?.order === 'desc' ? 'DESC' : 'ASC';
    const p = new Params();
    const byName = name === undefined ? '' : ` AND name = ${p.add(name)}`;
    const rows = await this.db.query<Row & { lh_files: AttachmentRow[] }>(
      `SELECT s.*, ${FILES_OF_S} AS lh_files FROM signals s WHERE tenant_id = ${p.add(this.tenantId)} AND investigation_id = ${p.add(investigationId)}${byName} ORDER BY received_at ${dir}, id ${dir} LIMIT ${p.add(listLimit(opts))}`,
      p.values,
      { idempotent: true },
    );
    return rows.map(signalWithFiles);
  }

  async getSignal(id: string) {
    const rows = await this.db.query<Row & { lh_files: AttachmentRow[] }>(`SELECT s.*, ${FILES_OF_S} AS lh_files FROM signals s WHERE tenant_id = $1 AND id = $2`, [this.tenantId, id], { idempotent: true });
    return rows[0] ? signalWithFiles(rows[0]) : null;
  }

  async readSignalAttachment(signalId: string, index: number) {
    if (!Number.isSafeInteger(index) || index < 0 || index > 2 ** 31 - 1) {
      await this.db.query('SELECT 1', [], { idempotent: true });
      return null;
    }
    const rows = await this.db.query<AttachmentRow & { content: Buffer }>(
      'SELECT signal_id, idx, name, media_type, size, sha256, content FROM signal_attachments WHERE tenant_id = $1 AND signal_id = $2 AND idx = $3',
      [this.tenantId, signalId, index],
      { idempotent: true },
    );
    const row = rows[0];
    // A copy in a plain Uint8Array: the caller gets exactly the file's bytes, nothing around them.
    return row ? { meta: attachmentMeta(row), content: new Uint8Array(row.content) } : null;
  }

  // ---- short-term memory ----

  async appendEvents(events: NewEvent[]) {
    if (events.length === 0) {
      await this.db.query('SELECT 1', [], { idempotent: true });
      return [];
    }
    return this.db.write((c) => this.appendIn(c, events));
  }

  async listEvents(q: Parameters<TenantStore['listEvents']>[0]): Promise<Page<MemoryEvent>> {
    const desc = q.order === 'desc';
    const tag = desc ? 'evt-desc' : 'evt-asc';
    const p = new Params();
    const where = [`tenant_id = ${p.add(this.tenantId)}`];
    if (q.sessionId !== undefined) where.push(`session_id = ${p.add(q.sessionId)}`);
    if (q.investigationId !== undefined) where.push(`investigation_id = ${p.add(q.investigationId)}`);
    if (q.actorId !== undefined) where.push(`actor_id = ${p.add(q.actorId)}`);
    if (q.afterSeq !== undefined) where.push(`seq > ${p.add(q.afterSeq)}`);
    if (q.kinds && q.kinds.length > 0) where.push(`kind = ANY(${p.add([...q.kinds])}::text[])`);
    const { count, cap } = countUpTo('events', where, q.totalCap);
    const n = pageLimit(q.limit);
    const conds = [...where];
    if (q.cursor) {
      const [seq] = decodeCursor(tag, q.cursor, ['number'] as const);
      conds.push(desc ? `seq < ${p.add(seq)}` : `seq > ${p.add(seq)}`);
    }
    const page = `SELECT * FROM events WHERE ${conds.join(' AND ')} ORDER BY seq ${desc ? 'DESC' : 'ASC'} LIMIT ${p.add(n + 1)}`;
    const { total, rows } = await this.countedPage(C.events, count, page, `p.seq ${desc ? 'DESC' : 'ASC'}`, p.values);
    const items = rows.slice(0, n);
    const last = items[items.length - 1];
    return { items, total, nextCursor: rows.length > n && last ? encodeCursor(tag, [last.seq]) : null, ...capped(total, cap) };
  }

  async getEvents(ids: readonly string[]) {
    return this.list(this.db, C.events, 'SELECT * FROM events WHERE tenant_id = $1 AND id = ANY($2::text[]) ORDER BY seq', [this.tenantId, [...new Set(ids)]]);
  }

  async deleteEvent(id: string) {
    // One statement: the event, and with the outbox on its entries
    // (an entry that would still ship it goes unless a delivery holds it now; its deletion
    // from the memory is queued, keyed by its memory session: memorySessionOf).
    const now = this.clock.now();
    const rows = await this.db.query<{ n: number }>(
      `WITH d AS (DELETE FROM events WHERE tenant_id = $1 AND id = $2 RETURNING id, coalesce(investigation_id, session_id, id) AS memory_session),
       ob AS (DELETE FROM memory_outbox o USING d WHERE o.tenant_id = $1 AND o.kind = 'event' AND o.ref_id = d.id AND (o.lease_until IS NULL OR o.lease_until <= $3)),
       q AS (INSERT INTO memory_outbox (tenant_id, kind, ref_id, detail, next_attempt_at, created_at)
         SELECT $1::text, 'delete_event', d.id, d.memory_session, $3::bigint, $3::bigint FROM d WHERE ${OUTBOX_ON})
       SELECT count(*)::int AS n FROM d`,
      [this.tenantId, id, now],
    );
    return rows[0]!.n > 0;
  }

  // ---- long-term memory ----

  async getRecord(id: string) {
    const rows = await this.db.query(`SELECT ${RECORD_COLUMNS} FROM records WHERE tenant_id = $1 AND id = $2`, [this.tenantId, id], { idempotent: true });
    return rows[0] ? C.records.fromRow(rows[0]) : null;
  }

  async listRecords(q: Parameters<TenantStore['listRecords']>[0]): Promise<Page<MemoryRecord>> {
    const prefix = normalizePrefix(q.namespacePrefix);
    const p = new Params();
    const where = [`tenant_id = ${p.add(this.tenantId)}`];
    if (prefix !== '') {
      // Segment-wise and index-friendly (namespace compares byte-wise, COLLATE "C"):
      // "p" and everything under "p/" sort in ["p", "p0"); the last test drops
      // siblings such as "p-x" that sort there too.
      const at = p.add(prefix);
      where.push(`namespace >= ${at} AND namespace < ${p.add(prefix + '0')} AND (namespace = ${at} OR substr(namespace, ${p.add(prefix.length + 1)}, 1) = '/')`);
    }
    if (q.status) where.push(`status = ${p.add(q.status)}`);
    return this.pageDesc(C.records, 'rec', where, p, q);
  }

  /**
   * Ranked through the GIN index of keyed lexemes (./search.ts): the tenant, status and
   * namespace prefix are inside the tsquery, so only this tenant's posting lists of the
   * query's words are read. The score is ts_rank over the query's words (more of them
   * in a record ranks it higher) divided by 1 + ln(its distinct words), so a short record
   * that says it ranks above a long one that mentions it, as bm25 does; it depends on
   * the record and the query alone, so a prefix search ranks its records exactly as the
   * tenant-wide search does.
   *
   * Ranking reads every candidate row, so it is bounded as in the SQLite store:
   *  - usually the query's candidates number at most RANK_BUDGET: all are ranked;
   *  - a broad query ranks the candidates of its selective words — rarest first, while
   *    their matches fit the budget; words too common to select drop out, as stopwords do;
   *  - if that gives fewer than topK, the rest come from the newest RANK_BUDGET matches
   *    of the least common remaining word, scored no higher than what came before.
   * The usual case is one statement (rankWithinBudgetSql) in a read-only transaction whose
   * settings travel with its BEGIN; candidates are ranked on their lexemes and only the
   * topK are joined back to their rows. Matches are read through the GIN index only
   * (matchedRecords), never a scan of the table or of the tenant.
   */
  async searchRecords(q: { query: string; namespacePrefix?: string; includeSuperseded?: boolean; topK: number }): Promise<ScoredRecord[]> {
    const topK = pageLimit(q.topK);
    const terms = indexWords(searchTerms(q.query));
    if (terms.length === 0 || topK === 0) {
      await this.db.query('SELECT 1', [], { idempotent: true });
      return [];
    }
    const expr = (words: readonly string[]) =>
      searchQuery({ tenantId: this.tenantId, namespacePrefix: normalizePrefix(q.namespacePrefix), includeSuperseded: q.includeSuperseded === true, words });
    const scored = (rows: Array<Row & { score: number }>): ScoredRecord[] =>
      // Keep scores positive (ts_rank of a match is, but a float can round to 0).
      rows.map((row) => ({ record: C.records.fromRow(row), score: Math.max(row.score, Number.MIN_VALUE) }));
    return this.db.read(async (c) => {
      // Usually one statement: the candidates counted and, within the budget, ranked.
      const all = expr(terms);
      const first = await c.all<Row & { lh_candidates: number; score: number }>(rankWithinBudgetSql(RECORD_COLUMNS_REC), [all.ranked, all.match, this.tenantId, topK]);
      if (first[0]!.lh_candidates <= RANK_BUDGET) return scored(first.filter((r) => r.id !== null));
      const rank = async (words: readonly string[], limit: number, newest?: number) => {
        const { ranked, match } = expr(words);
        return scored(await c.all<Row & { score: number }>(rankSql(RECORD_COLUMNS_REC, newest), [ranked, match, this.tenantId, limit]));
      };

      const counts = await c.all<{ n: number }>(countEachSql, [terms.map((t) => expr([t]).match), this.tenantId]);
      const counted = terms.map((t, i) => ({ t, n: counts[i]!.n }));
      counted.sort((x, y) => x.n - y.n || (x.t < y.t ? -1 : 1));
      const selective: string[] = [];
      let budget = RANK_BUDGET;
      for (const { t, n } of counted) {
        if (n > budget) break;
        selective.push(t);
        budget -= n;
      }
      const out = selective.length > 0 ? await rank(selective, topK) : [];
      if (out.length < topK && selective.length < counted.length) {
        const seen = new Set(out.map((r) => r.record.id));
        let cap = out.length > 0 ? out[out.length - 1]!.score : Number.POSITIVE_INFINITY;
        for (const r of await rank([counted[selective.length]!.t], topK + out.length, RANK_BUDGET)) {
          if (out.length >= topK) break;
          if (seen.has(r.record.id)) continue;
          // Listed after the selective results, so scored no higher than them.
          cap = Math.min(cap, r.score);
          out.push({ record: r.record, score: cap });
        }
      }
      return out;
    }, INDEX_ONLY);
  }

  async findRecordsWithWords(namespace: string, groups: readonly (readonly string[])[], limit: number) {
    const n = pageLimit(limit);
    const ns = normalizePrefix(namespace);
    const match = allWordsOfAnyGroup(this.tenantId, ns, groups);
    if (match === null || n === 0) {
      await this.db.query('SELECT 1', [], { idempotent: true });
      return [];
    }
    // Oldest matches first (insertion order); the namespace lexeme also matches deeper
    // namespaces, so the exact namespace is checked on the row.
    return this.db.read(
      (c) =>
        this.list(
          c,
          C.records,
          `SELECT ${RECORD_COLUMNS_REC} FROM (${matchedRecords('$1', '$2', 'rid')}) m JOIN records rec ON rec.rid = m.rid WHERE rec.namespace = $3 AND rec.status = 'active' ORDER BY rec.rid LIMIT $4`,
          [match, this.tenantId, namespace, n],
        ),
      INDEX_ONLY,
    );
  }

  async findRecordByTextKey(namespace: string, textKey: string) {
    const rows = await this.list(
      this.db,
      C.records,
      `SELECT ${RECORD_COLUMNS} FROM records WHERE tenant_id = $1 AND namespace = $2 AND text_key = $3 AND status = 'active' ORDER BY created_at DESC, id DESC LIMIT 1`,
      [this.tenantId, namespace, textKey],
    );
    return rows[0] ?? null;
  }

  async findRecordByTopicKey(namespace: string, topicKey: string) {
    const rows = await this.list(
      this.db,
      C.records,
      `SELECT ${RECORD_COLUMNS} FROM records WHERE tenant_id = $1 AND namespace = $2 AND topic_key = $3 AND status = 'active' ORDER BY created_at DESC, id DESC LIMIT 1`,
      [this.tenantId, namespace, topicKey],
    );
    return rows[0] ?? null;
  }

  async deleteRecord(id: string) {
    // One statement: the delete and, when the outbox is on, its entry.
    const rows = await this.db.query<{ n: number }>(
      `WITH d AS (DELETE FROM records WHERE tenant_id = $1 AND id = $2 RETURNING id),
       ob AS (INSERT INTO memory_outbox (tenant_id, kind, ref_id, next_attempt_at, created_at) SELECT $1::text, 'delete_record', d.id, $3::bigint, $3::bigint FROM d WHERE ${OUTBOX_ON})
       SELECT count(*)::int AS n FROM d`,
      [this.tenantId, id, this.clock.now()],
    );
    return rows[0]!.n > 0;
  }

  async reviseRecord(input: Parameters<TenantStore['reviseRecord']>[0]) {
    return this.db.write(async (c) => {
      const r = await this.find(c, C.records, input.id, 'FOR UPDATE');
      if (!r) return null;
      const next: MemoryRecord = { ...r, text: input.text, textKey: input.textKey, sourceEventIds: [...new Set(input.sourceEventIds)], actorId: input.actorId !== undefined ? input.actorId : r.actorId, updatedAt: input.now };
      await this.updateRecord(c, next);
      await enqueueIfOn(c, this.tenantId, 'record', [next.id], input.now);
      return next;
    });
  }

  async saveErasure(receipt: Parameters<TenantStore['saveErasure']>[0]) {
    assertSameTenant(this.tenantId, receipt, `erasure receipt ${receipt.id}`);
    await pgErasures.save(this.db, receipt);
  }

  getErasure(id: string) {
    return pgErasures.get(this.db, this.tenantId, id);
  }

  listErasures(q: { limit: number; cursor?: string | null }) {
    return pgErasures.list(this.db, this.tenantId, q);
  }

  async getCheckpoint(sessionId: string) {
    return this.checkpoint(this.db, sessionId);
  }

  async commitExtraction(input: { sessionId: string; expectedThroughSeq: number; throughSeq: number; now: number; dueAt: number | null; writes: RecordWrite[] }) {
    await this.db.write(async (c) => {
      await this.mustSession(c, input.sessionId);
      // The compare-and-set: the checkpoint row is locked, then compared.
      const cp = await this.lockedCheckpoint(c, input.sessionId);
      if (cp.throughSeq !== input.expectedThroughSeq) throw checkpointMovedError(input.sessionId, cp.throughSeq, input.expectedThroughSeq);
      for (const w of input.writes) {
        if (w.op === 'create') {
          await this.insertRecord(c, w.record);
          continue;
        }
        const r = await this.must(c, C.records, w.id, 'memory record', 'FOR UPDATE');
        if (w.op === 'add_sources') await this.updateRecord(c, { ...r, sourceEventIds: union(r.sourceEventIds, w.eventIds), updatedAt: w.now });
        else if (w.op === 'supersede') await this.updateRecord(c, { ...r, status: 'superseded', supersededBy: w.by, updatedAt: w.now });
        else await this.updateRecord(c, { ...r, text: w.text, textKey: w.textKey, sourceEventIds: union(r.sourceEventIds, w.eventIds), updatedAt: w.now });
      }
      await enqueueIfOn(c, this.tenantId, 'record', [...new Set(input.writes.map((w) => (w.op === 'create' ? w.record.id : w.id)))], input.now);
      await this.putCheckpoint(c, { ...cp, throughSeq: input.throughSeq, lastRunAt: input.now, lastError: null, dueAt: input.dueAt });
    });
  }

  async failExtraction(input: { sessionId: string; now: number; error: string; retryAt: number }) {
    await this.db.write(async (c) => {
      await this.mustSession(c, input.sessionId);
      const cp = await this.lockedCheckpoint(c, input.sessionId);
      await this.putCheckpoint(c, { ...cp, lastRunAt: input.now, lastError: input.error, dueAt: input.retryAt });
    });
  }

  async scheduleExtraction(sessionId: string, at: number) {
    // One statement (one snapshot): the session must exist; its checkpoint becomes due
    // at `at` unless it already is earlier (markDue 'earliest').
    const rows = await this.db.query<{ found: number }>(
      `WITH s AS (SELECT 1 FROM sessions WHERE tenant_id = $1 AND id = $2),
       up AS (INSERT INTO checkpoints (tenant_id, session_id, through_seq, last_run_at, last_error, due_at) SELECT $1::text, $2::text, 0, NULL, NULL, $3::bigint FROM s
         ON CONFLICT (tenant_id, session_id) DO UPDATE SET due_at = excluded.due_at WHERE checkpoints.due_at IS NULL OR excluded.due_at < checkpoints.due_at)
       SELECT count(*)::int AS found FROM s`,
      [this.tenantId, sessionId, at],
    );
    if (rows[0]!.found === 0) throw new NotFoundError('session', sessionId);
  }

  // ---- reports and inbox ----

  async listReports(investigationId: string, opts?: ListOptions) {
    const newest = opts?.order !== 'asc';
    const p = new Params();
    const sql = `SELECT * FROM reports WHERE tenant_id = ${p.add(this.tenantId)} AND investigation_id = ${p.add(investigationId)} `;
    return this.list(this.db, C.reports, sql + byCreation({ ...opts, order: newest ? 'desc' : 'asc' }, p), p.values);
  }

  async getReport(id: string) {
    const rows = await this.db.query('SELECT * FROM reports WHERE tenant_id = $1 AND id = $2', [this.tenantId, id], { idempotent: true });
    return rows[0] ? C.reports.fromRow(rows[0]) : null;
  }

  async listInbox(q: Parameters<TenantStore['listInbox']>[0]): Promise<Page<InboxItem>> {
    const p = new Params();
    const where = [`tenant_id = ${p.add(this.tenantId)}`];
    if (q.investigationIds) where.push(`investigation_id = ANY(${p.add([...q.investigationIds])}::text[])`);
    return this.pageDesc(C.inbox, 'inbox', where, p, q);
  }
}

const union = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])];

/**
 * The count statement of a page: every row matching `where`, or at most `totalCap` (a
 * LIMIT inside the count, so it reads at most that many index entries however many
 * match). The cap is a whole number written into the SQL, never a bound parameter.
 */
function countUpTo(table: string, where: string[], totalCap: number | undefined): { count: string; cap: number | null } {
  const filter = where.join(' AND ');
  if (totalCap === undefined) return { count: `SELECT count(*) AS n FROM ${table} WHERE ${filter}`, cap: null };
  const cap = Math.min(Math.max(0, Math.floor(totalCap)), Number.MAX_SAFE_INTEGER);
  return { count: `SELECT count(*) AS n FROM (SELECT 1 FROM ${table} WHERE ${filter} LIMIT ${cap}) x`, cap };
}

/** The Page's `totalCapped`, present only when the caller gave a cap. */
const capped = (total: number, cap: number | null): { totalCapped?: boolean } => (cap === null ? {} : { totalCapped: total >= cap });
