import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ConflictError, isLonghaulError, StorageUnavailableError } from '../../../domain/errors.js';
import { Lru } from '../../../lru.js';
import { closedStoreError } from '../common.js';

/**
 * SQLite result codes that mean the database cannot be reached or written right now.
 * They surface as StorageUnavailableError, so a storage failure never reads as "not
 * found" or as a caller's mistake.
 */
const UNAVAILABLE = new Set([
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  'SQLITE_CANTOPEN',
  'SQLITE_READONLY',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
  'SQLITE_PROTOCOL',
  'SQLITE_NOMEM',
  'SQLITE_PERM',
  'SQLITE_NOLFS',
]);

/** Maps a SQLite failure to the port's errors; domain errors pass through unchanged. */
export function mapSqliteError(e: unknown, location: string): unknown {
  if (isLonghaulError(e)) return e;
  if (e instanceof Database.SqliteError) {
    const primary = /^SQLITE_[A-Z]+/.exec(e.code)?.[0] ?? e.code;
    if (UNAVAILABLE.has(primary)) return new StorageUnavailableError(`The store at ${location} is unavailable (${e.code}): ${e.message}`, e);
    if (e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e.code === 'SQLITE_CONSTRAINT_UNIQUE') {
      return new ConflictError(`That item already exists (${e.message}).`, { code: e.code });
    }
  }
  return e;
}

/** The file name SQLite reads as "a private database in this connection's memory". */
export const IN_MEMORY = ':memory:';

/** Most prepared statements a store keeps; the least recently used is dropped past it. */
const STATEMENT_CACHE = 1_000;

/**
 * A LIMIT/OFFSET count as SQL text. Counts are written into the statement, never bound:
 * better-sqlite3 builds SQLite with STAT4, and a statement with a bound LIMIT is
 * re-planned on every run — measured 13–40 µs a query here, 3–5× the query itself.
 * Only a safe non-negative integer (or -1, "no limit") gets through.
 */
export function sqlCount(n: number): string {
  if (!Number.isSafeInteger(n) || n < -1) throw new RangeError(`not a row count: ${n}`);
  return String(n);
}

/**
 * A better-sqlite3 connection with a per-store statement cache and the two kinds of
 * step the adapter runs: `read` (a deferred transaction: one consistent snapshot) and
 * `write` (BEGIN IMMEDIATE: takes the write lock up front, so a step that reads then
 * writes can't fail half-way on a lock upgrade; other processes wait busy_timeout).
 * better-sqlite3 is synchronous, so each step is atomic within this process too.
 */
export class Db {
  private readonly statements = new Lru<string, Database.Statement>(STATEMENT_CACHE);
  private readonly tx: Database.Transaction<(fn: () => unknown) => unknown>;

  constructor(
    readonly raw: Database.Database,
    readonly location: string,
  ) {
    this.tx = raw.transaction((fn: () => unknown) => fn());
  }

  /**
   * Opens (creating the file and its directory) with the adapter's pragmas. `:memory:`
   * opens a private in-memory database instead: no file, no directory, and no WAL —
   * WAL exists so other processes can read the file while one writes, and nothing else
   * can reach an in-memory database. Its location reads `:memory:`.
   */
  static open(file: string, busyTimeoutMs = 5000): Db {
    const inMemory = file === IN_MEMORY;
    const location = inMemory ? IN_MEMORY : path.resolve(file);
    try {
      if (!inMemory) fs.mkdirSync(path.dirname(location), { recursive: true });
      const raw = new Database(location);
      if (!inMemory) raw.pragma('journal_mode = WAL');
      raw.pragma('synchronous = NORMAL');
      raw.pragma(`busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
      raw.pragma('foreign_keys = OFF');
      // Lets the planner gather the statistics it needs on a long-lived connection.
      raw.pragma('optimize = 0x10002');
      raw.function('lh_icontains', { deterministic: true }, (hay: unknown, needle: unknown) =>
        typeof hay === 'string' && typeof needle === 'string' && hay.toLowerCase().includes(needle) ? 1 : 0,
      );
      return new Db(raw, location);
    } catch (e) {
      const mapped = mapSqliteError(e, location);
      if (mapped !== e) throw mapped;
      throw new StorageUnavailableError(`Cannot open the store at ${location}: ${(e as Error).message}`, e);
    }
  }

  /** A prepared statement, prepared once per store and distinct SQL text (at most STATEMENT_CACHE kept). */
  stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.raw.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  all<T = Record<string, unknown>>(sql: string, ...params: unknown[]): T[] {
    return this.stmt(sql).all(...params) as T[];
  }
  get<T = Record<string, unknown>>(sql: string, ...params: unknown[]): T | undefined {
    return this.stmt(sql).get(...params) as T | undefined;
  }
  run(sql: string, ...params: unknown[]): Database.RunResult {
    return this.stmt(sql).run(...params);
  }

  read<T>(fn: () => T): T {
    return this.step(() => this.tx.deferred(fn) as T);
  }
  write<T>(fn: () => T): T {
    return this.step(() => this.tx.immediate(fn) as T);
  }

  private step<T>(run: () => T): T {
    if (!this.raw.open) throw closedStoreError(this.location);
    try {
      return run();
    } catch (e) {
      throw mapSqliteError(e, this.location);
    }
  }

  close(): void {
    if (!this.raw.open) return;
    try {
      this.raw.pragma('optimize');
    } catch {
      // Best effort: statistics only; closing matters more.
    }
    this.raw.close();
  }
}
