export type EventRole = 'user' | 'assistant' | 'tool' | 'agent' | 'system';
export const EVENT_ROLES: readonly EventRole[] = ['user', 'assistant', 'tool', 'agent', 'system'];
export type EventKind = 'message' | 'finding' | 'fact' | 'preference' | 'signal' | 'status' | 'decision';
export const EVENT_KINDS: readonly EventKind[] = ['message', 'finding', 'fact', 'preference', 'signal', 'status', 'decision'];

/** Limits, stated in errors. */
export const MAX_EVENT_TEXT = 16_000;
export const MAX_EVENT_DATA_BYTES = 64_000;

/** Short-term memory: immutable, ordered per session. */
export interface MemoryEvent {
  id: string;
  tenantId: string;
  /** Store-assigned, strictly increasing per tenant; orders a session and a timeline. */
  seq: number;
  /** Null for investigation-level system events (a sweep's timeout, a signal from the CLI). */
  sessionId: string | null;
  investigationId: string | null;
  actorId: string;
  role: EventRole;
  kind: EventKind;
  text: string;
  data: unknown;
  createdAt: number;
  expiresAt: number;
}

/** An event before the store has numbered it. */
export type NewEvent = Omit<MemoryEvent, 'seq'>;
