/**
 * What the PostgreSQL tests share: the server's URL, a check that it answers (a clear
 * failure when it does not: these tests never skip), and the schemas each test file
 * makes, dropped when it ends.
 */
import pg from 'pg';

/** The test server (trust auth): LONGHAUL_TEST_PG_URL, else a local PostgreSQL. */
export const PG_URL = process.env.LONGHAUL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function pgAdmin() {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 2, connectionTimeoutMillis: 5_000 });
  pool.on('error', () => {});
  const schemas = new Set<string>();
  return {
    pool,
    /** Fails with a clear message when the server does not answer. */
    async check(): Promise<void> {
      try {
        await pool.query('SELECT 1');
      } catch (e) {
        throw new Error(
          `PostgreSQL at ${PG_URL} does not answer (${(e as Error).message}). These tests need a PostgreSQL 15 server: start one, or point LONGHAUL_TEST_PG_URL at it.`,
        );
      }
    },
    track(schema: string): void {
      schemas.add(schema);
    },
    async drop(schema: string): Promise<void> {
      schemas.delete(schema);
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
    /** Drops every schema still tracked, then ends the pool. */
    async end(): Promise<void> {
      for (const s of [...schemas]) await pool.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`).catch(() => {});
      await pool.end();
    },
  };
}
