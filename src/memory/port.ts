import type { MemoryEvent } from '../domain/event.js';
import type { MemoryRecord, RecordStatus, ScoredRecord } from '../domain/record.js';
import type { Page } from '../store/port.js';

/**
 * The memory port: long-term records (read, list, search, forget) and the short-term
 * events as the memory holds them. Two adapters pass the same contract suite
 * (test/memory/contract/):
 *
 * - `store` (./adapters/store.ts): memory lives in the work store (LONGHAUL_STORE), as it
 *   always did. Events and records are written by the work store's own steps; nothing
 *   goes through the outbox.
 * - `agentcore` (./adapters/agentcore/): AWS Bedrock AgentCore Memory through
 *   `@aws-sdk/client-bedrock-agentcore`. The work store stays the source of truth for
 *   the investigation timeline; every event it appends is also written, in the same
 *   store step, to the store's outbox (`memory_outbox`), and the outbox job ships it
 *   with `deliver` (CreateEvent, with a clientToken so a retry is never stored twice).
 *   With `extraction: 'longhaul'` longhaul's strategies extract as before (their records
 *   kept in the store, where consolidation reads them) and each record change is shipped
 *   the same way (BatchCreateMemoryRecords / BatchUpdateMemoryRecords /
 *   DeleteMemoryRecord); with `extraction: 'agentcore'` AgentCore's own strategies
 *   extract and longhaul only reads.
 *
 * Tenant scope is structural, as in the store: tenant data is reachable only through
 * `tenant(id)`. On AgentCore the tenant is the `actorId` of every call (so IAM's
 * `bedrock-agentcore:actorId` condition isolates tenants) and every namespace is under
 * the tenant's root; the acting person goes into metadata.
 */
export interface MemoryPort {
  readonly kind: 'store' | 'agentcore';
  /** Human-readable location for logs and `longhaul status` (e.g. `agentcore:mem-… (us-east-1)`). */
  readonly location: string;
  /** Who extracts long-term records: longhaul's strategies, or AgentCore's own (agentcore only). */
  readonly extraction: 'longhaul' | 'agentcore';
  /** True when events and record changes reach this memory through the work store's outbox. */
  readonly usesOutbox: boolean;
  tenant(tenantId: string): TenantMemory;
  /**
   * Delivers outbox entries, in order (the outbox job calls this with a claimed batch).
   * One result per entry: `ok` once the memory holds it (a replay of a delivered entry
   * is `ok` too: clientTokens make delivery idempotent); `retryable` for throttling,
   * 5xx and network errors (the entry is retried with backoff), not for a request the
   * service refuses (that entry is parked with its error, visible in `longhaul status`).
   */
  deliver(entries: readonly OutboxEntry[]): Promise<DeliveryResult[]>;
  close(): Promise<void>;
}

export interface TenantMemory {
  readonly tenantId: string;
  /** One record of this tenant by id (a longhaul `rec_…` id, or an AgentCore memoryRecordId); null when absent. */
  getRecord(id: string): Promise<MemoryRecord | null>;
  /** Records under a namespace prefix (segment-wise), newest first, paged; `totalCap` as the store's listRecords. */
  listRecords(q: { namespacePrefix: string; status?: RecordStatus; limit: number; cursor?: string | null; totalCap?: number }): Promise<Page<MemoryRecord>>;
  /** Ranked search within a namespace prefix (or the whole tenant), at most topK. Superseded records only when asked. */
  searchRecords(q: { query: string; namespacePrefix?: string; includeSuperseded?: boolean; topK: number }): Promise<ScoredRecord[]>;
  /** Deletes one record of this tenant. False when absent. */
  deleteRecord(id: string): Promise<boolean>;
  /**
   * A memory session's events as the memory holds them (oldest first), paged. The memory
   * session of an event is `memorySessionOf(event)`: its investigation when it has one
   * (on AgentCore one investigation is one AgentCore session, so AgentCore's summary and
   * episodic strategies summarise the investigation), else its runtime session.
   */
  listEvents(q: { sessionId: string; limit: number; cursor?: string | null }): Promise<Page<MemoryEvent>>;
  /** One event of this tenant's memory session; null when absent. */
  getEvent(sessionId: string, eventId: string): Promise<MemoryEvent | null>;
  /** Deletes one event from the memory. False when absent. */
  deleteEvent(sessionId: string, eventId: string): Promise<boolean>;
}

/** What an outbox entry asks the memory to do. */
export type OutboxOp =
  /** Store this event (CreateEvent). */
  | { op: 'event'; event: MemoryEvent }
  /** Create or update these records (longhaul extraction): BatchCreate for new ids, BatchUpdate for known ones. */
  | { op: 'records'; records: MemoryRecord[] }
  /** Delete this record (forget_memory, or consolidation removing it). */
  | { op: 'delete_record'; recordId: string }
  /** Delete this event of the memory session (forget_event, forget_actor); absent is done. */
  | { op: 'delete_event'; sessionId: string; eventId: string };

/** One entry of the work store's outbox, as the outbox job claims it. */
export interface OutboxEntry {
  /** Store-assigned, increasing: entries are shipped in this order. */
  id: number;
  tenantId: string;
  /** Stable across retries (sent as the AWS clientToken): a retried entry is stored once. */
  clientToken: string;
  op: OutboxOp;
  /** Delivery attempts before this one. */
  attempts: number;
  createdAt: number;
}

/**
 * `attempted: false` (default true) marks an entry the memory did not send at all (a
 * client-side rate limit, or an earlier entry of its tenant failed and order is kept):
 * it is deferred briefly without counting an attempt, so a backlog is not pushed into
 * ever longer backoff by its own size.
 */
export type DeliveryResult = { id: number; ok: true } | { id: number; ok: false; retryable: boolean; error: string; attempted?: boolean };

/** The memory session an event belongs to: its investigation, else its runtime session (see TenantMemory.listEvents). */
export function memorySessionOf(event: Pick<MemoryEvent, 'investigationId' | 'sessionId' | 'id'>): string {
  return event.investigationId ?? event.sessionId ?? event.id;
}
