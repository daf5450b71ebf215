/** What the bench scripts share: connecting over stdio through the real SDK client, timing calls, percentiles. */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { systemClock } from '../src/domain/clock.js';
import { ACTOR, TENANT } from './preload.js';
import type { ReferenceMode } from './reference-modes.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Calls before measuring: a fresh server's p50 keeps falling (≈0.47 → 0.25 ms) over its first ~3,000 calls as V8 tiers up. */
export const WARMUP = 3_000;

export const percentile = (xs: readonly number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};
export const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
export const log = (s: string) => process.stderr.write(s + '\n');

export async function connect(command: string, args: string[], env: Record<string, string> = {}) {
  const transport = new StdioClientTransport({ command, args, cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4_000)));
  const client = new Client({ name: 'longhaul-bench', version: '1.0.0' });
  await client.connect(transport);
  const call = async (name: string, args: Record<string, unknown>) => {
    const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
    if (r.isError) throw new Error(`${name} failed: ${JSON.stringify(r.content)}\n${stderr}`);
    return r;
  };
  return { client, call, close: () => client.close() };
}
export type Connection = Awaited<ReturnType<typeof connect>>;

/** Times `n` sequential calls (ms each). */
export async function time(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    out.push(performance.now() - t0);
  }
  return out;
}

/** longhaul's own server (the built binary), serving stdio on the SQLite store in `dataDir`. */
export const longhaul = (dataDir: string, env: Record<string, string> = {}) =>
  connect(process.execPath, [join(ROOT, 'dist/cli.js'), 'serve'], { LONGHAUL_DATA_DIR: dataDir, LONGHAUL_TENANT: TENANT, LONGHAUL_ACTOR: ACTOR, LONGHAUL_LOG_LEVEL: 'warn', ...env });

/** A reference server (bench/reference-server.ts), warmed up, to call alongside longhaul. */
export async function referenceServer(mode: ReferenceMode) {
  const c = await connect(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/reference-server.ts'), mode]);
  const call = (i: number) => c.call('ref', { text: `Finding ${i}: the filing was late.` });
  await time(WARMUP, call);
  return { call, close: () => c.close() };
}
export type Reference = Awaited<ReturnType<typeof referenceServer>>;

/**
 * `n` calls of `subject` in blocks of `block`, each block followed by as many calls to
 * each reference server: the machine's state (frequency, caches, other load) drifts over
 * a run, and a ratio is only meaningful between calls measured side by side.
 */
export async function alternate(subject: (i: number) => Promise<unknown>, refs: readonly Reference[], n: number, block: number) {
  const ms: number[] = [];
  const alongside = refs.map(() => [] as number[]);
  for (let done = 0; done < n; done += block) {
    const k = Math.min(block, n - done);
    ms.push(...(await time(k, (i) => subject(done + i))));
    for (const [j, ref] of refs.entries()) alongside[j]!.push(...(await time(k, (i) => ref.call(done + i))));
  }
  return { ms, alongside };
}

/** A TCP port free on 127.0.0.1 right now (for a server the bench starts). */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });

/** p50 and p95 of a list of call times, rounded (ms). */
export const p50p95 = (ms: readonly number[]) => ({ p50Ms: round(percentile(ms, 50)), p95Ms: round(percentile(ms, 95)) });

/** The median of a few numbers (the middle one of three runs). */
export const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Prints rows as a padded text table on stdout (stderr carries progress). */
export function printTable(rows: ReadonlyArray<readonly string[]>): void {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  process.stdout.write('\n' + rows.map((row) => row.map((cell, i) => cell.padEnd(w[i]!)).join('  ').trimEnd()).join('\n') + '\n');
}

/**
 * Sets `key` in bench/results.json to `value`, keeping every other key: `npm run bench`'s
 * parts (run.ts, peer.ts, scale-100k.ts) each own a key and may run alone.
 */
export function mergeResults(key: string, value: unknown): void {
  const path = join(ROOT, 'bench/results.json');
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    // No results yet (or unreadable): start afresh.
  }
  all[key] = value;
  writeFileSync(path, JSON.stringify(all, null, 2) + '\n');
}

/** Where and when a figure was measured: the machine, for results.json and the README. */
export function machine() {
  const mem = readFileSync('/proc/meminfo', 'utf8').match(/MemTotal:\s+(\d+) kB/);
  return {
    when: new Date(systemClock.now()).toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    ramGiB: mem ? round(Number(mem[1]) / 1024 / 1024, 1) : null,
    loadAverage: loadavg().map((x) => round(x, 2)),
  };
}
