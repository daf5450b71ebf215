import { isChange, type Change } from '../domain/change.js';
import { systemClock, type Clock } from '../domain/clock.js';
import { nullLogger, type Logger } from '../logger.js';
import type { ChangeBus, ChangeBusMessage, ChangeLogInput, StorePort } from '../store/port.js';

export type { ChangeBus, ChangeBusMessage } from '../store/port.js';

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
  /**
   * Pushes changes to other processes and hears theirs at once (see ChangeFeed). With a
   * log as well, the log stays the fallback for what the bus loses.
   */
  bus?: ChangeBus;
  /** How long `start` waits for the bus subscription before going on without it (it completes in the background). Default 2 000 ms. */
  busSubscribeWaitMs?: number;
  /** How often the follower reads the log. Default FOLLOW_INTERVAL_MS; with a bus FOLLOW_INTERVAL_WITH_BUS_MS. */
  pollMs?: number;
  /** Rows read per query. Default FOLLOW_BATCH. */
  batch?: number;
}

/** The follower's default interval: a change made elsewhere is heard within about this (plus a query). */
export const FOLLOW_INTERVAL_MS = 250;
/** With a bus the log only catches what the bus lost, so it is read less often. */
export const FOLLOW_INTERVAL_WITH_BUS_MS = 2_000;
/** Rows the follower reads per query. */
export const FOLLOW_BATCH = 500;
/** Changes remembered as already told (heard on one path, skipped when the other brings them). */
const RECENT_MAX = 10_000;
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
 *
 * With a `bus` (several instances sharing Redis), `publish` also sends each tick's
 * changes through it, and `start` subscribes: other processes' changes are re-emitted
 * as soon as they are heard (each checked with isChange; a malformed one is dropped and
 * logged), this process's own are skipped by origin. Pub/sub loses what is published
 * while a subscriber is disconnected, so when the feed has a log too, the follower keeps
 * running (every FOLLOW_INTERVAL_WITH_BUS_MS by default) as the fallback: a lost
 * notification arrives late instead of never. A change heard on one path is remembered
 * (by origin, time and content; the last RECENT_MAX) and skipped when the other path
 * brings it, so usually each is told once; when the memory does not reach (a burst
 * beyond it), it is told twice — harmless, since resource-updated notifications and
 * worker nudges are idempotent, whereas a lost one is not.
 */
export class ChangeFeed {
  private readonly listeners = new Set<(change: Change) => void>();
  private readonly log: ChangeLog | undefined;
  private readonly bus: ChangeBus | undefined;
  private readonly busSubscribeWaitMs: number;
  private readonly origin: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly pollMs: number;
  private readonly batch: number;
  private pending: ChangeLogInput[] = [];
  private scheduled: NodeJS.Immediate | null = null;
  /** The appends in flight, chained so they reach the log in publish order. */
  private appending: Promise<void> = Promise.resolve();
  /** The bus publishes in flight, chained the same way. */
  private sending: Promise<void> = Promise.resolve();
  /** The bus subscription: settles with its unsubscribe (null when it failed). */
  private busSubscription: Promise<(() => Promise<void>) | null> | null = null;
  /** Changes of other processes already told, when both the bus and the log bring them. */
  private readonly recent = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private following: Promise<void> | null = null;
  private lastSeen = 0;
  /** After stop: changes stay in this process (the store is about to close). */
  private stopped = false;

  constructor(opts: ChangeFeedOptions = {}) {
    this.log = opts.log;
    this.bus = opts.bus;
    this.busSubscribeWaitMs = opts.busSubscribeWaitMs ?? 2_000;
    this.origin = opts.origin ?? 'local';
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? nullLogger;
    this.pollMs = opts.pollMs ?? (opts.bus ? FOLLOW_INTERVAL_WITH_BUS_MS : FOLLOW_INTERVAL_MS);
    this.batch = opts.batch ?? FOLLOW_BATCH;
  }

  publish(change: Change): void {
    this.emit(change);
    if ((!this.log && !this.bus) || this.stopped) return;
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
    const entries = this.pending;
    this.pending = [];
    const { log, bus } = this;
    if (entries.length > 0 && log) {
      this.appending = this.appending
        .then(() => log.appendChanges(entries))
        .then(
          () => undefined,
          (e: unknown) => {
            this.logger.warn('changes not appended to the change log; other processes will not hear of them', { changes: entries.length, error: e instanceof Error ? e.message : String(e) });
          },
        );
    }
    if (entries.length > 0 && bus) {
      this.sending = this.sending
        .then(() => bus.publish(entries))
        .then(
          () => undefined,
          (e: unknown) => {
            this.logger.warn(log ? 'changes not published on the change bus; other processes hear of them from the change log' : 'changes not published on the change bus; other processes will not hear of them', {
              changes: entries.length,
              error: e instanceof Error ? e.message : String(e),
            });
          },
        );
    }
    return bus ? Promise.all([this.appending, this.sending]).then(() => undefined) : this.appending;
  }

  /**
   * Subscribes to the bus (waiting up to `busSubscribeWaitMs` for it; a subscription
   * Redis cannot confirm yet completes in the background) and starts following the log
   * (from its end). A no-op for what the feed lacks, what is already running, or after stop.
   */
  async start(): Promise<void> {
    if (this.stopped) return;
    if (this.bus && !this.busSubscription) await this.subscribeBus(this.bus);
    if (!this.log || this.timer) return;
    this.lastSeen = await this.log.lastChangeSeq();
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.follow(), this.pollMs);
    // The follower alone never keeps a process alive.
    this.timer.unref();
  }

  private async subscribeBus(bus: ChangeBus): Promise<void> {
    const subscription = bus.subscribe((m) => this.onBusMessage(m)).then(
      (off) => off,
      (e: unknown) => {
        this.logger.warn(this.log ? 'change bus not subscribed; changes from other processes come from the change log' : 'change bus not subscribed; changes from other processes are not heard', {
          error: e instanceof Error ? e.message : String(e),
        });
        return null;
      },
    );
    this.busSubscription = subscription;
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.busSubscribeWaitMs);
      timer.unref();
    });
    const r = await Promise.race([subscription, waited]);
    clearTimeout(timer);
    if (r === 'late') this.logger.warn('change bus not subscribed yet; continuing while it connects', { waitedMs: this.busSubscribeWaitMs });
  }

  /** Re-emits another process's changes heard on the bus, each checked; its own are skipped (told at publish). */
  private onBusMessage(m: ChangeBusMessage): void {
    if (this.stopped || m.origin === this.origin) return;
    let dropped = 0;
    for (const e of m.entries) {
      if (!isChange(e.change)) {
        dropped++;
        continue;
      }
      if (this.log && this.seenOnOtherPath(m.origin, e.change, e.at)) continue;
      this.emit(e.change);
    }
    if (dropped) this.logger.warn('malformed changes on the change bus dropped', { origin: m.origin.slice(0, 100), dropped });
  }

  /**
   * True when this change was already told by the other path (bus or log), which it then
   * forgets; otherwise remembers it for the other path. Bounded: the oldest go first.
   */
  private seenOnOtherPath(origin: string, change: Change, at: number): boolean {
    // Keys sorted: a store may give the change back with its fields in another order (jsonb).
    const fields = Object.entries(change).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const key = JSON.stringify([origin, at, fields]);
    if (this.recent.delete(key)) return true;
    this.recent.add(key);
    if (this.recent.size > RECENT_MAX) this.recent.delete(this.recent.values().next().value!);
    return false;
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
    const subscription = this.busSubscription;
    this.busSubscription = null;
    if (subscription) {
      // A subscription still waiting for Redis is not waited for: closing the connection ends it.
      const off = await Promise.race([subscription, Promise.resolve(null)]);
      if (off) await off();
      else void subscription.then((late) => late?.());
    }
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
        if (row.origin === this.origin) continue;
        if (this.bus && this.seenOnOtherPath(row.origin, row.change, row.at)) continue;
        this.emit(row.change);
      }
      if (rows.length < this.batch) return;
    }
  }
}
