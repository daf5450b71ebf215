import type { KeyvStoreAdapter, StoredData } from 'keyv';
import type { Clock } from '../../../domain/clock.js';
import type { PgDb } from './db.js';

type Listener = (...args: unknown[]) => void;

/** How many expired keys a `set` sweeps away in passing. */
const PURGE_BATCH = 100;

/**
 * A keyv storage adapter over the store's own PostgreSQL schema: table
 * `kv(key TEXT PRIMARY KEY, value TEXT, expires BIGINT)`, as KeyvSqlite does on the
 * SQLite file. Keyv serialises values and prefixes keys with its namespace; this adapter
 * stores the strings as they come and treats a key past `expires` (judged by the
 * injected clock) as absent. Failures are thrown (as the port's
 * StorageUnavailableError), so with `throwOnErrors` a broken store is never mistaken
 * for a missing key. (With LONGHAUL_REDIS_URL, Redis holds these keys instead.)
 */
export class KeyvPostgres implements KeyvStoreAdapter {
  readonly opts = { dialect: 'postgres', table: 'kv' };
  namespace?: string | undefined;
  private readonly listeners = new Map<string, Listener[]>();

  constructor(
    private readonly db: PgDb,
    private readonly clock: Clock,
  ) {}

  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    return (await this.live([key]))[0] as StoredData<Value> | undefined;
  }

  async getMany<Value>(keys: string[]): Promise<Array<StoredData<Value | undefined>>> {
    return (await this.live(keys)) as Array<StoredData<Value | undefined>>;
  }

  async has(key: string): Promise<boolean> {
    return (await this.live([key]))[0] !== undefined;
  }

  async hasMany(keys: string[]): Promise<boolean[]> {
    return (await this.live(keys)).map((v) => v !== undefined);
  }

  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    const now = this.clock.now();
    const expires = typeof ttl === 'number' && ttl > 0 ? now + ttl : null;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    await this.db.write(async (c) => {
      await c.run('INSERT INTO kv (key, value, expires) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires', [key, text, expires]);
      // SKIP LOCKED: two sets purging at once never wait on (or deadlock over) each other's rows.
      await c.run('DELETE FROM kv WHERE key IN (SELECT key FROM kv WHERE expires IS NOT NULL AND expires <= $1 ORDER BY expires LIMIT $2 FOR UPDATE SKIP LOCKED)', [now, PURGE_BATCH]);
    });
    return true;
  }

  async setMany(values: Array<{ key: string; value: unknown; ttl?: number }>): Promise<void> {
    for (const v of values) await this.set(v.key, v.value, v.ttl);
  }

  async delete(key: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM kv WHERE key = $1', [key])) > 0;
  }

  async deleteMany(keys: string[]): Promise<boolean> {
    return (await this.db.run('DELETE FROM kv WHERE key = ANY($1::text[])', [keys])) > 0;
  }

  /** Clears this namespace's keys (everything when keyv runs without a namespace). */
  async clear(): Promise<void> {
    if (this.namespace) await this.db.run('DELETE FROM kv WHERE left(key, $1) = $2', [this.namespace.length + 1, `${this.namespace}:`]);
    else await this.db.run('DELETE FROM kv');
  }

  /** The store ends the pool; keyv's disconnect has nothing of its own to release. */
  async disconnect(): Promise<void> {}

  private async live(keys: readonly string[]): Promise<Array<string | undefined>> {
    if (keys.length === 0) return [];
    const rows = await this.db.query<{ key: string; value: string | null; expires: number | null }>('SELECT key, value, expires FROM kv WHERE key = ANY($1::text[])', [keys], { idempotent: true });
    const now = this.clock.now();
    const found = new Map(rows.filter((r) => r.value !== null && (r.expires === null || r.expires > now)).map((r) => [r.key, r.value!]));
    return keys.map((k) => found.get(k));
  }
}
