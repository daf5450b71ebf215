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
