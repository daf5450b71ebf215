import type { Clock } from '../domain/clock.js';
import type { IdGenerator } from '../domain/ids.js';
import type { SignalLimits } from '../domain/signal-limits.js';
import type { Logger } from '../logger.js';
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
}
