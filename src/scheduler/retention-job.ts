import type { RuntimeDeps } from '../runtime/deps.js';
import type { Job } from './job.js';

/** Rows deleted per pass from each table: one bounded store step (a short SQLite transaction). */
export const RETENTION_BATCH = 1_000;

/**
 * How long the change log keeps a row. Followers read it every quarter second, so ten
 * minutes covers a process paused far longer than any follower lags; one that was
 * stopped for longer restarts from the end anyway (no replay).
 */
export const CHANGE_LOG_RETENTION_MS = 10 * 60_000;

/**
 * Retention, one bounded batch per table per pass:
 *  - short-term events past their expiry — only those extraction has already passed
 *    ("consolidate, then expire"; the store enforces it), so an event whose extraction
 *    keeps failing is kept until it succeeds;
 *  - change-log rows older than CHANGE_LOG_RETENTION_MS;
 *  - resumable-stream events past their expiry.
 * The scheduler runs more passes while a full batch says more is due. Idempotent.
 */
export function retentionJob(d: RuntimeDeps, intervalMs: number, batch = RETENTION_BATCH): Job {
  return {
    name: 'retention',
    intervalMs,
    async run() {
      const now = d.clock.now();
      const events = await d.store.deleteExpiredEvents(now, batch);
      const changes = await d.store.deleteChangesBefore(now - CHANGE_LOG_RETENTION_MS, batch);
      const streamEvents = await d.store.deleteExpiredStreamEvents(now, batch);
      if (events > 0) d.logger.info('expired events deleted', { deleted: events });
      if (changes + streamEvents > 0) d.logger.debug('change log and stream events pruned', { changes, streamEvents });
      return {
        processed: events + changes + streamEvents,
        more: events === batch || changes === batch || streamEvents === batch,
        detail: { events, changes, streamEvents },
      };
    },
  };
}
