import type { EventKind, EventRole, NewEvent } from '../domain/event.js';
import type { RuntimeDeps } from './deps.js';

/** Builds an unnumbered event with id, timestamp and retention expiry. */
export function makeEvent(
  d: Pick<RuntimeDeps, 'clock' | 'ids' | 'settings'>,
  e: { tenantId: string; actorId: string; sessionId: string | null; investigationId: string | null; role: EventRole; kind: EventKind; text: string; data?: unknown },
): NewEvent {
  const now = d.clock.now();
  return {
    id: d.ids('evt'),
    tenantId: e.tenantId,
    sessionId: e.sessionId,
    investigationId: e.investigationId,
    actorId: e.actorId,
    role: e.role,
    kind: e.kind,
    text: e.text,
    data: e.data ?? null,
    createdAt: now,
    expiresAt: now + d.settings.eventRetentionMs,
  };
}
