import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Logger } from '../../logger.js';

/** The credential an MCP session is held by: the latest one its principal used on it. */
export interface SessionCredential {
  /** SHA-256 of the bearer token; null for the local identity. */
  readonly tokenHash: string | null;
  readonly via: 'token' | 'jwt' | 'local';
  /** Wall-clock ms at which it stops being valid (a JWT's `exp`); null: until revoked. */
  readonly expiresAt: number | null;
  readonly scopes: readonly string[];
}

/**
 * One MCP session over HTTP: its transport, its server (one `buildServer` each) and the
 * principal that opened it. The session id routes requests; it never authorises them
 * (each request brings its own credential, which must name the same principal).
 */
export interface McpSession {
  readonly id: string;
  /** principalKey() of the opener. */
  readonly principal: string;
  readonly transport: StreamableHTTPServerTransport;
  readonly server: McpServer;
  /**
   * The credential of the latest request on the session (a client refreshing its JWT
   * keeps its session). While it is valid the session lives; once it is revoked or
   * expires the session is closed, and nothing is pushed to it meanwhile.
   */
  credential: SessionCredential;
  /** Clock time of the last request that started. */
  lastActive: number;
  /** Requests being served, long-lived GET streams included. */
  inFlight: number;
}

export interface SessionLimits {
  /** Sessions one principal may hold; opening one more closes its least recently active idle one. */
  perPrincipal: number;
  /** Sessions the process holds at most; beyond, new sessions are refused (503). */
  total: number;
  /** A session with nothing in flight for this long is closed (its client must initialize again). */
  idleMs: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { perPrincipal: 64, total: 10_000, idleMs: 30 * 60_000 };

/** Longest single timer Node keeps (about 24.8 days); a later expiry is re-armed from there. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface SessionCredentials {
  /** Is the credential still good (tokens file: its hash still listed; JWT: before `exp`)? */
  valid(c: SessionCredential): boolean;
  /** Wall-clock now, in ms: what a JWT's `exp` is judged by. */
  wallNow(): number;
}

/**
 * The live MCP sessions of one HTTP server. Transport sessions are connection state only:
 * everything durable is in the store, so closing one (DELETE, idle, revoked credential,
 * shutdown) loses nothing a client cannot get back by initializing again.
 */
export class McpSessions {
  private readonly sessions = new Map<string, McpSession>();
  private readonly expiryTimers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly limits: SessionLimits,
    private readonly now: () => number,
    private readonly logger: Logger,
    private readonly credentials: SessionCredentials,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  get(id: string): McpSession | undefined {
    return this.sessions.get(id);
  }

  /** Is the session open and its credential still valid? What gates everything pushed to its client. */
  isLive(s: McpSession): boolean {
    return this.sessions.get(s.id) === s && this.credentials.valid(s.credential);
  }

  /**
   * Is there room for one more session of this principal? Sessions whose credential is no
   * longer valid do not count (they are closed here). At its limit, its least recently
   * active idle session is closed to make room; with none idle, there is none.
   */
  hasRoom(principal: string): boolean {
    this.closeInvalid();
    const mine = [...this.sessions.values()].filter((s) => s.principal === principal);
    if (mine.length >= this.limits.perPrincipal) {
      const victim = mine.filter((s) => s.inFlight === 0).sort((a, b) => a.lastActive - b.lastActive)[0];
      if (!victim) return false;
      void this.close(victim, 'principal_limit');
    }
    return this.sessions.size < this.limits.total;
  }

  add(s: McpSession): void {
    this.sessions.set(s.id, s);
    this.armExpiry(s);
  }

  /** The session's credential is now this request's (same principal: checked by the caller). */
  renew(s: McpSession, credential: SessionCredential): void {
    const c = s.credential;
    if (c.tokenHash === credential.tokenHash && c.expiresAt === credential.expiresAt && c.scopes.join(' ') === credential.scopes.join(' ')) return;
    s.credential = credential;
    this.armExpiry(s);
  }

  /** Forgets a session (its transport closed). */
  remove(id: string): void {
    this.sessions.delete(id);
    this.disarm(id);
  }

  /** Marks a request on the session; returns the function to call when it ends. */
  begin(s: McpSession): () => void {
    s.inFlight++;
    s.lastActive = this.now();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      s.inFlight--;
      s.lastActive = this.now();
    };
  }

  /** Closes sessions idle past the limit; returns how many. */
  async sweepIdle(): Promise<number> {
    const cutoff = this.now() - this.limits.idleMs;
    const idle = [...this.sessions.values()].filter((s) => s.inFlight === 0 && s.lastActive <= cutoff);
    await Promise.all(idle.map((s) => this.close(s, 'idle')));
    return idle.length;
  }

  /**
   * Closes every session whose credential is no longer valid (revoked, gone from the
   * tokens file, expired), open streams or not; returns how many. Each is forgotten at
   * once (synchronously), its server closed in the background.
   */
  closeInvalid(): number {
    const invalid = [...this.sessions.values()].filter((s) => !this.credentials.valid(s.credential));
    for (const s of invalid) void this.close(s, 'credential_invalid');
    return invalid.length;
  }

  /** Closes every session (shutdown). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => this.close(s, 'shutdown')));
  }

  /** A session held by an expiring credential is closed when it expires (unless renewed by then). */
  private armExpiry(s: McpSession): void {
    this.disarm(s.id);
    const at = s.credential.expiresAt;
    if (at === null) return;
    const timer = setTimeout(
      () => {
        this.expiryTimers.delete(s.id);
        if (this.sessions.get(s.id) !== s) return;
        if (!this.credentials.valid(s.credential)) void this.close(s, 'credential_expired');
        else this.armExpiry(s); // woke early (a timer longer than Node keeps), or renewed meanwhile
      },
      Math.min(MAX_TIMER_MS, Math.max(0, at - this.credentials.wallNow())),
    );
    timer.unref();
    this.expiryTimers.set(s.id, timer);
  }

  private disarm(id: string): void {
    const t = this.expiryTimers.get(id);
    if (t) clearTimeout(t);
    this.expiryTimers.delete(id);
  }

  private async close(s: McpSession, reason: string): Promise<void> {
    if (this.sessions.get(s.id) === s) this.sessions.delete(s.id);
    this.disarm(s.id);
    this.logger.debug('MCP session closed', { session: s.id, reason });
    // Closing the server closes its transport, which ends the session's open streams.
    await s.server.close().catch(() => undefined);
  }
}
