import type { MemoryEvent } from '../../domain/event.js';
import type { Session } from '../../domain/session.js';
import type { Model } from '../../runtime/model.js';

/** Longest record text a strategy writes (events allow 16,000; a record is a statement). */
export const MAX_RECORD_TEXT = 4_000;

/**
 * What a per-event strategy proposes: one statement from one event, in a namespace.
 * Consolidation decides whether it becomes a new record, adds its source to an
 * existing one, or supersedes an older record on the same topic.
 */
export interface Candidate {
  strategy: 'facts' | 'preferences';
  namespace: string;
  text: string;
  /** From the event's `data.key`: a newer statement on the same key supersedes the older. */
  topicKey: string | null;
  event: MemoryEvent;
}

export interface StrategyContext {
  /** The session being extracted (null if it no longer exists). */
  session: Session | null;
  /** A model to write prose with, or null: deterministic. */
  model: Model | null;
}

/** A per-event strategy: a batch of a session's events in, candidates out. */
export type EventStrategy = (events: readonly MemoryEvent[], ctx: StrategyContext) => Promise<Candidate[]>;
