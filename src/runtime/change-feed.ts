import type { Change } from '../domain/change.js';
import { systemClock, type Clock } from '../domain/clock.js';
import { nullLogger, type Logger } from '../logger.js';
import type { ChangeLogInput, StorePort } from '../store/port.js';

export type { Change } from '../domain/change.js';

/** The store methods the feed needs: the change log every process on the store shares. */
export type ChangeLog = Pick<StorePort, 'appendChanges' | 'changesAfter' | 'lastChangeSeq'>;

export interface ChangeFeedOptions {
  /** The shared change log; without it the feed is in-process only. */
  log?: ChangeLog;
  /** This process, as its appends name it: the follower skips its own rows (they were emitted at once). */
  origin?: string;
  /** Stamps appended rows (pruning goes by it). Default the system clock. */
  clock?: Clock;
  logger?: Logger;
  /** How often the follower reads the log. Default FOLLOW_INTERVAL_MS. */
  pollMs?: number;
  /** Rows read per query. Default FOLLOW_BATCH. */
  batch?: number;
}

/** The follower's default interval: a change made elsewhere is heard within about this (plus a query). */
export const FOLLOW_INTERVAL_MS = 250;
/** Rows the follower reads per query. */
export const FOLLOW_BATCH = 500;
/** Queries per follower pass while full batches keep coming; the rest waits for the next pass. */
const FOLLOW_MAX_BATCHES = 8;

/**
 * Change notifications, in this process and across every process on the store.
 * Runtime and scheduler `publish` after a committed write; resource subscriptions and
 * the worker runtime `subscribe`.
 *
 * `publish` emits to this process's subscribers at once, and appends the change to the
 * store's change log — batched: the changes published in one tick go in one append,
 * off the publisher's path (a failed append is logged, never thrown at the publisher;
 * the write it reports is already committed). The follower (`start`) reads the log
 * every `pollMs` from where it last stopped and re-emits the rows other processes
 * wrote, so a subscriber hears of a change within about a second whichever process
 * made it (the CLI's `longhaul signal`, a second server on the same data dir). It
 * starts at the end of the log: old history is not replayed.
 */
export class ChangeFeed {
  private readonly listeners = new Set<(change: Change) => void>();
  private readonly log: ChangeLog | undefined;
  private readonly origin: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly pollMs: number;
  private readonly batch: number;
  private pending: ChangeLogInput[] = [];
  private scheduled: NodeJS.Immediate | null = null;
  /** The appends in flight, chained so they reach the log in publish order. */
  private appending: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private following: Promise<void> | null = null;
  private lastSeen = 0;
  /** After stop: changes stay in this process (the store is about to close). */
  private stopped = false;

  constructor(opts: ChangeFeedOptions = {}) {
    this.log = opts.log;
    this.origin = opts.origin ?? 'local';
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? nullLogger;
    this.pollMs = opts.pollMs ?? FOLLOW_INTERVAL_MS;
    this.batch = opts.batch ?? FOLLOW_BATCH;
  }

  publish(change: Change): void {
    this.emit(change);
    if (!this.log || this.stopped) return;
    this.pending.push({ origin: this.origin, change, at: this.clock.now() });
    this.scheduled ??= setImmediate(() => void this.flush());
  }

  /** Calls `fn` with every change, this process's and (while following) other processes'; returns the unsubscribe. */
  subscribe(fn: (change: Change) => void): () => void {
    // A wrapper per subscription: the same function subscribed twice is told twice and
    // unsubscribed one at a time, as with an EventEmitter.
    const listener = (change: Change) => fn(change);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Tells every subscriber. One subscriber's failure is logged and stops neither the
   * others nor the publisher, whose write is already committed.
   */
  private emit(change: Change): void {
    for (const fn of [...this.listeners]) {
      try {
        fn(change);
      } catch (e) {
        this.logger.warn('change subscriber failed', { change: change.type, error: e instanceof Error ? e.message : String(e) });
      }
    }
  }

  /**
   * Appends what is pending now; resolves when it (and every earlier append) has
   * reached the log or failed (logged). `close` of the app awaits it, so a short-lived
   * process — the CLI delivering one signal — exits only after its changes are in the log.
   */
  flush(): Promise<void> {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = null;
    if (this.pending.length === 0 || !this.log) return this.appending;
    const entries = this.pending;
    this.pending = [];
    const log = this.log;
    this.appending = this.appending
      .then(() => log.appendChanges(entries))
      .then(
        () => undefined,
        (e: unknown) => {
          this.logger.warn('changes not appended to the change log; other processes will not hear of them', { changes: entries.length, error: e instanceof Error ? e.message : String(e) });
        },
      );
    return this.appending;
  }

  /** Starts following the log (from its end). A no-op without a log, when already following, or after stop. */
  async start(): Promise<void> {
    if (!this.log || this.timer || this.stopped) return;
    this.lastSeen = await this.log.lastChangeSeq();
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.follow(), this.pollMs);
    // The follower alone never keeps a process alive.
    this.timer.unref();
  }

  /**
   * Stops for good (the app is closing): stops following, waits for a pass in flight,
   * and flushes pending appends. Later publishes reach this process's subscribers only.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.following;
    await this.flush();
  }

  /**
   * One follower pass: reads the rows after the last one seen and emits those other
   * processes wrote. Passes never overlap (a slow store skips ticks, not rows).
   */
  follow(): Promise<void> {
    if (!this.log || this.stopped) return this.following ?? Promise.resolve();
    this.following ??= this.readLog(this.log)
      .catch((e: unknown) => {
        this.logger.warn('change log not read; changes from other processes are late', { error: e instanceof Error ? e.message : String(e) });
      })
      .finally(() => {
        this.following = null;
      });
    return this.following;
  }

  private async readLog(log: ChangeLog): Promise<void> {
    for (let i = 0; i < FOLLOW_MAX_BATCHES; i++) {
      const rows = await log.changesAfter(this.lastSeen, this.batch);
      for (const row of rows) {
        this.lastSeen = row.seq;
        if (row.origin !== this.origin) this.emit(row.change);
      }
      if (rows.length < this.batch) return;
    }
  }
}
