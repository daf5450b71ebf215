import type { Memory } from '../memory/memory.js';
import type { RuntimeDeps } from '../runtime/deps.js';
import type { Job } from './job.js';

/** Sessions claimed per pass. Each is bounded by the extraction settings (batches per run). */
export const EXTRACTION_SESSIONS_PER_PASS = 50;
/** Events per pass across sessions: a pass never monopolises the process, the rest waits for the next. */
export const EXTRACTION_EVENTS_PER_PASS = 20_000;

/**
 * Memory extraction: sessions whose checkpoint is due (new events, or just terminated —
 * termination schedules them at once) are extracted from their checkpoint, earliest
 * due first. Idempotent: each batch commits with a compare-and-set on the checkpoint,
 * so a pass running twice (or on two instances) applies nothing twice. A failed
 * session is rescheduled with backoff and does not block the others.
 */
export function extractionJob(
  d: RuntimeDeps,
  memory: Memory,
  intervalMs: number,
  opts: {
    /** Sessions per pass; default EXTRACTION_SESSIONS_PER_PASS. */
    sessionsPerPass?: number;
    /**
     * The tenants this process extracts (null: all). Extraction may send events to this
     * process's model, so another tenant's sessions are left to a process serving it. A
     * function is asked on every pass (the set can grow while serving).
     */
    tenants?: readonly string[] | null | (() => readonly string[] | null);
  } = {},
): Job {
  const sessionsPerPass = opts.sessionsPerPass ?? EXTRACTION_SESSIONS_PER_PASS;
  const tenants = typeof opts.tenants === 'function' ? opts.tenants : () => opts.tenants as readonly string[] | null | undefined;
  return {
    name: 'extraction',
    intervalMs,
    async run() {
      const due = await d.store.dueExtractions(d.clock.now(), sessionsPerPass, tenants() ?? undefined);
      let events = 0;
      let sessions = 0;
      let budgetLeft = true;
      const failed: Array<{ sessionId: string; error: string }> = [];
      for (const cp of due) {
        if (events >= EXTRACTION_EVENTS_PER_PASS) {
          budgetLeft = false;
          break;
        }
        const run = await memory.extractSession(cp.tenantId, cp.sessionId);
        sessions++;
        events += run.events;
        if (run.status === 'failed') failed.push({ sessionId: cp.sessionId, error: run.error ?? 'unknown' });
        if (run.events > 0) d.logger.debug('extracted', { tenantId: cp.tenantId, sessionId: cp.sessionId, events: run.events, throughSeq: run.throughSeq, ...run.outcomes });
      }
      return { processed: sessions, more: due.length === sessionsPerPass || !budgetLeft, detail: { events, failed } };
    },
  };
}
