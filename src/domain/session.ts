import { IllegalTransitionError } from './errors.js';

export type SessionStatus = 'active' | 'idle' | 'terminated';
export type TerminationReason = 'idle_timeout' | 'max_duration' | 'completed' | 'cancelled';
export type SessionKind = 'supervisor' | 'worker';

export interface Session {
  id: string;
  tenantId: string;
  actorId: string;
  kind: SessionKind;
  /** Worker role (`retrieval`, `compliance`, …); null for supervisor sessions. */
  role: string | null;
  investigationId: string | null;
  /** Task a worker session runs; null for supervisor sessions. */
  taskId: string | null;
  status: SessionStatus;
  terminationReason: TerminationReason | null;
  startedAt: number;
  /** Last moment work began, ended or heartbeated. The idle timeout runs from here. */
  lastActivityAt: number;
  terminatedAt: number | null;
  idleTimeoutMs: number;
  maxDurationMs: number;
  /** Operations in flight; the session is `active` while this is above zero. */
  inflight: number;
  /** When the lifecycle sweep must look at it next (indexed). Null once terminated. */
  dueAt: number | null;
  version: number;
}

/**
 * The transition table. `idle_timeout` is only reachable from `idle`: an `active`
 * session whose heartbeats stopped (its process died) is first returned to `idle`
 * as of its last heartbeat, then timed out.
 */
const TRANSITIONS: Record<SessionStatus, Partial<Record<SessionStatus, readonly TerminationReason[] | true>>> = {
  active: { active: true, idle: true, terminated: ['max_duration', 'completed', 'cancelled'] },
  idle: { active: true, idle: true, terminated: ['idle_timeout', 'max_duration', 'completed', 'cancelled'] },
  terminated: {},
};

export function canTransitionSession(from: SessionStatus, to: SessionStatus, reason?: TerminationReason): boolean {
  const rule = TRANSITIONS[from][to];
  if (!rule) return false;
  if (rule === true) return true;
  return reason !== undefined && rule.includes(reason);
}

export function assertSessionTransition(from: SessionStatus, to: SessionStatus, reason?: TerminationReason): void {
  if (!canTransitionSession(from, to, reason)) {
    const what = to === 'terminated' ? `${to} (${reason ?? 'no reason'})` : to;
    throw new IllegalTransitionError(
      'session',
      from,
      what,
      from === 'terminated' ? 'A terminated session never comes back; resume_investigation opens a new one.' : undefined,
    );
  }
}

/**
 * Does a short piece of work at `now` need to rewrite the session's activity? Not when
 * the session is already in the state the work leaves it in and its last activity is
 * within 1% of its idle timeout (9 s of 15 min): the idle deadline then moves by at most
 * that much, and a burst of calls does not rewrite the session row each time.
 */
export function touchIsDue(s: Pick<Session, 'status' | 'inflight' | 'lastActivityAt' | 'idleTimeoutMs'>, now: number): boolean {
  const after: SessionStatus = s.inflight > 0 ? 'active' : 'idle';
  return s.status !== after || now - s.lastActivityAt >= s.idleTimeoutMs / 100;
}

/** When the lifecycle sweep must next look at a session. */
export function sessionDueAt(s: Pick<Session, 'status' | 'lastActivityAt' | 'startedAt' | 'idleTimeoutMs' | 'maxDurationMs'>): number | null {
  if (s.status === 'terminated') return null;
  return Math.min(s.lastActivityAt + s.idleTimeoutMs, s.startedAt + s.maxDurationMs);
}

/**
 * What the lifecycle sweep should do with a session at `now`: terminate it (and why),
 * or nothing. An active session is still judged by its last heartbeat: a run that
 * stopped heartbeating is treated as idle since then.
 */
export function lifecycleVerdict(s: Session, now: number): TerminationReason | null {
  if (s.status === 'terminated') return null;
  if (now >= s.startedAt + s.maxDurationMs) return 'max_duration';
  if (now >= s.lastActivityAt + s.idleTimeoutMs) return 'idle_timeout';
  return null;
}

/**
 * A session changed by `patch`: one version more, and its due time recomputed. The
 * adapters write sessions only through this and the rules below.
 */
export function sessionWith(s: Session, patch: Partial<Session>): Session {
  const next = { ...s, ...patch, version: s.version + 1 };
  next.dueAt = sessionDueAt(next);
  return next;
}

/** Work begins (beginWork): one more in flight, `active`, activity now. Callers refuse a terminated session first. */
export const sessionWorkBegun = (s: Session, now: number): Session => sessionWith(s, { inflight: s.inflight + 1, status: 'active', lastActivityAt: now });

/** Work ends (endWork): one less in flight (not below 0), `idle` at zero, activity now. */
export function sessionWorkEnded(s: Session, now: number): Session {
  const inflight = Math.max(0, s.inflight - 1);
  return sessionWith(s, { inflight, status: inflight === 0 ? 'idle' : 'active', lastActivityAt: now });
}

/** A short piece of work done (appendToSession): activity now, `idle` unless other work is in flight. Applied only when touchIsDue. */
export const sessionTouched = (s: Session, now: number): Session => sessionWith(s, { status: s.inflight > 0 ? 'active' : 'idle', lastActivityAt: now });

/** A heartbeat: activity now, nothing else. */
export const sessionHeartbeat = (s: Session, now: number): Session => sessionWith(s, { lastActivityAt: now });

/** A session as termination leaves it: nothing in flight, never due again. */
export function terminatedSession(s: Session, reason: TerminationReason, now: number): Session {
  return { ...s, status: 'terminated', terminationReason: reason, terminatedAt: now, inflight: 0, dueAt: null, version: s.version + 1 };
}
