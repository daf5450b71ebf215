/**
 * A local stand-in for the AgentCore data plane (Memory and Runtime), for tests. One HTTP
 * server on 127.0.0.1 answers the REST routes of `@aws-sdk/client-bedrock-agentcore`, so
 * the real SDK client runs against it unchanged:
 *
 *   new BedrockAgentCoreClient({ endpoint: stub.url, region: 'us-east-1',
 *     credentials: { accessKeyId: 'test', secretAccessKey: 'test' } })
 *
 * Errors are sent the way AWS restJson services send them (status, `x-amzn-errortype`,
 * JSON body with `message`), so the SDK raises its typed exceptions and applies its own
 * retry strategy to throttling and server faults.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../../../src/domain/clock.js';
import { createMemoryModule, type StubEvent, type StubMemoryConfig, type StubRecord } from './memory.js';
import { createRuntimeModule, type StubAgent, type StubRuntimeSession } from './runtime.js';
import { StubError, type StubCall, type StubModule, type StubOperation, type StubRequest, type StubResponse } from './types.js';

export { StubError } from './types.js';
export type { StubCall } from './types.js';

export interface AgentCoreStubOptions {
  /** Memories that exist (others: ResourceNotFoundException). */
  memories?: StubMemoryConfig[];
  /**
   * Deployed runtime agents. The handler gets the parsed JSON payload; it returns a JSON
   * value (sent as application/json) or `{ stream: string[] }` (sent as text/event-stream,
   * one `data:` line per item). Throwing fails the invocation the way AgentCore reports an
   * agent's 500: `RuntimeClientError` (HTTP 424 in the SDK's model).
   */
  agents?: StubAgent[];
  /** CreateEvent requests per second per (memory, actorId, sessionId) before ThrottledException (default 10). */
  createEventRate?: number;
  /** Run strategies automatically this many ms after a CreateEvent (default: only when extract() is called). */
  extractAfterMs?: number;
  /** The clock for timestamps, expiry and rate windows (default: the system clock). */
  now?: () => number;
}

export interface InjectedFault {
  /** The SDK operation name without "Command"; omitted: any operation. */
  op?: string;
  /**
   * 429 → ThrottledException (Memory) / ThrottlingException (Runtime); 500 → ServiceException
   * (Memory) / InternalServerException (Runtime); 503 → ServiceUnavailableException; 'reset'
   * destroys the socket before any response.
   */
  status: 429 | 500 | 503 | 'reset';
  /** How many matching requests fail (default 1). */
  count?: number;
}

export interface AgentCoreStub {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Every request, in arrival order; `op` is the SDK command name without "Command". */
  calls: StubCall[];
  /** Fail the next `count` requests of `op` (any op when omitted). */
  inject(fault: InjectedFault): void;
  /** Drops every fault still pending (the service recovers). */
  clearFaults(): void;
  /** Runs the memories' strategies over events not yet extracted (deterministic records). */
  extract(): Promise<void>;
  events(memoryId: string): StubEvent[];
  records(memoryId: string): StubRecord[];
  runtimeSessions: Map<string, StubRuntimeSession>;
  close(): Promise<void>;
}

/** Larger than the largest body any route accepts (InvokeAgentRuntime: 100,000,000 bytes), so limits are judged by the route. */
const MAX_BODY_BYTES = 100_000_001;

/** Starts the stub on 127.0.0.1 with an ephemeral port. Close it with `close()`. */
export async function startAgentCoreStub(opts: AgentCoreStubOptions = {}): Promise<AgentCoreStub> {
  const now = opts.now ?? (() => systemClock.now());
  const memory = createMemoryModule({
    memories: opts.memories ?? [],
    now,
    createEventRate: opts.createEventRate ?? 10,
    extractAfterMs: opts.extractAfterMs,
  });
  const runtime = createRuntimeModule({ agents: opts.agents ?? [], now });
  const modules: StubModule[] = [memory.module, runtime.module];
  const calls: StubCall[] = [];
  const faults: Array<Required<Pick<InjectedFault, 'status' | 'count'>> & { op?: string }> = [];

  const server = createServer((req, res) => {
    void serve(req, res).catch((err: unknown) => {
      // A bug in the stub, not a modelled failure: make it visible to the test.
      process.stderr.write(`agentcore-stub: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      if (!res.headersSent) sendError(res, new StubError(500, 'InternalServerException', String(err)));
      else res.destroy();
    });
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
    const query = new URLSearchParams(q === -1 ? '' : rawUrl.slice(q + 1));
    const found = match(modules, req.method ?? 'GET', rawPath);
    const op = found?.operation.op ?? 'Unknown';

    const faultIndex = faults.findIndex((f) => f.op === undefined || f.op === op);
    if (faultIndex !== -1) {
      const fault = faults[faultIndex]!;
      fault.count -= 1;
      if (fault.count <= 0) faults.splice(faultIndex, 1);
      if (fault.status === 'reset') {
        calls.push({ op, status: 0, at: now() });
        req.socket.destroy();
        return;
      }
      const family = found?.module.faults ?? memory.module.faults;
      const type =
        fault.status === 429 ? family.throttled : fault.status === 500 ? family.server : family.unavailable;
      calls.push({ op, status: fault.status, at: now() });
      sendError(res, new StubError(fault.status, type, `Injected fault: ${type}`));
      return;
    }

    if (!found) {
      calls.push({ op, status: 404, at: now() });
      sendError(res, new StubError(404, 'UnknownOperationException', `No route for ${req.method} ${rawPath}`));
      return;
    }

    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const stubReq: StubRequest = { method: req.method ?? 'GET', path: safeDecode(rawPath), query, headers, body };

    let response: StubResponse;
    try {
      response = await found.operation.handle(stubReq, found.labels);
    } catch (err) {
      if (!(err instanceof StubError)) throw err;
      calls.push({ op, status: err.status, at: now() });
      sendError(res, err);
      return;
    }
    calls.push({ op, status: response.status, at: now() });
    await send(res, response);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    inject(fault) {
      faults.push({ op: fault.op, status: fault.status, count: fault.count ?? 1 });
    },
    clearFaults() {
      faults.splice(0);
    },
    extract: () => memory.extract(),
    events: (memoryId) => memory.events(memoryId),
    records: (memoryId) => memory.records(memoryId),
    runtimeSessions: runtime.sessions,
    async close() {
      memory.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function match(
  modules: StubModule[],
  method: string,
  rawPath: string,
): { module: StubModule; operation: StubOperation; labels: Record<string, string> } | null {
  const segments = rawPath.split('/');
  for (const module of modules) {
    for (const operation of module.operations) {
      if (operation.method !== method) continue;
      const template = operation.path.split('/');
      if (template.length !== segments.length) continue;
      const labels: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < template.length && ok; i++) {
        const t = template[i]!;
        const s = segments[i]!;
        if (t.startsWith('{') && t.endsWith('}')) {
          if (s === '') ok = false;
          else labels[t.slice(1, -1)] = safeDecode(s);
        } else if (t !== s) ok = false;
      }
      if (ok) return { module, operation, labels };
    }
  }
  return null;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    if (size >= MAX_BODY_BYTES) continue; // drain, keep only what a route needs to judge the size
    chunks.push(buf);
    size += buf.length;
  }
  return Buffer.concat(chunks);
}

function sendError(res: ServerResponse, err: StubError): void {
  const body = JSON.stringify({ ...err.fields, message: err.message });
  res.writeHead(err.status, {
    'content-type': 'application/json',
    'x-amzn-errortype': err.type,
    'x-amzn-requestid': requestId(),
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

async function send(res: ServerResponse, response: StubResponse): Promise<void> {
  const headers: Record<string, string | number> = { 'x-amzn-requestid': requestId(), ...response.headers };
  const body = response.body;
  if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) {
    const buf = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
    res.writeHead(response.status, { ...headers, 'content-length': buf.length });
    res.end(buf);
    return;
  }
  res.writeHead(response.status, headers);
  for await (const chunk of body) {
    if (!res.write(chunk)) await new Promise<void>((resolve) => res.once('drain', () => resolve()));
  }
  res.end();
}

let requestCounter = 0;
function requestId(): string {
  requestCounter += 1;
  return `stub-${requestCounter.toString(16).padStart(8, '0')}`;
}
