/**
 * The lifecycle sweep's cost against the sessions it does not have to look at: 100
 * sessions due among 1,000, then 100 due among 1,000,000 (the others idle and not
 * due), on one store. The sweep finds work by the due-time index, so the second should
 * cost about what the first does. Sessions are bulk-inserted with SQL (a million
 * createSession calls would take the bench's whole budget); the sweep itself is the
 * production job (scheduler/lifecycle-sweep.ts) on the production store adapter.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { systemClock } from '../src/domain/clock.js';
import { nullLogger } from '../src/logger.js';
import { ChangeFeed } from '../src/runtime/change-feed.js';
import type { RuntimeDeps } from '../src/runtime/deps.js';
import { lifecycleSweep } from '../src/scheduler/lifecycle-sweep.js';
import { openStore, type StoreSpec } from '../src/store/open-store.js';
import { percentile, round } from './harness.js';
import { TENANT } from './preload.js';

const IDLE_MS = 15 * 60_000;
const MAX_MS = 8 * 3_600_000;
const DUE = 100;
const ROUNDS = 5;

const COLUMNS = 'tenant_id, id, actor_id, kind, role, investigation_id, task_id, status, termination_reason, started_at, last_activity_at, terminated_at, idle_timeout_ms, max_duration_ms, inflight, due_at, version';

/** Inserts `n` idle sessions `from` onwards; `due` of them went idle long enough ago to be due now. */
type Insert = (from: number, n: number, dueNow: boolean, now: number, tag: string) => Promise<void>;

function sqliteInserter(path: string): { insert: Insert; close: () => void } {
  const db = new Database(path);
  db.pragma('busy_timeout = 10000');
  const stmt = db.prepare(`INSERT INTO sessions (${COLUMNS}) VALUES (?, ?, 'bench', 'supervisor', NULL, NULL, NULL, 'idle', NULL, ?, ?, NULL, ?, ?, 0, ?, 1)`);
  const many = db.transaction((from: number, n: number, dueNow: boolean, now: number, tag: string) => {
    for (let i = from; i < from + n; i++) {
      const last = dueNow ? now - IDLE_MS - 60_000 : now;
      stmt.run(TENANT, `ses_${tag}${String(i).padStart(9, '0')}`, last, last, IDLE_MS, MAX_MS, last + IDLE_MS);
    }
  });
  return {
    insert: async (from, n, dueNow, now, tag) => {
      for (let done = 0; done < n; done += 50_000) many(from + done, Math.min(50_000, n - done), dueNow, now, tag);
    },
    close: () => db.close(),
  };
}

async function pgInserter(url: string, schema: string): Promise<{ insert: Insert; close: () => Promise<void> }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(`SET search_path TO ${schema}`);
  return {
    insert: async (from, n, dueNow, now, tag) => {
      const last = dueNow ? now - IDLE_MS - 60_000 : now;
      for (let done = 0; done < n; done += 200_000) {
        const lo = from + done;
        const hi = from + Math.min(n, done + 200_000) - 1;
        await c.query(
          `INSERT INTO sessions (${COLUMNS})
           SELECT $1, 'ses_' || $2 || lpad(g::text, 9, '0'), 'bench', 'supervisor', NULL, NULL, NULL, 'idle', NULL, $3::bigint, $3::bigint, NULL, $4::bigint, $5::bigint, 0, $3::bigint + $4::bigint, 1
           FROM generate_series($6::int, $7::int) g`,
          [TENANT, tag, last, IDLE_MS, MAX_MS, lo, hi],
        );
      }
      await c.query('ANALYZE sessions');
    },
    close: () => c.end(),
  };
}

/** One sweep pass's duration (ms), after putting DUE fresh due sessions in. */
async function sweepOnce(deps: RuntimeDeps, insert: Insert, round: number): Promise<{ ms: number; terminated: number }> {
  const now = systemClock.now();
  await insert(0, DUE, true, now, `due${round}x`);
  const job = lifecycleSweep(deps, 1_000);
  const t0 = performance.now();
  const r = await job.run();
  return { ms: performance.now() - t0, terminated: r.processed };
}

/** The sweep with 100 due among 1,000 sessions, then among `large` (default 1,000,000). */
export async function sweepAtScale(spec: StoreSpec, pgUrl: string, large = 1_000_000) {
  const store = openStore(spec, nullLogger, systemClock);
  const deps = { store, clock: systemClock, feed: new ChangeFeed(), logger: nullLogger } as unknown as RuntimeDeps;
  await store.stats(systemClock.now()); // opened and migrated
  const inserter = spec.kind === 'postgres' ? await pgInserter(pgUrl, spec.schema ?? 'public') : spec.kind === 'sqlite' ? sqliteInserter(spec.path) : null;
  if (!inserter) throw new Error(`no bulk inserter for a ${spec.kind} store`);
  try {
    const measure = async (label: string) => {
      const passes: Array<{ ms: number; terminated: number }> = [];
      for (let r = 0; r < ROUNDS; r++) passes.push(await sweepOnce(deps, inserter.insert, Number(`${label === 'small' ? 1 : 2}${r}`)));
      const ms = passes.map((p) => p.ms);
      return { ms: round(percentile(ms, 50), 2), passesMs: ms.map((x) => round(x, 2)), terminatedPerPass: passes.map((p) => p.terminated) };
    };
    // 1,000 sessions: 900 not due, then each round adds DUE due ones (terminated by the pass).
    await inserter.insert(0, 1_000 - DUE, false, systemClock.now(), 'idle');
    const small = await measure('small');
    // `large` in all: the rest, not due.
    await inserter.insert(1_000 - DUE, large - 1_000, false, systemClock.now(), 'idle');
    const big = await measure('large');
    return { sessions: large, small, large: big, ratio: round(big.ms / small.ms, 2), target: 'ratio ≤ 2' };
  } finally {
    await inserter.close();
    await store.close();
  }
}
