import { hostname } from 'node:os';
import type { Config } from './config.js';
import { systemClock, type Clock } from './domain/clock.js';
import { createIdGenerator, type IdGenerator } from './domain/ids.js';
import { createLogger, type Logger, type RootLogger } from './logger.js';
import { ChangeFeed } from './runtime/change-feed.js';
import type { Caller, RuntimeDeps } from './runtime/deps.js';
import { createModelRegistry, type ModelRegistry } from './runtime/model.js';
import { Runtime } from './runtime/runtime.js';
import { deadlineSweep, timeOutAtOnce, type DeadlinePolicy } from './scheduler/deadline-sweep.js';
import { extractionJob } from './scheduler/extraction-job.js';
import type { Job } from './scheduler/job.js';
import { lifecycleSweep } from './scheduler/lifecycle-sweep.js';
import { retentionJob } from './scheduler/retention-job.js';
import { Scheduler } from './scheduler/scheduler.js';
import { openStore } from './store/open-store.js';
import type { StorePort } from './store/port.js';

export interface App {
  readonly config: Readonly<Config>;
  readonly logger: RootLogger;
  readonly clock: Clock;
  readonly store: StorePort;
  readonly feed: ChangeFeed;
  readonly runtime: Runtime;
  readonly scheduler: Scheduler;
  readonly deps: RuntimeDeps;
  /** The stdio identity from config (HTTP callers come from credentials). */
  readonly localCaller: Caller;
  /** Starts background work: the scheduler's catch-up pass, then its cron jobs. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface AppOverrides {
  clock?: Clock;
  ids?: IdGenerator;
  logger?: RootLogger;
  store?: StorePort;
  /** Extra scheduler jobs (memory extraction, retention, workers) added by later layers. */
  jobs?: (deps: RuntimeDeps) => Job[];
  deadlinePolicy?: DeadlinePolicy;
  /** The model registry (tests inject a stub model); default from config.model. */
  models?: ModelRegistry;
}

/**
 * The composition root: the only place defaults are chosen and wired. Importing this
 * module does nothing; `createApp` opens the store and builds the runtime; `start()`
 * starts timers.
 */
export function createApp(config: Readonly<Config>, o: AppOverrides = {}): App {
  const logger = o.logger ?? createLogger({ level: config.logLevel });
  const clock = o.clock ?? systemClock;
  const ids = o.ids ?? createIdGenerator(clock);
  const store = o.store ?? openStore(config.store, logger);
  const feed = new ChangeFeed();
  const deps: RuntimeDeps = {
    store,
    clock,
    ids,
    logger,
    feed,
    settings: {
      idleTimeoutMs: config.idleTimeoutMs,
      maxSessionDurationMs: config.maxSessionDurationMs,
      eventRetentionMs: config.eventRetentionMs,
    },
    models: o.models ?? createModelRegistry(config.model, { logger }),
  };
  const runtime = new Runtime(deps);
  const jobs: Job[] = [
    lifecycleSweep(deps, config.sweepIntervalMs),
    deadlineSweep(deps, config.sweepIntervalMs, o.deadlinePolicy ?? timeOutAtOnce),
    // Memory: extract, then expire (retention only deletes events extraction has passed).
    extractionJob(deps, runtime.memory, config.extractionIntervalMs),
    retentionJob(deps, config.extractionIntervalMs),
    ...(o.jobs?.(deps) ?? []),
  ];
  const owner = `${hostname()}:${process.pid}:${ids('ses').slice(-8)}`;
  const scheduler = new Scheduler(jobs, { store, clock, logger: logger.child({ component: 'scheduler' }), owner });
  let closed = false;
  return {
    config,
    logger,
    clock,
    store,
    feed,
    runtime,
    scheduler,
    deps,
    localCaller: { tenantId: config.tenant, actorId: config.actor },
    start: () => scheduler.start(),
    async close() {
      if (closed) return;
      closed = true;
      await scheduler.stop();
      await store.close();
    },
  };
}

export type { Logger };
