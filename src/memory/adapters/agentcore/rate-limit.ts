import type { Clock } from '../../../domain/clock.js';
import { Lru } from '../../../lru.js';

/**
 * Client-side rate limits kept under AgentCore Memory's request quotas, so a burst of
 * outbox deliveries waits here instead of being throttled by the service. AgentCore
 * rate-limits CreateEvent per actor per session and per account (Service Quotas
 * L-BC0EE484 / L-A37DB4C7 and L-59AF2B24); longhaul's actor is the tenant and its
 * session an investigation, so one busy investigation has one bucket and all of them
 * share the account's. The published default figures could not be confirmed when this
 * was written, so the defaults are deliberately low; raise them (`rate`) to what the
 * account's Service Quotas console shows. The SDK's own retries (adaptive mode by
 * default) absorb whatever throttling still happens.
 */
export interface RateLimits {
  /** CreateEvent requests per second per (actorId, sessionId). Default 4. */
  perSession: number;
  /** Burst per (actorId, sessionId). Default 4. */
  perSessionBurst: number;
  /** CreateEvent requests per second for the whole account (this process's share). Default 20. */
  perAccount: number;
  perAccountBurst: number;
  /** Record writes (BatchCreate/BatchUpdate/DeleteMemoryRecord) per second. Default 10. */
  recordWrites: number;
  recordWritesBurst: number;
  /** The longest one request waits for its turn before the delivery is reported as retryable instead. Default 10 s. */
  maxWaitMs: number;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  perSession: 4,
  perSessionBurst: 4,
  perAccount: 20,
  perAccountBurst: 20,
  recordWrites: 10,
  recordWritesBurst: 10,
  maxWaitMs: 10_000,
};

class Bucket {
  private tokens: number;
  private at: number;
  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.at = now;
  }
  /** Milliseconds until one token is available at `now` (0: available). */
  waitFor(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }
  /** Takes one token now; the balance may go negative: later callers queue behind this reservation. */
  take(now: number): void {
    this.refill(now);
    this.tokens -= 1;
  }
  private refill(now: number): void {
    if (now > this.at) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.rate) / 1000);
      this.at = now;
    }
  }
}

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class RateLimiter {
  private readonly sessions = new Lru<string, Bucket>(10_000);
  private readonly account: Bucket;
  private readonly records: Bucket;
  /** Total milliseconds waited so far (for logs, `longhaul status` and tests). */
  waitedMs = 0;

  constructor(
    readonly limits: RateLimits,
    private readonly clock: Clock,
    private readonly sleep: Sleep = realSleep,
  ) {
    for (const [k, v] of Object.entries(limits)) {
      if (!(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw new RangeError(`rate limit ${k} must be a positive number, not ${String(v)}`);
    }
    const now = clock.now();
    this.account = new Bucket(limits.perAccount, limits.perAccountBurst, now);
    this.records = new Bucket(limits.recordWrites, limits.recordWritesBurst, now);
  }

  /** Waits for a CreateEvent turn for (actorId, sessionId). False when the wait would exceed maxWaitMs (nothing reserved). */
  createEvent(actorId: string, sessionId: string): Promise<boolean> {
    const key = `${actorId}\u0000${sessionId}`;
    let session = this.sessions.get(key);
    if (!session) {
      session = new Bucket(this.limits.perSession, this.limits.perSessionBurst, this.clock.now());
      this.sessions.set(key, session);
    }
    return this.acquire([session, this.account]);
  }

  /** Waits for a record-write turn. False when the wait would exceed maxWaitMs. */
  recordWrite(): Promise<boolean> {
    return this.acquire([this.records]);
  }

  private async acquire(buckets: Bucket[]): Promise<boolean> {
    const now = this.clock.now();
    const wait = Math.max(...buckets.map((b) => b.waitFor(now)));
    if (wait > this.limits.maxWaitMs) return false;
    for (const b of buckets) b.take(now);
    if (wait > 0) {
      this.waitedMs += wait;
      await this.sleep(wait);
    }
    return true;
  }
}
