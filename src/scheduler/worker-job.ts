import type { WorkerRuntime } from '../runtime/worker-runtime.js';
import type { Job } from './job.js';

/**
 * The worker job: each pass claims what became runnable since the last one — a task
 * woken by a signal delivered from another process (`longhaul signal`), a retry whose
 * backoff passed, a task whose lease expired because its process died — and starts
 * those runs without awaiting them (a long role never holds up the scheduler).
 * In-process changes do not wait for it: the runtime is nudged at once.
 */
export function workerJob(workers: WorkerRuntime, intervalMs: number): Job {
  return {
    name: 'workers',
    intervalMs,
    async run() {
      const started = await workers.fill();
      return { processed: started, more: false, detail: { started, running: workers.runningCount() } };
    },
  };
}
