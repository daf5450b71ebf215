import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { App } from '../app.js';
import type { Caller } from '../runtime/deps.js';

/** What the SDK hands every request handler (auth info, session id, abort signal). */
export type RequestExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * Turns a request into the caller it acts for: stdio returns the configured identity,
 * HTTP reads `extra.authInfo`. May throw (a LonghaulError `unauthorized`). The only way
 * a handler learns its caller — never from tool arguments.
 */
export type ResolveCaller = (extra: RequestExtra) => Caller;

/** What tools and resources get from the server they are registered on. */
export interface McpContext {
  readonly app: App;
  /** Resolves the caller of a request (and remembers its tenant for log forwarding). */
  resolveCaller(extra: RequestExtra): Caller;
  /**
   * The caller of the request being handled, for SDK callbacks that receive no `extra`
   * (completion callbacks: modelcontextprotocol/typescript-sdk#2029). Null outside a
   * scoped request or when the caller cannot be resolved.
   */
  callerInScope(): Caller | null;
}

/** Holds the `extra` of the request in flight, for callbacks the SDK calls without it. */
export const requestScope = new AsyncLocalStorage<RequestExtra>();
