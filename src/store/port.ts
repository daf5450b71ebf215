import type { Change } from '../domain/change.js';
import type { MemoryEvent, NewEvent, EventKind } from '../domain/event.js';
import type { Investigation, InvestigationStatus, InvestigationOutcome } from '../domain/investigation.js';
import type { ExtractionCheckpoint, MemoryRecord, RecordStatus, ScoredRecord } from '../domain/record.js';
import type { InboxItem, Report } from '../domain/report.js';
import type { Session, SessionStatus, TerminationReason } from '../domain/session.js';
import type { SignalLimits } from '../domain/signal-limits.js';
import type { Signal, SignalAttachment, Task, TaskStatus, Wait, WakeReason } from '../domain/task.js';
import type { OutboxEntry } from '../memory/port.js';
import type { ErasureReceipt } from '../domain/erasure.js';
import type { ArchiveRow, ImportBatchResult } from './archive/types.js';

/**
 * The storage port: domain operations, not get/set. Every adapter (sqlite — also on
 * `:memory:` for tests — and postgres) passes the same contract suite in test/contract/.
 *
 * Tenant scope is structural: tenant data is reachable only through `tenant(id)`,
 * whose operations add the tenant to every key and query. The cross-tenant methods
 * on StorePort exist for the scheduler's sweeps; they return items that carry their
 * tenantId, and the sweep acts on them through `tenant(item.tenantId)`.
 *
 * Atomicity: each method is one atomic step on the backend (a SQLite transaction, a
 * Redis script). No caller does read-modify-write on shared rows; compare-and-set
 * conditions are parameters (`expectedVersion`, `leaseOwner`).
 */
export interface StorePort {
  /** The adapter; an in-memory store is the SQLite adapter on `:memory:` (kind `sqlite`). */
  readonly kind: 'sqlite' | 'postgres';
  /** Human-readable location (file path, URL) for logs and `longhaul status`. */
  readonly location: string;
  tenant(tenantId: string): TenantStore;

  // ---- scheduler sweeps (cross-tenant, bounded, ordered by due time) ----
  /** Non-terminated sessions with dueAt <= now, oldest due first. */
  dueSessions(now: number, limit: number): Promise<Session[]>;
  /** Open waits with deadline <= now, earliest first. */
  dueWaits(now: number, limit: number): Promise<Wait[]>;
  /** Open investigations past their own deadline and not yet flagged overdue, earliest first. */
  dueInvestigations(now: number, limit: number): Promise<Investigation[]>;
  /**
   * Atomically claims one runnable task: `pending` with runAt <= now, or `running`
   * whose lease expired (leaseUntil <= now; its wakeReason becomes `lease_expired`).
   * The claimed task is `running`, leased to `owner` until now + leaseMs, attempts + 1.
   * `roles` limits which roles may be claimed (the roles this process can run);
   * `tenants`, when given, which tenants' tasks (an allow-list; undefined = every
   * tenant). A process runs a task with its own sources, rules and model, so it
   * claims only the tenants it serves.
   */
  claimTask(now: number, owner: string, leaseMs: number, roles: readonly string[], tenants?: readonly string[]): Promise<Task | null>;
  /**
   * Checkpoints with dueAt <= now (sessions with unextracted events), earliest first.
   * `tenants`, when given, limits them to those tenants (extraction may send events to
   * the process's model, so a process extracts only the tenants it serves).
   */
  dueExtractions(now: number, limit: number, tenants?: readonly string[]): Promise<ExtractionCheckpoint[]>;
  /**
   * Deletes up to `limit` events with expiresAt <= now that extraction has passed
   * (seq <= their session's checkpoint; investigation-level events need no extraction)
   * and that no outbox entry still has to ship.
   * Returns how many were deleted.
   */
  deleteExpiredEvents(now: number, limit: number): Promise<number>;

  // ---- coordination ----
  /** Takes or renews a named lease. True when `owner` holds it until now + ttlMs. */
  acquireLease(name: string, owner: string, ttlMs: number, now: number): Promise<boolean>;
  releaseLease(name: string, owner: string): Promise<void>;

  // ---- change log: notifications across processes (see runtime/change-feed.ts) ----
  /**
   * Appends changes in order, in one step; returns the seq of the last (0 for none).
   * Each entry's tenant is its change's `tenantId`. Seqs increase strictly across every
   * process sharing the store, are never reused (not even after pruning), and a reader
   * that has seen seq n never later finds a row below n committed after it looked.
   */
  appendChanges(entries: readonly ChangeLogInput[]): Promise<number>;
  /** Up to `limit` changes with seq > `seq`, in seq order (every tenant; each row carries its own). */
  changesAfter(seq: number, limit: number): Promise<ChangeLogEntry[]>;
  /** The highest seq appended so far (0 when none): where a new follower starts. */
  lastChangeSeq(): Promise<number>;
  /** Deletes up to `limit` changes appended before `at` (oldest first); returns how many. */
  deleteChangesBefore(at: number, limit: number): Promise<number>;

  // ---- stream events: resumable HTTP streams (the MCP SDK's EventStore) ----
  /**
   * Stores one message sent on a stream and returns its event id: opaque text that sorts
   * in append order (a zero-padded sequence number, then `_` and the stream id). The id
   * names the stream as well as the position, so a guessed number alone finds nothing.
   * A stream keeps at most STREAM_EVENTS_PER_STREAM events: an append over that drops
   * the stream's oldest in the same step. `streamId` must be unique across MCP sessions
   * (prefix the session id: the SDK calls every session's standalone GET stream
   * `_GET_stream`); 1–200 characters.
   */
  appendStreamEvent(input: { streamId: string; message: unknown; now: number; expiresAt: number }): Promise<string>;
  /**
   * The stream of `eventId` and up to `limit` of its events after that one, in order;
   * `limit: 0` only looks the stream up (the SDK's getStreamIdForEventId). Null when
   * the id is malformed, unknown, or its event was pruned (expired, or dropped as the
   * stream's oldest): resuming from it would silently skip messages.
   */
  streamEventsAfter(eventId: string, limit: number): Promise<{ streamId: string; events: StreamEvent[] } | null>;
  /** Deletes up to `limit` stream events with expiresAt <= now; returns how many. */
  deleteExpiredStreamEvents(now: number, limit: number): Promise<number>;

  // ---- memory outbox: what leaves for an external memory (LONGHAUL_MEMORY=agentcore) ----
  /**
   * True once the outbox is on for this store (a setting kept in the store, so every
   * process that opens it — the CLI's `signal` too — writes the outbox from then on).
   * While on, every step that appends events, writes a record or deletes one also adds
   * an outbox entry in the same transaction: an acknowledged write is never without its
   * way to the memory. Off (the default), the outbox costs nothing.
   */
  readonly memoryOutbox: boolean;
  /** Turns the outbox on for this store, for good (kept in the store). */
  enableMemoryOutbox(): Promise<void>;
  /**
   * Leases up to `limit` due entries (nextAttemptAt <= now, not leased by another owner
   * until later) to `owner` until now + leaseMs, oldest first, with what each asks for
   * read at claim time: an event's or record's current content. An entry whose event or
   * record no longer exists (expired, forgotten) has nothing left to ship: it is removed
   * here and not returned.
   */
  claimOutbox(now: number, owner: string, leaseMs: number, limit: number): Promise<OutboxEntry[]>;
  /**
   * Settles claimed entries, only while `owner` still holds them: delivered ones are
   * removed; failed ones count an attempt and wait until `retryAt` (null parks the entry:
   * the memory refused it; it stays, with its error, for `longhaul status`); deferred ones
   * (never sent) wait until `retryAt` without an attempt counted; the rest are released
   * for the next claim.
   */
  settleOutbox(input: {
    owner: string;
    delivered: readonly number[];
    failed: ReadonlyArray<{ id: number; error: string; retryAt: number | null }>;
    /** Not sent at all: due again at `retryAt`, no attempt counted, no error kept. */
    deferred?: ReadonlyArray<{ id: number; retryAt: number }>;
    released?: readonly number[];
  }): Promise<void>;
  /** What waits in the outbox: entries to ship, parked ones, the oldest waiting entry's time, and the latest errors. */
  outboxStats(): Promise<OutboxStats>;

  // ---- data lifecycle: longhaul export|import|erase (src/store/archive/, src/runtime/erasure.ts) ----
  /**
   * Every durable row of the given tenants (all when absent) from one consistent snapshot
   * — SQLite: a read transaction on a connection of its own (writes go on meanwhile);
   * PostgreSQL: one REPEATABLE READ transaction read through cursors — streamed in
   * ARCHIVE_ROW_TYPES order, events by seq. Memory stays bounded: rows are read a page
   * at a time and each attachment alone. Short-lived state (leases, kv, the change log,
   * stream events, the memory outbox) is not exported.
   */
  exportRows(opts?: { tenants?: readonly string[] }): AsyncIterable<ArchiveRow>;
  /**
   * Writes one batch of exported rows in one transaction, each only when absent (ON
   * CONFLICT DO NOTHING: importing twice changes nothing). Rows must come in
   * ARCHIVE_ROW_TYPES order. Events get new seqs from this store, in batch order (seqs are
   * store-wide and must grow in commit order for readers that follow them); the result
   * gives each event row's seq here. Records are indexed for search as they are written.
   * Checkpoints are written as given: the caller translates their throughSeq.
   */
  importRows(rows: readonly ArchiveRow[]): Promise<ImportBatchResult>;
  /**
   * Erasure: deletes a tenant's change-log rows whose change names any of `needles`
   * (substring of the change's JSON), and the kv entries of the tenant whose key or
   * value holds one. Returns how many of each.
   */
  deleteMentions(tenantId: string, needles: readonly string[]): Promise<{ changeLogRows: number; kvEntries: number }>;
  /**
   * After an erasure: leaves nothing deleted recoverable from the store's indexes —
   * SQLite merges the full-text index (deleted entries dropped), vacuums and truncates
   * the WAL; PostgreSQL vacuums the tables an erasure touches (dead rows and their GIN
   * entries removed).
   */
  reclaimDeleted(): Promise<void>;

  /** Counts for `longhaul status` (all tenants). */
  stats(now: number): Promise<StoreStats>;
  /** Plain expiring keys (idempotency results, caches), through keyv. Keys come from tenantKey(). */
  readonly kv: KeyValueStore;
  close(): Promise<void>;
}

/** What a change bus delivers: one process's changes as it sent them, not yet checked. */
export interface ChangeBusMessage {
  origin: string;
  entries: ReadonlyArray<{ change: unknown; at: number }>;
}

/**
 * A push transport for changes between processes (Redis pub/sub: store/adapters/redis/
 * change-bus.ts; runtime/change-feed.ts uses it): heard at once, but lossy — what is published while a subscriber is
 * disconnected is gone.
 */
export interface ChangeBus {
  publish(changes: readonly ChangeLogInput[]): Promise<void>;
  /** Delivers every message (this process's own too) until the returned function is called; resolves once subscribed. */
  subscribe(onMessage: (message: ChangeBusMessage) => void): Promise<() => Promise<void>>;
}

/** A change to append to the change log, from the process `origin` at time `at`. */
export interface ChangeLogInput {
  /** The process that made the change (its followers skip their own rows). */
  origin: string;
  change: Change;
  at: number;
}

/** A row of the change log. */
export interface ChangeLogEntry extends ChangeLogInput {
  seq: number;
}

export interface OutboxStats {
  enabled: boolean;
  pending: number;
  parked: number;
  /** createdAt of the oldest entry still to ship; null when none. */
  oldestPendingAt: number | null;
  /** The most recent errors (parked or retrying), newest first, at most 5. */
  errors: Array<{ id: number; tenantId: string; kind: OutboxKind; attempts: number; error: string; parked: boolean }>;
}

/** What an outbox row points at: an event to store, a record to create or update, a record to delete. */
export type OutboxKind = 'event' | 'record' | 'delete_record' | 'delete_event';

/** One stored message of a resumable stream. */
export interface StreamEvent {
  eventId: string;
  message: unknown;
}

/** How many events a resumable stream keeps; an append beyond drops the oldest. */
export const STREAM_EVENTS_PER_STREAM = 1_000;

/**
 * The per-investigation listings (tasks, waits, signals, reports) return at most this
 * many items when no `limit` is given, and never more than INVESTIGATION_LIST_MAX:
 * nothing loads an investigation's lists unbounded. A caller that must know whether
 * a list was cut compares its length with `countInvestigation`.
 */
export const INVESTIGATION_LIST_DEFAULT = 500;
export const INVESTIGATION_LIST_MAX = 5_000;

/** Options of a per-investigation listing: at most `limit` items (default INVESTIGATION_LIST_DEFAULT), from the oldest (`asc`) or the newest (`desc`). */
export interface ListOptions {
  limit?: number;
  order?: 'asc' | 'desc';
}

/** What an investigation holds, counted in one step without loading it. */
export interface InvestigationCounts {
  tasks: number;
  /** Tasks `pending`, `running` or `waiting`. */
  openTasks: number;
  waits: number;
  openWaits: number;
  signals: number;
  /** Bytes of its signals' payloads and files together (as signalBytes counts them). */
  signalBytes: number;
  reports: number;
}

export interface KeyValueStore {
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** Resolves to keyv's `true` (stored) on keyv-backed adapters; callers need not look. */
  set(key: string, value: unknown, ttlMs?: number): Promise<boolean | void>;
  delete(key: string): Promise<boolean>;
}

export interface StoreStats {
  sessionsByStatus: Record<SessionStatus, number>;
  openInvestigations: number;
  openWaits: Array<Pick<Wait, 'tenantId' | 'investigationId' | 'taskId' | 'signal' | 'deadline'>>;
  tasksByStatus: Record<TaskStatus, number>;
  events: number;
  records: number;
  /** Sessions with events not yet extracted, and how many such events. */
  extractionBacklog: { sessions: number; events: number };
}

export interface Page<T> {
  items: T[];
  /** How many match; with a `totalCap`, at most the cap (then `totalCapped` is true). */
  total: number;
  nextCursor: string | null;
  /** True when counting stopped at the caller's `totalCap`: there are at least `total`. */
  totalCapped?: boolean;
}

export interface TenantStore {
  readonly tenantId: string;

  // ---- investigations ----
  /**
   * Opens an investigation atomically with its supervisor session, its tasks (and
   * their waits) and the request events. All ids are the caller's.
   */
  createInvestigation(input: {
    investigation: Investigation;
    session: Session;
    tasks: Array<{ task: Task; wait: Wait | null }>;
    events: NewEvent[];
  }): Promise<{ events: MemoryEvent[] }>;
  getInvestigation(id: string): Promise<Investigation | null>;
  /**
   * Newest first. `query` matches subject/objective (case-insensitive substring).
   * `totalCap`: count at most this many for `total` (then `totalCapped`), as listEvents.
   */
  listInvestigations(q: { status?: InvestigationStatus; query?: string; limit: number; cursor?: string | null; totalCap?: number }): Promise<Page<Investigation>>;
  /**
   * Flags an open investigation past its deadline as overdue (overdueAt = now), with
   * events and inbox items, in one step. It stays open: a person decides what next.
   * Returns null when it was closed or already flagged (idempotent under double sweeps).
   */
  markOverdue(input: { id: string; now: number; events: NewEvent[]; inbox: InboxItem[] }): Promise<Investigation | null>;
  /** Bumps updatedAt and version (compare-and-set on version when given). */
  touchInvestigation(id: string, now: number): Promise<void>;
  /**
   * Closes it in one step: status closed with outcome/summary, every open task
   * `cancelled`, every open wait `cancelled`, every non-terminated session of it
   * terminated with `terminationReason` (each one's final extraction due at `now`, in
   * the same step), plus `events`. Throws ConflictError when
   * the version moved, IllegalTransitionError when already closed.
   */
  closeInvestigation(input: {
    id: string;
    expectedVersion: number;
    now: number;
    outcome: InvestigationOutcome;
    summary: string | null;
    terminationReason: TerminationReason;
    events: NewEvent[];
  }): Promise<{ investigation: Investigation; cancelledTasks: Task[]; terminatedSessions: Session[] }>;

  // ---- sessions ----
  createSession(session: Session): Promise<void>;
  getSession(id: string): Promise<Session | null>;
  /** Newest first, at most `limit` (as ListOptions: default INVESTIGATION_LIST_DEFAULT). `live: true` keeps only sessions that are not terminated. */
  listSessions(q: { investigationId?: string; actorId?: string; status?: SessionStatus; live?: boolean; kind?: Session['kind']; limit?: number }): Promise<Session[]>;
  /**
   * Work begins on a session: inflight + 1, status `active`, lastActivityAt = now.
   * Throws IllegalTransitionError if it is terminated, NotFoundError if absent.
   */
  beginWork(id: string, now: number): Promise<Session>;
  /** Work ends: inflight - 1 (not below 0); at 0 the session goes `idle`; lastActivityAt = now. */
  endWork(id: string, now: number): Promise<Session>;
  /**
   * A whole short piece of work on a session in one atomic step — the session active
   * for just this step, as beginWork + appendEvents + endWork would leave it, in one
   * transaction instead of three: appends `events` (each must carry this sessionId),
   * sets lastActivityAt = now, and leaves the session `idle` (or `active` while other
   * work is in flight) — skipping the session write when `touchIsDue` (domain/session)
   * says the activity is recent enough. IllegalTransitionError when it is terminated.
   */
  appendToSession(sessionId: string, events: NewEvent[], now: number): Promise<{ session: Session; events: MemoryEvent[] }>;
  /** Keeps an active session alive: lastActivityAt = now. No-op on a terminated one (returns it). */
  heartbeat(id: string, now: number): Promise<Session>;
  /**
   * Terminates a non-terminated session (compare-and-set on `expectedVersion` when
   * given), and makes its final extraction due at `now` in the same step — a crash
   * right after cannot lose it. Returns the terminated session, or null when it was
   * already terminated or the version moved (a concurrent sweep won).
   */
  terminateSession(id: string, reason: TerminationReason, now: number, expectedVersion?: number): Promise<Session | null>;

  // ---- tasks, waits, signals ----
  /**
   * Creates a task, with its wait when given. If a signal of the wait's name was
   * already delivered to the investigation, the wait resolves at once (signals that
   * arrive before their wait are not lost) and the task is made `pending` with
   * wakeReason `signal`. Returns the stored task and wait.
   */
  createTask(input: { task: Task; wait: Wait | null; events: NewEvent[] }): Promise<{ task: Task; wait: Wait | null; resolvedBy: Signal | null }>;
  getTask(id: string): Promise<Task | null>;
  /**
   * An investigation's tasks by creation, oldest first (`order: 'desc'`: newest first),
   * at most `limit` (see ListOptions); `open: true` only those not yet ended, `open:
   * false` only the ended ones.
   */
  listTasks(investigationId: string, opts?: ListOptions & { open?: boolean }): Promise<Task[]>;
  /** An investigation's waits by creation, as listTasks; `open` filters on status `open`, `taskId` on one task's waits. */
  listWaits(investigationId: string, opts?: ListOptions & { open?: boolean; taskId?: string }): Promise<Wait[]>;
  /** Tasks, waits, signals (and their bytes) and reports of an investigation, counted. */
  countInvestigation(investigationId: string): Promise<InvestigationCounts>;
  getWait(id: string): Promise<Wait | null>;
  /**
   * Applies a worker's outcome atomically, only while `leaseOwner` still holds the
   * task's lease (else ConflictError: another process took over). Sets the task's
   * status (and result/error/runAt/wakeReason), clears the lease unless it stays
   * `running`, registers `wait` (resolving it at once against an existing signal, as
   * createTask does), and writes events, reports and inbox items.
   */
  applyTaskOutcome(input: {
    taskId: string;
    leaseOwner: string;
    now: number;
    status: TaskStatus;
    result?: unknown;
    error?: string | null;
    runAt?: number | null;
    wakeReason?: WakeReason | null;
    wait?: Wait | null;
    events?: NewEvent[];
    reports?: Report[];
    inbox?: InboxItem[];
    /** Long-term records written with the outcome (e.g. a report in investigations/{id}/reports). */
    records?: MemoryRecord[];
  }): Promise<{ task: Task; wait: Wait | null; events: MemoryEvent[] }>;
  /** Extends a held lease (heartbeat). False when the lease was lost. */
  extendTaskLease(taskId: string, leaseOwner: string, leaseUntil: number): Promise<boolean>;
  /**
   * The deadline of an open wait passed: the wait becomes `timed_out`; its task
   * (if still `waiting`) becomes `taskStatus` — `timed_out`, or `pending` with
   * wakeReason `deadline` when a worker will handle the escalation. Writes `events`.
   * Returns null when the wait was no longer open (idempotent under double sweeps).
   */
  expireWait(input: { waitId: string; now: number; taskStatus: 'timed_out' | 'pending'; events: NewEvent[]; inbox?: InboxItem[] }): Promise<{ wait: Wait; task: Task | null } | null>;
  /**
   * Cancels one open task (and its open waits) with events. IllegalTransitionError
   * when it already ended.
   */
  cancelTask(input: { taskId: string; now: number; events: NewEvent[] }): Promise<Task>;
  /**
   * Stores a signal with its attachments (metadata and bytes) and, in the same step,
   * resolves every open wait of that name on the investigation and makes their
   * `waiting` tasks `pending` (wakeReason `signal`). An acknowledged signal never
   * lacks its files: they commit or fail together. `signal.attachments` must be the
   * attachments' metadata, in order (index = position, size = content length;
   * InvalidInputError otherwise). With an idempotencyKey already used on this
   * investigation, nothing is written and the earlier signal (with its attachments'
   * metadata) is returned with duplicate: true — even when the investigation is full.
   * With `limits`, a new signal that would take the investigation past them (count,
   * or bytes of payloads and files as signalBytes counts them) is refused with
   * SignalLimitError, judged in the same step as the insert.
   */
  deliverSignal(input: {
    signal: Signal;
    attachments?: Array<{ meta: SignalAttachment; content: Uint8Array }>;
    events: NewEvent[];
    limits?: SignalLimits;
  }): Promise<{ signal: Signal; duplicate: boolean; resolvedWaits: Wait[]; wokenTasks: Task[] }>;
  /**
   * An investigation's signals (of one `name`, when given) by arrival, oldest first
   * (`order: 'desc'`: newest first), at most `limit` (see ListOptions), each with its
   * attachments' metadata (in index order).
   */
  listSignals(investigationId: string, name?: string, opts?: ListOptions): Promise<Signal[]>;
  /** One signal of this tenant with its attachments' metadata; null when absent. */
  getSignal(id: string): Promise<Signal | null>;
  /**
   * One attachment of a signal of this tenant, with its bytes; null when the signal
   * (in this tenant) or the index does not exist.
   */
  readSignalAttachment(signalId: string, index: number): Promise<{ meta: SignalAttachment; content: Uint8Array } | null>;

  // ---- short-term memory ----
  /** Appends events atomically, in order; assigns each a seq. Marks their sessions due for extraction. */
  appendEvents(events: NewEvent[]): Promise<MemoryEvent[]>;
  /**
   * A page of events in seq order: of one session, or of an investigation's whole
   * timeline (every event carrying its id, session or not). `afterSeq` is exclusive;
   * `order: 'desc'` pages newest first (then `cursor` continues downward).
   */
  listEvents(q: {
    sessionId?: string;
    investigationId?: string;
    /** Only this actor's events (erasure finds a person's events with it; not indexed: a scan of the tenant's events). */
    actorId?: string;
    afterSeq?: number;
    kinds?: readonly EventKind[];
    limit: number;
    cursor?: string | null;
    order?: 'asc' | 'desc';
    /**
     * Count at most this many for `total` (then `totalCapped`): counting every event of a
     * long investigation on each page costs milliseconds that grow with it. Default: count all.
     * listInvestigations, listRecords and listInbox take the same option, for the same reason
     * (a tenant's whole list, counted on every page).
     */
    totalCap?: number;
  }): Promise<Page<MemoryEvent>>;
  getEvents(ids: readonly string[]): Promise<MemoryEvent[]>;
  /**
   * Deletes one event of this tenant. False when absent. What was derived from it is the
   * caller's to handle. With the outbox on, in the same step: an entry that would still
   * ship it is dropped (unless a delivery holds it right now), and a `delete_event` entry
   * removes it from the external memory — claimed only once no earlier entry for the
   * event is in flight, so a delivery racing the erasure cannot bring it back.
   */
  deleteEvent(id: string): Promise<boolean>;

  // ---- long-term memory ----
  getRecord(id: string): Promise<MemoryRecord | null>;
  /** Records under a namespace prefix (segment-wise), newest first, paged; `totalCap` as listEvents. */
  listRecords(q: { namespacePrefix: string; status?: RecordStatus; limit: number; cursor?: string | null; totalCap?: number }): Promise<Page<MemoryRecord>>;
  /**
   * Ranked full-text search within a namespace prefix (or the whole tenant), at most
   * topK results, never a scan of every record. Superseded records only when asked.
   */
  searchRecords(q: { query: string; namespacePrefix?: string; includeSuperseded?: boolean; topK: number }): Promise<ScoredRecord[]>;
  /**
   * The oldest `limit` active records in exactly `namespace` that hold every word of at
   * least one of `groups` (words folded as search folds them, plurals included).
   * Consolidation's near-duplicate candidates (a duplicate joins the original statement),
   * found through the index, never by a scan.
   */
  findRecordsWithWords(namespace: string, groups: readonly (readonly string[])[], limit: number): Promise<MemoryRecord[]>;
  /** Active record in `namespace` with this textKey (for consolidation), if any. */
  findRecordByTextKey(namespace: string, textKey: string): Promise<MemoryRecord | null>;
  /** Active record in `namespace` with this topicKey (for supersession), if any. */
  findRecordByTopicKey(namespace: string, topicKey: string): Promise<MemoryRecord | null>;
  /** Deletes one record. False when absent. */
  deleteRecord(id: string): Promise<boolean>;
  /**
   * Erasure: rewrites one record in place — its text, text key and (replacing, not
   * adding) its sources — re-indexed for search, and queued for an external memory like
   * any record change. Null when absent.
   */
  reviseRecord(input: { id: string; text: string; textKey: string; sourceEventIds: string[]; now: number; /** The actor the text now comes from (unchanged when absent). */ actorId?: string | null }): Promise<MemoryRecord | null>;
  /** Keeps an erasure receipt (readable after the data it describes is gone). */
  saveErasure(receipt: ErasureReceipt): Promise<void>;
  getErasure(id: string): Promise<ErasureReceipt | null>;
  /** Receipts newest first, paged. */
  listErasures(q: { limit: number; cursor?: string | null }): Promise<Page<ErasureReceipt>>;
  getCheckpoint(sessionId: string): Promise<ExtractionCheckpoint | null>;
  /**
   * Commits one extraction batch atomically: the record writes, then the checkpoint
   * advances to `throughSeq` — only if it still stands at `expectedThroughSeq`
   * (ConflictError otherwise: another run got there first). `dueAt` is when the
   * session needs extracting again (null: not until new events arrive).
   */
  commitExtraction(input: {
    sessionId: string;
    expectedThroughSeq: number;
    throughSeq: number;
    now: number;
    dueAt: number | null;
    writes: RecordWrite[];
  }): Promise<void>;
  /** Records a failed extraction run without advancing the checkpoint. */
  failExtraction(input: { sessionId: string; now: number; error: string; retryAt: number }): Promise<void>;
  /** Marks a session due for extraction at `at` (e.g. it just terminated). */
  scheduleExtraction(sessionId: string, at: number): Promise<void>;

  // ---- reports and inbox ----
  /** An investigation's filed reports, newest first (`order: 'asc'`: oldest first), at most `limit` (see ListOptions). */
  listReports(investigationId: string, opts?: ListOptions): Promise<Report[]>;
  getReport(id: string): Promise<Report | null>;
  /** Newest first across the tenant, optionally for some investigations only; `totalCap` as listEvents. */
  listInbox(q: { investigationIds?: readonly string[]; limit: number; cursor?: string | null; totalCap?: number }): Promise<Page<InboxItem>>;
}

/** One change to long-term memory inside an extraction commit. */
export type RecordWrite =
  | { op: 'create'; record: MemoryRecord }
  /** Consolidation: a duplicate adds its sources to an existing record. */
  | { op: 'add_sources'; id: string; eventIds: string[]; now: number }
  /** A newer record replaces `id`: it stays readable, marked superseded, linked to `by`. */
  | { op: 'supersede'; id: string; by: string; now: number }
  /** A record refreshed in place (a session summary as the session grows). */
  | { op: 'update_text'; id: string; text: string; textKey: string; eventIds: string[]; now: number };
