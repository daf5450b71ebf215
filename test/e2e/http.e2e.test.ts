import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, connectHttp, post, PROTOCOL, rawHttp, rawSession, toolCall } from '../transports/http/helpers.js';
import { CLI, freePort, runCli, tempDir, waitFor } from './harness.js';


interface Served {
  proc: ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

async function serveHttp(env: Record<string, string>): Promise<Served> {
  const port = await freePort();
  const proc = spawn(process.execPath, [CLI, 'serve', '--http', '--port', String(port)], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LONGHAUL_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/healthz`).catch(() => null))?.ok, 15_000, `serve --http on ${port} (stderr: ${err})`, 100);
  return { proc, url, stderr: () => err, exited };
}

describe('longhaul serve --http (built CLI)', () => {
  const { dir, cleanup } = tempDir();
  const tokensFile = join(dir, 'secrets', 'tokens.json');
  const env = { LONGHAUL_DATA_DIR: dir, LONGHAUL_TOKENS_FILE: tokensFile };
  let alice = '';
  let bob = '';
  let s: Served;

  beforeAll(async () => {
    const a = runCli(['token', 'create', '--tenant', 'acme', '--actor', 'alice'], env);
    expect(a.code, a.stderr).toBe(0);
    alice = a.stdout.trim();
    const b = runCli(['token', 'create', '--tenant', 'acme', '--actor', 'bob', '--scopes', 'read'], env);
    bob = b.stdout.trim();
    s = await serveHttp(env);
  }, 60_000);
  afterAll(async () => {
    if (s && s.proc.exitCode === null) {
      s.proc.kill('SIGKILL');
      await s.exited;
    }
    cleanup();
  });

  describe('token command', () => {
    it('prints a new token once and keeps only its hash, in a 0600 file', () => {
      expect(alice).toMatch(/^lh_[A-Za-z0-9_-]{43}$/);
      const text = readFileSync(tokensFile, 'utf8');
      expect(text).not.toContain(alice);
      expect(JSON.parse(text).tokens).toHaveLength(2);
      expect(statSync(tokensFile).mode & 0o777).toBe(0o600);
    });

    it('lists tenant, actor, scopes and a hash prefix, never a token', () => {
      const l = runCli(['token', 'list'], env);
      expect(l.code).toBe(0);
      expect(l.stdout).toMatch(/acme\s+alice\s+read,write/);
      expect(l.stdout).toMatch(/acme\s+bob\s+read\b/);
      expect(l.stdout).not.toContain(alice);
      expect(l.stdout).not.toContain(bob);
      const json = JSON.parse(runCli(['token', 'list', '--json'], env).stdout);
      expect(json[0]).toMatchObject({ tenant: 'acme', actor: 'alice', scopes: ['read', 'write'] });
      expect(json[0].hash).toMatch(/^[0-9a-f]{12}$/);
    });

    it('explains what it needs', () => {
      const r = runCli(['token', 'create', '--tenant', 'acme'], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--tenant T and --actor A');
      const noFile = runCli(['token', 'list'], { LONGHAUL_DATA_DIR: dir });
      expect(noFile.code).toBe(2);
      expect(noFile.stderr).toContain('--tokens-file');
    });
  });

  it('serves the real SDK client with a token, and answers 401 without one', async () => {
    const c = await connectHttp(`${s.url}/mcp`, alice);
    try {
      const r = await c.call('start_investigation', { subject: 'TechCorp', objective: 'Check TechCorp before onboarding' });
      const got = await c.call('get_investigation', { investigationId: r.investigation.investigationId });
      expect(got.investigation.subject).toBe('TechCorp');
    } finally {
      await c.close();
    }
    const none = await post(`${s.url}/mcp`, toolCall(1, 'list_investigations', {}));
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain(`resource_metadata="${s.url}/.well-known/oauth-protected-resource/mcp"`);
    expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
  });

  it('refuses a token revoked with the CLI while the server runs', async () => {
    const sid = await rawSession(`${s.url}/mcp`, bearer(bob));
    const prefix = (JSON.parse(runCli(['token', 'list', '--json'], env).stdout) as Array<{ actor: string; hash: string }>).find((t) => t.actor === 'bob')!.hash;
    const r = runCli(['token', 'revoke', prefix], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Revoked');
    const after = await post(`${s.url}/mcp`, toolCall(2, 'list_investigations', {}), { ...bearer(bob), 'mcp-session-id': sid });
    expect(after.status).toBe(401);
  });

  it('on SIGTERM finishes the call in flight, then exits 0', async () => {
    const mcp = `${s.url}/mcp`;
    const sid = await rawSession(mcp, bearer(alice));
    const body = JSON.stringify(toolCall(3, 'start_investigation', { subject: 'Globex', objective: 'Started as the server stops' }));
    const half = Math.floor(body.length / 2);
    const r = await rawHttp(mcp, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sid, 'mcp-protocol-version': PROTOCOL, ...bearer(alice) },
      chunks: [body.slice(0, half), body.slice(half)],
      between: async () => {
        await new Promise((res) => setTimeout(res, 200));
        s.proc.kill('SIGTERM');
        await new Promise((res) => setTimeout(res, 300));
      },
    });
    expect(r.status).toBe(200);
    expect(r.body).toContain('Globex');
    expect(await s.exited).toBe(0);
    expect(s.stderr()).toContain('"msg":"stopping"');
    // Secrets never reach the logs.
    expect(s.stderr()).not.toContain(alice);
    expect(s.stderr()).not.toContain(bob);
    expect(s.stderr().toLowerCase()).not.toContain('authorization');
    expect(s.stderr()).toContain('"msg":"http"');
  }, 30_000);

  it('refuses to bind a non-loopback address without credentials (exit 2)', () => {
    const r = runCli(['serve', '--http', '--host', '0.0.0.0', '--port', '0'], { LONGHAUL_DATA_DIR: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Refusing to serve HTTP on 0.0.0.0');
    expect(r.stderr).toContain('LONGHAUL_TOKENS_FILE');
  });

  it('refuses a non-loopback public URL without credentials (exit 2)', () => {
    const r = runCli(['serve', '--http', '--port', '0'], { LONGHAUL_DATA_DIR: dir, LONGHAUL_HTTP_PUBLIC_URL: 'https://longhaul.example.com' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Refusing to serve HTTP at the public URL https://longhaul.example.com');
    expect(r.stderr).toContain('LONGHAUL_TOKENS_FILE');
  });
});
