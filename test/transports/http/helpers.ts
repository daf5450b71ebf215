import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ResourceUpdatedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startHttpServer, type HttpServerHandle, type HttpServerOptions } from '../../../src/transports/http/server.js';
import { createToken } from '../../../src/transports/http/tokens-file.js';
import type { AccessRecord } from '../../../src/transports/http/access-log.js';
import { makeApp, type TestApp } from '../../mcp/helpers.js';

export const PROTOCOL = '2025-11-25';

export interface TestHttp {
  t: TestApp;
  http: HttpServerHandle;
  /** http://127.0.0.1:port/mcp */
  mcp: string;
  access: AccessRecord[];
  close(): Promise<void>;
}

/** An app on the memory store (test/mcp/helpers makeApp: tenant acme, actor alice) served over HTTP on a free port. */
export async function serveTestApp(env: Record<string, string> = {}, opts: HttpServerOptions = {}): Promise<TestHttp> {
  const t = makeApp({ LONGHAUL_HTTP_PORT: '0', ...env });
  const access: AccessRecord[] = [];
  let http: HttpServerHandle;
  try {
    http = await startHttpServer(t.app, { accessLog: (r) => access.push(r), ...opts });
  } catch (e) {
    await t.close();
    throw e;
  }
  return {
    t,
    http,
    mcp: `${http.url}/mcp`,
    access,
    async close() {
      await http.close();
      await t.close();
    },
  };
}

/** A temporary tokens file with one token per entry; returns the tokens by name. */
export function tokensFile<N extends string>(entries: Record<N, { tenant: string; actor: string; scopes?: string[] }>) {
  const dir = mkdtempSync(join(tmpdir(), 'longhaul-tokens-'));
  const path = join(dir, 'tokens.json');
  const tokens = {} as Record<N, string>;
  for (const [name, e] of Object.entries(entries) as [N, { tenant: string; actor: string; scopes?: string[] }][]) {
    tokens[name] = createToken(path, { tenant: e.tenant, actor: e.actor, scopes: e.scopes ?? ['read', 'write'], createdAt: '2026-01-01T00:00:00.000Z' }).token;
  }
  return { dir, path, tokens, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface HttpClient {
  client: Client;
  transport: StreamableHTTPClientTransport;
  updated: string[];
  call(name: string, args: Record<string, unknown>): Promise<any>;
  callRaw(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

/** The real SDK client over streamable HTTP, sending `token` as a bearer token (none: no Authorization). */
export async function connectHttp(mcp: string, token?: string, opts: { reconnectDelayMs?: number } = {}): Promise<HttpClient> {
  const transport = new StreamableHTTPClientTransport(new URL(mcp), {
    requestInit: token ? { headers: { Authorization: `Bearer ${token}` } } : {},
    reconnectionOptions: { initialReconnectionDelay: opts.reconnectDelayMs ?? 100, maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1.5, maxRetries: 5 },
  });
  const client = new Client({ name: 'longhaul-http-test', version: '0.0.0' });
  const updated: string[] = [];
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    updated.push(n.params.uri);
  });
  await client.connect(transport);
  const callRaw = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;
  return {
    client,
    transport,
    updated,
    callRaw,
    async call(name, args) {
      const r = await callRaw(name, args);
      if (r.isError) throw new Error(`${name} failed: ${JSON.stringify(r.content)}`);
      return r.structuredContent;
    },
    close: () => client.close(),
  };
}

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'raw', version: '0' } } };

/** Raw POST of a JSON-RPC body to /mcp with the headers MCP needs. */
export function post(mcp: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(mcp, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': PROTOCOL, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Opens an MCP session with raw requests (initialize + initialized); returns its id. */
export async function rawSession(mcp: string, headers: Record<string, string> = {}): Promise<string> {
  const r = await post(mcp, INIT, headers);
  if (r.status !== 200) throw new Error(`initialize: ${r.status} ${await r.text()}`);
  const sid = r.headers.get('mcp-session-id')!;
  await r.text();
  const n = await post(mcp, { jsonrpc: '2.0', method: 'notifications/initialized' }, { ...headers, 'mcp-session-id': sid });
  await n.text();
  return sid;
}

/** The JSON-RPC messages of an SSE response body (or the JSON body). */
export async function messages(r: Response): Promise<any[]> {
  const text = await r.text();
  if ((r.headers.get('content-type') ?? '').includes('application/json')) return [JSON.parse(text)];
  return text
    .split('\n')
    .filter((l) => l.startsWith('data: ') && l.length > 6)
    .map((l) => JSON.parse(l.slice(6)));
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export const toolCall = (id: number, name: string, args: Record<string, unknown>) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

export interface RawResponse {
  status: number;
  headers: import('node:http').IncomingHttpHeaders;
  body: string;
}

/**
 * One request through node:http, for what fetch will not do: any Host header, a body sent
 * in chunks without Content-Length. `chunks`: written one by one (chunked encoding unless
 * a content-length header is given).
 */
export function rawHttp(url: string, o: { method?: string; headers?: Record<string, string>; chunks?: (string | Buffer)[]; between?: () => Promise<void> } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    import('node:http').then(({ request }) => {
      const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: o.method ?? 'GET', headers: o.headers ?? {} }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        res.on('error', reject);
      });
      req.on('error', reject);
      void (async () => {
        for (const [i, c] of (o.chunks ?? []).entries()) {
          if (i > 0 && o.between) await o.between();
          if (!req.write(c)) await new Promise((r) => req.once('drain', r));
        }
        req.end();
      })().catch(reject);
    }, reject);
  });
}
