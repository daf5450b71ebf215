import type { TenantSources } from '../workers/sources/registry.js';
import type { Job } from './job.js';

/**
 * Keeps the served tenants' source indexes current in the background, so the first
 * retrieval after a change (or after start-up) does not wait for indexing, and
 * `longhaul://sources` shows fresh counts. Each pass starts a refresh per tenant with
 * sources and does not await it (a large table must not hold up the scheduler); a
 * refresh already in flight is shared, so passes never pile up. Changed files and
 * tables only are re-read.
 */
export function sourcesJob(sources: TenantSources, tenants: readonly string[], intervalMs: number): Job {
  return {
    name: 'sources',
    intervalMs,
    async run() {
      let started = 0;
      for (const tenantId of tenants) {
        const lib = sources.for(tenantId);
        if (!lib.configured) continue;
        started++;
        lib.refresh().catch(() => undefined); // a failure is in the source's status and the log
      }
      return { processed: started, more: false, detail: { tenants: started } };
    },
  };
}
