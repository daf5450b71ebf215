/**
 * The database-source port on PostgreSQL through a small `pg` pool. Every read is its
 * own short `BEGIN READ ONLY` transaction with `SET LOCAL statement_timeout` (and an
 * idle-in-transaction timeout), so a scan never holds a snapshot open on the team's
 * server between batches, and no statement can write even through a function a view
 * calls. Connections also start with `default_transaction_read_only=on`.
 *
 * Values are cast to text on the server, under `TimeZone=UTC` and `DateStyle=ISO`:
 * dates read `2024-05-01`, timestamps `2024-05-01 10:00:00+00`, numerics keep their
 * digits. (Letting `pg` build JS Dates would lose microseconds and shift a `date` by the
 * process's time zone; it would also cost a parse per value.)
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { StorageUnavailableError } from '../../domain/errors.js';
import { nullLogger, type Logger } from '../../logger.js';
import type { SourceDatabase } from '../source-database.js';
import { failedEntry, keyedSelect, matchName, plannedTables, planTable, quoteIdent, readyEntry, rowOf, sourceUnavailable, srcColumn, tableNotFound, type CatalogRelation, type CompiledSourceSpec, type KeyedRow, type PlanEntry, type TablePlan } from './source-db-common.js';

/** Small on purpose: this is someone else's production database. */
const POOL_MAX = 4;
/** getRows sends at most this many keys per statement. */
const GET_ROWS_CHUNK = 500;
/** Tables and views the catalog lookups never resolve to, whatever the allow-list says. */
const SYSTEM_SCHEMA_FILTER = `n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'`;
const RELKINDS = `('r','p','v','m','f')`;

interface PgPlan extends TablePlan {
  /** `"schema"."name"`, built from catalog names only. */
  relation: string;
  relkind: string;
}

type Entry = PlanEntry<PgPlan>;

/** Opens a PostgreSQL source; see `openSourceDatabase`. Nothing connects until the first call. */
export function openPostgresSource(spec: CompiledSourceSpec, logger: Logger = nullLogger): SourceDatabase {
  const log = logger.child({ source: spec.name });
  const pool = new pg.Pool({
    connectionString: spec.url,
    max: POOL_MAX,
    connectionTimeoutMillis: spec.connectTimeoutMs,
    idleTimeoutMillis: 10_000,
    // An idle pool must never keep the process alive on exit.
    allowExitOnIdle: true,
    keepAlive: true,
    application_name: `longhaul source ${spec.name}`.slice(0, 63),
    options: '-c default_transaction_read_only=on',
    // A client-side net for a server that stops answering (the server-side timeout is the real bound).
    query_timeout: spec.statementTimeoutMs + spec.connectTimeoutMs,
  });
  // Without a listener an idle connection's error (a server restart) would crash the process.
  pool.on('error', (e) => log.warn('database source connection lost', { url: spec.displayUrl, error: sourceUnavailable(spec, 'an idle connection', e).message }));

  const idleTxMs = spec.statementTimeoutMs + 5_000;
  const prelude =
    `BEGIN READ ONLY; SET LOCAL statement_timeout = ${spec.statementTimeoutMs}; ` +
    `SET LOCAL idle_in_transaction_session_timeout = ${idleTxMs}; SET LOCAL TimeZone = 'UTC'; ` +
    `SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL extra_float_digits = 1`;
  let closing: Promise<void> | null = null;
  const plans = plannedTables(spec, log, () => readTx('describing tables', describeIn));

  /** Runs `fn` in a fresh read-only transaction; driver errors come out as StorageUnavailableError with the pg error as `cause`. */
  async function readTx<T>(doing: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    if (closing) throw new StorageUnavailableError(`database source "${spec.name}" is closed`);
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (e) {
      throw withCause(sourceUnavailable(spec, 'connecting', e), e);
    }
    try {
      await client.query(prelude);
      const out = await fn(client);
      await client.query('COMMIT');
      client.release();
      return out;
    } catch (e) {
      // Discard the connection: after a timeout or a network error its state is unknown.
      client.release(true);
      const code = (e as { code?: string }).code;
      const hint = code === '57014' ? ` (statementTimeoutMs is ${spec.statementTimeoutMs})` : '';
      const err = sourceUnavailable(spec, doing, e);
      throw withCause(hint ? new StorageUnavailableError(err.message + hint) : err, e);
    }
  }

  async function describeIn(c: pg.PoolClient): Promise<Map<string, Entry>> {
    const path = (await c.query<{ s: string }>(`SELECT s::text FROM unnest(current_schemas(false)) WITH ORDINALITY AS u(s, i) ORDER BY i`)).rows.map((r) => r.s);
    const wanted = spec.tables.flatMap((t) => candidatesOf(t).map((x) => x.name.toLowerCase()));
    const cands = (
      await c.query<{ oid: string; schema: string; name: string; relkind: string; readable: boolean }>(
        `SELECT c.oid::text AS oid, n.nspname::text AS schema, c.relname::text AS name, c.relkind::text AS relkind,
                has_table_privilege(c.oid, 'SELECT') AS readable
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ${RELKINDS} AND ${SYSTEM_SCHEMA_FILTER} AND lower(c.relname::text) = ANY($1::text[])`,
        [wanted],
      )
    ).rows;

    const resolved = new Map<string, (typeof cands)[number]>();
    for (const t of spec.tables) {
      const hit = resolve(t, cands, path);
      if (hit) resolved.set(t, hit);
    }
    const oids = [...new Set([...resolved.values()].map((r) => r.oid))];
    const cols = (
      await c.query<{ rel: string; name: string; cat: string; typ: string; base: string | null }>(
        `SELECT a.attrelid::text AS rel, a.attname::text AS name, t.typcategory::text AS cat, t.typname::text AS typ, bt.typname::text AS base
           FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
          WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
          ORDER BY a.attrelid, a.attnum`,
        [oids],
      )
    ).rows;
    // Primary keys and usable unique indexes (plain columns, all NOT NULL, not partial), smallest first.
    const idx = (
      await c.query<{ rel: string; idx: string; pk: boolean; col: string | null; notnull: boolean | null }>(
        `SELECT i.indrelid::text AS rel, i.indexrelid::text AS idx, i.indisprimary AS pk, a.attname::text AS col, a.attnotnull AS notnull
           FROM pg_index i
           CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
           LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0
          WHERE i.indrelid = ANY($1::oid[]) AND k.ord <= i.indnkeyatts
            AND (i.indisprimary OR (i.indisunique AND i.indpred IS NULL AND i.indisvalid))
          ORDER BY i.indrelid, i.indisprimary DESC, i.indnkeyatts, i.indexrelid, k.ord`,
        [oids],
      )
    ).rows;

    const out = new Map<string, Entry>();
    let available: string[] | null = null;
    for (const t of spec.tables) {
      const r = resolved.get(t);
      if (!r) {
        available ??= await listRelations(c, path);
        out.set(t, failedEntry(t, tableNotFound(spec.name, t, available)));
        continue;
      }
      if (!r.readable) {
        out.set(t, failedEntry(t, `${spec.name}:${t} cannot be read: no SELECT privilege on ${r.schema}.${r.name} for this user`));
        continue;
      }
      const rel: CatalogRelation = {
        kind: r.relkind === 'v' || r.relkind === 'm' ? 'view' : 'table',
        columns: cols.filter((x) => x.rel === r.oid).map((x) => ({ name: x.name, textLike: isTextLike(x) })),
        ...keysOf(idx.filter((x) => x.rel === r.oid)),
      };
      const planned = planTable(spec.name, t, rel, spec);
      if ('error' in planned) {
        out.set(t, failedEntry(t, planned.error));
        continue;
      }
      const plan: PgPlan = { ...planned.plan, relation: `${quoteIdent(r.schema)}.${quoteIdent(r.name)}`, relkind: r.relkind };
      // Plan the real read once (LIMIT 0 executes nothing): catches column privileges and broken views.
      try {
        await c.query('SAVEPOINT probe');
        await c.query(selectSql(plan, 'WHERE false', 'LIMIT 0'));
        await c.query('RELEASE SAVEPOINT probe');
      } catch (e) {
        await c.query('ROLLBACK TO SAVEPOINT probe');
        out.set(t, failedEntry(t, `${spec.name}:${t} cannot be read: ${(e as Error).message}`));
        continue;
      }
      out.set(t, readyEntry(plan));
    }
    return out;
  }

  const read = async (doing: string, plan: PgPlan, text: string, values: unknown[]): Promise<KeyedRow[]> =>
    (await readTx(doing, (c) => c.query<unknown[]>({ text, values, rowMode: 'array' }))).rows.map((r) => rowOf(plan, r));

  return {
    name: spec.name,
    displayUrl: spec.displayUrl,
    describe: plans.describe,

    async fingerprint(table) {
      const plan = await plans.planFor(table);
      if (plan.relkind === 'v' || plan.relkind === 'f') return null;
      const r = await readTx(`fingerprinting ${table}`, (c) =>
        c.query<{ found: boolean; track: string; fp: string | null; parts: number }>(
          // Every partition counts for a partitioned table; relfilenode changes on TRUNCATE,
          // VACUUM FULL and a matview REFRESH, the counters on every row written (n_live_tup
          // is left out: VACUUM and ANALYZE move it without any row changing). A writer's
          // counters reach pg_stat late: at least 1 s, ~10 s when it then goes idle, up to
          // 60 s when it stays busy, so a change shows on a later refresh, never lost.
          `WITH r AS (SELECT to_regclass($1) AS oid),
                tree AS (SELECT oid AS relid FROM r WHERE oid IS NOT NULL UNION SELECT t.relid FROM r, pg_partition_tree(r.oid) t)
           SELECT (SELECT oid IS NOT NULL FROM r) AS found, current_setting('track_counts') AS track,
                  (SELECT count(*)::int FROM tree) AS parts,
                  (SELECT string_agg(p.oid::text || '/' || p.relfilenode::text || '/' || coalesce(s.n_tup_ins, 0)::text || '/'
                                     || coalesce(s.n_tup_upd, 0)::text || '/' || coalesce(s.n_tup_del, 0)::text, ',' ORDER BY p.oid)
                     FROM tree JOIN pg_class p ON p.oid = tree.relid LEFT JOIN pg_stat_user_tables s ON s.relid = tree.relid) AS fp`,
          [plan.relation],
        ),
      );
      const row = r.rows[0];
      if (!row?.found) throw new StorageUnavailableError(`database source "${spec.name}": ${table} no longer exists; describe the source again`);
      if (row.track !== 'on' || row.fp === null) return null;
      return `${table}:${row.parts > 1 ? createHash('sha256').update(row.fp).digest('hex').slice(0, 32) : row.fp}`;
    },

    scan(table, opts) {
      return plans.scan(table, opts, (plan, doing) => {
        const keys = plan.keyColumns.map(srcColumn);
        const tuple = (from: number) => (keys.length === 1 ? `$${from}` : `(${keys.map((_, i) => `$${from + i}`).join(', ')})`);
        const keyExpr = keys.length === 1 ? (keys[0] as string) : `(${keys.join(', ')})`;
        const notNull = keys.map((k) => `${k} IS NOT NULL`).join(' AND ');
        const n = keys.length;
        return {
          after: (cursor, limit) =>
            cursor === null
              ? read(doing, plan, selectSql(plan, `WHERE ${notNull}`, `LIMIT $1`), [limit])
              : read(doing, plan, selectSql(plan, `WHERE ${keyExpr} > ${tuple(1)}`, `LIMIT $${n + 1}`), [...cursor, limit]),
          equal: (key, limit) => read(doing, plan, selectSql(plan, `WHERE ${keys.map((k, i) => `${k} = $${i + 1}`).join(' AND ')}`, `LIMIT $${n + 1}`), [...key, limit]),
        };
      });
    },

    getRows(table, keyValues) {
      return plans.getRows(table, keyValues, GET_ROWS_CHUNK, async (plan, chunk, doing) => {
        const run = (asText: boolean) => {
          const [where, values] = keyMatch(plan, chunk, asText);
          return read(doing, plan, selectSql(plan, where, `LIMIT $${values.length + 1}`), [...values, spec.maxRowsPerTable]);
        };
        try {
          return await run(false);
        } catch (e) {
          // A key that is not valid for the column's type (`abc` for an integer id, SQLSTATE class 22):
          // compare as text instead, which is exactly how keys are cited. Slower, but only for bad input.
          if (!String((e as { cause?: { code?: unknown } }).cause?.code ?? '').startsWith('22')) throw e;
          return run(true);
        }
      });
    },

    async close() {
      closing ??= pool.end().catch((e) => log.warn('closing database source failed', { error: sourceUnavailable(spec, 'closing', e).message }));
      await closing;
    },
  };
}

/** `SELECT key::text…, col::text… FROM relation AS src {where} ORDER BY key {limit}`: every value read as text, cast on the server. */
function selectSql(plan: PgPlan, where: string, limit: string): string {
  return keyedSelect(plan, where, limit, (c) => `${c}::text`);
}

/** `key = ANY($1)` for a one-column key, `(a, b) IN (($1, $2), …)` for a composite one; `asText` compares the cited text form. */
function keyMatch(plan: PgPlan, tuples: string[][], asText: boolean): [string, unknown[]] {
  const keys = plan.keyColumns.map((k) => (asText ? `${srcColumn(k)}::text` : srcColumn(k)));
  if (keys.length === 1) return [`WHERE ${keys[0]} = ANY($1${asText ? '::text[]' : ''})`, [tuples.map((t) => t[0])]];
  const values = tuples.flat();
  const rows = tuples.map((_, i) => `(${keys.map((__, j) => `$${i * keys.length + j + 1}`).join(', ')})`);
  return [`WHERE (${keys.join(', ')}) IN (${rows.join(', ')})`, values];
}

/** Text-like: the string category (text, varchar, char, name, citext, domains over them), json, jsonb and xml. uuid and enums are ids, not prose. */
function isTextLike(c: { cat: string; typ: string; base: string | null }): boolean {
  return c.cat === 'S' || ['json', 'jsonb', 'xml'].includes(c.typ) || ['json', 'jsonb', 'xml'].includes(c.base ?? '');
}

function keysOf(rows: Array<{ idx: string; pk: boolean; col: string | null; notnull: boolean | null }>): Pick<CatalogRelation, 'primaryKey' | 'uniqueKey'> {
  const byIdx = new Map<string, typeof rows>();
  for (const r of rows) byIdx.set(r.idx, [...(byIdx.get(r.idx) ?? []), r]);
  const indexes = [...byIdx.values()];
  const pk = indexes.find((ix) => ix[0]?.pk);
  const unique = indexes.find((ix) => !ix[0]?.pk && ix.every((c) => c.col !== null && c.notnull));
  return { primaryKey: pk ? pk.map((c) => c.col as string) : [], uniqueKey: unique ? unique.map((c) => c.col as string) : undefined };
}

/** How an allow-list name may be meant: `schema.name` split at the first dot, else the whole (a name may contain a dot). */
function candidatesOf(t: string): Array<{ schema: string | null; name: string }> {
  const dot = t.indexOf('.');
  return dot > 0 ? [{ schema: t.slice(0, dot), name: t.slice(dot + 1) }, { schema: null, name: t }] : [{ schema: null, name: t }];
}

/** An allow-list name's relation: a qualified name in its schema; an unqualified one in the first search_path schema that has it. */
function resolve<R extends { schema: string; name: string }>(t: string, cands: R[], path: string[]): R | undefined {
  for (const { schema, name } of candidatesOf(t)) {
    const schemas = schema === null ? path : [matchName(schema, new Set(cands.map((c) => c.schema)))].filter((s): s is string => s !== undefined);
    for (const s of schemas) {
      const inSchema = cands.filter((c) => c.schema === s);
      const hit = matchName(name, inSchema.map((c) => c.name));
      if (hit !== undefined) return inSchema.find((c) => c.name === hit);
    }
  }
  return undefined;
}

/** Up to 21 table and view names for a not-found message, the search path's first; qualified unless in the first schema. */
async function listRelations(c: pg.PoolClient, path: string[]): Promise<string[]> {
  const rows = (
    await c.query<{ schema: string; name: string }>(
      `SELECT n.nspname::text AS schema, c.relname::text AS name
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ${RELKINDS} AND ${SYSTEM_SCHEMA_FILTER} AND has_table_privilege(c.oid, 'SELECT')
        ORDER BY array_position($1::text[], n.nspname::text) NULLS LAST, n.nspname, c.relname LIMIT 21`,
      [path],
    )
  ).rows;
  return rows.map((r) => (r.schema === path[0] ? r.name : `${r.schema}.${r.name}`));
}

function withCause<E extends Error>(err: E, cause: unknown): E {
  (err as { cause?: unknown }).cause = cause;
  return err;
}
