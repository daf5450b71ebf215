/**
 * The in-process store: plain Maps, for unit tests and `LONGHAUL_STORE=memory`.
 * Nothing persists. Every method runs synchronously inside one `atomic()` step that
 * journals its writes and undoes them if the step throws, so a method either applies
 * completely or not at all — the same all-or-nothing a SQLite transaction gives.
 * Stored and returned entities are copies: a caller can never mutate the store's state.
 */
import { Keyv } from 'keyv';
import { ConflictError, InvalidInputError, NotFoundError } from '../../domain/errors.js';
import type { EventKind, MemoryEvent, NewEvent } from '../../domain/event.js';
import { assertInvestigationTransition, closedInvestigation, overdueInvestigation, touchedInvestigation, type Investigation, type InvestigationStatus } from '../../domain/investigation.js';
import { namespaceHasPrefix } from '../../domain/namespace.js';
import type { ExtractionCheckpoint, MemoryRecord, RecordStatus, ScoredRecord } from '../../domain/record.js';
import type { InboxItem, Report } from '../../domain/report.js';
import { sessionDueAt, sessionHeartbeat, sessionTouched, sessionWorkBegun, sessionWorkEnded, terminatedSession, touchIsDue, type Session, type SessionStatus, type TerminationReason } from '../../domain/session.js';
import { assertTaskTransition, cancelledTask, claimedTask, expiredWait, resolvedWait, taskAfterOutcome, taskAfterWaitExpiry, taskWokenBySignal, waitOnRegistration, isTerminalTask, OPEN_TASK_STATUSES, type Signal, type SignalAttachment, type Task, type TaskStatus, type Wait } from '../../domain/task.js';
import { signalBytes, signalLimitExceeded, type SignalTotals } from '../../domain/signal-limits.js';
import { assertTenantId } from '../keys.js';
import type { InvestigationCounts, ListOptions, Page, RecordWrite, StorePort, StoreStats, TenantStore } from '../port.js';
import { MemoryChangeLog, MemoryStreamEvents } from './memory-logs.js';
import {
  assertSameTenant,
  checkpointMovedError,
  closedInvestigationError,
  closedStoreError,
  decodeCursor,
  encodeCursor,
  leaseLostError,
  normalizePrefix,
  orNull,
  pageLimit,
  searchTerms,
  searchWords,
  SESSION_STATUSES,
  STATS_OPEN_WAITS_LIMIT,
  TASK_STATUSES,
  terminatedError,
  versionMovedError,
  assertSameSignalName,
  checkedAttachments,
  listLimit,
} from './common.js';

export interface MemoryStoreOptions {
  /** Shown as the store's location in logs and `longhaul status`. Default `memory`. */
  location?: string;
}

interface TenantData {
  investigations: Map<string, Investigation>;
  sessions: Map<string, Session>;
  tasks: Map<string, Task>;
  waits: Map<string, Wait>;
  signals: Map<string, Signal>;
  /** Signal id → its files (metadata and bytes), in index order. */
  attachments: Map<string, StoredAttachment[]>;
  /** By id; insertion order is seq order. */
  events: Map<string, MemoryEvent>;
  records: Map<string, MemoryRecord>;
  checkpoints: Map<string, ExtractionCheckpoint>;
  reports: Map<string, Report>;
  inbox: Map<string, InboxItem>;
  /** Investigation id → what it holds in signals (kept with each delivery, for the limits). */
  signalTotals: Map<string, SignalTotals>;
}

interface StoredAttachment {
  meta: SignalAttachment;
  content: Uint8Array;
}

interface State {
  tenants: Map<string, TenantData>;
  leases: Map<string, { owner: string; until: number }>;
  seq: number;
  closed: boolean;
  changes: MemoryChangeLog;
  streamEvents: MemoryStreamEvents;
}

/** Undo log of one atomic step. */
class Journal {
  private readonly undo: Array<() => void> = [];
  set<K, V>(map: Map<K, V>, key: K, value: V): void {
    const had = map.has(key);
    const prev = map.get(key);
    this.undo.push(() => (had ? map.set(key, prev as V) : map.delete(key)));
    map.set(key, value);
  }
  delete<K, V>(map: Map<K, V>, key: K): boolean {
    if (!map.has(key)) return false;
    const prev = map.get(key) as V;
    this.undo.push(() => map.set(key, prev));
    return map.delete(key);
  }
  onRollback(fn: () => void): void {
    this.undo.push(fn);
  }
  rollback(): void {
    for (let i = this.undo.length - 1; i >= 0; i--) this.undo[i]!();
  }
}

// Entities go through JSON on the way in and out, as they do on SQLite: copies, with
// `unknown` fields normalised the same way (undefined → null, Dates → strings).
const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const copyTask = (t: Task): Task => copy({ ...t, result: orNull(t.result) });
const copyEvent = (e: MemoryEvent): MemoryEvent => copy({ ...e, data: orNull(e.data) });
const copySignal = (s: Signal): Signal => copy({ ...s, payload: orNull(s.payload), attachments: s.attachments ?? [] });
// Bytes are copied both ways too: a caller reusing its buffer cannot change a stored file.
const copyAttachment = (a: StoredAttachment): StoredAttachment => ({ meta: copy(a.meta), content: new Uint8Array(a.content) });

const newerFirst = (a: { createdAt: number; id: string }, b: { createdAt: number; id: string }) =>
  b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
const olderFirst = (a: { createdAt: number; id: string }, b: { createdAt: number; id: string }) => -newerFirst(a, b);
/** A per-investigation listing: by creation in the asked order, cut at its limit. */
const ordered = <T extends { createdAt: number; id: string }>(items: T[], opts: ListOptions | undefined): T[] =>
  items.sort(opts?.order === 'desc' ? newerFirst : olderFirst).slice(0, listLimit(opts));
const cmp = (a: ReadonlyArray<string | number>, b: ReadonlyArray<string | number>): number => {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
};

/** A plain in-process StorePort. Nothing persists; every method is trivially atomic. */
export function createMemoryStore(opts: MemoryStoreOptions = {}): StorePort {
  const location = opts.location ?? 'memory';
  const state: State = { tenants: new Map(), leases: new Map(), seq: 0, closed: false, changes: new MemoryChangeLog(), streamEvents: new MemoryStreamEvents() };
  const kv = new Keyv({ throwOnErrors: true });

  const atomic = <T>(fn: (tx: Journal) => T): T => {
    if (state.closed) throw closedStoreError(location);
    const tx = new Journal();
    try {
      return fn(tx);
    } catch (e) {
      tx.rollback();
      throw e;
    }
  };
  const data = (tenantId: string): TenantData => {
    let d = state.tenants.get(tenantId);
    if (!d) {
      d = {
        investigations: new Map(),
        sessions: new Map(),
        tasks: new Map(),
        waits: new Map(),
        signals: new Map(),
        attachments: new Map(),
        events: new Map(),
        records: new Map(),
        checkpoints: new Map(),
        reports: new Map(),
        inbox: new Map(),
        signalTotals: new Map(),
      };
      state.tenants.set(tenantId, d);
    }
    return d;
  };
  const allTenants = () => [...state.tenants.entries()];
  /** The tenants an allow-list admits (undefined: all). */
  const someTenants = (tenants: readonly string[] | undefined) => (tenants ? allTenants().filter(([id]) => tenants.includes(id)) : allTenants());
  const tenantStores = new Map<string, TenantStore>();

  const store: StorePort = {
    kind: 'memory',
    location,
    kv,

    tenant(tenantId) {
      assertTenantId(tenantId);
      let t = tenantStores.get(tenantId);
      if (!t) {
        t = new MemoryTenantStore(tenantId, () => data(tenantId), state, atomic);
        tenantStores.set(tenantId, t);
      }
      return t;
    },

    async dueSessions(now, limit) {
      return atomic(() =>
        allTenants()
          .flatMap(([, d]) => [...d.sessions.values()])
          .filter((s) => s.status !== 'terminated' && s.dueAt !== null && s.dueAt <= now)
          .sort((a, b) => cmp([a.dueAt!, a.tenantId, a.id], [b.dueAt!, b.tenantId, b.id]))
          .slice(0, pageLimit(limit))
          .map(copy),
      );
    },

    async dueWaits(now, limit) {
      return atomic(() =>
        allTenants()
          .flatMap(([, d]) => [...d.waits.values()])
          .filter((w) => w.status === 'open' && w.deadline <= now)
          .sort((a, b) => cmp([a.deadline, a.tenantId, a.id], [b.deadline, b.tenantId, b.id]))
          .slice(0, pageLimit(limit))
          .map(copy),
      );
    },

    async dueInvestigations(now, limit) {
      return atomic(() =>
        allTenants()
          .flatMap(([, d]) => [...d.investigations.values()])
          .filter((i) => i.status === 'open' && i.deadline !== null && i.overdueAt === null && i.deadline <= now)
          .sort((a, b) => cmp([a.deadline!, a.tenantId, a.id], [b.deadline!, b.tenantId, b.id]))
          .slice(0, pageLimit(limit))
          .map(copy),
      );
    },

    async claimTask(now, owner, leaseMs, roles, tenants) {
      return atomic((tx) => {
        if (roles.length === 0) return null;
        let best: { d: TenantData; task: Task; key: Array<string | number> } | null = null;
        for (const [, d] of someTenants(tenants)) {
          for (const task of d.tasks.values()) {
            if (!roles.includes(task.role)) continue;
            let key: Array<string | number>;
            if (task.status === 'pending' && task.runAt !== null && task.runAt <= now) key = [task.runAt, 0, task.tenantId, task.id];
            else if (task.status === 'running' && task.leaseUntil !== null && task.leaseUntil <= now) key = [task.leaseUntil, 1, task.tenantId, task.id];
            else continue;
            if (!best || cmp(key, best.key) < 0) best = { d, task, key };
          }
        }
        if (!best) return null;
        const { d, task } = best;
        const claimed = claimedTask(task, owner, now, leaseMs);
        tx.set(d.tasks, task.id, claimed);
        return copyTask(claimed);
      });
    },

    async dueExtractions(now, limit, tenants) {
      return atomic(() =>
        someTenants(tenants)
          .flatMap(([, d]) => [...d.checkpoints.values()])
          .filter((c) => c.dueAt !== null && c.dueAt <= now)
          .sort((a, b) => cmp([a.dueAt!, a.tenantId, a.sessionId], [b.dueAt!, b.tenantId, b.sessionId]))
          .slice(0, pageLimit(limit))
          .map(copy),
      );
    },

    async deleteExpiredEvents(now, limit) {
      return atomic((tx) => {
        const doomed = allTenants()
          .flatMap(([, d]) =>
            [...d.events.values()]
              .filter((e) => e.expiresAt <= now && extracted(d, e))
              .map((e) => ({ d, e })),
          )
          .sort((a, b) => cmp([a.e.expiresAt, a.e.seq], [b.e.expiresAt, b.e.seq]))
          .slice(0, pageLimit(limit));
        for (const { d, e } of doomed) tx.delete(d.events, e.id);
        return doomed.length;
      });
    },

    async acquireLease(name, owner, ttlMs, now) {
      return atomic((tx) => {
        const held = state.leases.get(name);
        if (held && held.owner !== owner && held.until > now) return false;
        tx.set(state.leases, name, { owner, until: now + ttlMs });
        return true;
      });
    },

    async releaseLease(name, owner) {
      atomic((tx) => {
        if (state.leases.get(name)?.owner === owner) tx.delete(state.leases, name);
      });
    },

    async appendChanges(entries) {
      return atomic(() => state.changes.append(entries));
    },

    async changesAfter(seq, limit) {
      return atomic(() => state.changes.after(seq, limit));
    },

    async lastChangeSeq() {
      return atomic(() => state.changes.last());
    },

    async deleteChangesBefore(at, limit) {
      return atomic(() => state.changes.deleteBefore(at, limit));
    },

    async appendStreamEvent(input) {
      return atomic(() => state.streamEvents.append(input));
    },

    async streamEventsAfter(eventId, limit) {
      return atomic(() => state.streamEvents.after(eventId, limit));
    },

    async deleteExpiredStreamEvents(now, limit) {
      return atomic(() => state.streamEvents.deleteExpired(now, limit));
    },

    async stats() {
      return atomic((): StoreStats => {
        const sessionsByStatus = Object.fromEntries(SESSION_STATUSES.map((s) => [s, 0])) as Record<SessionStatus, number>;
        const tasksByStatus = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
        let openInvestigations = 0;
        let events = 0;
        let records = 0;
        const backlog = { sessions: 0, events: 0 };
        const waits: Wait[] = [];
        for (const [, d] of allTenants()) {
          for (const s of d.sessions.values()) sessionsByStatus[s.status]++;
          for (const t of d.tasks.values()) tasksByStatus[t.status]++;
          for (const i of d.investigations.values()) if (i.status === 'open') openInvestigations++;
          for (const w of d.waits.values()) if (w.status === 'open') waits.push(w);
          events += d.events.size;
          records += d.records.size;
          const pending = new Set<string>();
          for (const e of d.events.values()) {
            if (e.sessionId === null) continue;
            if (e.seq > (d.checkpoints.get(e.sessionId)?.throughSeq ?? 0)) {
              backlog.events++;
              pending.add(e.sessionId);
            }
          }
          backlog.sessions += pending.size;
        }
        waits.sort((a, b) => cmp([a.deadline, a.tenantId, a.id], [b.deadline, b.tenantId, b.id]));
        return {
          sessionsByStatus,
          openInvestigations,
          openWaits: waits.slice(0, STATS_OPEN_WAITS_LIMIT).map((w) => ({ tenantId: w.tenantId, investigationId: w.investigationId, taskId: w.taskId, signal: w.signal, deadline: w.deadline })),
          tasksByStatus,
          events,
          records,
          extractionBacklog: backlog,
        };
      });
    },

    async close() {
      state.closed = true;
    },
  };
  return store;
}

/** Extraction has passed an event (or it is an investigation-level event, which needs none). */
function extracted(d: TenantData, e: MemoryEvent): boolean {
  if (e.sessionId === null) return true;
  const cp = d.checkpoints.get(e.sessionId);
  return cp !== undefined && e.seq <= cp.throughSeq;
}

type Atomic = <T>(fn: (tx: Journal) => T) => T;

class MemoryTenantStore implements TenantStore {
  constructor(
    readonly tenantId: string,
    private readonly d: () => TenantData,
    private readonly state: State,
    private readonly atomic: Atomic,
  ) {}

  // ---- helpers (run inside an atomic step) ----

  private mustInvestigation(id: string): Investigation {
    const inv = this.d().investigations.get(id);
    if (!inv) throw new NotFoundError('investigation', id);
    return inv;
  }
  private mustSession(id: string): Session {
    const s = this.d().sessions.get(id);
    if (!s) throw new NotFoundError('session', id);
    return s;
  }
  private mustTask(id: string): Task {
    const t = this.d().tasks.get(id);
    if (!t) throw new NotFoundError('task', id);
    return t;
  }
  private insert<T extends { id: string; tenantId: string }>(tx: Journal, map: Map<string, T>, value: T, what: string): void {
    assertSameTenant(this.tenantId, value, `${what} ${value.id}`);
    if (map.has(value.id)) throw new ConflictError(`A ${what} with id "${value.id}" already exists.`, { id: value.id });
    tx.set(map, value.id, copy(value));
  }

  private appendIn(tx: Journal, events: readonly NewEvent[]): MemoryEvent[] {
    const d = this.d();
    const out: MemoryEvent[] = [];
    for (const ev of events) {
      assertSameTenant(this.tenantId, ev, `event ${ev.id}`);
      if (d.events.has(ev.id)) throw new ConflictError(`An event with id "${ev.id}" already exists.`, { id: ev.id });
      if (ev.sessionId !== null) this.mustSession(ev.sessionId);
      if (ev.investigationId !== null) this.mustInvestigation(ev.investigationId);
      const prevSeq = this.state.seq;
      tx.onRollback(() => (this.state.seq = prevSeq));
      const stored = copyEvent({ ...ev, seq: ++this.state.seq });
      tx.set(d.events, stored.id, stored);
      out.push(copy(stored));
      if (stored.sessionId !== null) this.markDue(tx, stored.sessionId, stored.createdAt, 'if_unset');
    }
    return out;
  }

  private markDue(tx: Journal, sessionId: string, at: number, how: 'if_unset' | 'earliest'): void {
    const d = this.d();
    const cp = d.checkpoints.get(sessionId) ?? { tenantId: this.tenantId, sessionId, throughSeq: 0, lastRunAt: null, lastError: null, dueAt: null };
    const dueAt = cp.dueAt === null ? at : how === 'earliest' ? Math.min(cp.dueAt, at) : cp.dueAt;
    tx.set(d.checkpoints, sessionId, { ...cp, dueAt });
  }

  private latestSignal(investigationId: string, name: string): Signal | null {
    let best: Signal | null = null;
    for (const s of this.d().signals.values()) {
      if (s.investigationId !== investigationId || s.name !== name) continue;
      if (!best || cmp([s.receivedAt, s.id], [best.receivedAt, best.id]) > 0) best = s;
    }
    return best;
  }

  /** Stores a wait; resolves it at once (and makes the task pending) when its signal already came. */
  private registerWait(tx: Journal, task: Task, wait: Wait, now: number): { task: Task; wait: Wait; resolvedBy: Signal | null } {
    const sig = wait.status === 'open' ? this.latestSignal(wait.investigationId, wait.signal) : null;
    const r = waitOnRegistration(task, wait, sig, now);
    this.insert(tx, this.d().waits, r.wait, 'wait');
    return { ...r, resolvedBy: sig && copySignal(sig) };
  }

  private closeOpenWaitsOfTask(tx: Journal, taskId: string, now: number): void {
    const d = this.d();
    for (const w of d.waits.values()) {
      if (w.taskId === taskId && w.status === 'open') tx.set(d.waits, w.id, { ...w, status: 'cancelled', resolvedAt: now });
    }
  }

  private putRecord(tx: Journal, r: MemoryRecord): void {
    this.insert(tx, this.d().records, r, 'memory record');
  }

  // ---- investigations ----

  async createInvestigation(input: Parameters<TenantStore['createInvestigation']>[0]) {
    return this.atomic((tx) => {
      const d = this.d();
      this.insert(tx, d.investigations, input.investigation, 'investigation');
      this.insertSession(tx, input.session);
      for (const { task, wait } of input.tasks) this.insertTask(tx, task, wait);
      return { events: this.appendIn(tx, input.events) };
    });
  }

  async getInvestigation(id: string) {
    return this.atomic(() => {
      const inv = this.d().investigations.get(id);
      return inv ? copy(inv) : null;
    });
  }

  async listInvestigations(q: { status?: InvestigationStatus; query?: string; limit: number; cursor?: string | null }): Promise<Page<Investigation>> {
    return this.atomic(() => {
      const needle = q.query?.toLowerCase();
      const all = [...this.d().investigations.values()]
        .filter((i) => !q.status || i.status === q.status)
        .filter((i) => !needle || i.subject.toLowerCase().includes(needle) || i.objective.toLowerCase().includes(needle))
        .sort(newerFirst);
      return pageDesc(all, 'inv', q.limit, q.cursor);
    });
  }

  async markOverdue(input: { id: string; now: number; events: NewEvent[]; inbox: InboxItem[] }) {
    return this.atomic((tx) => {
      const d = this.d();
      const inv = this.mustInvestigation(input.id);
      if (inv.status !== 'open' || inv.overdueAt !== null) return null;
      const flagged = overdueInvestigation(inv, input.now);
      tx.set(d.investigations, inv.id, flagged);
      this.appendIn(tx, input.events);
      for (const i of input.inbox) this.insert(tx, d.inbox, i, 'inbox item');
      return copy(flagged);
    });
  }

  async touchInvestigation(id: string, now: number) {
    this.atomic((tx) => {
      const inv = this.mustInvestigation(id);
      tx.set(this.d().investigations, id, touchedInvestigation(inv, now));
    });
  }

  async closeInvestigation(input: Parameters<TenantStore['closeInvestigation']>[0]) {
    return this.atomic((tx) => {
      const d = this.d();
      const inv = this.mustInvestigation(input.id);
      assertInvestigationTransition(inv.status, 'closed');
      if (inv.version !== input.expectedVersion) throw versionMovedError(inv, input.expectedVersion);
      const closed = closedInvestigation(inv, input.outcome, input.summary, input.now);
      tx.set(d.investigations, inv.id, closed);
      const cancelledTasks: Task[] = [];
      for (const t of d.tasks.values()) {
        if (t.investigationId !== inv.id || !OPEN_TASK_STATUSES.includes(t.status)) continue;
        const c = cancelledTask(t, input.now);
        tx.set(d.tasks, t.id, c);
        cancelledTasks.push(copyTask(c));
      }
      for (const w of d.waits.values()) {
        if (w.investigationId === inv.id && w.status === 'open') tx.set(d.waits, w.id, { ...w, status: 'cancelled', resolvedAt: input.now });
      }
      const terminatedSessions: Session[] = [];
      for (const s of d.sessions.values()) {
        if (s.investigationId !== inv.id || s.status === 'terminated') continue;
        const term = terminatedSession(s, input.terminationReason, input.now);
        tx.set(d.sessions, s.id, term);
        terminatedSessions.push(copy(term));
      }
      this.appendIn(tx, input.events);
      return { investigation: copy(closed), cancelledTasks, terminatedSessions };
    });
  }

  // ---- sessions ----

  private insertSession(tx: Journal, session: Session): void {
    if (session.investigationId !== null) this.mustInvestigation(session.investigationId);
    this.insert(tx, this.d().sessions, { ...session, dueAt: sessionDueAt(session) }, 'session');
  }

  async createSession(session: Session) {
    this.atomic((tx) => this.insertSession(tx, session));
  }

  async getSession(id: string) {
    return this.atomic(() => {
      const s = this.d().sessions.get(id);
      return s ? copy(s) : null;
    });
  }

  async listSessions(q: { investigationId?: string; actorId?: string; status?: SessionStatus; live?: boolean; kind?: Session['kind']; limit?: number }) {
    return this.atomic(() => {
      const list = [...this.d().sessions.values()]
        .filter((s) => (q.investigationId === undefined || s.investigationId === q.investigationId) && (q.actorId === undefined || s.actorId === q.actorId))
        .filter((s) => (q.status === undefined || s.status === q.status) && (q.kind === undefined || s.kind === q.kind) && (!q.live || s.status !== 'terminated'))
        .sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
      return list.slice(0, listLimit(q)).map(copy);
    });
  }

  private updateSession(tx: Journal, next: Session): Session {
    tx.set(this.d().sessions, next.id, next);
    return copy(next);
  }

  async beginWork(id: string, now: number) {
    return this.atomic((tx) => {
      const s = this.mustSession(id);
      if (s.status === 'terminated') throw terminatedError('active');
      return this.updateSession(tx, sessionWorkBegun(s, now));
    });
  }

  async endWork(id: string, now: number) {
    return this.atomic((tx) => {
      const s = this.mustSession(id);
      // Work that outlived its session (terminated meanwhile) changes nothing.
      if (s.status === 'terminated') return copy(s);
      return this.updateSession(tx, sessionWorkEnded(s, now));
    });
  }

  async appendToSession(sessionId: string, events: NewEvent[], now: number) {
    return this.atomic((tx) => {
      const s = this.mustSession(sessionId);
      if (s.status === 'terminated') throw terminatedError('active');
      for (const ev of events) if (ev.sessionId !== sessionId) throw new InvalidInputError(`event ${ev.id} does not belong to session ${sessionId}`);
      const stored = this.appendIn(tx, events);
      const session = touchIsDue(s, now) ? this.updateSession(tx, sessionTouched(s, now)) : copy(s);
      return { session, events: stored };
    });
  }

  async heartbeat(id: string, now: number) {
    return this.atomic((tx) => {
      const s = this.mustSession(id);
      if (s.status === 'terminated') return copy(s);
      return this.updateSession(tx, sessionHeartbeat(s, now));
    });
  }

  async terminateSession(id: string, reason: TerminationReason, now: number, expectedVersion?: number) {
    return this.atomic((tx) => {
      const s = this.mustSession(id);
      if (s.status === 'terminated' || (expectedVersion !== undefined && s.version !== expectedVersion)) return null;
      const term = terminatedSession(s, reason, now);
      tx.set(this.d().sessions, id, term);
      return copy(term);
    });
  }

  // ---- tasks, waits, signals ----

  private insertTask(tx: Journal, task: Task, wait: Wait | null): { task: Task; wait: Wait | null; resolvedBy: Signal | null } {
    this.mustInvestigation(task.investigationId);
    let t: Task = { ...task, result: orNull(task.result) };
    if (t.status === 'pending' && t.runAt === null) t.runAt = t.createdAt;
    let w: Wait | null = null;
    let resolvedBy: Signal | null = null;
    if (wait) {
      assertSameTenant(this.tenantId, wait, `wait ${wait.id}`);
      ({ task: t, wait: w, resolvedBy } = this.registerWait(tx, t, wait, wait.createdAt));
    }
    this.insert(tx, this.d().tasks, t, 'task');
    return { task: copyTask(t), wait: w && copy(w), resolvedBy: resolvedBy && copySignal(resolvedBy) };
  }

  async createTask(input: { task: Task; wait: Wait | null; events: NewEvent[] }) {
    return this.atomic((tx) => {
      assertSameTenant(this.tenantId, input.task, `task ${input.task.id}`);
      const inv = this.mustInvestigation(input.task.investigationId);
      if (inv.status === 'closed') throw closedInvestigationError();
      const r = this.insertTask(tx, input.task, input.wait);
      this.appendIn(tx, input.events);
      return r;
    });
  }

  async getTask(id: string) {
    return this.atomic(() => {
      const t = this.d().tasks.get(id);
      return t ? copyTask(t) : null;
    });
  }

  async listTasks(investigationId: string, opts?: ListOptions & { open?: boolean }) {
    return this.atomic(() => {
      const tasks = [...this.d().tasks.values()].filter((t) => t.investigationId === investigationId && (opts?.open === undefined || opts.open === !isTerminalTask(t.status)));
      return ordered(tasks, opts).map(copyTask);
    });
  }

  async listWaits(investigationId: string, opts?: ListOptions & { open?: boolean; taskId?: string }) {
    return this.atomic(() => {
      const waits = [...this.d().waits.values()].filter(
        (w) => w.investigationId === investigationId && (opts?.open === undefined || opts.open === (w.status === 'open')) && (opts?.taskId === undefined || w.taskId === opts.taskId),
      );
      return ordered(waits, opts).map(copy);
    });
  }

  async countInvestigation(investigationId: string): Promise<InvestigationCounts> {
    return this.atomic(() => {
      const d = this.d();
      const tasks = [...d.tasks.values()].filter((t) => t.investigationId === investigationId);
      const waits = [...d.waits.values()].filter((w) => w.investigationId === investigationId);
      const held = d.signalTotals.get(investigationId) ?? { count: 0, bytes: 0 };
      return {
        tasks: tasks.length,
        openTasks: tasks.filter((t) => !isTerminalTask(t.status)).length,
        waits: waits.length,
        openWaits: waits.filter((w) => w.status === 'open').length,
        signals: held.count,
        signalBytes: held.bytes,
        reports: [...d.reports.values()].filter((r) => r.investigationId === investigationId).length,
      };
    });
  }

  async getWait(id: string) {
    return this.atomic(() => {
      const w = this.d().waits.get(id);
      return w ? copy(w) : null;
    });
  }

  async applyTaskOutcome(input: Parameters<TenantStore['applyTaskOutcome']>[0]) {
    return this.atomic((tx) => {
      const d = this.d();
      const task = this.mustTask(input.taskId);
      if (task.status !== 'running' || task.leaseOwner !== input.leaseOwner) throw leaseLostError(task, input.leaseOwner);
      const now = input.now;
      let next = taskAfterOutcome(task, input, now);
      if (isTerminalTask(input.status)) this.closeOpenWaitsOfTask(tx, task.id, now);
      let wait: Wait | null = null;
      if (input.wait) {
        assertSameTenant(this.tenantId, input.wait, `wait ${input.wait.id}`);
        ({ task: next, wait } = this.registerWait(tx, next, input.wait, now));
      }
      tx.set(d.tasks, task.id, next);
      const events = this.appendIn(tx, input.events ?? []);
      for (const r of input.reports ?? []) this.insert(tx, d.reports, r, 'report');
      for (const i of input.inbox ?? []) this.insert(tx, d.inbox, i, 'inbox item');
      for (const r of input.records ?? []) this.putRecord(tx, r);
      return { task: copyTask(next), wait: wait && copy(wait), events };
    });
  }

  async extendTaskLease(taskId: string, leaseOwner: string, leaseUntil: number) {
    return this.atomic((tx) => {
      const t = this.d().tasks.get(taskId);
      if (!t || t.status !== 'running' || t.leaseOwner !== leaseOwner) return false;
      tx.set(this.d().tasks, taskId, { ...t, leaseUntil });
      return true;
    });
  }

  async expireWait(input: { waitId: string; now: number; taskStatus: 'timed_out' | 'pending'; events: NewEvent[]; inbox?: InboxItem[] }) {
    return this.atomic((tx) => {
      const d = this.d();
      const w = d.waits.get(input.waitId);
      if (!w) throw new NotFoundError('wait', input.waitId);
      if (w.status !== 'open') return null;
      const expired = expiredWait(w, input.now);
      tx.set(d.waits, w.id, expired);
      const t = d.tasks.get(w.taskId);
      let task: Task | null = null;
      if (t && t.status === 'waiting') {
        task = taskAfterWaitExpiry(t, input.taskStatus, input.now);
        tx.set(d.tasks, t.id, task);
        if (task.status === 'timed_out') this.closeOpenWaitsOfTask(tx, t.id, input.now);
      }
      this.appendIn(tx, input.events);
      for (const i of input.inbox ?? []) this.insert(tx, d.inbox, i, 'inbox item');
      return { wait: copy(expired), task: task && copyTask(task) };
    });
  }

  async cancelTask(input: { taskId: string; now: number; events: NewEvent[] }) {
    return this.atomic((tx) => {
      const t = this.mustTask(input.taskId);
      assertTaskTransition(t.status, 'cancelled');
      const c = cancelledTask(t, input.now);
      tx.set(this.d().tasks, t.id, c);
      this.closeOpenWaitsOfTask(tx, t.id, input.now);
      this.appendIn(tx, input.events);
      return copyTask(c);
    });
  }

  async deliverSignal(input: Parameters<TenantStore['deliverSignal']>[0]) {
    return this.atomic((tx) => {
      const d = this.d();
      const sig = input.signal;
      assertSameTenant(this.tenantId, sig, `signal ${sig.id}`);
      const files = checkedAttachments(sig, input.attachments);
      const inv = this.mustInvestigation(sig.investigationId);
      if (sig.idempotencyKey !== null) {
        const earlier = [...d.signals.values()].find((s) => s.investigationId === inv.id && s.idempotencyKey === sig.idempotencyKey);
        if (earlier) {
          assertSameSignalName(earlier, sig);
          return { signal: copySignal(earlier), duplicate: true, resolvedWaits: [], wokenTasks: [] };
        }
      }
      if (inv.status === 'closed') throw closedInvestigationError();
      const held = d.signalTotals.get(inv.id) ?? { count: 0, bytes: 0 };
      const adding = signalBytes(sig.payload, files.map((f) => f.meta.size));
      const over = signalLimitExceeded(inv.id, held, adding, input.limits);
      if (over) throw over;
      const stored: Signal = { ...sig, payload: orNull(sig.payload), attachments: files.map((a) => a.meta) };
      this.insert(tx, d.signals, stored, 'signal');
      tx.set(d.signalTotals, inv.id, { count: held.count + 1, bytes: held.bytes + adding });
      // In the same step as the signal (the journal undoes both): never a signal without its files.
      if (files.length) tx.set(d.attachments, sig.id, files.map(copyAttachment));
      const resolvedWaits: Wait[] = [];
      const wokenTasks: Task[] = [];
      const open = [...d.waits.values()].filter((w) => w.investigationId === inv.id && w.signal === sig.name && w.status === 'open').sort(olderFirst);
      for (const w of open) {
        const resolved = resolvedWait(w, sig);
        tx.set(d.waits, w.id, resolved);
        resolvedWaits.push(copy(resolved));
        const t = d.tasks.get(w.taskId);
        if (t && t.status === 'waiting') {
          const woken = taskWokenBySignal(t, sig);
          tx.set(d.tasks, t.id, woken);
          wokenTasks.push(copyTask(woken));
        }
      }
      this.appendIn(tx, input.events);
      return { signal: copySignal(stored), duplicate: false, resolvedWaits, wokenTasks };
    });
  }

  async listSignals(investigationId: string, name?: string, opts?: ListOptions) {
    return this.atomic(() => {
      const sorted = [...this.d().signals.values()]
        .filter((s) => s.investigationId === investigationId && (name === undefined || s.name === name))
        .sort((a, b) => cmp([a.receivedAt, a.id], [b.receivedAt, b.id]));
      if (opts?.order === 'desc') sorted.reverse();
      return sorted.slice(0, listLimit(opts)).map(copySignal);
    });
  }

  async getSignal(id: string) {
    return this.atomic(() => {
      const s = this.d().signals.get(id);
      return s ? copySignal(s) : null;
    });
  }

  async readSignalAttachment(signalId: string, index: number) {
    return this.atomic(() => {
      const file = Number.isInteger(index) ? this.d().attachments.get(signalId)?.[index] : undefined;
      return file ? copyAttachment(file) : null;
    });
  }

  // ---- short-term memory ----

  async appendEvents(events: NewEvent[]) {
    return this.atomic((tx) => this.appendIn(tx, events));
  }

  async listEvents(q: Parameters<TenantStore['listEvents']>[0]): Promise<Page<MemoryEvent>> {
    return this.atomic(() => {
      const kinds: readonly EventKind[] | null = q.kinds && q.kinds.length > 0 ? q.kinds : null;
      const desc = q.order === 'desc';
      const matching = [...this.d().events.values()].filter(
        (e) =>
          (q.sessionId === undefined || e.sessionId === q.sessionId) &&
          (q.investigationId === undefined || e.investigationId === q.investigationId) &&
          (q.afterSeq === undefined || e.seq > q.afterSeq) &&
          (!kinds || kinds.includes(e.kind)),
      );
      matching.sort((a, b) => (desc ? b.seq - a.seq : a.seq - b.seq));
      const tag = desc ? 'evt-desc' : 'evt-asc';
      const limit = pageLimit(q.limit);
      let rest = matching;
      if (q.cursor) {
        const [seq] = decodeCursor(tag, q.cursor, ['number'] as const);
        rest = matching.filter((e) => (desc ? e.seq < seq : e.seq > seq));
      }
      const items = rest.slice(0, limit);
      const last = items[items.length - 1];
      const cap = q.totalCap === undefined ? null : Math.max(0, Math.floor(q.totalCap));
      const total = cap === null ? matching.length : Math.min(matching.length, cap);
      return { items: items.map(copy), total, nextCursor: rest.length > limit && last ? encodeCursor(tag, [last.seq]) : null, ...(cap !== null ? { totalCapped: total >= cap } : {}) };
    });
  }

  async getEvents(ids: readonly string[]) {
    return this.atomic(() => {
      const d = this.d();
      return [...new Set(ids)]
        .map((id) => d.events.get(id))
        .filter((e): e is MemoryEvent => e !== undefined)
        .sort((a, b) => a.seq - b.seq)
        .map(copy);
    });
  }

  // ---- long-term memory ----

  async getRecord(id: string) {
    return this.atomic(() => {
      const r = this.d().records.get(id);
      return r ? copy(r) : null;
    });
  }

  async listRecords(q: { namespacePrefix: string; status?: RecordStatus; limit: number; cursor?: string | null }): Promise<Page<MemoryRecord>> {
    return this.atomic(() => {
      const prefix = normalizePrefix(q.namespacePrefix);
      const all = [...this.d().records.values()]
        .filter((r) => (prefix === '' || namespaceHasPrefix(r.namespace, prefix)) && (q.status === undefined || r.status === q.status))
        .sort(newerFirst);
      return pageDesc(all, 'rec', q.limit, q.cursor);
    });
  }

  /** BM25 over the records in scope, scored like FTS5's bm25 (k1 = 1.2, b = 0.75). Tests only: it scans. */
  async searchRecords(q: { query: string; namespacePrefix?: string; includeSuperseded?: boolean; topK: number }): Promise<ScoredRecord[]> {
    return this.atomic(() => {
      const terms = [...new Set(searchTerms(q.query).flatMap(searchWords))];
      const topK = pageLimit(q.topK);
      if (terms.length === 0 || topK === 0) return [];
      const prefix = normalizePrefix(q.namespacePrefix);
      const docs = [...this.d().records.values()]
        .filter((r) => (prefix === '' || namespaceHasPrefix(r.namespace, prefix)) && (q.includeSuperseded || r.status === 'active'))
        .map((r) => ({ r, tokens: searchWords(r.text) }));
      if (docs.length === 0) return [];
      const avgLen = docs.reduce((n, x) => n + x.tokens.length, 0) / docs.length || 1;
      const df = new Map(terms.map((t) => [t, docs.filter((x) => x.tokens.includes(t)).length]));
      const scored: ScoredRecord[] = [];
      for (const { r, tokens } of docs) {
        let score = 0;
        for (const t of terms) {
          const tf = tokens.filter((x) => x === t).length;
          if (tf === 0) continue;
          const n = df.get(t)!;
          const idf = Math.log(1 + (docs.length - n + 0.5) / (n + 0.5));
          score += idf * ((tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * tokens.length) / avgLen)));
        }
        if (score > 0) scored.push({ record: copy(r), score });
      }
      return scored.sort((a, b) => b.score - a.score || (a.record.id < b.record.id ? -1 : 1)).slice(0, topK);
    });
  }

  async findRecordsWithWords(namespace: string, groups: readonly (readonly string[])[], limit: number) {
    return this.atomic(() => {
      const wanted = groups.map((g) => g.flatMap(searchWords)).filter((g) => g.length > 0);
      return [...this.d().records.values()]
        .filter((r) => r.namespace === namespace && r.status === 'active')
        .filter((r) => {
          const have = new Set(searchWords(r.text));
          return wanted.some((g) => g.every((w) => have.has(w)));
        })
        .sort(olderFirst)
        .slice(0, pageLimit(limit))
        .map(copy);
    });
  }

  async findRecordByTextKey(namespace: string, textKey: string) {
    return this.atomic(() => {
      const r = [...this.d().records.values()].find((x) => x.namespace === namespace && x.textKey === textKey && x.status === 'active');
      return r ? copy(r) : null;
    });
  }

  async findRecordByTopicKey(namespace: string, topicKey: string) {
    return this.atomic(() => {
      const r = [...this.d().records.values()].filter((x) => x.namespace === namespace && x.topicKey === topicKey && x.status === 'active').sort(newerFirst)[0];
      return r ? copy(r) : null;
    });
  }

  async deleteRecord(id: string) {
    return this.atomic((tx) => tx.delete(this.d().records, id));
  }

  async getCheckpoint(sessionId: string) {
    return this.atomic(() => {
      const cp = this.d().checkpoints.get(sessionId);
      return cp ? copy(cp) : null;
    });
  }

  async commitExtraction(input: { sessionId: string; expectedThroughSeq: number; throughSeq: number; now: number; dueAt: number | null; writes: RecordWrite[] }) {
    this.atomic((tx) => {
      const d = this.d();
      this.mustSession(input.sessionId);
      const cp = d.checkpoints.get(input.sessionId) ?? { tenantId: this.tenantId, sessionId: input.sessionId, throughSeq: 0, lastRunAt: null, lastError: null, dueAt: null };
      if (cp.throughSeq !== input.expectedThroughSeq) throw checkpointMovedError(input.sessionId, cp.throughSeq, input.expectedThroughSeq);
      for (const w of input.writes) {
        if (w.op === 'create') {
          this.putRecord(tx, w.record);
          continue;
        }
        const r = d.records.get(w.id);
        if (!r) throw new NotFoundError('memory record', w.id);
        let next: MemoryRecord;
        if (w.op === 'add_sources') next = { ...r, sourceEventIds: union(r.sourceEventIds, w.eventIds), updatedAt: w.now };
        else if (w.op === 'supersede') next = { ...r, status: 'superseded', supersededBy: w.by, updatedAt: w.now };
        else next = { ...r, text: w.text, textKey: w.textKey, sourceEventIds: union(r.sourceEventIds, w.eventIds), updatedAt: w.now };
        tx.set(d.records, r.id, next);
      }
      tx.set(d.checkpoints, input.sessionId, { ...cp, throughSeq: input.throughSeq, lastRunAt: input.now, lastError: null, dueAt: input.dueAt });
    });
  }

  async failExtraction(input: { sessionId: string; now: number; error: string; retryAt: number }) {
    this.atomic((tx) => {
      const d = this.d();
      this.mustSession(input.sessionId);
      const cp = d.checkpoints.get(input.sessionId) ?? { tenantId: this.tenantId, sessionId: input.sessionId, throughSeq: 0, lastRunAt: null, lastError: null, dueAt: null };
      tx.set(d.checkpoints, input.sessionId, { ...cp, lastRunAt: input.now, lastError: input.error, dueAt: input.retryAt });
    });
  }

  async scheduleExtraction(sessionId: string, at: number) {
    this.atomic((tx) => {
      this.mustSession(sessionId);
      this.markDue(tx, sessionId, at, 'earliest');
    });
  }

  // ---- reports and inbox ----

  async listReports(investigationId: string, opts?: ListOptions) {
    return this.atomic(() => {
      const sorted = [...this.d().reports.values()].filter((r) => r.investigationId === investigationId).sort(newerFirst);
      if (opts?.order === 'asc') sorted.reverse();
      return sorted.slice(0, listLimit(opts)).map(copy);
    });
  }

  async getReport(id: string) {
    return this.atomic(() => {
      const r = this.d().reports.get(id);
      return r ? copy(r) : null;
    });
  }

  async listInbox(q: { investigationIds?: readonly string[]; limit: number; cursor?: string | null }): Promise<Page<InboxItem>> {
    return this.atomic(() => {
      const all = [...this.d().inbox.values()].filter((i) => !q.investigationIds || q.investigationIds.includes(i.investigationId)).sort(newerFirst);
      return pageDesc(all, 'inbox', q.limit, q.cursor);
    });
  }
}

/** A newest-first keyset page over (createdAt, id). */
function pageDesc<T extends { createdAt: number; id: string }>(sorted: T[], tag: string, limit: number, cursor: string | null | undefined): Page<T> {
  const n = pageLimit(limit);
  let rest = sorted;
  if (cursor) {
    const [c, id] = decodeCursor(tag, cursor, ['number', 'string'] as const);
    rest = sorted.filter((x) => x.createdAt < c || (x.createdAt === c && x.id < id));
  }
  const items = rest.slice(0, n);
  const last = items[items.length - 1];
  return { items: items.map(copy), total: sorted.length, nextCursor: rest.length > n && last ? encodeCursor(tag, [last.createdAt, last.id]) : null };
}

const union = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])];

