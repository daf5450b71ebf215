import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../../src/transports/http/tokens-file.js';
import { bearer, connectHttp, messages, post, rawSession, serveTestApp, tokensFile, toolCall, type TestHttp } from './helpers.js';

const OBJECTIVE = { subject: 'TechCorp', objective: 'Check TechCorp before onboarding' };

describe('serve --http with a tokens file', () => {
  const file = tokensFile({
    alice: { tenant: 'acme', actor: 'alice' },
    carol: { tenant: 'acme', actor: 'carol', scopes: ['read'] },
    bob: { tenant: 'globex', actor: 'bob' },
    revoked: { tenant: 'acme', actor: 'dave' },
  });
  let s: TestHttp;
  beforeAll(async () => {
    s = await serveTestApp({ LONGHAUL_TOKENS_FILE: file.path });
  });
  afterAll(async () => {
    await s?.close();
    file.cleanup();
  });

  describe('without a credential', () => {
    it('answers 401 naming the protected-resource metadata (RFC 9728)', async () => {
      const r = await post(s.mcp, toolCall(1, 'list_investigations', {}));
      expect(r.status).toBe(401);
      const www = r.headers.get('www-authenticate')!;
      expect(www).toMatch(/^Bearer /);
      expect(www).toContain(`resource_metadata="${s.http.url}/.well-known/oauth-protected-resource/mcp"`);
    });

    it('serves that metadata: the resource and its scopes, no authorization server (tokens only)', async () => {
      const r = await fetch(`${s.http.url}/.well-known/oauth-protected-resource/mcp`);
      expect(r.status).toBe(200);
      const m = await r.json();
      expect(m).toMatchObject({ resource: `${s.http.url}/mcp`, scopes_supported: ['read', 'write'] });
      expect(m.authorization_servers).toBeUndefined();
    });
  });

  it('refuses an unknown token with 401 invalid_token', async () => {
    const r = await post(s.mcp, toolCall(1, 'list_investigations', {}), bearer('lh_not-a-real-token-at-all-xxxxxxxxxxxxxxxxxx'));
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('refuses a malformed Authorization header with 401', async () => {
    const r = await post(s.mcp, toolCall(1, 'list_investigations', {}), { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` });
    expect(r.status).toBe(401);
  });

  it('serves a valid token through the real SDK client, as its tenant and actor', async () => {
    const c = await connectHttp(s.mcp, file.tokens.alice);
    try {
      const r = await c.call('start_investigation', OBJECTIVE);
      expect(r.investigation.tenantId ?? 'acme').toBe('acme');
      const got = await c.call('get_investigation', { investigationId: r.investigation.investigationId });
      expect(got.investigation.subject).toBe('TechCorp');
    } finally {
      await c.close();
    }
    const rec = s.access.find((a) => a.method === 'POST' && a.status === 200 && a.actor === 'alice');
    expect(rec).toMatchObject({ path: '/mcp', tenant: 'acme', actor: 'alice' });
  });

  it("never shows one tenant another tenant's investigation (not found)", async () => {
    const a = await connectHttp(s.mcp, file.tokens.alice);
    const b = await connectHttp(s.mcp, file.tokens.bob);
    try {
      const id = (await a.call('start_investigation', OBJECTIVE)).investigation.investigationId;
      const r = await b.callRaw('get_investigation', { investigationId: id });
      expect(r.isError).toBe(true);
      expect(JSON.stringify(r.content)).toContain('not_found');
      const list = await b.call('list_investigations', {});
      expect(JSON.stringify(list)).not.toContain(id);
      await expect(b.client.readResource({ uri: `longhaul://investigations/${id}` })).rejects.toThrow();
    } finally {
      await a.close();
      await b.close();
    }
  });

  describe('scopes', () => {
    it('lets a read token call read-only tools and read resources', async () => {
      const c = await connectHttp(s.mcp, file.tokens.carol);
      try {
        await expect(c.call('list_investigations', {})).resolves.toBeTruthy();
        await expect(c.client.listResourceTemplates()).resolves.toBeTruthy();
        await expect(c.client.listPrompts()).resolves.toBeTruthy();
      } finally {
        await c.close();
      }
    });

    it('answers a write tool called with a read token 403 insufficient_scope, scope="write"', async () => {
      const sid = await rawSession(s.mcp, bearer(file.tokens.carol));
      const r = await post(s.mcp, toolCall(7, 'start_investigation', OBJECTIVE), { ...bearer(file.tokens.carol), 'mcp-session-id': sid });
      expect(r.status).toBe(403);
      const www = r.headers.get('www-authenticate')!;
      expect(www).toContain('error="insufficient_scope"');
      expect(www).toContain('scope="write"');
      expect(www).toContain('resource_metadata=');
      const body = await r.json();
      expect(body.error.message).toContain('start_investigation needs the write scope');
      expect(body.id).toBe(7);
    });

    it('checks every message of a batch', async () => {
      const sid = await rawSession(s.mcp, bearer(file.tokens.carol));
      const r = await post(s.mcp, [toolCall(1, 'list_investigations', {}), toolCall(2, 'record_event', { investigationId: 'inv_x', role: 'user', text: 'x' })], {
        ...bearer(file.tokens.carol),
        'mcp-session-id': sid,
      });
      expect(r.status).toBe(403);
      expect(r.headers.get('www-authenticate')).toContain('scope="write"');
    });

    it('surfaces the 403 to the SDK client as an error (nothing runs)', async () => {
      const c = await connectHttp(s.mcp, file.tokens.carol);
      try {
        await expect(c.callRaw('start_investigation', OBJECTIVE)).rejects.toThrow(/start_investigation needs the write scope/);
        const list = await c.call('list_investigations', {});
        expect(list).toBeTruthy();
      } finally {
        await c.close();
      }
    });
  });

  it('refuses a token in the query string (400), even a valid one', async () => {
    for (const q of [`access_token=${file.tokens.alice}`, `token=${file.tokens.alice}`, `x=${file.tokens.alice}`]) {
      const r = await post(`${s.mcp}?${q}`, toolCall(1, 'list_investigations', {}));
      expect(r.status, q).toBe(400);
      expect((await r.json()).error_description).toContain('never accepted in the URL');
    }
    // Not even beside a valid header.
    const r = await post(`${s.mcp}?access_token=abc`, toolCall(1, 'list_investigations', {}), bearer(file.tokens.alice));
    expect(r.status).toBe(400);
  });

  it('refuses a token revoked while the server runs, from its next request', async () => {
    const sid = await rawSession(s.mcp, bearer(file.tokens.revoked));
    const ok = await post(s.mcp, toolCall(2, 'list_investigations', {}), { ...bearer(file.tokens.revoked), 'mcp-session-id': sid });
    expect(ok.status).toBe(200);
    await ok.text();
    // Remove it by hand (an in-place edit, as an operator might).
    const doc = JSON.parse(readFileSync(file.path, 'utf8'));
    doc.tokens = doc.tokens.filter((t: { sha256: string }) => t.sha256 !== hashToken(file.tokens.revoked));
    writeFileSync(file.path, JSON.stringify(doc));
    const r = await post(s.mcp, toolCall(3, 'list_investigations', {}), { ...bearer(file.tokens.revoked), 'mcp-session-id': sid });
    expect(r.status).toBe(401);
    // Others still work.
    const other = await rawSession(s.mcp, bearer(file.tokens.alice));
    expect(other).toBeTruthy();
  });

  it('never writes a token or an Authorization header to the access log or the app log', async () => {
    const all = JSON.stringify(s.access) + s.t.logs.join('\n');
    for (const token of Object.values(file.tokens)) {
      expect(all).not.toContain(token);
      expect(all).not.toContain(token.slice(3, 20));
    }
    expect(all.toLowerCase()).not.toContain('bearer lh_');
    expect(s.access.length).toBeGreaterThan(5);
    for (const r of s.access) expect(Object.keys(r).sort()).toEqual(expect.arrayContaining(['method', 'path', 'status', 'ms']));
    expect(s.access.some((r) => r.path.includes('?'))).toBe(false);
  });

  it('answers the raw initialize over SSE with a session id', async () => {
    const r = await post(s.mcp, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }, bearer(file.tokens.alice));
    expect(r.status).toBe(200);
    expect(r.headers.get('mcp-session-id')).toMatch(/^[0-9a-f-]{36}$/);
    const [m] = await messages(r);
    expect(m.result.serverInfo.name).toBe('longhaul');
  });
});
