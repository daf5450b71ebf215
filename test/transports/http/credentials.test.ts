import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../e2e/harness.js';
import { hashPrefix, hashToken, revokeToken } from '../../../src/transports/http/tokens-file.js';
import { bearer, connectHttp, post, PROTOCOL, rawSession, serveTestApp, tokensFile, toolCall } from './helpers.js';
import { startIssuer } from './issuer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const revoke = (path: string, token: string) => revokeToken(path, hashPrefix(hashToken(token)));

/**
 * A session is held by a credential, not just opened with one: once the credential is
 * revoked or expires, the session closes, nothing more is pushed to it, and it stops
 * counting against its principal's sessions.
 */
describe('MCP sessions and the credential that holds them', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const track = <T extends { close(): Promise<void> | void }>(x: T): T => {
    cleanups.push(() => x.close());
    return x;
  };

  describe('when a token is revoked while its session is subscribed', () => {
    it('closes the session and its notifications stop, with no request from it', async () => {
      const file = tokensFile({ alice: { tenant: 'acme', actor: 'alice' }, carol: { tenant: 'acme', actor: 'carol' } });
      cleanups.push(file.cleanup);
      const s = track(await serveTestApp({ LONGHAUL_TOKENS_FILE: file.path }, { tokensPollMs: 100 }));
      const writer = track(await connectHttp(s.mcp, file.tokens.carol));
      const c = track(await connectHttp(s.mcp, file.tokens.alice));
      const id = (await writer.call('start_investigation', { subject: 'TechCorp', objective: 'Watch it' })).investigation.investigationId;
      const uri = `longhaul://investigations/${id}`;
      await c.client.subscribeResource({ uri });
      await writer.call('record_event', { investigationId: id, role: 'user', text: 'one' });
      await waitFor(async () => c.updated.includes(uri), 5_000, 'a notification while the token is valid');
      const sid = c.transport.sessionId!;
      expect(s.http.sessions.get(sid)).toBeTruthy();

      revoke(file.path, file.tokens.alice);
      // Nobody sends a request: the server's own check of the tokens file finds the revocation.
      await waitFor(async () => s.http.sessions.get(sid) === undefined, 5_000, 'the revoked session closed');
      const heard = c.updated.length;
      await writer.call('record_event', { investigationId: id, role: 'user', text: 'two' });
      await sleep(300);
      expect(c.updated.length).toBe(heard);
      // And the revoked token opens nothing new.
      expect((await post(s.mcp, toolCall(1, 'list_investigations', {}), { ...bearer(file.tokens.alice), 'mcp-session-id': sid })).status).toBe(401);
    });
  });

  it("stops counting a revoked token's sessions against its principal's quota, open streams or not", async () => {
    const file = tokensFile({ old: { tenant: 'acme', actor: 'alice' }, fresh: { tenant: 'acme', actor: 'alice' } });
    cleanups.push(file.cleanup);
    // No timer: the re-read on the next request is what must free the quota.
    const s = track(await serveTestApp({ LONGHAUL_TOKENS_FILE: file.path }, { sessionLimits: { perPrincipal: 2 }, tokensPollMs: 3_600_000 }));
    const streams: Response[] = [];
    cleanups.push(() => Promise.all(streams.map((r) => r.body?.cancel().catch(() => undefined))).then(() => undefined));
    for (let i = 0; i < 2; i++) {
      const sid = await rawSession(s.mcp, bearer(file.tokens.old));
      // An open GET stream: the session is busy, so opening another cannot evict it.
      const g = await fetch(s.mcp, { headers: { ...bearer(file.tokens.old), 'mcp-session-id': sid, 'mcp-protocol-version': PROTOCOL, accept: 'text/event-stream' } });
      expect(g.status).toBe(200);
      streams.push(g);
    }
    await expect(rawSession(s.mcp, bearer(file.tokens.fresh))).rejects.toThrow(/503/);

    revoke(file.path, file.tokens.old);
    const sid = await rawSession(s.mcp, bearer(file.tokens.fresh));
    expect(s.http.sessions.get(sid)).toBeTruthy();
    expect(s.http.sessions.size).toBe(1);
  });

  it("closes a JWT's session at its exp", async () => {
    const issuer = track(await startIssuer());
    const s = track(await serveTestApp({ LONGHAUL_OAUTH_ISSUER: issuer.url }));
    const aud = s.http.resource.href;
    const token = await issuer.sign({ sub: 'alice', tenant: 'acme', scope: 'read write' }, { audience: aud, expiresIn: '3s' });
    const c = track(await connectHttp(s.mcp, token));
    const sid = c.transport.sessionId!;
    expect(s.http.sessions.get(sid)).toBeTruthy();
    const exp = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp * 1000;
    await waitFor(async () => s.http.sessions.get(sid) === undefined, 6_000, 'the session closed at exp', 50);
    expect(Date.now()).toBeGreaterThanOrEqual(exp);
  }, 10_000);

  it('keeps a session whose client refreshed its JWT before exp', async () => {
    const issuer = track(await startIssuer());
    const s = track(await serveTestApp({ LONGHAUL_OAUTH_ISSUER: issuer.url }));
    const aud = s.http.resource.href;
    const first = await issuer.sign({ sub: 'alice', tenant: 'acme', scope: 'read write' }, { audience: aud, expiresIn: '2s' });
    const sid = await rawSession(s.mcp, bearer(first));
    const refreshed = await issuer.sign({ sub: 'alice', tenant: 'acme', scope: 'read write', n: 2 }, { audience: aud, expiresIn: '5m' });
    const r = await post(s.mcp, toolCall(2, 'list_investigations', {}), { ...bearer(refreshed), 'mcp-session-id': sid });
    expect(r.status).toBe(200);
    await r.text();
    await sleep(2_500);
    expect(s.http.sessions.get(sid)).toBeTruthy();
  }, 10_000);

  describe('sampling (LONGHAUL_MODEL=sampling)', () => {
    /** An SDK client over HTTP that offers its model (declares `sampling`). */
    async function samplingClient(mcp: string, token: string) {
      const client = new Client({ name: 'sampler', version: '0' }, { capabilities: { sampling: {} } });
      client.setRequestHandler(CreateMessageRequestSchema, async () => ({ role: 'assistant', model: 'm', content: { type: 'text', text: 'an answer' } }));
      await client.connect(new StreamableHTTPClientTransport(new URL(mcp), { requestInit: { headers: bearer(token) } }));
      // The sampler serves only a (tenant, actor) the connection has acted as.
      await client.callTool({ name: 'list_investigations', arguments: {} });
      return client;
    }

    it("offers a write credential's client as the model, never a read-only one's", async () => {
      const file = tokensFile({ reader: { tenant: 'acme', actor: 'alice', scopes: ['read'] }, writer: { tenant: 'acme', actor: 'bob' } });
      cleanups.push(file.cleanup);
      const s = track(await serveTestApp({ LONGHAUL_TOKENS_FILE: file.path, LONGHAUL_MODEL: 'sampling' }));
      const models = s.t.app.deps.models!;
      track(await samplingClient(s.mcp, file.tokens.reader));
      expect(models.current('acme', 'alice')).toBeNull();
      track(await samplingClient(s.mcp, file.tokens.writer));
      expect(models.current('acme', 'bob')?.name).toBe('sampling:sampler');
    });

    it('stops offering the client once its token is revoked', async () => {
      const file = tokensFile({ writer: { tenant: 'acme', actor: 'bob' } });
      cleanups.push(file.cleanup);
      const s = track(await serveTestApp({ LONGHAUL_TOKENS_FILE: file.path, LONGHAUL_MODEL: 'sampling' }, { tokensPollMs: 3_600_000 }));
      const models = s.t.app.deps.models!;
      track(await samplingClient(s.mcp, file.tokens.writer));
      const model = models.current('acme', 'bob');
      expect(model).not.toBeNull();
      revoke(file.path, file.tokens.writer);
      // Even with the session left open (its closing disabled here), the sampler judges by the file.
      s.http.sessions.closeInvalid = () => 0;
      expect((await post(s.mcp, { jsonrpc: '2.0', id: 1, method: 'ping' }, bearer(file.tokens.writer))).status).toBe(401); // a request re-reads the file
      expect(s.http.sessions.size).toBe(1);
      expect(models.current('acme', 'bob')).toBeNull();
      await expect(model!.complete({ system: 's', prompt: 'p', maxTokens: 10 })).rejects.toThrow(/no longer allowed/);
    });
  });
});
