import cron, { type ScheduledTask } from 'node-cron';
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../logger.js';
import type { StorePort } from '../store/port.js';
import type { Job, JobResult } from './job.js';

/**
 * Told of every pass a job makes, with its wall-clock duration (ms) and what it did
 * (`detail.error` when it failed): the HTTP transport's sweep-duration histogram.
 */
export type SweepObserver = (job: string, ms: number, result: JobResult) => void;

/**
 * Where the run coordinator takes its per-slot leases instead of the store: Redis
 * (store/adapters/redis/lease.ts `schedulerLeases`), shared by every instance. True when
 * `owner` holds `name` for `ttlMs`; throws when it cannot tell (unreachable).
 */
export interface LeaseProvider {
  acquire(name: string, owner: string, ttlMs: number, now: number): Promise<boolean>;
  /**
   * Is the lease `owner` took on `name` still its own, under the same fencing token? A
   * tick that makes several passes asks before each further pass, so an instance that
   * was paused past its lease (and lost the slot to another) stops instead of sweeping
   * on. Absent: not checked. Throws when it cannot tell.
   */
  stillHeld?(name: string, owner: string): Promise<boolean>;
}

/** Passes one tick may make while a job reports more due work. Bounded. */
const MAX_PASSES_PER_TICK = 5;

/**
 * Turns an interval into a node-cron expression (seconds field first). Intervals that
 * do not divide a minute/hour/day evenly are rounded to the nearest one that does.
 */
export function intervalToCron(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  const pick = (n: number, divisorsOf: number) => {
    let best = 1;
    for (let d = 1; d < divisorsOf; d++) if (divisorsOf % d === 0 && Math.abs(d - n) <= Math.abs(best - n)) best = d;
    return best;
  };
  if (s < 60) return `*/${pick(s, 60)} * * * * *`;
  const m = Math.round(s / 60);
  if (m < 60) return `0 */${pick(m, 60)} * * * *`;
  const h = Math.round(m / 60);
  if (h < 24) return `0 0 */${pick(h, 24)} * * *`;
  return '0 0 0 * * *';
}

/**
 * Runs the sweeps: on node-cron schedules in production, by `tick()` in tests (with a
 * fake clock). With several instances on one store, node-cron's run coordinator takes
 * a lease per scheduled slot, so each tick runs on one instance only: from `leases`
 * when given (Redis), else the store's. When the provider throws (Redis unreachable)
 * the coordinator says so once and takes the store's lease instead until the provider
 * answers again. Instances that disagree on whether Redis is reachable (a partial
 * outage) lease in different places and may both run a slot; the sweeps are idempotent
 * and claim their work atomically, so that costs a duplicate pass, never a double effect.
 */
export class Scheduler {
  private tasks: ScheduledTask[] = [];
  private readonly running = new Map<string, Promise<JobResult>>();

  constructor(
    private readonly jobs: readonly Job[],
    private readonly deps: { store: StorePort; clock: Clock; logger: Logger; owner: string; observe?: SweepObserver; leases?: LeaseProvider },
  ) {}

  /** True while the lease provider is unreachable and the store's lease stands in. */
  private leaseFallback = false;
  /** Per job, the lease of the slot it is running: where it came from, to check before each further pass. */
  private readonly slots = new Map<string, { name: string; ttlMs: number; from: 'provider' | 'store' }>();

  /** Takes the slot's lease: the provider's, else (none, or it failed) the store's. Remembers it for `job`. */
  private async acquireSlot(job: string, name: string, ttlMs: number): Promise<boolean> {
    const { store, clock, owner, leases, logger } = this.deps;
    if (leases) {
      try {
        const held = await leases.acquire(name, owner, ttlMs, clock.now());
        if (this.leaseFallback) logger.info('lease provider reachable again; scheduler leases taken there');
        this.leaseFallback = false;
        if (held) this.slots.set(job, { name, ttlMs, from: 'provider' });
        return held;
      } catch (e) {
        if (!this.leaseFallback) logger.warn('lease provider failed; scheduler leases taken in the store until it answers', { error: e instanceof Error ? e.message : String(e) });
        this.leaseFallback = true;
      }
    }
    const held = await store.acquireLease(name, owner, ttlMs, clock.now());
    if (held) this.slots.set(job, { name, ttlMs, from: 'store' });
    return held;
  }

  /**
   * Before a further pass of a tick: is the slot's lease still this instance's? The
   * provider's by its fencing token; the store's by renewing it (a renewal fails once
   * another owner took the expired lease). Unknown (the check failed): stop, the next
   * tick goes on.
   */
  private async slotStillHeld(job: string): Promise<boolean> {
    const slot = this.slots.get(job);
    if (!slot) return true; // tick() and the start-up catch-up run outside any slot
    const { store, clock, owner, leases } = this.deps;
    try {
      if (slot.from === 'provider') return leases?.stillHeld ? await leases.stillHeld(slot.name, owner) : true;
      return await store.acquireLease(slot.name, owner, slot.ttlMs, clock.now());
    } catch {
      return false;
    }
  }

  jobNames(): string[] {
    return this.jobs.map((j) => j.name);
  }

  /** Runs one pass of each job (or of `name` only) and returns what each did. */
  async tick(name?: string): Promise<Record<string, JobResult>> {
    const out: Record<string, JobResult> = {};
    for (const job of this.jobs) {
      if (name && job.name !== name) continue;
      out[job.name] = await this.runOnce(job);
    }
    return out;
  }

  /** One pass; concurrent requests for the same job share the pass in flight. */
  private runOnce(job: Job): Promise<JobResult> {
    const inflight = this.running.get(job.name);
    if (inflight) return inflight;
    // A duration, not a time of day: measured by the monotonic clock, never the injected Clock.
    const started = performance.now();
    const p = job
      .run()
      .catch((e: unknown): JobResult => {
        this.deps.logger.error('sweep failed', { job: job.name, error: e instanceof Error ? e.message : String(e) });
        return { processed: 0, more: false, detail: { error: String(e) } };
      })
      .then((r) => {
        try {
          this.deps.observe?.(job.name, performance.now() - started, r);
        } catch {
          // An observer's failure never fails a sweep.
        }
        return r;
      })
      .finally(() => this.running.delete(job.name));
    this.running.set(job.name, p);
    return p;
  }

  private async drain(job: Job, inSlot = false): Promise<number> {
    let total = 0;
    for (let i = 0; i < MAX_PASSES_PER_TICK; i++) {
      if (inSlot && i > 0 && !(await this.slotStillHeld(job.name))) {
        this.deps.logger.warn('scheduler lease lost during a tick (this instance was paused past it?); stopping the tick', { job: job.name });
        break;
      }
      const r = await this.runOnce(job);
      total += r.processed;
      if (!r.more) break;
    }
    return total;
  }

  /** Catches up on downtime (every job drained once), then schedules them. */
  async start(): Promise<void> {
    for (const job of this.jobs) {
      const n = await this.drain(job);
      if (n) this.deps.logger.info('caught up on start-up', { job: job.name, processed: n });
    }
    const log = this.deps.logger.child({ component: 'node-cron' });
    const cronLogger = {
      info: (m: string) => log.debug(m),
      warn: (m: string) => log.warn(m),
      error: (m: string | Error) => log.error(String(m)),
      debug: (m: string | Error) => log.debug(String(m)),
    };
    for (const job of this.jobs) {
      const task = cron.schedule(intervalToCron(job.intervalMs), () => this.drain(job, true), {
        name: `longhaul-${job.name}`,
        noOverlap: true,
        distributed: true,
        distributedLease: Math.max(job.intervalMs, 1000),
        runCoordinator: {
          shouldRun: (key, ttlMs) => this.acquireSlot(job.name, `cron:${key}`, ttlMs),
        },
        logger: cronLogger,
        suppressMissedWarning: true,
      });
      this.tasks.push(task);
    }
  }

  async stop(): Promise<void> {
    for (const t of this.tasks) await t.destroy();
    this.tasks = [];
    await Promise.allSettled(this.running.values());
  }
}
