import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { FakeClock } from '../../src/domain/clock.js';
import { createLogger } from '../../src/logger.js';
import type { Change } from '../../src/runtime/change-feed.js';
import { CHANGE_LOG_RETENTION_MS, retentionJob } from '../../src/scheduler/retention-job.js';
import { intervalToCron } from '../../src/scheduler/scheduler.js';

const caller = { tenantId: 'acme', actorId: 'alice' };

function makeApp(clock: FakeClock): App {
  const config = loadConfig({ env: { HOME: '/tmp', LONGHAUL_STORE: 'memory', LONGHAUL_IDLE_TIMEOUT: '15m', LONGHAUL_MAX_SESSION_DURATION: '8h' } });
  return createApp(config, { clock, logger: createLogger({ level: 'error', write: () => {} }) });
}

describe('scheduler sweeps (fake clock)', () => {
  let clock: FakeClock;
  let app: App;
  let changes: Change[];
  beforeEach(() => {
    clock = new FakeClock();
    app = makeApp(clock);
    changes = [];
    app.feed.subscribe((c) => changes.push(c));
  });
  afterEach(() => app.close());

  describe('lifecycle sweep', () => {
    it('terminates a session idle past the idle timeout, once', async () => {
      const r = await app.runtime.investigations.start(caller, { subject: 'TechCorp', objective: 'Check it' });
      const id = r.sessionId;
      expect((await app.runtime.sessions.get(caller, id)).status).toBe('idle');
      clock.advance(15 * 60_000 - 1);
      expect((await app.scheduler.tick('lifecycle')).lifecycle!.processed).toBe(0);
      clock.advance(1);
      const first = await app.scheduler.tick('lifecycle');
      expect(first.lifecycle!.processed).toBe(1);
      const s = await app.runtime.sessions.get(caller, id);
      expect(s.status).toBe('terminated');
      expect(s.terminationReason).toBe('idle_timeout');
      expect(changes).toContainEqual({ type: 'session', tenantId: 'acme', id });
      expect((await app.scheduler.tick('lifecycle')).lifecycle!.processed).toBe(0);
    });

    it('keeps a session alive while tool calls touch it', async () => {
      const r = await app.runtime.investigations.start(caller, { subject: 'TechCorp', objective: 'Check it' });
      const investigationId = r.investigation.investigationId;
      for (let i = 0; i < 4; i++) {
        clock.advance(10 * 60_000);
        await app.runtime.investigations.get(caller, investigationId);
        await app.scheduler.tick('lifecycle');
      }
      expect((await app.runtime.sessions.get(caller, r.sessionId)).status).toBe('idle');
    });

    it('terminates a heartbeating session at the maximum duration', async () => {
      const r = await app.runtime.investigations.start(caller, { subject: 'TechCorp', objective: 'Check it' });
      const t = app.store.tenant('acme');
      await t.beginWork(r.sessionId, clock.now());
      for (let h = 0; h < 8 * 6; h++) {
        clock.advance(10 * 60_000);
        await t.heartbeat(r.sessionId, clock.now());
        await app.scheduler.tick('lifecycle');
      }
      const s = await app.runtime.sessions.get(caller, r.sessionId);
      expect(s.status).toBe('terminated');
      expect(s.terminationReason).toBe('max_duration');
      expect(s.terminatedAt).toBe(s.startedAt + 8 * 3_600_000);
    });

    it('times out an active session whose process stopped heartbeating', async () => {
      const r = await app.runtime.investigations.start(caller, { subject: 'TechCorp', objective: 'Check it' });
      await app.store.tenant('acme').beginWork(r.sessionId, clock.now());
      clock.advance(15 * 60_000);
      await app.scheduler.tick('lifecycle');
      const s = await app.runtime.sessions.get(caller, r.sessionId);
      expect(s.status).toBe('terminated');
      expect(s.terminationReason).toBe('idle_timeout');
    });
  });

  describe('deadline sweep', () => {
    it('times out a task whose wait passed its deadline and records it on the investigation', async () => {
      // A role that does not escalate (compliance escalates: see test/runtime/worker-runtime.test.ts).
      const r = await app.runtime.investigations.start(caller, {
        subject: 'TechCorp',
        objective: 'Check it',
        tasks: [{ role: 'retrieval', instructions: 'Needs bank data', waitFor: { signal: 'bank_data', timeout: 'PT72H' } }],
      });
      const investigationId = r.investigation.investigationId;
      clock.advance(72 * 3_600_000 - 1);
      expect((await app.scheduler.tick('deadlines')).deadlines!.processed).toBe(0);
      clock.advance(1);
      expect((await app.scheduler.tick('deadlines')).deadlines!.processed).toBe(1);
      expect((await app.scheduler.tick('deadlines')).deadlines!.processed).toBe(0);
      const state = await app.runtime.investigations.get(caller, investigationId);
      expect(state.tasks[0]!.status).toBe('timed_out');
      expect(state.waits[0]!.status).toBe('timed_out');
      const timeline = await app.runtime.events.timeline(caller, investigationId, {});
      expect(timeline.events.at(-1)!.text).toMatch(/bank_data.*passed its deadline/);
      expect(changes).toContainEqual({ type: 'investigation', tenantId: 'acme', id: investigationId });
    });

    it('flags an investigation still open past its own deadline once: an event and an inbox item, nothing cancelled', async () => {
      const r = await app.runtime.investigations.start(caller, {
        subject: 'TechCorp',
        objective: 'Check it within a week',
        deadline: 'P7D',
        tasks: [{ role: 'retrieval', instructions: 'Needs the registry extract', waitFor: { signal: 'registry_extract', timeout: 'P30D' } }],
      });
      const investigationId = r.investigation.investigationId;
      clock.advance(7 * 86_400_000 - 1);
      expect((await app.scheduler.tick('deadlines')).deadlines!.processed).toBe(0);
      clock.advance(1);
      const first = await app.scheduler.tick('deadlines');
      expect(first.deadlines!.detail).toMatchObject({ overdue: [investigationId] });
      expect((await app.scheduler.tick('deadlines')).deadlines!.processed).toBe(0);
      const state = await app.runtime.investigations.get(caller, investigationId);
      expect(state.investigation.status).toBe('open');
      expect(state.investigation.overdueAt).toBe(new Date(clock.now()).toISOString());
      expect(state.tasks[0]!.status).toBe('waiting');
      const inbox = await app.store.tenant('acme').listInbox({ limit: 10 });
      expect(inbox.items).toEqual([expect.objectContaining({ kind: 'overdue', investigationId, title: 'Overdue: TechCorp' })]);
      expect(inbox.items[0]!.detail).toMatch(/1 task\(s\) still open, 1 waiting for a signal/);
      const timeline = await app.runtime.events.timeline(caller, investigationId, {});
      expect(timeline.events.at(-1)!.text).toMatch(/passed its deadline .* while still open/);
      expect(changes).toContainEqual({ type: 'inbox', tenantId: 'acme' });
      const resumed = await app.runtime.resume(caller, investigationId);
      expect(resumed.briefing.text).toMatch(/deadline .*\(PASSED\)/);
    });

    it('does not time out a wait that a signal resolved first', async () => {
      const r = await app.runtime.investigations.start(caller, {
        subject: 'TechCorp',
        objective: 'Check it',
        tasks: [{ role: 'compliance', instructions: 'Needs bank data', waitFor: { signal: 'bank_data', timeout: '3d' } }],
      });
      const investigationId = r.investigation.investigationId;
      clock.advance(2 * 86_400_000);
      await app.runtime.signals.submit(caller, { investigationId, signal: 'bank_data', payload: { ok: true } });
      clock.advance(2 * 86_400_000);
      expect((await app.scheduler.tick('deadlines')).deadlines!.processed).toBe(0);
      const state = await app.runtime.investigations.get(caller, investigationId);
      expect(state.waits[0]!.status).toBe('resolved');
      expect(state.tasks[0]!.status).not.toBe('timed_out');
    });
  });
});

describe('retention job: the change log and stream events', () => {
  let clock: FakeClock;
  let app: App;
  beforeEach(() => {
    clock = new FakeClock();
    app = makeApp(clock);
  });
  afterEach(() => app.close());

  it(`prunes change-log rows older than ${CHANGE_LOG_RETENTION_MS / 60_000} minutes and expired stream events, a bounded batch per pass`, async () => {
    const store = app.store;
    const start = clock.now();
    await store.appendChanges(Array.from({ length: 5 }, (_, i) => ({ origin: 'other', change: { type: 'inbox', tenantId: 'acme' } as const, at: start + i })));
    const streamIds = [];
    for (let i = 0; i < 3; i++) streamIds.push(await store.appendStreamEvent({ streamId: 's', message: { i }, now: start, expiresAt: start + 60_000 }));
    const kept = await store.appendStreamEvent({ streamId: 's', message: { i: 3 }, now: start, expiresAt: start + CHANGE_LOG_RETENTION_MS * 2 });
    // Published by the app itself: its feed stamps rows with the app's clock.
    app.feed.publish({ type: 'inbox', tenantId: 'acme' });
    await app.feed.flush();
    expect((await app.scheduler.tick('retention')).retention!.processed).toBe(0);

    clock.advance(CHANGE_LOG_RETENTION_MS + 10);
    const job = retentionJob(app.deps, 60_000, 2);
    const first = await job.run();
    expect(first).toMatchObject({ processed: 4, more: true, detail: { events: 0, changes: 2, streamEvents: 2 } });
    const second = await job.run();
    expect(second).toMatchObject({ detail: { changes: 2, streamEvents: 1 } });
    const third = await job.run();
    expect(third).toMatchObject({ processed: 2, more: true, detail: { changes: 2, streamEvents: 0 } });
    expect(await job.run()).toMatchObject({ processed: 0, more: false });
    expect(await store.changesAfter(0, 10)).toEqual([]);
    expect(await store.streamEventsAfter(streamIds[2]!, 10)).toBeNull();
    expect(await store.streamEventsAfter(kept, 10)).toEqual({ streamId: 's', events: [] });
  });
});

describe('intervalToCron', () => {
  it.each([
    [1_000, '*/1 * * * * *'],
    [30_000, '*/30 * * * * *'],
    [45_000, '*/30 * * * * *'],
    [60_000, '0 */1 * * * *'],
    [15 * 60_000, '0 */15 * * * *'],
    [3_600_000, '0 0 */1 * * *'],
    [86_400_000, '0 0 0 * * *'],
  ])('%i ms → %s', (ms, expr) => {
    expect(intervalToCron(ms)).toBe(expr);
  });
});
