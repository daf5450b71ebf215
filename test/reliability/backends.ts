/**
 * The backends every reliability suite runs on — the one list. Each deployment starts
 * real `dist/cli.js` processes on its store and connects the real SDK client:
 *
 * - `sqlite`: `serve` over stdio on one SQLite file (the process's tenant and actor come
 *   from LONGHAUL_TENANT / LONGHAUL_ACTOR, so each identity gets its own process);
 *   `serveHttp` runs `serve --http` on the same file for the HTTP-only surfaces.
 * - `postgres+redis`: `serve --http` on a PostgreSQL schema and a Redis prefix of the
 *   run's own, identities as bearer tokens in a tokens file.
 *
 * - `sqlite+agentcore`: as `sqlite`, with LONGHAUL_MEMORY=agentcore against the local
 *   AgentCore stub (test/support/agentcore-stub), started in `deploy` and stopped in
 *   `cleanup`: events and records also leave through the outbox.
 * Every suite under test/reliability runs on each.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ResourceListChangedNotificationSchema, ResourceUpdatedNotificationSchema, ToolListChangedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { CLI, tempDir } from '../e2e/harness.js';
import { deleteRedisPrefix, dropSchema, instance, PG_URL, REDIS_URL, stop, withParam, type Instance } from '../e2e/http-instances.js';
import { startAgentCoreStub } from '../support/agentcore-stub/index.js';
import { connectHttp, tokensFile } from '../transports/http/helpers.js';

export interface Identity {
  tenant: string;
  actor: string;
}

/** Tenant A's two actors and tenant B's one: the parties of every attack and every writer. */
export const A1: Identity = { tenant: 'acme', actor: 'alice' };
export const A2: Identity = { tenant: 'acme', actor: 'amir' };
export const B1: Identity = { tenant: 'globex', actor: 'bianca' };
export const IDENTITIES = { A1, A2, B1 } as const;
export type IdentityName = keyof typeof IDENTITIES;

/** A real SDK client on a real server process, with what every suite asks of it. */
export interface Conn {
  client: Client;
  /** Notifications that change the model-facing surface (tools/list_changed…), by method. */
  listChanged: string[];
  updated: string[];
  callRaw(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  /** structuredContent; throws on isError with the error text. */
  call<T = any>(name: string, args: Record<string, unknown>): Promise<T>;
  readText(uri: string): Promise<string>;
  readJson<T = any>(uri: string): Promise<T>;
  close(): Promise<void>;
}

/** One server process. */
export interface Proc {
  pid: number;
  /** HTTP servers: the base URL (http://127.0.0.1:port); stdio: undefined. */
  url?: string;
  stderr(): string;
  /** kill -9, then waits until the process is gone. */
  kill9(): Promise<void>;
  /** A clean stop (SIGTERM / stdin closed). */
  stop(): Promise<void>;
  exited(): boolean;
}

export interface Deployment {
  backend: string;
  /** The transport `open` uses: stdio processes per identity, or HTTP processes shared by every identity. */
  transport: 'stdio' | 'http';
  /** A new server process with a client connected as `who` (stdio: the process runs as who). */
  open(who: Identity, env?: Record<string, string>): Promise<{ proc: Proc; conn: Conn }>;
  /** A new `serve --http` process on this deployment's store (both backends have one). */
  serveHttp(env?: Record<string, string>): Promise<Proc & { mcp: string }>;
  /** Another client on an HTTP process, as `who`. */
  connect(proc: Proc & { mcp?: string }, who: Identity): Promise<Conn>;
  /** The bearer token of `who` on this deployment's HTTP servers. */
  token(who: Identity): string;
  /** Env every process of this deployment gets (the store, Redis, tokens, data dir). */
  env: Record<string, string>;
  /** With an external memory (AgentCore): the longhaul event ids it holds, one per stored event (a duplicate shows twice). */
  memoryEventIds?: () => string[];
  cleanup(): Promise<void>;
}

export interface Backend {
  name: string;
  deploy(env?: Record<string, string>): Promise<Deployment>;
}

const tokenKey = (who: Identity) => `${who.tenant}/${who.actor}`;

function conn(client: Client, callRaw: Conn['callRaw'], close: () => Promise<void>): Conn {
  const listChanged: string[] = [];
  const updated: string[] = [];
  client.setNotificationHandler(ToolListChangedNotificationSchema, (n) => void listChanged.push(n.method));
  client.setNotificationHandler(ResourceListChangedNotificationSchema, (n) => void listChanged.push(n.method));
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updated.push(n.params.uri));
  const readText = async (uri: string) => {
    const r = await client.readResource({ uri });
    const c = r.contents[0] as { text?: string; blob?: string };
    return c.text ?? Buffer.from(c.blob ?? '', 'base64').toString('utf8');
  };
  return {
    client,
    listChanged,
    updated,
    callRaw,
    async call(name, args) {
      const r = await callRaw(name, args);
      if (r.isError) throw new Error(`${name} failed: ${r.content.map((c) => (c.type === 'text' ? c.text : '')).join(' ')}`);
      return r.structuredContent as any;
    },
    readText,
    readJson: async (uri) => JSON.parse(await readText(uri)),
    close,
  };
}

const gone = (pid: number) => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};

async function killAndWait(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  // A zombie still answers kill(0) until its parent reaps it; the exit handlers below reap.
  for (let i = 0; i < 500 && !gone(pid); i++) await new Promise((r) => setTimeout(r, 5));
}

/** `serve` over stdio as `who`, with a connected client. */
async function openStdio(baseEnv: Record<string, string>, who: Identity, env: Record<string, string> = {}): Promise<{ proc: Proc; conn: Conn }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'serve'],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LONGHAUL_LOG_LEVEL: 'warn', ...baseEnv, LONGHAUL_TENANT: who.tenant, LONGHAUL_ACTOR: who.actor, ...env },
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-100_000)));
  const client = new Client({ name: 'longhaul-reliability', version: '1.0.0' });
  await client.connect(transport);
  const pid = transport.pid!;
  let dead = false;
  const proc: Proc = {
    pid,
    stderr: () => err,
    async kill9() {
      dead = true;
      await killAndWait(pid);
      await client.close().catch(() => undefined);
    },
    async stop() {
      dead = true;
      await client.close().catch(() => undefined);
    },
    exited: () => dead || gone(pid),
  };
  const callRaw = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;
  return { proc, conn: conn(client, callRaw, () => proc.stop()) };
}

function httpProc(i: Instance): Proc & { mcp: string } {
  return {
    pid: i.proc.pid!,
    url: i.url,
    mcp: i.mcp,
    stderr: i.stderr,
    async kill9() {
      i.proc.kill('SIGKILL');
      await i.exited;
    },
    stop: () => stop(i),
    exited: () => i.proc.exitCode !== null || i.proc.signalCode !== null,
  };
}

async function connectAs(mcp: string, token: string): Promise<Conn> {
  const h = await connectHttp(mcp, token);
  return conn(h.client, h.callRaw, h.close);
}

/** What both backends share: temp dir, tokens for the three identities, HTTP processes and clients. */
function common(backend: string, transport: 'stdio' | 'http', env: Record<string, string>, extraCleanup: () => Promise<void>): Deployment {
  const tokens = tokensFile({ A1, A2, B1 });
  const byKey = new Map(Object.entries(IDENTITIES).map(([n, who]) => [tokenKey(who), tokens.tokens[n as IdentityName]]));
  // The per-token rate limit is proven elsewhere (test/transports/http); here it would cut
  // the 10,000-call perimeter run and the attack lists short.
  const fullEnv = { LONGHAUL_HTTP_RATE_LIMIT: '1000000/1m', ...env, LONGHAUL_TOKENS_FILE: tokens.path };
  const procs: Proc[] = [];
  const token = (who: Identity) => {
    const t = byKey.get(tokenKey(who));
    if (!t) throw new Error(`no token for ${tokenKey(who)}`);
    return t;
  };
  const serveHttp = async (extra: Record<string, string> = {}) => {
    const p = httpProc(await instance({ LONGHAUL_LOG_LEVEL: 'warn', ...fullEnv, ...extra }));
    procs.push(p);
    return p;
  };
  return {
    backend,
    transport,
    env: fullEnv,
    token,
    serveHttp,
    connect: (proc, who) => connectAs(proc.mcp!, token(who)),
    async open(who, extra = {}) {
      if (transport === 'stdio') {
        const o = await openStdio(fullEnv, who, extra);
        procs.push(o.proc);
        return o;
      }
      const proc = await serveHttp(extra);
      return { proc, conn: await connectAs(proc.mcp, token(who)) };
    },
    async cleanup() {
      for (const p of procs.splice(0)) if (!p.exited()) await p.kill9().catch(() => undefined);
      await extraCleanup();
      tokens.cleanup();
    },
  };
}

const run = () => `${process.pid}_${randomBytes(3).toString('hex')}`;

export const BACKENDS: Backend[] = [
  {
    name: 'sqlite',
    async deploy(env = {}) {
      const { dir, cleanup } = tempDir('longhaul-rel-');
      return common('sqlite', 'stdio', { LONGHAUL_DATA_DIR: dir, LONGHAUL_STORE: `sqlite:${join(dir, 'longhaul.db')}`, ...env }, async () => cleanup());
    },
  },
  {
    name: 'postgres+redis',
    async deploy(env = {}) {
      const { dir, cleanup } = tempDir('longhaul-rel-pg-');
      const id = run();
      const schema = `lh_rel_${id}`;
      const prefix = `lhtest:rel:${id}:`;
      return common(
        'postgres+redis',
        'http',
        { LONGHAUL_DATA_DIR: dir, LONGHAUL_STORE: withParam(PG_URL, 'schema', schema), LONGHAUL_REDIS_URL: withParam(REDIS_URL, 'prefix', prefix), ...env },
        async () => {
          await dropSchema(schema).catch(() => undefined);
          await deleteRedisPrefix(prefix).catch(() => undefined);
          cleanup();
        },
      );
    },
  },
  {
    // Memory in AgentCore (the local stub, through the real AWS SDK in the server): the
    // work store is a SQLite file as above, and every event and record also leaves
    // through the store's outbox for the stub.
    name: 'sqlite+agentcore',
    async deploy(env = {}) {
      const { dir, cleanup } = tempDir('longhaul-rel-ac-');
      const stub = await startAgentCoreStub({ memories: [{ id: RELIABILITY_MEMORY_ID }], createEventRate: 10_000 });
      const deployment = common(
        'sqlite+agentcore',
        'stdio',
        {
          LONGHAUL_DATA_DIR: dir,
          LONGHAUL_STORE: `sqlite:${join(dir, 'longhaul.db')}`,
          LONGHAUL_MEMORY: 'agentcore',
          LONGHAUL_AGENTCORE_MEMORY_ID: RELIABILITY_MEMORY_ID,
          AWS_ENDPOINT_URL_BEDROCK_AGENTCORE: stub.url,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'AKIDLONGHAULTEST',
          AWS_SECRET_ACCESS_KEY: 'longhaul-test-secret',
          // The stub's quota is far above AgentCore's defaults: ship as fast as it takes.
          LONGHAUL_AGENTCORE_RATE_LIMIT: 'session=1000,account=1000,records=1000',
          ...env,
        },
        async () => {
          await stub.close();
          cleanup();
        },
      );
      const eventIdOf = (e: { metadata?: Record<string, unknown> }) => (e.metadata?.lh_event_id as { stringValue?: string } | undefined)?.stringValue ?? '';
      return { ...deployment, memoryEventIds: () => stub.events(RELIABILITY_MEMORY_ID).map(eventIdOf) };
    },
  },
];

/** The AgentCore memory the `sqlite+agentcore` backend's stub holds. */
export const RELIABILITY_MEMORY_ID = 'longhaul_rel-AbCdE12345';

/** Resident set size of a process in bytes (Linux /proc), or null once it is gone. */
export async function rssBytes(pid: number): Promise<number | null> {
  const { readFile } = await import('node:fs/promises');
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}
