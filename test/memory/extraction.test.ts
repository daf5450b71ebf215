import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, StorageUnavailableError } from '../../src/domain/errors.js';
import { namespaces } from '../../src/domain/namespace.js';
import { derivedRecordId } from '../../src/memory/ids.js';
import { Memory } from '../../src/memory/memory.js';
import { ModelError, ModelRegistry } from '../../src/runtime/model.js';
import { extractionJob } from '../../src/scheduler/extraction-job.js';
import { retentionJob } from '../../src/scheduler/retention-job.js';
import type { StorePort, TenantStore } from '../../src/store/port.js';
import { ADAPTERS, alice, DAY, investigation, record, SECOND, StubModel, world, type World } from './helpers.js';

/** A store whose tenant views run `hook` before the named method (to inject crashes and races). */
function intercept(store: StorePort, method: keyof TenantStore, hook: (t: TenantStore, args: unknown[]) => Promise<void>): StorePort {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop !== 'tenant') return Reflect.get(target, prop, receiver);
      return (id: string) => {
        const t = target.tenant(id);
        return new Proxy(t, {
          get(tt, p, r) {
            const v = Reflect.get(tt, p, r);
            if (p !== method || typeof v !== 'function') return typeof v === 'function' ? v.bind(tt) : v;
            return async (...args: unknown[]) => {
              await hook(tt, args);
              return (v as (...a: unknown[]) => unknown).apply(tt, args);
            };
          },
        });
      };
    },
  });
}

describe.each(ADAPTERS)('extraction on the $name store', ({ open }) => {
  let w: World;
  let store: StorePort;
  let cleanup: () => Promise<void>;
  let inv: { investigationId: string; sessionId: string };
  const facts = () => w.runtime.memory.list(alice, { namespace: namespaces.investigationFacts(inv.investigationId), status: 'all' });
  const status = () => w.runtime.memory.extractionStatus(alice.tenantId, inv.sessionId);

  beforeEach(async () => {
    ({ store, cleanup } = await open());
    w = world(store);
    inv = await investigation(w);
  });
  afterEach(() => cleanup());

  it('advances the checkpoint and shows it on the session state', async () => {
    await record(w, inv.sessionId, 'finding', 'one');
    const before = await w.runtime.sessionState(alice, inv.sessionId);
    expect(before.extraction).toMatchObject({ extractedThroughSeq: 0, backlog: 2, lastRunAt: null, lastError: null });
    const run = await w.runtime.memory.extractSession(alice.tenantId, inv.sessionId);
    expect(run).toMatchObject({ status: 'done', events: 2 });
    const after = await w.runtime.sessionState(alice, inv.sessionId);
    expect(after.extraction).toMatchObject({ extractedThroughSeq: run.throughSeq, backlog: 0, lastRunAt: new Date(w.clock.now()).toISOString(), lastError: null, nextRunAt: null });
  });

  it('re-running writes nothing twice', async () => {
    await record(w, inv.sessionId, 'finding', 'one');
    await record(w, inv.sessionId, 'finding', 'two');
    await w.runtime.memory.extractSession(alice.tenantId, inv.sessionId);
    const first = await facts();
    const again = await w.runtime.memory.extractSession(alice.tenantId, inv.sessionId);
    expect(again).toMatchObject({ status: 'done', events: 0 });
    expect(await facts()).toEqual(first);
  });

  it('derives record ids from the source events, so a crashed commit replays to the same records', async () => {
    const e = await record(w, inv.sessionId, 'finding', 'The filing is late.');
    let crash = true;
    const flaky = intercept(store, 'commitExtraction', async () => {
      if (crash) {
        crash = false;
        throw new StorageUnavailableError('disk went away');
      }
    });
    const m = new Memory({ ...w.deps, store: flaky }, ModelRegistry.none());
    expect((await m.extractSession(alice.tenantId, inv.sessionId)).status).toBe('failed');
    expect((await facts()).total).toBe(0);
    w.clock.advance(60 * SECOND);
    expect((await m.extractSession(alice.tenantId, inv.sessionId)).status).toBe('done');
    const { records } = await facts();
    expect(records.map((r) => r.recordId)).toEqual([derivedRecordId('acme', 'facts', namespaces.investigationFacts(inv.investigationId), e.eventId)]);
  });

  it('loses a checkpoint race cleanly: the commit is a compare-and-set', async () => {
    await record(w, inv.sessionId, 'finding', 'raced');
    const t = store.tenant(alice.tenantId);
    await expect(t.commitExtraction({ sessionId: inv.sessionId, expectedThroughSeq: 999, throughSeq: 1000, now: w.clock.now(), dueAt: null, writes: [] })).rejects.toBeInstanceOf(ConflictError);
    // Two runs at once: one commits, the other finds the checkpoint moved and writes nothing.
    const runs = await Promise.all([w.runtime.memory.extractSession(alice.tenantId, inv.sessionId), w.runtime.memory.extractSession(alice.tenantId, inv.sessionId)]);
    expect(runs.map((r) => r.status).sort()).toEqual(['conflict', 'done']);
    expect((await facts()).total).toBe(1);
    expect((await status()).lastError).toBeNull();
  });

  describe('when the model fails', () => {
    let healthy = false;
    beforeEach(() => {
      healthy = false;
      const model = new StubModel('stub:flaky', (req) => {
        if (!healthy) throw new ModelError('The model at http://127.0.0.1:9/v1 answered HTTP 503: overloaded.');
        return req.prompt.startsWith('Rewrite') ? '1. The filing is late (rewritten).' : 'Prose summary.';
      });
      w = world(store, new ModelRegistry('openai', model));
    });

    it('keeps the checkpoint, shows the error, backs off, and loses no event', async () => {
      await record(w, inv.sessionId, 'finding', 'The filing is late.');
      const run = await w.runtime.memory.extractSession(alice.tenantId, inv.sessionId);
      expect(run).toMatchObject({ status: 'failed', events: 0, throughSeq: 0 });
      const s1 = await status();
      expect(s1).toMatchObject({ extractedThroughSeq: 0, backlog: 2, lastError: expect.stringContaining('HTTP 503') });
      expect(Date.parse(s1.nextRunAt!) - w.clock.now()).toBe(10 * SECOND);

      // Not due before the retry time; due after it, and the next failure waits twice as long.
      expect(await store.dueExtractions(w.clock.now(), 10)).toEqual([]);
      w.clock.advance(10 * SECOND);
      expect((await store.dueExtractions(w.clock.now(), 10)).map((c) => c.sessionId)).toEqual([inv.sessionId]);
      await w.runtime.memory.extractSession(alice.tenantId, inv.sessionId);
      expect(Date.parse((await status()).nextRunAt!) - w.clock.now()).toBe(20 * SECOND);

      // Retention cannot take the unextracted events.
      w.clock.advance(100 * DAY);
      await retentionJob(w.deps, 60 * SECOND).run();
      expect((await status()).backlog).toBe(2);

      healthy = true;
      expect((await w.runtime.memory.extractSession(alice.tenantId, inv.sessionId)).status).toBe('done');
      expect(await status()).toMatchObject({ backlog: 0, lastError: null });
      expect((await facts()).records.map((r) => r.text)).toEqual(['The filing is late (rewritten).']);
    });
  });

  it('works in bounded batches and continues on the next run', async () => {
    for (let i = 0; i < 9; i++) await record(w, inv.sessionId, 'finding', `finding number ${i}`);
    const m = new Memory(w.deps, ModelRegistry.none(), { batchSize: 2, maxBatchesPerRun: 3 });
    const first = await m.extractSession(alice.tenantId, inv.sessionId);
    expect(first).toMatchObject({ status: 'more', events: 6 });
    expect((await status()).backlog).toBe(4);
    expect((await store.dueExtractions(w.clock.now(), 10)).map((c) => c.sessionId)).toEqual([inv.sessionId]);
    expect(await m.extractSession(alice.tenantId, inv.sessionId)).toMatchObject({ status: 'done', events: 4 });
    expect((await facts()).total).toBe(9);
  });

  it('does not strand an event appended while a run was committing', async () => {
    await record(w, inv.sessionId, 'finding', 'early');
    let once = true;
    const racy = intercept(store, 'commitExtraction', async () => {
      if (!once) return;
      once = false;
      await record(w, inv.sessionId, 'finding', 'late'); // lands after the run read its batch
    });
    const m = new Memory({ ...w.deps, store: racy }, ModelRegistry.none());
    await m.extractSession(alice.tenantId, inv.sessionId);
    expect((await store.dueExtractions(w.clock.now(), 10)).map((c) => c.sessionId)).toEqual([inv.sessionId]);
    await m.extractSession(alice.tenantId, inv.sessionId);
    expect((await facts()).records.map((r) => r.text).sort()).toEqual(['early', 'late']);
  });

  describe('the extraction job', () => {
    it('extracts due sessions, and a terminated session promptly, with a final summary', async () => {
      const job = extractionJob(w.deps, w.runtime.memory, 60 * SECOND);
      await record(w, inv.sessionId, 'finding', 'Directors share an address.');
      const r1 = await job.run();
      expect(r1).toMatchObject({ processed: 1, more: false, detail: { events: 2 } });
      expect((await job.run()).processed).toBe(0);

      await w.runtime.sessions.terminate(alice, inv.sessionId, 'completed');
      const r2 = await job.run();
      expect(r2.processed).toBe(1);
      const summary = await w.runtime.memory.list(alice, { namespace: namespaces.sessionSummary(inv.sessionId) });
      expect(summary.records[0]!.text).toMatch(/terminated \(completed\)/);
      expect((await job.run()).processed).toBe(0);
    });
  });

  describe('retention', () => {
    it('deletes only expired events that extraction has passed', async () => {
      await record(w, inv.sessionId, 'finding', 'kept until extracted');
      const job = retentionJob(w.deps, 60 * SECOND);
      w.clock.advance(91 * DAY);
      expect((await job.run()).processed).toBe(0);
      await w.runtime.memory.extractSession(alice.tenantId, inv.sessionId);
      expect((await job.run()).processed).toBe(2);
      // The record outlives its events; its provenance says they expired.
      const [rec] = (await facts()).records;
      const read = await w.runtime.memory.read(alice, rec!.recordId);
      expect(read.sources.events).toEqual([]);
      expect(read.sources.expired).toHaveLength(1);
    });

    it('leaves events that have not expired', async () => {
      await record(w, inv.sessionId, 'finding', 'fresh');
      await w.runtime.memory.extractSession(alice.tenantId, inv.sessionId);
      expect((await retentionJob(w.deps, 60 * SECOND).run()).processed).toBe(0);
    });
  });
});
