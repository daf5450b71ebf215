/**
 * The HTTP perimeter of a built `serve --http` on every backend: the Host × Origin ×
 * credentials matrix and the body-size limit, then 10,000 tool calls at concurrency 32
 * (three principals, each under its cap of 16 in flight), each with a unique payload
 * that must come back in its own answer: 0 errors, 0 answers routed to the wrong request.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawHttp, PROTOCOL } from '../transports/http/helpers.js';
import { A1, A2, B1, BACKENDS, type Conn, type Deployment, type Proc } from './backends.js';

const CALLS = Number(process.env.LONGHAUL_RELIABILITY_PERIMETER_CALLS ?? 10_000);
const CONCURRENCY = 32;
const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'matrix', version: '0' } } });

describe.each(BACKENDS.map((b) => [b.name, b] as const))('perimeter of serve --http on %s', (_name, backend) => {
  let d: Deployment;
  let proc: Proc & { mcp: string };
  beforeAll(async () => {
    d = await backend.deploy();
    proc = await d.serveHttp();
  }, 60_000);
  afterAll(() => d?.cleanup());

  it('Host × Origin × credentials matrix (4 × 4 × 3 = 48 requests): served only when all three are right, refused 403/401 otherwise', async () => {
    const port = new URL(proc.url!).port;
    const hosts: Array<[string, boolean]> = [[`127.0.0.1:${port}`, true], [`localhost:${port}`, true], ['evil.example', false], [`127.0.0.1.evil.example:${port}`, false]];
    // The good Origin is the page's own: same scheme, host and port as the Host it sent.
    const origins = (host: string): Array<[string | null, boolean]> => [[null, true], [`http://${host}`, true], ['https://evil.example', false], ['null', false]];
    const auths: Array<[string | null, boolean]> = [[d.token(A1), true], [null, false], [`lh_${randomBytes(16).toString('hex')}`, false]];
    const seen = new Map<number, number>();
    for (const [host, hostOk] of hosts)
      for (const [origin, originOk] of origins(host))
        for (const [token, authOk] of auths) {
          const headers: Record<string, string> = { host, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
          if (origin) headers.origin = origin;
          if (token) headers.authorization = `Bearer ${token}`;
          const r = await rawHttp(proc.mcp, { method: 'POST', headers, chunks: [INIT] });
          seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
          const what = `host ${host}, origin ${origin}, token ${token ? token.slice(0, 6) : 'none'}`;
          if (hostOk && originOk && authOk) expect(r.status, what).toBe(200);
          else if (!hostOk || (!originOk && origin)) expect(r.status, what).toBe(403);
          else expect(r.status, what).toBe(401);
        }
    console.info(`[reliability] perimeter matrix ${backend.name}: ${JSON.stringify(Object.fromEntries(seen))}`);
  });

  it('refuses a body over 1 MiB with 413, declared or chunked, and serves one just under', async () => {
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${d.token(A1)}` };
    const pad = (n: number) => INIT.replace('"params":{', `"params":{"pad":"${'x'.repeat(n)}",`);
    expect((await rawHttp(proc.mcp, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(pad(1_048_600))) }, chunks: [pad(1_048_600)] })).status).toBe(413);
    expect((await rawHttp(proc.mcp, { method: 'POST', headers, chunks: [pad(600_000), 'x'.repeat(500_000)] })).status).toBe(413);
    expect((await rawHttp(proc.mcp, { method: 'POST', headers, chunks: [pad(900_000)] })).status).toBe(200);
  });

  it(`${CALLS} tool calls at concurrency ${CONCURRENCY}: 0 errors, 0 answers routed to the wrong request`, async () => {
    const principals = [A1, A2, B1];
    const conns: Conn[] = [];
    const invs: string[] = [];
    for (let i = 0; i < CONCURRENCY; i++) {
      const who = principals[i % principals.length]!;
      const c = await d.connect(proc, who);
      conns.push(c);
      if (i < principals.length) invs.push((await c.call('start_investigation', { subject: `Perimeter ${who.actor}`, objective: 'Echo' })).investigation.investigationId);
    }
    let next = 0;
    let errors = 0;
    const mismatches: string[] = [];
    const t0 = performance.now();
    await Promise.all(
      conns.map(async (c, i) => {
        const investigationId = invs[i % principals.length]!;
        while (next < CALLS) {
          const n = next++;
          const nonce = `${n}-${randomBytes(6).toString('hex')}`;
          try {
            const r = await c.callRaw('record_event', { investigationId, role: 'agent', text: `echo ${nonce}`, data: { nonce } });
            const e = (r.structuredContent as { event?: { text: string; data: { nonce: string }; investigationId: string } } | undefined)?.event;
            if (r.isError) errors++;
            else if (e?.text !== `echo ${nonce}` || e.data.nonce !== nonce || e.investigationId !== investigationId) mismatches.push(`${nonce} → ${JSON.stringify(e).slice(0, 120)}`);
          } catch {
            errors++;
          }
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    for (const c of conns) await c.close();
    expect(errors).toBe(0);
    expect(mismatches).toEqual([]);
    console.info(`[reliability] perimeter ${backend.name}: ${CALLS} record_event calls at concurrency ${CONCURRENCY} in ${seconds.toFixed(1)} s (${(CALLS / seconds).toFixed(0)}/s), ${errors} errors, ${mismatches.length} mismatches`);
  }, 300_000);
});
