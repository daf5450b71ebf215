import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nullLogger } from '../../src/logger.js';
import { namespaces } from '../../src/domain/namespace.js';
import { createModel, createModelRegistry, ModelError } from '../../src/runtime/model.js';
import { alice, investigation, record, world } from './helpers.js';

/** A local OpenAI-compatible endpoint: answers /v1/chat/completions from `reply`. */
async function stubServer(reply: (body: any, req: IncomingMessage, res: ServerResponse) => void) {
  const seen: Array<{ body: any; headers: IncomingMessage['headers']; url: string }> = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = raw ? JSON.parse(raw) : null;
      seen.push({ body, headers: req.headers, url: req.url ?? '' });
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404).end('{"error":"not found"}');
        return;
      }
      reply(body, req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}/v1`, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const json = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
const chat = (content: string) => ({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] });

describe('the openai: model', () => {
  let stub: Awaited<ReturnType<typeof stubServer>>;
  let behaviour: (body: any, res: ServerResponse) => void;
  beforeEach(async () => {
    behaviour = (body, res) => json(res, 200, chat(`echo: ${body.messages[1].content.slice(0, 20)}`));
    stub = await stubServer((body, _req, res) => behaviour(body, res));
  });
  afterEach(() => stub.close());

  const model = (apiKey: string | null = 'sk-test', timeoutMs?: number) =>
    createModel({ kind: 'openai', baseUrl: stub.baseUrl, modelName: 'llama3', apiKey }, { logger: nullLogger, ...(timeoutMs ? { timeoutMs } : {}) })!;

  it('posts a chat completion with the system and user messages, model name and bearer key', async () => {
    const m = model();
    expect(m.name).toBe('openai:llama3');
    expect(await m.complete({ system: 'be brief', prompt: 'hello there', maxTokens: 50 })).toBe('echo: hello there');
    const [call] = stub.seen;
    expect(call!.headers.authorization).toBe('Bearer sk-test');
    expect(call!.body).toMatchObject({ model: 'llama3', max_tokens: 50, messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hello there' }] });
  });

  it('sends no authorization header without a key (local servers)', async () => {
    await model(null).complete({ system: 's', prompt: 'p', maxTokens: 5 });
    expect(stub.seen[0]!.headers.authorization).toBeUndefined();
  });

  it('turns an HTTP error into a ModelError naming the status and the body', async () => {
    behaviour = (_b, res) => json(res, 503, { error: { message: 'model is loading' } });
    const err = await model().complete({ system: 's', prompt: 'p', maxTokens: 5 }).catch((e) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect(err.message).toMatch(/HTTP 503.*model is loading/);
    expect(err.message).not.toContain('sk-test');
  });

  it('times out a server that never answers', async () => {
    behaviour = () => undefined; // hangs
    await expect(model('k', 200).complete({ system: 's', prompt: 'p', maxTokens: 5 })).rejects.toThrow(/did not answer within 200 ms/);
  });

  it('rejects an answer without a message', async () => {
    behaviour = (_b, res) => json(res, 200, { choices: [] });
    await expect(model().complete({ system: 's', prompt: 'p', maxTokens: 5 })).rejects.toThrow(/without a message/);
  });

  it('says when the endpoint cannot be reached', async () => {
    await stub.close();
    await expect(model().complete({ system: 's', prompt: 'p', maxTokens: 5 })).rejects.toThrow(/Cannot reach the model llama3/);
    stub = await stubServer(() => undefined); // afterEach closes something
  });

  it('writes the memory prose during extraction, and a failing endpoint holds the checkpoint', async () => {
    behaviour = (body, res) => {
      const prompt: string = body.messages[1].content;
      json(res, 200, chat(prompt.startsWith('Rewrite') ? '1. TechCorp filed its accounts 40 days late in 2025.' : 'Alice reviewed TechCorp and found late filings.'));
    };
    const w = world(undefined, createModelRegistry({ kind: 'openai', baseUrl: stub.baseUrl, modelName: 'llama3', apiKey: null }, { logger: nullLogger }));
    const inv = await investigation(w);
    await record(w, inv.sessionId, 'finding', 'accounts filed late (40d) 2025');
    expect((await w.runtime.memory.extractSession('acme', inv.sessionId)).status).toBe('done');
    const facts = await w.runtime.memory.list(alice, { namespace: namespaces.investigationFacts(inv.investigationId) });
    expect(facts.records.map((r) => r.text)).toEqual(['TechCorp filed its accounts 40 days late in 2025.']);
    const summary = await w.runtime.memory.list(alice, { namespace: namespaces.sessionSummary(inv.sessionId) });
    expect(summary.records[0]!.text).toBe('Alice reviewed TechCorp and found late filings.');

    behaviour = (_b, res) => json(res, 500, { error: 'boom' });
    await record(w, inv.sessionId, 'finding', 'another');
    const run = await w.runtime.memory.extractSession('acme', inv.sessionId);
    expect(run.status).toBe('failed');
    expect((await w.runtime.sessionState(alice, inv.sessionId)).extraction).toMatchObject({ backlog: 1, lastError: expect.stringMatching(/HTTP 500/), model: 'openai:llama3' });
  });
});
