/**
 * The StorePort contract (with its log and bounds contracts) on PostgreSQL, each store
 * in a schema of its own that is dropped after its test. The server is
 * LONGHAUL_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test); when it does
 * not answer, these tests fail — they never skip.
 */
import { afterAll, beforeAll } from 'vitest';
import { openPostgresStore } from '../../src/store/adapters/postgres/index.js';
import type { StorePort } from '../../src/store/port.js';
import { runOutboxContract } from './outbox-contract.js';
import { runStoreContract } from './store-contract.js';
import { PG_URL, pgAdmin } from './postgres-helpers.js';

const admin = pgAdmin();
const schemaOf = new Map<StorePort, string>();
let made = 0;

beforeAll(async () => {
  await admin.check();
});
afterAll(async () => {
  await admin.end();
});

const makeStore = async () => {
  const schema = `lh_test_${process.pid}_${made++}`;
  admin.track(schema);
  const store = openPostgresStore({ url: PG_URL, schema, poolMax: 4 });
  schemaOf.set(store, schema);
  return store;
};
const dropStore = async (store: StorePort) => {
  await store.close();
  const schema = schemaOf.get(store);
  if (schema) await admin.drop(schema);
};
runOutboxContract('postgres', makeStore, dropStore);

runStoreContract(
  'postgres',
  async () => {
    const schema = `lh_test_${process.pid}_${made++}`;
    admin.track(schema);
    const store = openPostgresStore({ url: PG_URL, schema, poolMax: 4 });
    schemaOf.set(store, schema);
    return store;
  },
  async (store) => {
    await store.close();
    const schema = schemaOf.get(store);
    if (schema) await admin.drop(schema);
  },
);
