import { InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { LonghaulError } from '../../domain/errors.js';
import type { RequestExtra } from '../../mcp/context.js';
import type { Caller } from '../../runtime/deps.js';
import { looksLikeJwt, type OAuthVerifier } from './oauth.js';
import type { SessionCredential } from './sessions.js';
import { hashToken, type TokensFile } from './tokens-file.js';

/**
 * Who an HTTP request acts for, as the transport hands it to the MCP server in
 * `extra.authInfo.extra`. Set only by this module, from a verified credential (or the
 * configured local identity on an unauthenticated loopback server).
 */
export interface HttpPrincipal {
  tenantId: string;
  actorId: string;
  scopes: string[];
  /** SHA-256 of the bearer token (the rate-limit key); null for the local identity. */
  tokenHash: string | null;
  via: 'token' | 'jwt' | 'local';
}

/**
 * Lifetime reported for tokens-file tokens, which do not expire: the SDK's
 * `requireBearerAuth` insists on an expiry, and every request is verified afresh anyway.
 */
const FILE_TOKEN_LIFETIME_S = 3600;

function authInfoOf(p: HttpPrincipal, expiresAt: number): AuthInfo {
  // The raw token stays in the verifier: what travels on is its hash.
  return { token: p.tokenHash ? `sha256:${p.tokenHash}` : 'local', clientId: p.actorId, scopes: p.scopes, expiresAt, extra: { ...p } };
}

/**
 * The bearer-token verifier given to the SDK's `requireBearerAuth`: a token is tried as a
 * tokens-file token first (by its SHA-256), then — when an OAuth issuer is configured
 * and the token has a JWT's shape — as a JWT from that issuer.
 */
export class HttpTokenVerifier implements OAuthTokenVerifier {
  constructor(
    private readonly tokens: TokensFile | null,
    private readonly oauth: OAuthVerifier | null,
    private readonly nowSeconds: () => number,
  ) {}

  async verifyAccessToken(token: string): Promise<AuthInfo> {
    const tokenHash = hashToken(token);
    const entry = this.tokens?.verify(token) ?? null;
    if (entry) {
      return authInfoOf({ tenantId: entry.tenant, actorId: entry.actor, scopes: [...entry.scopes], tokenHash, via: 'token' }, this.nowSeconds() + FILE_TOKEN_LIFETIME_S);
    }
    if (this.oauth && looksLikeJwt(token)) {
      const c = await this.oauth.verify(token);
      return authInfoOf({ tenantId: c.tenantId, actorId: c.actorId, scopes: c.scopes, tokenHash, via: 'jwt' }, c.expiresAt);
    }
    throw new InvalidTokenError('The token is not valid (unknown, revoked or expired)');
  }
}

/** The auth info of every request to a loopback server without credentials: the configured identity, read and write. */
export function localAuthInfo(caller: Caller, nowSeconds: number): AuthInfo {
  return authInfoOf({ tenantId: caller.tenantId, actorId: caller.actorId, scopes: ['read', 'write'], tokenHash: null, via: 'local' }, nowSeconds + FILE_TOKEN_LIFETIME_S);
}

/** The principal a verified request carries, or null (no or foreign auth info). */
export function principalOf(auth: AuthInfo | undefined): HttpPrincipal | null {
  const x = auth?.extra as Partial<HttpPrincipal> | undefined;
  if (!x || typeof x.tenantId !== 'string' || typeof x.actorId !== 'string' || !Array.isArray(x.scopes)) return null;
  return { tenantId: x.tenantId, actorId: x.actorId, scopes: x.scopes, tokenHash: x.tokenHash ?? null, via: x.via ?? 'token' };
}

/**
 * The credential of a verified request, as an MCP session is held by it: a JWT expires
 * at its `exp`; a tokens-file token lives until it leaves the file (the lifetime the SDK
 * is told for it is not an expiry); the local identity always.
 */
export function credentialOf(auth: AuthInfo | undefined, p: HttpPrincipal): SessionCredential {
  const expiresAt = p.via === 'jwt' && typeof auth?.expiresAt === 'number' ? auth.expiresAt * 1000 : null;
  return { tokenHash: p.tokenHash, via: p.via, expiresAt, scopes: [...p.scopes] };
}

/** One key per principal (tenant and actor): an MCP session belongs to the principal that opened it. */
export const principalKey = (p: Pick<HttpPrincipal, 'tenantId' | 'actorId'>): string => `${p.tenantId}\u0000${p.actorId}`;

/** `buildServer`'s resolveCaller over HTTP: the caller of each request comes from its own verified credential. */
export function resolveHttpCaller(extra: RequestExtra): Caller {
  const p = principalOf(extra.authInfo);
  if (!p) throw new LonghaulError('unauthorized', 'This request carries no verified credential; send Authorization: Bearer <token>.');
  return { tenantId: p.tenantId, actorId: p.actorId };
}

/** Does the principal hold a scope? `write` includes `read`. */
export function hasScope(p: HttpPrincipal, scope: 'read' | 'write'): boolean {
  return p.scopes.includes(scope) || (scope === 'read' && p.scopes.includes('write'));
}
