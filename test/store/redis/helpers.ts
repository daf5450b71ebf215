import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { openRedis, type RedisConnection, type RedisConnectionOptions } from '../../../src/store/adapters/redis/connection.js';

/** The shared Redis these tests run against (never flushed: each file works under its own prefix). */
export const REDIS_URL = process.env.LONGHAUL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A prefix no other test file or run shares: `lhtest:<pid>:<random>:`. */
export const uniquePrefix = (): string => `lhtest:${process.pid}:${randomBytes(4).toString('hex')}:`;

/** Opens a connection to the shared Redis and waits for it; fails (never skips) when Redis does not answer. */
export async function openTestRedis(prefix: string, o: Partial<RedisConnectionOptions> = {}): Promise<RedisConnection> {
  const conn = openRedis({ url: REDIS_URL, prefix, ...o });
  try {
    await conn.ready(3_000);
  } catch (e) {
    await conn.close();
    throw new Error(
      `Redis at ${REDIS_URL} did not answer (${e instanceof Error ? e.message : String(e)}). These tests need a running Redis: start one, or point LONGHAUL_TEST_REDIS_URL at it. They do not skip.`,
    );
  }
  return conn;
}

/**
 * The keys a test file created, deleted by name afterwards. `cleanup` then looks under
 * the file's own unique prefix (a test-only SCAN of a constant we made up, not caller
 * text) and fails when anything was left: a key the tests forgot to track.
 */
export class CreatedKeys {
  private readonly keys = new Set<string>();
  constructor(private readonly prefix: string) {}

  add(...keys: string[]): void {
    for (const k of keys) this.keys.add(k);
  }

  async cleanup(conn: RedisConnection): Promise<void> {
    const keys = [...this.keys];
    this.keys.clear();
    if (keys.length) await conn.client.del(keys);
    const left: string[] = [];
    for await (const batch of conn.client.scanIterator({ MATCH: `${this.prefix}*`, COUNT: 1000 })) left.push(...batch);
    if (left.length) {
      await conn.client.del(left);
      throw new Error(`keys left behind under ${this.prefix}: ${left.slice(0, 10).join(', ')}`);
    }
  }
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function until(fn: () => boolean | Promise<boolean>, ms = 5_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * A private `redis-server` on `port` (no persistence), for outage tests: the shared
 * server is never stopped. Fails with a clear message when the binary is missing.
 */
export class PrivateRedis {
  private child: ChildProcess | null = null;
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static assertAvailable(): void {
    const r = spawnSync('which', ['redis-server'], { encoding: 'utf8' });
    if (r.status !== 0 || !r.stdout.trim()) {
      throw new Error('the outage tests need the `redis-server` binary on PATH (they start a private server and stop it mid-test); it was not found.');
    }
  }

  async start(): Promise<void> {
    PrivateRedis.assertAvailable();
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    this.child = child;
    const conn = openRedis({ url: this.url, prefix: 'lhtest:probe:' });
    try {
      await conn.ready(5_000);
    } catch (e) {
      this.stop();
      throw new Error(`private redis-server on port ${this.port} did not start: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      await conn.close();
    }
  }

  /** Kills the server this helper started (SIGKILL: an outage, not a shutdown), and waits for it to be gone. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGKILL');
    await exited;
  }

  stop(): void {
    this.child?.kill('SIGKILL');
    this.child = null;
  }
}
