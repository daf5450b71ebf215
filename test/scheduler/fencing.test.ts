import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/domain/clock.js';
import { nullLogger } from '../../src/logger.js';
import type { Job } from '../../src/scheduler/job.js';
import { Scheduler, type LeaseProvider } from '../../src/scheduler/scheduler.js';
import { openSqliteStore } from '../../src/store/adapters/sqlite/index.js';
import type { StorePort } from '../../src/store/port.js';

/** A job that always reports more due work: a tick makes as many passes as it is let. */
function busyJob(passes: number[]): Job {
  return {
    name: 'busy',
    intervalMs: 1_000,
    async run() {
      passes.push(Date.now());
      return { processed: 1, more: true };
    },
  };
}

describe('scheduler ticks under a lease', () => {
  const stores: StorePort[] = [];
  const schedulers: Scheduler[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const s of schedulers.splice(0)) await s.stop();
    for (const s of stores.splice(0)) await s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  async function runFor(leases: LeaseProvider, ms: number): Promise<number[]> {
    const dir = mkdtempSync(join(tmpdir(), 'longhaul-fencing-'));
    dirs.push(dir);
    const store = openSqliteStore({ path: join(dir, 'longhaul.db') });
    stores.push(store);
    const passes: number[] = [];
    const scheduler = new Scheduler([busyJob(passes)], { store, clock: systemClock, logger: nullLogger, owner: 'me', leases });
    schedulers.push(scheduler);
    await scheduler.start(); // the catch-up drain runs outside any slot
    passes.length = 0;
    await new Promise((r) => setTimeout(r, ms));
    await scheduler.stop();
    return passes;
  }

  it('makes its further passes while the slot is still held', async () => {
    const passes = await runFor({ acquire: async () => true, stillHeld: async () => true }, 2_300);
    // Two or three ticks of five passes each.
    expect(passes.length).toBeGreaterThanOrEqual(10);
    expect(passes.length % 5).toBe(0);
  });

  it('stops a tick after the pass in which its lease was lost (a paused instance does not sweep on)', async () => {
    const passes = await runFor({ acquire: async () => true, stillHeld: async () => false }, 2_300);
    expect(passes.length).toBeGreaterThanOrEqual(2);
    expect(passes.length).toBeLessThanOrEqual(3); // one pass per tick
  });

  it('stops too when it cannot tell whether it still holds the lease', async () => {
    const passes = await runFor(
      {
        acquire: async () => true,
        stillHeld: async () => {
          throw new Error('redis away');
        },
      },
      2_300,
    );
    expect(passes.length).toBeLessThanOrEqual(3);
  });
});
