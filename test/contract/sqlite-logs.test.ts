/**
 * What only the SQLite store can show: the change log and the signal limits across
 * connections and processes on one file, the schema migration that counts the signals
 * already stored, and the query plans of the log queries.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { signalBytes } from '../../src/domain/signal-limits.js';
import { openSqliteStore } from '../../src/store/adapters/sqlite/index.js';
import { MIGRATIONS, migrate } from '../../src/store/adapters/sqlite/migrations.js';
import type { StorePort } from '../../src/store/port.js';
import { fixtures, openInvestigation, T0 } from './fixtures.js';

const run = promisify(execFile);
const dirs: string[] = [];
const stores: StorePort[] = [];
const tempDb = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'longhaul-logs-'));
  dirs.push(dir);
  return path.join(dir, 'longhaul.db');
};
const open = (file: string) => {
  const s = openSqliteStore({ path: file });
  stores.push(s);
  return s;
};
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('sqlite change log across connections', () => {
  it('a second connection reads what the first appended, in seq order, and interleaved appends never go backwards', async () => {
    const file = tempDb();
    const a = open(file);
    const b = open(file);
    const start = await b.lastChangeSeq();
    const seqs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const s = i % 2 ? a : b;
      seqs.push(await s.appendChanges([{ origin: i % 2 ? 'a' : 'b', change: { type: 'investigation', tenantId: 'acme', id: `inv_${i}` }, at: T0 + i }]));
    }
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    const read = await b.changesAfter(start, 100);
    expect(read.map((r) => (r.change as { id: string }).id)).toEqual(Array.from({ length: 20 }, (_, i) => `inv_${i}`));
    expect(read.map((r) => r.seq)).toEqual(seqs);
  });

  it('skips a row another version wrote that is not a change this one knows', async () => {
    const file = tempDb();
    const s = open(file);
    await s.appendChanges([{ origin: 'a', change: { type: 'inbox', tenantId: 'acme' }, at: T0 }]);
    const raw = new Database(file);
    raw.prepare('INSERT INTO change_log (tenant_id, origin, change, at) VALUES (?, ?, ?, ?)').run('acme', 'future', '{"type":"hologram","tenantId":"acme"}', T0);
    raw.prepare('INSERT INTO change_log (tenant_id, origin, change, at) VALUES (?, ?, ?, ?)').run('acme', 'broken', 'not json', T0);
    raw.close();
    const last = await s.appendChanges([{ origin: 'a', change: { type: 'inbox', tenantId: 'globex' }, at: T0 }]);
    const rows = await s.changesAfter(0, 10);
    expect(rows.map((r) => r.change)).toEqual([
      { type: 'inbox', tenantId: 'acme' },
      { type: 'inbox', tenantId: 'globex' },
    ]);
    expect(rows.at(-1)!.seq).toBe(last);
  });
});

describe('sqlite signal limits across processes', () => {
  it('four processes racing for 25 slots store exactly 25 signals', async () => {
    const file = tempDb();
    const s = open(file);
    const f = fixtures('acme');
    const { inv } = await openInvestigation(s.tenant('acme'), f);
    const child = fileURLToPath(new URL('./children/deliver-signals.ts', import.meta.url));
    const startAt = Date.now() + 1_500;
    const results = await Promise.all(
      [0, 1, 2, 3].map(async () => {
        const { stdout } = await run(process.execPath, ['--import', 'tsx', child, file, 'acme', inv.id, '10', '25', String(10 * 1024 * 1024), String(startAt)], { timeout: 30_000 });
        return JSON.parse(stdout) as { stored: number; refused: number };
      }),
    );
    expect(results.reduce((n, r) => n + r.stored, 0)).toBe(25);
    expect(results.reduce((n, r) => n + r.refused, 0)).toBe(15);
    expect((await s.tenant('acme').countInvestigation(inv.id)).signals).toBe(25);
    expect(await s.tenant('acme').listSignals(inv.id)).toHaveLength(25);
  }, 30_000);
});

describe('sqlite migration 8 (investigation bounds)', () => {
  it('counts the signals (payload JSON and file bytes) a file already holds', async () => {
    const file = tempDb();
    const raw = new Database(file);
    migrate(raw, T0, MIGRATIONS.filter((m) => m.version < 8));
    const signal = raw.prepare('INSERT INTO signals (tenant_id, id, investigation_id, name, payload, idempotency_key, received_at, actor_id) VALUES (?, ?, ?, ?, ?, NULL, ?, ?)');
    signal.run('acme', 'sig_1', 'inv_1', 'bank_data', JSON.stringify({ amount: 'EUR 1.000,00', note: 'Grüße' }), T0, 'hook');
    signal.run('acme', 'sig_2', 'inv_1', 'bank_data', 'null', T0 + 1, 'hook');
    signal.run('acme', 'sig_3', 'inv_2', 'bank_data', JSON.stringify([1, 2]), T0 + 2, 'hook');
    signal.run('globex', 'sig_4', 'inv_1', 'bank_data', JSON.stringify({ x: 1 }), T0 + 3, 'hook');
    const file_ = raw.prepare('INSERT INTO signal_attachments (tenant_id, signal_id, idx, name, media_type, size, sha256, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    file_.run('acme', 'sig_2', 0, 'a.csv', 'text/csv', 7, 'x', Buffer.from('abc;def'));
    file_.run('acme', 'sig_2', 1, 'b.csv', 'text/csv', 3, 'y', Buffer.from('g;h'));
    file_.run('globex', 'sig_4', 0, 'c.csv', 'text/csv', 100, 'z', Buffer.alloc(100));
    raw.close();
    const s = open(file);
    expect(await s.tenant('acme').countInvestigation('inv_1')).toMatchObject({ signals: 2, signalBytes: signalBytes({ amount: 'EUR 1.000,00', note: 'Grüße' }, [7, 3]) });
    expect(await s.tenant('acme').countInvestigation('inv_2')).toMatchObject({ signals: 1, signalBytes: signalBytes([1, 2], []) });
    expect(await s.tenant('globex').countInvestigation('inv_1')).toMatchObject({ signals: 1, signalBytes: signalBytes({ x: 1 }, [100]) });
  });
});

/** The log queries run on every follower tick and every stream message: they must seek, never scan or sort. */
describe('sqlite query plans for the logs', () => {
  const plans: Array<[string, string, unknown[], RegExp]> = [
    ['changesAfter', 'SELECT seq, origin, change, at FROM change_log WHERE seq > ? ORDER BY seq LIMIT 500', [1], /^SEARCH change_log USING INTEGER PRIMARY KEY \(rowid>\?\)$/],
    ['deleteChangesBefore', 'SELECT seq FROM change_log WHERE at < ? ORDER BY at, seq LIMIT 1000', [1], /^SEARCH change_log USING COVERING INDEX change_log_at \(at<\?\)$/],
    ['stream append', 'SELECT max(pos) AS pos FROM stream_events WHERE stream_id = ?', ['s'], /^SEARCH stream_events USING COVERING INDEX stream_events_stream \(stream_id=\?\)$/],
    ['stream cap', 'DELETE FROM stream_events WHERE stream_id = ? AND pos <= ?', ['s', 1], /^SEARCH stream_events USING (COVERING )?INDEX stream_events_stream \(stream_id=\? AND pos<\?\)$/],
    ['stream replay', 'SELECT seq, message FROM stream_events WHERE stream_id = ? AND pos > ? ORDER BY pos LIMIT 100', ['s', 1], /^SEARCH stream_events USING INDEX stream_events_stream \(stream_id=\? AND pos>\?\)$/],
    ['stream expiry', 'SELECT seq FROM stream_events WHERE expires_at <= ? ORDER BY expires_at, seq LIMIT 1000', [1], /^SEARCH stream_events USING COVERING INDEX stream_events_expiry \(expires_at<\?\)$/],
  ];
  it.each(plans)('%s seeks an index', async (_name, sql, params, expected) => {
    const file = tempDb();
    await openSqliteStore({ path: file }).close();
    const raw = new Database(file);
    try {
      for (const when of ['fresh', 'analyzed']) {
        if (when === 'analyzed') raw.exec('ANALYZE');
        const plan = (raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
        expect(plan, when).toMatch(expected);
      }
    } finally {
      raw.close();
    }
  });

  it('the SQL checked here is the SQL the adapter runs', () => {
    const source = fs.readFileSync(fileURLToPath(new URL('../../src/store/adapters/sqlite/logs.ts', import.meta.url)), 'utf8').replace(/\$\{sqlCount\([^`]*?\)\}/g, 'N');
    for (const [, sql] of plans) {
      const shape = sql.replace(/LIMIT \d+/, 'LIMIT N');
      expect(source.includes(shape) || source.includes(`(${shape})`), shape).toBe(true);
    }
  });
});
