/**
 * `npm run bench`: every figure of issue 12 beside its reference, each measured in the same
 * run (not part of `npm test`; nothing here asserts). Three parts, each in a process of its own:
 *   1. this file: longhaul's record_event over stdio, through the real SDK client, on the
 *      embedded SQLite store, beside three reference servers (bench/reference-server.ts): the
 *      floor, the write floor (+ one write() of the event to an append-only file, the least
 *      any crash-safe acknowledgement costs) and the durable floor (+ one row committed to a
 *      SQLite table with longhaul's event indexes). Calls alternate in blocks of 500 with 5k
 *      and with 100k stored events; the whole pair is run three times (fresh stores, fresh
 *      servers) and the median ratio is the figure. Also the last 500 calls' p50 against the
 *      first 500's at 100k (does a growing store slow appends down?), and record_event's
 *      runtime + store share in-process;
 *   2. bench/peer.ts: longhaul beside @modelcontextprotocol/server-memory at N = 1,000 and 5,000;
 *   3. bench/scale-100k.ts: longhaul alone at 100k events and 100k records (record_event,
 *      search_memory, get_investigation, resume_investigation, extraction, the lifecycle sweep).
 * Each part prints its table and merges its key into bench/results.json (`recordEvent`,
 * `peer`, `scale100k`); this file then prints every target, met or missed.
 * `node --import tsx bench/run.ts --floors-only` runs part 1 alone.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLogger, nullLogger } from '../src/logger.js';
import { openSqliteStore } from '../src/store/adapters/sqlite/index.js';
import { ROOT, WARMUP, alternate, log, longhaul, machine, median, mergeResults, percentile, printTable, referenceServer, round, time, type Connection, type Reference } from './harness.js';
import type { peerBench } from './peer.js';
import { ACTOR, TENANT, makeEvents, openInvestigation, preloadEvents, vocabulary } from './preload.js';
import { rng } from './rng.js';
import type { scale100k } from './scale-100k.js';

/** As many calls (six blocks) at 5k as at 100k: with two blocks the floor's p50 alone moved the ratio by ±0.2. */
const CALLS = 3_000;
const RUNS = 3;
/** Calls per block when longhaul and the reference servers take turns (see harness.alternate). */
const BLOCK = 500;

/** record_event calls with the given seed, alternating with the reference servers. */
function recordEvents(c: Connection, refs: readonly Reference[], investigationId: string, n: number, seed: number) {
  const r = rng(seed);
  const vocab = vocabulary();
  const kinds = ['message', 'finding', 'fact', 'decision'] as const;
  const record = () => c.call('record_event', { investigationId, role: 'agent', kind: kinds[Math.floor(r() * kinds.length)], text: makeEvents(1, { investigationId, sessionId: 'x' }, r, vocab)[0]!.text });
  return alternate(record, refs, n, BLOCK);
}

/** One run of the pair: fresh store and servers; record_event beside the floors at 5k, then at 100k stored events. */
async function onePair(run: number) {
  const dir = mkdtempSync(join(tmpdir(), 'longhaul-bench-'));
  const dbPath = join(dir, 'longhaul.db');
  try {
    log(`run ${run}/${RUNS}: reference servers (the floor, the write floor, the durable floor)…`);
    const refs = [await referenceServer('echo'), await referenceServer('write'), await referenceServer('sqlite')];
    let store = openSqliteStore({ path: dbPath, logger: nullLogger });
    const inv = await openInvestigation(store.tenant(TENANT), 'Bench');
    // Warm-up and measured calls add events too: the measured calls straddle 5k.
    await preloadEvents(store, inv, 5_000 - WARMUP - CALLS / 2, 10 * run + 1);
    await store.close();
    log(`run ${run}/${RUNS}: record_event at 5k stored events…`);
    let c = await longhaul(dir);
    await recordEvents(c, [], inv.investigationId, WARMUP, 10 * run + 2);
    const at5k = await recordEvents(c, refs, inv.investigationId, CALLS, 10 * run + 3);
    await c.close();

    log(`run ${run}/${RUNS}: preloading to 100k events, then record_event at 100k…`);
    store = openSqliteStore({ path: dbPath, logger: nullLogger });
    const have = (await store.tenant(TENANT).listEvents({ sessionId: inv.sessionId, limit: 1 })).total;
    await preloadEvents(store, inv, 100_000 - have, 10 * run + 4);
    await store.close();
    c = await longhaul(dir);
    await recordEvents(c, [], inv.investigationId, WARMUP, 10 * run + 6);
    const at100k = await recordEvents(c, refs, inv.investigationId, CALLS, 10 * run + 7);
    await c.close();
    for (const ref of refs) await ref.close();
    // Where record_event's time goes: the same call in-process (runtime + store, no MCP, no stdio), once.
    const inProcess = run === 1 ? await recordInProcess(dir, inv.investigationId) : null;
    const first500 = percentile(at100k.ms.slice(0, 500), 50);
    const last500 = percentile(at100k.ms.slice(-500), 50);
    return {
      at5k: vs(at5k),
      at100k: vs(at100k),
      drift: { first500P50Ms: round(first500), last500P50Ms: round(last500), ratio: round(last500 / first500, 2) },
      inProcessP50Ms: inProcess === null ? null : round(inProcess),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function recordInProcess(dataDir: string, investigationId: string) {
  const config = loadConfig({ env: { HOME: process.env.HOME ?? '/tmp', LONGHAUL_DATA_DIR: dataDir, LONGHAUL_TENANT: TENANT, LONGHAUL_ACTOR: ACTOR } });
  const app = createApp(config, { logger: createLogger({ level: 'error' }) });
  const caller = app.localCaller;
  const call = (i: number) => app.runtime.events.record(caller, { investigationId, role: 'agent', kind: 'finding', text: `In-process finding ${i} about the ledger.` });
  await time(WARMUP, call);
  const ms = await time(CALLS, call);
  await app.close();
  return percentile(ms, 50);
}

/**
 * p50s of longhaul's calls and of each reference server's calls made alongside them
 * (floor, write floor, durable floor, in that order), longhaul's ratios to the floor and
 * the durable floor, and each floor's own ratio to the floor: how much of the room a
 * crash-safe acknowledgement alone takes.
 */
function vs({ ms, alongside }: { ms: number[]; alongside: number[][] }) {
  const p50 = percentile(ms, 50);
  const [f, w, d] = alongside.map((xs) => percentile(xs, 50)) as [number, number, number];
  return {
    p50Ms: round(p50),
    p95Ms: round(percentile(ms, 95)),
    floorP50Ms: round(f),
    writeFloorP50Ms: round(w),
    durableFloorP50Ms: round(d),
    vsFloor: round(p50 / f, 2),
    vsDurableFloor: round(p50 / d, 2),
    writeFloorVsFloor: round(w / f, 2),
    durableFloorVsFloor: round(d / f, 2),
  };
}

async function floorsPart() {
  const runs: Array<Awaited<ReturnType<typeof onePair>>> = [];
  for (let run = 1; run <= RUNS; run++) runs.push(await onePair(run));
  const med = (f: (r: (typeof runs)[number]) => number) => round(median(runs.map(f)), 2);
  const result = {
    machine: machine(),
    blockCalls: BLOCK,
    callsPerRun: CALLS,
    runs,
    median: {
      at5k: { vsDurableFloor: med((r) => r.at5k.vsDurableFloor), vsFloor: med((r) => r.at5k.vsFloor), durableFloorVsFloor: med((r) => r.at5k.durableFloorVsFloor) },
      at100k: { vsDurableFloor: med((r) => r.at100k.vsDurableFloor), vsFloor: med((r) => r.at100k.vsFloor), durableFloorVsFloor: med((r) => r.at100k.durableFloorVsFloor) },
      drift: med((r) => r.drift.ratio),
    },
    targets: {
      vsDurableFloor: { measured: 0, target: '≤ 1.5× the durable floor (median of three runs, at 5k and at 100k)', met: false },
      flat: { measured: 0, target: 'last 500 ≤ 1.2× first 500 (p50, at 100k; median of three runs)', met: false },
    },
  };
  const worst = Math.max(result.median.at5k.vsDurableFloor, result.median.at100k.vsDurableFloor);
  result.targets.vsDurableFloor = { ...result.targets.vsDurableFloor, measured: worst, met: worst <= 1.5 };
  result.targets.flat = { ...result.targets.flat, measured: result.median.drift, met: result.median.drift <= 1.2 };
  const rows: string[][] = [['record_event beside the floors', ...runs.map((_, i) => `run ${i + 1}`), 'median']];
  for (const k of ['at5k', 'at100k'] as const) {
    rows.push(
      [`${k.slice(2)} events: record_event p50`, ...runs.map((r) => `${r[k].p50Ms} ms`), ''],
      [`  floor / write floor / durable floor p50`, ...runs.map((r) => `${r[k].floorP50Ms} / ${r[k].writeFloorP50Ms} / ${r[k].durableFloorP50Ms} ms`), ''],
      [`  record_event ÷ durable floor`, ...runs.map((r) => `${r[k].vsDurableFloor}×`), `${result.median[k].vsDurableFloor}×`],
      [`  record_event ÷ floor`, ...runs.map((r) => `${r[k].vsFloor}×`), `${result.median[k].vsFloor}×`],
    );
  }
  rows.push([`100k: last 500 ÷ first 500 (p50)`, ...runs.map((r) => `${r.drift.ratio}×`), `${result.median.drift}×`]);
  rows.push([`in-process record_event (runtime + store)`, `${runs[0]!.inProcessP50Ms} ms`, '', '', '']);
  printTable(rows);
  mergeResults('recordEvent', result);
  return result;
}

/** Runs another part in a fresh process (its heap free of this one's phases), its table on this stdout. */
function part(file: string) {
  log(`\n— ${file} —`);
  execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, file)], { cwd: ROOT, stdio: 'inherit' });
}

const floors = await floorsPart();
if (!process.argv.includes('--floors-only')) {
  part('bench/peer.ts');
  part('bench/scale-100k.ts');
  const all = JSON.parse(readFileSync(join(ROOT, 'bench/results.json'), 'utf8')) as {
    peer: Awaited<ReturnType<typeof peerBench>>;
    scale100k: Awaited<ReturnType<typeof scale100k>>;
  };
  const t = { ...floors.targets, ...all.peer.targets, ...all.scale100k.targets };
  const rows = [['target', 'measured', 'verdict'], ...Object.entries(t).filter(([, v]) => typeof v === 'object').map(([k, v]) => {
    const x = v as { measured: number; target: string; met: boolean };
    return [`${k}: ${x.target}`, String(x.measured), x.met ? 'met' : 'MISSED'];
  })];
  printTable(rows);
}
process.stdout.write('\nmerged into bench/results.json\n');
