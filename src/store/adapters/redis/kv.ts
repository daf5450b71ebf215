import KeyvRedis from '@keyv/redis';
import { Keyv } from 'keyv';
import { InvalidInputError } from '../../../domain/errors.js';
import type { KeyValueStore } from '../../port.js';
import { assertKeyPart, type RedisConnection } from './connection.js';

/**
 * The port's expiring key-value store on Redis, through keyv and `@keyv/redis`, on the
 * connection's own command client (no second connection). Keys are
 * `<prefix>kv:<key>`; `key` must be a tenantKey() (`t:<tenant>:…`, every segment
 * allow-listed), checked before anything reaches Redis.
 *
 * `throwOnErrors`: a Redis outage rejects get/set/delete with StorageUnavailableError —
 * never a silent miss that would, say, let an idempotency key run its signal twice.
 * Expiry is Redis's (PX on SET); keyv also stamps an expiry in the value and treats a
 * value past it as absent, so a read never returns an expired value even in the moment
 * before Redis removes it.
 */
export function redisKv(conn: RedisConnection): KeyValueStore {
  // The namespace `<prefix>kv`, joined with ":", is the whole prefix: keyv's own
  // `namespace:` key prefix is off so the key is not prefixed twice.
  const namespace = conn.key('kv');
  const adapter = new KeyvRedis(conn.client, { namespace, keyPrefixSeparator: ':', throwOnErrors: true, throwOnConnectError: true });
  const keyv = new Keyv(adapter, { namespace, useKeyPrefix: false, throwOnErrors: true });
  // keyv re-emits adapter errors as 'error' events; the connection already logs outages and
  // the rejected promise carries the failure to the caller.
  keyv.on('error', () => undefined);

  const checked = (key: string): string => {
    if (typeof key !== 'string' || !key.startsWith('t:')) throw new InvalidInputError(`"${String(key).slice(0, 60)}" is not a tenant key (build it with tenantKey()).`);
    return assertKeyPart(key);
  };
  return {
    async get<T = unknown>(key: string) {
      const k = checked(key);
      return conn.run('kv get', () => keyv.get<T>(k));
    },
    async set(key, value, ttlMs) {
      const k = checked(key);
      // As the other adapters: no ttl, or one that is not a positive number, keeps the value until deleted.
      const ttl = typeof ttlMs === 'number' && Number.isFinite(ttlMs) && ttlMs > 0 ? Math.ceil(ttlMs) : undefined;
      return conn.run('kv set', () => keyv.set(k, value, ttl));
    },
    async delete(key) {
      const k = checked(key);
      return conn.run('kv delete', () => keyv.delete(k));
    },
  };
}
