import { IllegalTransitionError, NotFoundError } from '../domain/errors.js';
import { sessionDueAt, type Session, type SessionKind, type TerminationReason } from '../domain/session.js';
import type { Caller, RuntimeDeps } from './deps.js';

/**
 * Runtime sessions: creation with the configured timeouts, and the "touch" every tool
 * call does (active while it runs, idle after).
 */
export class Sessions {
  constructor(private readonly d: RuntimeDeps) {}

  /** A new session row (not yet stored): active with one operation in flight. */
  build(caller: Caller, init: { kind: SessionKind; investigationId: string | null; role?: string | null; taskId?: string | null }): Session {
    const now = this.d.clock.now();
    const s: Session = {
      id: this.d.ids('ses'),
      tenantId: caller.tenantId,
      actorId: caller.actorId,
      kind: init.kind,
      role: init.role ?? null,
      investigationId: init.investigationId,
      taskId: init.taskId ?? null,
      status: 'active',
      terminationReason: null,
      startedAt: now,
      lastActivityAt: now,
      terminatedAt: null,
      idleTimeoutMs: this.d.settings.idleTimeoutMs,
      maxDurationMs: this.d.settings.maxSessionDurationMs,
      inflight: 1,
      dueAt: null,
      version: 1,
    };
    s.dueAt = sessionDueAt(s);
    return s;
  }

  async get(caller: Caller, id: string): Promise<Session> {
    const s = await this.d.store.tenant(caller.tenantId).getSession(id);
    if (!s) throw new NotFoundError('session', id);
    return s;
  }

  /**
   * A session the caller holds — started by the same actor (a worker's session is held by
   * its worker actor) — to write into. Another actor's session reads exactly like one
   * that does not exist, as another tenant's does: the refusal tells nothing about it.
   * Reading stays shared within the tenant (`get`).
   */
  async held(caller: Caller, id: string): Promise<Session> {
    const s = await this.d.store.tenant(caller.tenantId).getSession(id);
    if (!s || s.actorId !== caller.actorId) throw new NotFoundError('session you hold', id, 'record_event takes a session you started; give investigationId instead to record in your own supervisor session on it');
    return s;
  }

  /** The caller's live (not terminated) supervisor session on an investigation, if any. */
  async liveSupervisorSession(caller: Caller, investigationId: string): Promise<Session | null> {
    const [live] = await this.d.store.tenant(caller.tenantId).listSessions({ investigationId, actorId: caller.actorId, kind: 'supervisor', live: true, limit: 1 });
    return live ?? null;
  }

  /**
   * Runs `fn` with the session marked active; marks it idle (when nothing else is in
   * flight) afterwards, even when `fn` throws. Throws IllegalTransitionError (before
   * running `fn`) when the session is terminated.
   */
  async withWork<T>(caller: Caller, sessionId: string, fn: (s: Session) => Promise<T>): Promise<T> {
    const s = await this.d.store.tenant(caller.tenantId).beginWork(sessionId, this.d.clock.now());
    this.d.feed.publish({ type: 'session', tenantId: caller.tenantId, id: sessionId });
    try {
      return await fn(s);
    } finally {
      await this.endWork(caller, sessionId);
    }
  }

  /** Marks a session active, or returns null when it has terminated meanwhile. */
  async tryBegin(caller: Caller, sessionId: string): Promise<Session | null> {
    try {
      const s = await this.d.store.tenant(caller.tenantId).beginWork(sessionId, this.d.clock.now());
      this.d.feed.publish({ type: 'session', tenantId: caller.tenantId, id: sessionId });
      return s;
    } catch (e) {
      if (e instanceof IllegalTransitionError) return null;
      throw e;
    }
  }

  /**
   * A short read on a session: keeps it alive without marking it active and idle around
   * the read. One store step that writes only when the activity is not recent
   * (`touchIsDue`): a burst of reads writes the session once. A terminated session is
   * left alone (the read goes on). Says whether the session was written.
   */
  async touch(caller: Caller, sessionId: string): Promise<boolean> {
    const now = this.d.clock.now();
    try {
      const r = await this.d.store.tenant(caller.tenantId).appendToSession(sessionId, [], now);
      const written = r.session.lastActivityAt === now;
      if (written) this.d.feed.publish({ type: 'session', tenantId: caller.tenantId, id: sessionId });
      return written;
    } catch (e) {
      if (e instanceof IllegalTransitionError) return false;
      throw e;
    }
  }

  /** Ends one operation on a session (see withWork); used after creating a session in-flight. */
  async endWork(caller: Caller, sessionId: string): Promise<void> {
    try {
      await this.d.store.tenant(caller.tenantId).endWork(sessionId, this.d.clock.now());
      this.d.feed.publish({ type: 'session', tenantId: caller.tenantId, id: sessionId });
    } catch (e) {
      // The session may have been terminated meanwhile (closed investigation); that is fine.
      this.d.logger.debug('endWork skipped', { tenantId: caller.tenantId, sessionId, error: (e as Error).message });
    }
  }

  async terminate(caller: Caller, id: string, reason: TerminationReason): Promise<Session | null> {
    const s = await this.d.store.tenant(caller.tenantId).terminateSession(id, reason, this.d.clock.now());
    // The store made its final extraction due in the same step.
    if (s) this.d.feed.publish({ type: 'session', tenantId: caller.tenantId, id });
    return s;
  }
}
