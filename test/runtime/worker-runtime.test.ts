import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { FakeClock } from '../../src/domain/clock.js';
import { ConflictError } from '../../src/domain/errors.js';
import type { MemoryEvent } from '../../src/domain/event.js';
import { createLogger } from '../../src/logger.js';
import type { Change } from '../../src/runtime/change-feed.js';
import { createRoleRegistry } from '../../src/workers/index.js';
import { completed, failed, RetryLaterError, UnrecoverableError, wait, type Role } from '../../src/workers/role.js';
import { BANK_DATA, FIXTURES } from '../workers/helpers.js';

const caller = { tenantId: 'acme', actorId: 'alice' };
const SECOND = 1_000;

/** Custom roles for the runtime's own behaviour, registered like any role. */
function testRoles(state: { failures: number; gate: Promise<void> | null; runs: number }): Role[] {
  return [
    {
      name: 'crasher',
      description: 'counts its runs (the test plays the process dying mid-run)',
      onDeadline: 'time_out',
      async run() {
        state.runs++;
        return completed(null, 'ran');
      },
    },
    {
      name: 'patient',
      description: 'waits for signals s1…s4 in turn, then completes',
      onDeadline: 'time_out',
      async run(ctx) {
        state.runs++;
        const next = ['s1', 's2', 's3', 's4'].find((n) => !ctx.signals.some((x) => x.name === n));
        return next ? wait(next, ctx.clock.now() + 60_000) : completed(null, `done on attempt ${ctx.attempt}`);
      },
    },
    {
      name: 'flaky',
      description: 'fails `state.failures` times, then completes',
      onDeadline: 'time_out',
      async run(ctx) {
        ctx.memory.record({ kind: 'finding', text: `attempt ${ctx.attempt}` });
        if (state.failures-- > 0) throw new Error(`bank API answered 503 (attempt ${ctx.attempt})`);
        return completed({ ok: true }, `done on attempt ${ctx.attempt}`);
      },
    },
    {
      name: 'broken',
      description: 'cannot ever succeed',
      onDeadline: 'time_out',
      async run() {
        throw new UnrecoverableError('the instructions name no account');
      },
    },
    {
      name: 'quitter',
      description: 'decides the task cannot be done',
      onDeadline: 'time_out',
      async run() {
        return failed('the counterparty is not a company');
      },
    },
    {
      name: 'waiter',
      description: 'waits for "kyc" (wrongly, even when it was delivered)',
      onDeadline: 'time_out',
      async run(ctx) {
        return wait('kyc', ctx.clock.now() + 60_000);
      },
    },
    {
      name: 'throttled',
      description: 'asks to be retried later',
      onDeadline: 'time_out',
      async run() {
        throw new RetryLaterError('rate limited', 30_000);
      },
    },
    {
      name: 'slow',
      description: 'blocks until the gate opens (never, when the gate never opens)',
      onDeadline: 'time_out',
      async run() {
        await state.gate;
        return completed(null, 'slow done');
      },
    },
  ];
}

for (const kind of ['memory', 'sqlite'] as const) {
  describe(`worker runtime (${kind} store, fake clock)`, () => {
    let clock: FakeClock;
    let app: App;
    let dir: string;
    let changes: Change[];
    const state = { failures: 0, gate: null as Promise<void> | null, runs: 0 };

    const make = (extra: Record<string, string> = {}) => {
      const config = loadConfig({
        env: {
          HOME: '/tmp',
          LONGHAUL_STORE: kind,
          LONGHAUL_DATA_DIR: dir,
          LONGHAUL_TENANT: caller.tenantId,
          LONGHAUL_SOURCES: FIXTURES,
          LONGHAUL_IDLE_TIMEOUT: '15m',
          LONGHAUL_TASK_LEASE: '30s',
          LONGHAUL_TASK_MAX_ATTEMPTS: '3',
          LONGHAUL_WORKER_CONCURRENCY: '2',
          ...extra,
        },
      });
      return createApp(config, {
        clock,
        logger: createLogger({ level: 'error', write: () => {} }),
        roles: createRoleRegistry({ custom: testRoles(state) }),
        workerSettings: { backoffBaseMs: SECOND, heartbeatMs: 20 },
      });
    };
    beforeEach(() => {
      clock = new FakeClock(Date.UTC(2026, 10, 3, 9));
      dir = mkdtempSync(join(tmpdir(), 'longhaul-workers-'));
      state.failures = 0;
      state.gate = null;
      state.runs = 0;
      app = make();
      changes = [];
      app.feed.subscribe((c) => changes.push(c));
    });
    afterEach(async () => {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const start = (tasks: Array<{ role: string; instructions: string; waitFor?: { signal: string; timeout: string } }>) =>
      app.runtime.investigations.start(caller, { subject: 'TechCorp', objective: 'Check TechCorp before onboarding', tasks });
    const taskOf = async (investigationId: string, role: string) => (await app.store.tenant('acme').listTasks(investigationId)).find((t) => t.role === role)!;
    const sessionEvents = async (sessionId: string): Promise<MemoryEvent[]> => (await app.store.tenant('acme').listEvents({ sessionId, limit: 500 })).items;

    it('runs a created task in its own worker session, records cited findings, and terminates the session when it completes', async () => {
      const r = await start([{ role: 'retrieval', instructions: 'Search internal sources for TechCorp and its suppliers' }]);
      const run = await app.workers.runOnce();
      expect(run).toMatchObject({ status: 'completed', outcome: 'completed' });
      const task = await taskOf(r.investigation.investigationId, 'retrieval');
      expect(task).toMatchObject({ status: 'completed', attempts: 1, leaseOwner: null });
      const s = (await app.store.tenant('acme').getSession(run!.sessionId))!;
      expect(s).toMatchObject({ kind: 'worker', role: 'retrieval', taskId: task.id, investigationId: r.investigation.investigationId, status: 'terminated', terminationReason: 'completed' });
      const events = await sessionEvents(s.id);
      expect(events[0]!.text).toMatch(/^Worker session opened for retrieval task/);
      expect(events.filter((e) => e.kind === 'finding').length).toBeGreaterThanOrEqual(5);
      expect(events.at(-1)!.text).toMatch(/completed: Found \d+ cited passage/);
      expect(await app.workers.runOnce()).toBeNull();
    });

    it('gives a task born waiting a Day-0 intake session that idles and times out; the signal wakes it in a new session that remembers Day 0', async () => {
      app.workers.start();
      const r = await start([
        { role: 'retrieval', instructions: 'Search internal sources for TechCorp' },
        { role: 'compliance', instructions: 'File a report once the bank data arrives', waitFor: { signal: 'bank_data', timeout: '72h' } },
      ]);
      const id = r.investigation.investigationId;
      await new Promise((res) => setTimeout(res, 50));
      await app.workers.idle();
      const t = app.store.tenant('acme');
      expect((await taskOf(id, 'retrieval')).status).toBe('completed');
      const compliance = await taskOf(id, 'compliance');
      expect(compliance.status).toBe('waiting');
      const [intake] = (await t.listSessions({ investigationId: id, kind: 'worker', limit: 10 })).filter((s) => s.role === 'compliance');
      expect(intake).toMatchObject({ status: 'idle', taskId: compliance.id });
      expect((await sessionEvents(intake!.id)).some((e) => e.kind === 'fact' && /waits for "bank_data"/.test(e.text))).toBe(true);

      // Day 0 → Day 3: extraction makes facts of the findings; the idle sessions time out.
      await app.scheduler.tick('extraction');
      clock.advance(16 * 60_000);
      await app.scheduler.tick('lifecycle');
      expect((await t.getSession(intake!.id))!.terminationReason).toBe('idle_timeout');
      clock.advance(70 * 3_600_000);
      await app.runtime.signals.submit(caller, { investigationId: id, signal: 'bank_data', payload: BANK_DATA });
      await new Promise((res) => setTimeout(res, 50));
      await app.workers.idle();

      const done = await taskOf(id, 'compliance');
      expect(done).toMatchObject({ status: 'completed', wakeReason: 'signal' });
      const sessions = (await t.listSessions({ investigationId: id, kind: 'worker', limit: 10 })).filter((s) => s.taskId === compliance.id);
      expect(sessions).toHaveLength(2);
      const wake = sessions.find((s) => s.id !== intake!.id)!;
      expect(wake).toMatchObject({ status: 'terminated', terminationReason: 'completed' });
      const opening = (await sessionEvents(wake.id))[0]!;
      const rehydrated = (opening.data as { rehydrated: { facts: Array<{ id: string; text: string; createdAt: number }> } }).rehydrated;
      expect(rehydrated.facts.length).toBeGreaterThan(0);
      expect(rehydrated.facts.every((f) => f.createdAt < done.finishedAt! - 60 * 3_600_000)).toBe(true); // Day-0 facts
      expect(rehydrated.facts.map((f) => f.text).join('\n')).toMatch(/Globex Holdings Ltd/);
      const [report] = await t.listReports(id);
      expect(report).toMatchObject({ complete: true, taskId: compliance.id });
      expect((await t.listRecords({ namespacePrefix: `investigations/${id}/reports`, limit: 5 })).items[0]!.text).toContain(report!.id);
      expect((await t.listInbox({ limit: 5 })).items[0]).toMatchObject({ kind: 'report', reportId: report!.id });
      expect(changes).toContainEqual({ type: 'report', tenantId: 'acme', investigationId: id });
      expect(changes).toContainEqual({ type: 'inbox', tenantId: 'acme' });
    });

    it('escalates at the deadline: incomplete report, task timed_out, inbox item', async () => {
      const r = await start([{ role: 'compliance', instructions: 'Needs the bank data', waitFor: { signal: 'bank_data', timeout: '72h' } }]);
      const id = r.investigation.investigationId;
      clock.advance(72 * 3_600_000);
      expect((await app.scheduler.tick('deadlines')).deadlines!.detail).toMatchObject({ expired: [{ taskStatus: 'pending' }] });
      expect(await app.workers.runOnce()).toMatchObject({ outcome: 'timed_out', status: 'timed_out' });
      const t = app.store.tenant('acme');
      expect((await taskOf(id, 'compliance')).status).toBe('timed_out');
      const [report] = await t.listReports(id);
      expect(report).toMatchObject({ complete: false });
      expect(report!.markdown).toContain('## What is missing');
      expect((await t.listInbox({ limit: 5 })).items[0]).toMatchObject({ kind: 'escalation', reportId: report!.id, investigationId: id });
    });

    describe('crash recovery', () => {
      it('claims a task again once the lease of a process that died mid-run expires (at-least-once), and discards the dead run', async () => {
        const r = await start([{ role: 'retrieval', instructions: 'Search for TechCorp' }]);
        const dead = await app.store.claimTask(clock.now(), 'dead-process', 30 * SECOND, ['retrieval']);
        expect(dead).toMatchObject({ status: 'running', attempts: 1 });
        expect(await app.workers.runOnce()).toBeNull(); // its lease still holds
        clock.advance(30 * SECOND);
        const run = await app.workers.runOnce();
        expect(run).toMatchObject({ outcome: 'completed' });
        const task = await taskOf(r.investigation.investigationId, 'retrieval');
        expect(task).toMatchObject({ status: 'completed', attempts: 2, wakeReason: 'lease_expired' });
        expect((await sessionEvents(run!.sessionId))[0]!.text).toMatch(/woke: lease_expired, attempt 2/);
        // The dead process comes back and tries to write its outcome: refused.
        await expect(app.store.tenant('acme').applyTaskOutcome({ taskId: task.id, leaseOwner: 'dead-process', now: clock.now(), status: 'completed' })).rejects.toBeInstanceOf(ConflictError);
      });

      describe('when every run of a task stops mid-run (a role that kills its process)', () => {
        const dieMidRun = async (role: string, times: number) => {
          for (let i = 0; i < times; i++) {
            expect(await app.store.claimTask(clock.now(), `dead-process-${i}`, 30 * SECOND, [role])).toMatchObject({ status: 'running' });
            clock.advance(30 * SECOND);
          }
        };

        it('fails it once its attempts are spent, without running the role again: failed_task in the inbox, session terminated', async () => {
          const r = await start([{ role: 'crasher', instructions: 'Crashes the process' }]);
          const id = r.investigation.investigationId;
          await dieMidRun('crasher', 3); // LONGHAUL_TASK_MAX_ATTEMPTS is 3
          const run = await app.workers.runOnce();
          expect(run).toMatchObject({ outcome: 'failed', status: 'failed' });
          expect(state.runs).toBe(0);
          const task = await taskOf(id, 'crasher');
          expect(task).toMatchObject({ status: 'failed', attempts: 4, leaseOwner: null });
          expect(task.error).toMatch(/ran 3 times without finishing; the process stopped mid-run each time/);
          expect((await app.store.tenant('acme').listInbox({ limit: 5 })).items[0]).toMatchObject({ kind: 'failed_task', taskId: task.id, investigationId: id });
          expect(changes).toContainEqual({ type: 'inbox', tenantId: 'acme' });
          expect(await app.store.tenant('acme').getSession(run!.sessionId)).toMatchObject({ status: 'terminated', terminationReason: 'completed' });
          expect((await sessionEvents(run!.sessionId)).map((e) => e.text)).toEqual([expect.stringMatching(/crasher task .* failed after 3 attempt\(s\): crasher task ran 3 times without finishing/)]);
          expect(await app.workers.runOnce()).toBeNull();
        });

        it('still runs it while attempts remain', async () => {
          const r = await start([{ role: 'crasher', instructions: 'Crashes the process' }]);
          await dieMidRun('crasher', 2);
          expect(await app.workers.runOnce()).toMatchObject({ outcome: 'completed' });
          expect(state.runs).toBe(1);
          expect(await taskOf(r.investigation.investigationId, 'crasher')).toMatchObject({ status: 'completed', attempts: 3 });
        });

        it('names the earlier error when a run before failed with one', async () => {
          state.failures = 1;
          const r = await start([{ role: 'flaky', instructions: 'Call the bank API' }]);
          expect(await app.workers.runOnce()).toMatchObject({ outcome: 'error', status: 'pending' });
          clock.advance(SECOND);
          await dieMidRun('flaky', 2);
          expect(await app.workers.runOnce()).toMatchObject({ outcome: 'failed' });
          const task = await taskOf(r.investigation.investigationId, 'flaky');
          expect(task.error).toMatch(/ran 3 times without finishing \(at most 3 attempts\); its last run stopped mid-run .* Earlier error: bank API answered 503 \(attempt 1\)/);
        });
      });

      it('runs a task woken by its signal whatever its attempts count: only runs that stop mid-run are capped', async () => {
        const r = await start([{ role: 'patient', instructions: 'Needs four signals' }]);
        const id = r.investigation.investigationId;
        for (const name of ['s1', 's2', 's3', 's4']) {
          expect(await app.workers.runOnce()).toMatchObject({ outcome: 'wait' });
          await app.runtime.signals.submit(caller, { investigationId: id, signal: name, payload: {} });
        }
        expect(await app.workers.runOnce()).toMatchObject({ outcome: 'completed' });
        expect(await taskOf(id, 'patient')).toMatchObject({ status: 'completed', attempts: 5 });
        expect(state.runs).toBe(5);
      });

      it('stops a run whose session reached the maximum duration and retries it in a new session', async () => {
        await app.close();
        app = make({ LONGHAUL_MAX_SESSION_DURATION: '1h' });
        state.gate = new Promise(() => undefined); // never opens
        const r = await start([{ role: 'slow', instructions: 'Never ends' }]);
        await app.workers.fill();
        clock.advance(3_600_000);
        await app.scheduler.tick('lifecycle');
        await app.workers.idle();
        const task = await taskOf(r.investigation.investigationId, 'slow');
        expect(task).toMatchObject({ status: 'pending', wakeReason: 'retry', error: 'the worker session reached its maximum duration' });
        const [s] = await app.store.tenant('acme').listSessions({ investigationId: r.investigation.investigationId, kind: 'worker', limit: 5 });
        expect(s).toMatchObject({ status: 'terminated', terminationReason: 'max_duration' });
      });
    });

    describe('retries', () => {
      it('retries a failing role with exponential backoff, then completes', async () => {
        state.failures = 2;
        const r = await start([{ role: 'flaky', instructions: 'Call the bank API' }]);
        const id = r.investigation.investigationId;
        expect(await app.workers.runOnce()).toMatchObject({ outcome: 'error', status: 'pending' });
        let task = await taskOf(id, 'flaky');
        expect(task).toMatchObject({ status: 'pending', wakeReason: 'retry', runAt: clock.now() + SECOND, error: 'bank API answered 503 (attempt 1)' });
        expect(await app.workers.runOnce()).toBeNull();
        clock.advance(SECOND);
        await app.workers.runOnce();
        task = await taskOf(id, 'flaky');
        expect(task.runAt).toBe(clock.now() + 2 * SECOND);
        clock.advance(2 * SECOND);
        expect(await app.workers.runOnce()).toMatchObject({ outcome: 'completed' });
        task = await taskOf(id, 'flaky');
        expect(task).toMatchObject({ status: 'completed', attempts: 3, result: { summary: 'done on attempt 3', ok: true } });
        // A failed attempt's buffered events are dropped: only the successful run's finding is kept.
        const findings = await app.store.tenant('acme').listEvents({ investigationId: id, kinds: ['finding'], limit: 10 });
        expect(findings.items.map((e) => e.text)).toEqual(['attempt 3']);
      });

      it('fails the task after the configured attempts and puts it in the inbox', async () => {
        state.failures = 99;
        const r = await start([{ role: 'flaky', instructions: 'Call the bank API' }]);
        for (let i = 0; i < 3; i++) {
          await app.workers.runOnce();
          clock.advance(60 * SECOND);
        }
        const task = await taskOf(r.investigation.investigationId, 'flaky');
        expect(task).toMatchObject({ status: 'failed', attempts: 3, error: expect.stringMatching(/gave up after 3 attempts/) });
        expect((await app.store.tenant('acme').listInbox({ limit: 5 })).items[0]).toMatchObject({ kind: 'failed_task', taskId: task.id });
        expect(changes).toContainEqual({ type: 'inbox', tenantId: 'acme' });
      });

      it('fails at once, with an inbox item, when the role returns failed()', async () => {
        const r = await start([{ role: 'quitter', instructions: 'Check the counterparty' }]);
        expect(await app.workers.runOnce()).toMatchObject({ outcome: 'failed', status: 'failed' });
        const task = await taskOf(r.investigation.investigationId, 'quitter');
        expect(task).toMatchObject({ status: 'failed', attempts: 1, error: 'the counterparty is not a company' });
        expect((await app.store.tenant('acme').listInbox({ limit: 5 })).items[0]).toMatchObject({ kind: 'failed_task', taskId: task.id });
      });

      it('retries after the delay a RetryLaterError asks for', async () => {
        const r = await start([{ role: 'throttled', instructions: 'Call the rate-limited API' }]);
        await app.workers.runOnce();
        expect(await taskOf(r.investigation.investigationId, 'throttled')).toMatchObject({ status: 'pending', wakeReason: 'retry', runAt: clock.now() + 30_000 });
      });

      it('waits on a new wait, and refuses a wait on a signal already delivered (it would wake the task forever)', async () => {
        const r = await start([{ role: 'waiter', instructions: 'Needs the KYC file' }]);
        const id = r.investigation.investigationId;
        expect(await app.workers.runOnce()).toMatchObject({ outcome: 'wait', status: 'waiting' });
        const [w] = await app.store.tenant('acme').listWaits(id);
        expect(w).toMatchObject({ signal: 'kyc', status: 'open', deadline: clock.now() + 60_000 });
        await app.runtime.signals.submit(caller, { investigationId: id, signal: 'kyc', payload: { ok: true } });
        await app.workers.runOnce();
        expect(await taskOf(id, 'waiter')).toMatchObject({ status: 'failed', error: expect.stringMatching(/waited for signal "kyc", which was already delivered/) });
      });

      it('fails at once on an UnrecoverableError', async () => {
        const r = await start([{ role: 'broken', instructions: 'Check account' }]);
        await app.workers.runOnce();
        expect(await taskOf(r.investigation.investigationId, 'broken')).toMatchObject({ status: 'failed', attempts: 1, error: 'the instructions name no account' });
      });
    });

    it('runs at most `concurrency` tasks at once', async () => {
      let open!: () => void;
      state.gate = new Promise((res) => (open = res));
      const r = await start(Array.from({ length: 4 }, () => ({ role: 'slow', instructions: 'Wait for the gate' })));
      expect(await app.workers.fill()).toBe(2);
      expect(app.workers.runningCount()).toBe(2);
      expect(await app.workers.fill()).toBe(0);
      open();
      await app.workers.idle();
      const tasks = await app.store.tenant('acme').listTasks(r.investigation.investigationId);
      expect(tasks.map((t) => t.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    });
  });
}
