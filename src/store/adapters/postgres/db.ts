/**
 * The PostgreSQL store's connection layer: one `pg.Pool`, every connection in the
 * store's schema (search_path set at connect), epoch-ms BIGINTs read back as numbers,
 * and the two kinds of step the adapter runs: `write` (one transaction, READ COMMITTED,
 * row locks taken where a step reads then writes) and `read` (one REPEATABLE READ READ
 * ONLY transaction when a read takes several statements: one snapshot). Single
 * statements go straight to the pool (`query`), which is its own atomic step.
 *
 * Failures are mapped once here: a lost or refused connection, a server shutting down
 * or starting up, too many connections → StorageUnavailableError ("PostgreSQL is
 * unreachable… retry"); a uniqueness violation → ConflictError; serialization failures
 * and deadlocks are retried a few times before they surface as unavailable.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { ConflictError, InvalidInputError, isLonghaulError, StorageUnavailableError } from '../../../domain/errors.js';
import { nullLogger, type Logger } from '../../../logger.js';
import { closedStoreError } from '../common.js';

/** The schema names a store accepts (config.ts checks `?schema=` with the same rule). */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** INT8 (count(*), BIGINT columns) as a JS number: every stored value is an epoch ms, a seq or a size, far below 2^53. */
const INT8_OID = 20;
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** SQLSTATE classes and codes that mean "the server cannot serve this right now". */
const UNAVAILABLE_CLASSES = ['08', '53', '57', '58', 'XX'];
const UNAVAILABLE_CODES = new Set(['55P03', '25006', '3D000', '28000', '28P01', '3F000']);
/** Serialization failure and deadlock: the step is run again from the start. */
const RETRYABLE = new Set(['40001', '40P01']);
const RETRIES = 4;

type PgError = Error & { code?: string; severity?: string };
const isDatabaseError = (e: unknown): e is pg.DatabaseError => e instanceof pg.DatabaseError;

/** The URL as logs and `longhaul status` show it: without the password. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '';
    return u.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}

function unavailable(location: string, e: unknown): StorageUnavailableError {
  const why = e instanceof Error ? `${(e as PgError).code ? `${(e as PgError).code}: ` : ''}${e.message}` : String(e);
  return new StorageUnavailableError(`PostgreSQL at ${location} is unreachable or refused the request (${why}); retry shortly.`, e);
}

/**
 * Maps a failure from `pg` to the port's errors; domain errors pass through. Anything
 * that is not a server error (a refused or reset connection, a connect timeout, a
 * client whose connection died) means the database could not be reached.
 */
export function mapPgError(e: unknown, location: string): unknown {
  if (isLonghaulError(e)) return e;
  if (isDatabaseError(e)) {
    const code = e.code ?? '';
    if (code === '23505') return new ConflictError(`That item already exists (${e.constraint ?? e.message}).`, { code });
    if (RETRYABLE.has(code) || UNAVAILABLE_CODES.has(code) || UNAVAILABLE_CLASSES.includes(code.slice(0, 2))) return unavailable(location, e);
    return e;
  }
  if (e instanceof Error) return unavailable(location, e);
  return e;
}

const isRetryable = (e: unknown): boolean => {
  const cause = e instanceof StorageUnavailableError ? (e as { cause?: unknown }).cause : e;
  return isDatabaseError(cause) && RETRYABLE.has(cause.code ?? '');
};

/**
 * True for a failure of the connection itself: nothing the server said about the
 * statement (a refused or reset socket), or the server closing the session (class 08,
 * 57P01–57P03: a pooled connection that a restart had already ended).
 */
const isConnectionFailure = (e: unknown): boolean => {
  const cause = e instanceof StorageUnavailableError ? (e as { cause?: unknown }).cause : e;
  if (!(cause instanceof Error)) return false;
  if (!isDatabaseError(cause)) return true;
  const code = cause.code ?? '';
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03';
};

/**
 * A 64-bit advisory lock key for `name` within `schema`. Advisory locks are per
 * database, not per schema: the schema is part of the key so two stores in one
 * database never wait on each other's locks.
 */
export function lockKey(schema: string, name: string): string {
  return createHash('sha1').update(`longhaul|${schema}|${name}`).digest().readBigInt64BE(0).toString();
}

/** One connection inside a step. Every statement's failure is mapped. */
export class Conn {
  constructor(
    private readonly client: pg.PoolClient | pg.Pool,
    private readonly location: string,
  ) {}

  async all<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.exec(sql, params)).rows as T[];
  }
  async get<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    return (await this.exec(sql, params)).rows[0] as T | undefined;
  }
  /** Runs a statement; returns how many rows it touched. */
  async run(sql: string, params: unknown[] = []): Promise<number> {
    return (await this.exec(sql, params)).rowCount ?? 0;
  }

  private async exec(sql: string, params: unknown[]): Promise<pg.QueryResult> {
    try {
      return await this.client.query(sql, params);
    } catch (e) {
      throw mapPgError(e, this.location);
    }
  }
}

export interface PgDbOptions {
  url: string;
  schema: string;
  poolMax?: number;
  /** How long to wait for a connection (or a free pool slot) before StorageUnavailableError. */
  connectTimeoutMs?: number;
  logger?: Logger;
  applicationName?: string;
}

export class PgDb {
  readonly pool: pg.Pool;
  readonly location: string;
  readonly schema: string;
  private closing: Promise<void> | null = null;
  private ready: Promise<void> | null = null;
  private readonly pooled: Conn;
  private readonly logger: Logger;
  private readonly checkedOut = new Map<pg.PoolClient, (e: Error) => void>();

  constructor(
    opts: PgDbOptions,
    /** Runs once per store before the first step (migrations); run again after a failure. */
    private readonly prepare: (db: PgDb) => Promise<void> = async () => {},
  ) {
    if (!SCHEMA_NAME.test(opts.schema)) throw new InvalidInputError(`"${opts.schema}" is not a schema name longhaul uses: lower-case letters, digits and "_" (at most 63), starting with a letter or "_".`);
    const logger = (this.logger = opts.logger ?? nullLogger);
    this.schema = opts.schema;
    this.location = displayUrl(opts.url);
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolMax ?? 10,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      // An idle pool never keeps a one-shot command (status, signal) from exiting.
      allowExitOnIdle: true,
      application_name: opts.applicationName ?? 'longhaul',
      // The schema is checked above: plain identifier characters, nothing to quote.
      options: `-c search_path=${opts.schema}`,
      types: TYPES,
    });
    // An idle client's error (the server restarted, a network blip) must never crash the
    // process: the pool drops that client and opens a new one on the next checkout.
    this.pool.on('error', (e) => logger.warn('PostgreSQL connection lost; the pool reconnects on next use', { store: this.location, error: e.message }));
    this.pooled = new Conn(this.pool, this.location);
  }

  /** Starts preparing now (so a bad URL shows early in the logs); failures are reported by the first step. */
  start(): void {
    this.whenReady().catch(() => {});
  }

  private async whenReady(): Promise<void> {
    if (this.closing) throw closedStoreError(this.location);
    if (!this.ready) this.ready = this.prepare(this);
    const ready = this.ready;
    try {
      await ready;
    } catch (e) {
      // Try again on the next step: the server may be back by then.
      if (this.ready === ready) this.ready = null;
      throw mapPgError(e, this.location);
    }
  }

  /**
   * A client of the pool, checked out until `release`. While checked out the pool no
   * longer listens for its errors, so this does: a connection that dies between two
   * statements of a step (a server restart) must fail that step, never crash the process.
   */
  async connect(): Promise<pg.PoolClient> {
    if (this.closing) throw closedStoreError(this.location);
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw mapPgError(e, this.location);
    }
    const onError = (e: Error) => this.logger.warn('PostgreSQL connection lost during a step', { store: this.location, error: e.message });
    client.on('error', onError);
    this.checkedOut.set(client, onError);
    return client;
  }

  /** Hands a client back; with `broken`, the pool destroys it instead of reusing it. */
  release(client: pg.PoolClient, broken?: Error): void {
    const onError = this.checkedOut.get(client);
    if (onError) client.removeListener('error', onError);
    this.checkedOut.delete(client);
    client.release(broken);
  }

  /** One statement, its own atomic step (autocommit). A read is retried once when the connection it got had died. */
  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = [], opts: { idempotent?: boolean } = {}): Promise<T[]> {
    await this.whenReady();
    try {
      return await this.pooled.all<T>(sql, params);
    } catch (e) {
      if (opts.idempotent && isConnectionFailure(e) && !this.closing) return this.pooled.all<T>(sql, params);
      throw e;
    }
  }

  /** Rows touched by one statement (autocommit). */
  async run(sql: string, params: unknown[] = []): Promise<number> {
    await this.whenReady();
    return this.pooled.run(sql, params);
  }

  /** One transaction (READ COMMITTED): committed when `fn` resolves, rolled back when it throws. */
  write<T>(fn: (c: Conn) => Promise<T>): Promise<T> {
    return this.step('BEGIN', fn);
  }

  /**
   * Several reads from one snapshot. With `settings` (fixed `SET LOCAL …` text, never
   * user input), they go to the server with the BEGIN, in the same round trip: a
   * simple-protocol query of several statements, which PostgreSQL runs in order.
   */
  read<T>(fn: (c: Conn) => Promise<T>, settings?: string): Promise<T> {
    return this.step(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY${settings ? `; ${settings}` : ''}`, fn);
  }

  private async step<T>(begin: string, fn: (c: Conn) => Promise<T>): Promise<T> {
    await this.whenReady();
    for (let attempt = 0; ; attempt++) {
      const client = await this.connect();
      const conn = new Conn(client, this.location);
      let broken: Error | undefined;
      let begun = false;
      try {
        await conn.run(begin);
        begun = true;
        const out = await fn(conn);
        await conn.run('COMMIT');
        return out;
      } catch (e) {
        if (begun) {
          try {
            await client.query('ROLLBACK');
          } catch (r) {
            broken = r instanceof Error ? r : new Error(String(r));
          }
        } else broken = e instanceof Error ? e : new Error(String(e));
        // Retried: a deadlock or serialization failure (nothing was committed), or a pooled
        // connection that had died before BEGIN reached the server (nothing was sent).
        const again = attempt < RETRIES && !this.closing && (isRetryable(e) || (!begun && attempt === 0 && isConnectionFailure(e)));
        if (!again) throw e;
      } finally {
        // A connection that failed mid-step is destroyed, never handed out again.
        this.release(client, broken);
      }
      await new Promise((r) => setTimeout(r, 2 + Math.random() * 10 * (attempt + 1)));
    }
  }

  /** Ends the pool (idempotent); steps after it fail with StorageUnavailableError. */
  close(): Promise<void> {
    if (!this.closing) {
      const ready = this.ready;
      this.closing = (async () => {
        await ready?.catch(() => {});
        await this.pool.end();
      })();
    }
    return this.closing;
  }
}
