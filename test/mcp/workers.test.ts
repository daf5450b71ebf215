import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BANK_DATA, FIXTURES } from '../workers/helpers.js';
import { alice, bob, connect, makeApp, settle, TECHCORP, type Connected, type TestApp } from './helpers.js';

/** Reports, the inbox and the prompts, through a real SDK client over an in-memory transport. */
describe('MCP reports, inbox and prompts', () => {
  let t: TestApp;
  let c: Connected;
  beforeEach(async () => {
    t = makeApp({ LONGHAUL_SOURCES: FIXTURES });
    c = await connect(t.app, alice);
  });
  afterEach(async () => {
    await c.close();
    await t.close();
  });

  const readText = async (uri: string) => {
    const r = await c.client.readResource({ uri });
    const content = r.contents[0] as { text: string; mimeType?: string };
    return { text: content.text, mimeType: content.mimeType };
  };
  const runAll = async () => {
    while (await t.app.workers.runOnce());
  };

  it('serves the filed report as Markdown, keeps earlier filings readable, and notifies subscribers', async () => {
    const r = await c.call('start_investigation', TECHCORP);
    const id = r.investigation.investigationId;
    const reportUri = `longhaul://investigations/${id}/report`;
    await expect(c.client.readResource({ uri: reportUri })).rejects.toThrow(/No report has been filed on investigation/);
    await c.client.subscribeResource({ uri: reportUri });
    await c.client.subscribeResource({ uri: 'longhaul://inbox' });
    await runAll();
    await c.call('submit_signal', { investigationId: id, signal: 'bank_data', payload: BANK_DATA });
    await runAll();
    await settle();
    expect(c.updated).toEqual(expect.arrayContaining([reportUri, 'longhaul://inbox']));

    const first = await readText(reportUri);
    expect(first.mimeType).toBe('text/markdown');
    expect(first.text).toContain('# Compliance report: TechCorp');
    expect(first.text).toContain('Citation: `techcorp/vendors.csv:3`');
    expect(first.text).not.toContain('Earlier filings');

    // A second compliance task files again: the first filing stays readable.
    await c.call('delegate_task', { investigationId: id, role: 'compliance', instructions: 'Re-check with the same data', waitFor: { signal: 'bank_data', timeout: '1d' } });
    await runAll();
    const latest = await readText(reportUri);
    const [, older] = await t.app.store.tenant('acme').listReports(id);
    expect(latest.text).toContain('## Earlier filings (1)');
    expect(latest.text).toContain(`(longhaul://investigations/${id}/reports/${older!.id})`);
    expect((await readText(`longhaul://investigations/${id}/reports/${older!.id}`)).text).toBe(first.text);
    const state = await c.call('get_investigation', { investigationId: id });
    expect(state.report).toMatchObject({ uri: reportUri, complete: true, filings: 2 });
  });

  it('lists what needs a person in the inbox, newest first, paged, and only the caller\'s', async () => {
    const r = await c.call('start_investigation', { subject: 'Initech', objective: 'Wait for the registry', tasks: [{ role: 'compliance', instructions: 'Needs the registry extract', waitFor: { signal: 'registry_extract', timeout: '1h' } }] });
    const id = r.investigation.investigationId;
    t.clock.advance(3_600_000);
    await t.app.scheduler.tick('deadlines');
    await runAll();
    const tenant = t.app.store.tenant('acme');
    // Fill past one page with failed tasks written straight through the store.
    for (let i = 0; i < 52; i++) {
      await c.call('delegate_task', { investigationId: id, role: 'retrieval', instructions: `check ${i}` });
      const task = (await t.app.store.claimTask(t.clock.now(), 'filler', 1_000, ['retrieval']))!;
      t.clock.advance(1_000);
      await tenant.applyTaskOutcome({ taskId: task.id, leaseOwner: 'filler', now: t.clock.now(), status: 'failed', error: 'boom', inbox: [{ id: t.app.deps.ids('inb'), tenantId: 'acme', investigationId: id, kind: 'failed_task', title: `Task failed: check ${i}`, detail: 'boom', taskId: task.id, reportId: null, createdAt: t.clock.now() }] });
    }
    const page1 = await c.readJson('longhaul://inbox');
    expect(page1.total).toBe(53);
    expect(page1.items).toHaveLength(50);
    expect(page1.items[0]).toMatchObject({ kind: 'failed_task', title: 'Task failed: check 51', subject: 'Initech', investigationUri: `longhaul://investigations/${id}` });
    expect(page1.showing).toBe('showing 50 of 53 inbox items (newest first)');
    const page2 = await c.readJson(page1.nextPage);
    expect(page2.items.at(-1)).toMatchObject({ kind: 'escalation', reportUri: expect.stringMatching(new RegExp(`^longhaul://investigations/${id}/reports/rpt_`)) });
    expect(page2.nextPage).toBeNull();
    const other = await connect(t.app, bob);
    expect((await other.readJson('longhaul://inbox')).total).toBe(0);
    await expect(other.client.readResource({ uri: `longhaul://investigations/${id}/report` })).rejects.toThrow(/No investigation with id/);
    await other.close();
  });

  describe('prompts', () => {
    it('lists supervisor, retrieval and compliance with an optional, completable investigationId', async () => {
      const { prompts } = await c.client.listPrompts();
      expect(prompts.map((p) => p.name)).toEqual(['supervisor', 'retrieval', 'compliance']);
      for (const p of prompts) expect(p.arguments).toEqual([{ name: 'investigationId', description: expect.any(String), required: false }]);
      await expect(JSON.stringify(prompts, null, 2) + '\n').toMatchFileSnapshot('./__snapshots__/prompts-list.json');
      const r = await c.call('start_investigation', TECHCORP);
      const done = await c.client.complete({ ref: { type: 'ref/prompt', name: 'supervisor' }, argument: { name: 'investigationId', value: 'inv_' } });
      expect(done.completion.values).toEqual([r.investigation.investigationId]);
    });

    it('supervisor: the role and every tool; with an id, the current briefing', async () => {
      const plain = await c.client.getPrompt({ name: 'supervisor', arguments: {} });
      const text = (plain.messages[0]!.content as { text: string }).text;
      for (const tool of ['start_investigation', 'delegate_task', 'submit_signal', 'resume_investigation', 'get_investigation', 'list_investigations', 'record_event', 'search_memory', 'close_investigation', 'forget_memory']) {
        expect(text).toContain(tool);
      }
      const r = await c.call('start_investigation', TECHCORP);
      await runAll();
      const briefed = await c.client.getPrompt({ name: 'supervisor', arguments: { investigationId: r.investigation.investigationId } });
      const b = (briefed.messages[0]!.content as { text: string }).text;
      expect(b).toContain(`# Briefing: TechCorp (${r.investigation.investigationId})`);
      expect(b).toMatch(/waits for "bank_data" until/);
      expect(b).toMatch(/retrieval tsk_\w+: completed/);
    });

    it('retrieval and compliance: the role instructions, the rules in force, and the open tasks', async () => {
      const r = await c.call('start_investigation', TECHCORP);
      const retrieval = (await c.client.getPrompt({ name: 'retrieval', arguments: {} })).messages[0]!.content as { text: string };
      expect(retrieval.text).toMatch(/data\.citation/);
      const compliance = (await c.client.getPrompt({ name: 'compliance', arguments: { investigationId: r.investigation.investigationId } })).messages[0]!.content as { text: string };
      expect(compliance.text).toContain('every transaction above EUR 10,000 is a flag');
      expect(compliance.text).toContain('What is missing');
      expect(compliance.text).toMatch(/tsk_\w+ \(waiting, waits for "bank_data" until/);
      await expect(c.client.getPrompt({ name: 'compliance', arguments: { investigationId: 'inv_nope' } })).rejects.toThrow(/not a valid id/);
    });
  });
});
