import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/mcp/server.js';
import { MAX_SUBSCRIPTIONS_PER_SESSION } from '../../src/mcp/subscriptions.js';
import { alice, connect, makeApp, settle, type TestApp } from './helpers.js';

describe('resource subscriptions of one connection', () => {
  let t: TestApp;
  beforeEach(() => {
    t = makeApp();
  });
  afterEach(() => t.close());

  it('treats URIs that name the same document (query, trailing slash) as one subscription: one notification per change', async () => {
    const c = await connect(t.app);
    const id = (await c.call('start_investigation', { subject: 'TechCorp', objective: 'Check it' })).investigation.investigationId;
    const uri = `longhaul://investigations/${id}`;
    for (const variant of [uri, `${uri}?a=1`, `${uri}?a=2`, `${uri}/`, `${uri}?b=${'x'.repeat(100)}`]) await c.client.subscribeResource({ uri: variant });
    await settle();
    c.updated.length = 0;
    await c.call('record_event', { investigationId: id, role: 'user', text: 'a change' });
    await settle();
    expect(c.updated).toHaveLength(1);
    // The latest subscription's URI is the one named.
    expect(c.updated[0]).toBe(`${uri}?b=${'x'.repeat(100)}`);
    // Unsubscribing any variant ends it.
    await c.client.unsubscribeResource({ uri: `${uri}?zzz` });
    await c.call('record_event', { investigationId: id, role: 'user', text: 'another' });
    await settle();
    expect(c.updated).toHaveLength(1);
    await c.close();
  });

  it(`holds at most ${MAX_SUBSCRIPTIONS_PER_SESSION} subscriptions, and says so beyond`, async () => {
    const c = await connect(t.app);
    const uri = (i: number) => `longhaul://memory/shared/n${i}`;
    for (let i = 0; i < MAX_SUBSCRIPTIONS_PER_SESSION; i++) await c.client.subscribeResource({ uri: uri(i) });
    const over = await c.client.subscribeResource({ uri: uri(MAX_SUBSCRIPTIONS_PER_SESSION) }).catch((e: unknown) => e);
    expect(over).toMatchObject({ code: -32602, message: expect.stringContaining(`already holds ${MAX_SUBSCRIPTIONS_PER_SESSION} subscriptions`) });
    // A subscription held already is not one more; giving one up makes room.
    await c.client.subscribeResource({ uri: `${uri(0)}?again` });
    await c.client.unsubscribeResource({ uri: uri(1) });
    await c.client.subscribeResource({ uri: uri(MAX_SUBSCRIPTIONS_PER_SESSION) });
    await c.close();
  });
});

describe('a connection whose credential is no longer valid (buildServer credentialValid)', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('is sent no resource notifications and no log records', async () => {
    t = makeApp();
    let valid = true;
    const c = await connect(t.app, alice, { credentialValid: () => valid });
    const id = (await c.call('start_investigation', { subject: 'TechCorp', objective: 'Check it' })).investigation.investigationId;
    const uri = `longhaul://investigations/${id}`;
    await c.client.subscribeResource({ uri });
    await c.client.setLoggingLevel('debug');
    await c.call('record_event', { investigationId: id, role: 'user', text: 'while valid' });
    t.app.logger.child({ tenantId: alice.tenantId }).warn('a record of the tenant');
    await settle();
    expect(c.updated).toContain(uri);
    expect(c.logMessages.length).toBeGreaterThan(0);

    valid = false;
    c.updated.length = 0;
    c.logMessages.length = 0;
    t.app.logger.child({ tenantId: alice.tenantId }).warn('a record of the tenant');
    t.app.feed.publish({ type: 'investigation', tenantId: alice.tenantId, id });
    await settle();
    expect(c.updated).toEqual([]);
    expect(c.logMessages).toEqual([]);
    await c.close();
  });
});

describe('sampling (buildServer samplingAllowed)', () => {
  let t: TestApp;
  afterEach(() => t.close());

  async function sampler(opts: { samplingAllowed?: () => boolean; credentialValid?: () => boolean }) {
    const server = buildServer(t.app, { resolveCaller: () => alice, ...opts });
    const client = new Client({ name: 'sampler', version: '0' }, { capabilities: { sampling: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({ role: 'assistant', model: 'm', content: { type: 'text', text: 'an answer' } }));
    const [ct, st] = InMemoryTransport.createLinkedPair();
    await server.connect(st);
    await client.connect(ct);
    await client.callTool({ name: 'list_investigations', arguments: {} }); // acts as alice
    return client;
  }

  it('offers the client as the model only when allowed, and only while its credential is valid', async () => {
    t = makeApp({ LONGHAUL_MODEL: 'sampling' });
    const models = t.app.deps.models!;
    const denied = await sampler({ samplingAllowed: () => false });
    expect(models.current(alice.tenantId, alice.actorId)).toBeNull();
    await denied.close();

    let valid = true;
    const allowed = await sampler({ credentialValid: () => valid });
    const model = models.current(alice.tenantId, alice.actorId);
    expect(model?.name).toBe('sampling:sampler');
    expect(await model!.complete({ system: 's', prompt: 'p', maxTokens: 5 })).toBe('an answer');
    valid = false;
    expect(models.current(alice.tenantId, alice.actorId)).toBeNull();
    await expect(model!.complete({ system: 's', prompt: 'p', maxTokens: 5 })).rejects.toThrow(/no longer allowed/);
    await allowed.close();
  });
});
