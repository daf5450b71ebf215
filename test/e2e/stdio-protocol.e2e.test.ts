import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, tempDir, waitFor } from './harness.js';

/**
 * The built server over stdio, spoken to raw (no SDK client): lines that are not JSON,
 * not JSON-RPC, or larger than a message may be must neither end the session nor put
 * anything but protocol on stdout. An oversized request is answered with an error for
 * its id, so the client does not wait for ever; the next request works.
 */
describe('longhaul serve over stdio: malformed and oversized input (raw protocol)', () => {
  const tmp = tempDir('longhaul-e2e-raw-');
  let child: ChildProcessWithoutNullStreams;
  let stdout = '';
  let stderr = '';
  let exited: number | null | undefined;
  const send = (line: string | Buffer) => child.stdin.write(line);
  const lines = () => stdout.split('\n').filter((l) => l !== '');
  const response = (id: number | string) => waitFor(async () => lines().map((l) => JSON.parse(l)).find((m) => m.id === id), 10_000, `the response to ${id}`, 20);

  beforeAll(async () => {
    child = spawn(process.execPath, [CLI, 'serve'], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LONGHAUL_DATA_DIR: tmp.dir, LONGHAUL_LOG_LEVEL: 'info' } });
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => (exited = code));
    send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1.0.0' } } }) + '\n');
    await response(1);
    send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
  });
  afterAll(() => {
    child.kill();
    tmp.cleanup();
  });

  it('ignores lines that are not JSON or not JSON-RPC, says so on stderr, and keeps serving', async () => {
    for (const junk of ['not json', '[1,2,3]', 'null', '{"jsonrpc":"2.0"}', '{"jsonrpc":"2.0","id":{},"method":"ping"}', '['.repeat(50_000)]) send(junk + '\n');
    send(Buffer.from([0xff, 0xfe, 0x0a]));
    send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'list_investigations', arguments: {} } }) + '\n');
    expect((await response(2)).result.structuredContent.total).toBe(0);
    expect(stderr).toMatch(/a message from the client is not JSON and was ignored/);
    expect(stderr).toMatch(/a message from the client is JSON but not a JSON-RPC message, and was ignored/);
  });

  it('drops a request over 10 MiB, answers its id with an error, and serves the next one', async () => {
    const big = JSON.stringify({ method: 'tools/call', params: { name: 'record_event', arguments: { investigationId: 'inv_' + '0'.repeat(30), role: 'agent', text: 'x', data: { blob: 'y'.repeat(11_000_000) } } }, jsonrpc: '2.0', id: 3 });
    send(big + '\n');
    const refused = await response(3);
    expect(refused.error.code).toBe(-32600);
    expect(refused.error.message).toMatch(new RegExp(`The message is ${Buffer.byteLength(big)} bytes; longhaul reads at most 10485760 bytes`));
    send(JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'start_investigation', arguments: { subject: 'After', objective: 'Still serving' } } }) + '\n');
    expect((await response(4)).result.structuredContent.investigation.subject).toBe('After');
    expect(stderr).toMatch(/"msg":"dropped a message over the size limit","bytes":\d+,"limit":10485760,"id":3/);
  });

  it('serves a message of exactly 10 MiB and refuses one a byte longer', async () => {
    const padded = (id: number, bytes: number) => {
      const base = JSON.stringify({ jsonrpc: '2.0', id, method: 'ping', params: { _meta: { pad: '' } } });
      return base.replace('"pad":""', `"pad":"${'p'.repeat(bytes - base.length)}"`);
    };
    send(padded(5, 10 * 1024 * 1024) + '\n');
    expect((await response(5)).result).toEqual({});
    send(padded(6, 10 * 1024 * 1024 + 1) + '\n');
    expect((await response(6)).error.code).toBe(-32600);
    send(JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ping' }) + '\n');
    expect((await response(7)).result).toEqual({});
  });

  it('wrote only JSON-RPC to stdout and is still running', () => {
    for (const l of lines()) expect(JSON.parse(l).jsonrpc).toBe('2.0');
    expect(exited).toBeUndefined();
  });
});
