import type { KeyvStoreAdapter, StoredData } from 'keyv';
import type { Clock } from '../../../domain/clock.js';
import { sqlCount, type Db } from './db.js';

type Listener = (...args: unknown[]) => void;

/** How many expired keys a `set` sweeps away in passing. */
const PURGE_BATCH = 100;

/**
 * A keyv storage adapter over the store's own SQLite file: table
 * `kv(key TEXT PRIMARY KEY, value TEXT, expires INTEGER)`. Keyv serialises values and
 * prefixes keys with its namespace; this adapter stores the strings as they come and
 * treats a key past `expires` (judged by the injected clock) as absent. Failures are
 * thrown (as the port's StorageUnavailableError), so with `throwOnErrors` a broken
 * store is never mistaken for a missing key.
 */
export class KeyvSqlite implements KeyvStoreAdapter {
  readonly opts = { dialect: 'sqlite', table: 'kv' };
  namespace?: string | undefined;
  private readonly listeners = new Map<string, Listener[]>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    return this.db.read(() => this.live(key)) as StoredData<Value> | undefined;
  }

  async getMany<Value>(keys: string[]): Promise<Array<StoredData<Value | undefined>>> {
    return this.db.read(() => keys.map((k) => this.live(k))) as Array<StoredData<Value | undefined>>;
  }

  async has(key: string): Promise<boolean> {
    return this.db.read(() => this.live(key) !== undefined);
  }

  async hasMany(keys: string[]): Promise<boolean[]> {
    return this.db.read(() => keys.map((k) => this.live(k) !== undefined));
  }

  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    const now = this.clock.now();
    const expires = typeof ttl === 'number' && ttl > 0 ? now + ttl : null;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    this.db.write(() => {
      this.db.run('INSERT INTO kv (key, value, expires) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires', key, text, expires);
      this.db.run(`DELETE FROM kv WHERE key IN (SELECT key FROM kv WHERE expires IS NOT NULL AND expires <= ? LIMIT ${sqlCount(PURGE_BATCH)})`, now);
    });
    return true;
  }

  async setMany(values: Array<{ key: string; value: unknown; ttl?: number }>): Promise<void> {
    for (const v of values) await this.set(v.key, v.value, v.ttl);
  }

  async delete(key: string): Promise<boolean> {
    return this.db.write(() => this.db.run('DELETE FROM kv WHERE key = ?', key).changes > 0);
  }

  async deleteMany(keys: string[]): Promise<boolean> {
    return this.db.write(() => keys.reduce((n, k) => n + this.db.run('DELETE FROM kv WHERE key = ?', k).changes, 0) > 0);
  }

  /** Clears this namespace's keys (everything when keyv runs without a namespace). */
  async clear(): Promise<void> {
    this.db.write(() => {
      if (this.namespace) this.db.run('DELETE FROM kv WHERE substr(key, 1, ?) = ?', this.namespace.length + 1, `${this.namespace}:`);
      else this.db.run('DELETE FROM kv');
    });
  }

  /** The store closes the file; keyv's disconnect has nothing of its own to release. */
  async disconnect(): Promise<void> {}

  private live(key: string): string | undefined {
    const row = this.db.get<{ value: string | null; expires: number | null }>('SELECT value, expires FROM kv WHERE key = ?', key);
    if (!row || row.value === null) return undefined;
    if (row.expires !== null && row.expires <= this.clock.now()) return undefined;
    return row.value;
  }
}
