import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  type CallToolResult,
  type LoggingMessageNotification,
} from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { FakeClock } from '../../src/domain/clock.js';
import { createLogger } from '../../src/logger.js';
import type { Caller } from '../../src/runtime/deps.js';
import { buildServer, type BuildServerOptions } from '../../src/mcp/server.js';
import { ERROR_META_KEY } from '../../src/mcp/tool.js';

export const alice: Caller = { tenantId: 'acme', actorId: 'alice' };
export const bob: Caller = { tenantId: 'globex', actorId: 'bob' };

export interface TestApp {
  app: App;
  clock: FakeClock;
  /** Every log line the app wrote (JSON), at debug level and up. */
  logs: string[];
  close(): Promise<void>;
}

/** An app on the memory store with a fake clock, a 2 s idle timeout and a silent logger. */
export function makeApp(env: Record<string, string> = {}): TestApp {
  const clock = new FakeClock();
  const config = loadConfig({
    env: { HOME: '/tmp', LONGHAUL_STORE: 'memory', LONGHAUL_IDLE_TIMEOUT: '2s', LONGHAUL_TENANT: alice.tenantId, LONGHAUL_ACTOR: alice.actorId, LONGHAUL_LOG_LEVEL: 'info', ...env },
  });
  const logs: string[] = [];
  const app = createApp(config, { clock, logger: createLogger({ level: 'debug', write: (l) => logs.push(l) }) });
  return { app, clock, logs, close: () => app.close() };
}

export interface Connected {
  client: Client;
  server: McpServer;
  /** Resource URIs the client was told changed, in order. */
  updated: string[];
  /** Log notifications the client received. */
  logMessages: LoggingMessageNotification['params'][];
  /** Calls a tool and returns its structuredContent; fails the test on isError. */
  call(name: string, args: Record<string, unknown>): Promise<any>;
  /** Calls a tool and returns the raw result. */
  callRaw(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  readJson(uri: string): Promise<any>;
  close(): Promise<void>;
}

/** A real SDK client joined to a fresh server on `app` over an in-memory transport pair. */
export async function connect(app: App, caller: Caller | (() => Caller) = alice, opts: Partial<BuildServerOptions> = {}): Promise<Connected> {
  const resolveCaller = typeof caller === 'function' ? caller : () => caller;
  const server = buildServer(app, { resolveCaller, ...opts });
  const client = new Client({ name: 'longhaul-test', version: '0.0.0' });
  const updated: string[] = [];
  const logMessages: LoggingMessageNotification['params'][] = [];
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    updated.push(n.params.uri);
  });
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logMessages.push(n.params);
  });
  const [ct, st] = InMemoryTransport.createLinkedPair();
  await server.connect(st);
  await client.connect(ct);
  const callRaw = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;
  return {
    client,
    server,
    updated,
    logMessages,
    callRaw,
    async call(name, args) {
      const r = await callRaw(name, args);
      if (r.isError) throw new Error(`${name} failed: ${JSON.stringify(r.content)}`);
      expect(r.content[0]).toMatchObject({ type: 'text' });
      expect((r.content[0] as { text: string }).text.length).toBeGreaterThan(0);
      return r.structuredContent;
    },
    async readJson(uri) {
      const r = await client.readResource({ uri });
      const c = r.contents[0] as { text: string; mimeType?: string };
      expect(c.mimeType).toBe('application/json');
      return JSON.parse(c.text);
    },
    close: () => client.close(),
  };
}

/** The error a tool result carries: its code (from `_meta`) and its text. */
export function toolError(r: CallToolResult): { code: string | undefined; text: string } {
  expect(r.isError).toBe(true);
  expect(r.structuredContent).toBeUndefined();
  const text = r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
  const meta = r._meta?.[ERROR_META_KEY] as { code?: string } | undefined;
  return { code: meta?.code, text };
}

/** Lets queued notifications (coalesced with setImmediate) reach the client. */
export const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 20));

export const TECHCORP = {
  subject: 'TechCorp',
  objective: 'Check TechCorp for compliance risks before onboarding',
  tasks: [
    { role: 'retrieval', instructions: 'Search internal sources for TechCorp' },
    { role: 'compliance', instructions: 'File a report once the bank data arrives', waitFor: { signal: 'bank_data', timeout: '3d' } },
  ],
};
