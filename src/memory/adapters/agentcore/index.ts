/**
 * The `agentcore` memory adapter: longhaul's memory port on AWS Bedrock AgentCore Memory
 * through `@aws-sdk/client-bedrock-agentcore`. The mapping (tenant → actorId, memory
 * session → sessionId, namespaces under `/tenants/{actorId}/`, metadata) is documented
 * and implemented in ./mapping.ts; reads are in ./tenant.ts; this file opens the client
 * and delivers outbox entries.
 *
 * Delivery (the outbox job calls `deliver` with a claimed batch):
 * - `event` → CreateEvent with the entry's clientToken (a replay is stored once). A
 *   retried entry (attempts > 0) first looks the event up by `lh_event_id`, so a retry
 *   after AgentCore's clientToken window still stores it once.
 * - `records` → each record is looked up by `lh_id` under the tenant's root; new ones go
 *   to BatchCreateMemoryRecords (requestIdentifier = the longhaul id), known ones to
 *   BatchUpdateMemoryRecords. A record AgentCore lists under `failedRecords`, or does
 *   not confirm, fails the entry: nothing is reported stored that is not.
 * - `delete_record` → found as above, then DeleteMemoryRecord; absent is success.
 * - `delete_event` → found by `lh_event_id` in its session, then DeleteEvent; absent is success.
 * Failures are judged by ./errors.ts: throttling, 5xx and network errors are retryable
 * (after the SDK's own retries); refusals are not and the entry is parked with the
 * service's message. After a retryable failure, the tenant's later entries in the batch
 * are not attempted (reported retryable) so a tenant's changes reach AgentCore in order.
 */
import {
  BatchCreateMemoryRecordsCommand,
  BatchUpdateMemoryRecordsCommand,
  BedrockAgentCoreClient,
  CreateEventCommand,
  DeleteMemoryRecordCommand,
  type BedrockAgentCoreClientConfig,
  type MemoryRecordOutput,
} from '@aws-sdk/client-bedrock-agentcore';
import { createHash } from 'node:crypto';
import type { Clock } from '../../../domain/clock.js';
import { InvalidInputError, StorageUnavailableError } from '../../../domain/errors.js';
import type { MemoryRecord } from '../../../domain/record.js';
import type { Logger } from '../../../logger.js';
import { memorySessionOf, type DeliveryResult, type MemoryPort, type OutboxEntry, type TenantMemory } from '../../port.js';
import { classify, isNotFound } from './errors.js';
import { AGENTCORE_RECORD_ID, LIMITS, actorIdOf, eventToAgentCore, isLonghaulRecordId, recordMetadata, sessionIdOf, toAgentCoreNamespace } from './mapping.js';
import { DEFAULT_RATE_LIMITS, RateLimiter, type RateLimits, type Sleep } from './rate-limit.js';
import { AgentCoreTenantMemory, type FoundRecord } from './tenant.js';

export { DEFAULT_RATE_LIMITS, type RateLimits } from './rate-limit.js';
export { actorIdOf, decodeId, encodeId, fromAgentCoreNamespace, toAgentCoreNamespace } from './mapping.js';

const MEMORY_ID = /^(arn:(aws|aws-cn|aws-us-gov):bedrock-agentcore:[a-z0-9-]+:[0-9]{12}:memory\/)?[a-zA-Z][a-zA-Z0-9-_]{0,99}-[a-zA-Z0-9]{10}$/;

export interface AgentCoreMemoryOptions {
  /** The AgentCore memory id (LONGHAUL_AGENTCORE_MEMORY_ID), or its ARN. */
  memoryId: string;
  /** AWS_REGION. */
  region: string;
  /** Endpoint override (AWS_ENDPOINT_URL_BEDROCK_AGENTCORE); tests point it at the local stub. */
  endpoint?: string;
  /** Static credentials or a provider; default: the SDK's default credential chain. */
  credentials?: BedrockAgentCoreClientConfig['credentials'];
  /** Who extracts long-term records (LONGHAUL_AGENTCORE_EXTRACTION). */
  extraction: 'longhaul' | 'agentcore';
  /** A ready client (its region, endpoint, credentials and retries are then its own); closed by its owner. */
  client?: BedrockAgentCoreClient;
  logger: Logger;
  clock: Clock;
  /** The SDK's attempts per request, the first included (default 3). */
  maxAttempts?: number;
  /** The SDK's retry mode (default `adaptive`: client-side throttling on top of backoff). */
  retryMode?: 'standard' | 'adaptive';
  /** Client-side rate limits under AgentCore's quotas (defaults: DEFAULT_RATE_LIMITS). */
  rate?: Partial<RateLimits>;
  /** How the rate limiter waits (default setTimeout; tests advance a fake clock). */
  sleep?: Sleep;
}

/**
 * Opens AgentCore Memory as longhaul's memory. Nothing is sent until the first call;
 * a wrong memory id, region or permission shows on the first delivery or read.
 */
export function openAgentCoreMemory(opts: AgentCoreMemoryOptions): MemoryPort {
  if (!MEMORY_ID.test(opts.memoryId)) {
    throw new InvalidInputError(`LONGHAUL_AGENTCORE_MEMORY_ID "${opts.memoryId}" is not an AgentCore memory id (name-XXXXXXXXXX, as create-memory returns it, or its ARN).`);
  }
  const owned = !opts.client;
  const client =
    opts.client ??
    new BedrockAgentCoreClient({
      region: opts.region,
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
      maxAttempts: opts.maxAttempts ?? 3,
      retryMode: opts.retryMode ?? 'adaptive',
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
    });
  const limiter = new RateLimiter({ ...DEFAULT_RATE_LIMITS, ...opts.rate }, opts.clock, opts.sleep);
  const logger = opts.logger.child({ component: 'agentcore-memory', memoryId: opts.memoryId });
  const ctx = { client, memoryId: opts.memoryId, logger };
  const tenants = new Map<string, AgentCoreTenantMemory>();

  const tenant = (tenantId: string): AgentCoreTenantMemory => {
    let t = tenants.get(tenantId);
    if (!t) {
      t = new AgentCoreTenantMemory(ctx, tenantId, actorIdOf(tenantId));
      if (tenants.size >= 10_000) tenants.clear();
      tenants.set(tenantId, t);
    }
    return t;
  };

  async function deliverEvent(entry: OutboxEntry & { op: { op: 'event' } }): Promise<void> {
    const event = entry.op.event;
    if (event.tenantId !== entry.tenantId) throw new InvalidInputError(`outbox entry ${entry.id}: event ${event.id} belongs to another tenant.`);
    const t = tenant(entry.tenantId);
    const sessionId = sessionIdOf(memorySessionOf(event));
    const parts = eventToAgentCore(event);
    if (entry.attempts > 0 && (await t.findEvent(sessionId, event.id))) return; // stored by an earlier attempt
    if (!(await limiter.createEvent(t.actorId, sessionId))) {
      throw new NotSentError(`client-side rate limit: CreateEvent for session ${sessionId} would wait more than ${limiter.limits.maxWaitMs} ms; retried later.`);
    }
    const out = await client.send(
      new CreateEventCommand({
        memoryId: opts.memoryId,
        actorId: t.actorId,
        sessionId,
        eventTimestamp: new Date(event.createdAt),
        payload: parts.payload,
        metadata: parts.metadata,
        clientToken: entry.clientToken,
        // longhaul extracts itself: keep AgentCore's strategies (if the memory has any) off these events.
        ...(opts.extraction === 'longhaul' ? { extractionMode: 'SKIP' as const } : {}),
      }),
    );
    if (!out.event?.eventId) throw new StorageUnavailableError(`CreateEvent for event ${event.id} returned no event: not confirmed stored; retried.`);
  }

  async function deliverRecords(entry: OutboxEntry & { op: { op: 'records' } }): Promise<void> {
    const t = tenant(entry.tenantId);
    const creates: MemoryRecord[] = [];
    const updates: Array<{ record: MemoryRecord; found: FoundRecord }> = [];
    for (const r of entry.op.records) {
      if (r.tenantId !== entry.tenantId) throw new InvalidInputError(`outbox entry ${entry.id}: record ${r.id} belongs to another tenant.`);
      if (!isLonghaulRecordId(r.id) || r.id.length > LIMITS.requestIdentifier) throw new InvalidInputError(`outbox entry ${entry.id}: "${r.id}" is not a longhaul record id.`);
      toAgentCoreNamespace(t.actorId, r.namespace); // refuses a namespace AgentCore cannot hold, before anything is sent
      if (r.text.length === 0 || r.text.length > LIMITS.recordText) {
        throw new InvalidInputError(`outbox entry ${entry.id}: record ${r.id} has ${r.text.length} characters; an AgentCore memory record holds 1 to ${LIMITS.recordText}.`);
      }
      const found = await t.findRecord(r.id);
      if (found) updates.push({ record: r, found });
      else creates.push(r);
    }
    for (let i = 0; i < creates.length; i += LIMITS.batchRecords) {
      const batch = creates.slice(i, i + LIMITS.batchRecords);
      const records = batch.map((r) => ({
        requestIdentifier: r.id,
        namespaces: [toAgentCoreNamespace(t.actorId, r.namespace)],
        content: { text: r.text },
        timestamp: new Date(r.createdAt),
        metadata: recordMetadata(r),
      }));
      await recordTurn();
      // Stable for this entry and exactly these inputs: a replay of the same request is one
      // create, and a changed record (edited between attempts) is not refused as a mismatch.
      const out = await client.send(new BatchCreateMemoryRecordsCommand({ memoryId: opts.memoryId, records, clientToken: batchToken(entry.clientToken, records) }));
      checkBatch('BatchCreateMemoryRecords', batch.map((r) => r.id), out, (o) => o.requestIdentifier);
    }
    for (let i = 0; i < updates.length; i += LIMITS.batchRecords) {
      const batch = updates.slice(i, i + LIMITS.batchRecords);
      await recordTurn();
      const out = await client.send(
        new BatchUpdateMemoryRecordsCommand({
          memoryId: opts.memoryId,
          records: batch.map(({ record: r, found }) => ({
            memoryRecordId: found.memoryRecordId,
            timestamp: new Date(r.updatedAt),
            content: { text: r.text },
            namespaces: [toAgentCoreNamespace(t.actorId, r.namespace)],
            sourceNamespaces: [found.agentCoreNamespace],
            metadata: recordMetadata(r),
          })),
        }),
      );
      checkBatch('BatchUpdateMemoryRecords', batch.map((u) => u.found.memoryRecordId), out, (o) => o.memoryRecordId);
    }
  }

  async function deliverDelete(entry: OutboxEntry & { op: { op: 'delete_record' } }): Promise<void> {
    const id = entry.op.recordId;
    if (!isLonghaulRecordId(id) && !AGENTCORE_RECORD_ID.test(id)) throw new InvalidInputError(`outbox entry ${entry.id}: "${id}" is not a record id.`);
    const found = await tenant(entry.tenantId).findRecord(id);
    if (!found) return; // already gone: deleting is idempotent
    await recordTurn();
    try {
      await client.send(new DeleteMemoryRecordCommand({ memoryId: opts.memoryId, memoryRecordId: found.memoryRecordId, namespace: found.agentCoreNamespace }));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async function recordTurn(): Promise<void> {
    if (!(await limiter.recordWrite())) {
      throw new NotSentError(`client-side rate limit: a record write would wait more than ${limiter.limits.maxWaitMs} ms; retried later.`);
    }
  }

  return {
    kind: 'agentcore',
    location: `agentcore:${opts.memoryId} (${opts.region})`,
    extraction: opts.extraction,
    usesOutbox: true,
    tenant: (tenantId: string): TenantMemory => tenant(tenantId),

    async deliver(entries: readonly OutboxEntry[]): Promise<DeliveryResult[]> {
      const results: DeliveryResult[] = [];
      const blockedBy = new Map<string, number>();
      for (const entry of entries) {
        const earlier = blockedBy.get(entry.tenantId);
        if (earlier !== undefined) {
          results.push({ id: entry.id, ok: false, retryable: true, attempted: false, error: `not attempted: outbox entry ${earlier} of this tenant failed first and is retried before it (order is kept).` });
          continue;
        }
        try {
          const op = entry.op;
          if (op.op === 'event') await deliverEvent({ ...entry, op });
          else if (op.op === 'records') await deliverRecords({ ...entry, op });
          else if (op.op === 'delete_record') await deliverDelete({ ...entry, op });
          else if (op.op === 'delete_event') await tenant(entry.tenantId).deleteEvent(op.sessionId, op.eventId); // absent is done
          else throw new InvalidInputError(`outbox entry ${entry.id}: unknown op.`);
          results.push({ id: entry.id, ok: true });
        } catch (err) {
          const c = classify(err);
          if (c.retryable) blockedBy.set(entry.tenantId, entry.id);
          logger.warn('agentcore memory: delivery failed', { entryId: entry.id, tenantId: entry.tenantId, op: entry.op.op, attempts: entry.attempts, retryable: c.retryable, error: c.message });
          results.push({ id: entry.id, ok: false, retryable: c.retryable, error: c.message, ...(err instanceof NotSentError ? { attempted: false } : {}) });
        }
      }
      return results;
    },

    async close() {
      tenants.clear();
      if (owned) client.destroy();
    },
  };
}

/** A clientToken for one batch of an entry: the entry's token and the request's records, hashed. */
function batchToken(entryToken: string, records: unknown): string {
  return createHash('sha256').update(entryToken).update('\u0000').update(JSON.stringify(records)).digest('hex');
}

/**
 * Every record asked for must come back SUCCEEDED; a failed one fails the entry —
 * retryable for throttling and 5xx error codes, not for a refusal — and one AgentCore
 * does not mention at all is "not confirmed" (retryable: the next attempt finds it if it
 * was stored after all).
 */
function checkBatch(
  op: string,
  asked: readonly string[],
  out: { successfulRecords?: MemoryRecordOutput[]; failedRecords?: MemoryRecordOutput[] },
  key: (o: MemoryRecordOutput) => string | undefined,
): void {
  const ok = new Set((out.successfulRecords ?? []).filter((o) => o.status !== 'FAILED').map(key));
  const failed = [...(out.failedRecords ?? []), ...(out.successfulRecords ?? []).filter((o) => o.status === 'FAILED')];
  const problems: string[] = [];
  let retryable = true;
  for (const f of failed) {
    const code = f.errorCode;
    if (!(code === undefined || code === 429 || code >= 500)) retryable = false;
    problems.push(`${key(f) ?? '?'}: ${code ?? ''} ${f.errorMessage ?? 'failed'}`.trim());
  }
  const failedKeys = new Set(failed.map(key));
  for (const id of asked) if (!ok.has(id) && !failedKeys.has(id)) problems.push(`${id}: not confirmed by AgentCore`);
  if (problems.length === 0) return;
  const message = `${op}: ${problems.length} of ${asked.length} records not stored (${problems.slice(0, 5).join('; ')}${problems.length > 5 ? '; …' : ''})`;
  throw retryable ? new StorageUnavailableError(message) : new InvalidInputError(message);
}

/** Nothing was sent: the client-side rate limit would have waited too long (deferred, no attempt counted). */
class NotSentError extends StorageUnavailableError {}
