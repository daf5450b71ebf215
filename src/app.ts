import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { Config } from './config.js';
import { systemClock, type Clock } from './domain/clock.js';
import { createIdGenerator, type IdGenerator } from './domain/ids.js';
import { createLogger, type Logger, type RootLogger } from './logger.js';
import { ChangeFeed } from './runtime/change-feed.js';
import type { Caller, RuntimeDeps } from './runtime/deps.js';
import { createModelRegistry, type ModelRegistry } from './runtime/model.js';
import { Reports } from './runtime/reports.js';
import { Runtime } from './runtime/runtime.js';
import { WorkerRuntime, type WorkerSettings } from './runtime/worker-runtime.js';
import { deadlineSweep, type DeadlinePolicy } from './scheduler/deadline-sweep.js';
import { extractionJob } from './scheduler/extraction-job.js';
import { outboxJob, type OutboxSettings } from './scheduler/outbox-job.js';
import { openAgentCoreMemory, type RateLimits } from './memory/adapters/agentcore/index.js';
import type { MemoryPort } from './memory/port.js';
import { withStoreTruth } from './memory/adapters/store-truth.js';
import type { Job } from './scheduler/job.js';
import { lifecycleSweep } from './scheduler/lifecycle-sweep.js';
import { retentionJob } from './scheduler/retention-job.js';
import { Scheduler, type SweepObserver } from './scheduler/scheduler.js';
import { workerJob } from './scheduler/worker-job.js';
import { openSourceDatabase } from './store/adapters/source-db.js';
import { createSqliteSourceIndex } from './store/adapters/source-index-sqlite.js';
import { openStore } from './store/open-store.js';
import type { KeyValueStore, StorePort } from './store/port.js';
import { redisChangeBus } from './store/adapters/redis/change-bus.js';
import { openRedis, type RedisConnection } from './store/adapters/redis/connection.js';
import { redisKv } from './store/adapters/redis/kv.js';
import { redisLeases, schedulerLeases } from './store/adapters/redis/lease.js';
import { redisStreamEventLog } from './store/adapters/redis/stream-events.js';
import { storeStreamEventLog, type StreamEventLog } from './transports/http/event-log.js';
import type { ReadinessCheck } from './transports/http/health.js';
import { lazySourceIndex, type SourceIndex } from './store/source-index.js';
import { agentCoreClients, agentSessionReleaser, type AgentCoreClients } from './workers/agentcore-runtime.js';
import { createRoleRegistry, type AgentBindings } from './workers/index.js';
import type { RoleRegistry } from './workers/role.js';
import { sourceIndexFile, TenantSources } from './workers/sources/registry.js';
import { sourcesJob } from './scheduler/sources-job.js';
import { loadTenantSettings, servedTenantsFor, type TenantLimits, type TenantSettings } from './tenants.js';
import type { ToolCallObserver } from './mcp/tool.js';

/**
 * Listeners for operational measurements. Empty unless a transport adds some (HTTP
 * `/metrics`); with none, nothing is measured.
 */
export interface AppObservers {
  /** Every MCP tool call: its tool, duration and outcome (src/mcp/tool.ts). */
  readonly toolCalls: Set<ToolCallObserver>;
  /** Every scheduler pass: its job, duration and result. */
  readonly sweeps: Set<SweepObserver>;
}

export interface App {
  readonly config: Readonly<Config>;
  readonly logger: RootLogger;
  readonly clock: Clock;
  readonly store: StorePort;
  readonly feed: ChangeFeed;
  readonly runtime: Runtime;
  readonly scheduler: Scheduler;
  /** Runs worker tasks (retrieval, compliance, custom roles) in the background. */
  readonly workers: WorkerRuntime;
  /** Filed reports and the inbox (the report and inbox resources). */
  readonly reports: Reports;
  /** Each tenant's sources (folders and database tables) and their index. */
  readonly sources: TenantSources;
  readonly deps: RuntimeDeps;
  /** The stdio identity from config (HTTP callers come from credentials). */
  readonly localCaller: Caller;
  /**
   * The tenants whose background work this process runs — worker tasks and memory
   * extraction, which use this process's sources, rules and model — or null for every
   * tenant in the store. Several processes with different tenants may share one data
   * dir; each claims only its own tenants' work. The lifecycle, deadline and retention
   * sweeps stay cross-tenant: they move no tenant data outside the store. The set as it
   * is now: `serve --http` grows it when a tenant is given a token while serving.
   */
  readonly servedTenants: readonly string[] | null;
  /** Per-tenant settings from LONGHAUL_TENANTS_FILE over the process-wide ones (src/tenants.ts). */
  readonly tenants: TenantSettings;
  /**
   * A tenant's limits: signals per investigation (count, bytes) and the HTTP rate limit
   * per token — its tenants-file entry's, else LONGHAUL_MAX_SIGNALS / _BYTES /
   * LONGHAUL_HTTP_RATE_LIMIT. Also on `deps.limitsFor` for the runtime.
   */
  limitsFor(tenantId: string): TenantLimits;
  /** Operational listeners (tool-call latency, sweep durations); the HTTP transport's metrics add theirs. */
  readonly observers: AppObservers;
  /** LONGHAUL_REDIS_URL's connection (kv, change bus, scheduler leases, stream events), or null. */
  readonly redis: RedisConnection | null;
  /** Where resumable HTTP streams keep their messages: Redis when configured (shared by every instance), else the store. */
  readonly streamEvents: StreamEventLog;
  /** Dependencies /readyz reports on besides the store (Redis), without failing readiness. */
  readonly readiness: readonly ReadinessCheck[];
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
  /** Worker roles; default the built-ins with the rules from config.rulesFile. */
  roles?: RoleRegistry;
  /** A tenant's source index; default one SQLite file per tenant beside the store (`sources/`), in memory for the memory store. */
  sourceIndex?: (tenantId: string) => SourceIndex;
  /** Worker tuning beyond config (backoff, heartbeat), for tests and the demo. */
  workerSettings?: Partial<WorkerSettings>;
  /** How often the change feed reads the change log for other processes' changes; default 250 ms. */
  feedPollMs?: number;
  /**
   * The tenants whose background work this process runs (see App.servedTenants); default
   * servedTenantsFor(config): the stdio tenant and the tenants file's. A function is asked
   * on every worker claim and extraction pass, so the set can change while serving.
   */
  servedTenants?: readonly string[] | null | (() => readonly string[] | null);
  /** Per-tenant settings; default read from config.tenantsFile (and the process-wide sources, rules). */
  tenants?: TenantSettings;
  /** Where a tenant's `apiKeyEnv` is looked up; default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The memory port (tests: AgentCore at a local stub with static credentials); default from config.memory. */
  memory?: MemoryPort;
  /** How the memory outbox ships (tests: short retries). */
  outbox?: Partial<OutboxSettings> & { intervalMs?: number };
  /** The AgentCore clients roles on agents call (tests: one at a local stub); default one per region, made on first use. */
  agentCoreClients?: AgentCoreClients;
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
  // Per-tenant sources, rules, model and limits (src/tenants.ts has the format and the
  // precedence). Read before the store opens: a bad tenants, sources or rules file stops
  // start-up with an error naming the file, the tenant and the field.
  const tenants = o.tenants ?? loadTenantSettings(config, o.env ?? process.env);
  const opened = o.store ?? openStore(config.store, logger, clock);
  // Redis (several instances): what they share briefly. The store stays the system of
  // record; each Redis use has a fallback in it (leases, the change log), or says so.
  const redis = config.redis ? openRedis({ url: config.redis.url, prefix: config.redis.prefix, logger: logger.child({ component: 'redis' }) }) : null;
  const store = redis ? withKv(opened, redisKv(redis)) : opened;
  // This process, in store leases and the change log (its follower skips its own rows).
  const owner = `${hostname()}:${process.pid}:${ids('ses').slice(-8)}`;
  // Changes reach other processes on the store through its change log (runtime/change-feed.ts),
  // and at once through Redis pub/sub when there is Redis (the log then catches what pub/sub lost).
  const feed = new ChangeFeed({
    log: store,
    origin: owner,
    clock,
    logger: logger.child({ component: 'change-feed' }),
    ...(redis ? { bus: redisChangeBus(redis, { logger: logger.child({ component: 'change-bus' }) }) } : {}),
    ...(o.feedPollMs ? { pollMs: o.feedPollMs } : {}),
  });
  // Memory: the store's own, or AgentCore Memory — fed by the store's outbox, which every
  // process on the store writes from now on (the setting is kept in the store).
  const external = o.memory ?? openMemory(config, logger, clock);
  // With longhaul's own extraction the store knows first which records exist (forgotten ones go at once).
  const memory = external && external.extraction === 'longhaul' ? withStoreTruth(external, store) : external;
  const deps: RuntimeDeps = {
    store,
    ...(memory ? { memory } : {}),
    clock,
    ids,
    logger,
    feed,
    settings: {
      idleTimeoutMs: config.idleTimeoutMs,
      maxSessionDurationMs: config.maxSessionDurationMs,
      eventRetentionMs: config.eventRetentionMs,
      signalLimits: config.signalLimits,
    },
    models: o.models ?? createModelRegistry(config.model, { logger }, tenants.models()),
    limitsFor: (tenantId) => tenants.limitsFor(tenantId),
  };
  // stdio serves the one tenant of its config; with a tenants file, its tenants too
  // (servedTenantsFor). Overrides may pass others, or null: every tenant in the store.
  const served = o.servedTenants === undefined ? servedTenantsFor(config, tenants) : o.servedTenants;
  const fixedServed = typeof served === 'function' ? null : served && Object.freeze([...served]);
  const servedTenants: () => readonly string[] | null = typeof served === 'function' ? served : () => fixedServed;
  const runtime = new Runtime(deps);
  // Workers: each tenant's rules (its rulesFile; the stdio tenant's LONGHAUL_RULES_FILE; else the defaults).
  // Roles bound to AgentCore Runtime agents run there for their tenants (roleAgents below).
  const roles = o.roles ?? createRoleRegistry({ rulesFor: (tenantId) => tenants.rulesFor(tenantId), agents: roleAgents(tenants, logger, o) });
  // A worker session's AgentCore runtime session is stopped once longhaul is done with it.
  deps.releaseWorkerSession = agentSessionReleaser(roles);
  // Delegation refuses a role no worker here runs (it would sit pending for ever).
  deps.knownRoles = () => roles.names();
  // Sources: each tenant's own (tenants file; the stdio tenant's LONGHAUL_SOURCES and
  // sources file); a tenant nothing names sources for has none.
  const indexDir = config.store.kind === 'sqlite' ? dirname(config.store.path) : config.dataDir;
  const openIndex =
    o.sourceIndex ??
    ((tenantId: string) => {
      const file = config.store.kind === 'memory' ? ':memory:' : sourceIndexFile(indexDir, tenantId);
      return lazySourceIndex(file, () => createSqliteSourceIndex(file));
    });
  const sources = new TenantSources((tenantId) => tenants.sourcesFor(tenantId), openIndex, {
    clock,
    logger: logger.child({ component: 'sources' }),
    openDatabase: (spec) => openSourceDatabase(spec, { logger: logger.child({ component: 'sources', source: spec.name }) }),
  });
  const reports = new Reports(deps, runtime.investigations);
  const workers = new WorkerRuntime(deps, runtime.sessions, roles, (tenantId) => sources.for(tenantId), { ...config.workers, ...o.workerSettings }, owner, servedTenants);
  const jobs: Job[] = [
    lifecycleSweep(deps, config.sweepIntervalMs),
    // Roles that escalate (compliance) are woken at their deadline instead of timed out.
    deadlineSweep(deps, config.sweepIntervalMs, o.deadlinePolicy ?? roles.deadlinePolicy),
    workerJob(workers, config.sweepIntervalMs),
    // Memory: extract, then expire (retention only deletes events extraction has passed).
    extractionJob(deps, runtime.memory, config.extractionIntervalMs, { tenants: servedTenants }),
    retentionJob(deps, config.extractionIntervalMs),
    // What the outbox holds leaves for AgentCore within a second or two (retried with backoff).
    ...(memory?.usesOutbox ? [outboxJob(deps, memory, o.outbox?.intervalMs ?? Math.min(config.sweepIntervalMs, 1_000), owner, o.outbox)] : []),
    // Sources come from files read at start, so the tenants served at start are the ones with any.
    sourcesJob(sources, servedTenants() ?? [config.tenant], config.sourcesRefreshMs),
    ...(o.jobs?.(deps) ?? []),
  ];
  const observers: AppObservers = { toolCalls: new Set(), sweeps: new Set() };
  const scheduler = new Scheduler(jobs, {
    store,
    clock,
    logger: logger.child({ component: 'scheduler' }),
    owner,
    ...(redis ? { leases: schedulerLeases(redisLeases(redis)) } : {}),
    observe: (job, ms, result) => {
      for (const observe of observers.sweeps) observe(job, ms, result);
    },
  });
  let closed = false;
  return {
    config,
    logger,
    clock,
    store,
    feed,
    runtime,
    scheduler,
    workers,
    reports,
    sources,
    deps,
    localCaller: { tenantId: config.tenant, actorId: config.actor },
    get servedTenants() {
      return servedTenants();
    },
    tenants,
    limitsFor: (tenantId) => tenants.limitsFor(tenantId),
    observers,
    redis,
    streamEvents: redis ? redisStreamEventLog(redis) : storeStreamEventLog(store, clock),
    readiness: redis
      ? [
          {
            name: 'redis',
            check: () => redis.ping(),
            degrades: 'resumable streams cannot resume, notifications between instances come from the change log (within a second), scheduler leases and idempotency come from the store',
          },
        ]
      : [],
    async start() {
      if (memory?.usesOutbox && !store.memoryOutbox) {
        await store.enableMemoryOutbox();
        logger.info('memory outbox on: events and records are shipped to the memory', { memory: memory.location });
      }
      await feed.start();
      workers.start();
      await scheduler.start();
    },
    async close() {
      if (closed) return;
      closed = true;
      await workers.stop();
      await scheduler.stop();
      await sources.close();
      // After everything that publishes: the last changes reach the log before the store closes.
      await feed.stop();
      await memory?.close();
      await store.close();
      await redis?.close();
    },
  };
}

/**
 * The roles bound to AgentCore Runtime agents (LONGHAUL_ROLE_<NAME>_AGENT_ARN, the
 * tenants file's `agents`), or undefined when none is. The SDK retries throttling and
 * 5xx up to 4 attempts (AWS_MAX_ATTEMPTS, when set, instead).
 */
function roleAgents(tenants: TenantSettings, logger: Logger, o: AppOverrides): AgentBindings | undefined {
  const roles = tenants.agentRoles();
  if (!roles.length) return undefined;
  const env = o.env ?? process.env;
  return {
    roles,
    agentFor: (role, tenantId) => tenants.agentFor(role, tenantId),
    clients: o.agentCoreClients ?? agentCoreClients({ maxAttempts: env.AWS_MAX_ATTEMPTS ? undefined : 4 }),
    logger: logger.child({ component: 'agentcore-runtime' }),
  };
}

/**
 * The store with its `kv` (expiring keys) in Redis: every instance sees the same
 * idempotency results. The store's own methods stay bound to the store.
 */
function withKv(store: StorePort, kv: KeyValueStore): StorePort {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'kv') return kv;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

export type { Logger };

/** LONGHAUL_MEMORY: null for the store's own memory (RuntimeDeps falls back to it). */
function openMemory(config: Readonly<Config>, logger: Logger, clock: Clock): MemoryPort | null {
  if (config.memory.kind !== 'agentcore') return null;
  return openAgentCoreMemory({
    memoryId: config.memory.memoryId,
    region: config.memory.region,
    ...(config.memory.endpoint ? { endpoint: config.memory.endpoint } : {}),
    extraction: config.memory.extraction,
    rate: agentCoreRate(config.memory.rate),
    logger: logger.child({ component: 'agentcore-memory' }),
    clock,
  });
}

/** LONGHAUL_AGENTCORE_RATE_LIMIT as the adapter's limits (each burst as large as its rate). */
function agentCoreRate(r: { session?: number; account?: number; records?: number }): Partial<RateLimits> {
  return {
    ...(r.session ? { perSession: r.session, perSessionBurst: Math.max(1, r.session) } : {}),
    ...(r.account ? { perAccount: r.account, perAccountBurst: Math.max(1, r.account) } : {}),
    ...(r.records ? { recordWrites: r.records, recordWritesBurst: Math.max(1, r.records) } : {}),
  };
}
