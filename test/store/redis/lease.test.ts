import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/domain/errors.js';
import type { RedisConnection } from '../../../src/store/adapters/redis/connection.js';
import { redisLeases, schedulerLeases, type RedisLeases } from '../../../src/store/adapters/redis/lease.js';
import { CreatedKeys, openTestRedis, sleep, uniquePrefix } from './helpers.js';

describe('redis leases with fencing tokens', () => {
  const prefix = uniquePrefix();
  const created = new CreatedKeys(prefix);
  let connA: RedisConnection;
  let connB: RedisConnection;
  let a: RedisLeases;
  let b: RedisLeases;
  let n = 0;
  const name = () => {
    const lease = `job:test-${n++}`;
    created.add(`${prefix}lease:${lease}`);
    return lease;
  };

  beforeAll(async () => {
    connA = await openTestRedis(prefix);
    connB = await openTestRedis(prefix);
    a = redisLeases(connA);
    b = redisLeases(connB);
    created.add(`${prefix}fence`);
  });
  afterAll(async () => {
    await created.cleanup(connA);
    await connA.close();
    await connB.close();
  });

  it('when two owners race for a lease, exactly one gets it', async () => {
    for (let round = 0; round < 20; round++) {
      const lease = name();
      const results = await Promise.all([a.acquire(lease, 'owner-a', 5_000), b.acquire(lease, 'owner-b', 5_000), a.acquire(lease, 'owner-c', 5_000), b.acquire(lease, 'owner-d', 5_000)]);
      expect(results.filter((r) => r !== null)).toHaveLength(1);
    }
  });

  it('after the ttl, the other owner gets it with a higher token', async () => {
    const lease = name();
    const first = await a.acquire(lease, 'owner-a', 100);
    expect(first).not.toBeNull();
    expect(await b.acquire(lease, 'owner-b', 100)).toBeNull();
    await sleep(150);
    const second = await b.acquire(lease, 'owner-b', 5_000);
    expect(second).not.toBeNull();
    expect(second!.token).toBeGreaterThan(first!.token);
  });

  it('the holder acquiring again renews it and keeps its token', async () => {
    const lease = name();
    const first = await a.acquire(lease, 'owner-a', 150);
    await sleep(100);
    const again = await a.acquire(lease, 'owner-a', 150);
    expect(again).toEqual(first);
    await sleep(100);
    // Past the first ttl, still held thanks to the renewal.
    expect(await b.acquire(lease, 'owner-b', 150)).toBeNull();
    expect(await a.check(lease, first!.token)).toBe(true);
  });

  it('renew extends only the holder’s lease with its token', async () => {
    const lease = name();
    const held = (await a.acquire(lease, 'owner-a', 150))!;
    expect(await a.renew(lease, 'owner-b', held.token, 5_000)).toBe(false);
    expect(await a.renew(lease, 'owner-a', held.token + 1, 5_000)).toBe(false);
    expect(await a.renew(lease, 'owner-a', held.token, 5_000)).toBe(true);
    await sleep(200);
    expect(await a.check(lease, held.token)).toBe(true);
  });

  it('release by the wrong owner does nothing; by the holder it frees the lease', async () => {
    const lease = name();
    const held = (await a.acquire(lease, 'owner-a', 5_000))!;
    expect(await b.release(lease, 'owner-b')).toBe(false);
    expect(await b.acquire(lease, 'owner-b', 5_000)).toBeNull();
    expect(await a.check(lease, held.token)).toBe(true);
    expect(await a.release(lease, 'owner-a')).toBe(true);
    expect(await a.check(lease, held.token)).toBe(false);
    const next = await b.acquire(lease, 'owner-b', 5_000);
    expect(next!.token).toBeGreaterThan(held.token);
  });

  it('a paused owner that wakes after its lease expired fails check with its stale token', async () => {
    const lease = name();
    const paused = (await a.acquire(lease, 'owner-a', 100))!;
    expect(await a.check(lease, paused.token)).toBe(true);
    // Owner A "pauses" past its ttl; B takes over.
    await sleep(150);
    const current = (await b.acquire(lease, 'owner-b', 5_000))!;
    // A wakes and re-checks before acting: refused. B's token passes.
    expect(await a.check(lease, paused.token)).toBe(false);
    expect(await a.check(lease, current.token)).toBe(true);
    // Nor can A renew its way back in.
    expect(await a.renew(lease, 'owner-a', paused.token, 5_000)).toBe(false);
    expect(await a.release(lease, 'owner-a')).toBe(false);
    expect(await b.check(lease, current.token)).toBe(true);
  });

  it('a paused owner whose lease simply expired (nobody took it) fails check too', async () => {
    const lease = name();
    const paused = (await a.acquire(lease, 'owner-a', 50))!;
    await sleep(100);
    expect(await a.check(lease, paused.token)).toBe(false);
  });

  it('refuses names that are not allow-listed key parts, before anything reaches Redis', async () => {
    await expect(a.acquire('cron:*', 'owner-a', 1000)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(a.acquire('a b', 'owner-a', 1000)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(a.check('x:..:y', 1)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(a.acquire('ok', 'owner-a', 0)).rejects.toBeInstanceOf(InvalidInputError);
  });
  it("the scheduler's provider says a slot is no longer held once its lease expired and another owner took it", async () => {
    const lease = name();
    const pa = schedulerLeases(a);
    const pb = schedulerLeases(b);
    expect(await pa.acquire(lease, 'owner-a', 150, 0)).toBe(true);
    expect(await pa.stillHeld(lease, 'owner-a')).toBe(true);
    expect(await pb.acquire(lease, 'owner-b', 5_000, 0)).toBe(false);
    await sleep(250); // owner-a "paused" past its lease
    expect(await pb.acquire(lease, 'owner-b', 5_000, 0)).toBe(true);
    expect(await pa.stillHeld(lease, 'owner-a')).toBe(false);
    expect(await pb.stillHeld(lease, 'owner-b')).toBe(true);
    // A name this provider never gave out is not held.
    expect(await pa.stillHeld(name(), 'owner-a')).toBe(false);
  });
});
