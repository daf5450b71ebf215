/**
 * Crash durability of the background steps: `kill -9` right after closing an
 * investigation is acknowledged, or at a random moment while the sweeps time a wait
 * out, terminate an idle session and extract its memory. After the restarts nothing is
 * lost, doubled or stuck: every closed investigation stays closed with its tasks, waits
 * and sessions ended; every timed-out task has exactly one escalation report; every
 * terminated session gets its summary record (the final extraction is never lost), and
 * every fact is extracted exactly once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rng } from '../../bench/rng.js';
import { A1, BACKENDS, type Conn, type Deployment } from './backends.js';

const CYCLES = Number(process.env.LONGHAUL_RELIABILITY_LIFECYCLE_CYCLES ?? 24);
const SEED = Number(process.env.LONGHAUL_RELIABILITY_SEED ?? Date.now() % 100_000);
const SERVER_ENV = { LONGHAUL_IDLE_TIMEOUT: '1s', LONGHAUL_TASK_LEASE: '1s', LONGHAUL_SWEEP_INTERVAL: '1s', LONGHAUL_EXTRACTION_INTERVAL: '1s' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Expected {
  scenario: 'close' | 'sweep';
  investigationId: string;
  sessionId: string;
  facts: string[];
}

const records = async (c: Conn, namespace: string): Promise<Array<{ recordId: string; text: string; sourceEventIds: string[] }>> =>
  (await c.readJson(`longhaul://memory/${namespace}?limit=200`)).records;

/** What must hold once the background work has caught up; the empty list when it all does. */
async function unmet(c: Conn, e: Expected): Promise<string[]> {
  const bad: string[] = [];
  const state = await c.call('get_investigation', { investigationId: e.investigationId });
  const session = state.sessions.find((s: { sessionId: string }) => s.sessionId === e.sessionId);
  if (session?.status !== 'terminated') bad.push(`${e.scenario} ${e.sessionId} is ${session?.status}`);
  const summaries = await records(c, `sessions/${e.sessionId}/summary`);
  if (summaries.length !== 1) bad.push(`${e.scenario} ${e.sessionId}: ${summaries.length} summary records`);
  const facts = await records(c, `investigations/${e.investigationId}/facts`);
  for (const f of e.facts) {
    const n = facts.filter((r) => r.text.includes(f)).length;
    if (n !== 1) bad.push(`${e.scenario} ${e.investigationId}: fact "${f}" in ${n} records`);
  }
  for (const t of state.tasks) if (!['cancelled', 'timed_out', 'completed'].includes(t.status)) bad.push(`${e.scenario} task ${t.taskId} ${t.status}`);
  for (const w of state.waits) if (w.status === 'open') bad.push(`${e.scenario} wait ${w.waitId} open`);
  if (e.scenario === 'sweep') {
    // The deadline sweep escalated the timed-out compliance task: one incomplete report, filed once.
    if (state.report?.filings !== 1 || state.report?.complete !== false) bad.push(`sweep ${e.investigationId}: report ${JSON.stringify(state.report)}`);
  } else if (state.investigation.status !== 'closed') bad.push(`close ${e.investigationId} is ${state.investigation.status}`);
  return bad;
}

describe.concurrent.each(BACKENDS.map((b) => [b.name, b] as const))('crash durability of closing, sweeps and extraction on %s', (_name, backend) => {
  let d: Deployment | undefined;
  afterAll(() => d?.cleanup());

  it(`loses, doubles and leaves stuck nothing across ${CYCLES} kill -9 cycles (close acknowledged; sweep and extraction at a random moment)`, async () => {
    d = await backend.deploy(SERVER_ENV);
    const rnd = rng(SEED + 1);
    const expected: Expected[] = [];
    const started = performance.now();
    for (let c = 0; c < CYCLES; c++) {
      const scenario = c % 2 ? 'sweep' : 'close';
      const { proc, conn } = await d.open(A1);
      // What the previous kill interrupted is consistent at once (and complete later).
      const prev = expected.at(-1);
      if (prev?.scenario === 'close') {
        const state = await conn.call('get_investigation', { investigationId: prev.investigationId });
        expect(state.investigation.status, `closed ${prev.investigationId} after the restart`).toBe('closed');
        for (const t of state.tasks) expect(t.status).toBe('cancelled');
      }
      const facts = [0, 1, 2].map((i) => `Cycle ${c} fact ${i}: ledger ${['Aldgate', 'Bermondsey', 'Camden'][i]} entry ${c * 7 + i} was booked twice`);
      const opened = await conn.call('start_investigation', {
        subject: `Lifecycle ${scenario} ${c}`,
        objective: 'Survive the background steps',
        tasks: [{ role: 'compliance', instructions: 'File the report on the bank data', waitFor: { signal: 'bank_data', timeout: scenario === 'sweep' ? '1s' : '3d' } }],
      });
      const investigationId = opened.investigation.investigationId;
      for (const f of facts) await conn.call('record_event', { investigationId, role: 'agent', kind: 'fact', text: f });
      expected.push({ scenario, investigationId, sessionId: opened.sessionId, facts });
      if (scenario === 'close') {
        // kill -9 the moment the close is acknowledged: its extraction must not be lost.
        await conn.call('close_investigation', { investigationId, outcome: 'completed', summary: `Closed in cycle ${c}` });
        process.kill(proc.pid, 'SIGKILL');
      } else {
        // Idle timeout 1 s, wait timeout 1 s, sweeps and extraction every second: a kill
        // 0-3 s later lands before, inside or after the termination, escalation and extraction.
        await sleep(rnd() * 3_000);
      }
      await proc.kill9();
      await conn.close().catch(() => undefined);
    }
    const cycleMs = (performance.now() - started) / CYCLES;

    const { proc, conn } = await d.open(A1);
    try {
      let left: string[] = [];
      const caughtUp = performance.now();
      for (let i = 0; i < 60; i++) {
        left = [];
        // One at a time: an HTTP principal may have 16 requests in flight.
        for (const e of expected) left.push(...(await unmet(conn, e)));
        if (!left.length) break;
        await sleep(500);
      }
      expect(left, 'unmet after the last restart').toEqual([]);
      console.info(
        `[reliability] lifecycle crash ${backend.name}: ${CYCLES} kill -9 cycles (seed ${SEED + 1}), ${cycleMs.toFixed(0)} ms a cycle; ` +
          `${expected.length} investigations, ${expected.length} summaries and ${expected.length * 3} facts found once each, caught up in ${(performance.now() - caughtUp).toFixed(0)} ms`,
      );
    } finally {
      await conn.close().catch(() => undefined);
      await proc.kill9();
    }
  }, 900_000);
});
