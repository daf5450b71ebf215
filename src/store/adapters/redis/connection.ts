import { createClient, type RedisClientType } from '@redis/client';
import { InvalidInputError, StorageUnavailableError } from '../../../domain/errors.js';
import { nullLogger, type Logger } from '../../../logger.js';
import { assertTenantId } from '../../keys.js';

/** The client type of this adapter: RESP2, no modules or scripts. */
export type RedisClient = RedisClientType;

export interface RedisConnectionOptions {
  /** `redis[s]://[[user][:password]@]host[:port][/db]`. */
  url: string;
  /**
   * Starts every key and channel this connection builds. Default `lh:`. Letters,
   * digits, `.`, `_`, `-`, `@` and `:` only: it is configuration, but it still never
   * carries a glob character into a key.
   */
  prefix?: string;
  logger?: Logger;
  /** A command not answered within this fails (a half-open socket is an outage, not a hang). Default 2 000 ms. */
  commandTimeoutMs?: number;
  /** One connection attempt's timeout. Default 2 000 ms. */
  connectTimeoutMs?: number;
  /** Upper bound of the reconnect back-off. Default 2 000 ms. */
  maxReconnectDelayMs?: number;
}

export const DEFAULT_REDIS_PREFIX = 'lh:';
const PREFIX = /^[A-Za-z0-9._@:-]{1,64}$/;

/**
 * One Redis connection for the shared short-lived state (kv, change bus, leases,
 * stream events). Every key and channel is built by `key()` / `channel()`, which start
 * with the prefix and allow-list every part, so nothing a caller sends is ever a
 * pattern: this adapter uses exact keys and exact channels only (no KEYS, SCAN MATCH
 * or PSUBSCRIBE).
 */
export interface RedisConnection {
  readonly prefix: string;
  /** The URL without its credentials, for logs and `/readyz`. */
  readonly location: string;
  /** The command client. Commands fail fast (ClientOfflineError) while Redis is away. */
  readonly client: RedisClient;
  /**
   * The subscriber client, duplicated on first use (a subscribed RESP2 connection can
   * run no other command). Unlike the command client it queues while offline, so a
   * SUBSCRIBE issued during an outage completes when Redis is back, and the client
   * re-subscribes its channels after every reconnect.
   */
  subscriber(): RedisClient;
  /** `<prefix><part>:<part>…`; each part is `:`-separated segments that pass the tenantKey() allow-list. */
  key(...parts: string[]): string;
  /** The one exact channel named `name` (a fixed word of this adapter, allow-listed like a key part). */
  channel(name: string): string;
  /** True while the command client is connected and ready (for `/readyz`). */
  readonly isReady: boolean;
  /** Resolves when the command client is ready; StorageUnavailableError after `timeoutMs` (default the connect timeout). */
  ready(timeoutMs?: number): Promise<void>;
  /** One PING round trip (a truer `/readyz` check than `isReady`, which a half-open socket can fool); StorageUnavailableError when it fails. */
  ping(): Promise<void>;
  /** Runs `op`, turning any Redis failure into StorageUnavailableError (an outage never looks like "not found"). */
  run<T>(what: string, op: () => Promise<T>): Promise<T>;
  /** Closes both clients; later commands fail with StorageUnavailableError. Idempotent. */
  close(): Promise<void>;
}

/** The URL with user and password removed. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return 'redis://(unparseable url)';
  }
}

/** Checks one key part: `:`-separated segments, each passing tenantKey()'s allow-list (no `*`, `?`, `[`, `..`, whitespace). */
export function assertKeyPart(part: string): string {
  if (typeof part !== 'string' || part === '') throw new InvalidInputError('an empty string cannot be part of a storage key.');
  // assertTenantId applies the one allow-list of src/store/keys.ts to a single segment.
  for (const segment of part.split(':')) assertTenantId(segment);
  return part;
}

/**
 * Opens the connection: connects in the background and keeps reconnecting for ever
 * (exponential back-off with jitter, capped at `maxReconnectDelayMs`), so a Redis
 * restart is an outage of its commands, never a crash: every client has an `'error'`
 * listener (logged once per outage), and commands issued while it is away reject at
 * once instead of queueing. `await conn.ready()` before relying on it.
 */
export function openRedis(opts: RedisConnectionOptions): RedisConnection {
  const prefix = opts.prefix ?? DEFAULT_REDIS_PREFIX;
  if (!PREFIX.test(prefix)) throw new InvalidInputError(`Redis key prefix "${prefix.slice(0, 60)}" may hold only letters, digits, ".", "_", "-", "@" and ":" (1–64 characters).`);
  const logger = opts.logger ?? nullLogger;
  const location = redactRedisUrl(opts.url);
  const connectTimeout = opts.connectTimeoutMs ?? 2_000;
  const maxDelay = opts.maxReconnectDelayMs ?? 2_000;
  let closed = false;

  const reconnectStrategy = (retries: number): number | false => {
    if (closed) return false;
    const base = Math.min(maxDelay, 50 * 2 ** Math.min(retries, 10));
    return Math.round(base / 2 + Math.random() * (base / 2));
  };
  const client = createClient({
    url: opts.url,
    socket: { connectTimeout, reconnectStrategy },
    disableOfflineQueue: true,
    commandOptions: { timeout: opts.commandTimeoutMs ?? 2_000 },
  }) as RedisClient;

  const watch = (c: RedisClient, role: string) => {
    let down = false;
    c.on('error', (e: unknown) => {
      if (down || closed) return;
      down = true;
      logger.warn('redis unavailable; reconnecting', { redis: location, client: role, error: e instanceof Error ? e.message : String(e) });
    });
    c.on('ready', () => {
      if (down) logger.info('redis reachable again', { redis: location, client: role });
      down = false;
    });
  };
  watch(client, 'commands');
  // connect() settles only on the first success (or on close): its failures are the 'error' events above.
  client.connect().catch(() => undefined);

  let sub: RedisClient | null = null;

  const conn: RedisConnection = {
    prefix,
    location,
    client,
    subscriber() {
      if (closed) throw new StorageUnavailableError(`the Redis connection to ${location} is closed.`);
      if (!sub) {
        sub = client.duplicate({ disableOfflineQueue: false, commandOptions: {} }) as RedisClient;
        watch(sub, 'subscriber');
        sub.connect().catch(() => undefined);
      }
      return sub;
    },
    key(...parts) {
      if (parts.length === 0) throw new InvalidInputError('a Redis key needs at least one part.');
      return prefix + parts.map(assertKeyPart).join(':');
    },
    channel(name) {
      return prefix + assertKeyPart(name);
    },
    get isReady() {
      return !closed && client.isReady;
    },
    async ready(timeoutMs = connectTimeout) {
      if (closed) throw new StorageUnavailableError(`the Redis connection to ${location} is closed.`);
      if (client.isReady) return;
      await new Promise<void>((resolve, reject) => {
        const onReady = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          client.off('ready', onReady);
          reject(new StorageUnavailableError(`Redis at ${location} did not answer within ${timeoutMs} ms.`));
        }, timeoutMs);
        client.once('ready', onReady);
      });
    },
    async ping() {
      await conn.run('ping', () => client.ping());
    },
    async run(what, op) {
      if (closed) throw new StorageUnavailableError(`the Redis connection to ${location} is closed (${what}).`);
      try {
        return await op();
      } catch (e) {
        if (e instanceof InvalidInputError || e instanceof StorageUnavailableError) throw e;
        throw new StorageUnavailableError(`Redis at ${location} failed (${what}): ${e instanceof Error ? e.message : String(e)}`, e);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      const clients = sub ? [client, sub] : [client];
      await Promise.all(
        clients.map(async (c) => {
          try {
            // A graceful close waits for replies; while Redis is away there are none to wait for.
            if (c.isReady) await c.close();
            else c.destroy();
          } catch {
            // Closing is best effort: the process is shutting this connection down either way.
          }
        }),
      );
    },
  };
  return conn;
}
