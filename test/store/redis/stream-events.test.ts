import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/domain/errors.js';
import type { RedisConnection } from '../../../src/store/adapters/redis/connection.js';
import { decodeRedisStreamEventId, encodeRedisStreamEventId, redisStreamEventLog } from '../../../src/store/adapters/redis/stream-events.js';
import { sessionEventStore, type StreamEventLog } from '../../../src/transports/http/event-log.js';
import { CreatedKeys, openTestRedis, sleep, uniquePrefix } from './helpers.js';

describe('redis stream event log', () => {
  const prefix = uniquePrefix();
  const created = new CreatedKeys(prefix);
  let conn: RedisConnection;
  let log: StreamEventLog;
  let n = 0;
  const stream = (suffix = '_post') => {
    const id = `sess-${n++}/${suffix}`;
    created.add(`${prefix}se:${id}`);
    return id;
  };

  beforeAll(async () => {
    conn = await openTestRedis(prefix);
    log = redisStreamEventLog(conn);
  });
  afterAll(async () => {
    await created.cleanup(conn);
    await conn.close();
  });

  it('gives back the events after an id, in append order, with ids that sort as text', async () => {
    const s = stream();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await log.append(s, { jsonrpc: '2.0', method: 'm', params: { i } }));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(5);
    const r = await log.after(ids[1]!);
    expect(r).toEqual({
      streamId: s,
      events: [2, 3, 4].map((i) => ({ eventId: ids[i], message: { jsonrpc: '2.0', method: 'm', params: { i } } })),
    });
    expect(await log.after(ids[1]!, 2)).toEqual({ streamId: s, events: r!.events.slice(0, 2) });
    // limit 0 only looks the stream up; the last id has nothing after it.
    expect(await log.after(ids[0]!, 0)).toEqual({ streamId: s, events: [] });
    expect(await log.after(ids[4]!)).toEqual({ streamId: s, events: [] });
    expect(await conn.client.type(`${prefix}se:${s}`)).toBe('stream');
  });

  it('an id of another stream, a guessed or malformed id finds nothing', async () => {
    const s1 = stream();
    const s2 = stream();
    const id1 = await log.append(s1, { a: 1 });
    // Entry ids are per stream: a later millisecond keeps s2's first id from equalling s1's.
    await sleep(3);
    const id2 = await log.append(s2, { b: 1 });
    expect((await log.after(id2, 0))?.streamId).toBe(s2);
    const { entryId } = decodeRedisStreamEventId(id1)!;
    // s1's position named with s2: s2 has no such event.
    expect(await log.after(encodeRedisStreamEventId(entryId, s2))).toBeNull();
    expect(await log.after(encodeRedisStreamEventId(entryId, stream('never-written')))).toBeNull();
    expect(await log.after(encodeRedisStreamEventId('1-0', s1))).toBeNull();
    for (const bad of ['', 'x', '123_abc', `${id1}x:y`, id1.replace('_', ':'), `0000000000000001-0000000000_*`, `0000000000000001-0000000000_a b`, `0000000000000001-0000000000_../x`]) {
      expect(await log.after(bad)).toBeNull();
    }
  });

  it('refuses stream ids that are not allow-listed before they become keys', async () => {
    for (const bad of ['', 'a:b', 'a*', 'a b', '../x', 'a~b', 'x'.repeat(201), 'a\nb']) {
      await expect(log.append(bad, {})).rejects.toBeInstanceOf(InvalidInputError);
    }
  });

  it('keeps about STREAM_EVENTS_PER_STREAM events per stream: the oldest are pruned and their ids find nothing', async () => {
    const capped = redisStreamEventLog(conn, { maxEvents: 100 });
    const s = stream();
    const ids: string[] = [];
    for (let i = 0; i < 350; i++) ids.push(await capped.append(s, { i }));
    const len = await conn.client.xLen(`${prefix}se:${s}`);
    expect(len).toBeGreaterThanOrEqual(100);
    expect(len).toBeLessThan(350);
    expect(await capped.after(ids[0]!)).toBeNull();
    // From the oldest event still kept, the replay reaches the newest without a gap.
    const oldestKept = ids[350 - len]!;
    const r = await capped.after(oldestKept);
    expect(r!.events.map((e) => (e.message as { i: number }).i)).toEqual(Array.from({ length: len - 1 }, (_, k) => 350 - len + 1 + k));
  });

  it('expires a stream ttl after its last append', async () => {
    const short = redisStreamEventLog(conn, { ttlMs: 150 });
    const s = stream();
    const id = await short.append(s, { x: 1 });
    expect(await short.after(id)).toEqual({ streamId: s, events: [] });
    const pttl = await conn.client.pTTL(`${prefix}se:${s}`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(150);
    await sleep(250);
    expect(await short.after(id)).toBeNull();
    expect(await conn.client.exists(`${prefix}se:${s}`)).toBe(0);
  });

  it('serves the SDK event store: a session replays its own stream and not another session’s', async () => {
    let now = Date.now();
    const store1 = sessionEventStore(log, () => 'sess-a', { now: () => now });
    const store2 = sessionEventStore(log, () => 'sess-b', { now: () => now });
    created.add(`${prefix}se:sess-a/_post`, `${prefix}se:sess-b/_post`);
    const priming = await store1.storeEvent('req-1', {} as never);
    await store1.storeEvent('req-1', { jsonrpc: '2.0', method: 'notifications/progress', params: { progress: 1 } });
    await store1.storeEvent('req-1', { jsonrpc: '2.0', id: 1, result: {} });
    now += 1;
    const sent: unknown[] = [];
    expect(await store1.replayEventsAfter!(priming, { send: async (_id, m) => void sent.push(m) })).toBe('req-1');
    expect(sent).toHaveLength(2);
    expect(await store2.getStreamIdForEventId!(priming)).toBeUndefined();
  });
});
