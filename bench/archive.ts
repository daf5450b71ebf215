/**
 * `npm run bench:archive`: longhaul export / import at 1,000,000 events. Not a test:
 * nothing here asserts. Each phase runs in a process of its own, so its peak RSS
 * (getrusage maxrss) is that phase's alone:
 *
 *   populate   an SQLite store with EVENTS events (10 investigations, one session each,
 *              extracted) and 10,000 records;
 *   export     the whole store to a gzip archive (one snapshot, streamed);
 *   import     the archive into a fresh SQLite store, then into PostgreSQL (a schema of
 *              its own, dropped afterwards).
 *
 * Throughput is archive rows per second of wall time (the import's includes its
 * verification pass over the file). Writes bench/archive.json and merges `archive` into
 * bench/results.json. LONGHAUL_BENCH_EVENTS sets the size; LONGHAUL_BENCH_PG_URL the server.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { systemClock } from '../src/domain/clock.js';
import { openPostgresStore } from '../src/store/adapters/postgres/index.js';
import { openSqliteStore } from '../src/store/adapters/sqlite/index.js';
import { exportArchive } from '../src/store/archive/export.js';
import { importArchive } from '../src/store/archive/import.js';
import type { StorePort } from '../src/store/port.js';
import { log, machine, mergeResults, ROOT, round } from './harness.js';
import { openInvestigation, preloadEvents, preloadRecords, TENANT } from './preload.js';

const EVENTS = Number(process.env.LONGHAUL_BENCH_EVENTS ?? 1_000_000);
const PG_URL = process.env.LONGHAUL_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface PhaseResult {
  ms: number;
  rows: number;
  maxRssMiB: number;
  bytes?: number;
}

/** One phase, run in this (child) process; prints its result as JSON on stdout. */
async function phase(name: string, args: string[]): Promise<void> {
  const started = performance.now();
  let rows = 0;
  let bytes: number | undefined;
  let store: StorePort;
  if (name === 'populate') {
    store = openSqliteStore({ path: args[0]! });
    const t = store.tenant(TENANT);
    for (let i = 0; i < 10; i++) await preloadEvents(store, await openInvestigation(t, `Archive ${i}`), EVENTS / 10, 100 + i);
    await preloadRecords(store, 10_000, 10, 7);
    rows = (await store.stats(systemClock.now())).events;
  } else if (name === 'export') {
    store = openSqliteStore({ path: args[0]! });
    const r = await exportArchive(store, { out: args[1]!, clock: systemClock });
    rows = r.rows;
    bytes = r.bytes;
  } else {
    store = args[0]!.startsWith('postgres') ? openPostgresStore({ url: PG_URL, schema: args[0]!.split('schema=')[1]!, poolMax: 2 }) : openSqliteStore({ path: args[0]! });
    const r = await importArchive(store, args[1]!);
    rows = r.rows;
  }
  await store.close();
  const result: PhaseResult = { ms: performance.now() - started, rows, maxRssMiB: round(process.resourceUsage().maxRSS / 1024, 1), ...(bytes !== undefined ? { bytes } : {}) };
  process.stdout.write(JSON.stringify(result) + '\n');
}

function run(name: string, args: string[]): PhaseResult {
  log(`${name} ${args.join(' ')}…`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/archive.ts'), name, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
  if (r.status !== 0) throw new Error(`${name} failed (exit ${r.status})`);
  const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as PhaseResult;
  log(`  ${result.rows.toLocaleString('en-US')} rows in ${(result.ms / 1000).toFixed(1)} s, peak RSS ${result.maxRssMiB} MiB`);
  return result;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lh-bench-archive-'));
  const schema = `lh_bench_archive_${process.pid}`;
  try {
    const source = join(dir, 'source.db');
    const populate = run('populate', [source]);
    const file = join(dir, 'store.jsonl.gz');
    const exp = run('export', [source, file]);
    const intoSqlite = run('import', [join(dir, 'target.db'), file]);
    const intoPg = run('import', [`postgres?schema=${schema}`, file]);
    const rate = (p: PhaseResult) => Math.round(p.rows / (p.ms / 1000));
    const out = {
      ...machine(),
      events: EVENTS,
      sourceFileMiB: round(statSync(source).size / 1024 / 1024, 1),
      archiveMiB: round(statSync(file).size / 1024 / 1024, 1),
      populate: { seconds: round(populate.ms / 1000, 1), maxRssMiB: populate.maxRssMiB },
      export: { rows: exp.rows, seconds: round(exp.ms / 1000, 1), rowsPerSecond: rate(exp), maxRssMiB: exp.maxRssMiB },
      importSqlite: { rows: intoSqlite.rows, seconds: round(intoSqlite.ms / 1000, 1), rowsPerSecond: rate(intoSqlite), maxRssMiB: intoSqlite.maxRssMiB },
      importPostgres: { rows: intoPg.rows, seconds: round(intoPg.ms / 1000, 1), rowsPerSecond: rate(intoPg), maxRssMiB: intoPg.maxRssMiB },
    };
    writeFileSync(join(ROOT, 'bench/archive.json'), JSON.stringify(out, null, 2) + '\n');
    mergeResults('archive', out);
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  } finally {
    const pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

const [, , name, ...args] = process.argv;
if (name) await phase(name, args);
else await main();
