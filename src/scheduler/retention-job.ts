import type { RuntimeDeps } from '../runtime/deps.js';
import type { Job } from './job.js';

/** Events deleted per pass: one bounded store step (a short SQLite transaction). */
export const RETENTION_BATCH = 1_000;

/**
 * Retention: deletes short-term events past their expiry — only those extraction has
 * already passed ("consolidate, then expire"; the store enforces it), so an event whose
 * extraction keeps failing is kept until it succeeds. Bounded per pass; the scheduler
 * runs more passes while a full batch says more is due. Idempotent.
 */
export function retentionJob(d: RuntimeDeps, intervalMs: number, batch = RETENTION_BATCH): Job {
  return {
    name: 'retention',
    intervalMs,
    async run() {
      const deleted = await d.store.deleteExpiredEvents(d.clock.now(), batch);
      if (deleted > 0) d.logger.info('expired events deleted', { deleted });
      return { processed: deleted, more: deleted === batch };
    },
  };
}
