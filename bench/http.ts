/**
 * `npm run bench:http`: tool calls over streamable HTTP, longhaul beside an HTTP floor,
 * in one run. Not a test: nothing here asserts.
 *
 *   - longhaul: the built CLI, `serve --http` on loopback without credentials (the local
 *     identity), a temporary SQLite store, background work running, access log on (to a
 *     file), the rate limiter on with a limit the bench cannot reach;
 *   - the HTTP floor: a minimal SDK server in a process of its own (`node --import tsx
 *     bench/http.ts --floor <port>`): one `McpServer` per session with one trivial tool
 *     (`ref`, which echoes its text with a sequence number) behind the SDK's
 *     `StreamableHTTPServerTransport` on plain node:http — the same transport, sessions and
 *     SSE responses as longhaul, and nothing else (no Host/Origin checks, no auth, no
 *     store, no resumability);
 *   - the resumable floor: the same with the SDK's InMemoryEventStore. With an event
 *     store, the SDK opens every POST stream with a priming event (an id and empty data,
 *     which MCP 2025-11-25 says a server SHOULD send so the client can resume a stream
 *     broken before its first message); longhaul's streams are resumable, so they carry it
 *     too. The extra SSE event costs the client about a millisecond per call here, which
 *     the plain floor does not pay: this floor shows that share.
 *
 * Both are called through the real SDK client (`Client` + `StreamableHTTPClientTransport`,
 * Node's fetch, keep-alive) from this process. Measured:
 *   - p50 at concurrency 1 (one client, one call at a time) of `get_investigation` and
 *     `record_event`, each in blocks of BLOCK calls alternating with as many floor calls,
 *     so every ratio compares calls made side by side (bench/harness.ts's alternation).
 *     Reads go to an investigation of ordinary size (a waiting task, 20 findings); writes
 *     to another, on which `get_investigation` is measured again at the end, when it holds
 *     every finding of the run;
 *   - throughput at concurrency 32: 32 clients, each its own MCP session and connection,
 *     each making one call after another for WINDOW_MS; calls/s of `get_investigation`,
 *     `record_event` and the floor's `ref`, in alternating windows (ROUNDS each, median
 *     reported). The clients share this process, so the figure is the pair's (client and
 *     server on the same cores), the same for longhaul and the floor.
 * Goals (issue 9): p50 ≤ 2× the floor; reads at 32 ≥ half the floor's throughput.
 * Prints a table and writes bench/http.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { InMemoryEventStore } from '@modelcontextprotocol/sdk/examples/shared/inMemoryEventStore.js';
import { z } from 'zod';
import { ROOT, freePort, log, percentile, round, time } from './harness.js';

/** Calls before measuring, per server and tool: V8 tiers up over the first thousands. */
const WARMUP = 3_000;
/** Calls per block at concurrency 1, and blocks per tool. */
const BLOCK = 250;
const BLOCKS = 8;
const CONCURRENCY = 32;
/** Findings in the investigation the reads go to. */
const FINDINGS = 20;
/** One throughput window, and windows per measure. */
const WINDOW_MS = 3_000;
const ROUNDS = 3;

type Call = () => Promise<unknown>;

// ---------------------------------------------------------------- the floor server

async function floorServer(port: number, resumable: boolean): Promise<void> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  let n = 0;
  const server: Server = createHttpServer((req, res) => {
    void (async () => {
      if (!req.url?.startsWith('/mcp')) return void res.writeHead(404).end();
      const sid = req.headers['mcp-session-id'];
      let transport = typeof sid === 'string' ? sessions.get(sid) : undefined;
      if (!transport) {
        if (sid !== undefined) return void res.writeHead(404).end();
        const t: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => void sessions.set(id, t),
          ...(resumable ? { eventStore: new InMemoryEventStore() } : {}),
        });
        t.onclose = () => void (t.sessionId && sessions.delete(t.sessionId));
        const mcp = new McpServer({ name: 'http-floor', version: '1.0.0' });
        mcp.registerTool('ref', { description: 'Echoes its text with a sequence number.', inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text', text: `${n++}: ${text}` }] }));
        await mcp.connect(t);
        transport = t;
      }
      await transport.handleRequest(req, res);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  process.stdout.write('ready\n');
}

// ---------------------------------------------------------------- processes and clients


async function waitHealthy(url: string, proc: ChildProcess, what: string): Promise<void> {
  const end = performance.now() + 20_000;
  while (performance.now() < end) {
    if (proc.exitCode !== null) throw new Error(`${what} exited with ${proc.exitCode}`);
    const ok = await fetch(url).then(
      (r) => r.status < 500,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not answer ${url}`);
}

async function startLonghaul(dir: string) {
  const port = await freePort();
  const errFd = openSync(join(dir, 'longhaul.stderr'), 'a');
  const proc = spawn(process.execPath, [join(ROOT, 'dist/cli.js'), 'serve', '--http', '--port', String(port)], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      LONGHAUL_DATA_DIR: join(dir, 'data'),
      LONGHAUL_LOG_LEVEL: 'warn',
      // The limiter stays in the pipeline; the bench must not hit it.
      LONGHAUL_HTTP_RATE_LIMIT: '1000000000/1m',
    },
    stdio: ['ignore', 'ignore', errFd],
  });
  closeSync(errFd);
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(`${url}/healthz`, proc, 'longhaul serve --http');
  return { proc, mcp: `${url}/mcp`, stderr: () => readFileSync(join(dir, 'longhaul.stderr'), 'utf8').slice(-4_000) };
}

async function startFloor(resumable: boolean) {
  const port = await freePort();
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/http.ts'), '--floor', String(port), ...(resumable ? ['--resumable'] : [])], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.once('data', () => resolve());
    proc.once('exit', (code) => reject(new Error(`the floor exited with ${code}`)));
  });
  return { proc, mcp: `http://127.0.0.1:${port}/mcp` };
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  if (proc.exitCode === null) proc.kill('SIGKILL');
}

async function connectClient(mcp: string) {
  const transport = new StreamableHTTPClientTransport(new URL(mcp));
  const client = new Client({ name: 'longhaul-bench-http', version: '1.0.0' });
  await client.connect(transport);
  const call = async (name: string, args: Record<string, unknown>) => {
    const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
    if (r.isError) throw new Error(`${name} failed: ${JSON.stringify(r.content).slice(0, 500)}`);
    return r;
  };
  return { client, call, close: () => client.close() };
}
type Conn = Awaited<ReturnType<typeof connectClient>>;

// ---------------------------------------------------------------- measuring

/** `fn` on each of `conns` back to back for `ms`; calls per second, all clients together. */
async function throughput(conns: readonly Conn[], ms: number, fn: (c: Conn, i: number) => Promise<unknown>): Promise<number> {
  let calls = 0;
  const started = performance.now();
  const end = started + ms;
  await Promise.all(
    conns.map(async (c, k) => {
      for (let i = 0; performance.now() < end; i++) {
        await fn(c, k * 1_000_000 + i);
        calls++;
      }
    }),
  );
  return calls / ((performance.now() - started) / 1000);
}

const median = (xs: readonly number[]) => percentile(xs, 50);

async function main() {
  // The SDK client (1.32) adds an abort listener to its transport's signal per request and
  // leaves them to GC: past 1,500, Node warns on every call, on stderr, inside the timings.
  setMaxListeners(0);
  const dir = mkdtempSync(join(tmpdir(), 'longhaul-bench-http-'));
  let longhaul: Awaited<ReturnType<typeof startLonghaul>> | undefined;
  let floor: Awaited<ReturnType<typeof startFloor>> | undefined;
  let floorR: Awaited<ReturnType<typeof startFloor>> | undefined;
  const conns: Conn[] = [];
  try {
    log('starting longhaul serve --http (built CLI, SQLite store in a temp dir) and the HTTP floors…');
    longhaul = await startLonghaul(dir);
    floor = await startFloor(false);
    floorR = await startFloor(true);

    const lh = await connectClient(longhaul.mcp);
    const fl = await connectClient(floor.mcp);
    const flr = await connectClient(floorR.mcp);
    conns.push(lh, fl, flr);
    const open = async (subject: string) => {
      const started = await lh.call('start_investigation', {
        subject,
        objective: `Check ${subject} before onboarding`,
        tasks: [{ role: 'compliance', instructions: 'Check the bank statements', waitFor: { signal: 'bank_data', timeout: '3d' } }],
      });
      return (started.structuredContent as { investigation: { investigationId: string } }).investigation.investigationId;
    };
    // Reads go to an investigation of a steady, ordinary size (a waiting task, FINDINGS
    // findings); writes go to another, which grows by every call of the run.
    const investigationId = await open('TechCorp');
    for (let i = 0; i < FINDINGS; i++) await lh.call('record_event', { investigationId, role: 'agent', kind: 'finding', text: `Finding ${i}: the 2024 filing was late by ${i + 3} days.` });
    const writtenId = await open('Northwind Trading');

    const get: Call = () => lh.call('get_investigation', { investigationId });
    let seq = 0;
    const record: Call = () => lh.call('record_event', { investigationId: writtenId, role: 'agent', kind: 'finding', text: `Finding ${seq++}: the payment to Northwind Trading was split in two.` });
    const ref: Call = () => fl.call('ref', { text: `Finding ${seq++}: the filing was late.` });
    const refR: Call = () => flr.call('ref', { text: `Finding ${seq++}: the filing was late.` });

    log(`warming up (${WARMUP} calls of each)…`);
    await time(WARMUP, get);
    await time(WARMUP, record);
    await time(WARMUP, ref);
    await time(WARMUP, refR);

    log(`concurrency 1: ${BLOCKS} blocks of ${BLOCK} get_investigation and record_event calls, each followed by ${BLOCK} floor calls…`);
    const c1 = { get: [] as number[], getFloor: [] as number[], record: [] as number[], recordFloor: [] as number[], resumable: [] as number[] };
    for (let b = 0; b < BLOCKS; b++) {
      c1.get.push(...(await time(BLOCK, get)));
      c1.getFloor.push(...(await time(BLOCK, ref)));
      c1.resumable.push(...(await time(BLOCK, refR)));
      c1.record.push(...(await time(BLOCK, record)));
      c1.recordFloor.push(...(await time(BLOCK, ref)));
    }

    log(`concurrency ${CONCURRENCY}: ${CONCURRENCY} clients (one MCP session each) per server, windows of ${WINDOW_MS / 1000} s, ${ROUNDS} rounds…`);
    const lhs: Conn[] = [];
    const fls: Conn[] = [];
    const flrs: Conn[] = [];
    for (let i = 0; i < CONCURRENCY; i++) {
      lhs.push(await connectClient(longhaul.mcp));
      fls.push(await connectClient(floor.mcp));
      flrs.push(await connectClient(floorR.mcp));
    }
    conns.push(...lhs, ...fls, ...flrs);
    // A short warm-up at this concurrency, for both.
    await throughput(lhs, 1_000, (c) => c.call('get_investigation', { investigationId }));
    await throughput(fls, 1_000, (c, i) => c.call('ref', { text: `Finding ${i}` }));
    await throughput(flrs, 1_000, (c, i) => c.call('ref', { text: `Finding ${i}` }));
    const c32 = { get: [] as number[], record: [] as number[], floor: [] as number[], resumable: [] as number[] };
    for (let r = 0; r < ROUNDS; r++) {
      c32.get.push(await throughput(lhs, WINDOW_MS, (c) => c.call('get_investigation', { investigationId })));
      c32.floor.push(await throughput(fls, WINDOW_MS, (c, i) => c.call('ref', { text: `Finding ${i}: the filing was late.` })));
      c32.resumable.push(await throughput(flrs, WINDOW_MS, (c, i) => c.call('ref', { text: `Finding ${i}: the filing was late.` })));
      c32.record.push(await throughput(lhs, WINDOW_MS, (c, i) => c.call('record_event', { investigationId: writtenId, role: 'agent', kind: 'finding', text: `Finding ${i}: the payment was split in two.` })));
      c32.floor.push(await throughput(fls, WINDOW_MS, (c, i) => c.call('ref', { text: `Finding ${i}: the filing was late.` })));
    }

    // The written investigation now holds every finding of the run: the state document's
    // cost as an investigation grows (it counts its findings: "showing 20 of N").
    const grownFindings = ((await lh.call('get_investigation', { investigationId: writtenId })).structuredContent as { findingsShown: string }).findingsShown;
    log(`get_investigation on the written investigation (${grownFindings}), alternating with the floor…`);
    const getGrown: Call = () => lh.call('get_investigation', { investigationId: writtenId });
    await time(BLOCK, getGrown);
    const grown = { get: [] as number[], floor: [] as number[] };
    for (let b = 0; b < BLOCKS / 2; b++) {
      grown.get.push(...(await time(BLOCK, getGrown)));
      grown.floor.push(...(await time(BLOCK, ref)));
    }

    const p = (xs: number[]) => ({ p50Ms: round(percentile(xs, 50)), p95Ms: round(percentile(xs, 95)) });
    const floorGet = p(c1.getFloor);
    const floorRecord = p(c1.recordFloor);
    const getP = p(c1.get);
    const recordP = p(c1.record);
    const floorTput = median(c32.floor);
    const resumableP = p(c1.resumable);
    const resumableTput = median(c32.resumable);
    const results = {
      when: new Date().toISOString(),
      node: process.version,
      cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
      setup: {
        longhaul: 'dist/cli.js serve --http, loopback, no credentials (local identity), SQLite store, access log to a file, rate limiter on',
        floor: 'McpServer + StreamableHTTPServerTransport (SSE responses, sessions) on node:http, one trivial tool, in its own process',
        resumableFloor: "the same with the SDK's InMemoryEventStore: resumable streams, so each POST stream opens with the priming event (MCP 2025-11-25) as longhaul's do",
        client: 'SDK Client + StreamableHTTPClientTransport (Node fetch, keep-alive), in the bench process',
        concurrency1: { blockCalls: BLOCK, blocks: BLOCKS, warmupCalls: WARMUP },
        concurrency32: { clients: CONCURRENCY, sessions: 'one MCP session per client', windowMs: WINDOW_MS, rounds: ROUNDS, inFlightPerClient: 1 },
      },
      concurrency1: {
        getInvestigation: { ...getP, floorP50Ms: floorGet.p50Ms, vsFloor: round(getP.p50Ms / floorGet.p50Ms, 2), target: '≤ 2× floor' },
        recordEvent: { ...recordP, floorP50Ms: floorRecord.p50Ms, vsFloor: round(recordP.p50Ms / floorRecord.p50Ms, 2), target: '≤ 2× floor' },
        floor: p([...c1.getFloor, ...c1.recordFloor]),
        resumableFloor: resumableP,
        vsResumableFloor: { getInvestigation: round(getP.p50Ms / resumableP.p50Ms, 2), recordEvent: round(recordP.p50Ms / resumableP.p50Ms, 2) },
        getInvestigationGrown: {
          ...p(grown.get),
          findings: grownFindings,
          floorP50Ms: round(percentile(grown.floor, 50)),
          vsFloor: round(percentile(grown.get, 50) / percentile(grown.floor, 50), 2),
          note: 'the written investigation after the run: every record_event call added a finding',
        },
      },
      concurrency32: {
        getInvestigation: { callsPerSecond: Math.round(median(c32.get)), rounds: c32.get.map(Math.round), vsFloor: round(median(c32.get) / floorTput, 2), target: '≥ 0.5× floor' },
        recordEvent: { callsPerSecond: Math.round(median(c32.record)), rounds: c32.record.map(Math.round), vsFloor: round(median(c32.record) / floorTput, 2) },
        floor: { callsPerSecond: Math.round(floorTput), rounds: c32.floor.map(Math.round) },
        resumableFloor: { callsPerSecond: Math.round(resumableTput), rounds: c32.resumable.map(Math.round), getInvestigationVs: round(median(c32.get) / resumableTput, 2) },
      },
    };

    const ok = (pass: boolean) => (pass ? 'meets goal' : 'MISSES goal');
    const r1 = results.concurrency1;
    const r32 = results.concurrency32;
    const rows: Array<[string, string, string, string]> = [
      ['measure', 'longhaul', 'vs the HTTP floor', 'goal'],
      ['get_investigation p50, concurrency 1', `${r1.getInvestigation.p50Ms} ms (p95 ${r1.getInvestigation.p95Ms})`, `${r1.getInvestigation.vsFloor}× (floor ${r1.getInvestigation.floorP50Ms} ms)`, ok(r1.getInvestigation.vsFloor <= 2)],
      ['record_event p50, concurrency 1', `${r1.recordEvent.p50Ms} ms (p95 ${r1.recordEvent.p95Ms})`, `${r1.recordEvent.vsFloor}× (floor ${r1.recordEvent.floorP50Ms} ms)`, ok(r1.recordEvent.vsFloor <= 2)],
      [`  get_investigation p50, ${grownFindings.replace(/ \(.*$/, '')}`, `${r1.getInvestigationGrown.p50Ms} ms`, `${r1.getInvestigationGrown.vsFloor}× (floor ${r1.getInvestigationGrown.floorP50Ms} ms)`, '—'],
      ['get_investigation, 32 clients', `${r32.getInvestigation.callsPerSecond} calls/s`, `${r32.getInvestigation.vsFloor}× (floor ${r32.floor.callsPerSecond} calls/s)`, ok(r32.getInvestigation.vsFloor >= 0.5)],
      ['record_event, 32 clients', `${r32.recordEvent.callsPerSecond} calls/s`, `${r32.recordEvent.vsFloor}×`, '—'],
      ['the resumable floor (priming event), concurrency 1', `${r1.resumableFloor.p50Ms} ms`, `get_investigation ${r1.vsResumableFloor.getInvestigation}×, record_event ${r1.vsResumableFloor.recordEvent}×`, '—'],
      ['the resumable floor, 32 clients', `${r32.resumableFloor.callsPerSecond} calls/s`, `get_investigation ${r32.resumableFloor.getInvestigationVs}×`, '—'],
    ];
    const w = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
    process.stdout.write('\n' + rows.map((row) => row.map((cell, i) => cell.padEnd(w[i]!)).join('  ')).join('\n') + '\n');
    writeFileSync(join(ROOT, 'bench/http.json'), JSON.stringify(results, null, 2) + '\n');
    process.stdout.write('\nwrote bench/http.json\n');
  } catch (e) {
    if (longhaul) log(`longhaul's stderr (tail):\n${longhaul.stderr()}`);
    throw e;
  } finally {
    await Promise.allSettled(conns.map((c) => c.close()));
    if (longhaul) await stop(longhaul.proc);
    if (floor) await stop(floor.proc);
    if (floorR) await stop(floorR.proc);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--floor') await floorServer(Number(process.argv[3]), process.argv[4] === '--resumable');
else await main();
