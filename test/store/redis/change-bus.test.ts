import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Change } from '../../../src/domain/change.js';
import { createLogger } from '../../../src/logger.js';
import { ChangeFeed } from '../../../src/runtime/change-feed.js';
import { redisChangeBus } from '../../../src/store/adapters/redis/change-bus.js';
import type { RedisConnection } from '../../../src/store/adapters/redis/connection.js';
import { createMemoryStore } from '../../../src/store/adapters/sqlite/index.js';
import type { StorePort } from '../../../src/store/port.js';
import { CreatedKeys, openTestRedis, sleep, uniquePrefix, until } from './helpers.js';

const inv = (id: string): Change => ({ type: 'investigation', tenantId: 'acme', id });

describe('redis change bus with the change feed', () => {
  const prefix = uniquePrefix();
  const created = new CreatedKeys(prefix);
  let connA: RedisConnection;
  let connB: RedisConnection;
  const feeds: ChangeFeed[] = [];
  const stores: StorePort[] = [];

  beforeAll(async () => {
    connA = await openTestRedis(prefix);
    connB = await openTestRedis(prefix);
  });
  afterEach(async () => {
    for (const f of feeds.splice(0)) await f.stop();
    for (const s of stores.splice(0)) await s.close();
  });
  afterAll(async () => {
    // Pub/sub creates no keys; the cleanup still checks nothing was left under the prefix.
    await created.cleanup(connA);
    await connA.close();
    await connB.close();
  });

  const feed = (opts: ConstructorParameters<typeof ChangeFeed>[0]) => {
    const f = new ChangeFeed(opts);
    feeds.push(f);
    return f;
  };

  it('publishes on the one exact channel <prefix>changes', async () => {
    expect(connA.channel('changes')).toBe(`${prefix}changes`);
  });

  it('a change published on A is heard on B at once, and A hears its own once', async () => {
    const a = feed({ bus: redisChangeBus(connA), origin: 'proc-a' });
    const b = feed({ bus: redisChangeBus(connB), origin: 'proc-b' });
    await a.start();
    await b.start();
    const heardA: Change[] = [];
    const heardB: Array<{ change: Change; at: number }> = [];
    a.subscribe((c) => heardA.push(c));
    b.subscribe((c) => heardB.push({ change: c, at: Date.now() }));
    const sent = Date.now();
    a.publish(inv('inv_1'));
    a.publish({ type: 'inbox', tenantId: 'acme' });
    await until(() => heardB.length >= 2, 2_000, 'B to hear both changes');
    expect(heardB.map((h) => h.change)).toEqual([inv('inv_1'), { type: 'inbox', tenantId: 'acme' }]);
    expect(heardB[1]!.at - sent).toBeLessThan(100);
    // A's own message comes back on the channel too; it is skipped by origin.
    await sleep(100);
    expect(heardA).toEqual([inv('inv_1'), { type: 'inbox', tenantId: 'acme' }]);
  });

  it('drops malformed messages and malformed changes, logging them, and keeps listening', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', write: (l) => lines.push(l) });
    const b = feed({ bus: redisChangeBus(connB, { logger }), origin: 'proc-b', logger });
    await b.start();
    const heard: Change[] = [];
    b.subscribe((c) => heard.push(c));
    const channel = `${prefix}changes`;
    await connA.client.publish(channel, 'not json');
    await connA.client.publish(channel, JSON.stringify({ v: 1, origin: 'x' }));
    await connA.client.publish(channel, JSON.stringify({ v: 2, origin: 'x', entries: [] }));
    await connA.client.publish(channel, JSON.stringify({ v: 1, origin: 'x', entries: [{ change: { type: 'nope', tenantId: 'acme' }, at: 1 }, { change: inv('ok'), at: 1 }] }));
    await connA.client.publish(channel, JSON.stringify({ v: 1, origin: 'x', entries: [{ change: { type: 'investigation', tenantId: 'acme' }, at: 1 }] }));
    await connA.client.publish(channel, JSON.stringify({ v: 1, origin: 'x', entries: [{ change: inv('last'), at: 1 }] }));
    await until(() => heard.length >= 2, 2_000, 'the well-formed changes');
    expect(heard).toEqual([inv('ok'), inv('last')]);
    const log = lines.join('\n');
    expect(log.match(/malformed change message dropped/g)).toHaveLength(3);
    expect(log.match(/malformed changes on the change bus dropped/g)).toHaveLength(2);
  });

  describe('with the store change log as well', () => {
    it('tells each change once: heard on the bus, its log row is skipped', async () => {
      const store = createMemoryStore();
      stores.push(store);
      const a = feed({ log: store, bus: redisChangeBus(connA), origin: 'proc-a', pollMs: 20 });
      const b = feed({ log: store, bus: redisChangeBus(connB), origin: 'proc-b', pollMs: 20 });
      await a.start();
      await b.start();
      const heardB: Change[] = [];
      b.subscribe((c) => heardB.push(c));
      for (let i = 0; i < 5; i++) a.publish(inv(`inv_${i}`));
      await a.flush();
      await until(() => heardB.length >= 5, 2_000, 'B to hear the five changes');
      // The follower passes over the log rows of the same changes.
      await sleep(100);
      await b.follow();
      expect(heardB).toEqual([0, 1, 2, 3, 4].map((i) => inv(`inv_${i}`)));
      expect((await store.changesAfter(0, 10)).length).toBe(5);
    });

    it('a change the bus lost still arrives, through the log', async () => {
      const store = createMemoryStore();
      stores.push(store);
      const b = feed({ log: store, bus: redisChangeBus(connB), origin: 'proc-b', pollMs: 20 });
      await b.start();
      const heardB: Change[] = [];
      b.subscribe((c) => heardB.push(c));
      // Another process appended to the log, but its publish never reached B (B's subscriber was away).
      await store.appendChanges([{ origin: 'proc-a', change: inv('lost_on_the_bus'), at: Date.now() }]);
      await until(() => heardB.length >= 1, 2_000, 'the follower to catch up');
      expect(heardB).toEqual([inv('lost_on_the_bus')]);
    });

    it('a failed publish is logged and never thrown at the publisher; the log still carries the change', async () => {
      const store = createMemoryStore();
      stores.push(store);
      const lines: string[] = [];
      const failing = { publish: () => Promise.reject(new Error('redis away')), subscribe: () => Promise.resolve(async () => {}) };
      const a = feed({ log: store, bus: failing, origin: 'proc-a', logger: createLogger({ level: 'debug', write: (l) => lines.push(l) }) });
      await a.start();
      expect(() => a.publish(inv('inv_1'))).not.toThrow();
      await a.flush();
      expect(lines.join('\n')).toMatch(/not published on the change bus; other processes hear of them from the change log.*redis away/);
      expect((await store.changesAfter(0, 10)).map((r) => r.change)).toEqual([inv('inv_1')]);
    });
  });
});
