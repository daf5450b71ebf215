import { discoverAuthorizationServerMetadata } from '@modelcontextprotocol/sdk/client/auth.js';
import { InvalidTokenError, ServerError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { AuthorizationServerMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import type { Config } from '../../config.js';
import { isWorkerActor, RESERVED_ACTOR_HELP } from '../../domain/actors.js';
import type { Logger } from '../../logger.js';

export type OAuthSettings = NonNullable<Config['http']['oauth']>;

/** What a verified access token says about its holder. */
export interface TokenClaims {
  tenantId: string;
  actorId: string;
  scopes: string[];
  /** Seconds since the epoch. */
  expiresAt: number;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,254}$/;
/** Asymmetric algorithms only: a JWKS never legitimately carries an HMAC secret. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
/** A failed discovery is retried at most this often (an issuer that is down is not hammered). */
const DISCOVERY_RETRY_MS = 30_000;

/** A compact JWS (three base64url parts): worth trying as a JWT. */
export const looksLikeJwt = (token: string): boolean => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);

/** The scopes of a claim: a space-separated string (RFC 8693 `scope`) or a list (`scp`, `roles`). */
export function scopesOfClaim(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/\s+/).filter(Boolean);
  if (Array.isArray(value)) return value.filter((s): s is string => typeof s === 'string' && s.length > 0);
  return [];
}

/**
 * Verifies OAuth access tokens that are JWTs from one issuer: the signature against
 * the issuer's JWKS (`jose`; keys cached and refreshed by kid), `iss`, `aud`, `exp` (required)
 * and `nbf`. Tenant, actor and scopes come from the configured claims.
 *
 * The JWKS address is LONGHAUL_OAUTH_JWKS_URL or the `jwks_uri` of the issuer's metadata
 * (RFC 8414 `oauth-authorization-server`, else OpenID `openid-configuration`), discovered
 * at start and, when the issuer could not be reached then, on the next token.
 */
export class OAuthVerifier {
  private metadata: AuthorizationServerMetadata | null = null;
  private jwks: ReturnType<typeof createRemoteJWKSet> | null = null;
  private lastDiscovery = -Infinity;

  constructor(
    readonly settings: OAuthSettings,
    /** The audience a token must name: LONGHAUL_OAUTH_AUDIENCE, else the public URL of /mcp. */
    readonly audience: string,
    private readonly logger: Logger,
    private readonly fetchFn: typeof fetch = fetch,
  ) {
    if (settings.jwksUrl) this.jwks = createRemoteJWKSet(new URL(settings.jwksUrl));
  }

  /** The issuer's metadata (null until discovered). */
  get authorizationServerMetadata(): AuthorizationServerMetadata | null {
    return this.metadata;
  }

  /** Fetches the issuer's metadata (and with it the JWKS address); false when it could not. */
  async discover(): Promise<boolean> {
    this.lastDiscovery = performance.now();
    try {
      const m = await discoverAuthorizationServerMetadata(this.settings.issuer, { fetchFn: this.fetchFn });
      if (!m) throw new Error('it serves neither /.well-known/oauth-authorization-server nor /.well-known/openid-configuration');
      this.metadata = m;
      const jwksUri = (m as { jwks_uri?: unknown }).jwks_uri;
      if (!this.jwks && typeof jwksUri === 'string') this.jwks = createRemoteJWKSet(new URL(jwksUri));
      if (!this.jwks) this.logger.error("the OAuth issuer's metadata names no jwks_uri; set LONGHAUL_OAUTH_JWKS_URL", { issuer: this.settings.issuer });
      return true;
    } catch (e) {
      this.logger.warn('could not read the OAuth issuer metadata; retrying on the next token', { issuer: this.settings.issuer, error: (e as Error).message });
      return false;
    }
  }

  /** Verifies a JWT access token; throws the SDK's InvalidTokenError (401) or ServerError (500). */
  async verify(token: string): Promise<TokenClaims> {
    if (!this.jwks && performance.now() - this.lastDiscovery > DISCOVERY_RETRY_MS) await this.discover();
    const jwks = this.jwks;
    if (!jwks) throw new ServerError('The OAuth issuer keys are not known yet (its metadata could not be read); try again shortly.');
    let payload: JWTPayload;
    try {
      const issuers = [this.settings.issuer, `${this.settings.issuer}/`, ...(this.metadata ? [this.metadata.issuer] : [])];
      ({ payload } = await jwtVerify(token, jwks, { issuer: [...new Set(issuers)], audience: this.audience, requiredClaims: ['exp'], algorithms: ALGORITHMS }));
    } catch (e) {
      throw joseError(e);
    }
    const { tenantClaim, actorClaim, scopeClaim } = this.settings;
    const tenantId = payload[tenantClaim];
    const actorId = payload[actorClaim];
    if (typeof tenantId !== 'string' || !ID.test(tenantId)) throw new InvalidTokenError(`The token has no usable tenant claim (${tenantClaim})`);
    if (typeof actorId !== 'string' || !ID.test(actorId)) throw new InvalidTokenError(`The token has no usable actor claim (${actorClaim})`);
    if (isWorkerActor(actorId)) throw new InvalidTokenError(`The token's actor claim (${actorClaim}) names a worker role: ${RESERVED_ACTOR_HELP}`);
    return { tenantId, actorId, scopes: scopesOfClaim(payload[scopeClaim]), expiresAt: payload.exp! };
  }
}

/** jose's errors as OAuth errors; messages go into WWW-Authenticate, so they carry no quotes and no token. */
function joseError(e: unknown): Error {
  if (e instanceof errors.JWTExpired) return new InvalidTokenError('The token has expired');
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === 'aud') return new InvalidTokenError('The token was not issued for this server (audience)');
    if (e.claim === 'iss') return new InvalidTokenError('The token was not issued by the configured issuer');
    if (e.claim === 'nbf') return new InvalidTokenError('The token is not valid yet (nbf)');
    return new InvalidTokenError(`The token claim ${e.claim.replace(/[^\w.:-]/g, '')} is not acceptable`);
  }
  if (e instanceof errors.JWKSTimeout || (e instanceof errors.JOSEError && e.code === 'ERR_JWKS_INVALID') || e instanceof TypeError) {
    return new ServerError('The OAuth issuer keys could not be fetched; try again shortly.');
  }
  return new InvalidTokenError('The token is not valid');
}
