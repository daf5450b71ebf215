import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TECHCORP, alice, connect, makeApp, type Connected, type TestApp } from './helpers.js';

describe('MCP tools (happy paths, through the real SDK client)', () => {
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

  describe('start_investigation', () => {
    it('opens the investigation, a supervisor session and its tasks, with a text rendering', async () => {
      const raw = await c.callRaw('start_investigation', TECHCORP);
      expect(raw.isError).toBeFalsy();
      const r = raw.structuredContent as any;
      expect(r.investigation).toMatchObject({ subject: 'TechCorp', status: 'open', outcome: null, openedBy: 'alice', deadline: null });
      expect(r.investigation.investigationId).toMatch(/^inv_/);
      expect(r.sessionId).toMatch(/^ses_/);
      expect(r.tasks.map((x: any) => [x.role, x.status])).toEqual([
        ['retrieval', 'pending'],
        ['compliance', 'waiting'],
      ]);
      expect(r.tasks[1].waitFor).toEqual({ signal: 'bank_data', timeout: '3d' });
      expect(r.waits).toHaveLength(1);
      expect(r.waits[0]).toMatchObject({ signal: 'bank_data', status: 'open', deadline: '2026-01-04T00:00:00.000Z' });
      const text = (raw.content[0] as { text: string }).text;
      expect(text).toContain(r.investigation.investigationId);
      expect(text).toContain('waits for "bank_data"');
    });

    it('accepts a future deadline as a duration or a timestamp', async () => {
      const a = await c.call('start_investigation', { subject: 'A', objective: 'o', deadline: 'P14D' });
      expect(a.investigation.deadline).toBe('2026-01-15T00:00:00.000Z');
      const b = await c.call('start_investigation', { subject: 'B', objective: 'o', deadline: '2026-02-01T00:00:00Z' });
      expect(b.investigation.deadline).toBe('2026-02-01T00:00:00.000Z');
    });
  });

  describe('delegate_task', () => {
    it('adds a task, with and without a wait', async () => {
      const s = await c.call('start_investigation', { subject: 'TechCorp', objective: 'Check it' });
      const id = s.investigation.investigationId;
      const plain = await c.call('delegate_task', { investigationId: id, role: 'retrieval', instructions: 'Search the archive' });
      expect(plain).toMatchObject({ investigationId: id, wait: null, resolvedBySignal: null, task: { role: 'retrieval', status: 'pending' } });
      const waiting = await c.call('delegate_task', { investigationId: id, role: 'compliance', instructions: 'Check KYC', waitFor: { signal: 'kyc_file', timeout: 'PT1H' } });
      expect(waiting.task.status).toBe('waiting');
      expect(waiting.wait).toMatchObject({ signal: 'kyc_file', status: 'open', deadline: '2026-01-01T01:00:00.000Z' });
      const state = await c.call('get_investigation', { investigationId: id });
      expect(state.tasks).toHaveLength(2);
    });
  });

  describe('submit_signal', () => {
    it('stores the signal, resolves the wait for it and wakes its task', async () => {
      const s = await c.call('start_investigation', TECHCORP);
      const id = s.investigation.investigationId;
      const compliance = s.tasks.find((x: any) => x.role === 'compliance');
      const raw = await c.callRaw('submit_signal', { investigationId: id, signal: 'bank_data', payload: { account: 'TC-001', amount: 25000 } });
      const r = raw.structuredContent as any;
      expect(r.duplicate).toBe(false);
      expect(r.signal).toMatchObject({ name: 'bank_data', deliveredBy: 'alice', idempotencyKey: null });
      expect(JSON.parse(r.signal.payloadPreview)).toEqual({ account: 'TC-001', amount: 25000 });
      expect(r.resolvedWaits.map((w: any) => w.status)).toEqual(['resolved']);
      expect(r.wokenTasks.map((x: any) => [x.taskId, x.status])).toEqual([[compliance.taskId, 'pending']]);
      expect((raw.content[0] as { text: string }).text).toMatch(/Resolved 1 wait/);
    });
  });

  describe('resume_investigation', () => {
    it('opens a new supervisor session, ends the previous one, and briefs what happened since', async () => {
      const s = await c.call('start_investigation', TECHCORP);
      const id = s.investigation.investigationId;
      t.clock.advance(60_000);
      await c.call('submit_signal', { investigationId: id, signal: 'bank_data', payload: { ok: true } });
      t.clock.advance(60_000);
      const raw = await c.callRaw('resume_investigation', { investigationId: id });
      const r = raw.structuredContent as any;
      expect(r.investigationId).toBe(id);
      expect(r.sessionId).toMatch(/^ses_/);
      expect(r.sessionId).not.toBe(s.sessionId);
      expect(r.briefing.text).toContain('TechCorp');
      expect(r.briefing.counts).toMatchObject({ openTasks: 2, openWaits: 0 });
      expect((raw.content[0] as { text: string }).text).toContain('# Briefing');
      const previous = await c.readJson(`longhaul://sessions/${s.sessionId}`);
      expect(previous.session).toMatchObject({ status: 'terminated', terminationReason: 'completed' });
      const current = await c.readJson(`longhaul://sessions/${r.sessionId}`);
      expect(current.session.status).toBe('idle');
    });
  });

  describe('get_investigation', () => {
    it('returns the full state', async () => {
      const s = await c.call('start_investigation', TECHCORP);
      const id = s.investigation.investigationId;
      const r = await c.call('get_investigation', { investigationId: id });
      expect(r.investigation).toEqual(s.investigation);
      expect(r.tasks).toEqual(s.tasks);
      expect(r.waits).toEqual(s.waits);
      expect(r.signals).toEqual([]);
      expect(r.findings).toEqual([]);
      expect(r.findingsShown).toBe('showing 0 of 0 findings (newest first)');
      expect(r.sessions.map((x: any) => x.sessionId)).toEqual([s.sessionId]);
      expect(r.report).toBeNull();
    });
  });

  describe('list_investigations', () => {
    it('filters by status and query, and pages with limit and cursor', async () => {
      const ids: string[] = [];
      for (const subject of ['TechCorp', 'Initech', 'Globex', 'Umbrella', 'TechnoGlobal']) {
        ids.push((await c.call('start_investigation', { subject, objective: `Check ${subject}` })).investigation.investigationId);
        t.clock.advance(1_000);
      }
      await c.call('close_investigation', { investigationId: ids[1], outcome: 'completed' });

      const all = await c.call('list_investigations', {});
      expect(all.total).toBe(5);
      expect(all.showing).toBe('showing 5 of 5 investigations');
      expect(all.investigations.map((i: any) => i.subject)).toEqual(['TechnoGlobal', 'Umbrella', 'Globex', 'Initech', 'TechCorp']);

      const open = await c.call('list_investigations', { status: 'open' });
      expect(open.total).toBe(4);
      expect(open.investigations.every((i: any) => i.status === 'open')).toBe(true);
      const closed = await c.call('list_investigations', { status: 'closed' });
      expect(closed.investigations.map((i: any) => i.investigationId)).toEqual([ids[1]]);

      const q = await c.call('list_investigations', { query: 'tech' });
      // Case-insensitive substring of subject or objective ("Initech" too).
      expect(q.investigations.map((i: any) => i.subject).sort()).toEqual(['Initech', 'TechCorp', 'TechnoGlobal']);
      const q2 = await c.call('list_investigations', { query: 'UMBRELLA', status: 'open' });
      expect(q2.investigations.map((i: any) => i.subject)).toEqual(['Umbrella']);

      const p1 = await c.call('list_investigations', { limit: 2 });
      expect(p1.showing).toBe('showing 2 of 5 investigations');
      expect(p1.nextCursor).toEqual(expect.any(String));
      const p2 = await c.call('list_investigations', { limit: 2, cursor: p1.nextCursor });
      const p3 = await c.call('list_investigations', { limit: 2, cursor: p2.nextCursor });
      expect(p3.nextCursor).toBeNull();
      const paged = [...p1.investigations, ...p2.investigations, ...p3.investigations].map((i: any) => i.investigationId);
      expect(paged).toEqual(all.investigations.map((i: any) => i.investigationId));
    });
  });

  describe('record_event', () => {
    it('appends to the supervisor session by investigationId, or to a given session', async () => {
      const s = await c.call('start_investigation', TECHCORP);
      const id = s.investigation.investigationId;
      const a = await c.call('record_event', { investigationId: id, role: 'assistant', kind: 'decision', text: 'Day 0: waiting for the bank.', data: { day: 0 } });
      expect(a.sessionId).toBe(s.sessionId);
      expect(a.event).toMatchObject({ role: 'assistant', kind: 'decision', text: 'Day 0: waiting for the bank.', data: { day: 0 }, investigationId: id, actorId: 'alice' });
      const b = await c.call('record_event', { sessionId: s.sessionId, role: 'user', text: 'Noted.' });
      expect(b.event.kind).toBe('message');
      expect(b.event.seq).toBeGreaterThan(a.event.seq);
      const events = await c.readJson(`longhaul://sessions/${s.sessionId}/events`);
      expect(events.events.map((e: any) => e.eventId)).toEqual(expect.arrayContaining([a.event.eventId, b.event.eventId]));
    });
  });

  describe('close_investigation', () => {
    it('cancels open tasks and waits and terminates its sessions', async () => {
      const s = await c.call('start_investigation', TECHCORP);
      const id = s.investigation.investigationId;
      const raw = await c.callRaw('close_investigation', { investigationId: id, outcome: 'cancelled', summary: 'Client withdrew.' });
      const r = raw.structuredContent as any;
      expect(r.investigation).toMatchObject({ status: 'closed', outcome: 'cancelled', summary: 'Client withdrew.' });
      expect(r.cancelledTasks.sort()).toEqual(s.tasks.map((x: any) => x.taskId).sort());
      expect(r.terminatedSessions).toEqual([s.sessionId]);
      const state = await c.call('get_investigation', { investigationId: id });
      expect(state.tasks.map((x: any) => x.status)).toEqual(['cancelled', 'cancelled']);
      expect(state.waits.map((w: any) => w.status)).toEqual(['cancelled']);
      expect(state.sessions[0]).toMatchObject({ status: 'terminated', terminationReason: 'cancelled' });
    });
  });
});
