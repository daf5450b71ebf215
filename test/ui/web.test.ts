import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeToken, hashToken, hashPrefix } from '../../src/transports/http/tokens-file.js';
import { serveTestApp, tokensFile, type TestHttp } from '../transports/http/helpers.js';

/** A raw HTTP request (fetch cannot set Host), returning status, headers and body. */
function raw(url: string, o: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: o.method ?? 'GET', headers: o.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const cookieOf = (setCookie: string | string[] | undefined) => String(Array.isArray(setCookie) ? setCookie[0] : setCookie ?? '').split(';', 1)[0]!;
const csrfOf = (html: string) => /<meta name="csrf-token" content="([^"]+)">/.exec(html)?.[1] ?? '';

describe('the web page: sign-in, sessions and writes (in process)', () => {
  const tf = tokensFile({ alice: { tenant: 'acme', actor: 'alice' }, reader: { tenant: 'acme', actor: 'rita', scopes: ['read'] }, eve: { tenant: 'acme', actor: 'eve' } });
  let s: TestHttp;
  let base = '';
  let id = '';

  beforeAll(async () => {
    s = await serveTestApp({ LONGHAUL_TOKENS_FILE: tf.path });
    base = s.http.url;
    const r = await s.t.app.runtime.investigations.start({ tenantId: 'acme', actorId: 'alice' }, { subject: 'TechCorp', objective: 'Check TechCorp', tasks: [{ role: 'compliance', instructions: 'Check the bank data', waitFor: { signal: 'bank_data', timeout: '3d' } }] });
    id = r.investigation.investigationId;
  });
  afterAll(async () => {
    await s.close();
    tf.cleanup();
  });

  async function signIn(token: string): Promise<{ cookie: string; csrf: string }> {
    const r = await raw(`${base}/signin`, { method: 'POST', headers: { origin: base, 'content-type': 'application/x-www-form-urlencoded' }, body: form({ token, next: `/investigations/${id}` }) });
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe(`/investigations/${id}`);
    const cookie = cookieOf(r.headers['set-cookie']);
    const page = await raw(`${base}/investigations/${id}`, { headers: { cookie } });
    expect(page.status).toBe(200);
    return { cookie, csrf: csrfOf(page.body) };
  }

  it('serves the sign-in form with a strict CSP, and refuses a sign-in posted from another site or with a bad token', async () => {
    const page = await raw(`${base}/signin`);
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toBe("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
    expect(page.body).toContain('<form class="stack card" method="post" action="/signin">');
    expect(page.body).not.toMatch(/<script>|<style>|style="/);
    const crossSite = await raw(`${base}/signin`, { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, body: form({ token: tf.tokens.alice }) });
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers['set-cookie']).toBeUndefined();
    const bad = await raw(`${base}/signin`, { method: 'POST', headers: { origin: base, 'content-type': 'application/x-www-form-urlencoded' }, body: form({ token: 'lh_not-a-token' }) });
    expect(bad.status).toBe(401);
    expect(bad.body).toContain('That token is not valid');
    expect(bad.headers['set-cookie']).toBeUndefined();
  });

  it('signs in with a token: an HttpOnly, SameSite=Strict cookie holding a random id, never the token; next stays on this site', async () => {
    const r = await raw(`${base}/signin`, { method: 'POST', headers: { origin: base, 'content-type': 'application/x-www-form-urlencoded' }, body: form({ token: tf.tokens.alice, next: '//evil.example/x' }) });
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/');
    const setCookie = String(r.headers['set-cookie']);
    expect(setCookie).toMatch(/^longhaul_session=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Strict$/);
    // Plain http on loopback: not Secure (a browser would drop it), which is why the name has no __Host- prefix.
    expect(setCookie).not.toContain('Secure');
    expect(setCookie).not.toContain(tf.tokens.alice);
    expect(setCookie).not.toContain(hashToken(tf.tokens.alice));
    const index = await raw(`${base}/`, { headers: { cookie: cookieOf(r.headers['set-cookie']) } });
    expect(index.status).toBe(200);
    expect(index.body).toContain('Signed in as acme / alice');
  });

  it('closes an investigation from a signed-in page only with the same origin and the page\'s CSRF token', async () => {
    const { cookie, csrf } = await signIn(tf.tokens.alice);
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const post = (headers: Record<string, string>) => raw(`${base}/api/investigations/${id}/close`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', ...headers }, body: JSON.stringify({ outcome: 'inconclusive', summary: 'Closed from the page' }) });
    expect((await post({ origin: base })).status).toBe(403);
    expect((await post({ origin: 'https://evil.example', 'x-csrf-token': csrf })).status).toBe(403);
    expect((await post({ 'x-csrf-token': csrf })).status).toBe(403);
    expect((await post({ origin: base, 'x-csrf-token': 'x'.repeat(32) })).status).toBe(403);
    const bad = await raw(`${base}/api/investigations/${id}/close`, { method: 'POST', headers: { cookie, origin: base, 'x-csrf-token': csrf, 'content-type': 'application/json' }, body: JSON.stringify({ outcome: 'done' }) });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error_description).toMatch(/^outcome: /);
    const open = await s.t.app.runtime.investigations.load({ tenantId: 'acme', actorId: 'alice' }, id);
    expect(open.status).toBe('open');
    const ok = await post({ origin: base, 'x-csrf-token': csrf });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ investigationId: id, status: 'closed', outcome: 'inconclusive' });
    const again = await post({ origin: base, 'x-csrf-token': csrf });
    expect(again.status).toBe(409);
  });

  it('a read-only token reads but may not write, and the page offers it no actions', async () => {
    const inv = await s.t.app.runtime.investigations.start({ tenantId: 'acme', actorId: 'alice' }, { subject: 'Initech', objective: 'Check Initech' });
    const r = await fetch(`${base}/api/investigations/${inv.investigation.investigationId}`, { headers: { authorization: `Bearer ${tf.tokens.reader}` } });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { canWrite: boolean }).canWrite).toBe(false);
    const close = await fetch(`${base}/api/investigations/${inv.investigation.investigationId}/close`, { method: 'POST', headers: { authorization: `Bearer ${tf.tokens.reader}`, 'content-type': 'application/json' }, body: JSON.stringify({ outcome: 'cancelled' }) });
    expect(close.status).toBe(403);
    expect(close.headers.get('www-authenticate')).toContain('insufficient_scope');
    const signal = await fetch(`${base}/api/investigations/${inv.investigation.investigationId}/signals/bank_data`, { method: 'POST', headers: { authorization: `Bearer ${tf.tokens.reader}`, 'content-type': 'text/csv' }, body: 'a;b\n' });
    expect(signal.status).toBe(403);
  });

  it("shows another actor's private preference only as a placeholder, as the timeline resource does", async () => {
    const inv = await s.t.app.runtime.investigations.start({ tenantId: 'acme', actorId: 'alice' }, { subject: 'Umbrella', objective: 'Check Umbrella' });
    const invId = inv.investigation.investigationId;
    await s.t.app.runtime.events.record({ tenantId: 'acme', actorId: 'eve' }, { investigationId: invId, role: 'user', kind: 'preference', text: 'Eve prefers reports in German' });
    const read = async (token: string) => ((await (await fetch(`${base}/api/investigations/${invId}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { events: Array<{ kind: string; text: string }> }).events.filter((e) => e.kind === 'preference').map((e) => e.text);
    expect(await read(tf.tokens.alice)).toEqual(['(a preference of eve: private to them)']);
    expect(await read(tf.tokens.eve)).toEqual(['Eve prefers reports in German']);
  });

  it('tells a live page of changes over server-sent events, for its own investigation and tenant', async () => {
    const inv = await s.t.app.runtime.investigations.start({ tenantId: 'acme', actorId: 'alice' }, { subject: 'Globex', objective: 'Watch Globex' });
    const invId = inv.investigation.investigationId;
    const ac = new AbortController();
    const res = await fetch(`${base}/api/investigations/${invId}/stream`, { headers: { authorization: `Bearer ${tf.tokens.alice}` }, signal: ac.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let got = '';
    await s.t.app.runtime.signals.submit({ tenantId: 'acme', actorId: 'alice' }, { investigationId: invId, signal: 'bank_data', payload: { ok: true } });
    while (!got.includes('event: change')) got += decoder.decode((await reader.read()).value, { stream: true });
    expect(got).toMatch(/event: change\ndata: \{"type":"investigation"\}/);
    ac.abort();
    const foreign = await fetch(`${base}/api/investigations/inv_${'0'.repeat(30)}/stream`, { headers: { authorization: `Bearer ${tf.tokens.alice}` } });
    expect(foreign.status).toBe(404);
  });

  it('ends a signed-in session when its token is revoked, and at sign-out', async () => {
    const { cookie, csrf } = await signIn(tf.tokens.eve);
    expect((await raw(`${base}/api/investigations`, { headers: { cookie } })).status).toBe(200);
    const so = await raw(`${base}/signout`, { method: 'POST', headers: { cookie, origin: base, 'content-type': 'application/x-www-form-urlencoded' }, body: form({ csrf }) });
    expect(so.status).toBe(303);
    expect(String(so.headers['set-cookie'])).toMatch(/^longhaul_session=;/);
    expect((await raw(`${base}/api/investigations`, { headers: { cookie } })).status).toBe(401);

    const again = await signIn(tf.tokens.eve);
    revokeToken(tf.path, hashPrefix(hashToken(tf.tokens.eve)));
    const after = await raw(`${base}/api/investigations`, { headers: { cookie: again.cookie } });
    expect(after.status).toBe(401);
    const page = await raw(`${base}/`, { headers: { cookie: again.cookie } });
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe('/signin?next=%2F');
  });
});

describe('the web page behind a public https URL', () => {
  const tf = tokensFile({ alice: { tenant: 'acme', actor: 'alice' } });
  let s: TestHttp;
  beforeAll(async () => {
    s = await serveTestApp({ LONGHAUL_TOKENS_FILE: tf.path, LONGHAUL_HTTP_PUBLIC_URL: 'https://longhaul.example' });
  });
  afterAll(async () => {
    await s.close();
    tf.cleanup();
  });

  it('sets a Secure, __Host- prefixed cookie and takes the public origin as its own', async () => {
    const r = await raw(`${s.http.url}/signin`, { method: 'POST', headers: { host: 'longhaul.example', origin: 'https://longhaul.example', 'content-type': 'application/x-www-form-urlencoded' }, body: form({ token: tf.tokens.alice }) });
    expect(r.status).toBe(303);
    expect(String(r.headers['set-cookie'])).toMatch(/^__Host-longhaul_session=[A-Za-z0-9_-]{43}; .*; HttpOnly; Secure; SameSite=Strict$/);
  });
});

describe('the web page on a loopback server without credentials', () => {
  let s: TestHttp;
  beforeAll(async () => {
    s = await serveTestApp();
  });
  afterAll(() => s.close());

  it('acts as the local identity, still asking writes for the same origin and the CSRF token', async () => {
    const base = s.http.url;
    const inv = await s.t.app.runtime.investigations.start(s.t.app.localCaller, { subject: 'Local', objective: 'Local check' });
    const id = inv.investigation.investigationId;
    const page = await raw(`${base}/investigations/${id}`);
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('Sign out');
    const csrf = csrfOf(page.body);
    expect(csrf).not.toBe('');
    const list = (await (await fetch(`${base}/api/investigations`)).json()) as { investigations: Array<{ investigationId: string }> };
    expect(list.investigations.map((i) => i.investigationId)).toContain(id);
    const post = (headers: Record<string, string>) => raw(`${base}/api/investigations/${id}/close`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ outcome: 'cancelled' }) });
    expect((await post({ origin: base })).status).toBe(403);
    expect((await post({ origin: 'http://localhost:1', 'x-csrf-token': csrf })).status).toBe(403);
    expect((await post({ origin: base, 'x-csrf-token': csrf })).status).toBe(200);
    expect((await raw(`${base}/signin`)).status).toBe(303);
  });
});
