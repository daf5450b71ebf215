/**
 * An erasure receipt: the proof that a person's data (`forget_actor`, `longhaul erase`) or
 * one event (`forget_event`) was erased, kept after the data is gone. It says what was
 * erased (ids and counts), when and by whom — never any of the erased content.
 */
export interface ErasureReceipt {
  /** `era_…` */
  id: string;
  tenantId: string;
  /** What was asked: everything of one actor, or one event and what was derived from it. */
  subject: { kind: 'actor'; actorId: string } | { kind: 'event'; eventId: string };
  /** Who asked: the caller's actor id, or `cli:<user>` for `longhaul erase`. */
  requestedBy: string;
  createdAt: number;
  counts: ErasureCounts;
}

/** How much an erasure removed or rewrote, by kind. */
export interface ErasureCounts {
  /** Short-term events deleted from the store. */
  events: number;
  /** Long-term records deleted (no source left, or in the actor's private namespaces). */
  recordsDeleted: number;
  /** Records kept with their remaining sources (erased sources dropped, text re-derived when it came from an erased event). */
  recordsRevised: number;
  /** Session summaries rewritten from the events that remain. */
  summariesRewritten: number;
  /** Change-log rows and kv entries that named what was erased. */
  changeLogRows: number;
  kvEntries: number;
  /** Events and records deleted from an external memory (AgentCore); 0 with the store's own memory. */
  memoryEvents: number;
  memoryRecords: number;
}

export const EMPTY_ERASURE_COUNTS: ErasureCounts = {
  events: 0,
  recordsDeleted: 0,
  recordsRevised: 0,
  summariesRewritten: 0,
  changeLogRows: 0,
  kvEntries: 0,
  memoryEvents: 0,
  memoryRecords: 0,
};
