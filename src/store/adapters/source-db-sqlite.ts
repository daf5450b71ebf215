/**
 * The database-source port on a SQLite file through better-sqlite3, opened read-only
 * (`readonly`, `fileMustExist`, then `PRAGMA query_only = 1`). The file is opened on
 * first use and reopened after a failure, so a file that appears later is picked up.
 *
 * better-sqlite3 is synchronous: a statement blocks the event loop while it runs. So
 * each scan batch is one short keyset query, the scan yields to the event loop between
 * batches, and the busy timeout is short (a writer holding the lock must not freeze the
 * server for long). A keyset query on a rowid or indexed key is a seek; on a view with
 * no usable index each batch re-runs the view, which is slower on large views.
 */
import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { StorageUnavailableError } from '../../domain/errors.js';
import { nullLogger, type Logger } from '../../logger.js';
import type { SourceDatabase } from '../source-database.js';
import { failedEntry, keyedSelect, matchName, plannedTables, planTable, quoteIdent, readyEntry, rowOf, sourceUnavailable, srcColumn, tableNotFound, type CatalogRelation, type CompiledSourceSpec, type PlanEntry, type TablePlan } from './source-db-common.js';

/** Longest wait for a writer's lock; the wait blocks the whole process (synchronous driver). */
const MAX_BUSY_TIMEOUT_MS = 2_000;
/** getRows binds at most this many keys per statement. */
const GET_ROWS_CHUNK = 200;
/** An untyped column counts as text when one of its first rows holds text. */
const TYPE_SAMPLE_ROWS = 1_000;

interface SqlitePlan extends TablePlan {
  relation: string;
  /** Per key column: true when it has no type affinity, so a numeric key must be bound as a number to match. */
  keyUntyped: boolean[];
}

type Entry = PlanEntry<SqlitePlan>;

/** The file a `sqlite:` URL names: `sqlite:/abs/file.db`, `sqlite:///abs/file.db`, or `sqlite:relative.db` (to the working directory). */
export function sqlitePathOf(url: string): string {
  const rest = url.replace(/^sqlite:/i, '');
  return rest.startsWith('//') ? rest.slice(2) : rest;
}

/** Opens a SQLite source; see `openSourceDatabase`. Nothing is opened until the first call. */
export function openSqliteSource(spec: CompiledSourceSpec, logger: Logger = nullLogger): SourceDatabase {
  const log = logger.child({ source: spec.name });
  const file = sqlitePathOf(spec.url);
  const busyMs = Math.min(MAX_BUSY_TIMEOUT_MS, spec.statementTimeoutMs);
  let handle: Database.Database | null = null;
  let closed = false;
  const statements = new Map<string, Database.Statement<unknown[], unknown[]>>();
  // A file that failed may be replaced: after an outage, reopen next time.
  const plans = plannedTables(spec, log, async () => describeNow(), dropHandle);

  function db(): Database.Database {
    if (closed) throw new StorageUnavailableError(`database source "${spec.name}" is closed`);
    if (handle) return handle;
    if (!existsSync(file)) throw sourceUnavailable(spec, 'opening', new Error(`file ${file} does not exist`));
    let d: Database.Database | undefined;
    try {
      d = new Database(file, { readonly: true, fileMustExist: true, timeout: busyMs });
      d.pragma('query_only = 1');
      // "file is not a database" shows only on the first read.
      d.prepare('SELECT count(*) FROM sqlite_schema').get();
    } catch (e) {
      d?.close();
      throw sourceUnavailable(spec, 'opening', e);
    }
    handle = d;
    return d;
  }

  function stmt(sql: string): Database.Statement<unknown[], unknown[]> {
    let s = statements.get(sql);
    if (!s) {
      s = db().prepare<unknown[], unknown[]>(sql).raw(true).safeIntegers(true);
      statements.set(sql, s);
    }
    return s;
  }

  /** Runs a read, after letting the event loop run (scans call this once per batch). */
  async function run<T>(doing: string, fn: () => T): Promise<T> {
    await new Promise((r) => setImmediate(r));
    try {
      return fn();
    } catch (e) {
      if (e instanceof StorageUnavailableError) throw e;
      throw sourceUnavailable(spec, doing, e);
    }
  }

  function describeNow(): Map<string, Entry> {
    const d = db();
    // Schema changes make cached statements stale; better-sqlite3 re-prepares, but old plans may name dropped columns.
    statements.clear();
    const rels = d
      .prepare<[], { type: string; name: string }>(`SELECT type, name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`)
      .all();
    const names = rels.map((r) => r.name);
    const out = new Map<string, Entry>();
    for (const t of spec.tables) {
      const hit = matchName(t, names) ?? (/^main\./i.test(t) ? matchName(t.slice(5), names) : undefined);
      const rel = rels.find((r) => r.name === hit);
      if (!rel) {
        out.set(t, failedEntry(t, tableNotFound(spec.name, t, names)));
        continue;
      }
      try {
        out.set(t, describeTable(d, t, rel.name, rel.type === 'view' ? 'view' : 'table'));
      } catch (e) {
        out.set(t, failedEntry(t, `${spec.name}:${t} cannot be read: ${(e as Error).message}`));
      }
    }
    return out;
  }

  function describeTable(d: Database.Database, t: string, name: string, kind: 'table' | 'view'): Entry {
    const relation = quoteIdent(name);
    const cols = d
      .prepare<[string], { name: string; type: string; pk: number; hidden: number }>('SELECT name, type, pk, hidden FROM pragma_table_xinfo(?) ORDER BY cid')
      .all(name)
      .filter((c) => c.hidden !== 1);
    const colNames = cols.map((c) => c.name);
    const textLike = (c: { name: string; type: string }) => {
      const a = affinity(c.type);
      // JSON is NUMERIC affinity to SQLite, but its values are text.
      if (a === 'text' || /JSON/i.test(c.type)) return true;
      if (a !== 'none' || /BLOB/i.test(c.type)) return false;
      const sample = `SELECT 1 FROM (SELECT ${quoteIdent(c.name)} AS v FROM ${relation} LIMIT ${TYPE_SAMPLE_ROWS}) WHERE typeof(v) = 'text' LIMIT 1`;
      return d.prepare(sample).get() !== undefined;
    };
    // A rowid table without a primary key is keyed by rowid, unless a column has taken that name.
    const rowid = kind === 'table' ? ['rowid', '_rowid_', 'oid'].find((r) => !colNames.some((c) => c.toLowerCase() === r)) : undefined;
    const rel: CatalogRelation = {
      kind,
      columns: cols.map((c) => ({ name: c.name, textLike: textLike(c) })),
      primaryKey: cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name),
      uniqueKey: rowid ? [rowid] : undefined,
    };
    const planned = planTable(spec.name, t, rel, spec);
    if ('error' in planned) return failedEntry(t, planned.error);
    const keyUntyped = planned.plan.keyColumns.map((k) => {
      const c = cols.find((x) => x.name === k);
      return c !== undefined && affinity(c.type) === 'none';
    });
    const plan: SqlitePlan = { ...planned.plan, relation, keyUntyped };
    // Compiling the real read catches views over dropped tables.
    d.prepare(keyedSelect(plan, 'WHERE 0', 'LIMIT 0'));
    return readyEntry(plan);
  }

  function dropHandle() {
    statements.clear();
    try {
      handle?.close();
    } catch {
      // Already unusable; nothing to release.
    }
    handle = null;
  }

  return {
    name: spec.name,
    displayUrl: spec.displayUrl,
    describe: plans.describe,

    async fingerprint(table) {
      const plan = await plans.planFor(table);
      // A view may depend on the clock (`date('now')`), not only on the file: re-read by age.
      if (plan.description.kind === 'view') return null;
      try {
        const main = statSync(file, { bigint: true });
        const wal = statSync(`${file}-wal`, { bigint: true, throwIfNoEntry: false });
        // The whole file: any write to any table shows. Coarse, but never misses a change.
        return `${table}:${main.size}:${main.mtimeNs}:${wal ? `${wal.size}:${wal.mtimeNs}` : '-'}`;
      } catch (e) {
        throw sourceUnavailable(spec, `fingerprinting ${table}`, e);
      }
    },

    scan(table, opts) {
      return plans.scan(table, opts, (plan, doing) => {
        const keys = plan.keyColumns.map(srcColumn);
        const many = keys.length > 1;
        const keyExpr = many ? `(${keys.join(', ')})` : (keys[0] as string);
        const params = many ? `(${keys.map(() => '?').join(', ')})` : '?';
        const first = keyedSelect(plan, `WHERE ${keys.map((k) => `${k} IS NOT NULL`).join(' AND ')}`, 'LIMIT ?');
        const after = keyedSelect(plan, `WHERE ${keyExpr} > ${params}`, 'LIMIT ?');
        const equal = keyedSelect(plan, `WHERE ${keys.map((k) => `${k} = ?`).join(' AND ')}`, 'LIMIT ?');
        return {
          after: (cursor, limit) => run(doing, () => (cursor === null ? stmt(first).all(limit) : stmt(after).all(...cursor, limit)).map((r) => rowOf(plan, r))),
          equal: (key, limit) => run(doing, () => stmt(equal).all(...key, limit).map((r) => rowOf(plan, r))),
        };
      });
    },

    getRows(table, keyValues) {
      return plans.getRows(table, keyValues, GET_ROWS_CHUNK, async (plan, chunk, doing) => {
        const [where, values] = keyMatch(plan, chunk);
        const rows = await run(doing, () => db().prepare(keyedSelect(plan, where, 'LIMIT ?')).raw(true).safeIntegers(true).all(...values, spec.maxRowsPerTable) as unknown[][]);
        return rows.map((r) => rowOf(plan, r));
      });
    },

    async close() {
      closed = true;
      dropHandle();
    },
  };
}

/**
 * Keys are cited as text. A typed column converts a bound text value by its affinity
 * (`'42'` matches INTEGER 42), but an untyped one (a view's expression, a column with no
 * declared type) does not, so there a numeric-looking key is bound as a number too.
 */
function keyMatch(plan: SqlitePlan, tuples: string[][]): [string, unknown[]] {
  const values: unknown[] = [];
  const alternatives = (v: string, col: number): string => {
    const alt = plan.keyUntyped[col] ? numberOf(v) : undefined;
    values.push(v);
    if (alt === undefined) return '?';
    values.push(alt);
    return '?, ?';
  };
  const keys = plan.keyColumns.map(srcColumn);
  if (keys.length === 1) return [`WHERE ${keys[0]} IN (${tuples.map((t) => alternatives(t[0] as string, 0)).join(', ')})`, values];
  const ors = tuples.map((t) => `(${keys.map((k, j) => `${k} IN (${alternatives(t[j] as string, j)})`).join(' AND ')})`);
  return [`WHERE ${ors.join(' OR ')}`, values];
}

function numberOf(v: string): bigint | number | undefined {
  if (/^-?\d{1,19}$/.test(v)) return BigInt(v);
  if (/^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(v)) return Number(v);
  return undefined;
}

/** SQLite's column affinity rules, by declared type (https://sqlite.org/datatype3.html §3.1). */
function affinity(declared: string): 'integer' | 'text' | 'none' | 'real' | 'numeric' {
  const t = declared.toUpperCase();
  if (t.includes('INT')) return 'integer';
  if (/CHAR|CLOB|TEXT/.test(t)) return 'text';
  if (t === '' || t.includes('BLOB')) return 'none';
  if (/REAL|FLOA|DOUB/.test(t)) return 'real';
  return 'numeric';
}
