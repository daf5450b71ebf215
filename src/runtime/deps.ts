import type { Clock } from '../domain/clock.js';
import type { IdGenerator } from '../domain/ids.js';
import type { Logger } from '../logger.js';
import type { StorePort } from '../store/port.js';
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
}
