import { createHash } from 'node:crypto';
import type { Clock } from '../../domain/clock.js';
import type { Logger } from '../../logger.js';
import type { SourceDatabase } from '../../store/source-database.js';
import type { IndexedRow, SourceIndex, SourceStatus } from '../../store/source-index.js';
import { rowText } from './citation.js';
import type { DbSourceSpec } from './config.js';

export const DEFAULT_MAX_ROWS = 2_000_000;
const BATCH = 5_000;

export interface DatabaseRefresh {
  tables: number;
  read: number;
  unchanged: number;
  failed: number;
  rows: number;
  changedRows: number;
}

/** The index key of an allow-listed table. */
const tableKey = (source: string, table: string) => `table:${source}:${table}`;

/**
 * Brings one database source's tables up to date. A table whose fingerprint has not
 * moved is not read again; a table without one (a view) is re-read once it is older
 * than the source's `maxAge`. Reading a table streams its rows in key order in batches
 * and re-indexes only the rows whose fields changed. A table that fails (not found, a
 * timeout, the database down) is reported in the source's status and keeps its last
 * indexed rows: an outage never empties the index.
 */
export async function refreshDatabase(
  index: SourceIndex,
  db: SourceDatabase,
  spec: DbSourceSpec,
  d: { clock: Clock; logger: Logger; signal?: AbortSignal; heartbeat?: () => Promise<void> },
): Promise<{ stats: DatabaseRefresh; status: SourceStatus }> {
  const started = d.clock.now();
  const stats: DatabaseRefresh = { tables: spec.tables.length, read: 0, unchanged: 0, failed: 0, rows: 0, changedRows: 0 };
  const errors: string[] = [];
  const known = new Map((await index.listDocuments(spec.name)).map((x) => [x.key, x]));
  let checks: Awaited<ReturnType<SourceDatabase['describe']>>;
  try {
    checks = await db.describe();
  } catch (e) {
    checks = spec.tables.map((table) => ({ table, ok: false as const, error: (e as Error).message }));
  }
  for (const check of checks) {
    if (d.signal?.aborted) break;
    const key = tableKey(spec.name, check.table);
    if (!check.ok) {
      stats.failed++;
      errors.push(`${check.table}: ${check.error}`);
      continue;
    }
    const t = check.description;
    try {
      const fp = await db.fingerprint(check.table);
      const signature = fp === null ? '' : `${t.keyColumn}|${t.columns.join(',')}|${fp}`;
      const prev = known.get(key);
      const fresh = prev && (fp === null ? d.clock.now() - prev.indexedAt < spec.maxAgeMs && prev.signature === '' : prev.signature === signature);
      if (fresh) {
        stats.unchanged++;
        stats.rows += prev.chunks;
        continue;
      }
      const writer = index.beginTable({ key, source: spec.name, kind: 'table', display: `${spec.name}:${check.table}`, signature, indexedAt: d.clock.now() }, t.keyColumn);
      const maxRows = spec.maxRowsPerTable ?? DEFAULT_MAX_ROWS;
      let read = 0;
      for await (const batch of db.scan(check.table, { batchSize: BATCH, maxRows, signal: d.signal })) {
        const rows: IndexedRow[] = batch.map((r) => {
          const text = rowText(r.fields);
          return { key: r.key.value, hash: createHash('sha1').update(text).digest('base64'), text };
        });
        stats.changedRows += await writer.write(rows);
        read += batch.length;
        await d.heartbeat?.();
      }
      if (d.signal?.aborted) break;
      const done = await writer.finish();
      stats.read++;
      stats.rows += done.rows;
      if (done.duplicates) errors.push(`${check.table}: ${done.duplicates.toLocaleString('en-US')} row(s) share their "${t.keyColumn}" with an earlier row and are not indexed; name a unique column in "keys".`);
      if (read >= maxRows) errors.push(`${check.table}: only the first ${maxRows.toLocaleString('en-US')} rows (in key order) are indexed; raise "maxRows" to read more.`);
    } catch (e) {
      stats.failed++;
      errors.push(`${check.table}: ${(e as Error).message}`);
    }
  }
  // Tables no longer in the allow-list are dropped from the index.
  const listed = new Set(spec.tables.map((t) => tableKey(spec.name, t)));
  for (const k of known.keys()) if (!listed.has(k)) await index.removeDocument(k);
  const docs = await index.listDocuments(spec.name);
  const status: SourceStatus = {
    name: spec.name,
    kind: 'database',
    location: db.displayUrl,
    refreshedAt: d.clock.now(),
    documents: docs.length,
    chunks: docs.reduce((n, x) => n + x.chunks, 0),
    skipped: stats.failed,
    errors,
    durationMs: d.clock.now() - started,
  };
  await index.putStatus(status);
  if (stats.read || stats.failed) d.logger.info('database source indexed', { source: spec.name, ...stats });
  return { stats, status };
}
