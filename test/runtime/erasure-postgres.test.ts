/**
 * The forget_actor scenario (./erasure-helpers.ts) on PostgreSQL (a schema of its own):
 * the same surface checks, and no row of any table in the schema holds the canary after.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { FakeClock } from '../../src/domain/clock.js';
import { createLogger } from '../../src/logger.js';
import { PG_URL, pgAdmin } from '../contract/postgres-helpers.js';
import { CANARY, forgetActorScenario } from './erasure-helpers.js';

const admin = pgAdmin();
let app: App;
let schema: string;
let made = 0;

beforeAll(async () => {
  await admin.check();
});
afterAll(async () => {
  await admin.end();
});
beforeEach(() => {
  schema = `lh_erasure_${process.pid}_${made++}`;
  admin.track(schema);
  const config = loadConfig({ env: { HOME: '/tmp', LONGHAUL_STORE: `${PG_URL}?schema=${schema}`, LONGHAUL_TENANT: 'acme', LONGHAUL_ACTOR: 'alice', LONGHAUL_LOG_LEVEL: 'warn' } });
  app = createApp(config, { clock: new FakeClock(), logger: createLogger({ level: 'error', write: () => {} }) });
});
afterEach(async () => {
  await app.close();
  await admin.drop(schema);
});

/** The tables of the schema whose rows (as text) hold the canary. */
async function rowsWithCanary(): Promise<string> {
  const tables = (await admin.pool.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`, [schema])).rows;
  const found: string[] = [];
  for (const { t } of tables) {
    const n = (await admin.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.${t} x WHERE x::text LIKE $1`, [`%${CANARY}%`])).rows[0]!.n;
    if (n > 0) found.push(`${t}: ${n} rows with ${CANARY}`);
  }
  return found.join('\n');
}

describe('erasure on PostgreSQL', () => {
  it('leaves no tool, resource, prompt or table holding her words; carol keeps her records; a receipt stays', async () => {
    await forgetActorScenario(app, rowsWithCanary);
  });
});
