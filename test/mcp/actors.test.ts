import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Caller } from '../../src/runtime/deps.js';
import { BANK_DATA, FIXTURES } from '../workers/helpers.js';
import { connect, makeApp, settle, TECHCORP, toolError, type Connected, type TestApp } from './helpers.js';

/** Two people of one tenant, and one of another. */
const alice: Caller = { tenantId: 'acme', actorId: 'alice' };
const bob: Caller = { tenantId: 'acme', actorId: 'bob' };
const gina: Caller = { tenantId: 'globex', actorId: 'gina' };

const PREFERENCE = 'Alice wants TechCorp memos as dark-roast bullet lists, never tables.';

/**
 * Actors inside a tenant, through the real SDK client: a team shares its investigations,
 * their facts, reports and the inbox — not its people's private memory (actors/{id}/…),
 * and nobody writes into a session someone else holds.
 */
describe('actors of one tenant', () => {
  let t: TestApp;
  let a: Connected;
  let b: Connected;
  let id: string;
  let aliceSession: string;
  let prefRecordId: string;

  beforeEach(async () => {
    t = makeApp({ LONGHAUL_SOURCES: FIXTURES });
    a = await connect(t.app, alice);
    b = await connect(t.app, bob);
    const r = await a.call('start_investigation', { subject: 'TechCorp', objective: 'Check TechCorp before onboarding' });
    id = r.investigation.investigationId;
    aliceSession = r.sessionId;
    await a.call('record_event', { investigationId: id, role: 'user', kind: 'preference', text: PREFERENCE, data: { key: 'memo-format' } });
    await a.call('record_event', { investigationId: id, role: 'agent', kind: 'finding', text: 'TechCorp changed its auditor in March 2025.' });
    await t.app.scheduler.tick('extraction');
    const mine = await a.call('search_memory', { query: 'dark-roast bullet lists' });
    expect(mine.results.map((x: any) => x.namespace)).toEqual(['actors/alice/preferences']);
    prefRecordId = mine.results[0].recordId;
  });
  afterEach(async () => {
    await a.close();
    await b.close();
    await t.close();
  });

  describe('short-term events', () => {
    it("shows another actor's preference events in shared timelines only as a placeholder", async () => {
      const timeline = await b.readJson(`longhaul://investigations/${id}/timeline`);
      const events = await b.readJson(`longhaul://sessions/${aliceSession}/events`);
      for (const list of [timeline.events, events.events]) {
        const pref = list.find((e: any) => e.kind === 'preference');
        expect(pref.text).toBe('(a preference of alice: private to them)');
        expect(pref.data).toBeNull();
        expect(JSON.stringify(list)).not.toContain('dark-roast');
      }
      // Her own view is whole; the finding is shared with everyone.
      expect(JSON.stringify((await a.readJson(`longhaul://investigations/${id}/timeline`)).events)).toContain('dark-roast');
      expect(timeline.events.some((e: any) => /auditor/.test(e.text))).toBe(true);
    });

    it("forwards log records about one actor's doings only to that actor's connections", async () => {
      await a.client.setLoggingLevel('debug');
      await b.client.setLoggingLevel('debug');
      // Bob has acted for the tenant, so tenant-level records reach him.
      await b.call('list_investigations', {});
      await a.call('forget_memory', { recordId: prefRecordId });
      await settle();
      const about = (c: Connected) => c.logMessages.filter((m) => JSON.stringify(m.data).includes('memory record forgotten'));
      expect(about(a)).toHaveLength(1);
      expect(about(b)).toEqual([]);
    });
  });

  describe('recording', () => {
    it("refuses to record into a session another actor holds, exactly as into one that does not exist", async () => {
      const intoAlices = toolError(await b.callRaw('record_event', { sessionId: aliceSession, role: 'user', text: 'sneaking in' }));
      const missing = aliceSession.slice(0, -1) + (aliceSession.endsWith('0') ? '1' : '0');
      const intoNothing = toolError(await b.callRaw('record_event', { sessionId: missing, role: 'user', text: 'x' }));
      const g = await connect(t.app, gina);
      const fromOtherTenant = toolError(await g.callRaw('record_event', { sessionId: aliceSession, role: 'user', text: 'x' }));
      await g.close();
      expect(intoAlices.code).toBe('not_found');
      expect(intoNothing.code).toBe('not_found');
      expect(fromOtherTenant.code).toBe('not_found');
      // The refusal says nothing the id does not: the same sentence for all three.
      expect(intoAlices.text).toBe(fromOtherTenant.text);
      expect(intoAlices.text.replace(aliceSession, 'ID')).toBe(intoNothing.text.replace(missing, 'ID'));
      expect(intoAlices.text).toMatch(/investigationId/);
      const events = await a.readJson(`longhaul://sessions/${aliceSession}/events`);
      expect(events.events.map((e: any) => e.text)).not.toContain('sneaking in');
    });

    it('records on the shared investigation in the caller\'s own supervisor session', async () => {
      const r = await b.call('record_event', { investigationId: id, role: 'user', kind: 'decision', text: 'Bob: escalate if the auditor change is unexplained.' });
      expect(r.sessionId).not.toBe(aliceSession);
      expect((await b.readJson(`longhaul://sessions/${r.sessionId}`)).session).toMatchObject({ actorId: 'bob', kind: 'supervisor' });
      // Alice's own session still takes her events.
      expect((await a.call('record_event', { sessionId: aliceSession, role: 'user', text: 'noted' })).sessionId).toBe(aliceSession);
    });

    it('keeps worker sessions to their worker', async () => {
      await a.call('delegate_task', { investigationId: id, role: 'retrieval', instructions: 'Search internal sources for TechCorp' });
      while (await t.app.workers.runOnce());
      const state = await a.call('get_investigation', { investigationId: id });
      const worker = state.sessions.find((s: any) => s.kind === 'worker');
      expect(worker).toBeDefined();
      for (const c of [a, b]) expect(toolError(await c.callRaw('record_event', { sessionId: worker.sessionId, role: 'user', text: 'x' })).code).toBe('not_found');
    });
  });

  describe("another actor's private memory", () => {
    it('is never among the results of a search without a namespace', async () => {
      for (const query of ['dark-roast bullet lists', 'TechCorp memos tables', 'Alice wants']) {
        const r = await b.call('search_memory', { query, topK: 50 });
        expect(r.results.map((x: any) => x.namespace).filter((ns: string) => ns.startsWith('actors/'))).toEqual([]);
        // Not even quoted in a shared record: the session summary counts preferences, never quotes them.
        expect(JSON.stringify(r.results)).not.toMatch(/dark-roast/);
      }
    });

    it('cannot be searched by naming it; `actors` means the caller\'s own', async () => {
      for (const namespace of ['actors/alice', 'actors/alice/preferences']) {
        const e = toolError(await b.callRaw('search_memory', { query: 'dark-roast', namespace }));
        expect(e.code, namespace).toBe('not_found');
        expect(e.text).toMatch(/private memory/);
      }
      expect((await b.call('search_memory', { query: 'dark-roast', namespace: 'actors' })).results).toEqual([]);
      expect((await a.call('search_memory', { query: 'dark-roast', namespace: 'actors' })).results.map((x: any) => x.recordId)).toEqual([prefRecordId]);
    });

    it('cannot be read, listed or followed through longhaul://memory/actors/…', async () => {
      const uri = 'longhaul://memory/actors/alice/preferences';
      for (const u of [uri, 'longhaul://memory/actors/alice', `${uri}?record=${prefRecordId}`, `longhaul://memory/investigations/${id}?record=${prefRecordId}`]) {
        await expect(b.client.readResource({ uri: u }), u).rejects.toMatchObject({ code: -32002 });
      }
      expect(await b.readJson('longhaul://memory/actors')).toMatchObject({ namespace: 'actors/bob', total: 0 });
      await expect(b.client.subscribeResource({ uri })).rejects.toMatchObject({ code: -32002 });
      // Alice reads her own.
      expect((await a.readJson(uri)).records.map((r: any) => r.recordId)).toEqual([prefRecordId]);
      expect((await a.readJson(`${uri}?record=${prefRecordId}`)).record.text).toBe(PREFERENCE);
    });

    it("does not notify another actor's subscription of a change to it", async () => {
      await b.client.subscribeResource({ uri: 'longhaul://memory/actors' });
      await a.client.subscribeResource({ uri: 'longhaul://memory/actors' });
      await a.call('record_event', { investigationId: id, role: 'user', kind: 'preference', text: 'Alice reads reports on Mondays.' });
      await t.app.scheduler.tick('extraction');
      await settle();
      expect(a.updated).toContain('longhaul://memory/actors');
      expect(b.updated).not.toContain('longhaul://memory/actors');
    });

    it('cannot be forgotten by another actor', async () => {
      const e = toolError(await b.callRaw('forget_memory', { recordId: prefRecordId }));
      expect(e.code).toBe('not_found');
      const g = await connect(t.app, gina);
      expect(toolError(await g.callRaw('forget_memory', { recordId: prefRecordId })).text).toBe(e.text);
      await g.close();
      expect((await a.readJson('longhaul://memory/actors/alice/preferences')).total).toBe(1);
      expect((await a.call('forget_memory', { recordId: prefRecordId })).deleted).toBe(true);
    });

    it("never reaches a worker's findings, which the whole team reads", async () => {
      const r = await b.call('start_investigation', { subject: 'TechCorp', objective: 'Second look at TechCorp memos', tasks: [{ role: 'retrieval', instructions: 'Search memory and sources for TechCorp memos' }] });
      while (await t.app.workers.runOnce());
      const [task] = await t.app.store.tenant('acme').listTasks(r.investigation.investigationId);
      expect(task!.status).toBe('completed');
      expect(JSON.stringify(task!.result)).not.toMatch(/dark-roast/);
      const timeline = await b.readJson(`longhaul://investigations/${r.investigation.investigationId}/timeline?limit=500`);
      expect(JSON.stringify(timeline)).not.toMatch(/dark-roast/);
    });
  });

  describe('what the team shares', () => {
    it('the investigation, its facts, its report and the inbox', async () => {
      expect((await b.call('get_investigation', { investigationId: id })).investigation.investigationId).toBe(id);
      expect((await b.call('list_investigations', {})).investigations.map((i: any) => i.investigationId)).toContain(id);
      const facts = await b.readJson(`longhaul://memory/investigations/${id}/facts`);
      expect(facts.records.map((r: any) => r.text)).toEqual(['TechCorp changed its auditor in March 2025.']);
      expect((await b.call('search_memory', { query: 'auditor March' })).results.map((x: any) => x.namespace)).toContain(`investigations/${id}/facts`);
      // Session summaries are shared too.
      expect((await b.readJson(`longhaul://memory/sessions/${aliceSession}/summary`)).total).toBe(1);

      await a.call('delegate_task', { investigationId: id, role: 'compliance', instructions: TECHCORP.tasks[1]!.instructions, waitFor: { signal: 'bank_data', timeout: '3d' } });
      while (await t.app.workers.runOnce());
      await b.call('submit_signal', { investigationId: id, signal: 'bank_data', payload: BANK_DATA });
      while (await t.app.workers.runOnce());
      const report = await b.client.readResource({ uri: `longhaul://investigations/${id}/report` });
      expect((report.contents[0] as { text: string }).text).toContain('# Compliance report: TechCorp');
      const inbox = await b.readJson('longhaul://inbox');
      expect(JSON.stringify(inbox)).toContain(id);
    });
  });
});
