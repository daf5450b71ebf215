import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSTRUCTIONS } from '../../src/mcp/server.js';
import { alice, connect, makeApp, type Connected, type TestApp } from './helpers.js';

/** The model-facing surface, snapshotted: a change to it is a reviewed change. */
describe('MCP surface', () => {
  let t: TestApp;
  let c: Connected;
  beforeAll(async () => {
    t = makeApp();
    c = await connect(t.app, alice);
  });
  afterAll(async () => {
    await c.close();
    await t.close();
  });

  it('introduces itself with name, version, capabilities and instructions', () => {
    expect(c.client.getServerVersion()).toMatchObject({ name: 'longhaul', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(c.client.getServerCapabilities()).toMatchObject({
      tools: {},
      resources: { subscribe: true, listChanged: true },
      prompts: {},
      logging: {},
      completions: {},
    });
    expect(c.client.getInstructions()).toBe(INSTRUCTIONS);
    expect(INSTRUCTIONS).toMatch(/start_investigation/);
    expect(INSTRUCTIONS).toMatch(/resume_investigation/);
  });

  it('tools/list', async () => {
    const { tools } = await c.client.listTools();
    expect(tools.map((x) => x.name)).toEqual([
      'start_investigation',
      'delegate_task',
      'submit_signal',
      'resume_investigation',
      'get_investigation',
      'list_investigations',
      'record_event',
      'search_memory',
      'close_investigation',
      'forget_memory',
      'forget_event',
      'forget_actor',
    ]);
    for (const tool of tools) {
      expect(tool.outputSchema, tool.name).toBeDefined();
      expect(tool.annotations?.openWorldHint, tool.name).toBe(false);
      // Every input field is described for the model.
      for (const [field, schema] of Object.entries(tool.inputSchema.properties ?? {})) {
        expect((schema as { description?: string }).description, `${tool.name}.${field}`).toBeTruthy();
      }
    }
    const byName = Object.fromEntries(tools.map((x) => [x.name, x.annotations]));
    expect(byName.get_investigation).toMatchObject({ readOnlyHint: true, idempotentHint: true });
    expect(byName.list_investigations).toMatchObject({ readOnlyHint: true });
    expect(byName.resume_investigation).toMatchObject({ readOnlyHint: false });
    expect(byName.close_investigation).toMatchObject({ destructiveHint: true });
    expect(byName.search_memory).toMatchObject({ readOnlyHint: true });
    expect(byName.forget_memory).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(byName.forget_event).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(byName.forget_actor).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(byName.submit_signal).toMatchObject({ readOnlyHint: false, destructiveHint: false, idempotentHint: false });
    await expect(JSON.stringify(tools, null, 2) + '\n').toMatchFileSnapshot('./__snapshots__/tools-list.json');
  });

  it('resources/templates/list', async () => {
    const { resourceTemplates } = await c.client.listResourceTemplates();
    await expect(JSON.stringify(resourceTemplates, null, 2) + '\n').toMatchFileSnapshot('./__snapshots__/resource-templates-list.json');
  });
});

describe('SDK behaviour longhaul relies on', () => {
  // Why tool errors carry their code in `_meta` and the text, not in structuredContent:
  // the SDK client validates structuredContent against the output schema even on
  // isError results, so an error object there becomes a client-side exception.
  it('the client rejects structuredContent that misses the output schema even when isError is set', async () => {
    const { McpServer } = await import('@modelcontextprotocol/sdk/server/mcp.js');
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { InMemoryTransport } = await import('@modelcontextprotocol/sdk/inMemory.js');
    const { z } = await import('zod');
    const server = new McpServer({ name: 'probe', version: '0.0.0' });
    server.registerTool('probe', { inputSchema: {}, outputSchema: { ok: z.boolean() } }, async () => ({
      isError: true,
      content: [{ type: 'text', text: 'failed' }],
      structuredContent: { code: 'not_found' },
    }));
    const client = new Client({ name: 'probe', version: '0.0.0' });
    const [ct, st] = InMemoryTransport.createLinkedPair();
    await server.connect(st);
    await client.connect(ct);
    await client.listTools();
    await expect(client.callTool({ name: 'probe', arguments: {} })).rejects.toThrow(/output schema/);
    await client.close();
  });
});
