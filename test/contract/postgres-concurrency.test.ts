/**
 * What the PostgreSQL store must hold under real concurrency: several processes
 * (`node --import tsx children/pg-race.ts`) on one schema, each with its own pool.
 * Also: migrations applied once by processes starting together, StorageUnavailableError
 * for a server that cannot be reached or drops a connection, and a pool that carries on
 * after its connections are killed.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StorageUnavailableError } from '../../src/domain/errors.js';
import { lockKey } from '../../src/store/adapters/postgres/db.js';
import { migratePostgres, openPostgresStore } from '../../src/store/adapters/postgres/index.js';
import { PG_MIGRATIONS } from '../../src/store/adapters/postgres/migrations.js';
import type { StorePort } from '../../src/store/port.js';
import { fixtures, openInvestigation, T0 } from './fixtures.js';
import { PG_URL, pgAdmin } from './postgres-helpers.js';

const run = promisify(execFile);
const child = fileURLToPath(new URL('./children/pg-race.ts', import.meta.url));
const admin = pgAdmin();
let made = 0;
const stores: StorePort[] = [];

const freshSchema = () => {
  const schema = `lh_race_${process.pid}_${made++}`;
  admin.track(schema);
  return schema;
};
/** This file's connections, by name: the tests that kill connections kill only these (other files share the server). */
const APP = `longhaul-race-${process.pid}`;
const open = (schema: string) => {
  const s = openPostgresStore({ url: PG_URL, schema, poolMax: 4, applicationName: APP });
  stores.push(s);
  return s;
};
/** Runs `n` children of one mode together (they start at the same moment), each with its own args. */
async function race<T>(mode: string, args: Array<Record<string, unknown>>): Promise<T[]> {
  const startAt = Date.now() + 2_000;
  return Promise.all(
    args.map(async (a) => {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', child, mode, JSON.stringify({ url: PG_URL, tenant: 'acme', startAt, ...a })], { timeout: 45_000 });
      return JSON.parse(stdout) as T;
    }),
  );
}

beforeAll(async () => {
  await admin.check();
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});
afterAll(async () => {
  await admin.end();
});

describe('postgres store under concurrent processes', () => {
  it('applies the migrations once when four processes start at the same moment', async () => {
    const schema = freshSchema();
    const results = await race<{ applied: number[] }>('migrate', [0, 1, 2, 3].map(() => ({ schema })));
    const all = PG_MIGRATIONS.map((m) => m.version);
    expect(results.filter((r) => r.applied.length > 0).map((r) => r.applied)).toEqual([all]);
    expect(results.filter((r) => r.applied.length === 0)).toHaveLength(3);
    const rows = await admin.pool.query(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
    expect(rows.rows.map((r: { version: number }) => r.version)).toEqual(all);
    expect(await migratePostgres(PG_URL, schema)).toEqual([]);
  }, 60_000);

  it('never claims a task twice across four processes, and claims every one', async () => {
    const schema = freshSchema();
    const s = open(schema);
    const f = fixtures('acme');
    const g = fixtures('globex');
    const a = await openInvestigation(s.tenant('acme'), f);
    const b = await openInvestigation(s.tenant('globex'), g);
    const made: string[] = [];
    for (let i = 0; i < 40; i++) {
      const [t, fx, inv] = i % 2 ? [s.tenant('acme'), f, a.inv.id] as const : [s.tenant('globex'), g, b.inv.id] as const;
      const task = fx.task(inv, { runAt: T0 + (i % 7) });
      await t.createTask({ task, wait: null, events: [] });
      made.push(task.id);
    }
    const results = await race<{ claimed: string[] }>('claim', [0, 1, 2, 3].map(() => ({ schema, now: T0 + 10 })));
    const claimed = results.flatMap((r) => r.claimed);
    expect(claimed).toHaveLength(made.length);
    expect(new Set(claimed)).toEqual(new Set(made));
    // Every process got a share (they really ran side by side).
    expect(results.filter((r) => r.claimed.length > 0).length).toBeGreaterThan(1);
  }, 60_000);

  it('stores one signal when four processes deliver the same idempotency key, and resolves its wait once', async () => {
    const schema = freshSchema();
    const s = open(schema);
    const f = fixtures('acme');
    const t = s.tenant('acme');
    const { inv } = await openInvestigation(t, f);
    const { task, wait } = f.waitingTask(inv.id, 'bank_data');
    await t.createTask({ task, wait, events: [] });
    const results = await race<{ stored: number; duplicates: number; signalIds: string[] }>('signal', [0, 1, 2, 3].map(() => ({ schema, investigationId: inv.id, n: 5, key: 'mail-42' })));
    expect(results.reduce((n, r) => n + r.stored, 0)).toBe(1);
    expect(results.reduce((n, r) => n + r.duplicates, 0)).toBe(19);
    const signals = await t.listSignals(inv.id);
    expect(signals).toHaveLength(1);
    expect(new Set(results.flatMap((r) => r.signalIds))).toEqual(new Set([signals[0]!.id]));
    expect(await t.getWait(wait.id)).toMatchObject({ status: 'resolved', signalId: signals[0]!.id });
    expect(await t.getTask(task.id)).toMatchObject({ status: 'pending', wakeReason: 'signal', version: task.version + 1 });
    expect((await t.countInvestigation(inv.id)).signals).toBe(1);
    expect((await t.listEvents({ investigationId: inv.id, kinds: ['signal'], limit: 50 })).total).toBe(1);
  }, 60_000);

  it('loses no append to one session from four processes, and followers reading after the last seq they saw miss none', async () => {
    const schema = freshSchema();
    const s = open(schema);
    const f = fixtures('acme');
    const t = s.tenant('acme');
    const { inv, session } = await openInvestigation(t, f, { events: 0 });
    const PER = 120;
    const writers = [
      { schema, sessionId: session.id, investigationId: inv.id, n: PER },
      { schema, sessionId: session.id, investigationId: inv.id, n: PER },
      { schema, sessionId: session.id, investigationId: inv.id, n: PER, viaSession: true },
      // Investigation-level events: the timeline interleaves them with the session's.
      { schema, investigationId: inv.id, n: PER },
    ];
    const untilMs = Date.now() + 40_000;
    const [written, followed] = await Promise.all([
      race<{ ids: string[] }>('append', writers),
      race<{ seen: Array<[string, number]> }>('follow', [
        { schema, sessionId: session.id, expect: 3 * PER, untilMs },
        { schema, investigationId: inv.id, expect: 4 * PER, untilMs },
      ]),
    ]);
    const all = await t.listEvents({ investigationId: inv.id, limit: 10_000 });
    expect(all.total).toBe(4 * PER);
    expect(new Set(written.flatMap((w) => w.ids))).toEqual(new Set(all.items.map((e) => e.id)));
    // Each writer's own events are in its order.
    for (const w of written) {
      const seqOf = new Map(all.items.map((e) => [e.id, e.seq]));
      const seqs = w.ids.map((id) => seqOf.get(id)!);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    }
    const sessionEvents = all.items.filter((e) => e.sessionId === session.id);
    const [bySession, byTimeline] = followed;
    // Seen exactly once each, in seq order, and nothing skipped.
    expect(bySession!.seen.map(([id]) => id)).toEqual(sessionEvents.map((e) => e.id));
    expect(byTimeline!.seen.map(([id]) => id)).toEqual(all.items.map((e) => e.id));
    for (const { seen } of followed) for (let i = 1; i < seen.length; i++) expect(seen[i]![1]).toBeGreaterThan(seen[i - 1]![1]);
  }, 90_000);

  it('numbers the change log so that a follower reading after the last seq it saw never skips a row appended by another process', async () => {
    const schema = freshSchema();
    const s = open(schema);
    await s.lastChangeSeq(); // migrated before the race
    const N = 60; // batches per writer, of 1 or 2 changes: 90 rows each
    const untilMs = Date.now() + 40_000;
    const [written, [followed]] = await Promise.all([
      race<{ seqs: number[] }>('changes', [0, 1, 2, 3].map(() => ({ schema, n: N }))),
      race<{ seen: number[] }>('follow-changes', [{ schema, expect: 4 * 90, untilMs }]),
    ]);
    const rows = await s.changesAfter(0, 1_000);
    expect(rows).toHaveLength(4 * 90);
    // Gap-free (every append committed), strictly increasing, and the follower saw each once, in order.
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 4 * 90 }, (_, i) => i + 1));
    expect(followed!.seen).toEqual(rows.map((r) => r.seq));
    for (const w of written) expect(w.seqs).toEqual([...w.seqs].sort((x, y) => x - y));
    expect(await s.lastChangeSeq()).toBe(4 * 90);
  }, 90_000);
});

describe('postgres store when the server is unreachable or drops connections', () => {
  it('fails with StorageUnavailableError (PostgreSQL unreachable, retry) when nothing listens on the port', async () => {
    const s = openPostgresStore({ url: 'postgres://postgres:secret@127.0.0.1:1/test', schema: 'lh_nowhere', connectTimeoutMs: 2_000 });
    stores.push(s);
    expect(s.kind).toBe('postgres');
    expect(s.location).not.toContain('secret');
    const err = await s.tenant('acme').getInvestigation('inv_x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageUnavailableError);
    expect((err as Error).message).toMatch(/PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/test is unreachable.*retry/);
    expect((err as Error).message).not.toContain('secret');
    await expect(s.claimTask(T0, 'w', 1_000, ['retrieval'])).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(s.appendChanges([])).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(s.kv.get('t:acme:x')).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(migratePostgres('postgres://postgres@127.0.0.1:1/test', 'lh_nowhere')).rejects.toBeInstanceOf(StorageUnavailableError);
  });

  it('maps a connection killed mid-step to StorageUnavailableError, and carries on with fresh connections', async () => {
    const schema = freshSchema();
    const s = open(schema);
    const f = fixtures('acme');
    const t = s.tenant('acme');
    const { inv } = await openInvestigation(t, f);
    // Hold the tenant's event lock from outside, so an append waits on the server…
    const holder = await admin.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey(schema, 'events|acme')]);
      const append = t.appendEvents([f.event({ investigationId: inv.id })]);
      const waiting = async () =>
        (await admin.pool.query(`SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock' AND wait_event = 'advisory' AND query LIKE '%pg_advisory_xact_lock%' AND pid <> pg_backend_pid()`, [APP])).rows as Array<{ pid: number }>;
      let blocked: Array<{ pid: number }> = [];
      for (let i = 0; i < 200 && blocked.length === 0; i++) {
        blocked = await waiting();
        if (blocked.length === 0) await new Promise((r) => setTimeout(r, 10));
      }
      expect(blocked).toHaveLength(1);
      // …then kill that connection, as a server restart would (57P01).
      await admin.pool.query('SELECT pg_terminate_backend($1)', [blocked[0]!.pid]);
      await expect(append).rejects.toBeInstanceOf(StorageUnavailableError);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    // Kill every idle connection of the store's pool too: the pool drops them (no crash) and reconnects.
    await admin.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid() AND datname = current_database() AND query NOT LIKE '%pg_stat_activity%'`, [APP]);
    await new Promise((r) => setTimeout(r, 100));
    expect((await t.getInvestigation(inv.id))?.id).toBe(inv.id);
    const [e] = await t.appendEvents([f.event({ investigationId: inv.id, text: 'after the restart' })]);
    expect((await t.listEvents({ investigationId: inv.id, limit: 10 })).items.map((x) => x.id)).toContain(e!.id);
  });
});
