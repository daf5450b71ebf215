/**
 * `npm run bench:100k`: longhaul alone with 100,000 events and 100,000 records on the embedded
 * SQLite store. Not a test: nothing here asserts.
 *
 * The store is seeded directly through the store port (bench/preload.ts: what longhaul itself
 * would write, in seconds instead of minutes); everything measured goes through the built
 * server over stdio and the real SDK client:
 *   - `record_event` p50/p95 on an investigation holding 100,000 events;
 *   - `search_memory` p50/p95 over 100,000 records (tenant-wide, topK 10);
 *   - `get_investigation` p50/p95 on that investigation;
 *   - `resume_investigation` p50/p95 on an investigation with 10,000 events and on the one
 *     with 100,000 (each call opens a new supervisor session and ends the previous one);
 * both investigations were opened through the client with a retrieval task and a compliance
 * task waiting for `bank_data`, so the briefing has tasks, a wait and findings to read.
 * Then, in-process: extraction throughput over 100,000 fresh events (deterministic
 * strategies; in a process of its own, as the server's job runs), and the lifecycle sweep
 * (the scheduler's job function) with 100 sessions due among 1,000 and among 100,000.
 * Merges `scale100k` into bench/results.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../src/domain/clock.js';
import { nullLogger } from '../src/logger.js';
import { openSqliteStore } from '../src/store/adapters/sqlite/index.js';
import type { extraction } from './extraction.js';
import { log, longhaul, machine, mergeResults, p50p95, printTable, ROOT, time, WARMUP, type Connection } from './harness.js';
import { makeEvents, preloadEvents, preloadRecords, TENANT, vocabulary } from './preload.js';
import { rng } from './rng.js';
import { sweepAtScale } from './sweep-scale.js';

const EVENTS = 100_000;
const RECORDS = 100_000;
const RESUME_EVENTS = 10_000;
const SWEEP_SESSIONS = 100_000;
const EXTRACTION_EVENTS = 100_000;

const RECORD_CALLS = 2_000;
const SEARCHES = 1_000;
const GETS = 500;
const RESUMES = 200;

/** Opens an investigation through the client, as a supervisor would, with a retrieval task and a compliance task that waits. */
async function openThroughClient(c: Connection, subject: string) {
  const r = await c.call('start_investigation', {
    subject,
    objective: `Check ${subject} before onboarding`,
    tasks: [
      { role: 'retrieval', instructions: `Search the internal sources for ${subject}.` },
      { role: 'compliance', instructions: `Check ${subject}'s bank data against the rules.`, waitFor: { signal: 'bank_data', timeout: 'P3D' } },
    ],
  });
  const s = r.structuredContent as { investigation: { investigationId: string }; sessionId: string };
  return { investigationId: s.investigation.investigationId, sessionId: s.sessionId };
}

/** Search queries: one to three words of the bench vocabulary, common words more often. */
function queries(n: number, seed: number) {
  const r = rng(seed);
  const vocab = vocabulary();
  return Array.from({ length: n }, () => Array.from({ length: 1 + Math.floor(r() * 3) }, () => vocab[Math.floor(vocab.length * Math.pow(r(), 1.5))]!).join(' '));
}

export async function scale100k() {
  const dir = mkdtempSync(join(tmpdir(), 'longhaul-bench-100k-'));
  try {
    log('opening two investigations through the client (a retrieval task, a compliance task waiting for bank_data)…');
    let c = await longhaul(dir);
    const big = await openThroughClient(c, 'TechCorp');
    const small = await openThroughClient(c, 'Globex');
    await c.close();

    log(`seeding through the store port: ${EVENTS.toLocaleString('en')} + ${RESUME_EVENTS.toLocaleString('en')} events, ${RECORDS.toLocaleString('en')} records…`);
    const t0 = performance.now();
    const store = openSqliteStore({ path: join(dir, 'longhaul.db'), logger: nullLogger });
    await preloadEvents(store, big, EVENTS, 31);
    await preloadEvents(store, small, RESUME_EVENTS, 32);
    await preloadRecords(store, RECORDS, 100, 33);
    const stats = await store.stats(systemClock.now());
    await store.close();
    const seedSeconds = (performance.now() - t0) / 1000;

    c = await longhaul(dir);
    const r = rng(34);
    const vocab = vocabulary();
    log(`record_event: ${WARMUP} warm-up calls, then ${RECORD_CALLS}…`);
    const record = () => c.call('record_event', { investigationId: big.investigationId, role: 'agent', kind: 'finding', text: makeEvents(1, big, r, vocab)[0]!.text });
    await time(WARMUP, record);
    const recordMs = await time(RECORD_CALLS, record);

    log(`search_memory: ${SEARCHES} searches…`);
    const qs = queries(SEARCHES + 300, 35);
    await time(300, (i) => c.call('search_memory', { query: qs[SEARCHES + i]!, topK: 10 }));
    const searchMs = await time(SEARCHES, (i) => c.call('search_memory', { query: qs[i]!, topK: 10 }));

    log(`get_investigation: ${GETS} calls on the investigation with ${EVENTS.toLocaleString('en')} events…`);
    const get = () => c.call('get_investigation', { investigationId: big.investigationId });
    await time(100, get);
    const getMs = await time(GETS, get);

    log(`resume_investigation: ${RESUMES} calls on each investigation (${RESUME_EVENTS.toLocaleString('en')} and ${EVENTS.toLocaleString('en')} events)…`);
    const resume = (inv: { investigationId: string }) => () => c.call('resume_investigation', { investigationId: inv.investigationId });
    await time(20, resume(small));
    const resume10kMs = await time(RESUMES, resume(small));
    await time(20, resume(big));
    const resume100kMs = await time(RESUMES, resume(big));
    await c.close();

    log(`extraction of ${EXTRACTION_EVENTS.toLocaleString('en')} events (deterministic strategies), in a fresh process…`);
    const ex = JSON.parse(
      execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/extraction.ts'), join(dir, 'extraction.db'), String(EXTRACTION_EVENTS)], { cwd: ROOT, encoding: 'utf8' }),
    ) as Awaited<ReturnType<typeof extraction>>;

    log(`lifecycle sweep: 100 due among 1,000 and among ${SWEEP_SESSIONS.toLocaleString('en')} sessions (median of 5 passes each)…`);
    const sweep = await sweepAtScale({ kind: 'sqlite', path: join(dir, 'sweep.db') }, '', SWEEP_SESSIONS);

    const searchP95 = p50p95(searchMs).p95Ms;
    const resume10k = p50p95(resume10kMs);
    return {
      machine: machine(),
      store: { events: stats.events, records: stats.records, seededInSeconds: Math.round(seedSeconds) },
      recordEvent: p50p95(recordMs),
      searchMemory: p50p95(searchMs),
      getInvestigation: p50p95(getMs),
      resumeInvestigation: { at10kEvents: resume10k, at100kEvents: p50p95(resume100kMs) },
      extraction: ex,
      sweep,
      targets: {
        searchP95At100k: { measured: searchP95, target: '≤ 10 ms', met: searchP95 <= 10 },
        resumeAt10k: { measured: resume10k.p95Ms, target: '≤ 50 ms (p95)', met: resume10k.p95Ms <= 50 },
        sweepRatio: { measured: sweep.ratio, target: '≤ 2', met: sweep.ratio <= 2 },
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function scale100kRows(r: Awaited<ReturnType<typeof scale100k>>): string[][] {
  const pp = (x: { p50Ms: number; p95Ms: number }) => `${x.p50Ms} / ${x.p95Ms} ms`;
  const ok = (t: { met: boolean; target: string }) => `${t.target}: ${t.met ? 'met' : 'MISSED'}`;
  return [
    [`longhaul alone (${r.store.events.toLocaleString('en')} events, ${r.store.records.toLocaleString('en')} records)`, 'p50 / p95', 'target'],
    ['record_event', pp(r.recordEvent), ''],
    ['search_memory', pp(r.searchMemory), ok(r.targets.searchP95At100k)],
    ['get_investigation (100k events)', pp(r.getInvestigation), ''],
    ['resume_investigation (10k events)', pp(r.resumeInvestigation.at10kEvents), ok(r.targets.resumeAt10k)],
    ['resume_investigation (100k events)', pp(r.resumeInvestigation.at100kEvents), ''],
    ['extraction', `${r.extraction.eventsPerSecond} events/s`, `${r.extraction.events} events → ${r.extraction.records} records`],
    ['lifecycle sweep, 100 due of 1,000 / of 100,000', `${r.sweep.small.ms} / ${r.sweep.large.ms} ms (${r.sweep.ratio}×)`, ok(r.targets.sweepRatio)],
  ];
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const r = await scale100k();
  printTable(scale100kRows(r));
  mergeResults('scale100k', r);
  process.stdout.write(`\nmerged "scale100k" into bench/results.json\n`);
}
