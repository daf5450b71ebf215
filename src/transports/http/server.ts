import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { getOAuthProtectedResourceMetadataUrl, mcpAuthMetadataRouter } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { hostHeaderValidation } from '@modelcontextprotocol/sdk/server/middleware/hostHeaderValidation.js';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { App } from '../../app.js';
import { systemClock } from '../../domain/clock.js';
import { tools } from '../../mcp/tools/index.js';
import { accessLog, stderrAccessLog, type AccessRecord } from './access-log.js';
import { HttpTokenVerifier, localAuthInfo } from './auth.js';
import { unfailingEventLog, type StreamEventLog } from './event-log.js';
import { healthRoutes } from './health.js';
import { MAX_IN_FLIGHT_PER_PRINCIPAL, mcpEndpoint } from './mcp-endpoint.js';
import { httpMetrics } from './metrics.js';
import { OAuthVerifier } from './oauth.js';
import { allowedHostnames, assertSafeBind, BODY_TIMEOUT_MS, isLoopback, MAX_BODY_BYTES, originCheck, refuseQueryCredentials, rpcError, tokenRateLimit } from './perimeter.js';
import { readOnlyTools } from './scopes.js';
import { DEFAULT_SESSION_LIMITS, McpSessions, type SessionCredential, type SessionLimits } from './sessions.js';
import type { HttpServedTenants } from './served-tenants.js';
import { TokensFile } from './tokens-file.js';
import { SIGNAL_HOOK_PATH, signalWebhook } from './webhook.js';
import { webRoutes } from './web.js';

export interface HttpServerOptions {
  /** Bind address and port; default config.http (port 0: any free port). */
  host?: string;
  port?: number;
  /** Access-log writer; default a JSON line on stderr. */
  accessLog?: (record: AccessRecord) => void;
  /** Where resumable stream events live; default the app's store. */
  eventLog?: StreamEventLog;
  maxBodyBytes?: number;
  /** How long shutdown waits for requests in flight before closing sessions. */
  drainTimeoutMs?: number;
  sessionLimits?: Partial<SessionLimits>;
  /**
   * The served-tenant set `createApp` was given (its `current`), kept up to date here as
   * the tokens file changes: a tenant given a token while serving gets its background work.
   */
  servedTenants?: HttpServedTenants;
  /** How often the tokens file is checked for changes between requests; default 2 s. */
  tokensPollMs?: number;
  /** Requests (POST, DELETE) a credentialed principal may have in flight; default 16. */
  maxInFlightPerPrincipal?: number;
  /** Connection-level limits; defaults in SERVER_LIMITS. */
  limits?: Partial<ServerLimits>;
  /** Bytes of stream events kept for replay (tests); defaults in event-log.ts. */
  eventBytes?: { maxEventBytes?: number; sessionBytes?: number };
}

export interface ServerLimits {
  /** Time to receive a request's headers. */
  headersTimeoutMs: number;
  /**
   * Time to receive a whole request, headers and body (Node's requestTimeout: it stops
   * counting once the request is read, so GET SSE streams and slow tool calls stay open).
   */
  requestTimeoutMs: number;
  /** Time for a POST body to arrive once the endpoint reads it (408). */
  bodyTimeoutMs: number;
  /** How often Node checks the two request timeouts. */
  checkIntervalMs: number;
  /** Open connections at most; beyond, new ones are closed at once. */
  maxConnections: number;
}

export const SERVER_LIMITS: ServerLimits = { headersTimeoutMs: 20_000, requestTimeoutMs: 30_000, bodyTimeoutMs: BODY_TIMEOUT_MS, checkIntervalMs: 5_000, maxConnections: 1_000 };

export interface HttpServerHandle {
  /** Where the server listens, e.g. http://127.0.0.1:8787. */
  readonly url: string;
  /** The MCP endpoint as clients name it (the public URL's /mcp): the OAuth resource and default audience. */
  readonly resource: URL;
  readonly port: number;
  readonly sessions: McpSessions;
  /**
   * Graceful stop: refuses new requests (503) and connections, waits for requests in
   * flight (at most drainTimeoutMs), closes every MCP session (ending SSE streams) and
   * the listener. Leaves the app open: the caller closes it (releasing leases).
   */
  close(): Promise<void>;
}

export const MCP_PATH = '/mcp';
const SCOPES_SUPPORTED = ['read', 'write'];
const DEFAULT_DRAIN_MS = 10_000;

const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip'];

/**
 * On a server without credentials every request acts as the configured identity, which
 * is safe only while every client is on this machine. A reverse proxy in front of it
 * would hand that identity to whoever reaches the proxy, and the loopback bind cannot
 * tell: a request that says it was forwarded (Forwarded, X-Forwarded-For, …) is refused.
 */
function refuseProxiedLocalIdentity(identity: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!PROXY_HEADERS.some((h) => req.headers[h] !== undefined)) return next();
    res.status(403).json({
      error: 'forbidden',
      error_description:
        `This server has no credentials configured, so every request acts as ${identity}; it refuses requests forwarded by a proxy. ` +
        'Configure LONGHAUL_TOKENS_FILE or LONGHAUL_OAUTH_ISSUER before publishing it behind a reverse proxy.',
    });
  };
}

const urlHost = (host: string) => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Serves MCP over streamable HTTP (MCP 2025-11-25) at `/mcp`, with `/healthz`, `/readyz`,
 * `/metrics`, the signal webhook (`POST /hooks/signals/{investigationId}/{signal}`) and
 * the OAuth protected-resource metadata. Resolves once listening. Refuses (ConfigError)
 * a non-loopback bind or public URL without credentials and a missing or invalid tokens file.
 *
 * Connections: at most `limits.maxConnections`; headers and the whole request must
 * arrive in time. Request pipeline: metrics (counts every response) → access log → Host
 * check (DNS rebinding) → no credentials in the URL → health and metadata routes →
 * without credentials, no proxied requests → /metrics (Origin check; a token of any
 * scope when credentials are configured) → for /mcp and the webhook: Origin check and
 * CORS (on loopback, no cross-site browser requests) → draining? 503 → authentication
 * (bearer token: tokens file, then OAuth JWT; or the local identity on an
 * unauthenticated loopback server) → rate limit (per token; OAuth: per tenant and actor)
 * → the MCP endpoint (requests in flight per principal, bounded body, no batches,
 * scopes, session ownership, the session's transport) or the webhook (`write`, bounded
 * body, `runtime.signals.submit`).
 *
 * Sessions end with their credential: the tokens file is re-read on every request and
 * every `tokensPollMs`, and each re-read closes the sessions of tokens it no longer
 * lists (and updates `servedTenants`); a JWT's session closes at its `exp`.
 */
export async function startHttpServer(app: App, o: HttpServerOptions = {}): Promise<HttpServerHandle> {
  const { config } = app;
  const logger = app.logger.child({ component: 'http' });
  const host = o.host ?? config.http.host;
  assertSafeBind(config, host);
  const tokens = config.http.tokensFile ? new TokensFile(config.http.tokensFile, logger) : null;
  tokens?.load();

  const limits: ServerLimits = { ...SERVER_LIMITS, ...o.limits };
  // Slow clients cannot hold connections for ever: headers and the whole request must
  // arrive in time (Node answers 408 and closes). These clocks stop once a request is
  // read, so a long-lived GET stream or a long tool call is not cut off.
  const httpServer = createServer({ headersTimeout: limits.headersTimeoutMs, requestTimeout: limits.requestTimeoutMs, connectionsCheckingInterval: limits.checkIntervalMs });
  httpServer.maxConnections = limits.maxConnections;
  await listen(httpServer, o.port ?? config.http.port, host);
  const port = (httpServer.address() as AddressInfo).port;
  const wildcard = ['0.0.0.0', '::', '[::]'].includes(host);
  const url = `http://${wildcard ? '127.0.0.1' : urlHost(host)}:${port}`;
  const publicBase = config.http.publicUrl ?? `http://${wildcard ? 'localhost' : urlHost(host)}:${port}`;
  const resource = new URL(`${publicBase}${MCP_PATH}`);
  const resourceMetadataUrl = getOAuthProtectedResourceMetadataUrl(resource);
  const oauth = config.http.oauth ? new OAuthVerifier(config.http.oauth, config.http.oauth.audience || resource.href, logger) : null;
  if (oauth) await oauth.discover();
  const credentials = tokens !== null || oauth !== null;
  if (credentials && !config.http.publicUrl && !isLoopback(host)) {
    logger.warn('LONGHAUL_HTTP_PUBLIC_URL is not set: the protected-resource metadata and the default OAuth audience name ' + resource.href, { resource: resource.href });
  }

  let draining = false;
  let calls = 0;
  // A session lives while the credential holding it is valid: a tokens-file token while
  // the file lists it, a JWT until its exp (judged by the wall clock, as the SDK does).
  const credentialValid = (c: SessionCredential): boolean => {
    if (c.via === 'local') return true;
    if (c.via === 'token') return tokens !== null && c.tokenHash !== null && tokens.has(c.tokenHash);
    return c.expiresAt !== null && c.expiresAt > systemClock.now();
  };
  const sessions = new McpSessions({ ...DEFAULT_SESSION_LIMITS, ...o.sessionLimits }, () => app.clock.now(), logger, { valid: credentialValid, wallNow: () => systemClock.now() });
  // A re-read tokens file closes the sessions of tokens it no longer lists and updates the
  // served tenants. Re-read on every request, and on a timer so a revocation takes hold
  // while no request comes.
  const stopWatchingTokens = tokens?.onChange((change) => {
    const closed = sessions.closeInvalid();
    if (closed) logger.info('closed MCP sessions of tokens no longer in the tokens file', { sessions: closed });
    if (change.ok) o.servedTenants?.update(change.entries.map((e) => e.tenant));
  });
  const tokensPoll = tokens ? setInterval(() => tokens.entries(), o.tokensPollMs ?? 2_000) : null;
  tokensPoll?.unref();
  // Each tenant's own rate limit (its tenants-file entry), else LONGHAUL_HTTP_RATE_LIMIT.
  const limiter = tokenRateLimit(
    (tenantId) => (tenantId ? app.limitsFor(tenantId).rateLimit : config.http.rateLimit),
    [config.http.rateLimit, ...app.tenants.ids().map((t) => app.limitsFor(t).rateLimit)],
  );
  const nowSeconds = () => Math.floor(systemClock.now() / 1000); // the SDK judges expiry by the wall clock

  const metrics = httpMetrics(app, { mcpSessions: () => sessions.size });

  const web = express();
  web.disable('x-powered-by');
  // First: every response counts, the perimeter's refusals too.
  web.use(metrics.middleware);
  web.use(accessLog(o.accessLog ?? stderrAccessLog));
  web.use(hostHeaderValidation(allowedHostnames(host, config.http.publicUrl)));
  web.use(refuseQueryCredentials());
  web.use(healthRoutes(app.store, () => draining, app.readiness));
  if (!credentials) web.use(refuseProxiedLocalIdentity(`${config.tenant}/${config.actor}`));
  if (credentials) {
    const metadata = oauth?.authorizationServerMetadata;
    if (metadata) {
      web.use(mcpAuthMetadataRouter({ oauthMetadata: metadata, resourceServerUrl: resource, scopesSupported: SCOPES_SUPPORTED, resourceName: 'longhaul' }));
    } else {
      // RFC 9728 metadata without an authorization server (tokens file only, or an issuer not reachable at start).
      web.get(new URL(resourceMetadataUrl).pathname, (_req, res) => {
        res.set('Access-Control-Allow-Origin', '*').json({
          resource: resource.href,
          ...(config.http.oauth ? { authorization_servers: [config.http.oauth.issuer] } : {}),
          scopes_supported: SCOPES_SUPPORTED,
          bearer_methods_supported: ['header'],
          resource_name: 'longhaul',
        });
      });
    }
  }
  const origins = originCheck({ allowedOrigins: config.http.allowedOrigins, publicUrl: config.http.publicUrl, loopback: isLoopback(host) });
  const verifier = credentials ? new HttpTokenVerifier(tokens, oauth, nowSeconds) : null;
  const authenticate = verifier
    ? requireBearerAuth({ verifier, resourceMetadataUrl })
    : (req: Request, _res: Response, next: NextFunction) => {
        req.auth = localAuthInfo(app.localCaller, nowSeconds());
        next();
      };
  /** While draining, new requests get 503; the others are counted, and shutdown waits for them. */
  const admit =
    (refuse: (res: Response) => void) =>
    (req: Request, res: Response, next: NextFunction): void => {
      if (draining) return refuse(res);
      // Requests that shutdown waits for: messages, deliveries and session ends, not the long-lived GET streams.
      if (req.method !== 'GET') {
        calls++;
        res.once('close', () => calls--);
      }
      next();
    };
  const DRAINING = 'The server is shutting down; retry shortly (another instance may answer).';
  const drainingHeaders = { 'Retry-After': '5', Connection: 'close' };

  // /metrics: open on an unauthenticated loopback server (every client is local); with
  // credentials, a valid token of any scope. A loopback client address is not enough
  // there: behind a reverse proxy on the same machine every request comes from loopback.
  web.get('/metrics', origins, ...(credentials ? [authenticate, limiter.middleware] : []), metrics.handler);

  web.use(MCP_PATH, origins);
  web.use(MCP_PATH, admit((res) => rpcError(res, 503, DRAINING, -32000, drainingHeaders)));
  web.use(MCP_PATH, authenticate);
  web.use(MCP_PATH, limiter.middleware);
  web.all(
    MCP_PATH,
    mcpEndpoint({
      app,
      sessions,
      eventLog: o.eventLog ?? unfailingEventLog(app.streamEvents, logger),
      readOnly: readOnlyTools(tools),
      resourceMetadataUrl: credentials ? resourceMetadataUrl : null,
      maxBodyBytes: o.maxBodyBytes ?? MAX_BODY_BYTES,
      bodyTimeoutMs: limits.bodyTimeoutMs,
      maxInFlightPerPrincipal: o.maxInFlightPerPrincipal ?? MAX_IN_FLIGHT_PER_PRINCIPAL,
      ...(o.eventBytes ? { eventBytes: o.eventBytes } : {}),
    }),
  );

  // The signal webhook: the same perimeter and credentials as /mcp, its own body limits (webhook.ts).
  web.all(
    SIGNAL_HOOK_PATH,
    origins,
    admit((res) => res.status(503).set(drainingHeaders).json({ error: 'unavailable', error_description: DRAINING })),
    authenticate,
    limiter.middleware,
    signalWebhook({ app, resourceMetadataUrl: credentials ? resourceMetadataUrl : null, logger }),
  );
  // The web page (/, /investigations/{id}, /signin, /api/…, /ui/…): its own sign-in cookie or bearer, CSRF and origin checks (web.ts).
  // Cookies are Secure unless this is plain http on loopback (a browser drops a Secure cookie set over http); behind a public https URL always.
  const webUi = webRoutes({
    app,
    logger,
    verifier,
    // A sign-in cookie is checked against the tokens file as it is now (re-read when it changed), as a bearer token is.
    credentialValid: (c) => {
      tokens?.entries();
      return credentialValid(c);
    },
    ownOrigins: [...new Set([new URL(url).origin, new URL(publicBase).origin])],
    secureCookies: config.http.publicUrl ? new URL(config.http.publicUrl).protocol === 'https:' : !isLoopback(host),
    limiter: limiter.middleware,
    resourceMetadataUrl: credentials ? resourceMetadataUrl : null,
  });
  web.use(webUi.router);
  web.use((_req: Request, res: Response) => {
    res.status(404).json({ error: 'not_found', error_description: `Nothing here; the MCP endpoint is ${MCP_PATH}.` });
  });
  // Last resort: a message in the log (never a stack or a header in the response).
  web.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    logger.error('HTTP request failed', { method: req.method, path: req.path, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    const status = typeof (err as { status?: unknown })?.status === 'number' ? (err as { status: number }).status : 500;
    rpcError(res, status >= 400 && status < 600 ? status : 500, status === 500 ? 'Internal error; it has been logged.' : 'The request could not be handled.', status === 500 ? -32603 : -32000);
  });
  httpServer.on('request', web);

  const sweep = setInterval(() => void sessions.sweepIdle().catch(() => undefined), 60_000);
  sweep.unref();
  const closed = new Promise<void>((resolve) => httpServer.once('close', () => resolve()));
  let closing: Promise<void> | null = null;
  logger.info('serving MCP over HTTP', { url: `${url}${MCP_PATH}`, resource: resource.href, auth: credentials ? [tokens && 'tokens', oauth && 'oauth'].filter(Boolean).join('+') : 'local identity' });

  return {
    url,
    resource,
    port,
    sessions,
    close() {
      closing ??= (async () => {
        draining = true;
        webUi.close();
        clearInterval(sweep);
        if (tokensPoll) clearInterval(tokensPoll);
        stopWatchingTokens?.();
        httpServer.close(); // no new connections; idle keep-alive ones are closed
        const deadline = performance.now() + (o.drainTimeoutMs ?? DEFAULT_DRAIN_MS);
        while (calls > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 25));
        if (calls > 0) logger.warn('shutting down with requests still in flight', { requests: calls });
        await sessions.closeAll();
        limiter.close();
        metrics.close();
        httpServer.closeIdleConnections();
        const grace = new Promise((r) => setTimeout(r, 1_000).unref());
        await Promise.race([closed, grace]);
        httpServer.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}
