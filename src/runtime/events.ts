import { EVENT_KINDS, MAX_EVENT_DATA_BYTES, MAX_EVENT_TEXT, type EventKind, type EventRole } from '../domain/event.js';
import { InvalidInputError, IllegalTransitionError, NotFoundError } from '../domain/errors.js';
import { assertId } from '../domain/ids.js';
import { Lru } from '../lru.js';
import type { Caller, RuntimeDeps } from './deps.js';
import { makeEvent } from './event-factory.js';
import type { Investigations } from './investigations.js';
import { jsonSize } from './limits.js';
import type { Sessions } from './sessions.js';
import { eventView, sessionView, showing } from './views.js';

/** How many (tenant, actor, investigation) → live supervisor session ids `Events` remembers. */
const LIVE_SESSIONS_REMEMBERED = 1_024;

/** `record_event` and reading short-term memory. */
export class Events {
  /**
   * The live supervisor session last recorded in, per (tenant, actor, investigation): a
   * hint that saves the lookup on the common path. It is never trusted: the append
   * itself refuses a terminated session in the same store step, and the call then
   * falls back to looking the session up (and opening one if none is live).
   */
  private readonly liveSessions = new Lru<string, string>(LIVE_SESSIONS_REMEMBERED);

  constructor(
    private readonly d: RuntimeDeps,
    private readonly investigations: Investigations,
    private readonly sessions: Sessions,
  ) {}

  async record(caller: Caller, input: { sessionId?: string; investigationId?: string; role: EventRole; kind?: EventKind; text: string; data?: unknown }) {
    if (!input.sessionId && !input.investigationId) {
      throw new InvalidInputError('Give either sessionId (a session you hold) or investigationId (records in your supervisor session on it).');
    }
    const kind = input.kind ?? 'message';
    if (!EVENT_KINDS.includes(kind)) throw new InvalidInputError(`kind must be one of ${EVENT_KINDS.join(', ')}.`);
    if (typeof input.text !== 'string' || input.text.trim() === '') throw new InvalidInputError('text is empty; an event needs text.');
    if (input.text.length > MAX_EVENT_TEXT) {
      throw new InvalidInputError(`text is ${input.text.length} characters; the limit is ${MAX_EVENT_TEXT}. Split it into several events or put structured detail in data.`);
    }
    const dataBytes = input.data === undefined ? 0 : jsonSize(input.data, 'data');
    if (dataBytes > MAX_EVENT_DATA_BYTES) {
      throw new InvalidInputError(`data is ${dataBytes} bytes of JSON; the limit is ${MAX_EVENT_DATA_BYTES}.`);
    }
    const event = (sessionId: string, investigationId: string | null) =>
      makeEvent(this.d, { tenantId: caller.tenantId, actorId: caller.actorId, sessionId, investigationId, role: input.role, kind, text: input.text, data: input.data });
    // The whole call is one store step: append and touch the session (active for just
    // this step, idle after), instead of begin-work, append, end-work.
    const appendTo = async (sessionId: string, investigationId: string | null) => {
      const r = await this.d.store.tenant(caller.tenantId).appendToSession(sessionId, [event(sessionId, investigationId)], this.d.clock.now());
      this.d.feed.publish({ type: 'session', tenantId: caller.tenantId, id: sessionId });
      if (investigationId) this.d.feed.publish({ type: 'investigation', tenantId: caller.tenantId, id: investigationId });
      return { event: eventView(r.events[0]!), sessionId };
    };
    if (input.sessionId) {
      assertId(input.sessionId, 'ses', 'sessionId');
      const s = await this.sessions.held(caller, input.sessionId);
      if (input.investigationId && s.investigationId !== input.investigationId) {
        throw new InvalidInputError(`Session ${s.id} does not belong to investigation ${input.investigationId}; give one of them.`);
      }
      if (s.status === 'terminated') {
        throw new IllegalTransitionError('session', 'terminated', 'active', `Session ${s.id} ended (${s.terminationReason}); record on the investigation instead (investigationId), which uses your live session.`);
      }
      return appendTo(s.id, s.investigationId);
    }
    const investigationId = assertId(input.investigationId!, 'inv', 'investigationId');
    // A live session of the caller's on it proves the investigation exists in this
    // tenant and is open (closing terminates its sessions in the same step): the
    // common case is then one write (the remembered session) or one read and one write.
    const key = `${caller.tenantId}\u0000${caller.actorId}\u0000${investigationId}`;
    const remembered = this.liveSessions.get(key);
    if (remembered) {
      try {
        return await appendTo(remembered, investigationId);
      } catch (e) {
        this.liveSessions.delete(key);
        // Terminated since (a sweep, a close, a resume elsewhere) or gone: look again.
        if (!(e instanceof IllegalTransitionError) && !(e instanceof NotFoundError)) throw e;
      }
    }
    const live = await this.sessions.liveSupervisorSession(caller, investigationId);
    if (live) {
      try {
        const r = await appendTo(live.id, investigationId);
        this.liveSessions.set(key, live.id);
        return r;
      } catch (e) {
        // Terminated between the read and the append (a sweep won): use a new session.
        if (!(e instanceof IllegalTransitionError)) throw e;
      }
    }
    const inv = await this.investigations.load(caller, investigationId);
    this.investigations.assertOpen(inv);
    const r = await this.investigations.inSupervisorSession(caller, inv, (sessionId) => appendTo(sessionId, inv.id));
    this.liveSessions.set(key, r.sessionId);
    return r;
  }

  /** A page of a session's events (the `…/events` resource). */
  async sessionEvents(caller: Caller, sessionId: string, page: { limit?: number; cursor?: string | null }) {
    assertId(sessionId, 'ses', 'sessionId');
    const s = await this.sessions.get(caller, sessionId);
    const limit = Math.min(Math.max(page.limit ?? 100, 1), 500);
    const p = await this.d.store.tenant(caller.tenantId).listEvents({ sessionId: s.id, limit, cursor: page.cursor ?? null });
    return { session: sessionView(s), events: p.items.map((e) => eventView(visibleTo(caller, e))), total: p.total, nextCursor: p.nextCursor, showing: showing(p.items.length, p.total, 'events') };
  }

  /**
   * A page of an investigation's timeline: every event of all its sessions, in order
   * (`order: 'desc'`: newest first, as the web view pages it; the cursor continues that order).
   */
  async timeline(caller: Caller, investigationId: string, page: { limit?: number; cursor?: string | null; order?: 'asc' | 'desc' }) {
    const inv = await this.investigations.load(caller, investigationId);
    const limit = Math.min(Math.max(page.limit ?? 200, 1), 500);
    const p = await this.d.store.tenant(caller.tenantId).listEvents({ investigationId: inv.id, limit, cursor: page.cursor ?? null, ...(page.order === 'desc' ? { order: 'desc' as const } : {}) });
    return { investigationId: inv.id, subject: inv.subject, events: p.items.map((e) => eventView(visibleTo(caller, e))), total: p.total, nextCursor: p.nextCursor, showing: showing(p.items.length, p.total, 'events') };
  }
}

/**
 * An event as `caller` may see it. A preference is an actor's private memory (its
 * long-term records live in `actors/{actorId}/…`, which only that actor reads), so in a
 * shared timeline another actor's preference keeps its place — the order and the totals
 * stay true — but not its content.
 */
export function visibleTo<E extends { kind: string; actorId: string; text: string; data: unknown }>(caller: Caller, e: E): E {
  if (e.kind !== 'preference' || e.actorId === caller.actorId) return e;
  return { ...e, text: `(a preference of ${e.actorId}: private to them)`, data: null };
}
