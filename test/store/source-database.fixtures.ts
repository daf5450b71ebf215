/**
 * Databases for the database-source contract: the same tables and rows in a fresh
 * PostgreSQL database (created per run on the local server, dropped afterwards) and in
 * a SQLite file in a temp dir. Each fixture also keeps a separate, writable connection
 * for the tests' own writes — the source under test never writes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';

/** The local test server (trust auth); `PG_TEST_URL` overrides it. Its database `test` is the admin entry point. */
export const PG_ADMIN_URL = process.env.PG_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface SourceFixture {
  /** The source URL of the fixture database. */
  url: string;
  /** The allow-list name of table `accounts` written schema-qualified (`sales.accounts` / `main.accounts`). */
  qualifiedAccounts: string;
  /** Runs SQL through the fixture's own writable connection (PostgreSQL: its stats are flushed at once). */
  exec(sql: string): Promise<void>;
  dispose(): Promise<void>;
}

export const EVENT_ROWS = 2_500;
export const TAG_ROWS = 30;

/** Portable SQL: runs unchanged on PostgreSQL 15 and SQLite 3.5x. */
export const COMMON_SQL = `
CREATE TABLE vendors (id INTEGER PRIMARY KEY, name TEXT, notes TEXT, city VARCHAR(40), rating INTEGER, since DATE);
INSERT INTO vendors VALUES
  (1, 'Acme "Anvils" Ltd', 'pays late; DROP TABLE vendors; --', 'Zürich', 4, '2024-05-01'),
  (2, 'O''Brien & Sons', NULL, 'Cork', NULL, NULL),
  (3, 'Ünïcödé 株式会社 🚚', 'line one
line two	tabbed', NULL, 5, '2023-12-31');
CREATE TABLE payments (id INTEGER PRIMARY KEY, vendor_id INTEGER, amount INTEGER, memo TEXT);
INSERT INTO payments VALUES (10, 1, 500, 'invoice 7'), (11, 2, 250, NULL);
CREATE TABLE fp_probe (id INTEGER PRIMARY KEY, body TEXT);
INSERT INTO fp_probe VALUES (1, 'first');
CREATE TABLE numbers (id INTEGER PRIMARY KEY, n INTEGER);
CREATE TABLE order_lines (order_id INTEGER, line_no INTEGER, item TEXT, PRIMARY KEY (order_id, line_no));
INSERT INTO order_lines VALUES (2, 1, 'bolts'), (1, 2, 'nuts, washers'), (1, 1, 'hammer');
CREATE TABLE events (id INTEGER PRIMARY KEY, body TEXT);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${EVENT_ROWS})
  INSERT INTO events (id, body) SELECT i, 'event ' || i FROM s;
CREATE TABLE tags (label TEXT, vendor_id INTEGER);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${TAG_ROWS})
  INSERT INTO tags (label, vendor_id) SELECT CASE WHEN i <= 10 THEN 'common' ELSE 'tag' || (i % 5) END, i FROM s;
CREATE VIEW v_vendor_names AS SELECT name, id, city FROM vendors;
CREATE VIEW v_tags AS SELECT label, vendor_id FROM tags;
`;

const suffix = () => randomBytes(5).toString('hex');

/** A fresh database `lh_src_<random>` on the local server with COMMON_SQL and a `sales` schema. */
export async function postgresFixture(): Promise<SourceFixture> {
  const dbName = `lh_src_${suffix()}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5_000 });
  try {
    await admin.connect();
  } catch (e) {
    throw new Error(`The database-source tests need PostgreSQL at ${PG_ADMIN_URL} (.ci/run starts one): ${(e as Error).message}`);
  }
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${dbName}`;
  const writer = new pg.Client({ connectionString: url.toString() });
  await writer.connect();
  await writer.query(COMMON_SQL);
  await writer.query(`
    CREATE SCHEMA sales;
    CREATE TABLE sales.accounts (id INTEGER PRIMARY KEY, owner TEXT);
    INSERT INTO sales.accounts VALUES (7, 'Dana');
    CREATE VIEW sales.v_accounts AS SELECT owner, id FROM sales.accounts;`);
  return {
    url: url.toString(),
    qualifiedAccounts: 'sales.accounts',
    async exec(sql) {
      await writer.query(sql);
      // Counters reach pg_stat when the writer next flushes (~10 s after a recent flush); force it now.
      await writer.query('SELECT pg_stat_force_next_flush()');
    },
    async dispose() {
      await writer.end();
      const a = new pg.Client({ connectionString: PG_ADMIN_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await a.end();
    },
  };
}

/** A SQLite file (WAL mode, like most applications use) in a temp dir with COMMON_SQL and `accounts`. */
export async function sqliteFixture(): Promise<SourceFixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lh-src-'));
  const file = path.join(dir, 'crm.db');
  const writer = new Database(file);
  writer.pragma('journal_mode = WAL');
  writer.exec(COMMON_SQL);
  writer.exec(`CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT); INSERT INTO accounts VALUES (7, 'Dana');`);
  return {
    url: `sqlite:${file}`,
    qualifiedAccounts: 'main.accounts',
    async exec(sql) {
      writer.exec(sql);
    },
    async dispose() {
      writer.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
