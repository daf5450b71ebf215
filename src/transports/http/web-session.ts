import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../domain/clock.js';
import { Lru } from '../../lru.js';
import type { HttpPrincipal } from './auth.js';

/**
 * Sign-in sessions of the web page. `/signin` takes a bearer token (the same tokens as
 * `/mcp`), verifies it once, and hands the browser a random session id in a cookie; the
 * id maps here, server-side, to the principal. The cookie never holds the token, and
 * this map holds only the SHA-256 of each id (a heap dump yields no usable cookie).
 *
 * A session ends at sign-out, after SESSION_TTL_MS, when its JWT expires, or — checked
 * on every request by the server's credential check — when its token leaves the tokens
 * file. Sessions live in this process: behind a load balancer with several instances a
 * person signs in again on the instance that answers (the web page is a convenience,
 * the protocol endpoints hold no such state).
 */

/** A sign-in lasts at most this long. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Sessions remembered at most (the oldest sign-ins go first). */
export const MAX_WEB_SESSIONS = 10_000;

export interface WebSession {
  principal: HttpPrincipal;
  /** The per-session CSRF token the page sends back in `X-CSRF-Token` on writes. */
  csrf: string;
  /** When it ends (ms): the TTL, or the JWT's expiry when sooner. */
  expiresAt: number;
}

const hash = (id: string) => createHash('sha256').update(id, 'utf8').digest('hex');

export class WebSessions {
  private readonly sessions = new Lru<string, WebSession>(MAX_WEB_SESSIONS);

  constructor(private readonly clock: Clock) {}

  /** A new session for a verified principal; returns the cookie value (shown once). */
  create(principal: HttpPrincipal, credentialExpiresAt: number | null): { id: string; session: WebSession } {
    const id = randomBytes(32).toString('base64url');
    const ttlEnd = this.clock.now() + SESSION_TTL_MS;
    const session: WebSession = { principal, csrf: randomBytes(24).toString('base64url'), expiresAt: credentialExpiresAt === null ? ttlEnd : Math.min(ttlEnd, credentialExpiresAt) };
    this.sessions.set(hash(id), session);
    return { id, session };
  }

  /** The live session of a cookie value, or null (unknown, ended, or past its time). */
  get(id: string | undefined): WebSession | null {
    if (!id || id.length > 100) return null;
    const k = hash(id);
    const s = this.sessions.get(k);
    if (!s) return null;
    if (s.expiresAt <= this.clock.now()) {
      this.sessions.delete(k);
      return null;
    }
    return s;
  }

  delete(id: string | undefined): void {
    if (id) this.sessions.delete(hash(id));
  }
}

/** Constant-time comparison of a sent CSRF token with the session's. */
export function csrfMatches(sent: unknown, expected: string): boolean {
  if (typeof sent !== 'string' || sent.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(sent), Buffer.from(expected));
}

/** The cookies of a request (`name=value; …`), parsed without a dependency. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const name = part.slice(0, i).trim();
    const value = part.slice(i + 1).trim();
    if (!out.has(name)) out.set(name, value);
  }
  return out;
}
