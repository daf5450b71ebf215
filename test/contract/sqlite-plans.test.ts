import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { nullLogger } from '../../src/logger.js';
import { openSqliteStore } from '../../src/store/adapters/sqlite/index.js';

/**
 * Query plans of the lookups extraction makes once per candidate record. They must
 * seek an index on their key, never walk a namespace or the tenant: a walk makes
 * extraction O(records) per finding. The SQL is read from the adapter's source, so
 * the test follows the queries the adapter really prepares.
 */
const source = fs.readFileSync(fileURLToPath(new URL('../../src/store/adapters/sqlite/index.ts', import.meta.url)), 'utf8');
const sqlWith = (needle: string) => {
  const m = [...source.matchAll(/`(SELECT[^`]*)`/g)].map((x) => x[1]!).find((sql) => sql.includes(needle));
  if (!m) throw new Error(`no SELECT with "${needle}" in the sqlite adapter`);
  return m;
};

describe('sqlite query plans for consolidation lookups', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'longhaul-plans-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['findRecordByTextKey', 'text_key = ?', 'records_text_key'],
    ['findRecordByTopicKey', 'topic_key = ?', 'records_topic_key'],
  ])('%s seeks %s through %s, with no sort', async (_name, needle, index) => {
    const file = path.join(dir, `${index}.db`);
    await openSqliteStore({ path: file, logger: nullLogger }).close(); // migrated schema
    const raw = new Database(file, { readonly: true });
    try {
      const plan = (raw.prepare(`EXPLAIN QUERY PLAN ${sqlWith(needle)}`).all('acme', 'investigations/inv_1/facts', 'k') as Array<{ detail: string }>).map((r) => r.detail);
      expect(plan.join(' | ')).toMatch(new RegExp(`^SEARCH records USING INDEX ${index} \\(tenant_id=\\? AND namespace=\\? AND ${needle.split(' ')[0]}=\\?\\)$`));
    } finally {
      raw.close();
    }
  });
});

/**
 * The due-work claims with a tenant allow-list (a process claims only the tenants it
 * serves) must still walk their due-time index in order, never a tenant's every task
 * or checkpoint through the primary key followed by a sort — with or without ANALYZE
 * statistics.
 */
describe('sqlite query plans for tenant-filtered due work', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'longhaul-plans-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const tenantIn = /const TENANT_IN = `([^`]*)`/.exec(source)?.[1];
  // Row counts are written into the SQL (see sqlCount); any count gives the same plan.
  const filtered = (needle: string) =>
    sqlWith(needle)
      .replace(/\$\{tenantFilter\(tenants\)\}/, tenantIn!)
      .replace(/\$\{sqlCount\([^`]*?\)\}/g, '10');

  it.each([
    ["tasks WHERE status = 'pending'", [1, '["retrieval"]', '["acme"]'], /^SEARCH tasks USING INDEX tasks_runnable \(run_at<\?\)/],
    ["tasks WHERE status = 'running'", [1, '["retrieval"]', '["acme"]'], /^SEARCH tasks USING INDEX tasks_lease \(lease_until<\?\)/],
    ['FROM checkpoints WHERE due_at IS NOT NULL', [1, '["acme"]'], /^SEARCH checkpoints USING INDEX checkpoints_due \(due_at>\? AND due_at<\?\)/],
  ] as const)('%s … tenant_id IN (allow-list) seeks the due-time index, with no sort', async (needle, params, expected) => {
    expect(tenantIn).toContain('tenant_id IN');
    const file = path.join(dir, `${needle.replace(/\W+/g, '_')}.db`);
    await openSqliteStore({ path: file, logger: nullLogger }).close();
    const raw = new Database(file);
    try {
      const sql = filtered(needle);
      expect(sql).toContain('tenant_id IN (SELECT value FROM json_each(?))');
      const plan = () => (raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
      for (const when of ['fresh', 'analyzed']) {
        if (when === 'analyzed') raw.exec('ANALYZE');
        expect(plan(), when).toMatch(expected);
        expect(plan(), when).not.toMatch(/TEMP B-TREE|PRIMARY KEY/);
      }
    } finally {
      raw.close();
    }
  });
});

/**
 * A signal listing reads its files' metadata in one more query, whatever the number of
 * signals: it must seek the attachments' key for the signals listed, never walk the
 * table, and never sort.
 */
describe('sqlite query plans for signal attachments', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'longhaul-plans-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const meta = /const ATTACHMENT_META = '([^']*)'/.exec(source)?.[1];
  const listing = (needle: string) => {
    const m = [...source.matchAll(/`\$\{ATTACHMENT_META\}([^`]*)`/g)].map((x) => `${meta}${x[1]}`).find((sql) => sql.includes(needle));
    if (!m) throw new Error(`no attachment query with "${needle}" in the sqlite adapter`);
    return m;
  };

  it.each([
    // A listing's signals (at most its limit), by id.
    ['json_each(?)) ORDER', ['acme', '["sig_1","sig_2"]']],
    ['signal_id = ? ORDER', ['acme', 'sig_1']],
  ] as const)('the metadata query with %s seeks indexes, with no scan and no sort', async (needle, params) => {
    expect(meta).toMatch(/^SELECT .* FROM signal_attachments$/);
    expect(meta).not.toContain('content');
    const file = path.join(dir, `${needle.replace(/\W+/g, '_')}.db`);
    await openSqliteStore({ path: file, logger: nullLogger }).close();
    const raw = new Database(file);
    try {
      const plan = () => (raw.prepare(`EXPLAIN QUERY PLAN ${listing(needle)}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
      for (const when of ['fresh', 'analyzed']) {
        if (when === 'analyzed') raw.exec('ANALYZE');
        expect(plan(), when).toMatch(/SEARCH signal_attachments USING INDEX sqlite_autoindex_signal_attachments_1 \(tenant_id=\? AND signal_id=\?\)/);
        expect(plan(), when).not.toMatch(/TEMP B-TREE|SCAN signal_attachments/);
      }
    } finally {
      raw.close();
    }
  });
});
