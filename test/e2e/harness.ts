import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** The built server, as `npm install` leaves it (npm test builds first). */
export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export function tempDir(prefix = 'longhaul-e2e-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Running {
  client: Client;
  transport: StdioClientTransport;
  pid: number;
  stderr: () => string;
  /** Calls a tool and returns its structuredContent, failing on isError. */
  call<T = Record<string, any>>(name: string, args: Record<string, unknown>): Promise<T>;
  /** Calls a tool that is expected to fail; returns the result. */
  callRaw(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  readJson<T = any>(uri: string): Promise<T>;
  close(): Promise<void>;
  kill9(): void;
}

/** Spawns `longhaul serve` over stdio on `dataDir` and connects the real SDK client. */
export async function startServer(dataDir: string, env: Record<string, string> = {}): Promise<Running> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'serve'],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LONGHAUL_DATA_DIR: dataDir, LONGHAUL_LOG_LEVEL: 'info', ...env },
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const client = new Client({ name: 'longhaul-e2e', version: '1.0.0' });
  await client.connect(transport);
  const pid = transport.pid!;
  const callRaw = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;
  return {
    client,
    transport,
    pid,
    stderr: () => err,
    callRaw,
    async call(name, args) {
      const r = await callRaw(name, args);
      if (r.isError) throw new Error(`${name} failed: ${JSON.stringify(r.content)}`);
      return r.structuredContent as any;
    },
    async readJson(uri) {
      const r = await client.readResource({ uri });
      const c = r.contents[0] as { text: string };
      return JSON.parse(c.text);
    },
    close: () => client.close(),
    kill9() {
      process.kill(pid, 'SIGKILL');
    },
  };
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs: number, what: string, everyMs = 200): Promise<T> {
  const end = performance.now() + timeoutMs;
  let last: unknown;
  while (performance.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

/** Runs the CLI to completion (e.g. `longhaul signal …`). */
export function runCli(args: string[], env: Record<string, string>, input?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    input,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** True once a process id no longer exists. */
export function isDead(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

/** A TCP port free on 127.0.0.1 right now (for a server the test starts). */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
