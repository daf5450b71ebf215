import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STATE_LIMITS } from '../../src/runtime/investigation-state.js';
import { COUNT_CAP } from '../../src/runtime/views.js';
import { DAY, fixtures, openInvestigation, T0 } from '../contract/fixtures.js';
import { alice, connect, makeApp, TECHCORP, type TestApp } from './helpers.js';

/** Nothing returns unbounded text: the state document stays small on a big investigation. */
describe('get_investigation on a large investigation', () => {
  let t: TestApp;
  beforeEach(() => {
    t = makeApp();
  });
  afterEach(() => t.close());

  it('shows every open task and wait first, caps each list with "showing X of Y", and clips long texts', async () => {
    const c = await connect(t.app, alice);
    const id = (await c.call('start_investigation', TECHCORP)).investigation.investigationId;
    const inv = t.app.runtime.investigations;
    const long = 'Check every payment. '.repeat(300);
    for (let i = 0; i < 120; i++) {
      await inv.delegate(alice, { investigationId: id, role: 'compliance', instructions: `${i}: ${long}`, waitFor: i < 10 ? { signal: `feed_${i}`, timeout: 'P3D' } : null });
    }
    for (let i = 0; i < 60; i++) await t.app.runtime.signals.submit(alice, { investigationId: id, signal: `other_${i}`, payload: { rows: Array.from({ length: 50 }, (_, k) => ({ k, note: 'x'.repeat(40) })) } });
    for (let i = 0; i < 40; i++) await c.call('record_event', { investigationId: id, role: 'agent', kind: 'finding', text: `Finding ${i}: ${'y'.repeat(5_000)}` });

    const r = await c.call('get_investigation', { investigationId: id });
    expect(r.tasks).toHaveLength(STATE_LIMITS.tasks);
    expect(r.shown.tasks).toBe(`showing ${STATE_LIMITS.tasks} of 122 tasks (open ones first, then the newest)`);
    // All 122 are open (the 2 of the start, 10 waiting, 110 pending): the open ones come first, so the state shows open work.
    expect(r.tasks.every((x: any) => x.status === 'waiting' || x.status === 'pending')).toBe(true);
    expect(r.waits.filter((w: any) => w.status === 'open').length).toBeGreaterThanOrEqual(10);
    expect(r.signals).toHaveLength(STATE_LIMITS.signals);
    expect(r.shown.signals).toBe(`showing ${STATE_LIMITS.signals} of 60 signals (the newest)`);
    expect(r.signals.at(-1).name).toBe('other_59');
    expect(r.findings).toHaveLength(STATE_LIMITS.findings);
    expect(r.findingsShown).toBe(`showing ${STATE_LIMITS.findings} of 40 findings (newest first)`);
    for (const x of r.tasks) expect(x.instructions.length).toBeLessThanOrEqual(STATE_LIMITS.text);
    for (const f of r.findings) expect(f.text.length).toBeLessThanOrEqual(STATE_LIMITS.text);
    const bytes = JSON.stringify(r).length;
    expect(bytes).toBeLessThan(200_000);
    // The resource serves the same bounded document.
    const doc = await c.readJson(`longhaul://investigations/${id}`);
    expect(doc.tasks).toHaveLength(STATE_LIMITS.tasks);
    await c.close();
  });

  it('keeps a large task result in shape, shortened: long lists cut, long strings clipped', async () => {
    const c = await connect(t.app, alice);
    const id = (await c.call('start_investigation', { subject: 'TechCorp', objective: 'Search', tasks: [{ role: 'retrieval', instructions: 'Search' }] })).investigation.investigationId;
    const store = t.app.store;
    const task = await store.claimTask(t.clock.now(), 'test-owner', 60_000, ['retrieval']);
    const findings = Array.from({ length: 30 }, (_, i) => ({ rank: i + 1, citation: { file: `techcorp/doc-${i}.md`, startLine: i, snippet: 'z'.repeat(1_000) } }));
    await store.tenant('acme').applyTaskOutcome({ taskId: task!.id, leaseOwner: 'test-owner', now: t.clock.now(), status: 'completed', result: { summary: 'Found 30 passages', findings } });
    const r = await c.call('get_investigation', { investigationId: id });
    const result = r.tasks[0].result;
    expect(result.summary).toBe('Found 30 passages');
    expect(r.tasks[0].resultShortened).toBe(true);
    // Every item left is an item the role wrote: the list is cut, not padded with a note.
    expect(result.findings).toHaveLength(8);
    for (const [i, f] of result.findings.entries()) {
      expect(f).toMatchObject({ rank: i + 1, citation: { file: `techcorp/doc-${i}.md`, startLine: i } });
      expect(f.citation.snippet.length).toBeLessThanOrEqual(300);
    }
    // The task's own resource serves the whole result.
    expect(r.tasks[0].uri).toBe(`longhaul://investigations/${id}/tasks/${task!.id}`);
    const full = await c.readJson(r.tasks[0].uri);
    expect(full).toMatchObject({ taskId: task!.id, status: 'completed', resultShortened: false });
    expect(full.result.findings).toEqual(findings);
    await c.close();
  });

  it('serves a small result whole in the state and marks nothing shortened', async () => {
    const c = await connect(t.app, alice);
    const id = (await c.call('start_investigation', { subject: 'TechCorp', objective: 'Search', tasks: [{ role: 'retrieval', instructions: 'Search' }] })).investigation.investigationId;
    const task = await t.app.store.claimTask(t.clock.now(), 'test-owner', 60_000, ['retrieval']);
    const result = { summary: 'One passage', findings: [{ rank: 1, citation: { file: 'techcorp/a.md', startLine: 3, snippet: 'TechCorp pays' } }] };
    await t.app.store.tenant('acme').applyTaskOutcome({ taskId: task!.id, leaseOwner: 'test-owner', now: t.clock.now(), status: 'completed', result });
    const r = await c.call('get_investigation', { investigationId: id });
    expect(r.tasks[0]).toMatchObject({ resultShortened: false, result });
    await c.close();
  });

  it('refuses a task URI of another investigation, an unknown task and a malformed id', async () => {
    const c = await connect(t.app, alice);
    const a = await c.call('start_investigation', { subject: 'TechCorp', objective: 'Search', tasks: [{ role: 'retrieval', instructions: 'Search' }] });
    const b = await c.call('start_investigation', { subject: 'Other', objective: 'Search' });
    const taskId = a.tasks[0].taskId;
    const bId = b.investigation.investigationId;
    await expect(c.client.readResource({ uri: `longhaul://investigations/${bId}/tasks/${taskId}` })).rejects.toThrow(/-32002.*No task with id .*get_investigation on inv_/);
    await expect(c.client.readResource({ uri: `longhaul://investigations/${bId}/tasks/tsk_${'0'.repeat(30)}` })).rejects.toThrow(/-32002.*No task with id/);
    await expect(c.client.readResource({ uri: `longhaul://investigations/${bId}/tasks/nope` })).rejects.toThrow(/taskId/);
    await c.close();
  });
});

/** Tenant-wide lists count what matches only up to COUNT_CAP: past it they say "1,000+". */
describe('tenant-wide lists past the count cap', () => {
  let t: TestApp;
  beforeEach(() => {
    t = makeApp();
  });
  afterEach(() => t.close());

  it(`list_investigations, the inbox and a memory namespace count up to ${COUNT_CAP} and say "1,000+"`, async () => {
    const f = fixtures(alice.tenantId);
    const store = t.app.store.tenant(alice.tenantId);
    let last = '';
    for (let i = 0; i <= COUNT_CAP; i++) last = (await openInvestigation(store, f, { investigation: { createdAt: T0 + i } })).inv.id;
    const c = await connect(t.app, alice);
    try {
      const raw = await c.callRaw('list_investigations', { limit: 5 });
      expect(raw.isError).toBeFalsy();
      const r = raw.structuredContent as any;
      expect(r.total).toBe(COUNT_CAP);
      expect(r.showing).toBe('showing 5 of 1,000+ investigations');
      expect((raw.content[0] as { text: string }).text).toContain('showing 5 of 1,000+ investigations (more: pass nextCursor).');
      // A filter that matches few is still counted exactly.
      expect(await c.call('list_investigations', { status: 'closed' })).toMatchObject({ total: 0, showing: 'showing 0 of 0 investigations' });

      await store.markOverdue({ id: last, now: T0 + DAY, events: [], inbox: Array.from({ length: COUNT_CAP + 1 }, (_, i) => f.inboxItem(last, { createdAt: T0 + i })) });
      const inbox = await c.readJson('longhaul://inbox');
      expect(inbox).toMatchObject({ total: COUNT_CAP, showing: 'showing 50 of 1,000+ inbox items (newest first)' });

      const s = f.session();
      await store.createSession(s);
      const ns = `investigations/${last}/facts`;
      const writes = Array.from({ length: COUNT_CAP + 1 }, (_, i) => ({ op: 'create' as const, record: f.record(ns, `fact number ${i}`, { createdAt: T0 + i }) }));
      await store.commitExtraction({ sessionId: s.id, expectedThroughSeq: 0, throughSeq: 1, now: T0, dueAt: null, writes });
      const memory = await c.readJson(`longhaul://memory/${ns}?limit=10`);
      expect(memory).toMatchObject({ total: COUNT_CAP, showing: `showing 10 of 1,000+ active records under ${ns}` });
    } finally {
      await c.close();
    }
  });
});
