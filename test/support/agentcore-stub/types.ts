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
