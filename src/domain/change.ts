/**
 * What changed, for resource subscriptions (`notifications/resources/updated`) and the
 * worker runtime's nudge. Every change names its tenant: subscribers hear only their
 * own tenant's changes. Changes cross processes through the store's change log, so
 * they are plain JSON.
 */
export type Change =
  | { type: 'investigation'; tenantId: string; id: string }
  /** Tasks of an investigation were created or became runnable: what workers follow. */
  | { type: 'tasks'; tenantId: string; investigationId: string }
  | { type: 'session'; tenantId: string; id: string }
  | { type: 'report'; tenantId: string; investigationId: string }
  | { type: 'inbox'; tenantId: string }
  | { type: 'memory'; tenantId: string; namespace: string };

export type ChangeType = Change['type'];

/** The string fields each change type carries besides `type` and `tenantId`. */
const FIELDS: Record<ChangeType, readonly string[]> = {
  investigation: ['id'],
  tasks: ['investigationId'],
  session: ['id'],
  report: ['investigationId'],
  inbox: [],
  memory: ['namespace'],
};

/**
 * True when `value` is a well-formed Change. Changes read back from the change log may
 * have been written by another process (another version of longhaul, even): a row
 * that is not a change this version knows is skipped, never emitted half-understood.
 */
export function isChange(value: unknown): value is Change {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  const fields = typeof v.type === 'string' && Object.hasOwn(FIELDS, v.type) ? FIELDS[v.type as ChangeType] : null;
  if (!fields || typeof v.tenantId !== 'string' || v.tenantId === '') return false;
  return fields.every((f) => typeof v[f] === 'string');
}
