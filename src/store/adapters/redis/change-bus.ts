import { nullLogger, type Logger } from '../../../logger.js';
import type { ChangeBus, ChangeBusMessage } from '../../port.js';
import type { RedisConnection } from './connection.js';

/** Change notifications across processes over Redis pub/sub: the port's ChangeBus (runtime/change-feed.ts uses it). */
export type RedisChangeBus = ChangeBus;

/** Entries per pub/sub message: a burst of changes goes out in several bounded messages. */
const ENTRIES_PER_MESSAGE = 500;
/** A message larger than this is not parsed (nothing longhaul sends comes near it). */
const MAX_MESSAGE_BYTES = 1 << 20;

/**
 * Redis pub/sub for the change feed, on the one exact channel `<prefix>changes`.
 * A message is `{"v":1,"origin":…,"entries":[{"change":…,"at":…}]}`. Pub/sub is
 * fire-and-forget: a process whose subscriber is disconnected misses what is published
 * meanwhile, which is why the feed keeps following the store's change log as well.
 * Malformed messages (not JSON, not this shape) are dropped and logged, never thrown.
 */
export function redisChangeBus(conn: RedisConnection, opts: { logger?: Logger } = {}): RedisChangeBus {
  const channel = conn.channel('changes');
  const logger = opts.logger ?? nullLogger;

  const parse = (raw: string): ChangeBusMessage | null => {
    if (raw.length > MAX_MESSAGE_BYTES) return null;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      return null;
    }
    if (!v || typeof v !== 'object') return null;
    const m = v as { v?: unknown; origin?: unknown; entries?: unknown };
    if (m.v !== 1 || typeof m.origin !== 'string' || m.origin === '' || !Array.isArray(m.entries)) return null;
    const entries: Array<{ change: unknown; at: number }> = [];
    for (const e of m.entries as unknown[]) {
      if (!e || typeof e !== 'object') return null;
      const { change, at } = e as { change?: unknown; at?: unknown };
      if (typeof at !== 'number' || !Number.isFinite(at)) return null;
      entries.push({ change, at });
    }
    return { origin: m.origin, entries };
  };

  return {
    async publish(changes) {
      const byOrigin = new Map<string, Array<{ change: unknown; at: number }>>();
      for (const c of changes) {
        const list = byOrigin.get(c.origin) ?? [];
        list.push({ change: c.change, at: c.at });
        byOrigin.set(c.origin, list);
      }
      const messages: string[] = [];
      for (const [origin, entries] of byOrigin) {
        for (let i = 0; i < entries.length; i += ENTRIES_PER_MESSAGE) {
          messages.push(JSON.stringify({ v: 1, origin, entries: entries.slice(i, i + ENTRIES_PER_MESSAGE) }));
        }
      }
      if (messages.length === 0) return;
      await conn.run('publish changes', async () => {
        if (messages.length === 1) await conn.client.publish(channel, messages[0]!);
        else {
          const multi = conn.client.multi();
          for (const m of messages) multi.publish(channel, m);
          await multi.exec();
        }
      });
    },
    async subscribe(onMessage) {
      const sub = conn.subscriber();
      const listener = (raw: string) => {
        const message = parse(raw);
        if (!message) {
          logger.warn('malformed change message dropped', { channel, bytes: raw.length });
          return;
        }
        try {
          onMessage(message);
        } catch (e) {
          logger.warn('change bus subscriber failed', { error: e instanceof Error ? e.message : String(e) });
        }
      };
      await conn.run('subscribe to changes', () => sub.subscribe(channel, listener));
      let subscribed = true;
      return async () => {
        if (!subscribed) return;
        subscribed = false;
        try {
          // Only while connected: an unsubscribe queued for a Redis that never returns would hang.
          if (sub.isReady) await sub.unsubscribe(channel, listener);
        } catch {
          // The connection is going away; its subscriptions go with it.
        }
      };
    },
  };
}
