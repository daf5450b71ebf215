/**
 * Opening a database source: the factory that picks an adapter by the URL's scheme. The
 * rules both adapters share live in `source-db-common.ts`, which they import instead of
 * this file, so the factory → adapter imports form no cycle.
 */
import { InvalidInputError } from '../../domain/errors.js';
import type { DatabaseSourceSpec, SourceDatabase } from '../source-database.js';
import { compileSourceSpec, type OpenSourceOptions } from './source-db-common.js';
import { openPostgresSource } from './source-db-postgres.js';
import { openSqliteSource } from './source-db-sqlite.js';

// What callers outside the adapters use (redacting a URL for display, the citation key codec),
// kept importable from the module they open sources with.
export { decodeKey, encodeKey, redactUrl, type OpenSourceOptions } from './source-db-common.js';

/**
 * Opens a database source by its URL's scheme: `postgres://` or `postgresql://` (through
 * a small `pg` pool) or `sqlite:/path/file.db` (better-sqlite3, read-only). Nothing
 * connects here: the first `describe()`, `scan()`, `getRows()` or `fingerprint()` does,
 * so a source that is down at start-up is reported by `describe()`, not thrown.
 * Throws InvalidInputError for an unknown scheme or a malformed spec.
 */
export function openSourceDatabase(spec: DatabaseSourceSpec, opts: OpenSourceOptions = {}): SourceDatabase {
  const compiled = compileSourceSpec(spec, opts);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(spec.url)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return openPostgresSource(compiled, opts.logger);
  if (scheme === 'sqlite') return openSqliteSource(compiled, opts.logger);
  throw new InvalidInputError(
    `database source "${spec.name}" has URL ${compiled.displayUrl}, whose scheme is not supported; use postgres://user@host:5432/db or sqlite:/path/file.db.`,
  );
}
