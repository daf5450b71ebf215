import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Logger } from '../../logger.js';

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

/**
 * The live MCP sessions of one HTTP server. Transport sessions are connection state only:
 * everything durable is in the store, so closing one (DELETE, idle, shutdown) loses nothing
 * a client cannot get back by initializing again.
 */
export class McpSessions {
  private readonly sessions = new Map<string, McpSession>();

  constructor(
    private readonly limits: SessionLimits,
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  get(id: string): McpSession | undefined {
    return this.sessions.get(id);
  }

  /**
   * Is there room for one more session of this principal? At its limit, its least
   * recently active idle session is closed to make room; with none idle, there is none.
   */
  hasRoom(principal: string): boolean {
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
  }

  /** Forgets a session (its transport closed). */
  remove(id: string): void {
    this.sessions.delete(id);
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

  /** Closes every session (shutdown). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => this.close(s, 'shutdown')));
  }

  private async close(s: McpSession, reason: string): Promise<void> {
    this.sessions.delete(s.id);
    this.logger.debug('MCP session closed', { session: s.id, reason });
    // Closing the server closes its transport, which ends the session's open streams.
    await s.server.close().catch(() => undefined);
  }
}
