/**
 * AgentCore Runtime routes: InvokeAgentRuntime and StopRuntimeSession. Agents are plain
 * functions standing in for the container the service would run; a runtime session is
 * keyed by its `X-Amzn-Bedrock-AgentCore-Runtime-Session-Id` like the service's microVM.
 */
import { randomUUID } from 'node:crypto';
import { StubError, type StubModule, type StubRequest, type StubResponse } from './types.js';
import { json, notFound, optionalString, parseJsonBody, validationError } from './validate.js';

export interface StubAgentContext {
  runtimeSessionId: string;
  qualifier?: string;
  runtimeUserId?: string;
}

export interface StubAgent {
  arn: string;
  /** Gets the parsed JSON payload. Returns a JSON value, or `{ stream: string[] }` for text/event-stream. */
  handler: (payload: unknown, ctx: StubAgentContext) => unknown | Promise<unknown>;
}

export interface StubRuntimeSession {
  agentArn: string;
  invocations: number;
  stopped: boolean;
  payloads: unknown[];
}

/** The model's `Body` length limit: 100,000,000 bytes ("100 MB"). */
export const MAX_PAYLOAD_BYTES = 100_000_000;
const MIME_TYPE = { min: 1, max: 256 };
const SESSION_ID = { min: 33, max: 256 };

export function createRuntimeModule(deps: { agents: StubAgent[]; now: () => number }): {
  module: StubModule;
  sessions: Map<string, StubRuntimeSession>;
} {
  const agents = new Map(deps.agents.map((a) => [a.arn, a]));
  const sessions = new Map<string, StubRuntimeSession>();
  /** StopRuntimeSession client tokens already honoured: a retry with the same token succeeds again. */
  const stopTokens = new Map<string, string>();

  /** The service takes a full ARN, or a runtime id with `accountId` (then it need not be URL-encoded). */
  function resolveAgent(idOrArn: string, req: StubRequest): StubAgent {
    if (idOrArn.startsWith('arn:')) {
      const agent = agents.get(idOrArn);
      if (!agent) throw notFound(`Agent runtime ${idOrArn} not found`);
      return agent;
    }
    const accountId = optionalString(req.query.get('accountId') ?? undefined, 'accountId', { pattern: /^[0-9]{12}$/ });
    if (!accountId) throw validationError('accountId is required when agentRuntimeArn is an agent runtime id', 'accountId');
    for (const agent of agents.values()) {
      const parts = agent.arn.split(':');
      if (parts[4] === accountId && parts.slice(5).join(':') === `runtime/${idOrArn}`) return agent;
    }
    throw notFound(`Agent runtime ${idOrArn} not found in account ${accountId}`);
  }

  function sessionIdHeader(req: StubRequest, required: boolean): string | undefined {
    const value = req.headers['x-amzn-bedrock-agentcore-runtime-session-id'];
    if (value === undefined) {
      if (required) throw validationError('runtimeSessionId is required', 'runtimeSessionId');
      return undefined;
    }
    return optionalString(value, 'runtimeSessionId', SESSION_ID);
  }

  async function invoke(req: StubRequest, labels: Record<string, string>): Promise<StubResponse> {
    const agent = resolveAgent(labels.agentRuntimeArn!, req);
    const qualifier = req.query.get('qualifier') ?? undefined;
    optionalString(req.headers['content-type'], 'contentType', MIME_TYPE);
    optionalString(req.headers.accept, 'accept', MIME_TYPE);
    const runtimeUserId = optionalString(req.headers['x-amzn-bedrock-agentcore-runtime-user-id'], 'runtimeUserId', {
      min: 1,
      max: 1024,
    });
    // The SDK fills the header with a UUID (it is an idempotency token); a raw HTTP caller
    // may omit it and the service then opens a session with an id of its own.
    const runtimeSessionId = sessionIdHeader(req, false) ?? randomUUID();
    if (req.body.length > MAX_PAYLOAD_BYTES) throw validationError('payload exceeds 100,000,000 bytes', 'payload');
    if (req.body.length === 0) throw validationError('payload is required', 'payload');

    let payload: unknown;
    try {
      payload = JSON.parse(req.body.toString('utf8'));
    } catch {
      // The agent container rejects a body it cannot parse; the service relays that as a runtime error.
      throw new StubError(424, 'RuntimeClientError', 'Received error (400) from runtime: payload is not valid JSON');
    }

    let session = sessions.get(runtimeSessionId);
    if (!session || session.stopped || session.agentArn !== agent.arn) {
      // A stopped (or foreign) session id starts a fresh session, as the service starts a new microVM.
      session = { agentArn: agent.arn, invocations: 0, stopped: false, payloads: [] };
      sessions.set(runtimeSessionId, session);
    }
    session.invocations += 1;
    session.payloads.push(payload);

    let result: unknown;
    try {
      result = await agent.handler(payload, { runtimeSessionId, qualifier, runtimeUserId });
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      // What the service reports when the agent's container answers 500.
      throw new StubError(424, 'RuntimeClientError', `Received error (500) from runtime: ${detail}`);
    }

    const headers = { 'x-amzn-bedrock-agentcore-runtime-session-id': runtimeSessionId };
    if (isStream(result)) {
      return {
        status: 200,
        headers: { ...headers, 'content-type': 'text/event-stream' },
        body: sse(result.stream),
      };
    }
    return json(200, result ?? null, headers);
  }

  function stop(req: StubRequest, labels: Record<string, string>): StubResponse {
    const agent = resolveAgent(labels.agentRuntimeArn!, req);
    const runtimeSessionId = sessionIdHeader(req, true)!;
    const body = parseJsonBody(req);
    const clientToken = optionalString(body.clientToken, 'clientToken', {
      min: 33,
      max: 256,
      pattern: /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,256}$/,
    });
    const headers = { 'x-amzn-bedrock-agentcore-runtime-session-id': runtimeSessionId };
    if (clientToken !== undefined && stopTokens.get(clientToken) === runtimeSessionId) return json(200, {}, headers);

    const session = sessions.get(runtimeSessionId);
    if (!session || session.agentArn !== agent.arn || session.stopped) {
      throw notFound(`Session ${runtimeSessionId} not found or already terminated`);
    }
    session.stopped = true;
    if (clientToken !== undefined) stopTokens.set(clientToken, runtimeSessionId);
    return json(200, {}, headers);
  }

  return {
    sessions,
    module: {
      faults: {
        throttled: 'ThrottlingException',
        server: 'InternalServerException',
        unavailable: 'ServiceUnavailableException',
      },
      operations: [
        { op: 'InvokeAgentRuntime', method: 'POST', path: '/runtimes/{agentRuntimeArn}/invocations', handle: invoke },
        { op: 'StopRuntimeSession', method: 'POST', path: '/runtimes/{agentRuntimeArn}/stopruntimesession', handle: stop },
      ],
    },
  };
}

function isStream(v: unknown): v is { stream: string[] } {
  return (
    typeof v === 'object' &&
    v !== null &&
    Array.isArray((v as { stream?: unknown }).stream) &&
    (v as { stream: unknown[] }).stream.every((s) => typeof s === 'string')
  );
}

/** Server-sent events, one `data:` line per item, flushed one chunk at a time. */
async function* sse(items: string[]): AsyncIterable<string> {
  for (const item of items) {
    // A newline inside an item would end the event early; SSE carries it as further data lines.
    yield item
      .split('\n')
      .map((line) => `data: ${line}\n`)
      .join('') + '\n';
  }
}
