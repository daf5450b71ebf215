import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import { z } from 'zod';
import type { App } from '../../app.js';
import type { Change } from '../../domain/change.js';
import { isLonghaulError } from '../../domain/errors.js';
import type { Logger } from '../../logger.js';
import { uiAsset } from '../../ui/assets.js';
import { hasScope, localAuthInfo, principalOf, type HttpPrincipal, type HttpTokenVerifier } from './auth.js';
import type { SessionCredential } from './sessions.js';
import { investigationPayload, olderEvents, WEB_LIST_PAGE } from './web-data.js';
import { errorPage, indexPage, investigationPage, signinPage, WEB_HEADERS } from './web-pages.js';
import { csrfMatches, parseCookies, WebSessions } from './web-session.js';
import { LiveStreams, MAX_STREAMS_PER_PRINCIPAL } from './web-stream.js';
import { signalWebhook } from './webhook.js';

/**
 * The web page on `serve --http`: `/` lists the tenant's investigations and the inbox;
 * `/investigations/{id}` shows the investigation view, kept live by server-sent events
 * from the change feed; `/signin` and `/signout`; the JSON and SSE endpoints under
 * `/api/`; the bundle under `/ui/`.
 *
 * Who: a sign-in cookie (a random session id, see web-session.ts), else an
 * `Authorization: Bearer` header (the tokens of `/mcp`, or an OAuth JWT: for scripts),
 * else — on a loopback server without credentials — the configured local identity.
 * Everything reads through the runtime with that principal's tenant and actor; every
 * route needs `read`. Writes — closing the investigation, delivering a signal's file
 * (the webhook's handler, rules and limits) — need `write`, and from a browser (the
 * cookie, or the local identity) a same-origin `Origin` and the session's CSRF token in
 * `X-CSRF-Token` (the cookie is also SameSite=Strict).
 */

export interface WebDeps {
  app: App;
  logger: Logger;
  /** Verifies a bearer token (tokens file, then OAuth); null on a server without credentials. */
  verifier: HttpTokenVerifier | null;
  /** Is the credential behind a principal still valid (a token still in the file, a JWT before exp)? */
  credentialValid: (c: SessionCredential) => boolean;
  /** This server's own origins (its listen URL and public URL): writes must come from one. */
  ownOrigins: readonly string[];
  /**
   * Secure cookies: true unless the server is plain http on loopback, where browsers
   * would drop a Secure cookie (http://127.0.0.1 is a "potentially trustworthy" origin
   * for most things but a Secure cookie set over http is refused by some). Behind TLS
   * (a public https URL) the cookie is always Secure.
   */
  secureCookies: boolean;
  /** Per-principal rate limit, after authentication (the same limiter as /mcp). */
  limiter: RequestHandler;
  /** The protected-resource metadata URL (WWW-Authenticate on 401/403), null without credentials. */
  resourceMetadataUrl: string | null;
}

export interface WebRoutes {
  router: Router;
  /** Ends every open event stream (shutdown). */
  close(): void;
}

const COOKIE_SECURE = '__Host-longhaul_session';
const COOKIE_PLAIN = 'longhaul_session';

const STATUS_BY_CODE: Readonly<Record<string, number>> = { invalid_input: 400, unauthorized: 401, not_found: 404, illegal_transition: 409, conflict: 409, storage_unavailable: 503 };

const closeInput = z.object({
  outcome: z.enum(['completed', 'inconclusive', 'cancelled']).describe('How it ended'),
  summary: z.string().trim().min(1).max(2_000).optional().describe('Optional closing summary'),
});

/** Where to go after signing in: a path on this server only (never `//host` or a URL). */
const safeNext = (v: unknown) => (typeof v === 'string' && /^\/(?![/\\])[A-Za-z0-9/_\-.?=&%]*$/.test(v) && v.length <= 300 ? v : '/');

interface Who {
  principal: HttpPrincipal;
  /** How the request proved it: cookie and local requests come from a browser and need CSRF checks on writes. */
  via: 'cookie' | 'bearer' | 'local';
  csrf: string;
  cookieId: string | null;
}

declare module 'express-serve-static-core' {
  interface Request {
    web?: Who;
  }
}

export function webRoutes(d: WebDeps): WebRoutes {
  const { app } = d;
  const sessions = new WebSessions(app.clock);
  const cookieName = d.secureCookies ? COOKIE_SECURE : COOKIE_PLAIN;
  const nowSeconds = () => Math.floor(app.clock.now() / 1000);
  // The local identity's CSRF token: a loopback server without credentials has no sign-in, but its writes still need one.
  const localCsrf = sessions.create(localPrincipal(app), null).session.csrf;
  const live = new LiveStreams(app.feed);
  const router = express.Router();

  const authInfoOf = (p: HttpPrincipal, expiresAt: number): AuthInfo => ({ token: 'web-session', clientId: p.actorId, scopes: p.scopes, expiresAt: Math.floor(expiresAt / 1000), extra: { ...p } });
  const credentialOfPrincipal = (p: HttpPrincipal, expiresAt: number | null): SessionCredential => ({ tokenHash: p.tokenHash, via: p.via, expiresAt, scopes: [...p.scopes] });

  /** Resolves who is asking; null when nobody is signed in (the caller answers 401 or redirects). */
  async function identify(req: Request): Promise<Who | null | 'invalid'> {
    const header = req.headers.authorization;
    if (header !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!m || !d.verifier) return 'invalid';
      try {
        const auth = await d.verifier.verifyAccessToken(m[1]!);
        const p = principalOf(auth);
        if (!p) return 'invalid';
        req.auth = auth;
        return { principal: p, via: 'bearer', csrf: '', cookieId: null };
      } catch {
        return 'invalid';
      }
    }
    const id = parseCookies(req.headers.cookie).get(cookieName);
    const s = sessions.get(id);
    if (s) {
      const jwtExpiry = s.principal.via === 'jwt' ? s.expiresAt : null;
      if (!d.credentialValid(credentialOfPrincipal(s.principal, jwtExpiry))) {
        sessions.delete(id);
        return null;
      }
      req.auth = authInfoOf(s.principal, s.expiresAt);
      return { principal: s.principal, via: 'cookie', csrf: s.csrf, cookieId: id ?? null };
    }
    if (!d.verifier) {
      req.auth = localAuthInfo(app.localCaller, nowSeconds());
      return { principal: principalOf(req.auth)!, via: 'local', csrf: localCsrf, cookieId: null };
    }
    return null;
  }

  const send401 = (res: Response, message: string) =>
    res
      .status(401)
      .set({ ...WEB_HEADERS, ...(d.resourceMetadataUrl ? { 'WWW-Authenticate': `Bearer resource_metadata="${d.resourceMetadataUrl}"` } : { 'WWW-Authenticate': 'Bearer' }) })
      .json({ error: 'invalid_token', error_description: message });

  /** Pages: who, else to /signin. API: who, else 401. Both need `read`. */
  const authenticate =
    (kind: 'page' | 'api'): RequestHandler =>
    (req, res, next) => {
      identify(req).then(
        (who) => {
          if (who === 'invalid') return send401(res, 'The bearer token is not valid (unknown, revoked or expired).');
          if (!who) {
            if (kind === 'page') return res.redirect(303, `/signin?next=${encodeURIComponent(req.originalUrl)}`);
            return send401(res, 'Sign in at /signin, or send Authorization: Bearer <token>.');
          }
          if (!hasScope(who.principal, 'read')) return forbidden(res, 'read', who.principal);
          req.web = who;
          next();
        },
        (e: unknown) => next(e),
      );
    };

  const forbidden = (res: Response, scope: 'read' | 'write', p: HttpPrincipal) =>
    res
      .status(403)
      .set(WEB_HEADERS)
      .set('WWW-Authenticate', `Bearer error="insufficient_scope", scope="${scope}"${d.resourceMetadataUrl ? `, resource_metadata="${d.resourceMetadataUrl}"` : ''}`)
      .json({ error: 'insufficient_scope', error_description: `This needs the ${scope} scope; your credential has ${p.scopes.length ? p.scopes.join(', ') : 'no scopes'}.` });

  /** Writes: `write`, and from a browser a same-origin Origin and the CSRF token. */
  const writeGuard =
    (csrfFrom: 'header' | 'form'): RequestHandler =>
    (req, res, next) => {
      const who = req.web!;
      if (!hasScope(who.principal, 'write')) return forbidden(res, 'write', who.principal);
      if (who.via === 'bearer') return next();
      if (!sameOrigin(req)) return res.status(403).set(WEB_HEADERS).json({ error: 'forbidden', error_description: 'This form must be sent from this site (Origin does not match).' });
      const sent = csrfFrom === 'header' ? req.headers['x-csrf-token'] : (req.body as { csrf?: unknown } | undefined)?.csrf;
      if (!csrfMatches(sent, who.csrf)) return res.status(403).set(WEB_HEADERS).json({ error: 'forbidden', error_description: 'The request is missing this page\'s CSRF token; reload the page and try again.' });
      next();
    };

  const sameOrigin = (req: Request) => {
    const origin = req.headers.origin;
    if (typeof origin !== 'string') return false;
    const own = new Set([...d.ownOrigins, `http://${req.headers.host ?? ''}`]);
    return own.has(origin.toLowerCase());
  };

  const apiError = (res: Response, e: unknown, what: string) => {
    if (isLonghaulError(e)) {
      const status = STATUS_BY_CODE[e.code] ?? 500;
      if (status !== 500) return res.status(status).set(WEB_HEADERS).json({ error: e.code, error_description: e.message });
    }
    d.logger.error('web request failed', { what, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    return res.status(500).set(WEB_HEADERS).json({ error: 'internal', error_description: 'longhaul hit an unexpected error; it has been logged.' });
  };

  const callerOf = (req: Request) => ({ tenantId: req.web!.principal.tenantId, actorId: req.web!.principal.actorId });
  const whoText = (req: Request) => `${req.web!.principal.tenantId} / ${req.web!.principal.actorId}`;

  // ---- assets: public (no data in them) ----
  const asset = (name: 'web.js' | 'web.css', type: string): RequestHandler => (req, res) => {
    const a = uiAsset(name);
    res.set({ ...WEB_HEADERS, 'Content-Type': type, 'Cache-Control': 'no-cache', ETag: a.etag });
    if (req.headers['if-none-match'] === a.etag) return res.status(304).end();
    res.send(a.body);
  };
  router.get('/ui/web.js', asset('web.js', 'text/javascript; charset=utf-8'));
  router.get('/ui/web.css', asset('web.css', 'text/css; charset=utf-8'));

  // ---- sign-in ----
  router.get('/signin', (req, res) => {
    if (!d.verifier) return res.redirect(303, '/');
    res.set(WEB_HEADERS).type('html').send(signinPage({ next: safeNext(req.query.next) }));
  });
  // Rate-limited by address (nobody is signed in yet), like any unauthenticated request.
  router.post('/signin', d.limiter, express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 10 }), async (req, res) => {
    if (!d.verifier) return res.redirect(303, '/');
    // Login CSRF: only this site's own form may sign a browser in.
    if (!sameOrigin(req)) return res.status(403).set(WEB_HEADERS).type('html').send(errorPage('Forbidden', 'Sign in from this site\'s own sign-in page.'));
    const body = (req.body ?? {}) as { token?: unknown; next?: unknown };
    const next = safeNext(body.next);
    const token = typeof body.token === 'string' ? body.token.trim() : '';
    try {
      if (!token || token.length > 8_192) throw new Error('empty');
      const auth = await d.verifier.verifyAccessToken(token);
      const p = principalOf(auth);
      if (!p) throw new Error('no principal');
      if (!hasScope(p, 'read')) return res.status(403).set(WEB_HEADERS).type('html').send(signinPage({ next, error: 'This token has neither the read nor the write scope.' }));
      const { id, session } = sessions.create(p, p.via === 'jwt' && typeof auth.expiresAt === 'number' ? auth.expiresAt * 1000 : null);
      res.cookie(cookieName, id, { httpOnly: true, secure: d.secureCookies, sameSite: 'strict', path: '/', maxAge: Math.max(0, session.expiresAt - app.clock.now()) });
      d.logger.info('web sign-in', { tenantId: p.tenantId, actorId: p.actorId, via: p.via });
      res.redirect(303, next);
    } catch {
      res.status(401).set(WEB_HEADERS).type('html').send(signinPage({ next, error: 'That token is not valid (unknown, revoked or expired).' }));
    }
  });
  router.post('/signout', express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 5 }), authenticate('page'), writeGuardSignout(), (req, res) => {
    sessions.delete(req.web!.cookieId ?? undefined);
    res.clearCookie(cookieName, { httpOnly: true, secure: d.secureCookies, sameSite: 'strict', path: '/' });
    res.redirect(303, d.verifier ? '/signin' : '/');
  });
  /** Sign-out needs no scope beyond read, but the same origin and CSRF checks as a write. */
  function writeGuardSignout(): RequestHandler {
    return (req, res, next) => {
      const who = req.web!;
      if (who.via === 'bearer') return next();
      if (!sameOrigin(req) || !csrfMatches((req.body as { csrf?: unknown } | undefined)?.csrf, who.csrf)) return res.status(403).set(WEB_HEADERS).type('html').send(errorPage('Forbidden', 'Sign out from this site\'s own page.'));
      next();
    };
  }

  // ---- pages ----
  router.get('/', authenticate('page'), (req, res) => {
    res.set(WEB_HEADERS).type('html').send(indexPage({ csrf: req.web!.csrf, who: whoText(req), signedInByCookie: req.web!.via === 'cookie' }));
  });
  router.get('/investigations/:investigationId', authenticate('page'), (req, res) => {
    const id = String(req.params.investigationId);
    if (!/^inv_[A-Za-z0-9]{1,100}$/.test(id)) return res.status(404).set(WEB_HEADERS).type('html').send(errorPage('Not found', 'That is not an investigation id.'));
    res.set(WEB_HEADERS).type('html').send(investigationPage({ csrf: req.web!.csrf, who: whoText(req), signedInByCookie: req.web!.via === 'cookie', investigationId: id }));
  });

  // ---- JSON ----
  const api = express.Router();
  api.use(authenticate('api'), d.limiter);
  api.get('/investigations', async (req, res) => {
    try {
      const cursor = typeof req.query.cursor === 'string' ? req.query.cursor : null;
      const page = await app.runtime.investigations.list(callerOf(req), { limit: WEB_LIST_PAGE, cursor });
      res.set(WEB_HEADERS).json(page);
    } catch (e) {
      apiError(res, e, 'list investigations');
    }
  });
  api.get('/inbox', async (req, res) => {
    try {
      const cursor = typeof req.query.cursor === 'string' ? req.query.cursor : null;
      res.set(WEB_HEADERS).json(await app.reports.inbox(callerOf(req), { cursor }));
    } catch (e) {
      apiError(res, e, 'inbox');
    }
  });
  api.get('/investigations/:investigationId', async (req, res) => {
    try {
      const events = typeof req.query.events === 'string' && /^\d{1,3}$/.test(req.query.events) ? Number(req.query.events) : undefined;
      res.set(WEB_HEADERS).json(await investigationPayload(app, callerOf(req), String(req.params.investigationId), hasScope(req.web!.principal, 'write'), events));
    } catch (e) {
      apiError(res, e, 'investigation');
    }
  });
  api.get('/investigations/:investigationId/timeline', async (req, res) => {
    try {
      const cursor = typeof req.query.cursor === 'string' ? req.query.cursor : '';
      if (!cursor) return res.status(400).set(WEB_HEADERS).json({ error: 'invalid_input', error_description: 'Give the cursor of the page before (olderCursor).' });
      res.set(WEB_HEADERS).json(await olderEvents(app, callerOf(req), String(req.params.investigationId), cursor));
    } catch (e) {
      apiError(res, e, 'timeline');
    }
  });
  api.post('/investigations/:investigationId/close', writeGuard('header'), express.json({ limit: '16kb' }), async (req, res) => {
    const parsed = closeInput.safeParse(req.body);
    if (!parsed.success) return res.status(400).set(WEB_HEADERS).json({ error: 'invalid_input', error_description: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
    try {
      const r = await app.runtime.investigations.close(callerOf(req), { investigationId: String(req.params.investigationId), outcome: parsed.data.outcome, summary: parsed.data.summary ?? null });
      res.set(WEB_HEADERS).json({ investigationId: r.investigation.investigationId, status: r.investigation.status, outcome: r.investigation.outcome });
    } catch (e) {
      apiError(res, e, 'close');
    }
  });
  // A signal's file from the page: the webhook's own handler, so its rules and limits hold here too.
  api.post('/investigations/:investigationId/signals/:signal', writeGuard('header'), signalWebhook({ app, resourceMetadataUrl: d.resourceMetadataUrl, logger: d.logger }));

  // ---- live: server-sent events from the change feed (web-stream.ts) ----
  const stream =
    (matches: (c: Change, req: Request) => boolean): RequestHandler =>
    async (req, res) => {
      const who = req.web!;
      const caller = callerOf(req);
      if (!live.admits(caller)) return res.status(429).set(WEB_HEADERS).json({ error: 'too_many_streams', error_description: `At most ${MAX_STREAMS_PER_PRINCIPAL} live pages per person; close some tabs.` });
      if (req.params.investigationId !== undefined) {
        // The investigation must be the caller's (404 otherwise), before anything streams.
        try {
          await app.runtime.investigations.load(caller, String(req.params.investigationId));
        } catch (e) {
          return apiError(res, e, 'stream');
        }
      }
      const jwtExpiry = who.principal.via === 'jwt' && req.auth?.expiresAt ? req.auth.expiresAt * 1000 : null;
      // A stream ends with its credential (a token revoked in the file, a JWT past exp).
      live.start(res, caller, (c) => matches(c, req), () => who.via === 'local' || d.credentialValid(credentialOfPrincipal(who.principal, jwtExpiry)));
    };
  api.get(
    '/stream',
    stream((c) => c.type === 'investigation' || c.type === 'inbox' || c.type === 'report'),
  );
  api.get(
    '/investigations/:investigationId/stream',
    stream((c, req) => {
      const id = String(req.params.investigationId);
      return (c.type === 'investigation' && c.id === id) || (c.type === 'report' && c.investigationId === id) || c.type === 'inbox';
    }),
  );
  router.use('/api', api);

  // JSON errors under /api (bad JSON bodies, too large), HTML elsewhere.
  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const status = typeof (err as { status?: unknown })?.status === 'number' ? (err as { status: number }).status : 500;
    if (status >= 500) return next(err);
    if (req.path.startsWith('/api/')) return res.status(status).set(WEB_HEADERS).json({ error: 'invalid_request', error_description: 'The request could not be read.' });
    res.status(status).set(WEB_HEADERS).type('html').send(errorPage('Bad request', 'The request could not be read.'));
  });

  return {
    router,
    close() {
      live.closeAll();
    },
  };
}

function localPrincipal(app: App): HttpPrincipal {
  return { tenantId: app.localCaller.tenantId, actorId: app.localCaller.actorId, scopes: ['read', 'write'], tokenHash: null, via: 'local' };
}
