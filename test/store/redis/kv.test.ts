import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, StorageUnavailableError } from '../../../src/domain/errors.js';
import { openRedis, type RedisConnection } from '../../../src/store/adapters/redis/connection.js';
import { redisKv } from '../../../src/store/adapters/redis/kv.js';
import { tenantKey } from '../../../src/store/keys.js';
import type { KeyValueStore } from '../../../src/store/port.js';
import { CreatedKeys, freePort, openTestRedis, sleep, uniquePrefix } from './helpers.js';

describe('redis kv', () => {
  const prefix = uniquePrefix();
  const created = new CreatedKeys(prefix);
  let conn: RedisConnection;
  let kv: KeyValueStore;
  const key = (...parts: string[]) => {
    const k = tenantKey('acme', ...parts);
    created.add(`${prefix}kv:${k}`);
    return k;
  };

  beforeAll(async () => {
    conn = await openTestRedis(prefix);
    kv = redisKv(conn);
  });
  afterAll(async () => {
    await created.cleanup(conn);
    await conn.close();
  });

  it('stores values under <prefix>kv:<tenant key> and reads them back', async () => {
    const k = key('idem', 'one');
    expect(await kv.set(k, { signalId: 'sig_1', n: 2 })).toBe(true);
    expect(await kv.get(k)).toEqual({ signalId: 'sig_1', n: 2 });
    expect(await conn.client.exists(`${prefix}kv:t:acme:idem:one`)).toBe(1);
  });

  it('the connection is ready and answers a ping', async () => {
    expect(conn.isReady).toBe(true);
    await conn.ready();
    await conn.ping();
  });

  it('answers undefined for a missing key', async () => {
    expect(await kv.get(key('missing'))).toBeUndefined();
  });

  it('forgets a value after its ttl (Redis expires the key too)', async () => {
    const k = key('short');
    await kv.set(k, 'v', 150);
    expect(await kv.get(k)).toBe('v');
    const pttl = await conn.client.pTTL(`${prefix}kv:${k}`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(150);
    await sleep(250);
    expect(await kv.get(k)).toBeUndefined();
    expect(await conn.client.exists(`${prefix}kv:${k}`)).toBe(0);
  });

  it('deletes, and says whether there was anything to delete', async () => {
    const k = key('gone');
    await kv.set(k, 1);
    expect(await kv.delete(k)).toBe(true);
    expect(await kv.delete(k)).toBe(false);
    expect(await kv.get(k)).toBeUndefined();
  });

  it('refuses keys that are not tenant keys before anything reaches Redis', async () => {
    await expect(kv.get('t:acme:*')).rejects.toBeInstanceOf(InvalidInputError);
    await expect(kv.set('other:key', 1)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(kv.delete('t:acme: x')).rejects.toBeInstanceOf(InvalidInputError);
  });

  describe('when Redis cannot be reached', () => {
    it('rejects get, set and delete with StorageUnavailableError instead of answering "missing"', async () => {
      const port = await freePort();
      const down = openRedis({ url: `redis://127.0.0.1:${port}`, prefix, connectTimeoutMs: 200 });
      try {
        expect(down.isReady).toBe(false);
        await expect(down.ready(300)).rejects.toBeInstanceOf(StorageUnavailableError);
        await expect(down.ping()).rejects.toBeInstanceOf(StorageUnavailableError);
        const kvDown = redisKv(down);
        await expect(kvDown.get(tenantKey('acme', 'x'))).rejects.toBeInstanceOf(StorageUnavailableError);
        await expect(kvDown.set(tenantKey('acme', 'x'), 1, 1000)).rejects.toBeInstanceOf(StorageUnavailableError);
        await expect(kvDown.delete(tenantKey('acme', 'x'))).rejects.toBeInstanceOf(StorageUnavailableError);
      } finally {
        await down.close();
      }
    });

    it('rejects after the connection is closed', async () => {
      const other = await openTestRedis(prefix);
      const kv2 = redisKv(other);
      await other.close();
      await expect(kv2.get(tenantKey('acme', 'x'))).rejects.toBeInstanceOf(StorageUnavailableError);
    });
  });
});
