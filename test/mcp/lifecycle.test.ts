import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TECHCORP, alice, bob, connect, makeApp, settle, type Connected, type TestApp } from './helpers.js';

describe('MCP lifecycle: sessions, waits and signals with a fake clock', () => {
  let t: TestApp;
  let c: Connected;
  beforeEach(async () => {
    t = makeApp();
    c = await connect(t.app, alice);
  });
  afterEach(async () => {
    await c.close();
    await t.close();
  });

  it('leaves the supervisor session idle after a call, and the sweep terminates it by idle timeout, notifying subscribers', async () => {
    const s = await c.call('start_investigation', TECHCORP);
    const uri = `longhaul://sessions/${s.sessionId}`;
    const idle = await c.readJson(uri);
    expect(idle.session).toMatchObject({ status: 'idle', idleTimeout: '2s', terminationReason: null, idleDeadline: '2026-01-01T00:00:02.000Z' });
    await c.client.subscribeResource({ uri });
    t.clock.advance(3_000);
    const tick = await t.app.scheduler.tick();
    expect(tick.lifecycle!.processed).toBe(1);
    await vi.waitFor(() => expect(c.updated).toContain(uri));
    const ended = await c.readJson(uri);
    expect(ended.session).toMatchObject({ status: 'terminated', terminationReason: 'idle_timeout', idleDeadline: null });
  });

  it('opens a new supervisor session when the old one timed out', async () => {
    const s = await c.call('start_investigation', TECHCORP);
    const id = s.investigation.investigationId;
    t.clock.advance(3_000);
    await t.app.scheduler.tick();
    const r = await c.call('record_event', { investigationId: id, role: 'assistant', text: 'Back again.' });
    expect(r.sessionId).not.toBe(s.sessionId);
    const ended = await c.call('record_event', { sessionId: s.sessionId, role: 'user', text: 'late' }).catch((e: Error) => e);
    expect(String(ended)).toMatch(/illegal_transition/);
  });

  it('records on investigationId in the live supervisor session through timeouts, resumes and closes', async () => {
    const s = await c.call('start_investigation', TECHCORP);
    const id = s.investigation.investigationId;
    const record = (text: string) => c.call('record_event', { investigationId: id, role: 'assistant', text });
    expect((await record('one')).sessionId).toBe(s.sessionId);
    expect((await record('two')).sessionId).toBe(s.sessionId);
    // The session it kept recording in times out: the next event opens a new one, and stays there.
    t.clock.advance(3_000);
    await t.app.scheduler.tick();
    const afterTimeout = (await record('three')).sessionId;
    expect(afterTimeout).not.toBe(s.sessionId);
    expect((await record('four')).sessionId).toBe(afterTimeout);
    // A resume ends it and opens another: events follow to the resumed session.
    const resumed = await c.call('resume_investigation', { investigationId: id });
    expect(resumed.sessionId).not.toBe(afterTimeout);
    expect((await record('five')).sessionId).toBe(resumed.sessionId);
    const events = await c.readJson(`longhaul://sessions/${resumed.sessionId}/events`);
    expect(events.events.map((e: any) => e.text)).toContain('five');
    // Closed: nothing more is recorded, and the error says why.
    await c.call('close_investigation', { investigationId: id, outcome: 'completed' });
    const closed = await c.callRaw('record_event', { investigationId: id, role: 'assistant', text: 'six' });
    expect(closed.isError).toBe(true);
    expect((closed.content as any)[0].text).toMatch(/^\[illegal_transition\] .*closed/);
  });

  it('notifies an investigation subscriber when submit_signal resolves a wait', async () => {
    const s = await c.call('start_investigation', TECHCORP);
    const id = s.investigation.investigationId;
    const uri = `longhaul://investigations/${id}`;
    await c.client.subscribeResource({ uri });
    await c.client.subscribeResource({ uri: `${uri}/timeline` });
    const waiting = s.tasks.find((t: any) => t.waitFor);
    await c.client.subscribeResource({ uri: waiting.uri });
    await settle();
    c.updated.length = 0;
    const r = await c.call('submit_signal', { investigationId: id, signal: 'bank_data', payload: { ok: 1 } });
    expect(r.resolvedWaits).toHaveLength(1);
    await vi.waitFor(() => expect(c.updated).toEqual(expect.arrayContaining([uri, `${uri}/timeline`, waiting.uri])));
    // Coalesced: one notification per URI for the call, not one per internal write.
    expect(c.updated.filter((u) => u === uri)).toHaveLength(1);
    const state = await c.readJson(uri);
    expect(state.waits[0].status).toBe('resolved');
  });

  it('stops notifying after unsubscribe', async () => {
    const s = await c.call('start_investigation', TECHCORP);
    const uri = `longhaul://investigations/${s.investigation.investigationId}`;
    await c.client.subscribeResource({ uri });
    await c.client.unsubscribeResource({ uri });
    await c.call('record_event', { investigationId: s.investigation.investigationId, role: 'user', text: 'x' });
    await settle();
    expect(c.updated).toEqual([]);
  });

  it('refuses to subscribe to a URI that names no resource', async () => {
    const err = await c.client.subscribeResource({ uri: 'longhaul://nothing/here' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(-32602);
    const bad = await c.client.subscribeResource({ uri: 'longhaul://memory/investigations/../other' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(McpError);
    expect((bad as McpError).message).toMatch(/\.\./);
  });

  it('notifies memory subscribers whose prefix covers the namespace, and the inbox', async () => {
    await c.client.subscribeResource({ uri: 'longhaul://memory/investigations' });
    await c.client.subscribeResource({ uri: 'longhaul://memory/actors/alice' });
    await c.client.subscribeResource({ uri: 'longhaul://inbox' });
    t.app.feed.publish({ type: 'memory', tenantId: alice.tenantId, namespace: 'investigations/inv_1/facts' });
    t.app.feed.publish({ type: 'memory', tenantId: alice.tenantId, namespace: 'investigationsX/facts' });
    t.app.feed.publish({ type: 'inbox', tenantId: alice.tenantId });
    t.app.feed.publish({ type: 'inbox', tenantId: bob.tenantId });
    await settle();
    expect(c.updated.sort()).toEqual(['longhaul://inbox', 'longhaul://memory/investigations']);
  });

  it('resolves a wait when delegate_task registers it after its signal arrived', async () => {
    const s = await c.call('start_investigation', { subject: 'TechCorp', objective: 'Check it' });
    const id = s.investigation.investigationId;
    const sig = await c.call('submit_signal', { investigationId: id, signal: 'kyc_file', payload: { documents: ['passport'] } });
    expect(sig.resolvedWaits).toEqual([]);
    const r = await c.call('delegate_task', { investigationId: id, role: 'compliance', instructions: 'Check KYC', waitFor: { signal: 'kyc_file', timeout: '1d' } });
    expect(r.resolvedBySignal.signalId).toBe(sig.signal.signalId);
    expect(r.wait.status).toBe('resolved');
    expect(r.task.status).toBe('pending');
  });

  it('resolves once for a repeated idempotencyKey', async () => {
    const s = await c.call('start_investigation', TECHCORP);
    const id = s.investigation.investigationId;
    const first = await c.call('submit_signal', { investigationId: id, signal: 'bank_data', payload: { n: 1 }, idempotencyKey: 'bank-2026-01-01' });
    const again = await c.callRaw('submit_signal', { investigationId: id, signal: 'bank_data', payload: { n: 2 }, idempotencyKey: 'bank-2026-01-01' });
    const second = again.structuredContent as any;
    expect(first.duplicate).toBe(false);
    expect(first.resolvedWaits).toHaveLength(1);
    expect(second).toMatchObject({ duplicate: true, resolvedWaits: [], wokenTasks: [] });
    expect(second.signal.signalId).toBe(first.signal.signalId);
    expect((again.content[0] as { text: string }).text).toMatch(/already delivered/);
    const state = await c.call('get_investigation', { investigationId: id });
    expect(state.signals).toHaveLength(1);
    expect(state.waits.map((w: any) => w.status)).toEqual(['resolved']);
  });

  it('times out a task whose wait passes its deadline on the deadline sweep', async () => {
    const s = await c.call('start_investigation', {
      subject: 'Initech',
      objective: 'Wait briefly for the registry extract',
      tasks: [{ role: 'compliance', instructions: 'Needs the registry extract', waitFor: { signal: 'registry_extract', timeout: '5s' } }],
    });
    const id = s.investigation.investigationId;
    const uri = `longhaul://investigations/${id}`;
    await c.client.subscribeResource({ uri });
    t.clock.advance(6_000);
    const tick = await t.app.scheduler.tick();
    expect(tick.deadlines!.processed).toBe(1);
    const state = await c.call('get_investigation', { investigationId: id });
    expect(state.tasks[0].status).toBe('timed_out');
    expect(state.waits[0].status).toBe('timed_out');
    await vi.waitFor(() => expect(c.updated).toContain(uri));
    const timeline = await c.readJson(`${uri}/timeline`);
    expect(timeline.events.some((e: any) => e.kind === 'status' && /passed its deadline/.test(e.text))).toBe(true);
  });

  describe('across tenants on one app', () => {
    let b: Connected;
    beforeEach(async () => {
      b = await connect(t.app, bob);
    });
    afterEach(() => b.close());

    it("never notifies one tenant of another tenant's changes", async () => {
      const mine = await b.call('start_investigation', { subject: 'Globex', objective: 'Check Globex' });
      await b.client.subscribeResource({ uri: 'longhaul://inbox' });
      await b.client.subscribeResource({ uri: `longhaul://investigations/${mine.investigation.investigationId}` });
      await settle();
      b.updated.length = 0;
      const theirs = await c.call('start_investigation', TECHCORP);
      await c.call('submit_signal', { investigationId: theirs.investigation.investigationId, signal: 'bank_data', payload: {} });
      t.app.feed.publish({ type: 'inbox', tenantId: alice.tenantId });
      await settle();
      expect(b.updated).toEqual([]);
    });
  });

  describe('logging', () => {
    it("forwards the caller's tenant's log records at the client's level, and no other tenant's", async () => {
      const b = await connect(t.app, bob);
      await c.client.setLoggingLevel('info');
      const s = await c.call('start_investigation', TECHCORP);
      await b.call('start_investigation', { subject: 'Globex', objective: 'o' });
      t.clock.advance(3_000);
      await t.app.scheduler.tick();
      await vi.waitFor(() => expect(c.logMessages.some((m) => (m.data as any).msg === 'session terminated')).toBe(true));
      const terminated = c.logMessages.filter((m) => (m.data as any).msg === 'session terminated');
      expect(terminated.map((m) => (m.data as any).sessionId)).toEqual([s.sessionId]);
      expect(terminated[0]).toMatchObject({ level: 'info', logger: 'longhaul' });
      expect(c.logMessages.every((m) => (m.data as any).tenantId === alice.tenantId)).toBe(true);
      await b.close();
    });

    it('honours logging/setLevel', async () => {
      await c.client.setLoggingLevel('error');
      await c.call('start_investigation', TECHCORP);
      t.clock.advance(3_000);
      await t.app.scheduler.tick();
      t.app.logger.error('something broke', { tenantId: alice.tenantId });
      await vi.waitFor(() => expect(c.logMessages.length).toBeGreaterThan(0));
      expect(c.logMessages.map((m) => [m.level, (m.data as any).msg])).toEqual([['error', 'something broke']]);
    });

    it('forwards untagged operational records only when asked to', async () => {
      const all = await connect(t.app, alice, { logForwarding: 'all' });
      await c.call('list_investigations', {});
      await all.call('list_investigations', {});
      t.app.logger.warn('store slow');
      await settle();
      expect(all.logMessages.map((m) => (m.data as any).msg)).toContain('store slow');
      expect(c.logMessages.map((m) => (m.data as any).msg)).not.toContain('store slow');
      await all.close();
    });
  });

  describe('closing the connection', () => {
    it('stops following the change feed and removes the log sink', async () => {
      const unsubscribed = vi.fn();
      const subscribe = t.app.feed.subscribe.bind(t.app.feed);
      t.app.feed.subscribe = (fn) => {
        const off = subscribe(fn);
        return () => {
          unsubscribed();
          off();
        };
      };
      const removed = vi.fn();
      const addSink = t.app.logger.addSink.bind(t.app.logger);
      t.app.logger.addSink = (sink) => {
        const off = addSink(sink);
        return () => {
          removed();
          return off();
        };
      };
      const d = await connect(t.app, alice);
      const s = await d.call('start_investigation', TECHCORP);
      await d.client.subscribeResource({ uri: `longhaul://investigations/${s.investigation.investigationId}` });
      await d.close();
      await settle();
      expect(unsubscribed).toHaveBeenCalledTimes(1);
      expect(removed).toHaveBeenCalledTimes(1);
      // A change after the close reaches nobody and breaks nothing.
      await c.call('submit_signal', { investigationId: s.investigation.investigationId, signal: 'bank_data', payload: {} });
    });
  });
});
