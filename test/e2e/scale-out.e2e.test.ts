/**
 * Several instances: two built `serve --http` processes on one PostgreSQL schema and one
 * Redis prefix (the local servers, a schema and a prefix of this run's own), driven by the
 * real SDK client. And the faults, on servers this file starts for itself (the shared
 * ones are never stopped): PostgreSQL restarting under one instance, Redis going away
 * under another.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, connectHttp, post, rawSession, toolCall, type HttpClient } from '../transports/http/helpers.js';
import { freePort, runCli, tempDir, waitFor } from './harness.js';
import { deleteRedisPrefix, dropSchema, instance, passes, PG_URL, REDIS_URL, stop, withParam, type Instance } from './http-instances.js';

const RUN = `${process.pid}_${Date.now().toString(36)}`;

const investigation = (c: HttpClient, subject: string) =>
  c.call('start_investigation', {
    subject,
    objective: `Check ${subject} before onboarding`,
    tasks: [{ role: 'compliance', instructions: 'Check the bank statements', waitFor: { signal: 'bank_data', timeout: '3d' } }],
  }) as Promise<{ investigation: { investigationId: string } }>;

describe('two serve --http instances on one PostgreSQL and one Redis', () => {
  const { dir, cleanup } = tempDir('longhaul-scale-');
  const schema = `lh_e2e_${RUN}`;
  const prefix = `lhtest:e2e:${RUN}:`;
  const tokens = join(dir, 'tokens.json');
  const shared = {
    LONGHAUL_STORE: withParam(PG_URL, 'schema', schema),
    LONGHAUL_REDIS_URL: withParam(REDIS_URL, 'prefix', prefix),
    LONGHAUL_TOKENS_FILE: tokens,
    LONGHAUL_SWEEP_INTERVAL: '1s',
    LONGHAUL_EXTRACTION_INTERVAL: '1s',
  };
  let alice = '';
  let globex = '';
  let a: Instance | undefined;
  let b: Instance | undefined;
  const clients: HttpClient[] = [];
  let tickWindow: { at: number; a: number; b: number };

  beforeAll(async () => {
    alice = runCli(['token', 'create', '--tenant', 'acme', '--actor', 'alice'], shared).stdout.trim();
    globex = runCli(['token', 'create', '--tenant', 'globex', '--actor', 'gina'], shared).stdout.trim();
    expect(alice).toMatch(/^lh_/);
    // Both start at once: the migrations run once, under the advisory lock.
    [a, b] = await Promise.all([instance({ ...shared, LONGHAUL_DATA_DIR: join(dir, 'a') }), instance({ ...shared, LONGHAUL_DATA_DIR: join(dir, 'b') })]);
    tickWindow = { at: Date.now(), a: await passes(a, alice, 'lifecycle'), b: await passes(b, alice, 'lifecycle') };
  }, 90_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled([stop(a), stop(b)]);
    await dropSchema(schema).catch(() => undefined);
    await deleteRedisPrefix(prefix).catch(() => undefined);
    cleanup();
  }, 60_000);

  it('a subscriber on instance B hears of a signal delivered on instance A', async () => {
    const onA = await connectHttp(a!.mcp, alice);
    const onB = await connectHttp(b!.mcp, alice);
    clients.push(onA, onB);
    const inv = (await investigation(onA, 'TechCorp')).investigation.investigationId;
    const uri = `longhaul://investigations/${inv}`;
    await onB.client.subscribeResource({ uri });
    const r = await fetch(`${a!.url}/hooks/signals/${inv}/bank_data`, {
      method: 'POST',
      headers: { ...bearer(alice), 'content-type': 'application/json', 'idempotency-key': 'bank-msg-1' },
      body: JSON.stringify({ rows: 3 }),
    });
    expect(r.status, await r.clone().text()).toBe(202);
    await waitFor(async () => onB.updated.includes(uri), 5_000, `resources/updated for ${uri} on instance B`, 50);
    // What A wrote, B reads: one system of record.
    const state = await onB.call('get_investigation', { investigationId: inv });
    expect(state.signals.map((s: { name: string }) => s.name)).toEqual(['bank_data']);
    // The same delivery again, on B: the idempotency key holds across instances.
    const again = await fetch(`${b!.url}/hooks/signals/${inv}/bank_data`, {
      method: 'POST',
      headers: { ...bearer(alice), 'content-type': 'application/json', 'idempotency-key': 'bank-msg-1' },
      body: JSON.stringify({ rows: 3 }),
    });
    expect(again.status).toBe(202);
    expect((await again.json()).duplicate).toBe(true);
  }, 30_000);

  it('an MCP session stays on the instance that opened it: another instance answers 404, and the client opens a new session there', async () => {
    const sid = await rawSession(a!.mcp, bearer(alice));
    const elsewhere = await post(b!.mcp, toolCall(2, 'list_investigations', { limit: 1 }), { ...bearer(alice), 'mcp-session-id': sid });
    expect(elsewhere.status).toBe(404);
    const json = await elsewhere.json();
    expect(json.error.message).toMatch(/Session not found/);
    const here = await post(a!.mcp, toolCall(2, 'list_investigations', { limit: 1 }), { ...bearer(alice), 'mcp-session-id': sid });
    expect(here.status).toBe(200);
    await here.text();
  });

  it('longhaul migrate finds the schema up to date, and longhaul status reads PostgreSQL', async () => {
    const m = runCli(['migrate'], shared);
    expect(m.code, m.stderr).toBe(0);
    expect(m.stdout).toMatch(new RegExp(`schema ${schema}\\) is up to date`));
    const st = runCli(['status'], { ...shared, LONGHAUL_DATA_DIR: join(dir, 'cli') });
    expect(st.code, st.stderr).toBe(0);
    expect(st.stdout).toContain(`(schema ${schema})`);
    expect(st.stdout).toMatch(/open investigations: [1-9]/);
  });

  it("keeps tenants apart across instances: globex sees nothing of acme's", async () => {
    const g = await connectHttp(b!.mcp, globex);
    clients.push(g);
    const page = await g.call('list_investigations', { limit: 50 });
    expect(page.investigations).toEqual([]);
  });

  it('a client whose instance dies reconnects to the other and finds everything acknowledged', async () => {
    const onA = await connectHttp(a!.mcp, alice);
    const inv = (await investigation(onA, 'Northwind Trading')).investigation.investigationId;
    const acknowledged: string[] = [];
    for (let i = 0; i < 25; i++) {
      const text = `Finding ${i}: the payment to Northwind was split in two.`;
      await onA.call('record_event', { investigationId: inv, role: 'agent', kind: 'finding', text });
      acknowledged.push(text);
    }
    a!.proc.kill('SIGKILL');
    await a!.exited;
    await onA.close().catch(() => undefined);
    const onB = await connectHttp(b!.mcp, alice);
    clients.push(onB);
    const timeline = await onB.client.readResource({ uri: `longhaul://investigations/${inv}/timeline` });
    const text = (timeline.contents[0] as { text: string }).text;
    for (const t of acknowledged) expect(text).toContain(t);
    const state = await onB.call('get_investigation', { investigationId: inv });
    expect(state.findingsShown).toMatch(/of 25 findings/);
    // B goes on alone: its scheduler now runs every tick.
    a = await instance({ ...shared, LONGHAUL_DATA_DIR: join(dir, 'a') });
    tickWindow = { at: Date.now(), a: await passes(a, alice, 'lifecycle'), b: await passes(b!, alice, 'lifecycle') };
  }, 60_000);

  it('runs each lifecycle tick once across the two instances for 60 one-second ticks', async () => {
    const window = 62_000;
    const left = tickWindow.at + window - Date.now();
    if (left > 0) await new Promise((r) => setTimeout(r, left));
    const seconds = (Date.now() - tickWindow.at) / 1000;
    const pa = (await passes(a!, alice, 'lifecycle')) - tickWindow.a;
    const pb = (await passes(b!, alice, 'lifecycle')) - tickWindow.b;
    // One pass per one-second tick whichever instance won it: about `seconds` in all.
    // Without the coordinator each instance would run every tick (about 2 × seconds);
    // test/store/redis shows that negative control with the coordinator switched off.
    expect(pa + pb, `a ${pa}, b ${pb} passes in ${seconds.toFixed(1)} s`).toBeLessThanOrEqual(Math.ceil(seconds) + 2);
    expect(pa + pb, `a ${pa}, b ${pb} passes in ${seconds.toFixed(1)} s`).toBeGreaterThanOrEqual(Math.floor(seconds * 0.8));
  }, 90_000);
});

// ---------------------------------------------------------------------------- faults

const PG_BIN = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'].find((d) => existsSync(join(d, 'initdb')));

/** A PostgreSQL cluster of this test's own (initdb as the postgres user: initdb refuses root). */
class PrivatePostgres {
  readonly port: number;
  readonly dir: string;
  constructor(port: number, dir: string) {
    this.port = port;
    this.dir = dir;
  }
  private run(cmd: string, args: string[]) {
    const asRoot = process.getuid?.() === 0;
    const r = asRoot ? spawnSync('runuser', ['-u', 'postgres', '--', join(PG_BIN!, cmd), ...args], { encoding: 'utf8' }) : spawnSync(join(PG_BIN!, cmd), args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.stdout || r.error?.message}`);
  }
  static async create(root: string): Promise<PrivatePostgres> {
    if (!PG_BIN) throw new Error('PostgreSQL server binaries (initdb) not found under /usr/lib/postgresql/*/bin: install Debian\'s postgresql (.ci/run does)');
    const dir = join(root, 'pgdata');
    mkdirSync(root, { recursive: true });
    if (process.getuid?.() === 0) {
      // The server runs as postgres: it must reach its directory through the test's temp dir (0700 root).
      chmodSync(dirname(root), 0o711);
      spawnSync('chown', ['-R', 'postgres', root]);
    }
    const p = new PrivatePostgres(await freePort(), dir);
    p.run('initdb', ['-D', dir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    p.start();
    return p;
  }
  get url() {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }
  start() {
    this.run('pg_ctl', ['-D', this.dir, '-w', '-t', '30', '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-l', join(this.dir, 'log'), 'start']);
  }
  stop() {
    this.run('pg_ctl', ['-D', this.dir, '-w', '-m', 'fast', 'stop']);
  }
  destroy() {
    try {
      this.stop();
    } catch {
      /* already stopped */
    }
  }
}

/** A Redis server of this test's own, without persistence. */
class PrivateRedis {
  proc: ChildProcess | null = null;
  constructor(readonly port: number) {}
  static async create(): Promise<PrivateRedis> {
    const r = new PrivateRedis(await freePort());
    await r.start();
    return r;
  }
  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start() {
    if (!existsSync('/usr/bin/redis-server') && spawnSync('which', ['redis-server']).status !== 0) throw new Error('redis-server not found: install Debian\'s redis-server (.ci/run does)');
    this.proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitFor(
      () =>
        new Promise<boolean>((resolve) => {
          const s = connect(this.port, '127.0.0.1');
          s.once('connect', () => (s.destroy(), resolve(true)));
          s.once('error', () => resolve(false));
        }),
      10_000,
      `redis-server on ${this.port}`,
      50,
    );
  }
  async kill() {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }
}

describe('faults', () => {
  const { dir, cleanup } = tempDir('longhaul-faults-');
  const tokens = join(dir, 'tokens.json');
  let alice = '';
  let privatePg: PrivatePostgres | undefined;
  let privateRedis: PrivateRedis | undefined;
  const schema = `lh_e2e_faults_${RUN}`;
  const instances: Instance[] = [];
  const clients: HttpClient[] = [];

  beforeAll(() => {
    alice = runCli(['token', 'create', '--tenant', 'acme', '--actor', 'alice'], { LONGHAUL_TOKENS_FILE: tokens }).stdout.trim();
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled(instances.map((i) => stop(i)));
    privatePg?.destroy();
    await privateRedis?.kill();
    await dropSchema(schema).catch(() => undefined);
    cleanup();
  }, 60_000);

  it('PostgreSQL restarting: calls fail with storage_unavailable and a retry hint, nothing half-written, and the server recovers by itself', async () => {
    privatePg = await PrivatePostgres.create(join(dir, 'pg'));
    const i = await instance({ LONGHAUL_STORE: privatePg.url, LONGHAUL_TOKENS_FILE: tokens, LONGHAUL_DATA_DIR: join(dir, 'pg-instance') });
    instances.push(i);
    const c = await connectHttp(i.mcp, alice);
    clients.push(c);
    const inv = (await investigation(c, 'TechCorp')).investigation.investigationId;
    await c.call('record_event', { investigationId: inv, role: 'agent', kind: 'finding', text: 'Before the restart.' });

    privatePg.stop();
    const failed = await c.callRaw('record_event', { investigationId: inv, role: 'agent', kind: 'finding', text: 'While PostgreSQL is down.' });
    expect(failed.isError).toBe(true);
    const text = (failed.content[0] as { text: string }).text;
    expect(text).toMatch(/^\[storage_unavailable\] /);
    expect(text).toMatch(/retry|try again/i);
    expect((await fetch(`${i.url}/readyz`)).status).toBe(503);

    privatePg.start();
    await waitFor(async () => (await fetch(`${i.url}/readyz`)).ok, 20_000, 'readyz after PostgreSQL came back', 200);
    await waitFor(
      async () => !(await c.callRaw('record_event', { investigationId: inv, role: 'agent', kind: 'finding', text: 'After the restart.' })).isError,
      20_000,
      'record_event after PostgreSQL came back',
      250,
    );
    const timeline = (await c.client.readResource({ uri: `longhaul://investigations/${inv}/timeline` })).contents[0] as { text: string };
    expect(timeline.text).toContain('Before the restart.');
    expect(timeline.text).toContain('After the restart.');
    expect(timeline.text).not.toContain('While PostgreSQL is down.');
    expect(i.proc.exitCode).toBeNull();
  }, 120_000);

  it('an instance killed mid-task: its task lease expires and another instance finishes the task, exactly once', async () => {
    const schema2 = `lh_e2e_takeover_${RUN}`;
    const docs = join(dir, 'docs');
    mkdirSync(docs, { recursive: true });
    writeFileSync(join(docs, 'payments.md'), '# Payments 2024\n\nTechCorp received a payment of 48,000 EUR from Northwind Trading on 14 March 2024 for consulting.\n');
    // A model that never answers: instance A's worker waits on it, mid-task, until A dies.
    let modelCalls = 0;
    const stall = createHttpServer((req) => {
      modelCalls++;
      req.resume(); // never answered
    });
    await new Promise<void>((r) => stall.listen(0, '127.0.0.1', () => r()));
    const stallUrl = `http://127.0.0.1:${(stall.address() as { port: number }).port}/v1`;
    const takeoverTokens = join(dir, 'takeover-tokens.json');
    const token = runCli(['token', 'create', '--tenant', 'acme', '--actor', 'alice'], { LONGHAUL_TOKENS_FILE: takeoverTokens }).stdout.trim();
    const common = {
      LONGHAUL_STORE: withParam(PG_URL, 'schema', schema2),
      LONGHAUL_TOKENS_FILE: takeoverTokens,
      LONGHAUL_TENANT: 'acme',
      LONGHAUL_SOURCES: docs,
      LONGHAUL_TASK_LEASE: '2s',
      LONGHAUL_SWEEP_INTERVAL: '1s',
    };
    try {
      const a = await instance({ ...common, LONGHAUL_DATA_DIR: join(dir, 'takeover-a'), LONGHAUL_MODEL: `openai:${stallUrl}` });
      instances.push(a);
      const ca = await connectHttp(a.mcp, token);
      clients.push(ca);
      await waitFor(async () => {
        const r = await ca.client.readResource({ uri: 'longhaul://sources' });
        const j = JSON.parse((r.contents[0] as { text: string }).text);
        return j.sources?.[0]?.documents > 0;
      }, 20_000, 'the sources indexed on A', 200);
      const started = await ca.call('start_investigation', {
        subject: 'TechCorp',
        objective: 'Check TechCorp before onboarding',
        tasks: [{ role: 'retrieval', instructions: 'Find internal documents about TechCorp payments from Northwind Trading' }],
      });
      const inv = started.investigation.investigationId;
      await waitFor(async () => modelCalls > 0, 20_000, "A's worker calling the model mid-task", 100);
      const running = await ca.call('get_investigation', { investigationId: inv });
      expect(running.tasks[0].status).toBe('running');
      a.proc.kill('SIGKILL');
      await a.exited;

      const b = await instance({ ...common, LONGHAUL_DATA_DIR: join(dir, 'takeover-b') });
      instances.push(b);
      const cb = await connectHttp(b.mcp, token);
      clients.push(cb);
      const done = await waitFor(async () => {
        const st = await cb.call('get_investigation', { investigationId: inv });
        return st.tasks[0].status === 'completed' ? st : null;
      }, 30_000, 'the task finished on B', 250);
      const task = done.tasks[0];
      expect(task.attempts).toBe(2);
      expect(JSON.stringify(task.result)).toContain('Northwind');
      // Exactly once: one completion in the timeline, written by B's worker.
      const tl = await cb.client.readResource({ uri: `longhaul://investigations/${inv}/timeline` });
      const events = JSON.parse((tl.contents[0] as { text: string }).text).events as Array<{ kind: string; text: string; data?: { taskId?: string; status?: string } }>;
      const completions = events.filter((e) => e.kind === 'status' && e.data?.taskId === task.taskId && e.data?.status === 'completed');
      expect(completions, JSON.stringify(events.map((e) => e.text))).toHaveLength(1);
      expect(modelCalls).toBe(1); // B runs without a model: A's call was the only one
    } finally {
      stall.closeAllConnections();
      stall.close();
      await dropSchema(schema2).catch(() => undefined);
    }
  }, 120_000);

  it('Redis down: durable work goes on, /readyz says what is degraded, and Redis coming back is picked up', async () => {
    privateRedis = await PrivateRedis.create();
    const i = await instance({
      LONGHAUL_STORE: withParam(PG_URL, 'schema', schema),
      LONGHAUL_REDIS_URL: privateRedis.url,
      LONGHAUL_TOKENS_FILE: tokens,
      LONGHAUL_DATA_DIR: join(dir, 'redis-instance'),
      LONGHAUL_SWEEP_INTERVAL: '1s',
    });
    instances.push(i);
    const c = await connectHttp(i.mcp, alice);
    clients.push(c);
    expect(await (await fetch(`${i.url}/readyz`)).json()).toMatchObject({ status: 'ready', dependencies: { redis: 'ok' } });

    await privateRedis.kill();
    const ready = await waitFor(
      async () => {
        const r = await fetch(`${i.url}/readyz`);
        const body = await r.json();
        return r.status === 200 && body.status === 'degraded' ? body : null;
      },
      10_000,
      'readyz degraded without Redis',
      200,
    );
    expect(ready.dependencies.redis).toMatch(/^unavailable: /);
    // Durable work goes on: the store is the system of record.
    const inv = (await investigation(c, 'Globex')).investigation.investigationId;
    await c.call('record_event', { investigationId: inv, role: 'agent', kind: 'finding', text: 'Written while Redis is down.' });
    const r = await fetch(`${i.url}/hooks/signals/${inv}/bank_data`, {
      method: 'POST',
      headers: { ...bearer(alice), 'content-type': 'application/json', 'idempotency-key': 'down-1' },
      body: '{}',
    });
    expect(r.status, await r.clone().text()).toBe(202);
    // The scheduler goes on through the store's lease.
    const before = await passes(i, alice, 'lifecycle');
    await waitFor(async () => (await passes(i, alice, 'lifecycle')) >= before + 2, 10_000, 'lifecycle ticks without Redis', 250);

    await privateRedis.start();
    await waitFor(async () => (await (await fetch(`${i.url}/readyz`)).json()).status === 'ready', 20_000, 'readyz ready when Redis is back', 250);
    expect(i.proc.exitCode).toBeNull();
  }, 120_000);
});
