import { generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, connectHttp, post, rawSession, serveTestApp, tokensFile, toolCall, type TestHttp } from './helpers.js';
import { startIssuer } from './issuer.js';

describe('serve --http with an OAuth issuer', () => {
  let issuer: Awaited<ReturnType<typeof startIssuer>>;
  let s: TestHttp;
  const file = tokensFile({ filed: { tenant: 'acme', actor: 'robot' } });
  let aud: string;

  beforeAll(async () => {
    issuer = await startIssuer();
    s = await serveTestApp({ LONGHAUL_OAUTH_ISSUER: issuer.url, LONGHAUL_TOKENS_FILE: file.path });
    aud = s.http.resource.href;
  });
  afterAll(async () => {
    await s?.close();
    await issuer?.close();
    file.cleanup();
  });

  it('names the issuer in the protected-resource metadata (and mirrors its metadata)', async () => {
    const prm = await (await fetch(`${s.http.url}/.well-known/oauth-protected-resource/mcp`)).json();
    expect(prm).toMatchObject({ resource: aud, authorization_servers: [issuer.url], scopes_supported: ['read', 'write'] });
    const as = await (await fetch(`${s.http.url}/.well-known/oauth-authorization-server`)).json();
    expect(as.issuer).toBe(issuer.url);
  });

  it('serves a valid JWT (keys from the discovered JWKS), as the tenant and actor of its claims', async () => {
    const token = await issuer.sign({ sub: 'alice', tenant: 'acme', scope: 'read write' }, { audience: aud });
    const c = await connectHttp(s.mcp, token);
    try {
      const r = await c.call('start_investigation', { subject: 'TechCorp', objective: 'Check TechCorp' });
      expect(r.investigation.investigationId).toMatch(/^inv_/);
    } finally {
      await c.close();
    }
    expect(issuer.jwksRequests()).toBeGreaterThan(0);
    expect(s.access.some((a) => a.tenant === 'acme' && a.actor === 'alice')).toBe(true);
  });

  it('still accepts tokens-file tokens beside JWTs', async () => {
    await expect(rawSession(s.mcp, bearer(file.tokens.filed))).resolves.toBeTruthy();
  });

  it('takes scopes from a list claim too, and enforces them', async () => {
    const token = await issuer.sign({ sub: 'carol', tenant: 'acme', scope: ['read'] }, { audience: aud });
    const sid = await rawSession(s.mcp, bearer(token));
    const r = await post(s.mcp, toolCall(2, 'start_investigation', { subject: 'X', objective: 'Y' }), { ...bearer(token), 'mcp-session-id': sid });
    expect(r.status).toBe(403);
    expect(r.headers.get('www-authenticate')).toContain('insufficient_scope');
  });

  const refused: Array<[string, () => Promise<string>, RegExp]> = [
    ['an expired JWT', () => issuer.sign({ sub: 'alice', tenant: 'acme', scope: 'read write' }, { audience: aud, expiresIn: Math.floor(Date.now() / 1000) - 120 }), /expired/],
    ['a JWT for another audience', () => issuer.sign({ sub: 'alice', tenant: 'acme', scope: 'read write' }, { audience: 'https://other.example/mcp' }), /audience/],
    ['a JWT without an audience', () => issuer.sign({ sub: 'alice', tenant: 'acme', scope: 'read write' }), /audience|not valid/],
    ['a JWT from another issuer', () => issuer.sign({ sub: 'alice', tenant: 'acme', scope: 'read write' }, { audience: aud, issuer: 'https://evil.example' }), /issuer/],
    ['a JWT without a tenant claim', () => issuer.sign({ sub: 'alice', scope: 'read write' }, { audience: aud }), /tenant/],
    [
      'a JWT signed by another key',
      async () => {
        const other = await generateKeyPair('RS256');
        return issuer.sign({ sub: 'alice', tenant: 'acme', scope: 'read write' }, { audience: aud, key: other.privateKey });
      },
      /not valid/,
    ],
  ];
  for (const [what, make, reason] of refused) {
    it(`refuses ${what} with 401 invalid_token`, async () => {
      const r = await post(s.mcp, toolCall(1, 'list_investigations', {}), bearer(await make()));
      expect(r.status).toBe(401);
      const www = r.headers.get('www-authenticate')!;
      expect(www).toContain('error="invalid_token"');
      expect(www).toMatch(reason);
      expect(www).toContain('resource_metadata=');
    });
  }
});

describe('serve --http with an OAuth issuer, configured further', () => {
  it('takes an explicit JWKS URL and audience', async () => {
    const issuer = await startIssuer();
    const s = await serveTestApp({ LONGHAUL_OAUTH_ISSUER: issuer.url, LONGHAUL_OAUTH_JWKS_URL: `${issuer.url}/jwks`, LONGHAUL_OAUTH_AUDIENCE: 'api://longhaul', LONGHAUL_OAUTH_TENANT_CLAIM: 'org' });
    try {
      const ok = await issuer.sign({ sub: 'alice', org: 'acme', scope: 'read' }, { audience: 'api://longhaul' });
      await expect(rawSession(s.mcp, bearer(ok))).resolves.toBeTruthy();
      const wrongAud = await issuer.sign({ sub: 'alice', org: 'acme', scope: 'read' }, { audience: s.http.resource.href });
      expect((await post(s.mcp, toolCall(1, 'list_investigations', {}), bearer(wrongAud))).status).toBe(401);
    } finally {
      await s.close();
      await issuer.close();
    }
  });

  it('starts while the issuer is unreachable, names it in the metadata, and answers tokens 500 (not 401) until its keys are known', async () => {
    const issuer = await startIssuer();
    const url = issuer.url;
    await issuer.close();
    const s = await serveTestApp({ LONGHAUL_OAUTH_ISSUER: url });
    try {
      const prm = await (await fetch(`${s.http.url}/.well-known/oauth-protected-resource/mcp`)).json();
      expect(prm.authorization_servers).toEqual([url]);
      const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln';
      const r = await post(s.mcp, toolCall(1, 'list_investigations', {}), bearer(jwt));
      expect(r.status).toBe(500);
      expect(JSON.stringify(await r.json())).toContain('issuer keys');
      expect(s.t.logs.join('\n')).toContain('could not read the OAuth issuer metadata');
    } finally {
      await s.close();
    }
  });
});
