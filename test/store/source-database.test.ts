/**
 * The database-source port, as a contract both adapters run with the same expectations
 * (`runSourceDatabaseContract`), against a real PostgreSQL database and a real SQLite
 * file; then what only one backend has (connection failures, statement timeouts,
 * PostgreSQL types, SQLite's rowid and missing files).
 */
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, StorageUnavailableError } from '../../src/domain/errors.js';
import { decodeKey, encodeKey, openSourceDatabase, redactUrl } from '../../src/store/adapters/source-db.js';
import type { DatabaseSourceSpec, SourceDatabase, SourceRow, TableCheck, TableDescription } from '../../src/store/source-database.js';
import { EVENT_ROWS, postgresFixture, sqliteFixture, TAG_ROWS, type SourceFixture } from './source-database.fixtures.js';

type Spec = Omit<DatabaseSourceSpec, 'name' | 'url'>;

/** Opens sources on a fixture and closes them after each test. */
function sources(fx: () => SourceFixture) {
  const open: SourceDatabase[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  return (spec: Spec, url = fx().url): SourceDatabase => {
    const s = openSourceDatabase({ name: 'erp', url, ...spec });
    open.push(s);
    return s;
  };
}

async function collect(it: AsyncIterable<SourceRow[]>): Promise<SourceRow[][]> {
  const out: SourceRow[][] = [];
  for await (const batch of it) out.push(batch);
  return out;
}

const described = (check: TableCheck | undefined): TableDescription => {
  if (!check?.ok) throw new Error(`expected an ok check, got ${JSON.stringify(check)}`);
  return check.description;
};
const errorOf = (check: TableCheck | undefined): string => {
  if (!check || check.ok) throw new Error(`expected a failed check, got ${JSON.stringify(check)}`);
  return check.error;
};

export function runSourceDatabaseContract(name: string, makeFixture: () => Promise<SourceFixture>): void {
  describe(`${name} database source`, () => {
    let fx: SourceFixture;
    beforeAll(async () => {
      fx = await makeFixture();
    });
    afterAll(async () => {
      await fx?.dispose();
    });
    const open = sources(() => fx);

    describe('describe()', () => {
      it('describes a table by its primary key and its text columns', async () => {
        const [vendors] = await open({ tables: ['vendors'] }).describe();
        expect(described(vendors)).toEqual({ table: 'vendors', kind: 'table', keyColumn: 'id', columns: ['name', 'notes', 'city'] });
      });

      it('describes a view, keyed by its first column', async () => {
        const [view] = await open({ tables: ['v_vendor_names'] }).describe();
        expect(described(view)).toEqual({ table: 'v_vendor_names', kind: 'view', keyColumn: 'name', columns: ['name', 'city'] });
      });

      it('resolves a schema-qualified name, keeping it as written', async () => {
        const [accounts] = await open({ tables: [fx.qualifiedAccounts] }).describe();
        expect(described(accounts)).toEqual({ table: fx.qualifiedAccounts, kind: 'table', keyColumn: 'id', columns: ['owner'] });
      });

      it('matches a name written in another case', async () => {
        const [check] = await open({ tables: ['Vendors'] }).describe();
        expect(described(check).keyColumn).toBe('id');
      });

      it('reports a missing table with the names the database has, without hiding the others', async () => {
        const checks = await open({ tables: ['vendors', 'vendorz'] }).describe();
        expect(checks[0]?.ok).toBe(true);
        const error = errorOf(checks[1]);
        expect(error).toMatch(/^table "vendorz" not found in erp \(tables and views: /);
        expect(error).toMatch(/\bvendors\b/);
        expect(error).toMatch(/\bv_vendor_names\b/);
      });

      it('reports a listed column that does not exist, naming the columns the table has', async () => {
        const [check] = await open({ tables: ['vendors'], columns: { vendors: ['name', 'nme'] } }).describe();
        expect(errorOf(check)).toBe('column "nme" not found in erp:vendors (columns: id, name, notes, city, rating, since)');
      });

      it('reports a key column that does not exist', async () => {
        const [check] = await open({ tables: ['vendors'], keys: { vendors: 'code' } }).describe();
        expect(errorOf(check)).toMatch(/^key column "code" not found in erp:vendors \(columns: id, name/);
      });

      it('reports a table with no text columns and says how to name some', async () => {
        const [check] = await open({ tables: ['numbers'] }).describe();
        expect(errorOf(check)).toMatch(/erp:numbers has no text columns.*"columns"/);
      });
    });

    describe('columns and keys', () => {
      it('reads only the columns the spec lists, non-text ones as text', async () => {
        const db = open({ tables: ['vendors'], columns: { vendors: ['name', 'rating', 'since'] } });
        expect(described((await db.describe())[0]).columns).toEqual(['name', 'rating', 'since']);
        const [first] = await db.getRows('vendors', ['1']);
        expect(first?.fields).toEqual({ name: 'Acme "Anvils" Ltd', rating: '4', since: '2024-05-01' });
      });

      it('keys rows by the column `keys` names instead of the primary key', async () => {
        const db = open({ tables: ['vendors'], keys: { vendors: 'city' } });
        expect(described((await db.describe())[0]).keyColumn).toBe('city');
        const rows = (await collect(db.scan('vendors', { batchSize: 10, maxRows: 10 }))).flat();
        // Rows with a NULL key cannot be cited, so they are not read.
        expect(rows.map((r) => r.key)).toEqual([
          { column: 'city', value: 'Cork' },
          { column: 'city', value: 'Zürich' },
        ]);
      });

      it('keys a view by the column `keys` names', async () => {
        const db = open({ tables: ['v_vendor_names'], keys: { v_vendor_names: 'id' } });
        expect(described((await db.describe())[0]).keyColumn).toBe('id');
        const rows = (await collect(db.scan('v_vendor_names', { batchSize: 2, maxRows: 10 }))).flat();
        expect(rows.map((r) => r.key.value)).toEqual(['1', '2', '3']);
      });

      it('cites a composite primary key as its values joined by commas, commas inside escaped', async () => {
        const db = open({ tables: ['order_lines'] });
        expect(described((await db.describe())[0]).keyColumn).toBe('order_id,line_no');
        const rows = (await collect(db.scan('order_lines', { batchSize: 2, maxRows: 10 }))).flat();
        expect(rows.map((r) => [r.key.value, r.fields.item])).toEqual([
          ['1,1', 'hammer'],
          ['1,2', 'nuts, washers'],
          ['2,1', 'bolts'],
        ]);
        expect((await db.getRows('order_lines', ['1,2', '9,9', 'not-a-key'])).map((r) => r.fields.item)).toEqual(['nuts, washers']);
      });
    });

    describe('scan', () => {
      it('reads every row in key order, in batches of batchSize', async () => {
        const batches = await collect(open({ tables: ['events'] }).scan('events', { batchSize: 1000, maxRows: 1_000_000 }));
        expect(batches.map((b) => b.length)).toEqual([1000, 1000, 500]);
        const keys = batches.flat().map((r) => Number(r.key.value));
        expect(keys).toEqual(Array.from({ length: EVENT_ROWS }, (_, i) => i + 1));
        expect(batches[2]?.at(-1)).toEqual({ table: 'events', key: { column: 'id', value: '2500' }, fields: { body: 'event 2500' } });
      });

      it('stops at maxRows', async () => {
        const batches = await collect(open({ tables: ['events'] }).scan('events', { batchSize: 500, maxRows: 1234 }));
        expect(batches.map((b) => b.length)).toEqual([500, 500, 234]);
        expect(batches.flat().at(-1)?.key.value).toBe('1234');
      });

      it("keeps to the spec's maxRowsPerTable when the caller asks for more", async () => {
        const batches = await collect(open({ tables: ['events'], maxRowsPerTable: 300 }).scan('events', { batchSize: 200, maxRows: 10_000 }));
        expect(batches.flat()).toHaveLength(300);
      });

      it('omits NULLs and keeps quotes, unicode, tabs and newlines as stored', async () => {
        const rows = (await collect(open({ tables: ['vendors'] }).scan('vendors', { batchSize: 10, maxRows: 10 }))).flat();
        expect(rows).toEqual([
          { table: 'vendors', key: { column: 'id', value: '1' }, fields: { name: 'Acme "Anvils" Ltd', notes: 'pays late; DROP TABLE vendors; --', city: 'Zürich' } },
          { table: 'vendors', key: { column: 'id', value: '2' }, fields: { name: "O'Brien & Sons", city: 'Cork' } },
          { table: 'vendors', key: { column: 'id', value: '3' }, fields: { name: 'Ünïcödé 株式会社 🚚', notes: 'line one\nline two\ttabbed' } },
        ]);
      });

      it('neither skips nor repeats rows whose key repeats across batch edges', async () => {
        const db = open({ tables: ['v_tags'], columns: { v_tags: ['label', 'vendor_id'] } });
        for (const batchSize of [1, 3, 4, 7, 100]) {
          const batches = await collect(db.scan('v_tags', { batchSize, maxRows: 1000 }));
          const ids = batches.flat().map((r) => Number(r.fields.vendor_id));
          expect(batches.every((b) => b.length <= batchSize)).toBe(true);
          expect(ids.length, `batchSize ${batchSize}`).toBe(TAG_ROWS);
          expect(new Set(ids).size).toBe(TAG_ROWS);
          expect(batches.flat().filter((r) => r.key.value === 'common')).toHaveLength(10);
        }
      });

      it('stops before the next batch once the signal aborts', async () => {
        const ac = new AbortController();
        const seen: number[] = [];
        const run = async () => {
          for await (const batch of open({ tables: ['events'] }).scan('events', { batchSize: 100, maxRows: 10_000, signal: ac.signal })) {
            seen.push(batch.length);
            ac.abort();
          }
        };
        await expect(run()).rejects.toMatchObject({ name: 'AbortError' });
        expect(seen).toEqual([100]);
      });

      it('refuses a table that is not allow-listed, and one whose check failed', async () => {
        const db = open({ tables: ['vendors', 'vendorz'] });
        await expect(collect(db.scan('payments', { batchSize: 10, maxRows: 10 }))).rejects.toBeInstanceOf(InvalidInputError);
        await expect(collect(db.scan('vendorz', { batchSize: 10, maxRows: 10 }))).rejects.toThrow(/table "vendorz" not found/);
      });
    });

    describe('getRows', () => {
      it('returns the rows with these keys in key order, and nothing for unknown or malformed keys', async () => {
        const rows = await open({ tables: ['vendors'] }).getRows('vendors', ['3', '1', '99', 'abc', '1']);
        expect(rows.map((r) => [r.key.value, r.fields.name])).toEqual([
          ['1', 'Acme "Anvils" Ltd'],
          ['3', 'Ünïcödé 株式会社 🚚'],
        ]);
      });

      it('finds rows of a view by its key', async () => {
        const rows = await open({ tables: ['v_vendor_names'], keys: { v_vendor_names: 'id' } }).getRows('v_vendor_names', ['2']);
        expect(rows).toEqual([{ table: 'v_vendor_names', key: { column: 'id', value: '2' }, fields: { name: "O'Brien & Sons", city: 'Cork' } }]);
      });

      it('treats a key value as a value, never as SQL', async () => {
        const db = open({ tables: ['vendors'], keys: { vendors: 'name' } });
        expect(await db.getRows('vendors', ["x' OR '1'='1", "O'Brien & Sons"])).toHaveLength(1);
      });

      it('takes at most 1,000 keys', async () => {
        const keys = Array.from({ length: 1001 }, (_, i) => String(i));
        await expect(open({ tables: ['events'] }).getRows('events', keys)).rejects.toBeInstanceOf(InvalidInputError);
        expect(await open({ tables: ['events'] }).getRows('events', keys.slice(1))).toHaveLength(1000);
      });
    });

    describe('fingerprint', () => {
      it('stays the same while nothing changes, and changes after a row is inserted', async () => {
        const db = open({ tables: ['fp_probe'] });
        const before = await db.fingerprint('fp_probe');
        expect(before).toEqual(expect.any(String));
        expect(await db.fingerprint('fp_probe')).toBe(before);
        await fx.exec(`INSERT INTO fp_probe VALUES (2, 'second')`);
        await expect.poll(() => db.fingerprint('fp_probe'), { timeout: 3_000, interval: 100 }).not.toBe(before);
      });

      it('is null for a view, whose rows may change without any write', async () => {
        expect(await open({ tables: ['v_vendor_names'] }).fingerprint('v_vendor_names')).toBeNull();
      });
    });

    describe('safety', () => {
      it('refuses crafted table and column names as not found, and the table survives', async () => {
        const crafted = ['vendors; DROP TABLE vendors', '"vendors"', 'vendors --', 'vendors"; DROP TABLE vendors; --'];
        const checks = await open({ tables: crafted }).describe();
        checks.forEach((c, i) => expect(errorOf(c)).toContain(`table "${crafted[i]}" not found in erp`));
        const [col] = await open({ tables: ['vendors'], columns: { vendors: ['name" FROM vendors; DROP TABLE vendors; --'] } }).describe();
        expect(errorOf(col)).toMatch(/^column "name" FROM vendors; DROP TABLE vendors; --" not found/);
        expect((await collect(open({ tables: ['vendors'] }).scan('vendors', { batchSize: 10, maxRows: 10 }))).flat()).toHaveLength(3);
      });

      it('closes idempotently, and a closed source reads nothing', async () => {
        const db = open({ tables: ['vendors'] });
        expect((await db.describe())[0]?.ok).toBe(true);
        await db.close();
        await db.close();
        expect(errorOf((await db.describe())[0])).toMatch(/closed/);
        await expect(db.getRows('vendors', ['1'])).rejects.toBeInstanceOf(StorageUnavailableError);
      });
    });
  });
}

runSourceDatabaseContract('postgres', postgresFixture);
runSourceDatabaseContract('sqlite', sqliteFixture);

describe('database source URLs and keys', () => {
  it('shows a URL without its password', () => {
    expect(redactUrl('postgres://ro:s3cr%40t@db:5432/erp?sslmode=require&password=other')).toBe('postgres://ro@db:5432/erp?sslmode=require');
    expect(redactUrl('postgresql://ro@db/erp')).toBe('postgresql://ro@db/erp');
    expect(redactUrl('sqlite:/srv/acme/crm.db')).toBe('sqlite:/srv/acme/crm.db');
    expect(redactUrl('postgres://ro:pw@[bad')).toBe('postgres://ro@[bad');
  });

  it('round-trips composite key values, commas and percent signs included', () => {
    for (const values of [['42'], ['1', '2'], ['a,b', '50%', '%2C']]) {
      expect(decodeKey(encodeKey(values), values.length)).toEqual(values);
    }
    expect(encodeKey(['a,b'])).toBe('a,b');
    expect(decodeKey('1,2,3', 2)).toBeNull();
  });

  it('refuses a URL scheme it cannot read, without showing the password', () => {
    expect(() => openSourceDatabase({ name: 'erp', url: 'mysql://ro:hunter22@db/erp', tables: ['t'] })).toThrow(InvalidInputError);
    expect(() => openSourceDatabase({ name: 'erp', url: 'mysql://ro:hunter22@db/erp', tables: ['t'] })).toThrow(/^(?!.*hunter22).*mysql:\/\/ro@db\/erp/);
  });
});

describe('postgres database source, beyond the contract', () => {
  let fx: SourceFixture;
  beforeAll(async () => {
    fx = await postgresFixture();
    await fx.exec(`
      CREATE EXTENSION IF NOT EXISTS citext;
      CREATE TABLE docs (id uuid PRIMARY KEY, title citext, body jsonb, meta json, code char(3), label varchar(10),
                         amount numeric(12, 2), big bigint, at timestamptz, day date, flag boolean);
      INSERT INTO docs VALUES ('6f1d2c1e-0000-4000-8000-000000000001', 'Hello', '{"a": [1, "two"]}', '{"b":1}', 'AB', 'x',
                               1234567890.10, 9007199254740993, '2024-05-01 12:34:56.789012+02', '2024-02-29', true);
      CREATE TABLE codes (code text NOT NULL UNIQUE, note text);
      INSERT INTO codes VALUES ('b', 'second'), ('a', 'first');
      CREATE TABLE audit (n integer);
      CREATE FUNCTION bump() RETURNS integer LANGUAGE sql VOLATILE AS $$ INSERT INTO audit VALUES (1) RETURNING n $$;
      CREATE VIEW v_writes AS SELECT id, name, bump() AS n FROM vendors;
      CREATE VIEW v_slow AS SELECT id, name, (SELECT 'z' FROM pg_sleep(2)) AS z FROM vendors;
      CREATE TABLE parts (id integer PRIMARY KEY, body text) PARTITION BY RANGE (id);
      CREATE TABLE parts_a PARTITION OF parts FOR VALUES FROM (0) TO (100);
      CREATE TABLE parts_b PARTITION OF parts FOR VALUES FROM (100) TO (200);
      INSERT INTO parts VALUES (1, 'one'), (150, 'one fifty');`);
  });
  afterAll(async () => {
    await fx?.dispose();
  });
  const open = sources(() => fx);

  it('reads text, varchar, char, citext, json and jsonb by default, not uuid, numbers or dates', async () => {
    const [docs] = await open({ tables: ['docs'] }).describe();
    expect(described(docs)).toEqual({ table: 'docs', kind: 'table', keyColumn: 'id', columns: ['title', 'body', 'meta', 'code', 'label'] });
  });

  it('renders every type as the server writes it, in UTC and ISO dates, digits intact', async () => {
    const db = open({ tables: ['docs'], columns: { docs: ['body', 'code', 'amount', 'big', 'at', 'day', 'flag'] } });
    const [row] = await db.getRows('docs', ['6f1d2c1e-0000-4000-8000-000000000001']);
    expect(row).toEqual({
      table: 'docs',
      key: { column: 'id', value: '6f1d2c1e-0000-4000-8000-000000000001' },
      fields: { body: '{"a": [1, "two"]}', code: 'AB', amount: '1234567890.10', big: '9007199254740993', at: '2024-05-01 10:34:56.789012+00', day: '2024-02-29', flag: 'true' },
    });
  });

  it('keys a table without a primary key by a unique NOT NULL column, else by its first column', async () => {
    const [codes, tags] = await open({ tables: ['codes', 'tags'] }).describe();
    expect(described(codes).keyColumn).toBe('code');
    expect(described(tags).keyColumn).toBe('label');
  });

  it('resolves a view in another schema', async () => {
    const db = open({ tables: ['sales.v_accounts'] });
    expect(described((await db.describe())[0])).toEqual({ table: 'sales.v_accounts', kind: 'view', keyColumn: 'owner', columns: ['owner'] });
    expect((await collect(db.scan('sales.v_accounts', { batchSize: 5, maxRows: 5 }))).flat()).toEqual([
      { table: 'sales.v_accounts', key: { column: 'owner', value: 'Dana' }, fields: { owner: 'Dana' } },
    ]);
  });

  it('fingerprints a partitioned table across its partitions', async () => {
    const db = open({ tables: ['parts'] });
    const before = await db.fingerprint('parts');
    expect(before).toMatch(/^parts:/);
    await fx.exec(`INSERT INTO parts VALUES (151, 'late')`);
    await expect.poll(() => db.fingerprint('parts'), { timeout: 3_000, interval: 100 }).not.toBe(before);
    expect((await collect(db.scan('parts', { batchSize: 1, maxRows: 10 }))).flat().map((r) => r.key.value)).toEqual(['1', '150', '151']);
  });

  it('cannot write, even through a function a view calls', async () => {
    const db = open({ tables: ['v_writes'], keys: { v_writes: 'id' } });
    expect((await db.describe())[0]?.ok).toBe(true);
    await expect(collect(db.scan('v_writes', { batchSize: 10, maxRows: 10 }))).rejects.toThrow(/read-only transaction/);
    const audit = openSourceDatabase({ name: 'erp', url: fx.url, tables: ['audit'], columns: { audit: ['n'] } });
    expect((await collect(audit.scan('audit', { batchSize: 10, maxRows: 10 }))).flat()).toEqual([]);
    await audit.close();
  });

  it('cancels a statement that runs past statementTimeoutMs', async () => {
    const db = open({ tables: ['v_slow'], keys: { v_slow: 'id' }, statementTimeoutMs: 500 });
    const t0 = Date.now();
    const err = await collect(db.scan('v_slow', { batchSize: 10, maxRows: 10 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageUnavailableError);
    expect((err as Error).message).toMatch(/statement timeout.*statementTimeoutMs is 500/);
    expect(Date.now() - t0).toBeLessThan(1_900);
  });

  describe('when the server cannot be used', () => {
    const secret = 's3cret-Pa55word';

    it('reports a refused connection on every table, naming the URL without the password', async () => {
      const db = open({ tables: ['vendors', 'payments'] }, `postgres://lh_user:${secret}@127.0.0.1:1/erp`);
      expect(db.displayUrl).toBe('postgres://lh_user@127.0.0.1:1/erp');
      const t0 = Date.now();
      const checks = await db.describe();
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(checks.map((c) => c.table)).toEqual(['vendors', 'payments']);
      for (const c of checks) {
        expect(errorOf(c)).toMatch(/^database source "erp" \(postgres:\/\/lh_user@127\.0\.0\.1:1\/erp\): connecting failed: .*ECONNREFUSED/);
        expect(errorOf(c)).not.toContain(secret);
      }
      const err = await collect(db.scan('vendors', { batchSize: 10, maxRows: 10 })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageUnavailableError);
      expect((err as Error).message).not.toContain(secret);
    });

    it('reports a role or database the server does not know, without the password', async () => {
      const url = new URL(fx.url);
      url.username = 'lh_no_such_role';
      url.password = secret;
      const [check] = await open({ tables: ['vendors'] }, url.toString()).describe();
      expect(errorOf(check)).toMatch(/connecting failed: .*lh_no_such_role/);
      expect(errorOf(check)).not.toContain(secret);
      url.username = 'postgres';
      url.pathname = '/lh_no_such_db';
      const [check2] = await open({ tables: ['vendors'] }, url.toString()).describe();
      expect(errorOf(check2)).toMatch(/database "lh_no_such_db" does not exist/);
      expect(errorOf(check2)).not.toContain(secret);
    });

    it('gives up on a server that accepts but never answers', async () => {
      const silent = net.createServer(() => {});
      const sockets = new Set<net.Socket>();
      silent.on('connection', (s) => sockets.add(s));
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
      const port = (silent.address() as net.AddressInfo).port;
      try {
        const db = openSourceDatabase({ name: 'erp', url: `postgres://lh_user:${secret}@127.0.0.1:${port}/erp`, tables: ['vendors'] }, { connectTimeoutMs: 1_000 });
        const t0 = Date.now();
        const [check] = await db.describe();
        expect(Date.now() - t0).toBeLessThan(3_000);
        expect(errorOf(check)).toMatch(/connecting failed: .*timeout/i);
        expect(errorOf(check)).not.toContain(secret);
        await db.close();
      } finally {
        for (const s of sockets) s.destroy();
        await new Promise((r) => silent.close(r));
      }
    });
  });
});

describe('sqlite database source, beyond the contract', () => {
  let fx: SourceFixture;
  beforeAll(async () => {
    fx = await sqliteFixture();
    await fx.exec(`
      CREATE TABLE loose (a, b BLOB, c INTEGER, d);
      INSERT INTO loose VALUES ('text in an untyped column', x'00ff', 3, 4);
      CREATE VIEW v_ids AS SELECT id + 0 AS n, name FROM vendors;`);
  });
  afterAll(async () => {
    await fx?.dispose();
  });
  const open = sources(() => fx);

  it('keys a table without a primary key by rowid', async () => {
    const db = open({ tables: ['tags'] });
    expect(described((await db.describe())[0])).toEqual({ table: 'tags', kind: 'table', keyColumn: 'rowid', columns: ['label'] });
    const rows = (await collect(db.scan('tags', { batchSize: 7, maxRows: 100 }))).flat();
    expect(rows.map((r) => r.key.value)).toEqual(Array.from({ length: TAG_ROWS }, (_, i) => String(i + 1)));
    expect((await db.getRows('tags', ['11']))[0]?.fields).toEqual({ label: 'tag1' });
  });

  it('reads an untyped column that holds text, not one of numbers or a BLOB', async () => {
    const [loose] = await open({ tables: ['loose'] }).describe();
    expect(described(loose).columns).toEqual(['a']);
  });

  it('finds rows of a view by a numeric key of no declared type', async () => {
    const rows = await open({ tables: ['v_ids'] }).getRows('v_ids', ['2']);
    expect(rows.map((r) => r.fields.name)).toEqual(["O'Brien & Sons"]);
  });

  it('reports a missing file on every table, naming the path', async () => {
    const gone = path.join(os.tmpdir(), 'lh-src-missing', 'nope.db');
    const checks = await open({ tables: ['vendors', 'payments'] }, `sqlite:${gone}`).describe();
    for (const c of checks) expect(errorOf(c)).toBe(`database source "erp" (sqlite:${gone}): opening failed: file ${gone} does not exist`);
    expect(fs.existsSync(gone)).toBe(false);
  });

  it('reports a file that is not a database', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lh-src-'));
    try {
      const file = path.join(dir, 'notes.db');
      fs.writeFileSync(file, 'just some text, long enough to not be a SQLite header at all.'.repeat(20));
      const [check] = await open({ tables: ['vendors'] }, `sqlite:${file}`).describe();
      expect(errorOf(check)).toMatch(/opening failed: file is not a database/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('accepts sqlite:///absolute/path too', async () => {
    const db = open({ tables: ['vendors'] }, fx.url.replace(/^sqlite:/, 'sqlite://'));
    expect((await db.describe())[0]?.ok).toBe(true);
  });
});
