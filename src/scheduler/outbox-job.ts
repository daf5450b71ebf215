import type { MemoryPort, OutboxEntry } from '../memory/port.js';
import type { RuntimeDeps } from '../runtime/deps.js';
import type { Job } from './job.js';

export interface OutboxSettings {
  /** Entries claimed per pass. */
  batch: number;
  /** How long a claim is held: a process that dies mid-delivery frees its entries after this. */
  leaseMs: number;
  /** First retry delay of a failed entry; doubles per attempt up to maxRetryMs. */
  retryBaseMs: number;
  maxRetryMs: number;
}

export const DEFAULT_OUTBOX: OutboxSettings = { batch: 100, leaseMs: 60_000, retryBaseMs: 2_000, maxRetryMs: 15 * 60_000 };

/**
 * Ships the store's memory outbox to an external memory (AgentCore): claims due entries
 * (leased to this process), hands them to the memory in order, and settles each — a
 * delivered entry is removed; a throttled, 5xx or network failure is retried with
 * backoff (the entry keeps its clientToken, so a delivery that did land before the
 * failure is not stored twice), and its tenant's later entries of the batch come due no
 * earlier than it does, so they stay behind it; an entry the memory refuses is parked with its error
 * (`longhaul status` shows it). Nothing is dropped: an entry leaves the outbox only
 * when the memory holds it, or when what it pointed at no longer exists.
 */
export function outboxJob(d: Pick<RuntimeDeps, 'store' | 'clock' | 'logger'>, memory: MemoryPort, intervalMs: number, owner: string, settings: Partial<OutboxSettings> = {}): Job {
  const s = { ...DEFAULT_OUTBOX, ...settings };
  const backoff = (attempts: number) => Math.min(s.maxRetryMs, s.retryBaseMs * 2 ** Math.min(attempts, 20));
  return {
    name: 'memory-outbox',
    intervalMs,
    async run() {
      const now = d.clock.now();
      const entries = await d.store.claimOutbox(now, owner, s.leaseMs, s.batch);
      if (entries.length === 0) return { processed: 0, more: false };
      let results: Awaited<ReturnType<MemoryPort['deliver']>>;
      try {
        results = await memory.deliver(entries);
      } catch (e) {
        // The memory could not even be asked (a bug or a dead client): everything is retried.
        const error = e instanceof Error ? e.message : String(e);
        results = entries.map((x) => ({ id: x.id, ok: false as const, retryable: true, error }));
      }
      const byId = new Map(entries.map((x) => [x.id, x] as const));
      const delivered: number[] = [];
      const failed: Array<{ id: number; error: string; retryAt: number | null }> = [];
      const deferred: Array<{ id: number; retryAt: number }> = [];
      const answered = new Set<number>();
      // Per tenant, the latest retry time of an entry that failed and will be retried: the
      // memory did not send that tenant's later entries so that they arrive after it, and
      // they must not come due before it either (a blocked entry deferred by retryBaseMs
      // would otherwise be claimed, and delivered, ahead of its blocker in its backoff).
      const blockedUntil = new Map<string, number>();
      for (const r of [...results].sort((a, b) => a.id - b.id)) {
        const entry = byId.get(r.id);
        if (!entry || answered.has(r.id)) continue;
        answered.add(r.id);
        const at = d.clock.now();
        const after = blockedUntil.get(entry.tenantId) ?? 0;
        if (r.ok) delivered.push(r.id);
        else if (r.retryable && r.attempted === false) deferred.push({ id: r.id, retryAt: Math.max(at + s.retryBaseMs, after) });
        else {
          const retryAt = r.retryable ? Math.max(at + backoff(entry.attempts), after) : null;
          if (retryAt !== null) blockedUntil.set(entry.tenantId, retryAt);
          failed.push({ id: r.id, error: r.error, retryAt });
        }
      }
      const released = entries.filter((x) => !answered.has(x.id)).map((x) => x.id);
      await d.store.settleOutbox({ owner, delivered, failed, deferred, released });
      const parked = failed.filter((f) => f.retryAt === null);
      for (const f of parked) d.logger.error('memory refused an outbox entry; parked', { entry: f.id, ...describe(byId.get(f.id)!), error: f.error });
      if (failed.length > parked.length) d.logger.warn('memory delivery failed; will retry', { retrying: failed.length - parked.length, error: failed.find((f) => f.retryAt !== null)!.error });
      return {
        processed: delivered.length,
        // A full batch that all went through: more may be waiting.
        more: entries.length === s.batch && failed.length + deferred.length === 0,
        detail: { delivered: delivered.length, retrying: failed.length - parked.length, parked: parked.length, deferred: deferred.length, released: released.length },
      };
    },
  };
}

const describe = (e: OutboxEntry) => ({
  tenantId: e.tenantId,
  op: e.op.op,
  ref: e.op.op === 'event' ? e.op.event.id : e.op.op === 'records' ? e.op.records.map((r) => r.id).join(',') : e.op.op === 'delete_event' ? e.op.eventId : e.op.recordId,
  attempts: e.attempts + 1,
});
