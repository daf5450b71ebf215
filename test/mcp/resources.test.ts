import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TECHCORP, alice, bob, connect, makeApp, type Connected, type TestApp } from './helpers.js';

describe('MCP resources', () => {
  let t: TestApp;
  let c: Connected;
  let b: Connected;
  let s: any;
  let id: string;
  beforeEach(async () => {
    t = makeApp();
    c = await connect(t.app, alice);
    b = await connect(t.app, bob);
    s = await c.call('start_investigation', TECHCORP);
    id = s.investigation.investigationId;
    await c.call('record_event', { investigationId: id, role: 'assistant', kind: 'finding', text: 'TechCorp is registered in Delaware.' });
  });
  afterEach(async () => {
    await c.close();
    await b.close();
    await t.close();
  });

  it('lists the templates', async () => {
    const r = await c.client.listResourceTemplates();
    expect(r.resourceTemplates.map((x) => x.uriTemplate)).toEqual([
      'longhaul://investigations/{investigationId}',
      'longhaul://investigations/{investigationId}/timeline',
      'longhaul://investigations/{investigationId}/report',
      'longhaul://investigations/{investigationId}/reports/{reportId}',
      'longhaul://investigations/{investigationId}/tasks/{taskId}',
      'longhaul://investigations/{investigationId}/signals/{signalId}/attachments/{index}',
      'longhaul://sessions/{sessionId}',
      'longhaul://sessions/{sessionId}/events',
      'longhaul://memory/{+namespace}',
      'longhaul://inbox',
      'longhaul://sources',
      'longhaul://erasures/{erasureId}',
    ]);
    // Reports are Markdown; a signal's file comes in its own media type (each read says which); everything else is JSON.
    const mimeType = (t: string) => (t.includes('/report') ? 'text/markdown' : t.includes('/attachments/') ? 'application/octet-stream' : 'application/json');
    expect(r.resourceTemplates.every((x) => x.mimeType === mimeType(x.uriTemplate))).toBe(true);
  });

  it("lists the caller's own recent investigations and sessions only", async () => {
    const mine = await c.client.listResources();
    const uris = mine.resources.map((r) => r.uri);
    expect(uris).toEqual(
      expect.arrayContaining([`longhaul://investigations/${id}`, `longhaul://investigations/${id}/timeline`, `longhaul://sessions/${s.sessionId}`, `longhaul://sessions/${s.sessionId}/events`]),
    );
    expect(mine.resources.find((r) => r.uri === `longhaul://investigations/${id}`)).toMatchObject({ name: `TechCorp (${id})`, mimeType: 'application/json' });
    const theirs = await b.client.listResources();
    // Only the investigation view (an MCP App, the same for everyone), the inbox and the sources, which every caller has (empty here).
    expect(theirs.resources.map((r) => r.uri)).toEqual(['ui://longhaul/investigation', 'longhaul://inbox', 'longhaul://sources']);
    expect(theirs.resources[0]).toMatchObject({ mimeType: 'text/html;profile=mcp-app' });
  });

  it('reads investigation state, timeline, session and session events as JSON', async () => {
    const state = await c.readJson(`longhaul://investigations/${id}`);
    expect(state.investigation.investigationId).toBe(id);
    expect(state.tasks).toHaveLength(2);
    expect(state.findings.map((f: any) => f.text)).toEqual(['TechCorp is registered in Delaware.']);

    const timeline = await c.readJson(`longhaul://investigations/${id}/timeline`);
    expect(timeline).toMatchObject({ investigationId: id, subject: 'TechCorp', nextCursor: null });
    expect(timeline.showing).toBe(`showing ${timeline.events.length} of ${timeline.total} events`);
    expect(timeline.events[0].text).toMatch(/^Investigate TechCorp/);
    expect(timeline.events.map((e: any) => e.seq)).toEqual([...timeline.events.map((e: any) => e.seq)].sort((x: number, y: number) => x - y));

    const session = await c.readJson(`longhaul://sessions/${s.sessionId}`);
    expect(session.session).toMatchObject({ sessionId: s.sessionId, kind: 'supervisor', status: 'idle', idleTimeout: '2s', maxDuration: '8h' });
    expect(session).toHaveProperty('extraction');

    const events = await c.readJson(`longhaul://sessions/${s.sessionId}/events`);
    expect(events.session.sessionId).toBe(s.sessionId);
    expect(events.events.map((e: any) => e.kind)).toContain('finding');
    expect(events.showing).toMatch(/^showing \d+ of \d+ events$/);
  });

  it('answers an unknown id with resource-not-found and a malformed one with invalid params', async () => {
    const unknown = await c.client.readResource({ uri: `longhaul://investigations/inv_${'0'.repeat(30)}` }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(McpError);
    expect((unknown as McpError).code).toBe(-32002);
    expect((unknown as McpError).message).toMatch(/No investigation with id/);
    const malformed = await c.client.readResource({ uri: 'longhaul://sessions/ses_%2e%2e' }).catch((e: unknown) => e);
    expect(malformed).toBeInstanceOf(McpError);
    expect((malformed as McpError).code).toBe(-32602);
    expect((malformed as McpError).message).toMatch(/sessionId/);
    // Still up.
    expect((await c.readJson(`longhaul://investigations/${id}`)).investigation.investigationId).toBe(id);
  });

  it("completes ids from the caller's own recent investigations and sessions", async () => {
    const other = await c.call('start_investigation', { subject: 'Initech', objective: 'o' });
    const theirs = await b.call('start_investigation', { subject: 'Globex', objective: 'o' });
    const ref = { type: 'ref/resource' as const, uri: 'longhaul://investigations/{investigationId}' };
    const all = await c.client.complete({ ref, argument: { name: 'investigationId', value: 'inv_' } });
    expect(all.completion.values.sort()).toEqual([id, other.investigation.investigationId].sort());
    const one = await c.client.complete({ ref, argument: { name: 'investigationId', value: id } });
    expect(one.completion.values).toEqual([id]);
    const none = await c.client.complete({ ref, argument: { name: 'investigationId', value: 'inv_ZZZ' } });
    expect(none.completion.values).toEqual([]);
    const bobs = await b.client.complete({ ref, argument: { name: 'investigationId', value: '' } });
    expect(bobs.completion.values).toEqual([theirs.investigation.investigationId]);
    const timeline = await c.client.complete({ ref: { type: 'ref/resource', uri: 'longhaul://investigations/{investigationId}/timeline' }, argument: { name: 'investigationId', value: id } });
    expect(timeline.completion.values).toEqual([id]);
    const sessions = await c.client.complete({ ref: { type: 'ref/resource', uri: 'longhaul://sessions/{sessionId}/events' }, argument: { name: 'sessionId', value: 'ses_' } });
    expect(sessions.completion.values).toEqual(expect.arrayContaining([s.sessionId, other.sessionId]));
    expect(sessions.completion.values).not.toContain(theirs.sessionId);
    // A task id completes within the investigation already chosen, and only for the caller's own.
    const taskRef = { type: 'ref/resource' as const, uri: 'longhaul://investigations/{investigationId}/tasks/{taskId}' };
    const withTasks = await c.call('start_investigation', TECHCORP);
    const tasks = await c.client.complete({ ref: taskRef, argument: { name: 'taskId', value: 'tsk_' }, context: { arguments: { investigationId: withTasks.investigation.investigationId } } });
    expect(tasks.completion.values.sort()).toEqual(withTasks.tasks.map((t: any) => t.taskId).sort());
    const noInvestigation = await c.client.complete({ ref: taskRef, argument: { name: 'taskId', value: 'tsk_' } });
    expect(noInvestigation.completion.values).toEqual([]);
    const notTheirs = await b.client.complete({ ref: taskRef, argument: { name: 'taskId', value: '' }, context: { arguments: { investigationId: withTasks.investigation.investigationId } } });
    expect(notTheirs.completion.values).toEqual([]);
  });
});

describe('URIs with dot segments', () => {
  it('refuses ".." and "." in a resource URI, plain or percent-encoded, instead of resolving them', async () => {
    const t = makeApp();
    const c = await connect(t.app, alice);
    for (const uri of [
      'longhaul://memory/investigations/../actors/alice/preferences',
      'longhaul://memory/a/%2e%2e/b',
      'longhaul://memory/a/%2E/b',
      'longhaul://memory/./actors',
      'longhaul://investigations/../sessions/x',
      'longhaul://memory/a%2fb',
    ]) {
      await expect(c.client.readResource({ uri }), uri).rejects.toMatchObject({ code: -32602, message: expect.stringMatching(/segments .* are not allowed/) });
    }
    // An ordinary URI still reads.
    await expect(c.client.readResource({ uri: 'longhaul://inbox' })).resolves.toBeTruthy();
    await c.close();
    await t.close();
  });

  it('accepts a subscription to one report filing (it never changes)', async () => {
    const t = makeApp();
    const c = await connect(t.app, alice);
    const id = (await c.call('start_investigation', TECHCORP)).investigation.investigationId;
    await expect(c.client.subscribeResource({ uri: `longhaul://investigations/${id}/reports/rpt_01M89XAWV0392Z2T19XP7EA4DQA2EV` })).resolves.toBeTruthy();
    await c.close();
    await t.close();
  });
});
