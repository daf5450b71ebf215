/**
 * A separate process racing others on one PostgreSQL schema (run by
 * postgres-concurrency.test.ts with `node --import tsx`). It waits until the start
 * time so every process begins together, does its part, and prints JSON.
 * argv: <mode> <JSON args: { url, schema, tenant, startAt, … }>
 *
 * - migrate: applies the migrations; prints { applied }.
 * - claim: claims tasks until none is left; prints { claimed: taskIds }.
 * - signal: delivers `n` signals with the same idempotency key; prints { stored, duplicates, signalIds }.
 * - append: appends `n` events in small batches (appendEvents, or appendToSession with
 *   `viaSession`) to a session, or investigation-level events; prints { ids }.
 * - changes: appends `n` batches of one or two changes to the change log; prints { seqs } (each batch's last).
 * - follow-changes: follows the change log after the last seq it saw until it has seen
 *   `expect` rows or `untilMs` passes; prints { seen: seqs }.
 * - follow: reads after the last seq it saw (a session, or an investigation's timeline)
 *   until it has seen `expect` events or `untilMs` passes; prints { seen: [id, seq][] }.
 */
import { systemClock } from '../../../src/domain/clock.js';
import { createIdGenerator } from '../../../src/domain/ids.js';
import type { NewEvent } from '../../../src/domain/event.js';
import { migratePostgres, openPostgresStore } from '../../../src/store/adapters/postgres/index.js';

interface Args {
  url: string;
  schema: string;
  tenant: string;
  startAt: number;
  investigationId?: string;
  sessionId?: string;
  n?: number;
  key?: string;
  viaSession?: boolean;
  expect?: number;
  untilMs?: number;
  now?: number;
}

const [mode, json] = process.argv.slice(2) as [string, string];
const args = JSON.parse(json) as Args;
const ids = createIdGenerator(systemClock);
const out = (v: unknown) => process.stdout.write(JSON.stringify(v));

if (mode === 'migrate') {
  while (Date.now() < args.startAt) await new Promise((r) => setTimeout(r, 1));
  out({ applied: await migratePostgres(args.url, args.schema) });
} else {
  const store = openPostgresStore({ url: args.url, schema: args.schema, poolMax: 3 });
  const t = store.tenant(args.tenant);
  // Connected and migrated before the start: the race is about the step, not the pool.
  await store.lastChangeSeq();
  while (Date.now() < args.startAt) await new Promise((r) => setTimeout(r, 1));
  try {
    if (mode === 'claim') {
      const claimed: string[] = [];
      for (;;) {
        const task = await store.claimTask(args.now!, `pid-${process.pid}`, 600_000, ['retrieval']);
        if (!task) break;
        claimed.push(task.id);
      }
      out({ claimed });
    } else if (mode === 'signal') {
      let stored = 0;
      let duplicates = 0;
      const signalIds = new Set<string>();
      for (let i = 0; i < args.n!; i++) {
        const signal = { id: ids('sig'), tenantId: args.tenant, investigationId: args.investigationId!, name: 'bank_data', payload: { pid: process.pid, i }, attachments: [], idempotencyKey: args.key!, receivedAt: Date.now(), actorId: 'hook' };
        const event: NewEvent = { id: ids('evt'), tenantId: args.tenant, sessionId: null, investigationId: args.investigationId!, actorId: 'hook', role: 'system', kind: 'signal', text: 'bank data', data: null, createdAt: Date.now(), expiresAt: Date.now() + 86_400_000 };
        const r = await t.deliverSignal({ signal, events: [event] });
        if (r.duplicate) duplicates++;
        else stored++;
        signalIds.add(r.signal.id);
      }
      out({ stored, duplicates, signalIds: [...signalIds] });
    } else if (mode === 'append') {
      const written: string[] = [];
      let i = 0;
      while (i < args.n!) {
        const batch = Array.from({ length: Math.min(1 + (i % 3), args.n! - i) }, (_, j): NewEvent => ({
          id: ids('evt'),
          tenantId: args.tenant,
          sessionId: args.sessionId ?? null,
          investigationId: args.investigationId ?? null,
          actorId: 'alice',
          role: 'user',
          kind: 'message',
          text: `pid ${process.pid} event ${i + j}`,
          data: null,
          createdAt: Date.now(),
          expiresAt: Date.now() + 86_400_000,
        }));
        const stored = args.viaSession ? (await t.appendToSession(args.sessionId!, batch, Date.now())).events : await t.appendEvents(batch);
        written.push(...stored.map((e) => e.id));
        i += batch.length;
      }
      out({ ids: written });
    } else if (mode === 'follow') {
      const seen: Array<[string, number]> = [];
      let last = 0;
      while (seen.length < args.expect! && Date.now() < args.untilMs!) {
        const page = await t.listEvents({ ...(args.sessionId ? { sessionId: args.sessionId } : { investigationId: args.investigationId! }), afterSeq: last, limit: 50, totalCap: 1 });
        for (const e of page.items) seen.push([e.id, e.seq]);
        if (page.items.length > 0) last = page.items.at(-1)!.seq;
        else await new Promise((r) => setTimeout(r, 1));
      }
      out({ seen });
    } else if (mode === 'changes') {
      const seqs: number[] = [];
      for (let i = 0; i < args.n!; i++) {
        const batch = Array.from({ length: 1 + (i % 2) }, (_, j) => ({ origin: `pid-${process.pid}`, change: { type: 'investigation' as const, tenantId: args.tenant, id: `inv_${process.pid}_${i}_${j}` }, at: Date.now() }));
        seqs.push(await store.appendChanges(batch));
      }
      out({ seqs });
    } else if (mode === 'follow-changes') {
      const seen: number[] = [];
      let last = 0;
      while (seen.length < args.expect! && Date.now() < args.untilMs!) {
        const rows = await store.changesAfter(last, 50);
        for (const r of rows) seen.push(r.seq);
        if (rows.length > 0) last = rows.at(-1)!.seq;
        else await new Promise((r) => setTimeout(r, 1));
      }
      out({ seen });
    } else throw new Error(`unknown mode ${mode}`);
  } finally {
    await store.close();
  }
}
