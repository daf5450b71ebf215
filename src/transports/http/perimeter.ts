import { networkInterfaces, hostname as osHostname } from 'node:os';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, MemoryStore, rateLimit } from 'express-rate-limit';
import getRawBody from 'raw-body';
import { ConfigError, type Config } from '../../config.js';
import { principalKey, principalOf } from './auth.js';

/**
 * The perimeter of `serve --http` (MCP 2025-11-25 transport security): which Host and
 * Origin headers are served, credentials never taken from the URL, a bounded body, a rate
 * limit. Each piece is one middleware; server.ts puts them in order.
 */

/** The largest request body read: 1 MiB (JSON-RPC messages; larger data goes in several calls). */
export const MAX_BODY_BYTES = 1024 * 1024;

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** Is this a loopback host (name, IPv4 127/8, IPv6 ::1, bracketed or not)? */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

const isWildcard = (host: string) => ['0.0.0.0', '::', '[::]'].includes(host);

/** A host as it appears in a URL or Host header (IPv6 in brackets). */
const urlHost = (host: string) => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host).toLowerCase();

/**
 * Refuses to start a server that would let anyone who reaches it act as the local
 * identity: without a tokens file or an OAuth issuer, the server must bind a loopback
 * address and must not be published at a non-loopback public URL (a reverse proxy on
 * this machine would hand the local identity to whoever reaches the proxy).
 */
export function assertSafeBind(config: Readonly<Config>, host = config.http.host): void {
  if (config.http.tokensFile || config.http.oauth) return;
  const fix = 'Set LONGHAUL_TOKENS_FILE (create tokens with `longhaul token create --tenant T --actor A`) or LONGHAUL_OAUTH_ISSUER';
  if (!isLoopback(host)) {
    throw new ConfigError(
      `Refusing to serve HTTP on ${host}: it is not a loopback address and no credentials are configured, so anyone who can reach it would act as ${config.tenant}/${config.actor}. ` +
        `${fix}, or bind 127.0.0.1.`,
    );
  }
  const publicUrl = config.http.publicUrl;
  if (publicUrl) {
    let publicHost: string;
    try {
      publicHost = new URL(publicUrl).hostname;
    } catch {
      throw new ConfigError(`LONGHAUL_HTTP_PUBLIC_URL "${publicUrl}" is not a URL.`);
    }
    if (!isLoopback(publicHost)) {
      throw new ConfigError(
        `Refusing to serve HTTP at the public URL ${publicUrl} (LONGHAUL_HTTP_PUBLIC_URL) without credentials: whoever reaches that URL would act as ${config.tenant}/${config.actor}. ` +
          `${fix}, or unset LONGHAUL_HTTP_PUBLIC_URL to serve this machine only.`,
      );
    }
  }
}

/**
 * Host names (without port) the server answers to, for the SDK's host-header validation
 * (DNS-rebinding protection). A loopback bind: localhost, 127.0.0.1, [::1]. Any other
 * bind: the public URL's host and the bind address; a wildcard bind (0.0.0.0, ::) adds
 * the loopback names, this machine's name and its interface addresses (health checks,
 * peers on the network) — a DNS name in front of it must be given as LONGHAUL_HTTP_PUBLIC_URL.
 * The public URL's host is allowed on every bind (a reverse proxy on the same machine).
 */
export function allowedHostnames(bindHost: string, publicUrl: string | null): string[] {
  const out = new Set<string>();
  if (publicUrl) out.add(new URL(publicUrl).hostname.toLowerCase());
  if (isLoopback(bindHost)) {
    for (const n of LOOPBACK_NAMES) out.add(n);
  } else if (isWildcard(bindHost)) {
    for (const n of LOOPBACK_NAMES) out.add(n);
    out.add(osHostname().toLowerCase());
    for (const addrs of Object.values(networkInterfaces())) for (const a of addrs ?? []) out.add(urlHost(a.address.replace(/%.*$/, '')));
  } else {
    out.add(urlHost(bindHost));
  }
  return [...out];
}

const normalizeOrigin = (origin: string): string | null => {
  try {
    const u = new URL(origin);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : null;
  } catch {
    return null;
  }
};

/** A JSON-RPC error body as the SDK's transport writes them (id null unless the one request it answers is known). */
export function rpcError(res: Response, status: number, message: string, code = -32000, headers: Record<string, string> = {}, id: string | number | null = null): void {
  if (res.headersSent) return;
  res.status(status).set(headers).json({ jsonrpc: '2.0', error: { code, message }, id });
}

/**
 * Origin check and CORS for the MCP endpoint. No Origin (non-browser clients) passes —
 * except, on a loopback server, a request a browser marks `Sec-Fetch-Site: cross-site`
 * (a page elsewhere reaching into this machine). Allowed: an exact entry of
 * LONGHAUL_ALLOWED_ORIGINS (scheme, host and port), the public URL's origin, and on a
 * loopback host the same origin as the request's Host. Everything else — `Origin: null`,
 * look-alikes such as `http://localhost.evil.example`, an allowed host on another port —
 * is 403. Allowed origins get CORS headers, and their preflight (OPTIONS) is answered
 * here, before authentication (it carries no credentials).
 */
export function originCheck(opts: { allowedOrigins: readonly string[]; publicUrl: string | null; loopback?: boolean }): RequestHandler {
  const allowed = new Set(opts.allowedOrigins.map(normalizeOrigin).filter((o): o is string => o !== null));
  const publicOrigin = opts.publicUrl ? normalizeOrigin(opts.publicUrl) : null;
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    if (origin === undefined) {
      if (opts.loopback && req.headers['sec-fetch-site'] === 'cross-site') {
        return rpcError(res, 403, 'Forbidden: a cross-site browser request (Sec-Fetch-Site: cross-site) is not served by a server on this machine. An operator can allow an origin with LONGHAUL_ALLOWED_ORIGINS.');
      }
      return next();
    }
    const normalized = normalizeOrigin(origin);
    let ok = false;
    if (normalized !== null && (allowed.has(normalized) || normalized === publicOrigin)) ok = true;
    else if (normalized !== null && req.headers.host) {
      const u = new URL(normalized);
      ok = isLoopback(u.hostname) && normalized === normalizeOrigin(`${u.protocol}//${req.headers.host}`);
    }
    if (!ok) {
      return rpcError(res, 403, `Forbidden: requests from the browser origin ${JSON.stringify(origin.slice(0, 200))} are not allowed. An operator can allow an origin with LONGHAUL_ALLOWED_ORIGINS.`);
    }
    res.set({
      'Access-Control-Allow-Origin': origin,
      Vary: 'Origin',
      'Access-Control-Expose-Headers': 'Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate, Retry-After',
    });
    if (req.method === 'OPTIONS') {
      res
        .set({
          'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
          'Access-Control-Allow-Headers': 'Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID',
          'Access-Control-Max-Age': '600',
        })
        .status(204)
        .end();
      return;
    }
    next();
  };
}

const CREDENTIAL_PARAM = /^(access[_-]?token|token|id[_-]?token|refresh[_-]?token|auth|authorization|bearer|api[_-]?key|apikey|key|secret|password|passwd|jwt|session[_-]?token|credentials?)$/i;
const CREDENTIAL_VALUE = /^(lh_[A-Za-z0-9_-]{20,}|eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*|Bearer\s.+)$/i;

/**
 * Credentials are never accepted in the URL (they end up in proxy logs and browser
 * history): a query parameter named like one (`access_token`, `token`, `api_key`…) or
 * holding something shaped like one (an `lh_` token, a JWT) is refused with 400 before
 * anything else looks at the request.
 */
export function refuseQueryCredentials(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const q = req.originalUrl.indexOf('?');
    if (q === -1) return next();
    const params = new URLSearchParams(req.originalUrl.slice(q + 1));
    for (const [k, v] of params) {
      if (CREDENTIAL_PARAM.test(k) || CREDENTIAL_VALUE.test(v.trim())) {
        res.status(400).json({
          error: 'invalid_request',
          error_description: `Credentials are never accepted in the URL (query parameter "${k.replace(/[^\w.-]/g, '').slice(0, 40)}"). Send the token in the Authorization header: Authorization: Bearer <token>. If that token was real, treat it as exposed and revoke it.`,
        });
        return;
      }
    }
    next();
  };
}

/** A body that could not be read: too large (413), or broken off. */
export class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** How long a request body may take to arrive, by default. */
export const BODY_TIMEOUT_MS = 30_000;

/**
 * Reads a request body of at most `limit` bytes as text, within `timeoutMs`. With a
 * Content-Length over the limit nothing is read; a chunked body is counted as it streams
 * and abandoned at the limit; a body still arriving at the deadline is abandoned (408:
 * a client trickling bytes must not hold the request, and its principal's in-flight
 * slot, for ever). After a 413 or 408 the caller closes the connection.
 */
export async function readBody(req: Request, limit = MAX_BODY_BYTES, timeoutMs = BODY_TIMEOUT_MS): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const reading = getRawBody(req, { limit, length: req.headers['content-length'], encoding: 'utf8' });
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BodyError(408, `The request body did not arrive within ${Math.round(timeoutMs / 1000)} s.`)), timeoutMs);
  });
  try {
    return await Promise.race([reading, late]);
  } catch (e) {
    if (e instanceof BodyError) {
      reading.catch(() => undefined); // abandoned: its own error (the connection closing) is not news
      req.unpipe();
      req.pause();
      throw e;
    }
    const type = (e as { type?: string }).type;
    if (type === 'entity.too.large') throw new BodyError(413, `The request body is over ${limit} bytes (1 MiB), the most longhaul reads; send large data in several calls.`);
    if (type === 'request.size.invalid') throw new BodyError(400, 'The request body is shorter or longer than its Content-Length.');
    throw new BodyError(400, `The request body could not be read (${(e as Error).message}).`);
  } finally {
    clearTimeout(timer);
  }
}

export interface RateLimiter {
  middleware: RequestHandler;
  close(): void;
}

type Limits = { requests: number; windowMs: number };

/**
 * `requests` per `windowMs` per caller: a tokens-file token by its SHA-256 (a token used
 * from many addresses shares one budget); an OAuth caller by its principal (tenant and
 * actor: a freshly minted JWT gets no fresh budget); the unauthenticated local identity
 * by client address. A request is one JSON-RPC message (the endpoint refuses batches). The limits are the caller's tenant's (its tenants-file `limits.rateLimit`,
 * else LONGHAUL_HTTP_RATE_LIMIT): one limiter per distinct limit, made at start for
 * `known` (express-rate-limit wants its instances made before requests arrive).
 * Beyond it: 429 with Retry-After (and the RateLimit headers of draft 7). Runs after
 * authentication.
 */
export function tokenRateLimit(limitsFor: (tenantId: string | null) => Limits, known: readonly Limits[]): RateLimiter {
  const limiters = new Map<string, { handler: RequestHandler; store: MemoryStore }>();
  const limiterFor = (limits: Limits) => {
    const k = `${limits.requests}/${limits.windowMs}`;
    let l = limiters.get(k);
    if (!l) {
      const store = new MemoryStore();
      const handler = rateLimit({
        windowMs: limits.windowMs,
        limit: limits.requests,
        standardHeaders: 'draft-7',
        legacyHeaders: false,
        store,
        // The key is never a token, only its hash: the limiter's store is not a place for secrets.
        keyGenerator: (req) => {
          const p = principalOf(req.auth);
          if (p?.via === 'jwt') return `p:${principalKey(p)}`;
          // The socket's address, not req.ip: no proxy is trusted, and req.ip parses forwarding headers on every request.
          return p?.tokenHash ? `t:${p.tokenHash}` : `a:${ipKeyGenerator(req.socket.remoteAddress ?? 'unknown')}`;
        },
        // The library's configuration checks look at every request (req.ip, forwarding
        // headers); this configuration is fixed here, and behind a proxy the token key,
        // not the proxy's address, is what counts.
        validate: false,
        handler: (req, res) => {
          const who = principalOf(req.auth)?.via === 'jwt' ? 'this tenant and actor' : principalOf(req.auth)?.tokenHash ? 'this token' : 'this address';
          rpcError(res, 429, `Too many requests: ${who} may make ${limits.requests} requests per ${Math.round(limits.windowMs / 1000)} s. Retry after the number of seconds in Retry-After.`);
        },
      });
      limiters.set(k, (l = { handler, store }));
    }
    return l.handler;
  };
  for (const l of known) limiterFor(l);
  const middleware: RequestHandler = (req, res, next) => limiterFor(limitsFor(principalOf(req.auth)?.tenantId ?? null))(req, res, next);
  return { middleware, close: () => limiters.forEach((l) => l.store.shutdown()) };
}
