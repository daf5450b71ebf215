import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, freePort, tempDir, waitFor } from './harness.js';

/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance 0.1.13, a dev
 * dependency; later versions need Node 22) against the built `longhaul serve --http` on
 * a fresh data dir: loopback, no credentials, so every request is the local identity.
 * Each scenario runs in a process of its own and must pass every check (a warning is
 * reported, not failed).
 */
const SCENARIOS = [
  'server-initialize',
  'logging-set-level',
  'ping',
  'tools-list',
  'resources-list',
  'prompts-list',
  'resources-subscribe',
  'resources-unsubscribe',
  'server-sse-multiple-streams',
  'dns-rebinding-protection',
] as const;

const CONFORMANCE = fileURLToPath(new URL('../../node_modules/@modelcontextprotocol/conformance/dist/index.js', import.meta.url));

interface Check {
  id: string;
  name: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | string;
  description?: string;
  errorMessage?: string;
}


/** Runs one scenario; resolves with its exit code, output and the checks it saved. */
function runScenario(url: string, scenario: string, outDir: string): Promise<{ code: number | null; output: string; checks: Check[] }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CONFORMANCE, 'server', '--url', url, '--scenario', scenario, '-o', outDir], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
    proc.once('error', reject);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      let checks: Check[] = [];
      try {
        const dir = readdirSync(outDir).find((d) => d.startsWith(`server-${scenario}-`));
        if (dir) checks = JSON.parse(readFileSync(join(outDir, dir, 'checks.json'), 'utf8')) as Check[];
      } catch {
        // No results saved: the exit code and the output tell why.
      }
      resolve({ code, output, checks });
    });
  });
}

describe('MCP conformance suite 0.1.13 against serve --http', () => {
  const { dir, cleanup } = tempDir('longhaul-conformance-');
  let proc: ChildProcess;
  let url = '';
  let stderr = '';
  let exited: Promise<number | null>;

  beforeAll(async () => {
    const port = await freePort();
    proc = spawn(process.execPath, [CLI, 'serve', '--http', '--port', String(port)], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LONGHAUL_DATA_DIR: join(dir, 'data'), LONGHAUL_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8_000)));
    exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/healthz`).catch(() => null))?.ok, 15_000, `serve --http on ${port} (stderr: ${stderr})`, 100);
    url = `${base}/mcp`;
  }, 30_000);

  afterAll(async () => {
    if (proc && proc.exitCode === null) {
      proc.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 10_000))]);
      if (code === 'timeout') proc.kill('SIGKILL');
    }
    cleanup();
  });

  it.concurrent.each(SCENARIOS)('passes %s', async (scenario) => {
    const r = await runScenario(url, scenario, join(dir, 'results', scenario));
    const failed = r.checks.filter((c) => c.status === 'FAILURE');
    expect(failed.map((c) => `${c.name}: ${c.errorMessage ?? c.description ?? ''}`), r.output).toEqual([]);
    expect(r.checks.filter((c) => c.status === 'SUCCESS').length, r.output).toBeGreaterThan(0);
    expect(r.code, r.output).toBe(0);
  }, 90_000);
});
