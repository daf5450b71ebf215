/**
 * Built `serve --http` processes on the shared PostgreSQL and Redis, for the tests that
 * run several instances or kill them (test/e2e/scale-out, test/reliability): start one on
 * a free port and wait for /readyz, stop it, read its scheduler passes, and clean up the
 * schema and Redis prefix a run made for itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { bearer } from '../transports/http/helpers.js';
import { CLI, freePort, waitFor } from './harness.js';

export const PG_URL = process.env.LONGHAUL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.LONGHAUL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export const withParam = (url: string, key: string, value: string) => {
  const u = new URL(url);
  u.searchParams.set(key, value);
  return u.toString();
};

export interface Instance {
  proc: ChildProcess;
  url: string;
  mcp: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Spawns `serve --http` on a free port with `env` (nothing inherited but PATH and HOME) and waits until /readyz answers 200. */
export async function instance(env: Record<string, string>): Promise<Instance> {
  const port = await freePort();
  const proc = spawn(process.execPath, [CLI, 'serve', '--http', '--port', String(port)], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LONGHAUL_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-200_000)));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/readyz`).catch(() => null))?.ok, 30_000, `serve --http on ${port} ready (stderr: ${err.slice(-2_000)})`, 50);
  return { proc, url, mcp: `${url}/mcp`, stderr: () => err, exited };
}

/** Stops an instance with `signal` (SIGKILL after 10 s) and waits for it to exit. */
export async function stop(i: Instance | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!i || i.proc.exitCode !== null || i.proc.signalCode !== null) return;
  i.proc.kill(signal);
  await Promise.race([i.exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (i.proc.exitCode === null && i.proc.signalCode === null) {
    i.proc.kill('SIGKILL');
    await i.exited;
  }
}

/** The scheduler passes of `job` this instance has counted (its /metrics). */
export async function passes(i: Pick<Instance, 'url'>, token: string, job: string): Promise<number> {
  const text = await (await fetch(`${i.url}/metrics`, { headers: bearer(token) })).text();
  const m = new RegExp(`^longhaul_sweep_duration_seconds_count\\{job="${job}"\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

export async function dropSchema(schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await c.end();
  }
}

export async function deleteRedisPrefix(prefix: string): Promise<void> {
  const { createClient } = await import('@redis/client');
  const c = createClient({ url: REDIS_URL });
  await c.connect();
  try {
    // The prefix is the run's own (pid and time): nothing else matches it.
    for await (const keys of c.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      const list = Array.isArray(keys) ? keys : [keys];
      if (list.length) await c.del(list);
    }
  } finally {
    c.destroy();
  }
}
