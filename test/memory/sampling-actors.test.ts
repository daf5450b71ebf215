import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { CreateMessageRequestSchema, type CreateMessageRequest } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/mcp/server.js';
import type { Caller } from '../../src/runtime/deps.js';
import { FIXTURES } from '../workers/helpers.js';
import { makeApp, type TestApp } from '../mcp/helpers.js';

const alice: Caller = { tenantId: 'acme', actorId: 'alice' };
const bob: Caller = { tenantId: 'acme', actorId: 'bob' };

/** The text of a sampling request: system prompt and message, which carry the data handed over. */
const requestText = (r: CreateMessageRequest) => `${r.params.systemPrompt ?? ''}\n${r.params.messages.map((m) => (m.content as { text?: string }).text ?? '').join('\n')}`;

/**
 * LONGHAUL_MODEL=sampling with two people of one tenant connected, each from a client
 * that can sample: extraction of a session goes only to the client of that session's
 * actor, and a worker's prose only to the client of the actor who delegated the task.
 */
describe('sampling with two actors of one tenant connected', () => {
  let t: TestApp;
  let clients: Array<{ caller: Caller; client: Client; requests: CreateMessageRequest[] }>;

  async function samplingClient(caller: Caller) {
    const server = buildServer(t.app, { resolveCaller: () => caller });
    const client = new Client({ name: `${caller.actorId}-client`, version: '1.0.0' }, { capabilities: { sampling: {} } });
    const requests: CreateMessageRequest[] = [];
    client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
      requests.push(req);
      const text = (req.params.messages[0]!.content as { text: string }).text;
      // Numbered statements for rewrites, prose otherwise; tagged with whose model wrote it.
      const answer = text.startsWith('Rewrite') ? [...text.matchAll(/^(\d+)\. (.*)$/gm)].map((m) => `${m[1]}. ${m[2]} [${caller.actorId}'s model]`).join('\n') : `Summary by ${caller.actorId}'s model.`;
      return { role: 'assistant', model: `${caller.actorId}-model`, content: { type: 'text', text: answer } };
    });
    const [ct, st] = InMemoryTransport.createLinkedPair();
    await server.connect(st);
    await client.connect(ct);
    return { caller, client, requests };
  }
  const call = async (c: Client, name: string, args: Record<string, unknown>) => {
    const r = await c.callTool({ name, arguments: args });
    if (r.isError) throw new Error(`${name}: ${JSON.stringify(r.content)}`);
    return r.structuredContent as any;
  };

  beforeEach(async () => {
    t = makeApp({ LONGHAUL_MODEL: 'sampling', LONGHAUL_SOURCES: FIXTURES });
    clients = [await samplingClient(alice), await samplingClient(bob)];
  });
  afterEach(async () => {
    for (const c of clients) await c.client.close();
    await t.close();
  });

  it("sends the extraction of alice's session only to alice's client, and bob's only to bob's", async () => {
    const [a, b] = clients as [(typeof clients)[0], (typeof clients)[0]];
    const inv = await call(a.client, 'start_investigation', { subject: 'TechCorp', objective: 'Check TechCorp' });
    const id = inv.investigation.investigationId;
    await call(a.client, 'record_event', { investigationId: id, role: 'user', kind: 'preference', text: 'Alice likes memos in bullet points.' });
    await call(a.client, 'record_event', { investigationId: id, role: 'agent', kind: 'finding', text: 'TechCorp auditor quit in March.' });
    // Bob acts too (his client is then attached for acme/bob), in his own session.
    const bobs = await call(b.client, 'record_event', { investigationId: id, role: 'user', kind: 'preference', text: 'Bob wants numbers in EUR.' });
    await t.app.scheduler.tick('extraction');

    expect(a.requests.length).toBeGreaterThan(0);
    expect(b.requests.length).toBeGreaterThan(0);
    const toAlice = a.requests.map(requestText).join('\n');
    const toBob = b.requests.map(requestText).join('\n');
    expect(toAlice).toMatch(/bullet points/);
    expect(toAlice).toMatch(/auditor quit/);
    expect(toAlice).not.toMatch(/EUR|Bob/);
    expect(toBob).toMatch(/numbers in EUR/);
    expect(toBob).not.toMatch(/bullet points|auditor quit/);

    // Each preference was written by its own actor's model, into its own namespace.
    const mine = await call(a.client, 'search_memory', { query: 'memos bullet points', namespace: 'actors' });
    expect(mine.results.map((r: any) => r.text)).toEqual(["Alice likes memos in bullet points. [alice's model]"]);
    const his = await call(b.client, 'search_memory', { query: 'numbers EUR', namespace: 'actors' });
    expect(his.results.map((r: any) => r.text)).toEqual(["Bob wants numbers in EUR. [bob's model]"]);
    // The session resource shows whose model extracts it.
    const st = await b.client.readResource({ uri: `longhaul://sessions/${bobs.sessionId}` });
    expect(JSON.parse((st.contents[0] as { text: string }).text).extraction.model).toBe('sampling:bob-client');
    expect(t.app.deps.models!.current('acme', 'alice')?.name).toBe('sampling:alice-client');
  });

  it("takes the deterministic path when the session's actor has no client connected", async () => {
    const [a, b] = clients as [(typeof clients)[0], (typeof clients)[0]];
    const inv = await call(a.client, 'start_investigation', { subject: 'TechCorp', objective: 'Check TechCorp' });
    await call(b.client, 'list_investigations', {});
    await call(a.client, 'record_event', { investigationId: inv.investigation.investigationId, role: 'agent', kind: 'finding', text: 'TechCorp moved its seat to Zug.' });
    await a.client.close();
    await t.app.scheduler.tick('extraction');
    expect(a.requests).toEqual([]);
    expect(b.requests).toEqual([]); // never bob's client instead
    const facts = await call(b.client, 'search_memory', { query: 'seat Zug', namespace: `investigations/${inv.investigation.investigationId}` });
    expect(facts.results.map((r: any) => r.text)).toEqual(['TechCorp moved its seat to Zug.']);
  });

  it("writes a worker's prose with the delegating actor's client, and extracts worker sessions deterministically", async () => {
    const [a, b] = clients as [(typeof clients)[0], (typeof clients)[0]];
    await call(a.client, 'list_investigations', {});
    const inv = await call(b.client, 'start_investigation', { subject: 'TechCorp', objective: 'Check TechCorp', tasks: [{ role: 'retrieval', instructions: 'Search internal sources for TechCorp' }] });
    const before = { a: a.requests.length, b: b.requests.length };
    while (await t.app.workers.runOnce());
    const [task] = await t.app.store.tenant('acme').listTasks(inv.investigation.investigationId);
    expect(task).toMatchObject({ status: 'completed', createdBy: 'bob' });
    expect((task!.result as { summaryBy: string }).summaryBy).toBe('sampling:bob-client');
    expect(a.requests.length).toBe(before.a);
    expect(b.requests.length).toBeGreaterThan(before.b);

    // The worker's own session belongs to the worker actor: no client of it, so no sampling.
    const state = await call(b.client, 'get_investigation', { investigationId: inv.investigation.investigationId });
    const worker = state.sessions.find((s: any) => s.kind === 'worker');
    const counts = { a: a.requests.length, b: b.requests.length };
    const run = await t.app.runtime.memory.extractSession('acme', worker.sessionId);
    expect(run).toMatchObject({ status: 'done', model: null });
    expect({ a: a.requests.length, b: b.requests.length }).toEqual(counts);
  });
});
