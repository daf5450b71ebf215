/**
 * Fuzz (fast-check): tool inputs generated from each tool's input schema as tools/list
 * declares it (the JSON Schema of its zod shape), valid and mutated — wrong types, huge
 * strings, unicode, nested junk, missing and extra fields, known and foreign ids —
 * through the real SDK client to buildServer on a real SQLite file; then malformed
 * JSON-RPC lines written raw to a `serve` child's stdin, and malformed HTTP requests on a
 * raw socket to `serve --http` on every backend. Each is answered with a clear error (or
 * ignored where the spec says so), never an internal error; the server never exits; its
 * memory stays bounded.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ERROR_META_KEY } from '../../src/mcp/tool.js';
import { CLI } from '../e2e/harness.js';
import { alice, connect, makeApp } from '../mcp/helpers.js';
import { PROTOCOL } from '../transports/http/helpers.js';
import { A1, BACKENDS, rssBytes } from './backends.js';

const TOOL_INPUTS = Number(process.env.LONGHAUL_RELIABILITY_FUZZ_TOOLS ?? 10_000);
const JSONRPC_LINES = 2_000;
const HTTP_REQUESTS = Number(process.env.LONGHAUL_RELIABILITY_FUZZ_HTTP ?? 2_000);
const SEED = Number(process.env.LONGHAUL_RELIABILITY_SEED ?? Date.now() % 100_000);
/**
 * RSS bound of a server child after the storm: the process idles at about 100-150 MiB
 * (V8, SQLite or pg pools, the SDK); a message is capped at 10 MiB over stdio and 1 MiB
 * over HTTP and nothing malformed is kept, so the second half of a storm must not add
 * more than a few buffers' worth (GROWTH), and the whole never more than ABSOLUTE.
 */
const RSS_ABSOLUTE = 512 * 1024 * 1024;
const RSS_GROWTH = 48 * 1024 * 1024;

type Schema = { type?: string | string[]; properties?: Record<string, Schema>; required?: string[]; items?: Schema; enum?: unknown[]; minLength?: number; maxLength?: number; maxItems?: number; minimum?: number; maximum?: number; anyOf?: Schema[] };

/** Junk any field may get instead of its value. */
const junk = (ids: string[]): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constantFrom('', ' ', '\u0000', '\ud800', 'x'.repeat(100_001), '😀'.repeat(3_000), '..', '../../etc/passwd', '%2e%2e%2f', '*', '%', '_', '[', '?', 'Robert"); DROP TABLE events;--', 'NEAR(a b)', '"unbalanced'),
    fc.constantFrom(0, -1, 1.5, 1e308, Number.MAX_SAFE_INTEGER, true, false, null),
    fc.constantFrom(...ids),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.string({ unit: 'grapheme', maxLength: 100 }),
    fc.letrec<{ j: unknown }>((tie) => ({ j: fc.oneof({ depthSize: 'small' }, fc.integer(), fc.string({ maxLength: 10 }), fc.array(tie('j'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 8 }), tie('j'), { maxKeys: 4 })) })).j,
    fc.constant(Array.from({ length: 200 }, (_, i) => ({ d: i }))),
  );

/** An arbitrary for a JSON Schema node: a conforming value most of the time, junk otherwise. */
function fromSchema(s: Schema, ids: string[], words: string[]): fc.Arbitrary<unknown> {
  const j = junk(ids);
  const valid = ((): fc.Arbitrary<unknown> => {
    if (s.enum) return fc.constantFrom(...s.enum);
    if (s.anyOf) return fc.oneof(...s.anyOf.map((x) => fromSchema(x, ids, words)));
    const type = Array.isArray(s.type) ? s.type[0] : s.type;
    switch (type) {
      case 'string':
        return fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...ids, ...words) },
          { weight: 1, arbitrary: fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 40, 40) }) },
          { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }) },
        );
      case 'integer':
      case 'number':
        return fc.integer({ min: s.minimum ?? -5, max: Math.min(s.maximum ?? 600, 600) });
      case 'boolean':
        return fc.boolean();
      case 'array':
        return fc.array(s.items ? fromSchema(s.items, ids, words) : j, { maxLength: Math.min(s.maxItems ?? 4, 4) });
      case 'object': {
        const props = s.properties ?? {};
        const required = new Set(s.required ?? []);
        const record: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [k, v] of Object.entries(props)) record[k] = fromSchema(v, ids, words);
        const base = fc.record(record, { requiredKeys: [...required].filter((k) => k in record) });
        // Sometimes a required key goes missing, sometimes an unknown one appears.
        return fc.tuple(base, fc.option(fc.constantFrom(...Object.keys(props), '__proto__', 'constructor', 'tenantId')), fc.option(j)).map(([o, key, extra]) => {
          const out: Record<string, unknown> = { ...(o as object) };
          if (key && extra !== null) out[key] = extra;
          else if (key) delete out[key];
          return out;
        });
      }
      default:
        return j;
    }
  })();
  return fc.oneof({ weight: 15, arbitrary: valid }, { weight: 1, arbitrary: j });
}

const textOf = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join(' ');

describe('fuzz: generated tool inputs through the real client (buildServer on a real SQLite file)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'longhaul-relfuzz-'));
  const t = makeApp({ LONGHAUL_STORE: 'sqlite', LONGHAUL_DATA_DIR: dir });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`answers ${TOOL_INPUTS} generated tool inputs with a result or a clear error, never an internal one, and keeps what was written`, async () => {
    const a = await connect(t.app, alice);
    const canary = 'Canary finding: the Hanse ledger was booked on 3 March.';
    const s = await a.call('start_investigation', { subject: 'TechCorp', objective: 'Fuzz target', tasks: [{ role: 'compliance', instructions: 'Wait', waitFor: { signal: 'bank_data', timeout: '3d' } }] });
    const inv = s.investigation.investigationId as string;
    const ev = await a.call('record_event', { investigationId: inv, role: 'agent', kind: 'finding', text: canary });
    const ids = [inv, s.sessionId, ev.event.eventId, s.tasks[0].taskId, 'inv_' + '0'.repeat(30), 'ses_x', 'rec_' + 'Z'.repeat(26)];
    const words = ['retrieval', 'compliance', 'bank_data', 'agent', 'finding', '3d', 'PT1H', 'open', 'closed', 'completed', 'investigations/', `investigations/${inv}/facts`, 'actors/alice/preferences'];
    // forget_event and forget_actor erase by design (the canary's event id is among the generated
    // values), against this storm's rule that what was written stays: their own tests are test/runtime/erasure*.
    const tools = (await a.client.listTools()).tools.filter((x) => x.name !== 'forget_event' && x.name !== 'forget_actor');
    const arbitraries = tools.map((tool) => fromSchema(tool.inputSchema as Schema, ids, words).map((args) => ({ name: tool.name, args })));
    const call = fc.oneof(...arbitraries);
    const stats = { ok: 0, toolError: 0, protocolError: 0 };
    const codes = new Map<string, number>();
    const heapBefore = process.memoryUsage().heapUsed;
    await fc.assert(
      fc.asyncProperty(call, async ({ name, args }) => {
        try {
          const r = (await a.client.callTool({ name, arguments: args as Record<string, unknown> })) as CallToolResult;
          if (!r.isError) {
            stats.ok++;
            return;
          }
          stats.toolError++;
          const code = (r._meta?.[ERROR_META_KEY] as { code?: string } | undefined)?.code ?? 'schema';
          codes.set(code, (codes.get(code) ?? 0) + 1);
          expect(code, `${name}: ${textOf(r).slice(0, 300)}`).not.toBe('internal');
          expect(textOf(r).length).toBeGreaterThan(0);
        } catch (e) {
          // Arguments that are not an object at all fail the SDK's request schema: -32602, or
          // -32603 carrying the schema's message (the SDK's mapping, not a crash).
          stats.protocolError++;
          const code = (e as { code?: number }).code;
          expect([-32602, -32603], String(e)).toContain(code);
          if (code === -32603) expect(String(e)).toMatch(/expected|invalid/i);
        }
      }),
      { numRuns: TOOL_INPUTS, seed: SEED, endOnFailure: true },
    );
    // What was written before the storm is still there; the server still serves.
    const tl = await a.readJson(`longhaul://investigations/${inv}/timeline?limit=500`);
    const all: Array<{ eventId: string; text: string }> = [...tl.events];
    for (let cursor = tl.nextCursor; cursor; ) {
      const page = await a.readJson(`longhaul://investigations/${inv}/timeline?limit=500&cursor=${encodeURIComponent(cursor)}`);
      all.push(...page.events);
      cursor = page.nextCursor;
    }
    expect(all.find((e) => e.eventId === ev.event.eventId)?.text, `the canary event among ${all.length} (total ${tl.total})`).toBe(canary);
    await a.close();
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    console.info(`[reliability] fuzz tools: ${TOOL_INPUTS} generated inputs over ${tools.length} tools (seed ${SEED}): ${JSON.stringify(stats)}, error codes ${JSON.stringify(Object.fromEntries(codes))}; heap growth ${(heapGrowth / 2 ** 20).toFixed(0)} MiB`);
    expect(stats.ok + stats.toolError + stats.protocolError).toBe(TOOL_INPUTS);
    // The generator must reach the handlers, not only the schema check.
    expect(stats.ok).toBeGreaterThan(TOOL_INPUTS / 20);
  }, 300_000);
});

/** Malformed lines for a stdio server: [line, id it must be answered under or null]. */
function malformedLines(n: number): Array<[string, number | null]> {
  const rnd = fc.sample(fc.integer({ min: 0, max: 2 ** 31 }), { numRuns: n, seed: SEED });
  const deep = (k: number) => '['.repeat(k) + ']'.repeat(k);
  const out: Array<[string, number | null]> = [];
  for (let i = 0; i < n; i++) {
    const id = 10_000 + i;
    const r = rnd[i]!;
    const pick = [
      () => [`{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"record_event","arguments":`, null], // cut off
      () => [`{not json ${r}}`, null],
      () => [String(r), null],
      () => [`"a string ${r}"`, null],
      () => ['null', null],
      () => [deep(5_000), null],
      () => [JSON.stringify({ jsonrpc: '1.0', id, method: 'tools/list' }), null],
      () => [JSON.stringify({ jsonrpc: '2.0', id, method: `no/such/method/${r}` }), id],
      () => [JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: 'not an object' }), null], // not a JSON-RPC request the SDK accepts: dropped
      () => [JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'record_event', arguments: [1, 2] } }), id],
      () => [JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: `nope_${r}`, arguments: {} } }), id],
      () => [JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'get_investigation', arguments: { investigationId: { $ne: null } } } }), id],
      () => [JSON.stringify({ jsonrpc: '2.0', id, method: 'resources/read', params: { uri: `longhaul://investigations/../../${r}` } }), id],
      () => [JSON.stringify({ jsonrpc: '2.0', id, method: 'resources/read', params: { uri: 'x'.repeat(70_000) } }), id],
      () => [JSON.stringify({ jsonrpc: '2.0', id, method: 'completion/complete', params: { ref: { type: 'ref/resource', uri: 'longhaul://investigations/{investigationId}' }, argument: { name: 'investigationId', value: '%' } } }), id],
      () => [JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: r } }), null],
      () => [JSON.stringify({ jsonrpc: '2.0', method: `notifications/bogus/${r}` }), null],
      () => [JSON.stringify([{ jsonrpc: '2.0', id, method: 'ping' }, { jsonrpc: '2.0', id: id + 1e6, method: 'ping' }]), null],
      () => [JSON.stringify({ jsonrpc: '2.0', id: { obj: r }, method: 'ping' }), null],
      () => [JSON.stringify({ jsonrpc: '2.0', id, result: {} }), null], // a response to nothing
      () => [Buffer.from([0xff, 0xfe, 0x00, 0x41, r & 0xff]).toString('latin1'), null],
      () => [JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'record_event', arguments: { investigationId: 'inv_x', role: 'agent', text: 'y'.repeat(200_000) } } }), id],
    ][r % 22]!;
    out.push(pick() as [string, number | null]);
  }
  return out;
}

describe('fuzz: malformed JSON-RPC lines on a stdio server', () => {
  it(`answers or ignores ${JSONRPC_LINES} malformed lines as the spec says, keeps serving and stays under the RSS bound`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'longhaul-relfuzz-stdio-'));
    const child = spawn(process.execPath, [CLI, 'serve'], {
      env: { PATH: process.env.PATH ?? '', HOME: '/tmp', LONGHAUL_DATA_DIR: dir, LONGHAUL_LOG_LEVEL: 'error' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let exited: number | null | undefined;
    child.on('exit', (code) => (exited = code));
    child.stderr.resume();
    const answers = new Map<unknown, any>();
    const badStdout: string[] = [];
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const m = JSON.parse(line);
          if (m.jsonrpc !== '2.0') badStdout.push(line.slice(0, 200));
          if ('id' in m) answers.set(m.id, m);
        } catch {
          badStdout.push(line.slice(0, 200));
        }
      }
    });
    const send = (line: string) => new Promise<void>((r) => (child.stdin.write(line + '\n') ? r() : child.stdin.once('drain', r)));
    const until = async (id: number) => {
      for (let i = 0; i < 3_000 && !answers.has(id); i++) await new Promise((r) => setTimeout(r, 10));
      return answers.get(id);
    };
    try {
      await send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'fuzz', version: '0' } } }));
      expect((await until(1))?.result?.serverInfo?.name).toBeTruthy();
      await send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
      const lines = malformedLines(JSONRPC_LINES);
      let rssMid = 0;
      for (const [i, [line]] of lines.entries()) {
        await send(line);
        if (i === JSONRPC_LINES / 2) {
          await send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }));
          await until(2);
          rssMid = (await rssBytes(child.pid!)) ?? 0;
        }
      }
      await send(JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'list_investigations', arguments: {} } }));
      const last = await until(3);
      expect(last?.result?.structuredContent, JSON.stringify(last)).toMatchObject({ investigations: [] });
      const rssEnd = (await rssBytes(child.pid!)) ?? 0;
      expect(exited).toBeUndefined();
      expect(badStdout, 'stdout holds only JSON-RPC messages').toEqual([]);
      let answered = 0;
      const errorCodes = new Map<number, number>();
      for (const [line, id] of lines) {
        const a = answers.get(id);
        if (id === null) continue;
        // A request with a usable id is answered under it, with an error that says what is wrong.
        expect(a, `no answer to ${line.slice(0, 120)}`).toBeDefined();
        // A wildcard is no prefix of anything: completing '%' offers nothing.
        if (a.result?.completion) {
          expect(a.result.completion.values, line.slice(0, 160)).toEqual([]);
          answered++;
          continue;
        }
        const isToolError = a.result?.isError === true;
        expect(a.error || isToolError, `an error for ${line.slice(0, 120)}: ${JSON.stringify(a).slice(0, 200)}`).toBeTruthy();
        if (a.error) {
          errorCodes.set(a.error.code, (errorCodes.get(a.error.code) ?? 0) + 1);
          expect([-32600, -32601, -32602, -32603]).toContain(a.error.code);
          // The SDK answers params its request schema rejects with -32603 and the schema's
          // message: still a clear error naming what is wrong, never a bare "internal error".
          if (a.error.code === -32603) expect(a.error.message, line.slice(0, 120)).toMatch(/expected|invalid|required/i);
          expect(a.error.message.length).toBeGreaterThan(0);
        }
        answered++;
      }
      // Nothing was answered under an id nobody asked with, and no garbage got a result.
      const asked = new Set([1, 2, 3, ...lines.map(([, id]) => id).filter((x) => x !== null)]);
      for (const [id, a] of answers) if (!asked.has(id as number)) expect(a.error, `unexpected answer ${JSON.stringify(a).slice(0, 200)}`).toBeDefined();
      expect(rssEnd).toBeLessThan(RSS_ABSOLUTE);
      expect(rssEnd - rssMid).toBeLessThan(RSS_GROWTH);
      console.info(`[reliability] fuzz stdio: ${JSONRPC_LINES} malformed lines (seed ${SEED}), ${answered} answered with an error under their id (codes ${JSON.stringify(Object.fromEntries(errorCodes))}), the rest ignored; RSS ${(rssMid / 2 ** 20).toFixed(0)} → ${(rssEnd / 2 ** 20).toFixed(0)} MiB`);
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

/** One raw request on its own connection: the status line the server answered, or 'closed'. */
function rawRequest(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const sock = netConnect(port, '127.0.0.1');
    let got = '';
    const done = () => {
      sock.destroy();
      resolve(/^HTTP\/1\.[01] (\d{3})/.exec(got)?.[1] ?? 'closed');
    };
    sock.setTimeout(10_000, done);
    sock.on('data', (d) => {
      got += d.toString('latin1');
      if (/^HTTP\/1\.[01] \d{3}/.test(got)) done();
    });
    sock.on('error', done);
    sock.on('close', done);
    sock.write(bytes);
  });
}

function malformedHttp(n: number, token: string): Array<string | Buffer> {
  const rnd = fc.sample(fc.integer({ min: 0, max: 2 ** 31 }), { numRuns: n, seed: SEED + 7 });
  const h = (extra: string, body = '') =>
    `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
  return rnd.map((r) => {
    const k = r % 16;
    switch (k) {
      case 0:
        return `GARBAGE ${r}\r\n\r\n`;
      case 1:
        return `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -${r}\r\n\r\n`;
      case 2:
        return h('', `{"jsonrpc":"2.0","id":${r},"method":`);
      case 3:
        return h('', `[${'['.repeat(3_000)}`);
      case 4:
        return h('Mcp-Session-Id: ../../etc/passwd\r\n', JSON.stringify({ jsonrpc: '2.0', id: r, method: 'tools/list' }));
      case 5:
        return h('', JSON.stringify({ jsonrpc: '2.0', id: r, method: 'tools/list' })); // no session, not initialize
      case 6:
        return `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nzz\r\n`;
      case 7:
        return `GET /mcp/${'%2e%2e/'.repeat(20)} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;
      case 8:
        return `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: ${'a'.repeat(20_000)}\r\n\r\n`;
      case 9:
        return h('', Buffer.from([0xc3, 0x28, 0xff, 0xfe]).toString('latin1'));
      case 10:
        return `DELETE /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nMcp-Session-Id: ${'z'.repeat(5_000)}\r\nConnection: close\r\n\r\n`;
      case 11:
        return `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer lh_${r}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`;
      case 12:
        return `PATCH /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;
      case 13:
        return h('Content-Type: text/plain\r\n', 'hello');
      case 14:
        return `POST /hooks/signals/inv_${r}/bank%00data HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{x`;
      default:
        return h('', JSON.stringify({ jsonrpc: '2.0', id: r, method: 'initialize', params: { protocolVersion: 42, capabilities: 'x' } }));
    }
  });
}

describe.each(BACKENDS.map((b) => [b.name, b] as const))('fuzz: malformed HTTP requests on serve --http (%s)', (_name, backend) => {
  it(`answers ${HTTP_REQUESTS} malformed requests with a 4xx (or a closed connection for unparseable HTTP), never a 5xx; keeps serving under the RSS bound`, async () => {
    const d = await backend.deploy();
    try {
      const proc = await d.serveHttp();
      const port = Number(new URL(proc.url!).port);
      const reqs = malformedHttp(HTTP_REQUESTS, d.token(A1));
      const statuses = new Map<string, number>();
      let rssMid = 0;
      // Eight connections at a time.
      for (let i = 0; i < reqs.length; i += 8) {
        const got = await Promise.all(reqs.slice(i, i + 8).map((r) => rawRequest(port, r)));
        for (const [j, s] of got.entries()) {
          statuses.set(s, (statuses.get(s) ?? 0) + 1);
          if (process.env.LONGHAUL_RELIABILITY_TRACE) console.info(`${(i + j) % 16}: ${s}`);
          expect(s === 'closed' || /^4\d\d$/.test(s), `request ${i + j} answered ${s}: ${String(reqs[i + j]).slice(0, 160)}`).toBe(true);
        }
        if (i === HTTP_REQUESTS / 2) rssMid = (await rssBytes(proc.pid)) ?? 0;
      }
      const rssEnd = (await rssBytes(proc.pid)) ?? 0;
      expect(proc.exited()).toBe(false);
      const c = await d.connect(proc, A1);
      expect((await c.call('list_investigations', {})).investigations).toEqual([]);
      await c.close();
      expect(rssEnd).toBeLessThan(RSS_ABSOLUTE);
      expect(rssEnd - rssMid).toBeLessThan(RSS_GROWTH);
      console.info(`[reliability] fuzz http ${backend.name}: ${HTTP_REQUESTS} malformed requests (seed ${SEED + 7}): ${JSON.stringify(Object.fromEntries(statuses))}; RSS ${(rssMid / 2 ** 20).toFixed(0)} → ${(rssEnd / 2 ** 20).toFixed(0)} MiB`);
    } finally {
      await d.cleanup();
    }
  }, 180_000);
});
