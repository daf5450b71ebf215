/**
 * Concurrency with real processes: several server processes on one store (stdio
 * processes on one SQLite file; HTTP instances on PostgreSQL and Redis), each with its own
 * client, all writing to the same investigations, delivering the same signals with the
 * same idempotency keys and running each other's delegated tasks. Then: every
 * acknowledged write there once, one signal per key, each wait resolved once by the
 * stored signal, each task claimed and run once (one worker session, one attempt), one
 * report per compliance task — and each scheduler tick run by one instance only.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { passes } from '../e2e/http-instances.js';
import { A1, A2, BACKENDS, type Conn, type Deployment, type Proc } from './backends.js';
import { timeline } from './ledger.js';

const PROCESSES = 3;
const INVESTIGATIONS = 3;
const EVENTS_PER_PROCESS = 60;
const TASKS_PER_PROCESS = 4;
const SERVER_ENV = { LONGHAUL_TASK_LEASE: '30s', LONGHAUL_SWEEP_INTERVAL: '1s', LONGHAUL_EXTRACTION_INTERVAL: '1s' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `jobs` with at most `n` in flight. */
async function pool<T>(n: number, jobs: Array<() => Promise<T>>): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]!();
      }
    }),
  );
  return out;
}

describe.each(BACKENDS.map((b) => [b.name, b] as const))('%s: several real server processes on one store', (_name, backend) => {
  let d: Deployment;
  const procs: Proc[] = [];
  const conns: Conn[] = [];
  afterAll(async () => {
    for (const c of conns) await c.close().catch(() => undefined);
    await d?.cleanup();
  });

  it(`${PROCESSES} processes × (${EVENTS_PER_PROCESS} events, ${INVESTIGATIONS * 2} keyed signals, ${TASKS_PER_PROCESS} tasks): 0 lost writes, 0 double claims, 0 duplicate transitions`, async () => {
    d = await backend.deploy(SERVER_ENV);
    for (let p = 0; p < PROCESSES; p++) {
      const o = await d.open(p % 2 ? A2 : A1);
      procs.push(o.proc);
      conns.push(o.conn);
    }
    // Compliance tasks that every process's workers may claim once bank_data arrives.
    const invs: string[] = [];
    for (let i = 0; i < INVESTIGATIONS; i++) {
      const r = await conns[i % PROCESSES]!.call('start_investigation', {
        subject: `Shared ${i}`,
        objective: 'Written by every process at once',
        tasks: [{ role: 'compliance', instructions: 'Report once the bank data arrives', waitFor: { signal: 'bank_data', timeout: '3d' } }],
      });
      invs.push(r.investigation.investigationId);
    }
    const acked = new Map<string, { eventId: string; text: string; investigationId: string }>();
    const signalIds = new Map<string, Set<string>>();
    const delegated: string[] = [];
    const writes = conns.map((c, p) => {
      const jobs: Array<() => Promise<void>> = [];
      for (let e = 0; e < EVENTS_PER_PROCESS; e++) {
        const investigationId = invs[e % INVESTIGATIONS]!;
        const text = `process ${p} event ${e} on ${investigationId}`;
        jobs.push(async () => {
          const r = await c.call('record_event', { investigationId, role: 'agent', kind: 'finding', text });
          acked.set(r.event.eventId, { eventId: r.event.eventId, text, investigationId });
        });
      }
      for (const investigationId of invs) {
        for (const [signal, key] of [['bank_data', `bank-${investigationId}`], ['note', `note-${investigationId}`]] as const) {
          jobs.splice(Math.floor(jobs.length / 2), 0, async () => {
            const r = await c.call('submit_signal', { investigationId, signal, payload: { from: p }, idempotencyKey: key });
            if (!signalIds.has(key)) signalIds.set(key, new Set());
            signalIds.get(key)!.add(r.signal.signalId);
          });
        }
      }
      for (let t = 0; t < TASKS_PER_PROCESS; t++) {
        jobs.push(async () => {
          const r = await c.call('delegate_task', { investigationId: invs[t % INVESTIGATIONS]!, role: 'retrieval', instructions: `process ${p} task ${t}: search the sources` });
          delegated.push(r.task.taskId);
        });
      }
      return pool(4, jobs);
    });
    await Promise.all(writes);
    expect(acked.size).toBe(PROCESSES * EVENTS_PER_PROCESS);

    // Every process delivered every key: all of them got the one stored signal back.
    for (const [key, ids] of signalIds) expect([...ids], `signal ids returned for ${key}`).toHaveLength(1);

    // The tasks run wherever they were claimed; wait until none is open but the waits.
    const reader = conns[0]!;
    const states = async () => Promise.all(invs.map((investigationId) => reader.call('get_investigation', { investigationId })));
    let last = await states();
    for (let i = 0; i < 120 && last.some((s) => s.tasks.some((t: { status: string }) => t.status !== 'completed')); i++) {
      await sleep(250);
      last = await states();
    }
    let events = 0;
    for (const [i, s] of last.entries()) {
      const id = invs[i]!;
      expect(s.tasks.filter((t: { status: string }) => t.status !== 'completed'), `open tasks of ${id}`).toEqual([]);
      // 0 double claims: a retrieval task runs once, in one worker session; a compliance
      // task twice (it waits, its session goes idle; the signal wakes it in a new one) —
      // and never two runs of one task at the same time.
      for (const t of s.tasks) {
        expect(t.attempts, `attempts of ${t.taskId}`).toBe(1);
        const runs = s.sessions
          .filter((x: { taskId: string | null }) => x.taskId === t.taskId)
          .sort((a: { startedAt: string }, b: { startedAt: string }) => a.startedAt.localeCompare(b.startedAt));
        expect(runs.length, `worker sessions of ${t.role} task ${t.taskId}: ${JSON.stringify(runs.map((r: object) => r))}`).toBe(t.role === 'compliance' ? 2 : 1);
        for (let r = 1; r < runs.length; r++) expect(runs[r].startedAt >= runs[r - 1].lastActivityAt, `run ${r} of ${t.taskId} overlaps the one before`).toBe(true);
      }
      // 0 duplicate transitions: one signal per key, the wait resolved by it, one report.
      expect(s.signals.map((x: { idempotencyKey: string }) => x.idempotencyKey).sort()).toEqual([`bank-${id}`, `note-${id}`]);
      const bank = s.signals.find((x: { name: string }) => x.name === 'bank_data');
      expect(s.waits).toHaveLength(1);
      expect(s.waits[0]).toMatchObject({ status: 'resolved', signalId: bank.signalId });
      expect(s.report).toMatchObject({ filings: 1 });
      // 0 lost writes: each acknowledged event there once.
      const tl = await timeline(reader, id);
      const byId = new Map(tl.map((e) => [e.eventId, e]));
      expect(byId.size, `duplicate event ids on ${id}`).toBe(tl.length);
      for (const e of acked.values()) {
        if (e.investigationId !== id) continue;
        expect(byId.get(e.eventId)?.text).toBe(e.text);
        expect(tl.filter((x) => x.text === e.text)).toHaveLength(1);
        events++;
      }
      expect(tl.filter((x) => x.kind === 'signal'), `signal events on ${id}`).toHaveLength(2);
    }
    expect(events).toBe(PROCESSES * EVENTS_PER_PROCESS);
    expect(new Set(delegated).size).toBe(PROCESSES * TASKS_PER_PROCESS);
    console.info(`[reliability] concurrency ${backend.name}: ${PROCESSES} processes, ${events} events, ${signalIds.size} keys delivered ${PROCESSES}× each, ${delegated.length + INVESTIGATIONS} tasks run once each`);
  }, 180_000);

  it('runs each scheduler tick on one instance only (three serve --http processes on the store)', async () => {
    // HTTP instances expose their sweep counts; on PostgreSQL they are the writers above.
    // The stdio writers stop first: their schedulers would win slots nobody counts.
    if (d.transport === 'stdio') {
      for (const c of conns.splice(0)) await c.close();
      const stopping = performance.now();
      await Promise.all(procs.filter((p) => !p.url).map((p) => p.stop()));
      console.info(`[reliability] ticks ${backend.name}: the stdio writers exited ${((performance.now() - stopping) / 1000).toFixed(1)} s after their clients closed`);
    }
    const instances = procs.filter((p) => p.url).length >= 3 ? procs.filter((p) => p.url) : await Promise.all([0, 1, 2].map(() => d.serveHttp(SERVER_ENV)));
    const token = d.token(A1);
    const count = async () => (await Promise.all(instances.map((i) => passes({ url: i.url! }, token, 'lifecycle')))).reduce((a, b) => a + b, 0);
    const at = performance.now();
    const before = await count();
    await sleep(8_000);
    const after = await count();
    const seconds = (performance.now() - at) / 1000;
    const ran = after - before;
    // One pass per one-second tick whichever instance won it; uncoordinated, each of the
    // three would run every tick (about 3 × seconds).
    expect(ran, `${ran} lifecycle passes in ${seconds.toFixed(1)} s on 3 instances`).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
    expect(ran).toBeGreaterThanOrEqual(Math.floor(seconds / 2));
    console.info(`[reliability] ticks ${backend.name}: ${ran} lifecycle passes in ${seconds.toFixed(1)} s across 3 instances`);
  }, 60_000);
});
