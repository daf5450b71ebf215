import { iso } from '../domain/clock.js';
import { formatDuration } from '../domain/duration.js';
import type { MemoryEvent } from '../domain/event.js';
import type { Investigation } from '../domain/investigation.js';
import type { Session } from '../domain/session.js';
import type { Signal, Task, Wait } from '../domain/task.js';

/** JSON views of domain entities, as tools and resources return them (ISO timestamps). */
const isoOrNull = (t: number | null) => (t === null ? null : iso(t));

export const investigationView = (i: Investigation) => ({
  investigationId: i.id,
  subject: i.subject,
  objective: i.objective,
  status: i.status,
  outcome: i.outcome,
  summary: i.summary,
  openedBy: i.actorId,
  deadline: isoOrNull(i.deadline),
  /** When it was found still open past its deadline (null: not overdue). */
  overdueAt: isoOrNull(i.overdueAt),
  createdAt: iso(i.createdAt),
  updatedAt: iso(i.updatedAt),
  closedAt: isoOrNull(i.closedAt),
});
export type InvestigationView = ReturnType<typeof investigationView>;

/** The task's own resource: its full, unshortened result. */
export const taskUri = (investigationId: string, taskId: string) => `longhaul://investigations/${investigationId}/tasks/${taskId}`;

export const taskView = (t: Task) => ({
  taskId: t.id,
  uri: taskUri(t.investigationId, t.id),
  role: t.role,
  instructions: t.instructions,
  status: t.status,
  waitFor: t.waitFor ? { signal: t.waitFor.signal, timeout: formatDuration(t.waitFor.timeoutMs) } : null,
  attempts: t.attempts,
  result: t.result ?? null,
  /** True when a list view shortened `result`; `uri` holds it whole. */
  resultShortened: false,
  error: t.error,
  createdAt: iso(t.createdAt),
  updatedAt: iso(t.updatedAt),
  finishedAt: isoOrNull(t.finishedAt),
});
export type TaskView = ReturnType<typeof taskView>;

export const waitView = (w: Wait) => ({
  waitId: w.id,
  taskId: w.taskId,
  signal: w.signal,
  status: w.status,
  deadline: iso(w.deadline),
  resolvedAt: isoOrNull(w.resolvedAt),
  signalId: w.signalId,
});
export type WaitView = ReturnType<typeof waitView>;

/** One file of a signal, served whole (as text or a base64 blob) by its own resource. */
export const signalAttachmentUri = (investigationId: string, signalId: string, index: number) =>
  `longhaul://investigations/${investigationId}/signals/${signalId}/attachments/${index}`;

const PREVIEW = 500;
export const signalView = (s: Signal) => {
  const json = JSON.stringify(s.payload ?? null);
  return {
    signalId: s.id,
    name: s.name,
    receivedAt: iso(s.receivedAt),
    deliveredBy: s.actorId,
    idempotencyKey: s.idempotencyKey,
    payloadBytes: Buffer.byteLength(json, 'utf8'),
    payloadPreview: json.length > PREVIEW ? json.slice(0, PREVIEW) + '…' : json,
    attachments: (s.attachments ?? []).map((a) => ({
      name: a.name,
      mediaType: a.mediaType,
      size: a.size,
      sha256: a.sha256,
      uri: signalAttachmentUri(s.investigationId, s.id, a.index),
    })),
  };
};
export type SignalView = ReturnType<typeof signalView>;

export const sessionView = (s: Session) => ({
  sessionId: s.id,
  kind: s.kind,
  role: s.role,
  actorId: s.actorId,
  investigationId: s.investigationId,
  taskId: s.taskId,
  status: s.status,
  terminationReason: s.terminationReason,
  startedAt: iso(s.startedAt),
  lastActivityAt: iso(s.lastActivityAt),
  terminatedAt: isoOrNull(s.terminatedAt),
  idleTimeout: formatDuration(s.idleTimeoutMs),
  maxDuration: formatDuration(s.maxDurationMs),
  /** When the idle timeout would terminate it (if nothing happens before). */
  idleDeadline: s.status === 'terminated' ? null : iso(s.lastActivityAt + s.idleTimeoutMs),
  maxDeadline: iso(s.startedAt + s.maxDurationMs),
});
export type SessionView = ReturnType<typeof sessionView>;

export const eventView = (e: MemoryEvent) => ({
  eventId: e.id,
  seq: e.seq,
  sessionId: e.sessionId,
  investigationId: e.investigationId,
  actorId: e.actorId,
  role: e.role,
  kind: e.kind,
  text: e.text,
  data: e.data ?? null,
  createdAt: iso(e.createdAt),
});
export type EventView = ReturnType<typeof eventView>;

/**
 * How far a paged answer counts what matches (the store's `totalCap`): counting a tenant's
 * every investigation, record or inbox item — or an investigation's every finding — on
 * each page grows with the tenant. Past it, `total` is the cap and "showing" says "1,000+".
 */
export const COUNT_CAP = 1_000;

/** "showing X of Y" for every paged answer; `capped` (the Page's `totalCapped`) makes Y "Y+". */
export const showing = (n: number, total: number, what: string, capped = false) => `showing ${n} of ${total.toLocaleString('en-US')}${capped ? '+' : ''} ${what}`;
