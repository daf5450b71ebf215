import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../e2e/harness.js';
import { storeStreamEventLog, type StreamEventLog } from '../../../src/transports/http/event-log.js';
import { bearer, connectHttp, messages, post, PROTOCOL, rawSession, serveTestApp, tokensFile, toolCall, type TestHttp } from './helpers.js';

describe('MCP sessions over HTTP', () => {
  const file = tokensFile({
    alice: { tenant: 'acme', actor: 'alice' },
    alice2: { tenant: 'acme', actor: 'alice', scopes: ['read'] },
    carol: { tenant: 'acme', actor: 'carol' },
    bob: { tenant: 'globex', actor: 'bob' },
  });
  let s: TestHttp;
  beforeAll(async () => {
    s = await serveTestApp({ LONGHAUL_TOKENS_FILE: file.path });
  });
  afterAll(async () => {
    await s?.close();
    file.cleanup();
  });

  const withSession = (token: string, sid: string) => ({ ...bearer(token), 'mcp-session-id': sid, 'mcp-protocol-version': PROTOCOL });

  describe('are not authority', () => {
    it("refuses a session id used with another principal's credential (403), for every method", async () => {
      const sid = await rawSession(s.mcp, bearer(file.tokens.alice));
      for (const other of [file.tokens.bob, file.tokens.carol]) {
        const p = await post(s.mcp, toolCall(2, 'list_investigations', {}), withSession(other, sid));
        expect(p.status).toBe(403);
        expect((await p.json()).error.message).toContain('another credential');
        const g = await fetch(s.mcp, { headers: { ...withSession(other, sid), accept: 'text/event-stream' } });
        expect(g.status).toBe(403);
        await g.text();
        const d = await fetch(s.mcp, { method: 'DELETE', headers: withSession(other, sid) });
        expect(d.status).toBe(403);
      }
      // The session survived the attempts and still serves its own principal.
      const own = await post(s.mcp, toolCall(3, 'list_investigations', {}), withSession(file.tokens.alice, sid));
      expect(own.status).toBe(200);
      const [m] = await messages(own);
      expect(m.result.structuredContent).toBeTruthy();
    });

    it("authorises each request by its own credential: the same principal's other token with its own scopes", async () => {
      const sid = await rawSession(s.mcp, bearer(file.tokens.alice));
      const read = await post(s.mcp, toolCall(2, 'list_investigations', {}), withSession(file.tokens.alice2, sid));
      expect(read.status).toBe(200);
      await read.text();
      const write = await post(s.mcp, toolCall(3, 'start_investigation', { subject: 'X', objective: 'Y' }), withSession(file.tokens.alice2, sid));
      expect(write.status).toBe(403);
      const none = await post(s.mcp, toolCall(4, 'list_investigations', {}), { 'mcp-session-id': sid });
      expect(none.status).toBe(401);
    });

    it('answers an unknown session id 404 and a request without one 400', async () => {
      const r = await post(s.mcp, toolCall(2, 'list_investigations', {}), withSession(file.tokens.alice, '00000000-0000-4000-8000-000000000000'));
      expect(r.status).toBe(404);
      const n = await post(s.mcp, toolCall(2, 'list_investigations', {}), bearer(file.tokens.alice));
      expect(n.status).toBe(400);
    });
  });

  it('ends a session on DELETE', async () => {
    const sid = await rawSession(s.mcp, bearer(file.tokens.alice));
    expect(s.http.sessions.get(sid)).toBeTruthy();
    const d = await fetch(s.mcp, { method: 'DELETE', headers: withSession(file.tokens.alice, sid) });
    expect(d.status).toBe(200);
    expect(s.http.sessions.get(sid)).toBeUndefined();
    const r = await post(s.mcp, toolCall(2, 'list_investigations', {}), withSession(file.tokens.alice, sid));
    expect(r.status).toBe(404);
  });

  it('closes idle sessions (nothing in flight past the idle limit)', async () => {
    const idle = await serveTestApp({ LONGHAUL_TOKENS_FILE: file.path }, { sessionLimits: { idleMs: 60_000 } });
    try {
      const sid = await rawSession(idle.mcp, bearer(file.tokens.alice));
      expect(await idle.http.sessions.sweepIdle()).toBe(0);
      idle.t.clock.advance(61_000);
      expect(await idle.http.sessions.sweepIdle()).toBe(1);
      const r = await post(idle.mcp, toolCall(2, 'list_investigations', {}), withSession(file.tokens.alice, sid));
      expect(r.status).toBe(404);
    } finally {
      await idle.close();
    }
  });

  describe('resumable GET streams (Last-Event-ID)', () => {
    it('loses no notification while the stream is down: the client reconnects with Last-Event-ID and gets every one', async () => {
      const replays: Array<{ streamId: string; events: number }> = [];
      const log = storeStreamEventLog(s.t.app.store, s.t.app.clock);
      const spied: StreamEventLog = {
        append: (streamId, message) => log.append(streamId, message),
        async after(eventId, limit) {
          const r = await log.after(eventId, limit);
          if (r && limit !== 0) replays.push({ streamId: r.streamId, events: r.events.length });
          return r;
        },
      };
      const rs = await serveTestApp({ LONGHAUL_TOKENS_FILE: file.path }, { eventLog: spied });
      const writer = await connectHttp(rs.mcp, file.tokens.carol);
      // A slow reconnect, so the changes below happen while the stream is down.
      const c = await connectHttp(rs.mcp, file.tokens.alice, { reconnectDelayMs: 1_500 });
      try {
        const ids: string[] = [];
        for (let i = 0; i < 4; i++) ids.push((await writer.call('start_investigation', { subject: `Subject ${i}`, objective: 'Watch it change' })).investigation.investigationId);
        const uri = (id: string) => `longhaul://investigations/${id}`;
        for (const id of ids) await c.client.subscribeResource({ uri: uri(id) });
        const sid = c.transport.sessionId!;
        const session = rs.http.sessions.get(sid)!;

        // One notification on the live stream: the client now holds an event id.
        await writer.call('record_event', { investigationId: ids[0], role: 'user', text: 'first change' });
        await waitFor(async () => c.updated.includes(uri(ids[0]!)), 5_000, 'the first notification');

        // The stream drops (a proxy timeout, a network blip); changes happen meanwhile.
        session.transport.closeStandaloneSSEStream();
        const before = c.updated.length;
        for (const id of ids.slice(1)) await writer.call('record_event', { investigationId: id, role: 'user', text: 'while you were away' });

        await waitFor(async () => ids.slice(1).every((id) => c.updated.includes(uri(id))), 10_000, 'the notifications sent while the stream was down');
        const after = c.updated.slice(before);
        expect(after.filter((u) => ids.slice(1).map(uri).includes(u)).slice(0, 3)).toEqual(ids.slice(1).map(uri));
        expect(new Set(after).size).toBe(after.length); // each once
        // They came by replay: the client resumed from the event id it last saw.
        expect(replays.some((r) => r.streamId.endsWith(`${sid}/_GET_stream`) && r.events >= 3)).toBe(true);
      } finally {
        await c.close();
        await writer.close();
        await rs.close();
      }
    });

    it("refuses to replay another session's events or an unknown event id (400)", async () => {
      const a = await rawSession(s.mcp, bearer(file.tokens.alice));
      const b = await rawSession(s.mcp, bearer(file.tokens.alice));
      // A message on a's stream gives an event id of a's.
      const r = await post(s.mcp, toolCall(2, 'list_investigations', {}), withSession(file.tokens.alice, a));
      const text = await r.text();
      const eventId = /^id: (.+)$/m.exec(text)![1]!;
      const replay = (sid: string, id: string) => fetch(s.mcp, { headers: { ...withSession(file.tokens.alice, sid), accept: 'text/event-stream', 'last-event-id': id } });
      const cross = await replay(b, eventId);
      expect(cross.status).toBe(400);
      const unknown = await replay(a, '0000000000999999_nope');
      expect(unknown.status).toBe(400);
      const ok = await replay(a, eventId);
      expect(ok.status).toBe(200);
      await ok.body?.cancel();
    });
  });
});
