import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Change } from '../../src/domain/change.js';
import { FakeClock } from '../../src/domain/clock.js';
import { createLogger } from '../../src/logger.js';
import { ChangeFeed } from '../../src/runtime/change-feed.js';
import { createMemoryStore } from '../../src/store/adapters/sqlite/index.js';
import type { StorePort } from '../../src/store/port.js';

const inv = (id: string): Change => ({ type: 'investigation', tenantId: 'acme', id });
const tick = () => new Promise<void>((r) => setImmediate(r));
const until = async (fn: () => boolean, ms = 2_000) => {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('change feed', () => {
  const feeds: ChangeFeed[] = [];
  const feed = (opts: ConstructorParameters<typeof ChangeFeed>[0] = {}) => {
    const f = new ChangeFeed(opts);
    feeds.push(f);
    return f;
  };
  afterEach(async () => {
    for (const f of feeds.splice(0)) await f.stop();
  });

  describe('without a change log', () => {
    it('tells this process’s subscribers at once, until they unsubscribe', () => {
      const f = feed();
      const heard: Change[] = [];
      const off = f.subscribe((c) => heard.push(c));
      f.publish(inv('inv_1'));
      expect(heard).toEqual([inv('inv_1')]);
      off();
      f.publish(inv('inv_2'));
      expect(heard).toHaveLength(1);
    });

    it('starts, flushes and stops as a no-op', async () => {
      const f = feed();
      await f.start();
      await f.flush();
      await f.stop();
    });
  });

  describe('with a change log', () => {
    let store: StorePort;
    afterEach(async () => {
      await store.close();
    });

    it('appends the changes published in one tick in one append, stamped by the clock, named by its origin', async () => {
      store = createMemoryStore();
      const clock = new FakeClock(Date.UTC(2026, 0, 1));
      const append = vi.spyOn(store, 'appendChanges');
      const f = feed({ log: store, origin: 'proc-a', clock });
      const heard: Change[] = [];
      f.subscribe((c) => heard.push(c));
      f.publish(inv('inv_1'));
      f.publish({ type: 'inbox', tenantId: 'acme' });
      // Local subscribers do not wait for the log.
      expect(heard).toHaveLength(2);
      expect(append).not.toHaveBeenCalled();
      await tick();
      expect(append).toHaveBeenCalledTimes(1);
      await f.flush();
      expect(await store.changesAfter(0, 10)).toEqual([
        { seq: 1, origin: 'proc-a', change: inv('inv_1'), at: clock.now() },
        { seq: 2, origin: 'proc-a', change: { type: 'inbox', tenantId: 'acme' }, at: clock.now() },
      ]);
    });

    it('flush writes what is pending at once (what a short-lived CLI awaits before it exits)', async () => {
      store = createMemoryStore();
      const f = feed({ log: store, origin: 'cli' });
      f.publish(inv('inv_1'));
      await f.flush();
      expect(await store.lastChangeSeq()).toBe(1);
    });

    it('after stop, publishes reach this process only (the store is closing)', async () => {
      store = createMemoryStore();
      const f = feed({ log: store, origin: 'a' });
      f.publish(inv('before'));
      await f.stop();
      const heard: Change[] = [];
      f.subscribe((c) => heard.push(c));
      f.publish(inv('after'));
      await f.flush();
      expect(heard).toEqual([inv('after')]);
      expect((await store.changesAfter(0, 10)).map((r) => r.change)).toEqual([inv('before')]);
    });

    it('logs a failed append and never throws it at the publisher', async () => {
      store = createMemoryStore();
      const lines: string[] = [];
      vi.spyOn(store, 'appendChanges').mockRejectedValueOnce(new Error('disk full'));
      const f = feed({ log: store, origin: 'a', logger: createLogger({ level: 'debug', write: (l) => lines.push(l) }) });
      expect(() => f.publish(inv('inv_1'))).not.toThrow();
      await f.flush();
      expect(lines.join('\n')).toMatch(/changes not appended to the change log.*disk full/);
      // The next batch goes through.
      f.publish(inv('inv_2'));
      await f.flush();
      expect((await store.changesAfter(0, 10)).map((r) => r.change)).toEqual([inv('inv_2')]);
    });

    it('re-emits what other processes appended, skips its own, and does not replay history', async () => {
      store = createMemoryStore();
      const other = feed({ log: store, origin: 'proc-b' });
      other.publish(inv('old'));
      await other.flush();
      const mine = feed({ log: store, origin: 'proc-a', pollMs: 10 });
      const heard: Change[] = [];
      mine.subscribe((c) => heard.push(c));
      await mine.start();
      mine.publish(inv('mine'));
      other.publish(inv('theirs'));
      await Promise.all([mine.flush(), other.flush()]);
      await until(() => heard.length >= 2);
      await mine.follow();
      // Its own change once (at publish), the other's once (from the log), no history.
      expect(heard).toEqual([inv('mine'), inv('theirs')]);
    });

    it('reads a long backlog in batches, in order', async () => {
      store = createMemoryStore();
      const mine = feed({ log: store, origin: 'a', pollMs: 60_000, batch: 7 });
      await mine.start();
      const heard: string[] = [];
      mine.subscribe((c) => heard.push((c as { id: string }).id));
      await store.appendChanges(Array.from({ length: 30 }, (_, i) => ({ origin: 'b', change: inv(`inv_${i}`), at: 0 })));
      await mine.follow();
      expect(heard).toEqual(Array.from({ length: 30 }, (_, i) => `inv_${i}`));
    });

    it('keeps telling the other subscribers when one of them throws', async () => {
      store = createMemoryStore();
      const mine = feed({ log: store, origin: 'a', pollMs: 60_000 });
      await mine.start();
      const heard: Change[] = [];
      mine.subscribe(() => {
        throw new Error('broken subscriber');
      });
      mine.subscribe((c) => heard.push(c));
      await store.appendChanges([0, 1].map((i) => ({ origin: 'b', change: inv(`inv_${i}`), at: 0 })));
      await mine.follow();
      expect(heard).toEqual([inv('inv_0'), inv('inv_1')]);
      // And the publisher never hears of it either.
      expect(() => mine.publish(inv('inv_2'))).not.toThrow();
      expect(heard).toHaveLength(3);
    });

    it('never overlaps two passes, and stops following on stop', async () => {
      store = createMemoryStore();
      const read = vi.spyOn(store, 'changesAfter');
      const mine = feed({ log: store, origin: 'a', pollMs: 60_000 });
      await mine.start();
      await Promise.all([mine.follow(), mine.follow(), mine.follow()]);
      expect(read).toHaveBeenCalledTimes(1);
      await mine.stop();
      const heard: Change[] = [];
      mine.subscribe((c) => heard.push(c));
      await store.appendChanges([{ origin: 'b', change: inv('late'), at: 0 }]);
      await new Promise((r) => setTimeout(r, 30));
      expect(heard).toEqual([]);
    });
  });
});
