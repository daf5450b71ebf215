/**
 * `npm run bench:scale`: longhaul on PostgreSQL (+ Redis) beside the embedded SQLite
 * store, in one run. Not a test: nothing here asserts.
 *
 *   - record_event and search_memory over stdio (the built CLI, the real SDK client) on
 *     each store, alternating blocks of calls so each comparison is side by side; the
 *     stores hold the same preloaded events (10k) and records (RECORDS);
 *   - 10,000 HTTP tool calls (get_investigation and record_event, half each) from 32
 *     clients on one `serve --http` instance, then on two (PostgreSQL + Redis, the clients
 *     spread over both), counting errors;
 *   - a lifecycle sweep with 100 sessions due among 1,000 and among 1,000,000 (the rest
 *     not due), on PostgreSQL and SQLite: its cost must follow the due work (ratio ≤ 2).
 * Uses the local PostgreSQL (LONGHAUL_BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432/test)
 * in a schema of its own, dropped afterwards, and Redis (LONGHAUL_BENCH_REDIS_URL) under
 * a prefix of its own. Prints a table and writes bench/scale.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import pg from 'pg';
import { systemClock } from '../src/domain/clock.js';
import { nullLogger } from '../src/logger.js';
import { openStore, type StoreSpec } from '../src/store/open-store.js';
import type { StorePort } from '../src/store/port.js';
import { connect, freePort, log, percentile, ROOT, round, time } from './harness.js';
import { ACTOR, makeEvents, openInvestigation, preloadEvents, preloadRecords, TENANT, vocabulary } from './preload.js';
import { rng } from './rng.js';
import { sweepAtScale } from './sweep-scale.js';

const PG_URL = process.env.LONGHAUL_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.LONGHAUL_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const RUN = `${process.pid}_${Date.now().toString(36)}`;
const SCHEMA = `lh_bench_${RUN}`;
const PREFIX = `lhbench:${RUN}:`;

const WARMUP = 2_000;
const CALLS = 2_000;
const BLOCK = 250;
const EVENTS = 10_000;
const RECORDS = 20_000;
const SEARCHES = 1_000;
const HTTP_CALLS = 10_000;
const CONCURRENCY = 32;

const withParam = (url: string, key: string, value: string) => {
  const u = new URL(url);
  u.searchParams.set(key, value);
  return u.toString();
};
const pgStoreUrl = (schema: string) => withParam(PG_URL, 'schema', schema);


async function dropSchema(schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await c.end();
  }
}

/** Preloads a store with an investigation holding EVENTS events and RECORDS records; returns the investigation. */
async function preload(spec: StoreSpec) {
  const store: StorePort = openStore(spec, nullLogger, systemClock);
  try {
    const inv = await openInvestigation(store.tenant(TENANT), 'Bench');
    await preloadEvents(store, inv, EVENTS, 4);
    await preloadRecords(store, RECORDS, 20, 5);
    return inv;
  } finally {
    await store.close();
  }
}

/** record_event and search_memory over stdio on two stores, in alternating blocks. */
async function stdioSideBySide(dir: string) {
  const sqlitePath = join(dir, 'stdio.db');
  const stores = {
    sqlite: { spec: { kind: 'sqlite', path: sqlitePath } as StoreSpec, env: { LONGHAUL_STORE: `sqlite:${sqlitePath}` } },
    postgres: { spec: { kind: 'postgres', url: PG_URL, schema: `${SCHEMA}_stdio` } as StoreSpec, env: { LONGHAUL_STORE: pgStoreUrl(`${SCHEMA}_stdio`) } },
  };
  log(`preloading both stores (${EVENTS.toLocaleString('en')} events, ${RECORDS.toLocaleString('en')} records each)…`);
  const inv = { sqlite: await preload(stores.sqlite.spec), postgres: await preload(stores.postgres.spec) };
  const conns = {
    sqlite: await connect(process.execPath, [join(ROOT, 'dist/cli.js'), 'serve'], { ...stores.sqlite.env, LONGHAUL_DATA_DIR: dir, LONGHAUL_TENANT: TENANT, LONGHAUL_ACTOR: ACTOR, LONGHAUL_LOG_LEVEL: 'warn' }),
    postgres: await connect(process.execPath, [join(ROOT, 'dist/cli.js'), 'serve'], { ...stores.postgres.env, LONGHAUL_DATA_DIR: dir, LONGHAUL_TENANT: TENANT, LONGHAUL_ACTOR: ACTOR, LONGHAUL_LOG_LEVEL: 'warn' }),
  };
  try {
    const r = rng(6);
    const vocab = vocabulary();
    const record = (k: 'sqlite' | 'postgres') => () =>
      conns[k].call('record_event', { investigationId: inv[k].investigationId, role: 'agent', kind: 'finding', text: makeEvents(1, { investigationId: 'x', sessionId: 'x' }, r, vocab)[0]!.text });
    const queries = Array.from({ length: SEARCHES + WARMUP }, () => Array.from({ length: 1 + Math.floor(r() * 3) }, () => vocab[Math.floor(vocab.length * Math.pow(r(), 1.5))]!).join(' '));
    const search = (k: 'sqlite' | 'postgres') => (i: number) => conns[k].call('search_memory', { query: queries[i % queries.length]!, topK: 10 });
    log(`record_event: ${WARMUP} warm-up calls each, then ${CALLS} each in alternating blocks of ${BLOCK}…`);
    await time(WARMUP, record('sqlite'));
    await time(WARMUP, record('postgres'));
    const rec = { sqlite: [] as number[], postgres: [] as number[] };
    for (let done = 0; done < CALLS; done += BLOCK) {
      rec.sqlite.push(...(await time(BLOCK, record('sqlite'))));
      rec.postgres.push(...(await time(BLOCK, record('postgres'))));
    }
    log(`search_memory: ${SEARCHES} each in alternating blocks…`);
    await time(500, search('sqlite'));
    await time(500, search('postgres'));
    const srch = { sqlite: [] as number[], postgres: [] as number[] };
    for (let done = 0; done < SEARCHES; done += BLOCK) {
      srch.sqlite.push(...(await time(BLOCK, (i) => search('sqlite')(done + i))));
      srch.postgres.push(...(await time(BLOCK, (i) => search('postgres')(done + i))));
    }
    const p = (xs: number[]) => ({ p50Ms: round(percentile(xs, 50)), p95Ms: round(percentile(xs, 95)) });
    return { recordEvent: { sqlite: p(rec.sqlite), postgres: p(rec.postgres) }, searchMemory: { sqlite: p(srch.sqlite), postgres: p(srch.postgres) } };
  } finally {
    await conns.sqlite.close();
    await conns.postgres.close();
    await dropSchema(`${SCHEMA}_stdio`);
  }
}

// ------------------------------------------------------------------ HTTP, one and two instances

async function startInstance(dir: string, env: Record<string, string>): Promise<{ proc: ChildProcess; mcp: string }> {
  const port = await freePort();
  const proc = spawn(process.execPath, [join(ROOT, 'dist/cli.js'), 'serve', '--http', '--port', String(port)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LONGHAUL_DATA_DIR: dir, LONGHAUL_LOG_LEVEL: 'warn', LONGHAUL_HTTP_RATE_LIMIT: '1000000000/1m', ...env },
    // The access log (a line per request on stderr) would bury the bench's own output.
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error(`serve --http exited with ${proc.exitCode}`);
    if ((await fetch(`${url}/readyz`).catch(() => null))?.ok) return { proc, mcp: `${url}/mcp` };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('serve --http did not become ready');
}

async function stopInstance(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  if (proc.exitCode === null) proc.kill('SIGKILL');
}

async function httpClient(mcp: string) {
  const client = new Client({ name: 'longhaul-bench-scale', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(mcp)));
  return client;
}

/** HTTP_CALLS calls from CONCURRENCY clients spread over `mcps`; calls/s and errors. */
async function httpLoad(mcps: readonly string[]) {
  const clients: Client[] = [];
  for (let i = 0; i < CONCURRENCY; i++) clients.push(await httpClient(mcps[i % mcps.length]!));
  try {
    const started = await clients[0]!.callTool({ name: 'start_investigation', arguments: { subject: 'TechCorp', objective: 'Check TechCorp before onboarding' } });
    const investigationId = (started.structuredContent as { investigation: { investigationId: string } }).investigation.investigationId;
    // Warm-up: every client, a few calls.
    await Promise.all(clients.map(async (c) => {
      for (let i = 0; i < 20; i++) await c.callTool({ name: 'get_investigation', arguments: { investigationId } });
    }));
    let next = 0;
    let errors = 0;
    const errorSamples: string[] = [];
    const t0 = performance.now();
    await Promise.all(
      clients.map(async (c) => {
        for (let i = next++; i < HTTP_CALLS; i = next++) {
          try {
            const r = (await (i % 2
              ? c.callTool({ name: 'record_event', arguments: { investigationId, role: 'agent', kind: 'finding', text: `Finding ${i}: the payment was split in two.` } })
              : c.callTool({ name: 'get_investigation', arguments: { investigationId } }))) as CallToolResult;
            if (r.isError) {
              errors++;
              if (errorSamples.length < 3) errorSamples.push(JSON.stringify(r.content).slice(0, 300));
            }
          } catch (e) {
            errors++;
            if (errorSamples.length < 3) errorSamples.push(String(e).slice(0, 300));
          }
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    return { calls: HTTP_CALLS, seconds: round(seconds, 2), callsPerSecond: Math.round(HTTP_CALLS / seconds), errors, ...(errorSamples.length ? { errorSamples } : {}) };
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()));
  }
}

async function httpOneAndTwo(dir: string) {
  const schema = `${SCHEMA}_http`;
  const env = { LONGHAUL_STORE: pgStoreUrl(schema), LONGHAUL_REDIS_URL: withParam(REDIS_URL, 'prefix', PREFIX) };
  try {
    log(`HTTP: ${HTTP_CALLS.toLocaleString('en')} calls from ${CONCURRENCY} clients on one instance (PostgreSQL + Redis)…`);
    const a = await startInstance(join(dir, 'a'), env);
    const one = await httpLoad([a.mcp]);
    log(`HTTP: the same on two instances, the clients spread over both…`);
    const b = await startInstance(join(dir, 'b'), env);
    const two = await httpLoad([a.mcp, b.mcp]);
    await Promise.all([stopInstance(a.proc), stopInstance(b.proc)]);
    return { oneInstance: one, twoInstances: two };
  } finally {
    await dropSchema(schema);
    const { createClient } = await import('@redis/client');
    const r = createClient({ url: REDIS_URL });
    await r.connect();
    for await (const keys of r.scanIterator({ MATCH: `${PREFIX}*`, COUNT: 500 })) {
      const list = Array.isArray(keys) ? keys : [keys];
      if (list.length) await r.del(list);
    }
    r.destroy();
  }
}

async function main() {
  setMaxListeners(0);
  const dir = mkdtempSync(join(tmpdir(), 'longhaul-bench-scale-'));
  try {
    const stdio = await stdioSideBySide(dir);
    const http = await httpOneAndTwo(dir);
    log('lifecycle sweep: 100 due among 1,000 and among 1,000,000 sessions, on PostgreSQL and SQLite…');
    const sweep = {
      postgres: await sweepAtScale({ kind: 'postgres', url: PG_URL, schema: `${SCHEMA}_sweep` }, PG_URL),
      sqlite: await sweepAtScale({ kind: 'sqlite', path: join(dir, 'sweep.db') }, PG_URL),
    };
    await dropSchema(`${SCHEMA}_sweep`);
    const results = { when: new Date().toISOString(), node: process.version, cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`, stdio, http, sweep };
    const rows: string[][] = [
      ['measure', 'SQLite', 'PostgreSQL'],
      ['record_event p50 / p95 (stdio)', `${stdio.recordEvent.sqlite.p50Ms} / ${stdio.recordEvent.sqlite.p95Ms} ms`, `${stdio.recordEvent.postgres.p50Ms} / ${stdio.recordEvent.postgres.p95Ms} ms`],
      [`search_memory p50 / p95 (${RECORDS.toLocaleString('en')} records)`, `${stdio.searchMemory.sqlite.p50Ms} / ${stdio.searchMemory.sqlite.p95Ms} ms`, `${stdio.searchMemory.postgres.p50Ms} / ${stdio.searchMemory.postgres.p95Ms} ms`],
      ['lifecycle sweep, 100 due of 1,000', `${sweep.sqlite.small.ms} ms`, `${sweep.postgres.small.ms} ms`],
      ['lifecycle sweep, 100 due of 1,000,000', `${sweep.sqlite.large.ms} ms (${sweep.sqlite.ratio}×)`, `${sweep.postgres.large.ms} ms (${sweep.postgres.ratio}×)`],
      [`HTTP, ${HTTP_CALLS.toLocaleString('en')} calls at ${CONCURRENCY}: one instance`, '', `${http.oneInstance.callsPerSecond} calls/s, ${http.oneInstance.errors} errors`],
      [`HTTP, ${HTTP_CALLS.toLocaleString('en')} calls at ${CONCURRENCY}: two instances`, '', `${http.twoInstances.callsPerSecond} calls/s, ${http.twoInstances.errors} errors`],
    ];
    const w = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
    process.stdout.write('\n' + rows.map((row) => row.map((cell, i) => cell.padEnd(w[i]!)).join('  ')).join('\n') + '\n');
    writeFileSync(join(ROOT, 'bench/scale.json'), JSON.stringify(results, null, 2) + '\n');
    process.stdout.write('\nwrote bench/scale.json\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
