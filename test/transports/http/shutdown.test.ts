import { describe, expect, it } from 'vitest';
import { connectHttp, post, PROTOCOL, rawHttp, rawSession, serveTestApp, toolCall } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('graceful shutdown of the HTTP server', () => {
  it('lets a call in flight finish, refuses new work meanwhile, then closes every session', async () => {
    const s = await serveTestApp();
    let closed: Promise<void> | null = null;
    try {
      const watcher = await connectHttp(s.mcp); // holds a GET stream open
      const sid = await rawSession(s.mcp);
      const inv = await post(s.mcp, toolCall(2, 'start_investigation', { subject: 'TechCorp', objective: 'Check it' }), { 'mcp-session-id': sid });
      const id = /"investigationId":"(inv_[^"]+)"/.exec(await inv.text())![1]!;

      // A call whose body is still arriving when the stop begins.
      const body = JSON.stringify(toolCall(3, 'record_event', { investigationId: id, role: 'user', text: 'written during shutdown' }));
      const half = Math.floor(body.length / 2);
      let during: number | undefined;
      const call = rawHttp(s.mcp, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sid, 'mcp-protocol-version': PROTOCOL },
        chunks: [body.slice(0, half), body.slice(half)],
        between: async () => {
          await sleep(100);
          closed = s.http.close();
          await sleep(100);
          // Readiness says draining, so a load balancer stops sending work.
          during = (await rawHttp(`${s.http.url}/readyz`).catch(() => ({ status: -1 }))).status;
        },
      });
      const r = await call;
      expect(r.status).toBe(200);
      expect(r.body).toContain('written during shutdown');
      expect([503, -1]).toContain(during); // 503 on a kept-alive connection; refused on a new one
      await closed!;
      expect(s.http.sessions.size).toBe(0);
      await watcher.close();
    } finally {
      await (closed ?? s.http.close());
      await s.t.close();
    }
  });

  it('stops waiting for a stuck request after the drain timeout', async () => {
    const s = await serveTestApp({}, { drainTimeoutMs: 300 });
    try {
      const sid = await rawSession(s.mcp);
      // A body that never completes.
      const stuck = rawHttp(s.mcp, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sid, 'content-length': '1000' },
        chunks: ['{"jsonrpc":"2.0",', 'x'],
        between: () => new Promise(() => {}),
      }).catch((e: Error) => e);
      await sleep(100);
      const t0 = performance.now();
      await s.http.close();
      expect(performance.now() - t0).toBeLessThan(3_000);
      expect(await stuck).toBeInstanceOf(Error);
    } finally {
      await s.t.close();
    }
  });
});
