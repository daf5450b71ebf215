/**
 * What only the PostgreSQL store can show, beside the contract (postgres.test.ts):
 * durability across pools, its migrations, the kv table, lease pruning, openStore, and
 * search at scale — ranked through the GIN index, never a scan, ranking like the
 * SQLite store on broad queries.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nullLogger } from '../../src/logger.js';
import { migratePostgres, openPostgresStore } from '../../src/store/adapters/postgres/index.js';
import { PG_MIGRATIONS } from '../../src/store/adapters/postgres/migrations.js';
import { openStore } from '../../src/store/open-store.js';
import type { StorePort, TenantStore } from '../../src/store/port.js';
import { fixtures, openInvestigation, T0 } from './fixtures.js';
import { PG_URL, pgAdmin } from './postgres-helpers.js';

const admin = pgAdmin();
let made = 0;
const stores: StorePort[] = [];
const freshSchema = () => {
  const schema = `lh_pgstore_${process.pid}_${made++}`;
  admin.track(schema);
  return schema;
};
const open = (schema: string) => {
  const s = openPostgresStore({ url: PG_URL, schema, poolMax: 4 });
  stores.push(s);
  return s;
};

beforeAll(async () => {
  await admin.check();
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});
afterAll(async () => {
  for (const s of stores.splice(0)) await s.close();
  await admin.end();
});

describe('postgres store', () => {
  it('keeps every acknowledged write across close and reopen, and applies no migration twice', async () => {
    const schema = freshSchema();
    let store = open(schema);
    const f = fixtures('acme');
    const { inv, session, events } = await openInvestigation(store.tenant('acme'), f, { events: 2 });
    await store.kv.set('t:acme:k', { v: 1 });
    await store.close();
    store = open(schema);
    const t = store.tenant('acme');
    expect(await t.getInvestigation(inv.id)).toEqual(inv);
    expect((await t.listEvents({ sessionId: session.id, limit: 10 })).items).toEqual(events);
    expect(await store.kv.get('t:acme:k')).toEqual({ v: 1 });
    const [next] = await t.appendEvents([f.event({ sessionId: session.id })]);
    expect(next!.seq).toBeGreaterThan(events[1]!.seq);
    const rows = await admin.pool.query(`SELECT version, name FROM ${schema}.schema_migrations ORDER BY version`);
    expect(rows.rows).toEqual(PG_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    expect(await migratePostgres(PG_URL, schema)).toEqual([]);
  });

  it('puts every table in its schema, and two schemas of one database know nothing of each other', async () => {
    const [one, two] = [freshSchema(), freshSchema()];
    const a = open(one);
    const b = open(two);
    const f = fixtures('acme');
    const { inv } = await openInvestigation(a.tenant('acme'), f);
    await a.appendChanges([{ origin: 'p', change: { type: 'inbox', tenantId: 'acme' }, at: T0 }]);
    expect(await b.tenant('acme').getInvestigation(inv.id)).toBeNull();
    expect(await b.lastChangeSeq()).toBe(0);
    const tables = await admin.pool.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`, [one]);
    expect(tables.rows.map((r: { table_name: string }) => r.table_name)).toContain('investigations');
    expect(tables.rows).toHaveLength(21);
  });

  it('keeps kv entries in the kv table of its schema, with their expiry', async () => {
    const schema = freshSchema();
    const store = open(schema);
    await store.kv.set('t:acme:idem:x', 'yes', 60_000);
    const row = (await admin.pool.query(`SELECT key, value, expires FROM ${schema}.kv WHERE key LIKE '%t:acme:idem:x'`)).rows[0] as { key: string; value: string; expires: string };
    expect(JSON.parse(row.value)).toMatchObject({ value: 'yes' });
    expect(Number(row.expires)).toBeGreaterThan(0);
  });

  it('prunes long-expired scheduler leases as new ones are taken', async () => {
    const schema = freshSchema();
    const store = open(schema);
    for (let i = 0; i < 150; i++) expect(await store.acquireLease(`cron:lifecycle:slot-${i}`, 'a', 1_000, T0)).toBe(true);
    expect(await store.acquireLease('cron:lifecycle:now', 'a', 1_000, T0 + 120_000)).toBe(true);
    expect(Number((await admin.pool.query(`SELECT count(*) AS n FROM ${schema}.leases`)).rows[0].n)).toBe(51);
    expect(await store.acquireLease('cron:lifecycle:now', 'b', 1_000, T0 + 120_500)).toBe(false);
  });

  it('is what openStore opens for a postgres spec, with the URL (no password) as its location', async () => {
    const schema = freshSchema();
    const url = new URL(PG_URL);
    url.password = 'not-needed';
    const s = openStore({ kind: 'postgres', url: url.toString(), schema }, nullLogger);
    stores.push(s);
    expect(s.kind).toBe('postgres');
    expect(s.location).not.toContain('not-needed');
    expect(await s.lastChangeSeq()).toBe(0);
  });
});

describe('postgres search at scale', () => {
  let store: StorePort;
  let t: TenantStore;
  let schema: string;
  beforeAll(async () => {
    schema = freshSchema();
    store = openPostgresStore({ url: PG_URL, schema, poolMax: 4 });
    const f = fixtures('acme');
    t = store.tenant('acme');
    const s = f.session();
    await t.createSession(s);
    const words = ['bank', 'transfer', 'offshore', 'invoice', 'audit', 'revenue', 'filing', 'subsidiary', 'director', 'payment', 'loan', 'account'];
    // 20k records over 50 investigations, plus 4000 sharing "ledger" (the 5 oldest also say "zeppelin").
    const writes = [
      ...Array.from({ length: 20_000 }, (_, i) => ({
        op: 'create' as const,
        record: f.record(`investigations/inv_${i % 50}/facts`, `record ${i} ${words[i % words.length]} ${words[(i * 7) % words.length]} ${words[(i * 11) % words.length]} note`, { createdAt: T0 + i }),
      })),
      ...Array.from({ length: 4000 }, (_, i) => ({
        op: 'create' as const,
        record: f.record(i >= 3700 ? 'investigations/inv_B/facts' : 'investigations/inv_A/facts', i < 5 ? `ledger entry ${i} mentions the zeppelin` : `ledger entry ${i} is routine`, { createdAt: T0 + i }),
      })),
    ];
    await t.commitExtraction({ sessionId: s.id, expectedThroughSeq: 0, throughSeq: 1, now: T0, dueAt: null, writes });
    // Another tenant with the same words: its postings must not be read.
    const g = fixtures('globex');
    const gs = g.session();
    await store.tenant('globex').createSession(gs);
    await store
      .tenant('globex')
      .commitExtraction({ sessionId: gs.id, expectedThroughSeq: 0, throughSeq: 1, now: T0, dueAt: null, writes: Array.from({ length: 2000 }, (_, i) => ({ op: 'create' as const, record: g.record('investigations/inv_7/facts', `transfer invoice ledger ${i}`) })) });
    await admin.pool.query(`ANALYZE ${schema}.records`);
  }, 120_000);
  afterAll(async () => {
    await store.close();
  });

  it('searches 20k records within a namespace prefix and returns topK, within the tenant', async () => {
    const res = await t.searchRecords({ query: 'transfer invoice', namespacePrefix: 'investigations/inv_7', topK: 10 });
    expect(res).toHaveLength(10);
    expect(res.every((r) => r.record.namespace === 'investigations/inv_7/facts' && r.record.tenantId === 'acme')).toBe(true);
    expect(res.every((r) => /transfer|invoice/.test(r.record.text))).toBe(true);
    for (let i = 1; i < res.length; i++) expect(res[i - 1]!.score).toBeGreaterThanOrEqual(res[i]!.score);
    expect(await t.searchRecords({ query: 'offshore bank', namespacePrefix: 'investigations/inv_7x', topK: 10 })).toEqual([]);
    expect(await store.tenant('initech').searchRecords({ query: 'offshore bank', topK: 10 })).toEqual([]);
  });

  it('ranks the records with the selective word first, however old, then fills from the common word', async () => {
    const top = await t.searchRecords({ query: 'ledger zeppelin', topK: 3 });
    expect(top.every((r) => r.record.text.includes('zeppelin'))).toBe(true);
    const res = await t.searchRecords({ query: 'ledger zeppelin', topK: 10 });
    expect(res.slice(0, 5).every((r) => r.record.text.includes('zeppelin'))).toBe(true);
    expect(res.slice(5).every((r) => !r.record.text.includes('zeppelin') && r.record.text.includes('ledger'))).toBe(true);
    expect(res.every((r) => r.score > 0)).toBe(true);
    const inB = await t.searchRecords({ query: 'ledger entry', namespacePrefix: 'investigations/inv_B', topK: 10 });
    expect(inB).toHaveLength(10);
    expect(inB.every((r) => r.record.namespace === 'investigations/inv_B/facts')).toBe(true);
    expect(await t.searchRecords({ query: 'zeppelin', namespacePrefix: 'investigations/inv_B', topK: 10 })).toEqual([]);
  });

  it('reads matches through the GIN index of the tenant’s keyed lexemes, never a scan of records', async () => {
    const client = await admin.pool.connect();
    try {
      await client.query(`SET search_path TO ${schema}`);
      // The statements searchRecords runs, in a transaction with the settings it sends with its BEGIN.
      const { INDEX_ONLY, countEachSql, rankSql, rankWithinBudgetSql, searchQuery } = await import('../../src/store/adapters/postgres/search.js');
      await client.query(`BEGIN; ${INDEX_ONLY}`);
      const cols = 'rec.id, rec.text';
      for (const [prefix, words] of [
        ['investigations/inv_7', ['transfer', 'invoice']],
        ['', ['ledger', 'entry']],
      ] as const) {
        const q = searchQuery({ tenantId: 'acme', namespacePrefix: prefix, includeSuperseded: false, words });
        for (const [sql, params] of [
          [rankWithinBudgetSql(cols), [q.ranked, q.match, 'acme', 10]],
          [rankSql(cols), [q.ranked, q.match, 'acme', 10]],
          [rankSql(cols, 3000), [q.ranked, q.match, 'acme', 10]],
          [countEachSql, [[q.match], 'acme']],
        ] as const) {
          const plan = (await client.query(`EXPLAIN ${sql}`, [...params])).rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n');
          expect(plan).toMatch(/Bitmap Index Scan on records_tsv/);
          expect(plan).not.toMatch(/Seq Scan/);
          // Not the whole tenant through a btree either (records_id, records_newest, …).
          expect(plan).not.toMatch(/Index Cond: \(tenant_id =/);
        }
      }
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});
