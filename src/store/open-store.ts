import type { Clock } from '../domain/clock.js';
import type { Logger } from '../logger.js';
import { openPostgresStore } from './adapters/postgres/index.js';
import { createMemoryStore, openSqliteStore } from './adapters/sqlite/index.js';
import type { StorePort } from './port.js';

/** Which store to open: the embedded SQLite file (default), PostgreSQL (several instances), or SQLite in process memory (tests). Redis is not a store (LONGHAUL_REDIS_URL holds what instances share briefly). */
export type StoreSpec = { kind: 'memory' } | { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; schema?: string };

/**
 * Opens the store a spec names. `memory` is the SQLite adapter on a private `:memory:`
 * database (its kind reads `sqlite`) and warns that nothing persists; `sqlite` creates
 * the file (and its directory) on first run and applies pending schema migrations.
 * Throws StorageUnavailableError when the file cannot be opened. `postgres` opens a
 * pool without waiting: it connects and migrates in the background, and its methods
 * fail with StorageUnavailableError while the server cannot be reached.
 */
export function openStore(spec: StoreSpec, logger: Logger, clock?: Clock): StorePort {
  switch (spec.kind) {
    case 'memory':
      logger.warn('Using the in-memory store: nothing persists across restarts (tests only).', { store: 'memory' });
      return createMemoryStore({ logger, ...(clock ? { clock } : {}) });
    case 'sqlite':
      return openSqliteStore({ path: spec.path, logger, ...(clock ? { clock } : {}) });
    case 'postgres':
      return openPostgresStore({ url: spec.url, ...(spec.schema ? { schema: spec.schema } : {}), logger, ...(clock ? { clock } : {}) });
  }
}
