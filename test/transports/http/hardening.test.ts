import { request } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { storeStreamEventLog, type StreamEventLog } from '../../../src/transports/http/event-log.js';
import { assertSafeBind } from '../../../src/transports/http/perimeter.js';
import { bearer, connectHttp, messages, post, PROTOCOL, rawHttp, rawSession, serveTestApp, tokensFile, toolCall, type TestHttp } from './helpers.js';
import { startIssuer } from './issuer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fails (instead of hanging the test) when `p` takes longer than `ms`. */
const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms))]);

/** Reads an SSE response until an event's data satisfies `found`; then stops reading. */
async function readSse(r: Response, found: (data: any) => boolean, ms: number): Promise<any> {
  const reader = r.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const read = async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended before the event arrived (got: ${buffer.slice(0, 300)})`);
      buffer += value;
      for (const line of buffer.split('\n')) {
        if (!line.startsWith('data: ') || line.length <= 6) continue;
        const data = JSON.parse(line.slice(6));
        if (found(data)) return data;
      }
    }
  };
  try {
    return await within(read(), ms, 'the SSE event');
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** A POST whose body never finishes arriving: the request stays in flight until `end()`. */
function trickle(url: string, headers: Record<string, string>) {
  const u = new URL(url);
  const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'content-length': '1000', ...headers } });
  const response = new Promise<number>((resolve) => {
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', () => resolve(-1));
    req.on('close', () => resolve(-1));
  });
  req.write('{"jsonrpc":');
  return { response, end: () => req.destroy() };
}

describe('serve --http hardening', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const serve = async (...args: Parameters<typeof serveTestApp>): Promise<TestHttp> => {
    const s = await serveTestApp(...args);
    cleanups.push(() => s.close());
    return s;
  };
  const file = tokensFile({ reader: { tenant: 'acme', actor: 'alice', scopes: ['read'] }, writer: { tenant: 'acme', actor: 'alice' } });
  afterAll(() => file.cleanup());
  const session = (token: string, sid: string) => ({ ...bearer(token), 'mcp-session-id': sid });

  describe('JSON-RPC batches', () => {
    it('are refused with a clear error, whatever they hold (protocol 2025-06-18 dropped them)', async () => {
      const s = await serve({ LONGHAUL_TOKENS_FILE: file.path });
      const sid = await rawSession(s.mcp, bearer(file.tokens.reader));
      const batch = Array.from({ length: 50 }, (_, i) => toolCall(i + 1, 'list_investigations', {}));
      const r = await post(s.mcp, batch, session(file.tokens.reader, sid));
      expect(r.status).toBe(400);
      const body = await r.json();
      expect(body.error).toMatchObject({ code: -32600, message: expect.stringContaining('batches are not accepted') });
      // One message per request still works.
      const one = await post(s.mcp, toolCall(1, 'list_investigations', {}), session(file.tokens.reader, sid));
      expect(one.status).toBe(200);
      expect((await messages(one))[0].result).toBeTruthy();
    });
  });

  describe('stream events', () => {
    it('writes no priming event per request, and a stream still resumes from its priming id', async () => {
      let appends = 0;
      let log: StreamEventLog | undefined;
      const spy: StreamEventLog = { append: (id, m) => (appends++, log!.append(id, m)), after: (id, l) => log!.after(id, l) };
      const s = await serve({ LONGHAUL_TOKENS_FILE: file.path }, { eventLog: spy });
      log = storeStreamEventLog(s.t.app.store, s.t.app.clock);
      const sid = await rawSession(s.mcp, bearer(file.tokens.reader));
      const before = appends;
      let text = '';
      for (let i = 1; i <= 5; i++) text = await (await post(s.mcp, toolCall(i, 'list_investigations', {}), session(file.tokens.reader, sid))).text();
      expect(appends - before).toBe(5); // the five responses; no priming events

      // The last response's stream: its first id is the priming id; resuming from it replays the response.
      const priming = /^id: (.+)$/m.exec(text)![1]!;
      const g = await fetch(s.mcp, { headers: { ...session(file.tokens.reader, sid), 'mcp-protocol-version': PROTOCOL, accept: 'text/event-stream', 'last-event-id': priming } });
      expect(g.status).toBe(200);
      const replayed = await readSse(g, (m) => m.id === 5, 5_000);
      expect(replayed.result.structuredContent).toBeTruthy();
    });
  });

  describe('requests in flight', () => {
    it("are capped per principal (429 with Retry-After), the slow body's slot included", async () => {
      const s = await serve({ LONGHAUL_TOKENS_FILE: file.path }, { maxInFlightPerPrincipal: 2 });
      const slow = [trickle(s.mcp, bearer(file.tokens.reader)), trickle(s.mcp, bearer(file.tokens.writer))];
      cleanups.push(() => slow.forEach((x) => x.end()));
      await sleep(200);
      const r = await post(s.mcp, { jsonrpc: '2.0', id: 1, method: 'ping' }, bearer(file.tokens.reader));
      expect(r.status).toBe(429);
      expect(r.headers.get('retry-after')).toBe('1');
      expect((await r.json()).error.message).toContain('in flight');
      slow.forEach((x) => x.end());
      await sleep(100);
      const after = await post(s.mcp, { jsonrpc: '2.0', id: 1, method: 'ping' }, bearer(file.tokens.reader));
      expect(after.status).not.toBe(429);
    });
  });

  describe('the rate limit', () => {
    it('keys OAuth callers by tenant and actor: a freshly minted JWT gets no fresh budget', async () => {
      const issuer = await startIssuer();
      cleanups.push(() => issuer.close());
      const s = await serve({ LONGHAUL_OAUTH_ISSUER: issuer.url, LONGHAUL_HTTP_RATE_LIMIT: '3/1m' });
      const jwt = (n: number) => issuer.sign({ sub: 'alice', tenant: 'acme', scope: 'read', n }, { audience: s.http.resource.href });
      const first = await jwt(1);
      for (let i = 0; i < 3; i++) expect((await post(s.mcp, { jsonrpc: '2.0', id: 1, method: 'ping' }, bearer(first))).status).not.toBe(429);
      expect((await post(s.mcp, { jsonrpc: '2.0', id: 1, method: 'ping' }, bearer(first))).status).toBe(429);
      const fresh = await jwt(2);
      expect(fresh).not.toBe(first);
      const r = await post(s.mcp, { jsonrpc: '2.0', id: 1, method: 'ping' }, bearer(fresh));
      expect(r.status).toBe(429);
      expect((await r.json()).error.message).toContain('this tenant and actor');
      // Another actor has its own budget.
      const carol = await issuer.sign({ sub: 'carol', tenant: 'acme', scope: 'read' }, { audience: s.http.resource.href });
      expect((await post(s.mcp, { jsonrpc: '2.0', id: 1, method: 'ping' }, bearer(carol))).status).not.toBe(429);
    });

    it('keeps tokens-file tokens keyed by token: two tokens of one principal, two budgets', async () => {
      const s = await serve({ LONGHAUL_TOKENS_FILE: file.path, LONGHAUL_HTTP_RATE_LIMIT: '2/1m' });
      for (let i = 0; i < 2; i++) await post(s.mcp, { jsonrpc: '2.0', id: 1, method: 'ping' }, bearer(file.tokens.reader));
      expect((await post(s.mcp, { jsonrpc: '2.0', id: 1, method: 'ping' }, bearer(file.tokens.reader))).status).toBe(429);
      expect((await post(s.mcp, { jsonrpc: '2.0', id: 1, method: 'ping' }, bearer(file.tokens.writer))).status).not.toBe(429);
    });
  });

  describe('a public URL without credentials', () => {
    const config = (env: Record<string, string>) => loadConfig({ env: { HOME: '/tmp', ...env } });
    it('is refused at start with a message naming the fix', async () => {
      const open = config({ LONGHAUL_HTTP_PUBLIC_URL: 'https://longhaul.example.com' });
      expect(() => assertSafeBind(open)).toThrow(/Refusing to serve HTTP at the public URL https:\/\/longhaul\.example\.com.*LONGHAUL_TOKENS_FILE.*LONGHAUL_OAUTH_ISSUER/s);
      await expect(serveTestApp({ LONGHAUL_HTTP_PUBLIC_URL: 'https://longhaul.example.com' })).rejects.toThrow(/public URL/);
    });
    it('is fine with credentials, or when it is itself on this machine', () => {
      expect(() => assertSafeBind(config({ LONGHAUL_HTTP_PUBLIC_URL: 'https://longhaul.example.com', LONGHAUL_TOKENS_FILE: '/x/tokens.json' }))).not.toThrow();
      expect(() => assertSafeBind(config({ LONGHAUL_HTTP_PUBLIC_URL: 'http://localhost:9000' }))).not.toThrow();
      expect(() => assertSafeBind(config({ LONGHAUL_HTTP_PUBLIC_URL: 'http://127.0.0.1:9000' }))).not.toThrow();
    });
  });

  describe('slow and many clients', () => {
    const limits = { headersTimeoutMs: 300, requestTimeoutMs: 600, checkIntervalMs: 100 };

    it('answers 408 and closes the connection when a body stalls', async () => {
      // The endpoint's own body deadline (Node's request timeout left at its default here).
      const s = await serve({ LONGHAUL_TOKENS_FILE: file.path }, { limits: { bodyTimeoutMs: 300 } });
      const r = await within(
        rawHttp(s.mcp, { method: 'POST', headers: { ...bearer(file.tokens.reader), 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'content-length': '500' }, chunks: ['{"jsonrpc":"2.0",'], between: async () => void (await sleep(5_000)) }),
        3_000,
        'an answer to a stalled body',
      ).catch((e: Error) => e);
      expect(r).not.toBeInstanceOf(Error);
      expect((r as { status: number }).status).toBe(408);
    });

    it('closes a connection whose headers never finish', async () => {
      const s = await serve({ LONGHAUL_TOKENS_FILE: file.path }, { limits });
      const sock = netConnect(s.http.port, '127.0.0.1');
      sock.on('error', () => undefined);
      cleanups.push(() => void sock.destroy());
      await new Promise((r) => sock.once('connect', r));
      let answer = '';
      sock.on('data', (d) => (answer += d.toString()));
      sock.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
      await within(new Promise<void>((r) => sock.once('close', () => r())), 3_000, 'the server closing a half-sent request');
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    });

    it('keeps a GET stream open past the request timeout (it covers reading the request only)', async () => {
      const s = await serve({ LONGHAUL_TOKENS_FILE: file.path }, { limits });
      const writer = await connectHttp(s.mcp, file.tokens.writer);
      cleanups.push(() => writer.close());
      const id = (await writer.call('start_investigation', { subject: 'TechCorp', objective: 'Watch it' })).investigation.investigationId;
      const sid = await rawSession(s.mcp, bearer(file.tokens.reader));
      const uri = `longhaul://investigations/${id}`;
      expect((await post(s.mcp, { jsonrpc: '2.0', id: 2, method: 'resources/subscribe', params: { uri } }, session(file.tokens.reader, sid))).status).toBe(200);
      const g = await fetch(s.mcp, { headers: { ...session(file.tokens.reader, sid), 'mcp-protocol-version': PROTOCOL, accept: 'text/event-stream' } });
      expect(g.status).toBe(200);
      await sleep(1_500); // well past requestTimeout and headersTimeout, several checks
      await writer.call('record_event', { investigationId: id, role: 'user', text: 'later' });
      const n = await readSse(g, (m) => m.method === 'notifications/resources/updated', 5_000);
      expect(n.params.uri).toBe(uri);
    });

    it('caps open connections', async () => {
      const s = await serve({ LONGHAUL_TOKENS_FILE: file.path }, { limits: { maxConnections: 2 } });
      const open: Socket[] = [];
      cleanups.push(() => open.forEach((x) => x.destroy()));
      const healthz = (sock: Socket) =>
        new Promise<string>((resolve) => {
          let got = '';
          sock.on('data', (d) => {
            got += d.toString();
            if (got.includes('\r\n\r\n')) resolve(got);
          });
          sock.once('close', () => resolve(got));
          sock.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
        });
      for (let i = 0; i < 3; i++) {
        const sock = netConnect(s.http.port, '127.0.0.1');
        sock.on('error', () => undefined); // the refused one may be reset
        open.push(sock);
        await new Promise((r) => sock.once('connect', r));
      }
      const answers = await within(Promise.all(open.map(healthz)), 3_000, 'three answers');
      expect(answers.filter((a) => a.startsWith('HTTP/1.1 200'))).toHaveLength(2);
      expect(answers.filter((a) => a === '')).toHaveLength(1);
    });
  });

  describe('a loopback server without credentials', () => {
    it('refuses a cross-site browser request that carries no Origin', async () => {
      const s = await serve();
      const body = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'x', version: '0' } } };
      const cross = await post(s.mcp, body, { 'sec-fetch-site': 'cross-site' });
      expect(cross.status).toBe(403);
      expect((await cross.json()).error.message).toContain('cross-site');
      for (const site of ['same-origin', 'none']) expect((await post(s.mcp, body, { 'sec-fetch-site': site })).status).toBe(200);
      expect((await post(s.mcp, body)).status).toBe(200);
    });
  });
});
