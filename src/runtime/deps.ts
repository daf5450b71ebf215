import type { Clock } from '../domain/clock.js';
import type { IdGenerator } from '../domain/ids.js';
import type { Session } from '../domain/session.js';
import type { SignalLimits } from '../domain/signal-limits.js';
import type { Logger } from '../logger.js';
import { storeMemory } from '../memory/adapters/store.js';
import type { MemoryPort } from '../memory/port.js';
import type { StorePort } from '../store/port.js';
import type { TenantLimits } from '../tenants.js';
import type { ChangeFeed } from './change-feed.js';
import type { ModelRegistry } from './model.js';

/** Who is calling: from config in stdio mode, from credentials over HTTP. Never from tool arguments. */
export interface Caller {
  tenantId: string;
  actorId: string;
}

/** Settings the runtime needs, already normalised to milliseconds. */
export interface RuntimeSettings {
  idleTimeoutMs: number;
  maxSessionDurationMs: number;
  eventRetentionMs: number;
  /**
   * Per investigation: at most `count` signals and `bytes` of payloads and files
   * (LONGHAUL_MAX_SIGNALS, LONGHAUL_MAX_SIGNAL_BYTES); a tenant's own limits
   * (`limitsFor`) take precedence. Absent: DEFAULT_SIGNAL_LIMITS.
   */
  signalLimits?: SignalLimits;
}

export interface RuntimeDeps {
  store: StorePort;
  /** Long-term memory (LONGHAUL_MEMORY); absent: the store's own (memoryOf). */
  memory?: MemoryPort;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  feed: ChangeFeed;
  settings: RuntimeSettings;
  /** Where memory extraction and workers find a model at run time; absent = deterministic only. */
  models?: ModelRegistry;
  /**
   * The worker roles this server runs. A task for any other role would sit `pending`
   * for ever, so delegation refuses it. Absent: any well-formed role is accepted.
   */
  knownRoles?: () => readonly string[];
  /**
   * A tenant's limits (LONGHAUL_TENANTS_FILE entry over the process-wide settings):
   * `signals` per investigation, `rateLimit` per HTTP token. Absent in bare test
   * runtimes: use the process-wide settings.
   */
  limitsFor?: (tenantId: string) => TenantLimits;
  /**
   * Called when longhaul is done with a worker session whose role ran: after its run
   * (whatever the outcome; no later run uses the session), and when the lifecycle sweep
   * terminates one whose run never ended (its process died). Releases what the role
   * holds outside longhaul (an AgentCore runtime session). Must not throw. Absent: nothing to release.
   */
  releaseWorkerSession?: (session: Pick<Session, 'id' | 'tenantId' | 'kind' | 'role'>) => Promise<void>;
}

/** The memory port of these deps: the configured one, else the store's own. */
export const memoryOf = (d: Pick<RuntimeDeps, 'store' | 'memory'>): MemoryPort => d.memory ?? storeMemory(d.store);
