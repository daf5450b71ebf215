/**
 * The embedded store: one SQLite file (WAL) through better-sqlite3 — or, for tests and
 * `LONGHAUL_STORE=memory`, a private `:memory:` database (createMemoryStore). Each port
 * method is one transaction — `write` steps take the write lock up front (BEGIN
 * IMMEDIATE) — so appends, state changes and leases are atomic across processes sharing
 * the file.
 * Every tenant query filters by tenant_id; tenant tables are keyed by (tenant_id, id).
 * Records are searched through FTS5 (bm25), scoped by tenant and namespace inside the
 * MATCH expression (see ./search.ts). Plain expiring keys live in the `kv` table of
 * the same file, through keyv.
 */
import { Keyv } from 'keyv';
import { systemClock, type Clock } from '../../../domain/clock.js';
import { InvalidInputError, NotFoundError } from '../../../domain/errors.js';
import type { MemoryEvent, NewEvent } from '../../../domain/event.js';
import { assertInvestigationTransition, closedInvestigation, overdueInvestigation, touchedInvestigation, type Investigation } from '../../../domain/investigation.js';
import type { ExtractionCheckpoint, MemoryRecord, ScoredRecord } from '../../../domain/record.js';
import { namespaceHasPrefix } from '../../../domain/namespace.js';
import type { InboxItem } from '../../../domain/report.js';
import { sessionDueAt, sessionHeartbeat, sessionTouched, sessionWorkBegun, sessionWorkEnded, terminatedSession, touchIsDue, type Session, type SessionStatus, type TerminationReason } from '../../../domain/session.js';
import { assertTaskTransition, cancelledTask, claimedTask, expiredWait, resolvedWait, taskAfterOutcome, taskAfterWaitExpiry, taskWokenBySignal, waitOnRegistration, isTerminalTask, type Signal, type SignalAttachment, type Task, type TaskStatus, type Wait } from '../../../domain/task.js';
import { signalBytes, signalLimitExceeded, type SignalTotals } from '../../../domain/signal-limits.js';
import { nullLogger, type Logger } from '../../../logger.js';
import { assertTenantId } from '../../keys.js';
import type { ChangeLogEntry, ChangeLogInput, InvestigationCounts, ListOptions, Page, RecordWrite, StorePort, StoreStats, TenantStore } from '../../port.js';
import {
  assertSameTenant,
  checkpointMovedError,
  closedInvestigationError,
  decodeCursor,
  encodeCursor,
  leaseLostError,
  normalizePrefix,
  pageLimit,
  searchTerms,
  SESSION_STATUSES,
  STATS_OPEN_WAITS_LIMIT,
  TASK_STATUSES,
  terminatedError,
  versionMovedError,
  assertSameSignalName,
  checkedAttachments,
  listLimit,
} from '../common.js';
import { Db, IN_MEMORY, mapSqliteError, sqlCount } from './db.js';
import { KeyvSqlite } from './keyv-sqlite.js';
import { SqliteChangeLog, SqliteStreamEvents } from './logs.js';
import { SqliteOutbox } from './outbox.js';
import { memorySessionOf } from '../../../memory/port.js';
import { migrate } from './migrations.js';
import { deleteMentionsSqlite, exportSqlite, importSqlite, reclaimSqlite, sqliteErasures } from './lifecycle.js';
import * as C from './rows.js';
import type { Codec, Row } from './rows.js';
import { allWordsOfAnyGroup, indexWords, matcher, scopeMatch, scopeOf, termsOf } from './search.js';

/** How long an expired lease is kept before pruning (a late instance still sees it was taken). */
const LEASE_GRACE_MS = 60_000;

export interface SqliteStoreOptions {
  /** The database file; it and its directory are created on first run. `:memory:` keeps the database in this process, with no file. */
  path: string;
  logger?: Logger;
  /** Judges kv expiry and stamps migrations. Default: the system clock. */
  clock?: Clock;
  /** How long a write waits for another process's lock before StorageUnavailableError. Default 5000. */
  busyTimeoutMs?: number;
}

/**
 * Opens (creating if needed) the SQLite store at `path` and applies pending schema
 * migrations. Throws StorageUnavailableError when the file cannot be opened or written.
 */
export function openSqliteStore(opts: SqliteStoreOptions): StorePort {
  const logger = opts.logger ?? nullLogger;
  const clock = opts.clock ?? systemClock;
  const db = Db.open(opts.path, opts.busyTimeoutMs);
  try {
    const applied = migrate(db.raw, clock.now());
    if (applied.length > 0) logger.info('store schema migrated', { store: db.location, versions: applied });
  } catch (e) {
    db.close();
    throw mapSqliteError(e, db.location);
  }
  const kv = new Keyv({ store: new KeyvSqlite(db, clock), throwOnErrors: true });
  logger.debug('store opened', { store: db.location });
  return new SqliteStore(db, kv, new SqliteOutbox(db, clock));
}

/**
 * The store on a private in-memory SQLite database, for tests and `LONGHAUL_STORE=memory`:
 * nothing persists, and each call opens a new, empty database. It is the SQLite adapter
 * itself (kind `sqlite`, location `:memory:`), so tests on it run the production queries,
 * transactions and FTS5 ranking — there is no second implementation to keep in step.
 */
export function createMemoryStore(opts: Omit<SqliteStoreOptions, 'path' | 'busyTimeoutMs'> = {}): StorePort {
  return openSqliteStore({ ...opts, path: IN_MEMORY });
}

/**
 * The tenant allow-list of the due-work claims (claimTask, dueExtractions). The unary
 * `+` keeps tenant_id from being an index candidate: otherwise, without statistics,
 * SQLite prefers the primary key (tenant_id, …) for `IN` and walks every task or
 * checkpoint the tenant ever had, then sorts; with it the due-time index is used and
 * the allow-list only filters (test/contract/sqlite-plans.test.ts).
 */
const TENANT_IN = ` AND +tenant_id IN (SELECT value FROM json_each(?))`;
const tenantFilter = (tenants: readonly string[] | undefined) => (tenants ? TENANT_IN : '');
const tenantParams = (tenants: readonly string[] | undefined) => (tenants ? [JSON.stringify(tenants)] : []);

type Key = Array<string | number>;
const cmp = (a: Key, b: Key): number => {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! < b[i]!) return -1;
    if (a[i]! > b[i]!) return 1;
  }
  return 0;
};

class SqliteStore implements StorePort {
  readonly kind = 'sqlite' as const;
  readonly location: string;
  private readonly tenants = new Map<string, TenantStore>();
  private readonly changes: SqliteChangeLog;
  private readonly streams: SqliteStreamEvents;

  constructor(
    private readonly db: Db,
    readonly kv: Keyv,
    private readonly outbox: SqliteOutbox,
  ) {
    this.location = db.location;
    this.changes = new SqliteChangeLog(db);
    this.streams = new SqliteStreamEvents(db);
    this.outboxOn = db.read(() => outbox.isOn());
  }

  private outboxOn: boolean;
  get memoryOutbox(): boolean {
    return this.outboxOn;
  }

  async enableMemoryOutbox(): Promise<void> {
    this.outbox.enable();
    this.outboxOn = true;
  }

  async claimOutbox(now: number, owner: string, leaseMs: number, limit: number) {
    return this.outbox.claim(now, owner, leaseMs, limit);
  }

  async settleOutbox(input: Parameters<StorePort['settleOutbox']>[0]) {
    this.outbox.settle(input);
  }

  async outboxStats() {
    return this.outbox.stats();
  }

  exportRows(opts?: { tenants?: readonly string[] }) {
    return exportSqlite(this.db, opts?.tenants);
  }

  async importRows(rows: Parameters<StorePort['importRows']>[0]) {
    return importSqlite(this.db, this.outbox, rows);
  }

  async deleteMentions(tenantId: string, needles: readonly string[]) {
    return deleteMentionsSqlite(this.db, tenantId, needles);
  }

  async reclaimDeleted(): Promise<void> {
    reclaimSqlite(this.db);
  }

  tenant(tenantId: string): TenantStore {
    assertTenantId(tenantId);
    let t = this.tenants.get(tenantId);
    if (!t) {
      t = new SqliteTenantStore(tenantId, this.db, this.outbox);
      this.tenants.set(tenantId, t);
    }
    return t;
  }

  async dueSessions(now: number, limit: number): Promise<Session[]> {
    return this.db.read(() =>
      this.db
        .all(`SELECT * FROM sessions WHERE status <> 'terminated' AND due_at <= ? ORDER BY due_at, tenant_id, id LIMIT ${sqlCount(pageLimit(limit))}`, now)
        .map((r) => C.sessions.fromRow(r)),
    );
  }

  async dueWaits(now: number, limit: number): Promise<Wait[]> {
    return this.db.read(() =>
      this.db.all(`SELECT * FROM waits WHERE status = 'open' AND deadline <= ? ORDER BY deadline, tenant_id, id LIMIT ${sqlCount(pageLimit(limit))}`, now).map((r) => C.waits.fromRow(r)),
    );
  }

  async dueInvestigations(now: number, limit: number): Promise<Investigation[]> {
    return this.db.read(() =>
      this.db
        .all(`SELECT * FROM investigations WHERE status = 'open' AND deadline IS NOT NULL AND overdue_at IS NULL AND deadline <= ? ORDER BY deadline, tenant_id, id LIMIT ${sqlCount(pageLimit(limit))}`, now)
        .map((r) => C.investigations.fromRow(r)),
    );
  }

  async claimTask(now: number, owner: string, leaseMs: number, roles: readonly string[], tenants?: readonly string[]): Promise<Task | null> {
    if (roles.length === 0 || tenants?.length === 0) return this.db.read(() => null);
    const params = [now, JSON.stringify(roles), ...tenantParams(tenants)];
    return this.db.write(() => {
      const pending = this.db.get(
        `SELECT * FROM tasks WHERE status = 'pending' AND run_at <= ? AND role IN (SELECT value FROM json_each(?))${tenantFilter(tenants)} ORDER BY run_at, tenant_id, id LIMIT 1`,
        ...params,
      );
      const expired = this.db.get(
        `SELECT * FROM tasks WHERE status = 'running' AND lease_until <= ? AND role IN (SELECT value FROM json_each(?))${tenantFilter(tenants)} ORDER BY lease_until, tenant_id, id LIMIT 1`,
        ...params,
      );
      const candidates = [pending && C.tasks.fromRow(pending), expired && C.tasks.fromRow(expired)].filter((t): t is Task => !!t);
      if (candidates.length === 0) return null;
      const key = (t: Task): Key => (t.status === 'pending' ? [t.runAt!, 0, t.tenantId, t.id] : [t.leaseUntil!, 1, t.tenantId, t.id]);
      const task = candidates.sort((x, y) => cmp(key(x), key(y)))[0]!;
      const claimed = claimedTask(task, owner, now, leaseMs);
      this.db.run(C.tasks.updateSql, C.tasks.params(claimed));
      return claimed;
    });
  }

  async dueExtractions(now: number, limit: number, tenants?: readonly string[]): Promise<ExtractionCheckpoint[]> {
    if (tenants?.length === 0) return this.db.read(() => []);
    return this.db.read(() =>
      this.db
        .all(
          `SELECT * FROM checkpoints WHERE due_at IS NOT NULL AND due_at <= ?${tenantFilter(tenants)} ORDER BY due_at, tenant_id, session_id LIMIT ${sqlCount(pageLimit(limit))}`,
          now,
          ...tenantParams(tenants),
        )
        .map((r) => C.checkpoints.fromRow(r)),
    );
  }

  async deleteExpiredEvents(now: number, limit: number): Promise<number> {
    return this.db.write(
      () =>
        this.db.run(
          `DELETE FROM events WHERE seq IN (
             SELECT e.seq FROM events e
             LEFT JOIN checkpoints c ON c.tenant_id = e.tenant_id AND c.session_id = e.session_id
             WHERE e.expires_at <= ? AND (e.session_id IS NULL OR e.seq <= c.through_seq)
               AND NOT EXISTS (SELECT 1 FROM memory_outbox o WHERE o.tenant_id = e.tenant_id AND o.kind = 'event' AND o.ref_id = e.id)
             ORDER BY e.expires_at, e.seq LIMIT ${sqlCount(pageLimit(limit))})`,
          now,
        ).changes,
    );
  }

  async acquireLease(name: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    return this.db.write(() => {
      // Each scheduled slot leases its own name, so expired leases would pile up; drop a
      // bounded batch of long-expired ones on the way (kv purges itself on set).
      this.db.run('DELETE FROM leases WHERE name IN (SELECT name FROM leases WHERE until < ? ORDER BY until LIMIT 100)', now - LEASE_GRACE_MS);
      return (
        this.db.run(
          `INSERT INTO leases (name, owner, until) VALUES (@name, @owner, @until)
           ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
           WHERE leases.owner = excluded.owner OR leases.until <= @now`,
          { name, owner, until: now + ttlMs, now },
        ).changes > 0
      );
    });
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    this.db.write(() => this.db.run('DELETE FROM leases WHERE name = ? AND owner = ?', name, owner));
  }

  async appendChanges(entries: readonly ChangeLogInput[]): Promise<number> {
    return this.changes.append(entries);
  }

  async changesAfter(seq: number, limit: number): Promise<ChangeLogEntry[]> {
    return this.changes.after(seq, limit);
  }

  async lastChangeSeq(): Promise<number> {
    return this.changes.last();
  }

  async deleteChangesBefore(at: number, limit: number): Promise<number> {
    return this.changes.deleteBefore(at, limit);
  }

  async appendStreamEvent(input: { streamId: string; message: unknown; now: number; expiresAt: number }): Promise<string> {
    return this.streams.append(input);
  }

  async streamEventsAfter(eventId: string, limit: number) {
    return this.streams.after(eventId, limit);
  }

  async deleteExpiredStreamEvents(now: number, limit: number): Promise<number> {
    return this.streams.deleteExpired(now, limit);
  }

  async stats(): Promise<StoreStats> {
    return this.db.read(() => {
      const sessionsByStatus = Object.fromEntries(SESSION_STATUSES.map((s) => [s, 0])) as Record<SessionStatus, number>;
      for (const r of this.db.all<{ status: SessionStatus; n: number }>('SELECT status, count(*) AS n FROM sessions GROUP BY status')) sessionsByStatus[r.status] = r.n;
      const tasksByStatus = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
      for (const r of this.db.all<{ status: TaskStatus; n: number }>('SELECT status, count(*) AS n FROM tasks GROUP BY status')) tasksByStatus[r.status] = r.n;
      const count = (sql: string) => this.db.get<{ n: number }>(sql)!.n;
      // Every session with events has a checkpoint row (appendEvents upserts it), so the
      // backlog is counted per checkpoint, each one's events by index past its through_seq —
      // work per session, not a join of every event in the store (270 ms at 1M events).
      const backlog = this.db.get<{ sessions: number; events: number }>(
        `SELECT count(*) AS sessions, coalesce(sum(n), 0) AS events FROM (
           SELECT (SELECT count(*) FROM events e WHERE e.tenant_id = c.tenant_id AND e.session_id = c.session_id AND e.seq > c.through_seq) AS n
           FROM checkpoints c
         ) WHERE n > 0`,
      )!;
      return {
        sessionsByStatus,
        openInvestigations: count(`SELECT count(*) AS n FROM investigations WHERE status = 'open'`),
        openWaits: this.db
          .all<{ tenant_id: string; investigation_id: string; task_id: string; signal: string; deadline: number }>(
            `SELECT tenant_id, investigation_id, task_id, signal, deadline FROM waits WHERE status = 'open' ORDER BY deadline, tenant_id, id LIMIT ${sqlCount(STATS_OPEN_WAITS_LIMIT)}`,
          )
          .map((w) => ({ tenantId: w.tenant_id, investigationId: w.investigation_id, taskId: w.task_id, signal: w.signal, deadline: w.deadline })),
        tasksByStatus,
        events: count('SELECT count(*) AS n FROM events'),
        records: count('SELECT count(*) AS n FROM records'),
        extractionBacklog: { sessions: backlog.sessions, events: backlog.events },
      };
    });
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

/** At most this many search candidates are scored with bm25 per query (about 3 ms). */
const RANK_BUDGET = 3000;
/**
 * How many of a broad query's common words rank its newest matches when its selective
 * words found too few. Each costs bm25 a pass over a long posting list, so: one.
 */
const FILL_TERMS = 1;
/** How many times topK a broad prefix's search ranks tenant-wide before keeping the records under the prefix. */
const BROAD_OVERFETCH = 4;

const EMPTY_CHECKPOINT = { throughSeq: 0, lastRunAt: null, lastError: null, dueAt: null };

/** Attachment metadata columns (never the bytes); a statement adds WHERE … ORDER BY signal_id, idx. */
const ATTACHMENT_META = 'SELECT signal_id, idx, name, media_type, size, sha256 FROM signal_attachments';
const ATTACHMENTS_OF_SIGNAL = `${ATTACHMENT_META} WHERE tenant_id = ? AND signal_id = ? ORDER BY signal_id, idx`;
interface AttachmentRow {
  signal_id: string;
  idx: number;
  name: string;
  media_type: string;
  size: number;
  sha256: string;
}
const attachmentMeta = (r: AttachmentRow): SignalAttachment => ({ index: r.idx, name: r.name, mediaType: r.media_type, size: r.size, sha256: r.sha256 });

class SqliteTenantStore implements TenantStore {
  constructor(
    readonly tenantId: string,
    private readonly db: Db,
    private readonly outbox: SqliteOutbox,
  ) {}

  // ---- helpers (run inside a step) ----

  private find<T>(codec: Codec<T>, id: string): T | null {
    const row = this.db.get(`SELECT * FROM ${codec.table} WHERE tenant_id = ? AND id = ?`, this.tenantId, id);
    return row ? codec.fromRow(row) : null;
  }
  private must<T>(codec: Codec<T>, id: string, what: string): T {
    const found = this.find(codec, id);
    if (!found) throw new NotFoundError(what, id);
    return found;
  }
  private mustInvestigation(id: string) {
    return this.must(C.investigations, id, 'investigation');
  }
  private mustSession(id: string) {
    return this.must(C.sessions, id, 'session');
  }
  private insert<T extends { tenantId: string; id: string }>(codec: Codec<T>, entity: T, what: string): T {
    assertSameTenant(this.tenantId, entity, `${what} ${entity.id}`);
    const params = codec.params(entity);
    this.db.run(codec.insertSql, params);
    return codec.fromRow(codec.toRow(params));
  }
  private update<T>(codec: Codec<T>, entity: T): T {
    const params = codec.params(entity);
    this.db.run(codec.updateSql, params);
    return codec.fromRow(codec.toRow(params));
  }
  private list<T>(codec: Codec<T>, sql: string, ...params: unknown[]): T[] {
    return this.db.all(sql, ...params).map((r) => codec.fromRow(r));
  }

  /** Appends events; `session` is one the caller already read in this step (not read again). */
  private appendIn(events: readonly NewEvent[], session?: Session): MemoryEvent[] {
    const out: MemoryEvent[] = [];
    const known = new Set<string>();
    if (session) {
      known.add('s' + session.id);
      if (session.investigationId !== null) known.add('i' + session.investigationId);
    }
    for (const ev of events) {
      assertSameTenant(this.tenantId, ev, `event ${ev.id}`);
      if (ev.sessionId !== null && !known.has('s' + ev.sessionId)) {
        const s = this.mustSession(ev.sessionId);
        known.add('s' + ev.sessionId);
        // The session's own investigation exists (sessions are created with it).
        if (s.investigationId !== null) known.add('i' + s.investigationId);
      }
      if (ev.investigationId !== null && !known.has('i' + ev.investigationId)) {
        this.mustInvestigation(ev.investigationId);
        known.add('i' + ev.investigationId);
      }
      const params = C.events.params({ ...ev, seq: 0 });
      const seq = Number(this.db.run(C.events.insertSql, params).lastInsertRowid);
      out.push({ ...C.events.fromRow(C.events.toRow(params)), seq });
      if (ev.sessionId !== null) this.markDue(ev.sessionId, ev.createdAt, 'if_unset');
    }
    this.outbox.enqueue(this.tenantId, 'event', out.map((e) => e.id));
    return out;
  }

  private markDue(sessionId: string, at: number, how: 'if_unset' | 'earliest'): void {
    // The WHERE makes an append to a session already due write nothing here: one page
    // less per event in the WAL.
    const when = how === 'if_unset' ? 'checkpoints.due_at IS NULL' : 'checkpoints.due_at IS NULL OR excluded.due_at < checkpoints.due_at';
    this.db.run(
      `INSERT INTO checkpoints (tenant_id, session_id, through_seq, last_run_at, last_error, due_at) VALUES (?, ?, 0, NULL, NULL, ?)
       ON CONFLICT (tenant_id, session_id) DO UPDATE SET due_at = excluded.due_at WHERE ${when}`,
      this.tenantId,
      sessionId,
      at,
    );
  }

  private checkpoint(sessionId: string): ExtractionCheckpoint | null {
    const row = this.db.get('SELECT * FROM checkpoints WHERE tenant_id = ? AND session_id = ?', this.tenantId, sessionId);
    return row ? C.checkpoints.fromRow(row) : null;
  }
  private putCheckpoint(cp: ExtractionCheckpoint): void {
    this.db.run(
      `INSERT INTO checkpoints (tenant_id, session_id, through_seq, last_run_at, last_error, due_at) VALUES (@tenantId, @sessionId, @throughSeq, @lastRunAt, @lastError, @dueAt)
       ON CONFLICT (tenant_id, session_id) DO UPDATE SET through_seq = excluded.through_seq, last_run_at = excluded.last_run_at, last_error = excluded.last_error, due_at = excluded.due_at`,
      C.checkpoints.params(cp),
    );
  }

  private latestSignal(investigationId: string, name: string): Signal | null {
    const row = this.db.get(
      'SELECT * FROM signals WHERE tenant_id = ? AND investigation_id = ? AND name = ? ORDER BY received_at DESC, id DESC LIMIT 1',
      this.tenantId,
      investigationId,
      name,
    );
    return row ? this.withFiles([C.signals.fromRow(row)], ATTACHMENTS_OF_SIGNAL, this.tenantId, row.id)[0]! : null;
  }

  /**
   * Signals with their attachments' metadata, from one query (`sql`, whose rows are
   * ordered by signal_id, idx) however many signals there are. The bytes are not read.
   */
  private withFiles(signals: Signal[], sql: string, ...params: unknown[]): Signal[] {
    const bySignal = new Map<string, SignalAttachment[]>();
    if (signals.length > 0) {
      for (const r of this.db.all<AttachmentRow>(sql, ...params)) {
        let list = bySignal.get(r.signal_id);
        if (!list) bySignal.set(r.signal_id, (list = []));
        list.push(attachmentMeta(r));
      }
    }
    return signals.map((x) => ({ ...x, attachments: bySignal.get(x.id) ?? [] }));
  }

  /** Stores a wait; resolves it at once (and makes the task pending) when its signal already came. */
  private registerWait(task: Task, wait: Wait, now: number): { task: Task; wait: Wait; resolvedBy: Signal | null } {
    assertSameTenant(this.tenantId, wait, `wait ${wait.id}`);
    const sig = wait.status === 'open' ? this.latestSignal(wait.investigationId, wait.signal) : null;
    const r = waitOnRegistration(task, wait, sig, now);
    return { task: r.task, wait: this.insert(C.waits, r.wait, 'wait'), resolvedBy: sig };
  }

  private closeOpenWaitsOfTask(taskId: string, now: number): void {
    this.db.run(`UPDATE waits SET status = 'cancelled', resolved_at = ? WHERE tenant_id = ? AND task_id = ? AND status = 'open'`, now, this.tenantId, taskId);
  }

  private insertRecord(r: MemoryRecord): void {
    assertSameTenant(this.tenantId, r, `memory record ${r.id}`);
    const rid = this.db.run(C.records.insertSql, C.records.params(r)).lastInsertRowid;
    this.db.run('INSERT INTO records_fts (rowid, terms, scope) VALUES (?, ?, ?)', rid, termsOf(this.tenantId, r.status, r.text), scopeOf(this.tenantId, r.namespace));
    this.outbox.enqueue(this.tenantId, 'record', [r.id]);
  }

  private updateRecord(r: MemoryRecord): void {
    const row = this.db.get<{ rid: number }>('SELECT rid FROM records WHERE tenant_id = ? AND id = ?', this.tenantId, r.id);
    if (!row) throw new NotFoundError('memory record', r.id);
    this.db.run(C.records.updateSql, C.records.params(r));
    this.db.run('UPDATE records_fts SET terms = ?, scope = ? WHERE rowid = ?', termsOf(this.tenantId, r.status, r.text), scopeOf(this.tenantId, r.namespace), row.rid);
    this.outbox.enqueue(this.tenantId, 'record', [r.id]);
  }

  // ---- investigations ----

  async createInvestigation(input: Parameters<TenantStore['createInvestigation']>[0]) {
    return this.db.write(() => {
      this.insert(C.investigations, input.investigation, 'investigation');
      this.insertSession(input.session);
      for (const { task, wait } of input.tasks) this.insertTask(task, wait);
      return { events: this.appendIn(input.events) };
    });
  }

  async getInvestigation(id: string) {
    return this.db.read(() => this.find(C.investigations, id));
  }

  async listInvestigations(q: Parameters<TenantStore['listInvestigations']>[0]): Promise<Page<Investigation>> {
    return this.db.read(() => {
      const where = ['tenant_id = @tenantId'];
      const params: Row = { tenantId: this.tenantId };
      if (q.status) {
        where.push('status = @status');
        params.status = q.status;
      }
      if (q.query) {
        where.push('(lh_icontains(subject, @needle) = 1 OR lh_icontains(objective, @needle) = 1)');
        params.needle = q.query.toLowerCase();
      }
      return this.pageDesc(C.investigations, 'investigations', 'inv', where, params, q);
    });
  }

  /** A newest-first keyset page over (created_at, id), counted up to `totalCap` (see countUpTo). */
  private pageDesc<T extends { createdAt: number; id: string }>(
    codec: Codec<T>,
    table: string,
    tag: string,
    where: string[],
    params: Row,
    { limit, cursor, totalCap }: { limit: number; cursor?: string | null; totalCap?: number },
  ): Page<T> {
    const n = pageLimit(limit);
    const { total, capped } = this.countUpTo(table, where, params, totalCap);
    const conds = [...where];
    const p: Row = { ...params };
    if (cursor) {
      const [c, id] = decodeCursor(tag, cursor, ['number', 'string'] as const);
      conds.push('(created_at < @cursorAt OR (created_at = @cursorAt AND id < @cursorId))');
      p.cursorAt = c;
      p.cursorId = id;
    }
    const rows = this.list(codec, `SELECT * FROM ${table} WHERE ${conds.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ${sqlCount(n + 1)}`, p);
    const items = rows.slice(0, n);
    const last = items[items.length - 1];
    return { items, total, nextCursor: rows.length > n && last ? encodeCursor(tag, [last.createdAt, last.id]) : null, ...capped };
  }

  /**
   * The rows matching `where`, all of them or at most `cap` (a LIMIT inside the count, so
   * the count costs at most `cap` index entries however many match); `capped` is the
   * Page's `totalCapped`, present only when a cap was given.
   */
  private countUpTo(table: string, where: string[], params: Row, cap: number | undefined): { total: number; capped: { totalCapped?: boolean } } {
    const filter = where.join(' AND ');
    if (cap === undefined) return { total: this.db.get<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE ${filter}`, params)!.n, capped: {} };
    const limit = Math.min(Math.max(0, Math.floor(cap)), Number.MAX_SAFE_INTEGER);
    const total = this.db.get<{ n: number }>(`SELECT count(*) AS n FROM (SELECT 1 FROM ${table} WHERE ${filter} LIMIT ${sqlCount(limit)})`, params)!.n;
    return { total, capped: { totalCapped: total >= limit } };
  }

  async markOverdue(input: { id: string; now: number; events: NewEvent[]; inbox: InboxItem[] }) {
    return this.db.write(() => {
      const inv = this.mustInvestigation(input.id);
      if (inv.status !== 'open' || inv.overdueAt !== null) return null;
      const flagged = this.update(C.investigations, overdueInvestigation(inv, input.now));
      this.appendIn(input.events);
      for (const i of input.inbox) this.insert(C.inbox, i, 'inbox item');
      return flagged;
    });
  }

  async touchInvestigation(id: string, now: number) {
    this.db.write(() => {
      const inv = this.mustInvestigation(id);
      this.update(C.investigations, touchedInvestigation(inv, now));
    });
  }

  async closeInvestigation(input: Parameters<TenantStore['closeInvestigation']>[0]) {
    return this.db.write(() => {
      const inv = this.mustInvestigation(input.id);
      assertInvestigationTransition(inv.status, 'closed');
      if (inv.version !== input.expectedVersion) throw versionMovedError(inv, input.expectedVersion);
      const now = input.now;
      const closed = this.update(C.investigations, closedInvestigation(inv, input.outcome, input.summary, now));
      const open = this.list(C.tasks, `SELECT * FROM tasks WHERE tenant_id = ? AND investigation_id = ? AND status IN ('pending', 'running', 'waiting') ORDER BY created_at, id`, this.tenantId, inv.id);
      const cancelledTasks = open.map((t) => this.update(C.tasks, cancelledTask(t, now)));
      this.db.run(`UPDATE waits SET status = 'cancelled', resolved_at = ? WHERE tenant_id = ? AND investigation_id = ? AND status = 'open'`, now, this.tenantId, inv.id);
      const live = this.list(C.sessions, `SELECT * FROM sessions WHERE tenant_id = ? AND investigation_id = ? AND status <> 'terminated' ORDER BY started_at, id`, this.tenantId, inv.id);
      const terminatedSessions = live.map((s) => this.update(C.sessions, terminatedSession(s, input.terminationReason, now)));
      this.appendIn(input.events);
      // Each session's final extraction is due now, in the step that ends it: a crash
      // right after the close cannot leave a session unextracted.
      for (const s of terminatedSessions) this.markDue(s.id, now, 'earliest');
      return { investigation: closed, cancelledTasks, terminatedSessions };
    });
  }

  // ---- sessions ----

  private insertSession(session: Session): void {
    if (session.investigationId !== null) this.mustInvestigation(session.investigationId);
    this.insert(C.sessions, { ...session, dueAt: sessionDueAt(session) }, 'session');
  }

  async createSession(session: Session) {
    this.db.write(() => this.insertSession(session));
  }

  async getSession(id: string) {
    return this.db.read(() => this.find(C.sessions, id));
  }

  async listSessions(q: { investigationId?: string; actorId?: string; status?: SessionStatus; live?: boolean; kind?: Session['kind']; limit?: number }) {
    return this.db.read(() => {
      const where = ['tenant_id = @tenantId'];
      const params: Row = { tenantId: this.tenantId };
      const limit = listLimit(q);
      for (const [field, col] of [
        ['investigationId', 'investigation_id'],
        ['actorId', 'actor_id'],
        ['status', 'status'],
        ['kind', 'kind'],
      ] as const) {
        if (q[field] === undefined) continue;
        where.push(`${col} = @${field}`);
        params[field] = q[field];
      }
      if (q.live) where.push(`status <> 'terminated'`);
      return this.list(C.sessions, `SELECT * FROM sessions WHERE ${where.join(' AND ')} ORDER BY started_at DESC, id DESC LIMIT ${sqlCount(limit)}`, params);
    });
  }

  private updateSession(next: Session): Session {
    return this.update(C.sessions, next);
  }

  async beginWork(id: string, now: number) {
    return this.db.write(() => {
      const s = this.mustSession(id);
      if (s.status === 'terminated') throw terminatedError('active');
      return this.updateSession(sessionWorkBegun(s, now));
    });
  }

  async endWork(id: string, now: number) {
    return this.db.write(() => {
      const s = this.mustSession(id);
      // Work that outlived its session (terminated meanwhile) changes nothing.
      if (s.status === 'terminated') return s;
      return this.updateSession(sessionWorkEnded(s, now));
    });
  }

  async appendToSession(sessionId: string, events: NewEvent[], now: number) {
    return this.db.write(() => {
      const s = this.mustSession(sessionId);
      if (s.status === 'terminated') throw terminatedError('active');
      for (const ev of events) if (ev.sessionId !== sessionId) throw new InvalidInputError(`event ${ev.id} does not belong to session ${sessionId}`);
      const stored = this.appendIn(events, s);
      const session = touchIsDue(s, now) ? this.updateSession(sessionTouched(s, now)) : s;
      return { session, events: stored };
    });
  }

  async heartbeat(id: string, now: number) {
    return this.db.write(() => {
      const s = this.mustSession(id);
      if (s.status === 'terminated') return s;
      return this.updateSession(sessionHeartbeat(s, now));
    });
  }

  async terminateSession(id: string, reason: TerminationReason, now: number, expectedVersion?: number) {
    return this.db.write(() => {
      const s = this.mustSession(id);
      if (s.status === 'terminated' || (expectedVersion !== undefined && s.version !== expectedVersion)) return null;
      // Its final extraction is due now, in the same step (never lost to a crash between the two).
      this.markDue(id, now, 'earliest');
      return this.update(C.sessions, terminatedSession(s, reason, now));
    });
  }

  // ---- tasks, waits, signals ----

  private insertTask(task: Task, wait: Wait | null): { task: Task; wait: Wait | null; resolvedBy: Signal | null } {
    this.mustInvestigation(task.investigationId);
    let t: Task = { ...task };
    if (t.status === 'pending' && t.runAt === null) t.runAt = t.createdAt;
    let w: Wait | null = null;
    let resolvedBy: Signal | null = null;
    if (wait) ({ task: t, wait: w, resolvedBy } = this.registerWait(t, wait, wait.createdAt));
    return { task: this.insert(C.tasks, t, 'task'), wait: w, resolvedBy };
  }

  async createTask(input: { task: Task; wait: Wait | null; events: NewEvent[] }) {
    return this.db.write(() => {
      assertSameTenant(this.tenantId, input.task, `task ${input.task.id}`);
      const inv = this.mustInvestigation(input.task.investigationId);
      if (inv.status === 'closed') throw closedInvestigationError();
      const r = this.insertTask(input.task, input.wait);
      this.appendIn(input.events);
      return r;
    });
  }

  async getTask(id: string) {
    return this.db.read(() => this.find(C.tasks, id));
  }

  async listTasks(investigationId: string, opts?: ListOptions & { open?: boolean }) {
    const open = opts?.open === undefined ? '' : ` AND status ${opts.open ? '' : 'NOT '}IN ('pending', 'running', 'waiting')`;
    return this.db.read(() =>
      this.list(C.tasks, `SELECT * FROM tasks WHERE tenant_id = ? AND investigation_id = ?${open} ${byCreation(opts)}`, this.tenantId, investigationId),
    );
  }

  async listWaits(investigationId: string, opts?: ListOptions & { open?: boolean; taskId?: string }) {
    const open = opts?.open === undefined ? '' : ` AND status ${opts.open ? '=' : '<>'} 'open'`;
    const task = opts?.taskId === undefined ? '' : ' AND task_id = @taskId';
    const params = { tenantId: this.tenantId, investigationId, ...(opts?.taskId === undefined ? {} : { taskId: opts.taskId }) };
    return this.db.read(() =>
      this.list(C.waits, `SELECT * FROM waits WHERE tenant_id = @tenantId AND investigation_id = @investigationId${open}${task} ${byCreation(opts)}`, params),
    );
  }

  async countInvestigation(investigationId: string): Promise<InvestigationCounts> {
    return this.db.read(() => {
      const p = [this.tenantId, investigationId];
      const tasks = this.db.get<{ n: number; open: number | null }>(
        `SELECT count(*) AS n, sum(status IN ('pending', 'running', 'waiting')) AS open FROM tasks WHERE tenant_id = ? AND investigation_id = ?`,
        ...p,
      )!;
      const waits = this.db.get<{ n: number; open: number | null }>(`SELECT count(*) AS n, sum(status = 'open') AS open FROM waits WHERE tenant_id = ? AND investigation_id = ?`, ...p)!;
      const held = this.signalTotals(investigationId);
      const reports = this.db.get<{ n: number }>('SELECT count(*) AS n FROM reports WHERE tenant_id = ? AND investigation_id = ?', ...p)!;
      return { tasks: tasks.n, openTasks: tasks.open ?? 0, waits: waits.n, openWaits: waits.open ?? 0, signals: held.count, signalBytes: held.bytes, reports: reports.n };
    });
  }

  private signalTotals(investigationId: string): SignalTotals {
    return this.db.get<SignalTotals>('SELECT count, bytes FROM signal_totals WHERE tenant_id = ? AND investigation_id = ?', this.tenantId, investigationId) ?? { count: 0, bytes: 0 };
  }

  async getWait(id: string) {
    return this.db.read(() => this.find(C.waits, id));
  }

  async applyTaskOutcome(input: Parameters<TenantStore['applyTaskOutcome']>[0]) {
    return this.db.write(() => {
      const task = this.must(C.tasks, input.taskId, 'task');
      if (task.status !== 'running' || task.leaseOwner !== input.leaseOwner) throw leaseLostError(task, input.leaseOwner);
      const now = input.now;
      let next = taskAfterOutcome(task, input, now);
      if (isTerminalTask(input.status)) this.closeOpenWaitsOfTask(task.id, now);
      let wait: Wait | null = null;
      if (input.wait) ({ task: next, wait } = this.registerWait(next, input.wait, now));
      const stored = this.update(C.tasks, next);
      const events = this.appendIn(input.events ?? []);
      for (const r of input.reports ?? []) this.insert(C.reports, r, 'report');
      for (const i of input.inbox ?? []) this.insert(C.inbox, i, 'inbox item');
      for (const r of input.records ?? []) this.insertRecord(r);
      return { task: stored, wait, events };
    });
  }

  async extendTaskLease(taskId: string, leaseOwner: string, leaseUntil: number) {
    return this.db.write(
      () =>
        this.db.run(`UPDATE tasks SET lease_until = ? WHERE tenant_id = ? AND id = ? AND status = 'running' AND lease_owner = ?`, leaseUntil, this.tenantId, taskId, leaseOwner)
          .changes > 0,
    );
  }

  async expireWait(input: { waitId: string; now: number; taskStatus: 'timed_out' | 'pending'; events: NewEvent[]; inbox?: InboxItem[] }) {
    return this.db.write(() => {
      const w = this.must(C.waits, input.waitId, 'wait');
      if (w.status !== 'open') return null;
      const now = input.now;
      const expired = this.update(C.waits, expiredWait(w, now));
      const t = this.find(C.tasks, w.taskId);
      let task: Task | null = null;
      if (t && t.status === 'waiting') {
        task = this.update(C.tasks, taskAfterWaitExpiry(t, input.taskStatus, now));
        if (task.status === 'timed_out') this.closeOpenWaitsOfTask(t.id, now);
      }
      this.appendIn(input.events);
      for (const i of input.inbox ?? []) this.insert(C.inbox, i, 'inbox item');
      return { wait: expired, task };
    });
  }

  async cancelTask(input: { taskId: string; now: number; events: NewEvent[] }) {
    return this.db.write(() => {
      const t = this.must(C.tasks, input.taskId, 'task');
      assertTaskTransition(t.status, 'cancelled');
      const c = this.update(C.tasks, cancelledTask(t, input.now));
      this.closeOpenWaitsOfTask(t.id, input.now);
      this.appendIn(input.events);
      return c;
    });
  }

  async deliverSignal(input: Parameters<TenantStore['deliverSignal']>[0]) {
    return this.db.write(() => {
      const sig = input.signal;
      assertSameTenant(this.tenantId, sig, `signal ${sig.id}`);
      const files = checkedAttachments(sig, input.attachments);
      const inv = this.mustInvestigation(sig.investigationId);
      if (sig.idempotencyKey !== null) {
        const row = this.db.get('SELECT * FROM signals WHERE tenant_id = ? AND investigation_id = ? AND idempotency_key = ?', this.tenantId, inv.id, sig.idempotencyKey);
        if (row) {
          const [earlier] = this.withFiles([C.signals.fromRow(row)], ATTACHMENTS_OF_SIGNAL, this.tenantId, row.id);
          assertSameSignalName(earlier!, sig);
          return { signal: earlier!, duplicate: true, resolvedWaits: [], wokenTasks: [] };
        }
      }
      if (inv.status === 'closed') throw closedInvestigationError();
      // Judged and counted inside this write step (which holds the file's write lock), so
      // two deliveries racing for the last slot cannot both pass.
      const adding = signalBytes(sig.payload, files.map((f) => f.meta.size));
      const over = signalLimitExceeded(inv.id, this.signalTotals(inv.id), adding, input.limits);
      if (over) throw over;
      this.db.run(
        `INSERT INTO signal_totals (tenant_id, investigation_id, count, bytes) VALUES (?, ?, 1, ?)
         ON CONFLICT (tenant_id, investigation_id) DO UPDATE SET count = count + 1, bytes = bytes + excluded.bytes`,
        this.tenantId,
        inv.id,
        adding,
      );
      const stored: Signal = { ...this.insert(C.signals, sig, 'signal'), attachments: files.map((f) => ({ ...f.meta })) };
      // In the signal's transaction: an acknowledged signal never lacks its files.
      for (const { meta, content } of files) {
        this.db.run(
          'INSERT INTO signal_attachments (tenant_id, signal_id, idx, name, media_type, size, sha256, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          this.tenantId,
          sig.id,
          meta.index,
          meta.name,
          meta.mediaType,
          meta.size,
          meta.sha256,
          Buffer.from(content.buffer, content.byteOffset, content.byteLength),
        );
      }
      const open = this.list(
        C.waits,
        `SELECT * FROM waits WHERE tenant_id = ? AND investigation_id = ? AND signal = ? AND status = 'open' ORDER BY created_at, id`,
        this.tenantId,
        inv.id,
        sig.name,
      );
      const resolvedWaits: Wait[] = [];
      const wokenTasks: Task[] = [];
      for (const w of open) {
        resolvedWaits.push(this.update(C.waits, resolvedWait(w, sig)));
        const t = this.find(C.tasks, w.taskId);
        if (t && t.status === 'waiting') {
          wokenTasks.push(this.update(C.tasks, taskWokenBySignal(t, sig)));
        }
      }
      this.appendIn(input.events);
      return { signal: stored, duplicate: false, resolvedWaits, wokenTasks };
    });
  }

  async listSignals(investigationId: string, name?: string, opts?: ListOptions) {
    const dir = opts?.order === 'desc' ? 'DESC' : 'ASC';
    const byName = name === undefined ? '' : ' AND name = @name';
    const params = { tenantId: this.tenantId, investigationId, ...(name === undefined ? {} : { name }) };
    return this.db.read(() => {
      const signals = this.list(
        C.signals,
        `SELECT * FROM signals WHERE tenant_id = @tenantId AND investigation_id = @investigationId${byName} ORDER BY received_at ${dir}, id ${dir} LIMIT ${sqlCount(listLimit(opts))}`,
        params,
      );
      // The files of exactly the signals listed (bounded by the listing's limit).
      return this.withFiles(
        signals,
        `${ATTACHMENT_META} WHERE tenant_id = ? AND signal_id IN (SELECT value FROM json_each(?)) ORDER BY signal_id, idx`,
        this.tenantId,
        JSON.stringify(signals.map((x) => x.id)),
      );
    });
  }

  async getSignal(id: string) {
    return this.db.read(() => {
      const found = this.find(C.signals, id);
      return found ? this.withFiles([found], ATTACHMENTS_OF_SIGNAL, this.tenantId, id)[0]! : null;
    });
  }

  async readSignalAttachment(signalId: string, index: number) {
    if (!Number.isSafeInteger(index) || index < 0) return null;
    return this.db.read(() => {
      const row = this.db.get<AttachmentRow & { content: Buffer }>(
        'SELECT signal_id, idx, name, media_type, size, sha256, content FROM signal_attachments WHERE tenant_id = ? AND signal_id = ? AND idx = ?',
        this.tenantId,
        signalId,
        index,
      );
      // A copy in a plain Uint8Array: the caller gets exactly the file's bytes, nothing around them.
      return row ? { meta: attachmentMeta(row), content: new Uint8Array(row.content) } : null;
    });
  }

  // ---- short-term memory ----

  async appendEvents(events: NewEvent[]) {
    return this.db.write(() => this.appendIn(events));
  }

  async listEvents(q: Parameters<TenantStore['listEvents']>[0]): Promise<Page<MemoryEvent>> {
    return this.db.read(() => {
      const desc = q.order === 'desc';
      const tag = desc ? 'evt-desc' : 'evt-asc';
      const where = ['tenant_id = @tenantId'];
      const params: Row = { tenantId: this.tenantId };
      if (q.sessionId !== undefined) {
        where.push('session_id = @sessionId');
        params.sessionId = q.sessionId;
      }
      if (q.investigationId !== undefined) {
        where.push('investigation_id = @investigationId');
        params.investigationId = q.investigationId;
      }
      if (q.actorId !== undefined) {
        where.push('actor_id = @actorId');
        params.actorId = q.actorId;
      }
      if (q.afterSeq !== undefined) {
        where.push('seq > @afterSeq');
        params.afterSeq = q.afterSeq;
      }
      if (q.kinds && q.kinds.length > 0) {
        where.push('kind IN (SELECT value FROM json_each(@kinds))');
        params.kinds = JSON.stringify(q.kinds);
      }
      const { total, capped } = this.countUpTo('events', where, params, q.totalCap);
      const n = pageLimit(q.limit);
      if (q.cursor) {
        const [seq] = decodeCursor(tag, q.cursor, ['number'] as const);
        where.push(desc ? 'seq < @cursorSeq' : 'seq > @cursorSeq');
        params.cursorSeq = seq;
      }
      const rows = this.list(C.events, `SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY seq ${desc ? 'DESC' : 'ASC'} LIMIT ${sqlCount(n + 1)}`, params);
      const items = rows.slice(0, n);
      const last = items[items.length - 1];
      return { items, total, nextCursor: rows.length > n && last ? encodeCursor(tag, [last.seq]) : null, ...capped };
    });
  }

  async getEvents(ids: readonly string[]) {
    return this.db.read(() =>
      this.list(C.events, 'SELECT * FROM events WHERE tenant_id = ? AND id IN (SELECT value FROM json_each(?)) ORDER BY seq', this.tenantId, JSON.stringify([...new Set(ids)])),
    );
  }

  async deleteEvent(id: string) {
    return this.db.write(() => {
      const row = this.db.get('SELECT * FROM events WHERE tenant_id = ? AND id = ?', this.tenantId, id);
      if (!row) return false;
      this.db.run('DELETE FROM events WHERE tenant_id = ? AND id = ?', this.tenantId, id);
      this.outbox.eventDeleted(this.tenantId, id, memorySessionOf(C.events.fromRow(row)));
      return true;
    });
  }

  // ---- long-term memory ----

  async getRecord(id: string) {
    return this.db.read(() => this.find(C.records, id));
  }

  async listRecords(q: Parameters<TenantStore['listRecords']>[0]): Promise<Page<MemoryRecord>> {
    return this.db.read(() => {
      const prefix = normalizePrefix(q.namespacePrefix);
      const where = ['tenant_id = @tenantId'];
      const params: Row = { tenantId: this.tenantId };
      if (prefix !== '') {
        // Segment-wise and index-friendly: "p" and everything under "p/" sort in
        // ["p", "p0"); the second test drops siblings such as "p-x" that sort there too.
        // (Not written as `namespace = p OR namespace in ["p/", "p0")`: with a status
        // filter and index statistics, SQLite 3.53's planner fails on that OR with
        // "internal query planner error".)
        where.push('namespace >= @prefix AND namespace < @hi AND (namespace = @prefix OR substr(namespace, @prefixLength + 1, 1) = \'/\')');
        Object.assign(params, { prefix, hi: prefix + '0', prefixLength: prefix.length });
      }
      if (q.status) {
        where.push('status = @status');
        params.status = q.status;
      }
      return this.pageDesc(C.records, 'records', 'rec', where, params, q);
    });
  }

  /**
   * Ranked with FTS5 bm25; tenant, status and namespace prefix are part of the MATCH
   * (see ./search.ts). bm25 costs a pass over every candidate plus, per query word, a pass
   * over that word's posting list (for its idf). Both are kept bounded, so a search
   * costs about the same at 100k records as at 1k:
   *  - Usually the query's candidates number at most RANK_BUDGET: exact bm25 over all.
   *  - A broad query (words in many records) ranks the candidates of its selective
   *    words — rarest first, while their matches fit the budget — by bm25 on those
   *    words; words too common to select drop out, as stopwords do.
   *  - If that gives fewer than topK results, the rest come from bm25 of the least
   *    common remaining word(s) (FILL_TERMS) over their newest RANK_BUDGET matches.
   * Under a prefix that holds more than RANK_BUDGET records, the same runs tenant-wide
   * and keeps the records under the prefix (rankedSearch), falling back to the scoped
   * MATCH when too few of the best lie under it: at 100k records that took a search under
   * `investigations` from p50 3.3 ms to 0.75 ms, with the same results.
   */
  async searchRecords(q: { query: string; namespacePrefix?: string; includeSuperseded?: boolean; topK: number }): Promise<ScoredRecord[]> {
    return this.db.read(() => {
      const topK = pageLimit(q.topK);
      const terms = indexWords(searchTerms(q.query));
      if (terms.length === 0 || topK === 0) return [];
      const namespacePrefix = normalizePrefix(q.namespacePrefix);
      const includeSuperseded = q.includeSuperseded === true;
      const expr = (prefix: string) => matcher({ tenantId: this.tenantId, namespacePrefix: prefix, includeSuperseded });
      if (namespacePrefix !== '' && this.holdsMany(namespacePrefix)) {
        const found = this.rankedSearch(expr(''), terms, topK, (r) => namespaceHasPrefix(r.record.namespace, namespacePrefix));
        if (found) return found;
      }
      return this.rankedSearch(expr(namespacePrefix), terms, topK)!;
    });
  }

  /**
   * True when more than RANK_BUDGET records lie under the prefix (`investigations`, say).
   * Every MATCH scoped to such a prefix is slow: FTS5 merges its long scope posting list,
   * and bm25 takes a pass over it for an idf (5–7× the tenant-wide search at 100k records).
   */
  private holdsMany(namespacePrefix: string): boolean {
    return this.db.get(`SELECT rowid FROM records_fts WHERE records_fts MATCH ? LIMIT 1 OFFSET ${sqlCount(RANK_BUDGET)}`, scopeMatch(this.tenantId, namespacePrefix)) !== undefined;
  }

  /**
   * The ranked search over MATCH expressions made by `expr` (see searchRecords). With
   * `keep`, the search runs tenant-wide and keeps the records `keep` accepts: the scope
   * column weighs 0 in bm25, so a record scores the same with or without the scope in the
   * MATCH, and each ranking fetches BROAD_OVERFETCH times what it needs before keeping.
   * Null when a ranking still kept too few while more records were left: the caller then
   * searches with the scope.
   */
  private rankedSearch(expr: (words: readonly string[]) => string, terms: readonly string[], topK: number, keep?: (r: ScoredRecord) => boolean): ScoredRecord[] | null {
    const rank = (match: string, limit: number, minRowid: number): ScoredRecord[] | null => {
      if (!keep) return this.rank(match, limit, minRowid);
      const fetched = limit * BROAD_OVERFETCH;
      const ranked = this.rank(match, fetched, minRowid);
      const kept = ranked.filter(keep);
      return kept.length >= limit || ranked.length < fetched ? kept.slice(0, limit) : null;
    };
    const full = expr(terms);
    if (this.nthNewest(full, RANK_BUDGET) === undefined) return rank(full, topK, 0);

    const counted = terms
      .map((t) => ({ t, n: this.db.get<{ n: number }>(`SELECT count(*) AS n FROM (SELECT rowid FROM records_fts WHERE records_fts MATCH ? LIMIT ${sqlCount(RANK_BUDGET + 1)})`, expr([t]))!.n }))
      .sort((x, y) => x.n - y.n);
    const selective: string[] = [];
    let budget = RANK_BUDGET;
    for (const { t, n } of counted) {
      if (n > budget) break;
      selective.push(t);
      budget -= n;
    }
    const out = selective.length > 0 ? rank(expr(selective), topK, 0) : [];
    if (out === null) return null;
    if (out.length < topK) {
      const broad = expr(counted.slice(selective.length, selective.length + FILL_TERMS).map((c) => c.t));
      const floor = this.nthNewest(broad, RANK_BUDGET) ?? 0;
      const seen = new Set(out.map((r) => r.record.id));
      let cap = out.length > 0 ? out[out.length - 1]!.score : Number.POSITIVE_INFINITY;
      const fill = rank(broad, topK + out.length, floor + 1);
      if (fill === null) return null;
      for (const r of fill) {
        if (out.length >= topK) break;
        if (seen.has(r.record.id)) continue;
        // Listed after the selective results, so scored no higher than them.
        cap = Math.min(cap, r.score);
        out.push({ record: r.record, score: cap });
      }
    }
    return out;
  }

  /** The rowid of the (n+1)-th newest match, or undefined when there are at most n. */
  private nthNewest(match: string, n: number): number | undefined {
    return this.db.get<{ rowid: number }>(`SELECT rowid FROM records_fts WHERE records_fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ${sqlCount(n)}`, match)?.rowid;
  }

  /** bm25 top-`limit` of a MATCH expression (optionally over rowids >= minRowid), joined back to records. */
  private rank(match: string, limit: number, minRowid: number): ScoredRecord[] {
    // Rank and cut inside FTS5; only `limit` rows are joined back (CROSS JOIN keeps that
    // order). The tenant check is defence in depth: the index terms already hold it.
    const rows = this.db.all(
      `SELECT r.*, m.score AS score FROM (
         SELECT rowid, -bm25(records_fts, 1.0, 0.0) AS score FROM records_fts
         WHERE records_fts MATCH @match AND rowid >= @minRowid
         ORDER BY bm25(records_fts, 1.0, 0.0) LIMIT ${sqlCount(limit)}
       ) m CROSS JOIN records r ON r.rid = m.rowid
       WHERE r.tenant_id = @tenantId
       ORDER BY m.score DESC, r.id`,
      { match, minRowid, tenantId: this.tenantId },
    );
    // FTS5 clamps the idf of words in most documents to ~1e-6: keep scores positive.
    return rows.map((row) => ({ record: C.records.fromRow(row), score: Math.max(row.score as number, Number.MIN_VALUE) }));
  }

  async findRecordsWithWords(namespace: string, groups: readonly (readonly string[])[], limit: number) {
    return this.db.read(() => {
      const n = pageLimit(limit);
      const match = allWordsOfAnyGroup(this.tenantId, normalizePrefix(namespace), groups);
      if (match === null || n === 0) return [];
      // Oldest matches first, straight from the index: no ranking, one query for all the
      // groups, and in rowid order FTS5 can skip through long posting lists (in reverse it
      // loads them whole: 10% slower extraction, paired). The namespace's level token also
      // matches deeper namespaces, so the exact namespace is checked on the join, with room
      // for four times `limit` matches before it.
      return this.list(
        C.records,
        `SELECT r.* FROM (SELECT rowid FROM records_fts WHERE records_fts MATCH @match ORDER BY rowid ASC LIMIT ${sqlCount(n * 4)}) m
         CROSS JOIN records r ON r.rid = m.rowid
         WHERE r.tenant_id = @tenantId AND r.namespace = @namespace AND r.status = 'active'
         ORDER BY r.rid ASC LIMIT ${sqlCount(n)}`,
        { match, tenantId: this.tenantId, namespace },
      );
    });
  }

  async findRecordByTextKey(namespace: string, textKey: string) {
    return this.db.read(() => {
      const row = this.db.get(`SELECT * FROM records WHERE tenant_id = ? AND namespace = ? AND text_key = ? AND status = 'active' ORDER BY created_at DESC, id DESC LIMIT 1`, this.tenantId, namespace, textKey);
      return row ? C.records.fromRow(row) : null;
    });
  }

  async findRecordByTopicKey(namespace: string, topicKey: string) {
    return this.db.read(() => {
      const row = this.db.get(
        `SELECT * FROM records WHERE tenant_id = ? AND namespace = ? AND topic_key = ? AND status = 'active' ORDER BY created_at DESC, id DESC LIMIT 1`,
        this.tenantId,
        namespace,
        topicKey,
      );
      return row ? C.records.fromRow(row) : null;
    });
  }

  async deleteRecord(id: string) {
    return this.db.write(() => {
      const row = this.db.get<{ rid: number }>('SELECT rid FROM records WHERE tenant_id = ? AND id = ?', this.tenantId, id);
      if (!row) return false;
      this.db.run('DELETE FROM records_fts WHERE rowid = ?', row.rid);
      this.db.run('DELETE FROM records WHERE rid = ?', row.rid);
      this.outbox.enqueue(this.tenantId, 'delete_record', [id]);
      return true;
    });
  }

  async reviseRecord(input: Parameters<TenantStore['reviseRecord']>[0]) {
    return this.db.write(() => {
      const r = this.find(C.records, input.id);
      if (!r) return null;
      const next: MemoryRecord = { ...r, text: input.text, textKey: input.textKey, sourceEventIds: [...new Set(input.sourceEventIds)], actorId: input.actorId !== undefined ? input.actorId : r.actorId, updatedAt: input.now };
      this.updateRecord(next);
      return next;
    });
  }

  async saveErasure(receipt: Parameters<TenantStore['saveErasure']>[0]) {
    assertSameTenant(this.tenantId, receipt, `erasure receipt ${receipt.id}`);
    sqliteErasures.save(this.db, receipt);
  }

  async getErasure(id: string) {
    return sqliteErasures.get(this.db, this.tenantId, id);
  }

  async listErasures(q: { limit: number; cursor?: string | null }) {
    return sqliteErasures.list(this.db, this.tenantId, q);
  }

  async getCheckpoint(sessionId: string) {
    return this.db.read(() => this.checkpoint(sessionId));
  }

  async commitExtraction(input: { sessionId: string; expectedThroughSeq: number; throughSeq: number; now: number; dueAt: number | null; writes: RecordWrite[] }) {
    this.db.write(() => {
      this.mustSession(input.sessionId);
      const cp = this.checkpoint(input.sessionId) ?? { tenantId: this.tenantId, sessionId: input.sessionId, ...EMPTY_CHECKPOINT };
      if (cp.throughSeq !== input.expectedThroughSeq) throw checkpointMovedError(input.sessionId, cp.throughSeq, input.expectedThroughSeq);
      for (const w of input.writes) {
        if (w.op === 'create') {
          this.insertRecord(w.record);
          continue;
        }
        const r = this.must(C.records, w.id, 'memory record');
        if (w.op === 'add_sources') this.updateRecord({ ...r, sourceEventIds: union(r.sourceEventIds, w.eventIds), updatedAt: w.now });
        else if (w.op === 'supersede') this.updateRecord({ ...r, status: 'superseded', supersededBy: w.by, updatedAt: w.now });
        else this.updateRecord({ ...r, text: w.text, textKey: w.textKey, sourceEventIds: union(r.sourceEventIds, w.eventIds), updatedAt: w.now });
      }
      this.putCheckpoint({ ...cp, throughSeq: input.throughSeq, lastRunAt: input.now, lastError: null, dueAt: input.dueAt });
    });
  }

  async failExtraction(input: { sessionId: string; now: number; error: string; retryAt: number }) {
    this.db.write(() => {
      this.mustSession(input.sessionId);
      const cp = this.checkpoint(input.sessionId) ?? { tenantId: this.tenantId, sessionId: input.sessionId, ...EMPTY_CHECKPOINT };
      this.putCheckpoint({ ...cp, lastRunAt: input.now, lastError: input.error, dueAt: input.retryAt });
    });
  }

  async scheduleExtraction(sessionId: string, at: number) {
    this.db.write(() => {
      this.mustSession(sessionId);
      this.markDue(sessionId, at, 'earliest');
    });
  }

  // ---- reports and inbox ----

  async listReports(investigationId: string, opts?: ListOptions) {
    const newest = opts?.order !== 'asc';
    return this.db.read(() =>
      this.list(C.reports, `SELECT * FROM reports WHERE tenant_id = ? AND investigation_id = ? ${byCreation({ ...opts, order: newest ? 'desc' : 'asc' })}`, this.tenantId, investigationId),
    );
  }

  async getReport(id: string) {
    return this.db.read(() => this.find(C.reports, id));
  }

  async listInbox(q: Parameters<TenantStore['listInbox']>[0]): Promise<Page<InboxItem>> {
    return this.db.read(() => {
      const where = ['tenant_id = @tenantId'];
      const params: Row = { tenantId: this.tenantId };
      if (q.investigationIds) {
        where.push('investigation_id IN (SELECT value FROM json_each(@investigationIds))');
        params.investigationIds = JSON.stringify(q.investigationIds);
      }
      return this.pageDesc(C.inbox, 'inbox', 'inbox', where, params, q);
    });
  }
}

/** ORDER BY and LIMIT of a per-investigation listing by creation. */
function byCreation(opts: ListOptions | undefined): string {
  const dir = opts?.order === 'desc' ? 'DESC' : 'ASC';
  return `ORDER BY created_at ${dir}, id ${dir} LIMIT ${sqlCount(listLimit(opts))}`;
}

const union = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])];
