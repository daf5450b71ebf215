import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { allowedHostnames, assertSafeBind, isLoopback } from '../../../src/transports/http/perimeter.js';
import { bearer, post, PROTOCOL, rawHttp, serveTestApp, tokensFile, toolCall, type TestHttp } from './helpers.js';

const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'raw', version: '0' } } });
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

describe('the HTTP perimeter', () => {
  describe('on a loopback bind without credentials (the local identity)', () => {
    let s: TestHttp;
    beforeAll(async () => {
      s = await serveTestApp({ LONGHAUL_ALLOWED_ORIGINS: 'https://app.example.com, http://localhost:3000' });
    });
    afterAll(() => s?.close());

    const init = (headers: Record<string, string>) => rawHttp(s.mcp, { method: 'POST', headers: { ...MCP_HEADERS, ...headers }, chunks: [INIT] });

    it('serves the loopback Host names, with the port', async () => {
      for (const host of [`127.0.0.1:${s.http.port}`, `localhost:${s.http.port}`, `[::1]:${s.http.port}`, 'localhost']) {
        const r = await init({ host });
        expect(r.status, host).toBe(200);
      }
    });

    it('answers a foreign Host 403 (DNS rebinding)', async () => {
      for (const host of [`evil.example:${s.http.port}`, `127.0.0.1.evil.example:${s.http.port}`, `localhost.evil.example:${s.http.port}`, '10.0.0.1']) {
        const r = await init({ host });
        expect(r.status, host).toBe(403);
      }
      // Every route: the health checks too.
      expect((await rawHttp(`${s.http.url}/healthz`, { headers: { host: 'evil.example' } })).status).toBe(403);
    });

    it('serves requests without an Origin and same-origin loopback pages', async () => {
      expect((await init({})).status).toBe(200);
      expect((await init({ origin: `http://127.0.0.1:${s.http.port}` })).status).toBe(200);
      expect((await init({ origin: `http://localhost:${s.http.port}`, host: `localhost:${s.http.port}` })).status).toBe(200);
    });

    it('answers disallowed Origins 403', async () => {
      for (const origin of [
        'null',
        'http://localhost.evil.example',
        `http://localhost.evil.example:${s.http.port}`,
        'https://evil.example',
        'http://localhost:3001', // an allowed origin on the wrong port
        'https://app.example.com:8443',
        'http://app.example.com', // the wrong scheme
        `http://localhost:${s.http.port + 1}`, // loopback, but not this server
        'not a url',
      ]) {
        const r = await init({ origin });
        expect(r.status, origin).toBe(403);
        expect(JSON.parse(r.body).error.message).toContain('LONGHAUL_ALLOWED_ORIGINS');
      }
    });

    it('serves an allowed Origin, with CORS headers, and answers its preflight', async () => {
      const r = await init({ origin: 'https://app.example.com' });
      expect(r.status).toBe(200);
      expect(r.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(r.headers['access-control-expose-headers']).toContain('Mcp-Session-Id');
      expect((await init({ origin: 'http://localhost:3000' })).status).toBe(200);
      const pre = await rawHttp(s.mcp, { method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' } });
      expect(pre.status).toBe(204);
      expect(pre.headers['access-control-allow-headers']).toContain('Mcp-Session-Id');
      const bad = await rawHttp(s.mcp, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
      expect(bad.status).toBe(403);
    });

    it('acts as the configured local identity with read and write', async () => {
      const r = await init({});
      expect(r.status).toBe(200);
      expect(s.access.at(-1)).toMatchObject({ tenant: 'acme', actor: 'alice' });
    });

    it('answers a body over 1 MiB with 413 when Content-Length says so', async () => {
      const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(1024 * 1024) } });
      const r = await rawHttp(s.mcp, { method: 'POST', headers: { ...MCP_HEADERS, 'content-length': String(Buffer.byteLength(big)) }, chunks: [big] });
      expect(r.status).toBe(413);
      expect(JSON.parse(r.body).error.message).toContain('1 MiB');
    });

    it('answers a chunked body over 1 MiB with 413, counting as it streams', async () => {
      const chunk = 'x'.repeat(64 * 1024);
      const chunks = ['{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"', ...Array.from({ length: 24 }, () => chunk), '"}}'];
      const r = await rawHttp(s.mcp, { method: 'POST', headers: MCP_HEADERS, chunks });
      expect(r.status).toBe(413);
    });

    it('reads a body just under the limit', async () => {
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(1024 * 1024 - 200) } });
      const r = await rawHttp(s.mcp, { method: 'POST', headers: MCP_HEADERS, chunks: [body] });
      expect(r.status).toBe(400); // read and parsed: ping needs a session
      expect(r.body).toContain('Mcp-Session-Id');
    });

    it('answers a body that is not JSON with a JSON-RPC parse error', async () => {
      const r = await post(s.mcp, '{nope');
      expect(r.status).toBe(400);
      expect((await r.json()).error.code).toBe(-32700);
    });

    it('answers /healthz and /readyz without credentials', async () => {
      const h = await fetch(`${s.http.url}/healthz`);
      expect(h.status).toBe(200);
      expect(await h.json()).toEqual({ status: 'ok' });
      const r = await fetch(`${s.http.url}/readyz`);
      expect(r.status).toBe(200);
    });
  });

  describe('rate limit', () => {
    const file = tokensFile({ a: { tenant: 'acme', actor: 'alice' }, b: { tenant: 'acme', actor: 'bob' }, g: { tenant: 'globex', actor: 'gina' } });
    let s: TestHttp;
    beforeAll(async () => {
      // globex has its own limit in the tenants file; acme takes LONGHAUL_HTTP_RATE_LIMIT.
      writeFileSync(join(file.dir, 'tenants.json'), JSON.stringify({ tenants: { globex: { limits: { rateLimit: '2/1m' } } } }));
      s = await serveTestApp({ LONGHAUL_TOKENS_FILE: file.path, LONGHAUL_HTTP_RATE_LIMIT: '5/1m', LONGHAUL_TENANTS_FILE: join(file.dir, 'tenants.json') });
    });
    afterAll(async () => {
      await s?.close();
      file.cleanup();
    });

    it("applies a tenant's own limit from the tenants file", async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await post(s.mcp, toolCall(1, 'list_investigations', {}), bearer(file.tokens.g));
        statuses.push(r.status);
        await r.text();
      }
      expect(statuses.slice(0, 2).every((x) => x !== 429)).toBe(true);
      expect(statuses[2]).toBe(429);
    });

    it('answers 429 with Retry-After once a token used its budget; other tokens are unaffected', async () => {
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 7; i++) {
        last = await post(s.mcp, toolCall(1, 'list_investigations', {}), bearer(file.tokens.a));
        statuses.push(last.status);
        if (last.status !== 429) await last.text();
      }
      expect(statuses.slice(0, 5).every((x) => x !== 429)).toBe(true);
      expect(statuses.slice(5)).toEqual([429, 429]);
      const retry = Number(last!.headers.get('retry-after'));
      expect(retry).toBeGreaterThan(0);
      expect(retry).toBeLessThanOrEqual(60);
      expect((await last!.json()).error.message).toContain('Too many requests');
      const other = await post(s.mcp, toolCall(1, 'list_investigations', {}), bearer(file.tokens.b));
      expect(other.status).not.toBe(429);
    });
  });

  describe('binding', () => {
    it('recognises loopback addresses', () => {
      for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopback(h), h).toBe(true);
      for (const h of ['0.0.0.0', '::', '10.0.0.1', 'localhost.evil.example', '128.0.0.1']) expect(isLoopback(h), h).toBe(false);
    });

    it('refuses a non-loopback bind without tokens or OAuth, with a clear message', () => {
      const config = loadConfig({ env: { HOME: '/tmp', LONGHAUL_STORE: 'memory', LONGHAUL_HTTP_HOST: '0.0.0.0' } });
      expect(() => assertSafeBind(config)).toThrow(/Refusing to serve HTTP on 0\.0\.0\.0.*LONGHAUL_TOKENS_FILE.*LONGHAUL_OAUTH_ISSUER/s);
      expect(() => assertSafeBind(loadConfig({ env: { HOME: '/tmp', LONGHAUL_HTTP_HOST: '0.0.0.0', LONGHAUL_TOKENS_FILE: '/x/tokens.json' } }))).not.toThrow();
      expect(() => assertSafeBind(loadConfig({ env: { HOME: '/tmp', LONGHAUL_HTTP_HOST: '127.0.0.1' } }))).not.toThrow();
    });

    it('allows the public URL host and the bind address on other binds', () => {
      expect(allowedHostnames('10.1.2.3', 'https://longhaul.example.com')).toEqual(['longhaul.example.com', '10.1.2.3']);
      expect(allowedHostnames('127.0.0.1', null)).toEqual(['localhost', '127.0.0.1', '[::1]']);
      const wildcard = allowedHostnames('0.0.0.0', 'https://longhaul.example.com');
      expect(wildcard).toEqual(expect.arrayContaining(['longhaul.example.com', 'localhost', '127.0.0.1']));
      expect(wildcard).not.toContain('evil.example');
    });

    it('serves the public URL host on a wildcard bind with tokens, and refuses others', async () => {
      const file = tokensFile({ a: { tenant: 'acme', actor: 'alice' } });
      const s = await serveTestApp({ LONGHAUL_TOKENS_FILE: file.path, LONGHAUL_HTTP_PUBLIC_URL: 'https://longhaul.example.com' }, { host: '0.0.0.0' });
      try {
        const url = `http://127.0.0.1:${s.http.port}/mcp`;
        const ok = await rawHttp(url, { method: 'POST', headers: { ...MCP_HEADERS, host: 'longhaul.example.com', ...bearer(file.tokens.a) }, chunks: [INIT] });
        expect(ok.status).toBe(200);
        const noToken = await rawHttp(url, { method: 'POST', headers: { ...MCP_HEADERS, host: 'longhaul.example.com' }, chunks: [INIT] });
        expect(noToken.status).toBe(401);
        expect(noToken.headers['www-authenticate']).toContain('resource_metadata="https://longhaul.example.com/.well-known/oauth-protected-resource/mcp"');
        const evil = await rawHttp(url, { method: 'POST', headers: { ...MCP_HEADERS, host: 'evil.example', ...bearer(file.tokens.a) }, chunks: [INIT] });
        expect(evil.status).toBe(403);
        // The public origin is same-origin.
        const fromPublic = await rawHttp(url, { method: 'POST', headers: { ...MCP_HEADERS, host: 'longhaul.example.com', origin: 'https://longhaul.example.com', ...bearer(file.tokens.a) }, chunks: [INIT] });
        expect(fromPublic.status).toBe(200);
      } finally {
        await s.close();
        file.cleanup();
      }
    });

    it('refuses to start a non-loopback server without credentials', async () => {
      await expect(serveTestApp({}, { host: '0.0.0.0' })).rejects.toThrow(/Refusing to serve HTTP on 0\.0\.0\.0/);
    });
  });
});
