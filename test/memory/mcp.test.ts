import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { CreateMessageRequestSchema, McpError, type CreateMessageRequest } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/mcp/server.js';
import { alice, bob, connect, makeApp, settle, toolError, type Connected, type TestApp } from '../mcp/helpers.js';

const facts = (id: string) => `longhaul://memory/investigations/${id}/facts`;

describe('memory over MCP (real SDK client)', () => {
  let t: TestApp;
  let c: Connected;
  let id: string;
  beforeEach(async () => {
    t = makeApp();
    c = await connect(t.app, alice);
    id = (await c.call('start_investigation', { subject: 'TechCorp', objective: 'Check the auditor' })).investigation.investigationId;
    for (const text of ['The auditor of TechCorp resigned in March 2025.', 'TechCorp restated revenue after the auditor left.', 'Revenue grew 12% in 2024.']) {
      await c.call('record_event', { investigationId: id, role: 'agent', kind: 'finding', text });
    }
    await t.app.scheduler.tick('extraction');
  });
  afterEach(async () => {
    await c.close();
    await t.close();
  });

  it('search_memory ranks records within a namespace prefix, with scores and source counts', async () => {
    // bm25 (FTS5) gives a word found in half the records or more an idf of ~0: unrelated
    // records make the query's words rare enough to score.
    for (const text of ['Board minutes were filed in January.', 'The office moved to Lisbon.', 'Payroll runs on the 25th.', 'The CFO joined in 2023.']) {
      await c.call('record_event', { investigationId: id, role: 'agent', kind: 'finding', text });
    }
    await t.app.scheduler.tick('extraction');
    const r = await c.call('search_memory', { query: 'auditor resigned', namespace: `investigations/${id}`, topK: 5 });
    expect(r.results.map((x: any) => x.text)).toEqual(['The auditor of TechCorp resigned in March 2025.', 'TechCorp restated revenue after the auditor left.']);
    expect(r.results[0].score).toBeGreaterThan(r.results[1].score);
    expect(r.results[0]).toMatchObject({ namespace: `investigations/${id}/facts`, status: 'active', sourceCount: 1, strategy: 'facts' });
    const raw = await c.callRaw('search_memory', { query: 'auditor', namespace: 'actors/alice/preferences' });
    expect((raw.content[0] as { text: string }).text).toMatch(/^No memory records match/);
  });

  it('rejects namespace tricks with a clear invalid_input', async () => {
    for (const namespace of ['../other', 'investigations/*', '/abs', 'a//b', 'a/%2e%2e']) {
      const e = toolError(await c.callRaw('search_memory', { query: 'x', namespace }));
      expect(e.code, namespace).toBe('invalid_input');
      expect(e.text).toMatch(/namespace/);
    }
  });

  it("never reaches another tenant's memory", async () => {
    const b = await connect(t.app, bob);
    expect((await b.call('search_memory', { query: 'auditor' })).results).toEqual([]);
    const [hit] = (await c.call('search_memory', { query: 'auditor' })).results;
    expect(toolError(await b.callRaw('forget_memory', { recordId: hit.recordId })).code).toBe('not_found');
    await expect(b.client.readResource({ uri: `${facts(id)}?record=${hit.recordId}` })).rejects.toMatchObject({ code: -32002 });
    await b.close();
  });

  it('pages longhaul://memory/{namespace} and reads one record with its source events', async () => {
    const p1 = await c.readJson(`${facts(id)}?limit=2`);
    expect(p1).toMatchObject({ namespace: `investigations/${id}/facts`, total: 3, showing: `showing 2 of 3 active records under investigations/${id}/facts` });
    const p2 = await c.readJson(`${facts(id)}?limit=2&cursor=${p1.nextCursor}`);
    expect(p2.records).toHaveLength(1);
    expect(p2.nextCursor).toBeNull();
    const whole = await c.readJson(`longhaul://memory/investigations/${id}`);
    expect(whole.total).toBe(3);

    const rec = p1.records[0];
    const read = await c.readJson(rec.uri);
    expect(read.record).toMatchObject({ recordId: rec.recordId, text: rec.text });
    expect(read.sources.events).toHaveLength(1);
    expect(read.sources.events[0]).toMatchObject({ kind: 'finding', text: rec.text });
    // A record is only found under a namespace that contains it.
    await expect(c.client.readResource({ uri: `longhaul://memory/actors/alice?record=${rec.recordId}` })).rejects.toMatchObject({ code: -32002 });
    await expect(c.client.readResource({ uri: `${facts(id)}?limit=abc` })).rejects.toMatchObject({ code: -32602 });
  });

  it('lists memory namespaces that hold records, and completes namespace prefixes', async () => {
    const { resources } = await c.client.listResources();
    expect(resources.map((r) => r.uri)).toContain(facts(id));
    expect(resources.map((r) => r.uri)).not.toContain('longhaul://memory/actors/alice/preferences');
    const done = await c.client.complete({ ref: { type: 'ref/resource', uri: 'longhaul://memory/{+namespace}' }, argument: { name: 'namespace', value: 'inv' } });
    expect(done.completion.values).toContain(`investigations/${id}/facts`);
  });

  it('forget_memory deletes exactly one record', async () => {
    const [hit] = (await c.call('search_memory', { query: 'revenue grew' })).results;
    const r = await c.call('forget_memory', { recordId: hit.recordId });
    expect(r).toMatchObject({ recordId: hit.recordId, deleted: true });
    expect((await c.readJson(facts(id))).total).toBe(2);
    expect(toolError(await c.callRaw('forget_memory', { recordId: hit.recordId })).code).toBe('not_found');
    expect(toolError(await c.callRaw('forget_memory', { recordId: 'rec_../../x' })).code).toBe('invalid_input');
  });

  it('pages longhaul://sessions/{id}/events and the timeline with ?limit=&cursor=', async () => {
    const { sessions } = await c.call('get_investigation', { investigationId: id });
    const uri = `longhaul://sessions/${sessions[0].sessionId}/events`;
    const all = await c.readJson(uri);
    const p1 = await c.readJson(`${uri}?limit=2`);
    expect(p1.events.map((e: any) => e.eventId)).toEqual(all.events.slice(0, 2).map((e: any) => e.eventId));
    expect(p1.showing).toBe(`showing 2 of ${all.total} events`);
    const p2 = await c.readJson(`${uri}?limit=100&cursor=${p1.nextCursor}`);
    expect(p2.events.map((e: any) => e.eventId)).toEqual(all.events.slice(2).map((e: any) => e.eventId));
    const t1 = await c.readJson(`longhaul://investigations/${id}/timeline?limit=1`);
    expect(t1.events).toHaveLength(1);
    expect(t1.nextCursor).not.toBeNull();
    await expect(c.client.readResource({ uri: `${uri}?cursor=bogus` })).rejects.toMatchObject({ code: -32602 });
  });

  it('notifies subscribers of a memory namespace when extraction or forgetting changes it', async () => {
    await c.client.subscribeResource({ uri: `longhaul://memory/investigations/${id}` });
    await c.call('record_event', { investigationId: id, role: 'agent', kind: 'finding', text: 'A fourth finding.' });
    c.updated.length = 0;
    await t.app.scheduler.tick('extraction');
    await settle();
    expect(c.updated).toContain(`longhaul://memory/investigations/${id}`);
    c.updated.length = 0;
    const [hit] = (await c.call('search_memory', { query: 'fourth finding', namespace: `investigations/${id}` })).results;
    await c.call('forget_memory', { recordId: hit.recordId });
    await settle();
    expect(c.updated).toEqual([`longhaul://memory/investigations/${id}`]);
  });

  it('shows extraction progress on longhaul://sessions/{id}', async () => {
    const { sessions } = await c.call('get_investigation', { investigationId: id });
    const s = await c.readJson(`longhaul://sessions/${sessions[0].sessionId}`);
    expect(s.extraction).toMatchObject({ backlog: 0, lastError: null, model: null });
    expect(s.extraction.extractedThroughSeq).toBeGreaterThan(0);
  });
});

describe('LONGHAUL_MODEL=sampling', () => {
  let t: TestApp;
  beforeEach(() => {
    t = makeApp({ LONGHAUL_MODEL: 'sampling' });
  });
  afterEach(() => t.close());

  /** A real SDK client that may declare `sampling` and answers sampling/createMessage. */
  async function samplingClient(answer: ((req: CreateMessageRequest) => string) | null) {
    const server = buildServer(t.app, { resolveCaller: () => alice });
    const client = new Client({ name: 'sampler', version: '1.0.0' }, { capabilities: answer ? { sampling: {} } : {} });
    const requests: CreateMessageRequest[] = [];
    if (answer) {
      client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
        requests.push(req);
        return { role: 'assistant', model: 'client-model', content: { type: 'text', text: answer(req) } };
      });
    }
    const [ct, st] = InMemoryTransport.createLinkedPair();
    await server.connect(st);
    await client.connect(ct);
    return { client, requests, close: () => client.close() };
  }

  async function findingThenExtract(client: Client) {
    const s = (await client.callTool({ name: 'start_investigation', arguments: { subject: 'TechCorp', objective: 'o' } })).structuredContent as any;
    await client.callTool({ name: 'record_event', arguments: { investigationId: s.investigation.investigationId, role: 'agent', kind: 'finding', text: 'auditor quit mar 25' } });
    await t.app.scheduler.tick('extraction');
    return s;
  }

  it("writes prose with the connected client's model through sampling/createMessage", async () => {
    const s = await samplingClient((req) => {
      const text = (req.params.messages[0]!.content as { text: string }).text;
      return text.startsWith('Rewrite') ? '1. The auditor resigned in March 2025.' : 'A session about TechCorp in which the auditor resignation was found.';
    });
    const inv = await findingThenExtract(s.client);
    expect(s.requests.length).toBe(2);
    expect(s.requests[0]!.params).toMatchObject({ maxTokens: expect.any(Number), includeContext: 'none' });
    expect(s.requests[0]!.params.systemPrompt).toMatch(/long-term memory/);
    const r = (await s.client.callTool({ name: 'search_memory', arguments: { query: 'auditor', namespace: `investigations/${inv.investigation.investigationId}/facts` } })).structuredContent as any;
    expect(r.results.map((x: any) => x.text)).toEqual(['The auditor resigned in March 2025.']);
    expect(t.app.deps.models!.current('acme', 'alice')?.name).toBe('sampling:sampler');
    expect(t.app.deps.models!.current('globex', 'alice')).toBeNull(); // never another tenant's data
    expect(t.app.deps.models!.current('acme', 'bob')).toBeNull(); // nor another actor's
    expect(t.app.deps.models!.current('acme')).toBeNull(); // nor data of no actor
    await s.close();
    expect(t.app.deps.models!.current('acme', 'alice')).toBeNull();
  });

  it('falls back to deterministic strategies when the client did not declare sampling', async () => {
    const s = await samplingClient(null);
    const inv = await findingThenExtract(s.client);
    const r = (await s.client.callTool({ name: 'search_memory', arguments: { query: 'auditor', namespace: `investigations/${inv.investigation.investigationId}/facts` } })).structuredContent as any;
    expect(r.results.map((x: any) => x.text)).toEqual(['auditor quit mar 25']);
    await s.close();
  });

  it('keeps the events and shows the error when the client refuses to sample', async () => {
    const s = await samplingClient(() => {
      throw new McpError(-1, 'User rejected sampling request');
    });
    const inv = await findingThenExtract(s.client);
    const state = (await s.client.readResource({ uri: `longhaul://sessions/${inv.sessionId}` })).contents[0] as { text: string };
    expect(JSON.parse(state.text).extraction).toMatchObject({ extractedThroughSeq: 0, backlog: 2, lastError: expect.stringMatching(/Sampling through sampler failed.*rejected/) });
    await s.close();
  });
});
