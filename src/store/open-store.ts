import { LonghaulError } from '../domain/errors.js';
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../logger.js';
import { createMemoryStore } from './adapters/memory.js';
import { openSqliteStore } from './adapters/sqlite/index.js';
import type { StorePort } from './port.js';

/** Which store to open: the embedded SQLite file (default), in-process memory (tests), or Redis. */
export type StoreSpec = { kind: 'memory' } | { kind: 'sqlite'; path: string } | { kind: 'redis'; url: string };

/**
 * Opens the store a spec names. `memory` warns that nothing persists; `sqlite` creates
 * the file (and its directory) on first run and applies pending schema migrations.
 * Throws StorageUnavailableError when the file cannot be opened.
 */
export function openStore(spec: StoreSpec, logger: Logger, clock?: Clock): StorePort {
  switch (spec.kind) {
    case 'memory':
      logger.warn('Using the in-memory store: nothing persists across restarts (tests only).', { store: 'memory' });
      return createMemoryStore();
    case 'sqlite':
      return openSqliteStore({ path: spec.path, logger, ...(clock ? { clock } : {}) });
    case 'redis':
      throw new LonghaulError('invalid_input', 'The redis store arrives with the hosting issue; use sqlite or memory');
  }
}
