/**
 * Crash durability: a burst of tool calls through the real client, `kill -9` of the
 * server at a random moment inside it, restart, and the ledger of acknowledgements as the
 * oracle — per backend, CYCLES times. This process (the verifier) lives on; only the
 * server child dies. Each cycle checks the previous one's writes field by field and
 * judges its unacknowledged calls (absent or whole, never twice; keyed signals retried);
 * at the end every investigation is read back whole and no task may be left stuck.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rng } from '../../bench/rng.js';
import { A1, BACKENDS, type Conn, type Deployment } from './backends.js';
import { Ledger, snapshot, type Sent } from './ledger.js';

const CYCLES = Number(process.env.LONGHAUL_RELIABILITY_CYCLES ?? 200);
const SEED = Number(process.env.LONGHAUL_RELIABILITY_SEED ?? Date.now() % 100_000);
const SERVER_ENV = { LONGHAUL_TASK_LEASE: '1s', LONGHAUL_SWEEP_INTERVAL: '1s', LONGHAUL_EXTRACTION_INTERVAL: '1s' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const waitGone = async (pid: number) => {
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(2);
  }
};

/** The calls of one burst on `inv` (its compliance task waits for bank_data). */
function burst(c: number, inv: string): Sent[] {
  const sent: Sent[] = [];
  for (let i = 0; i < 6; i++) {
    sent.push({ tool: 'record_event', args: { investigationId: inv, role: 'agent', kind: i % 2 ? 'finding' : 'message', text: `cycle ${c} event ${i}: payment ${c * 100 + i} checked`, data: { cycle: c, i, nested: { ok: true } } } });
  }
  sent.push({
    tool: 'submit_signal',
    args: {
      investigationId: inv,
      signal: 'bank_data',
      payload: { cycle: c, rows: [1, 2, 3] },
      attachments: [{ name: 'statement.csv', mediaType: 'text/csv', text: `date,amount\n2026-01-0${(c % 9) + 1},${c}.00\n` }],
      idempotencyKey: `bank-${c}`,
    },
  });
  sent.push({ tool: 'delegate_task', args: { investigationId: inv, role: 'compliance', instructions: `cycle ${c}: check the registry extract`, waitFor: { signal: `registry_${c}`, timeout: '3d' } } });
  sent.push({ tool: 'submit_signal', args: { investigationId: inv, signal: 'note', payload: { cycle: c }, idempotencyKey: `note-${c}` } });
  sent.push({
    tool: 'start_investigation',
    args: { subject: `Crash cycle ${c} second`, objective: 'Opened inside the burst', tasks: [{ role: 'compliance', instructions: `cycle ${c}: wait for the bank`, waitFor: { signal: 'bank_data', timeout: '3d' } }] },
  });
  for (let i = 6; i < 10; i++) sent.push({ tool: 'record_event', args: { investigationId: inv, role: 'user', text: `cycle ${c} event ${i}: a late note` } });
  return sent;
}

async function fire(conn: Conn, s: Sent, failures: string[]): Promise<void> {
  try {
    const r = await conn.callRaw(s.tool, s.args);
    if (r.isError) failures.push(`${s.tool}: ${JSON.stringify(r.content).slice(0, 300)}`);
    else s.ack = r.structuredContent as Record<string, unknown>;
  } catch {
    // The server died before it answered: unacknowledged.
  }
}

describe.concurrent.each(BACKENDS.map((b) => [b.name, b] as const))('crash durability on %s', (_name, backend) => {
  let d: Deployment | undefined;
  afterAll(() => d?.cleanup());

  it(`keeps every acknowledged event, signal, task, wait and report across ${CYCLES} kill -9 cycles`, async () => {
    d = await backend.deploy(SERVER_ENV);
    const ledger = new Ledger();
    const rnd = rng(SEED);
    const failures: string[] = [];
    const landed = { beforeAnyAck: 0, midBurst: 0, afterAllAcks: 0 };
    let toVerify: string[] = [];
    const started = performance.now();
    const phases = { restart: 0, verify: 0, burst: 0 };
    /** Acknowledged record_event ids: with an external memory, each must reach it exactly once. */
    const ackedEvents: string[] = [];
    for (let c = 0; c < CYCLES; c++) {
      const t0 = performance.now();
      const { proc, conn } = await d.open(A1);
      const tOpen = performance.now();
      phases.restart += tOpen - t0;
      // The previous cycle: what was acknowledged is there, field by field; what was not is absent or whole.
      try {
        const snaps = new Map(await Promise.all(toVerify.map(async (id) => [id, await snapshot(conn, id)] as const)));
        for (const id of toVerify) await ledger.verifyInvestigation(conn, id, snaps.get(id));
        await ledger.judgeUnacknowledged(conn, snaps);
      } catch (e) {
        throw new Error(`cycle ${c} (seed ${SEED}), after the restart: ${(e as Error).message}\nserver stderr: ${proc.stderr().slice(-3_000)}`, { cause: e });
      }
      const opened = await conn.call('start_investigation', {
        subject: `Crash cycle ${c}`,
        objective: 'Lose nothing acknowledged',
        tasks: [{ role: 'compliance', instructions: `cycle ${c}: file the report once the bank data arrives`, waitFor: { signal: 'bank_data', timeout: '3d' } }],
      });
      ledger.acknowledge({ tool: 'start_investigation', args: {}, ack: opened });
      const inv = opened.investigation.investigationId as string;
      const sent = burst(c, inv);
      const t1 = performance.now();
      // The kill lands right when a random number of the burst's results came back (0:
      // as soon as it is sent): inside the burst on any backend, at any speed.
      const killAfter = Math.floor(rnd() * sent.length);
      const killNow = () => {
        try {
          process.kill(proc.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      let acks = 0;
      const all = Promise.all(
        sent.map((s) =>
          fire(conn, s, failures).then(() => {
            if (s.ack && ++acks === killAfter) killNow();
          }),
        ),
      );
      if (killAfter === 0) killNow();
      // Half the cycles kill on a clock instead, 0-20 ms after the burst was sent: over
      // stdio the server has often committed every call before the client reads the
      // first result, and a kill on the clock lands while it is still writing.
      else if (rnd() < 0.5) setTimeout(killNow, rnd() * 20);
      await Promise.race([all, waitGone(proc.pid)]);
      await proc.kill9();
      await conn.close().catch(() => undefined);
      await all;
      const t2 = performance.now();
      const acked = sent.filter((s) => s.ack).length;
      landed[acked === 0 ? 'beforeAnyAck' : acked === sent.length ? 'afterAllAcks' : 'midBurst']++;
      phases.verify += t1 - tOpen;
      phases.burst += t2 - t1;
      if (process.env.LONGHAUL_RELIABILITY_TRACE) console.info(`${backend.name} cycle ${c}: open ${(tOpen - t0).toFixed(0)} ms, verify ${(t1 - tOpen).toFixed(0)} ms, burst ${(t2 - t1).toFixed(0)} ms, acked ${acked}/${sent.length}`);
      ledger.settle(sent);
      for (const s of sent) if (s.tool === 'record_event' && s.ack) ackedEvents.push((s.ack.event as { eventId: string }).eventId);
      const second = sent.find((s) => s.tool === 'start_investigation')?.ack?.investigation as { investigationId: string } | undefined;
      toVerify = [inv, ...(second ? [second.investigationId] : [])];
    }
    const cycleMs = (performance.now() - started) / CYCLES;

    // The last restart: no kill. Everything acknowledged in every cycle, read back whole, and nothing stuck.
    const { proc, conn } = await d.open(A1);
    try {
      await ledger.judgeUnacknowledged(conn);
      const stuck = async () => {
        const bad: string[] = [];
        let cursor: string | null = null;
        do {
          const page: { investigations: { investigationId: string }[]; nextCursor: string | null } = await conn.call('list_investigations', { status: 'open', limit: 100, ...(cursor ? { cursor } : {}) });
          for (const i of page.investigations) {
            const s = await conn.call('get_investigation', { investigationId: i.investigationId });
            for (const t of s.tasks) if (t.status === 'running' || t.status === 'pending') bad.push(`${t.taskId} ${t.status}`);
          }
          cursor = page.nextCursor;
        } while (cursor);
        return bad;
      };
      // Runs killed mid-task are retried once their 1 s lease lapses; pending ones run.
      let left = await stuck();
      for (let i = 0; i < 60 && left.length; i++) {
        await sleep(500);
        left = await stuck();
      }
      expect(left, 'tasks still pending or running 30 s after the last restart').toEqual([]);
      const investigations = await ledger.verifyAll(conn);
      if (d.memoryEventIds) {
        // The outbox survived every kill: each acknowledged event reaches the memory, none twice.
        const inMemory = () => d!.memoryEventIds!();
        // (entries a killed process had claimed wait for its 60 s lease to lapse)
        for (let i = 0; i < 360 && !ackedEvents.every((id) => inMemory().includes(id)); i++) await sleep(500);
        const seen = inMemory();
        expect(ackedEvents.filter((id) => !seen.includes(id)), 'acknowledged events that never reached the external memory').toEqual([]);
        expect(seen.filter((id, i) => seen.indexOf(id) !== i), 'events stored twice in the external memory').toEqual([]);
      }
      expect(failures, 'tool calls that answered isError').toEqual([]);
      // The kills must land inside bursts, or the suite proves nothing about a write in flight.
      expect(landed.midBurst, JSON.stringify(landed)).toBeGreaterThanOrEqual(CYCLES / 4);
      // …and some before the server committed what was sent, some after.
      expect(ledger.counts.absentAfterCrash, JSON.stringify(ledger.counts)).toBeGreaterThan(0);
      expect(ledger.counts.presentAfterCrash, JSON.stringify(ledger.counts)).toBeGreaterThan(0);
      console.info(
        `[reliability] crash ${backend.name}: ${CYCLES} kill -9 cycles (seed ${SEED}), ${cycleMs.toFixed(0)} ms a cycle (restart ${(phases.restart / CYCLES).toFixed(0)}, verify ${(phases.verify / CYCLES).toFixed(0)}, burst and kill ${(phases.burst / CYCLES).toFixed(0)} ms); ` +
          `kills ${JSON.stringify(landed)}; calls acknowledged ${ledger.counts.acknowledged}, unacknowledged ${ledger.counts.unacknowledged} ` +
          `(present after restart ${ledger.counts.presentAfterCrash}, absent ${ledger.counts.absentAfterCrash}); ${ledger.events.size} events, ${ledger.signals.size} signals, ` +
          `${ledger.tasks.size} tasks, ${ledger.reports.size} reports on ${investigations} investigations verified`,
      );
    } finally {
      await conn.close().catch(() => undefined);
      await proc.kill9();
    }
  }, 1_200_000);
});
