import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/domain/clock.js';
import { createLogger, nullLogger } from '../../../src/logger.js';
import type { Job } from '../../../src/scheduler/job.js';
import { Scheduler, type LeaseProvider } from '../../../src/scheduler/scheduler.js';
import { createMemoryStore } from '../../../src/store/adapters/sqlite/index.js';
import type { RedisConnection } from '../../../src/store/adapters/redis/connection.js';
import { redisLeases, schedulerLeases } from '../../../src/store/adapters/redis/lease.js';
import type { StorePort } from '../../../src/store/port.js';
import { CreatedKeys, openTestRedis, sleep, uniquePrefix } from './helpers.js';

/** A 1-second job that counts its passes per tick (the second it ran in), once counting is on. */
function countingJob(name: string) {
  const perTick = new Map<number, number>();
  const state = { counting: false };
  const job: Job = {
    name,
    intervalMs: 1_000,
    async run() {
      // node-cron fires on the second; rounding absorbs a few ms either way.
      if (state.counting) {
        const tick = Math.round(Date.now() / 1000);
        perTick.set(tick, (perTick.get(tick) ?? 0) + 1);
      }
      return { processed: 0, more: false };
    },
  };
  return { job, perTick, state };
}

/** Two instances of one job, each with its own Scheduler and lease provider, for `ms`; returns the passes per tick. */
async function runTwoInstances(name: string, leases: [LeaseProvider | undefined, LeaseProvider | undefined], store: [StorePort, StorePort], ms: number, logger = nullLogger) {
  const { job, perTick, state } = countingJob(name);
  const schedulers = [0, 1].map(
    (i) => new Scheduler([job], { store: store[i]!, clock: systemClock, logger, owner: `instance-${i}`, ...(leases[i] ? { leases: leases[i] } : {}) }),
  );
  try {
    // start() drains every job once without coordination (catch-up); counting starts after it.
    for (const s of schedulers) await s.start();
    state.counting = true;
    await sleep(ms);
  } finally {
    state.counting = false;
    for (const s of schedulers) await s.stop();
  }
  return [...perTick.values()];
}

describe('Scheduler with Redis leases', () => {
  const prefix = uniquePrefix();
  const created = new CreatedKeys(prefix);
  let connA: RedisConnection;
  let connB: RedisConnection;
  const stores: StorePort[] = [];
  const store = () => {
    const s = createMemoryStore();
    stores.push(s);
    return s;
  };

  /** The Redis lease of one instance, remembering which lease keys it made. */
  const redisProvider = (conn: RedisConnection): LeaseProvider => {
    const inner = schedulerLeases(redisLeases(conn));
    return {
      acquire(name, owner, ttlMs, now) {
        created.add(`${prefix}lease:${name}`);
        return inner.acquire(name, owner, ttlMs, now);
      },
    };
  };

  beforeAll(async () => {
    connA = await openTestRedis(prefix);
    connB = await openTestRedis(prefix);
    created.add(`${prefix}fence`);
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    await created.cleanup(connA);
    await connA.close();
    await connB.close();
  });

  it('two instances running the same 1-second job for 5 s: each tick runs once', async () => {
    // Separate stores: only Redis is shared, so only the Redis lease can keep them apart.
    const counts = await runTwoInstances('tick-redis', [redisProvider(connA), redisProvider(connB)], [store(), store()], 5_000);
    expect(counts.length).toBeGreaterThanOrEqual(4);
    expect(counts.every((c) => c === 1)).toBe(true);
  }, 20_000);

  it('with a coordinator that always says yes, the same setup runs ticks twice (so the test above can fail)', async () => {
    const yes: LeaseProvider = { acquire: async () => true };
    const counts = await runTwoInstances('tick-always', [yes, yes], [store(), store()], 3_000);
    expect(counts.length).toBeGreaterThanOrEqual(2);
    expect(counts.some((c) => c > 1)).toBe(true);
  }, 20_000);

  it('when the lease provider fails, falls back to the store’s lease (logged once) and still runs each tick once', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', write: (l) => lines.push(l) });
    let calls = 0;
    const unreachable: LeaseProvider = {
      acquire: async () => {
        calls++;
        throw new Error('redis unreachable');
      },
    };
    const shared = store();
    const counts = await runTwoInstances('tick-fallback', [unreachable, unreachable], [shared, shared], 3_000, logger);
    expect(calls).toBeGreaterThanOrEqual(4);
    expect(counts.length).toBeGreaterThanOrEqual(2);
    expect(counts.every((c) => c === 1)).toBe(true);
    // Once per Scheduler (two instances), not once per tick.
    expect(lines.filter((l) => l.includes('lease provider failed'))).toHaveLength(2);
  }, 20_000);
});
