import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { LoggingMessageNotificationSchema, type CallToolResult, type LoggingMessageNotification } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { FakeClock } from '../../src/domain/clock.js';
import { createLogger } from '../../src/logger.js';
import { buildServer } from '../../src/mcp/server.js';
import type { Caller } from '../../src/runtime/deps.js';
import { buildStdioServer } from '../../src/transports/stdio.js';
import { createRoleRegistry } from '../../src/workers/index.js';
import { completed, type Role } from '../../src/workers/role.js';
import { BANK_DATA, FIXTURES } from '../workers/helpers.js';

const A: Caller = { tenantId: 'acme', actorId: 'alice' };
const B: Caller = { tenantId: 'globex', actorId: 'bob' };

/** Fails its first run, logging through its role logger; then completes. */
function flakyRole(): Role {
  let failures = 1;
  return {
    name: 'flaky',
    description: 'fails once, then completes',
    onDeadline: 'time_out',
    async run(ctx) {
      ctx.logger.info('calling the bank API', { attempt: ctx.attempt });
      ctx.memory.record({ kind: 'fact', text: `Globex bank API answered on attempt ${ctx.attempt}.` });
      if (failures-- > 0) throw new Error(`bank API answered 503 for ${ctx.task.id}`);
      return completed({ ok: true }, `done on attempt ${ctx.attempt}`);
    },
  };
}

interface LogClient {
  messages: LoggingMessageNotification['params'][];
  call(name: string, args: Record<string, unknown>): Promise<any>;
  close(): Promise<void>;
}

/** A real SDK client joined to `server` over an in-memory transport pair, recording log notifications. */
async function join(server: McpServer): Promise<LogClient> {
  const client = new Client({ name: 'log-tenancy-test', version: '0.0.0' });
  const messages: LoggingMessageNotification['params'][] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    messages.push(n.params);
  });
  const [ct, st] = InMemoryTransport.createLinkedPair();
  await server.connect(st);
  await client.connect(ct);
  await client.setLoggingLevel('debug');
  return {
    messages,
    async call(name, args) {
      const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
      if (r.isError) throw new Error(`${name} failed: ${JSON.stringify(r.content)}`);
      return r.structuredContent;
    },
    close: () => client.close(),
  };
}

const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 20));

/**
 * One process doing tenant B's background work on a store it shares with tenant A
 * (as an HTTP server does; a stdio process does as much through its cross-tenant
 * sweeps): none of B's log records may reach A's MCP client. Every record about a
 * tenant's data names the tenant, and the stdio server forwards only records of its
 * caller's tenant.
 */
describe("log forwarding of tenant B's background work to tenant A's client", () => {
  let clock: FakeClock;
  let app: App;
  let lines: string[];

  beforeEach(() => {
    clock = new FakeClock(Date.UTC(2026, 10, 3, 9));
    const config = loadConfig({
      env: { HOME: '/tmp', LONGHAUL_STORE: 'memory', LONGHAUL_TENANT: A.tenantId, LONGHAUL_ACTOR: A.actorId, LONGHAUL_SOURCES: FIXTURES, LONGHAUL_LOG_LEVEL: 'debug', LONGHAUL_IDLE_TIMEOUT: '15m' },
    });
    lines = [];
    app = createApp(config, {
      clock,
      logger: createLogger({ level: 'debug', write: (l) => lines.push(l) }),
      roles: createRoleRegistry({ custom: [flakyRole()] }),
      workerSettings: { backoffBaseMs: 1_000, heartbeatMs: 20 },
      // This process runs every tenant's tasks, so B's worker records are written here.
      servedTenants: null,
    });
  });
  afterEach(() => app.close());

  /** A's own investigation (a positive control), then B's retrieval, compliance and flaky tasks run to the end, extraction and sweeps included. */
  async function runBothTenants(a: LogClient): Promise<{ acmeTask: string; globexIds: string[] }> {
    const mine = await a.call('start_investigation', { subject: 'TechCorp', objective: 'Check TechCorp', tasks: [{ role: 'retrieval', instructions: 'Search internal sources for TechCorp' }] });
    app.workers.start();
    const theirs = await app.runtime.investigations.start(B, {
      subject: 'Globex',
      objective: 'Check Globex before onboarding',
      tasks: [
        { role: 'retrieval', instructions: 'Search internal sources for Globex' },
        { role: 'compliance', instructions: 'File a report once the bank data arrives', waitFor: { signal: 'bank_data', timeout: '3d' } },
        { role: 'flaky', instructions: 'Call the bank API' },
      ],
    });
    const gid = theirs.investigation.investigationId;
    await app.workers.idle();
    await app.runtime.signals.submit(B, { investigationId: gid, signal: 'bank_data', payload: BANK_DATA });
    await app.workers.idle();
    clock.advance(60_000);
    await app.workers.fill();
    await app.workers.idle();
    await app.scheduler.tick('extraction');
    clock.advance(15 * 60_000);
    await app.scheduler.tick();
    await app.workers.idle();
    await settle();

    const t = app.store.tenant(B.tenantId);
    const tasks = await t.listTasks(gid);
    expect(tasks.map((x) => [x.role, x.status])).toEqual([
      ['retrieval', 'completed'],
      ['compliance', 'completed'],
      ['flaky', 'completed'],
    ]);
    const sessions = await t.listSessions({ investigationId: gid, limit: 100 });
    expect(sessions.filter((s) => s.kind === 'worker').length).toBeGreaterThanOrEqual(4);
    const globexIds = [
      B.tenantId,
      gid,
      ...tasks.map((x) => x.id),
      ...sessions.map((s) => s.id),
      ...(await t.listWaits(gid)).map((w) => w.id),
      ...(await t.listReports(gid)).map((r) => r.id),
    ];
    const acmeTask = (await app.store.tenant(A.tenantId).listTasks(mine.investigation.investigationId))[0]!.id;
    return { acmeTask, globexIds };
  }

  /** The records (as JSON text) that mention any of `ids`. */
  const mentioning = (records: readonly unknown[], ids: readonly string[]) =>
    records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).filter((r) => ids.some((id) => r.includes(id)));

  it('the stdio server forwards none of them', async () => {
    const a = await join(buildStdioServer(app));
    const { acmeTask, globexIds } = await runBothTenants(a);
    // B's work did log (here, to stderr) …
    expect(mentioning(lines, globexIds).length).toBeGreaterThan(10);
    // … and A's client heard about its own task, but about nothing of B's.
    expect(a.messages.some((m) => (m.data as any).msg === 'worker task outcome' && (m.data as any).taskId === acmeTask)).toBe(true);
    expect(mentioning(a.messages, globexIds)).toEqual([]);
    // An untagged operational record may still name B's data (a sweep's error): not forwarded either.
    app.logger.error('sweep failed', { job: 'deadlines', error: `cannot expire wait of task ${globexIds[2]}` });
    await settle();
    expect(mentioning(a.messages, globexIds)).toEqual([]);
    await a.close();
  });

  it('even a connection forwarding untagged records gets none of them: every record of B\'s work names tenant B', async () => {
    const a = await join(buildServer(app, { resolveCaller: () => A, logForwarding: 'all' }));
    const { globexIds } = await runBothTenants(a);
    expect(mentioning(a.messages, globexIds)).toEqual([]);
    const untagged = mentioning(lines, globexIds).filter((l) => JSON.parse(l).tenantId !== B.tenantId);
    expect(untagged).toEqual([]);
    await a.close();
  });
});
