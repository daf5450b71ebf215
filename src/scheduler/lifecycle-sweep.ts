import { lifecycleVerdict } from '../domain/session.js';
import type { RuntimeDeps } from '../runtime/deps.js';
import { SWEEP_BATCH, type Job } from './job.js';

/**
 * Lifecycle sweep: sessions idle past their idle timeout → terminated/idle_timeout;
 * any session past its maximum duration → terminated/max_duration. An `active`
 * session whose heartbeats stopped (its process died) counts as idle since its last
 * heartbeat. Finds work by the sessions' due-time index; safe to run twice (the
 * terminate is a compare-and-set on the version it read).
 */
export function lifecycleSweep(d: RuntimeDeps, intervalMs: number, batch = SWEEP_BATCH): Job {
  return {
    name: 'lifecycle',
    intervalMs,
    async run() {
      const now = d.clock.now();
      const due = await d.store.dueSessions(now, batch);
      const terminated: Array<{ sessionId: string; reason: string }> = [];
      for (const s of due) {
        const reason = lifecycleVerdict(s, now);
        if (!reason) continue;
        const t = d.store.tenant(s.tenantId);
        const done = await t.terminateSession(s.id, reason, now, s.version);
        if (!done) continue; // another sweep or a tool call got there first
        terminated.push({ sessionId: s.id, reason }); // its final extraction was made due in the same step
        d.feed.publish({ type: 'session', tenantId: s.tenantId, id: s.id });
        if (s.investigationId) d.feed.publish({ type: 'investigation', tenantId: s.tenantId, id: s.investigationId });
        d.logger.info('session terminated', { tenantId: s.tenantId, sessionId: s.id, reason, wasStatus: s.status });
        // A worker session still active had a run that never ended (its process died):
        // what its role holds outside longhaul (an AgentCore runtime session) is released.
        if (s.kind === 'worker' && s.status === 'active') await d.releaseWorkerSession?.(s);
      }
      return { processed: terminated.length, more: due.length === batch, detail: { terminated } };
    },
  };
}
