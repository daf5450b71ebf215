import { randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Request, RequestHandler, Response } from 'express';
import type { App } from '../../app.js';
import { buildServer } from '../../mcp/server.js';
import { credentialOf, hasScope, principalKey, principalOf, resolveHttpCaller } from './auth.js';
import { sessionEventStore, type StreamEventLog } from './event-log.js';
import { BODY_TIMEOUT_MS, BodyError, readBody, rpcError } from './perimeter.js';
import { scopeNeeded, type ScopeNeed } from './scopes.js';
import type { McpSession, McpSessions } from './sessions.js';

export interface McpEndpointDeps {
  app: App;
  sessions: McpSessions;
  eventLog: StreamEventLog;
  /** Tool name → read-only (scopes.ts). */
  readOnly: ReadonlyMap<string, boolean>;
  /** The protected-resource metadata URL, for WWW-Authenticate on 403 (null without credentials). */
  resourceMetadataUrl: string | null;
  maxBodyBytes: number;
  /** How long a request body may take to arrive; default BODY_TIMEOUT_MS. */
  bodyTimeoutMs?: number;
  /**
   * POST and DELETE requests one credentialed principal may have in flight at once
   * (beyond: 429); default MAX_IN_FLIGHT_PER_PRINCIPAL. Long-lived GET streams are bounded
   * by sessions instead; the local identity (every client on this machine) is not capped.
   */
  maxInFlightPerPrincipal?: number;
  /** Passed to each session's event store (tests); defaults in event-log.ts. */
  eventBytes?: { maxEventBytes?: number; sessionBytes?: number };
}

/** Default cap on a principal's requests in flight. */
export const MAX_IN_FLIGHT_PER_PRINCIPAL = 16;

const isInitialize = (body: unknown): boolean =>
  (Array.isArray(body) ? body : [body]).some((m) => !!m && typeof m === 'object' && (m as { method?: unknown }).method === 'initialize');

/** The id of a body that is one JSON-RPC request, so an error can answer it; null otherwise (batches, notifications). */
function singleRequestId(body: unknown): string | number | null {
  const id = body && typeof body === 'object' && !Array.isArray(body) ? (body as { id?: unknown }).id : undefined;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

function insufficientScope(res: Response, need: ScopeNeed, held: readonly string[], resourceMetadataUrl: string | null, id: string | number | null = null): void {
  const description = `${need.what} needs the ${need.scope} scope`;
  const header = `Bearer error="insufficient_scope", scope="${need.scope}", error_description="${description}"${resourceMetadataUrl ? `, resource_metadata="${resourceMetadataUrl}"` : ''}`;
  const message = `Forbidden: ${description}; this credential has ${held.length ? held.join(', ') : 'no scopes'}. Ask for a token with the ${need.scope} scope.`;
  rpcError(res, 403, message, -32000, { 'WWW-Authenticate': header }, id);
}

/**
 * The MCP endpoint (`/mcp`: POST messages, GET the server's SSE stream, DELETE the
 * session), after authentication. For each request: a credentialed principal's POSTs and
 * DELETEs in flight are capped (429); the body is read (bounded in size and time), a
 * JSON-RPC batch is refused, and the message is checked against the credential's scopes
 * before any transport sees it; a request with an `Mcp-Session-Id` goes to that
 * session's transport only if the session was opened by the same principal (tenant and
 * actor), and its credential then holds the session; an `initialize` without one opens
 * a session: a transport with a fresh id and resumable streams, and its own
 * `buildServer`, which pushes nothing once the session's credential is no longer valid
 * and offers the client's model for sampling only to a credential with `write`.
 */
export function mcpEndpoint(d: McpEndpointDeps): RequestHandler {
  const maxInFlight = d.maxInFlightPerPrincipal ?? MAX_IN_FLIGHT_PER_PRINCIPAL;
  const inFlight = new Map<string, number>();
  return async (req: Request, res: Response) => {
    const principal = principalOf(req.auth);
    if (!principal) return rpcError(res, 401, 'Unauthorized: no verified credential.');
    if (req.method !== 'POST' && req.method !== 'GET' && req.method !== 'DELETE') {
      return rpcError(res, 405, 'Method not allowed: use POST, GET or DELETE on /mcp.', -32000, { Allow: 'GET, POST, DELETE' });
    }
    const key = principalKey(principal);
    if (req.method !== 'GET' && principal.via !== 'local') {
      // Counted from the first byte: a body trickling in holds its slot too.
      const n = inFlight.get(key) ?? 0;
      if (n >= maxInFlight) {
        return rpcError(res, 429, `Too many requests in flight: this tenant and actor may have ${maxInFlight} at once. Wait for one to finish.`, -32000, { 'Retry-After': '1' });
      }
      inFlight.set(key, n + 1);
      res.once('close', () => {
        const left = (inFlight.get(key) ?? 1) - 1;
        if (left > 0) inFlight.set(key, left);
        else inFlight.delete(key);
      });
    }

    let body: unknown;
    if (req.method === 'POST') {
      let text: string;
      try {
        text = await readBody(req, d.maxBodyBytes, d.bodyTimeoutMs ?? BODY_TIMEOUT_MS);
      } catch (e) {
        const err = e instanceof BodyError ? e : new BodyError(400, 'The request body could not be read.');
        // Over the limit or too slow, the rest of the body is not worth reading: close the connection after answering.
        return rpcError(res, err.status, err.message, -32000, err.status === 413 || err.status === 408 ? { Connection: 'close' } : {});
      }
      try {
        body = JSON.parse(text);
      } catch {
        return rpcError(res, 400, 'Parse error: the body is not JSON.', -32700);
      }
      const need = scopeNeeded(body, d.readOnly);
      if (!hasScope(principal, need.scope)) return insufficientScope(res, need, principal.scopes, d.resourceMetadataUrl, singleRequestId(body));
      // MCP 2025-06-18 dropped JSON-RPC batching; taking batches would let one HTTP request
      // (one rate-limit unit, one in-flight slot) carry any number of calls.
      if (Array.isArray(body)) {
        return rpcError(res, 400, 'Invalid Request: JSON-RPC batches are not accepted; send one JSON-RPC message per HTTP request.', -32600);
      }
    } else if (!hasScope(principal, 'read')) {
      return insufficientScope(res, { scope: 'read', what: `${req.method} /mcp` }, principal.scopes, d.resourceMetadataUrl);
    }

    const sessionId = req.headers['mcp-session-id'];
    if (sessionId !== undefined) {
      const session = typeof sessionId === 'string' ? d.sessions.get(sessionId) : undefined;
      if (!session) return rpcError(res, 404, 'Session not found: initialize a new MCP session.', -32001);
      // The session id is a routing handle, not authority: another principal's credential never reaches it.
      if (session.principal !== key) return rpcError(res, 403, 'Forbidden: this MCP session was opened with another credential (tenant and actor); initialize your own session.');
      // The same principal's latest credential now holds the session (a refreshed JWT keeps it open).
      d.sessions.renew(session, credentialOf(req.auth, principal));
      res.once('close', d.sessions.begin(session));
      await session.transport.handleRequest(req, res, body);
      return;
    }

    if (req.method !== 'POST' || !isInitialize(body)) {
      return rpcError(res, 400, 'Bad Request: Mcp-Session-Id header is required (initialize first).');
    }
    if (!d.sessions.hasRoom(key)) {
      return rpcError(res, 503, 'Too many open MCP sessions; close one (DELETE /mcp) or retry later.', -32000, { 'Retry-After': '30' });
    }
    let session: McpSession | null = null;
    const server = buildServer(d.app, {
      resolveCaller: resolveHttpCaller,
      // Nothing reaches a client whose credential was revoked or expired (the session is closing).
      credentialValid: () => session !== null && d.sessions.isLive(session),
      // A sampling client's answers become memory: only a credential that may write offers its model.
      samplingAllowed: () => session !== null && session.credential.scopes.includes('write'),
    });
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      eventStore: sessionEventStore(d.eventLog, () => transport.sessionId, { now: () => d.app.clock.now(), ...d.eventBytes }),
      onsessioninitialized: (id) => {
        session = { id, principal: key, transport, server, credential: credentialOf(req.auth, principal), lastActive: d.app.clock.now(), inFlight: 0 };
        d.sessions.add(session);
      },
      onsessionclosed: (id) => d.sessions.remove(id),
    });
    transport.onclose = () => {
      if (transport.sessionId) d.sessions.remove(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
    // An initialize the transport refused opened no session: nothing else will close this server.
    if (transport.sessionId === undefined || !d.sessions.get(transport.sessionId)) await server.close().catch(() => undefined);
  };
}
