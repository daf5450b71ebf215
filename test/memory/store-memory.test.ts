/**
 * The memory contract on the store's own memory (LONGHAUL_MEMORY=store), over a real
 * SQLite file and a PostgreSQL schema: `put` writes through the work store's own steps —
 * events appended to their (created) sessions and investigations, records committed by
 * an extraction step — as production writes them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { MemoryEvent } from '../../src/domain/event.js';
import type { MemoryRecord } from '../../src/domain/record.js';
import { storeMemory } from '../../src/memory/adapters/store.js';
import { openPostgresStore } from '../../src/store/adapters/postgres/index.js';
import { openSqliteStore } from '../../src/store/adapters/sqlite/index.js';
import type { StorePort, TenantStore } from '../../src/store/port.js';
import { fixtures } from '../contract/fixtures.js';
import { PG_URL, pgAdmin } from '../contract/postgres-helpers.js';
import { memoryContract, type MemoryHarness } from './contract/memory-contract.js';

/** Creates what the items point at (investigations, sessions), then writes them once each. */
function storeHarness(store: StorePort, done: () => Promise<void>): MemoryHarness {
  const extractionSession = new Map<string, string>();
  const ensure = async (t: TenantStore, e: { sessionId: string | null; investigationId: string | null; actorId: string; createdAt: number }) => {
    const f = fixtures(t.tenantId);
    if (e.investigationId && !(await t.getInvestigation(e.investigationId))) {
      await t.createInvestigation({ investigation: f.investigation({ id: e.investigationId, createdAt: e.createdAt }), session: f.session({ investigationId: e.investigationId }), tasks: [], events: [] });
    }
    if (e.sessionId && !(await t.getSession(e.sessionId))) await t.createSession(f.session({ id: e.sessionId, investigationId: e.investigationId, actorId: e.actorId }));
  };
  return {
    memory: storeMemory(store),
    async put(tenantId: string, input: { events?: MemoryEvent[]; records?: MemoryRecord[] }) {
      const t = store.tenant(tenantId);
      for (const e of input.events ?? []) {
        if ((await t.getEvents([e.id])).length > 0) continue;
        await ensure(t, e);
        const { seq: _seq, ...fresh } = e;
        await t.appendEvents([fresh]);
      }
      const records: MemoryRecord[] = [];
      for (const r of input.records ?? []) if (!(await t.getRecord(r.id))) records.push(r);
      if (records.length === 0) return;
      let sessionId = extractionSession.get(tenantId);
      if (!sessionId) {
        const s = fixtures(tenantId).session();
        await t.createSession(s);
        extractionSession.set(tenantId, (sessionId = s.id));
      }
      const through = (await t.getCheckpoint(sessionId))?.throughSeq ?? 0;
      await t.commitExtraction({ sessionId, expectedThroughSeq: through, throughSeq: through, now: records[0]!.createdAt, dueAt: null, writes: records.map((record) => ({ op: 'create', record })) });
    },
    close: done,
  };
}

memoryContract('store (SQLite)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lh-memory-'));
  const store = openSqliteStore({ path: path.join(dir, 'longhaul.db') });
  return storeHarness(store, async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

const admin = pgAdmin();
let made = 0;
beforeAll(async () => {
  await admin.check();
});
afterAll(async () => {
  await admin.end();
});

memoryContract('store (PostgreSQL)', async () => {
  const schema = `lh_memory_${process.pid}_${made++}`;
  admin.track(schema);
  const store = openPostgresStore({ url: PG_URL, schema, poolMax: 2 });
  return storeHarness(store, async () => {
    await store.close();
    await admin.drop(schema);
  });
});
