/**
 * The local AgentCore data-plane stub is one HTTP server (index.ts) composed of route
 * modules: memory.ts (AgentCore Memory) and runtime.ts (AgentCore Runtime). Each module
 * answers the requests it owns and returns null for the rest. The real AWS SDK client
 * (`@aws-sdk/client-bedrock-agentcore`) is pointed at the server with `endpoint` and
 * static test credentials; the stub answers with the REST routes, JSON shapes and error
 * types the SDK expects (`x-amzn-errortype` header plus a JSON body with `message`).
 */
export interface StubRequest {
  method: string;
  /** Decoded path, without the query string. */
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  body: Buffer;
}

export interface StubResponse {
  status: number;
  headers?: Record<string, string>;
  /** A string or Buffer is sent at once; an async iterable is streamed chunk by chunk. */
  body?: string | Buffer | AsyncIterable<Buffer | string>;
}

/** A modelled AWS error: sent with status, `x-amzn-errortype: <type>` and `{"message": ...}`. */
export class StubError extends Error {
  constructor(
    readonly status: number,
    /** e.g. ValidationException, ResourceNotFoundException, ThrottledException, ServiceException, AccessDeniedException */
    readonly type: string,
    message: string,
    /** Extra members of the error body, e.g. a ValidationException's `reason` and `fieldList`. */
    readonly fields: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** A route module: answers what it owns (throwing StubError for modelled failures), null for the rest. */
export type StubRoute = (req: StubRequest) => Promise<StubResponse | null> | StubResponse | null;

/** One call the stub saw, for tests to assert on (the SDK operation name, as the stub recognised it). */
export interface StubCall {
  op: string;
  status: number;
  at: number;
}

/**
 * One operation a route module owns: the SDK's HTTP binding (method and path template with
 * `{label}` segments, as in the SDK's schema) and its handler. index.ts matches the raw
 * path segment by segment and passes the decoded labels, so a label may hold `/` or `:`
 * (an agent runtime ARN arrives URL-encoded as one segment).
 */
export interface StubOperation {
  /** The SDK command name without "Command", e.g. 'CreateEvent'. */
  op: string;
  method: string;
  path: string;
  handle(req: StubRequest, labels: Record<string, string>): Promise<StubResponse> | StubResponse;
}

/** A route module: its operations and the error types its service uses for injected faults. */
export interface StubModule {
  operations: StubOperation[];
  faults: { throttled: string; server: string; unavailable: string };
}
