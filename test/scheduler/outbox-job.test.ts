/**
 * The memory outbox job against AgentCore Memory at the local stub, through the real
 * SDK: a throttled or failing delivery stays in the outbox with its error and is retried
 * after its backoff, then stored once; an entry AgentCore refuses is parked, never
 * dropped and never retried; entries the client-side rate limit did not send are
 * deferred without counting an attempt. And with AgentCore's own extraction, longhaul's
 * extraction runs only move checkpoints (retention still expires the events).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/domain/clock.js';
import { createIdGenerator } from '../../src/domain/ids.js';
import { nullLogger } from '../../src/logger.js';
import { Extraction } from '../../src/memory/extraction.js';
import type { RateLimits } from '../../src/memory/adapters/agentcore/index.js';
import type { MemoryPort } from '../../src/memory/port.js';
import { ModelRegistry } from '../../src/runtime/model.js';
import { outboxJob } from '../../src/scheduler/outbox-job.js';
import { openSqliteStore } from '../../src/store/adapters/sqlite/index.js';
import type { StorePort } from '../../src/store/port.js';
import { fixtures, openInvestigation } from '../contract/fixtures.js';
import { startAgentCoreStub, type AgentCoreStub } from '../support/agentcore-stub/index.js';
import { MEMORY_ID, stubMemory } from '../memory/contract/agentcore-harness.js';

// A day after the fixtures' events (2026-01-01): within the memory's event expiry.
const T0 = Date.UTC(2026, 0, 2);

describe('memory outbox job (AgentCore at the local stub)', () => {
  let stub: AgentCoreStub;
  let store: StorePort;
  let memory: MemoryPort;
  let dir: string;
  const clock = new FakeClock(T0);

  const world = async (rate?: Partial<RateLimits>) => {
    clock.set(T0);
    stub = await startAgentCoreStub({ memories: [{ id: MEMORY_ID }], createEventRate: 1_000, now: () => clock.now() });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lh-outbox-'));
    store = openSqliteStore({ path: path.join(dir, 'longhaul.db'), clock });
    await store.enableMemoryOutbox();
    memory = stubMemory(stub, clock, { maxAttempts: 2, ...(rate ? { rate } : {}) });
    return outboxJob({ store, clock, logger: nullLogger }, memory, 1_000, 'w1', { retryBaseMs: 1_000 });
  };
  afterEach(async () => {
    await memory?.close();
    await store?.close();
    await stub?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const storedIds = () => stub.events(MEMORY_ID).map((e) => (e.metadata?.lh_event_id as { stringValue: string }).stringValue);

  it('keeps a throttled delivery with its error, retries it after the backoff, and stores each event once', async () => {
    const job = await world();
    const { events } = await openInvestigation(store.tenant('acme'), fixtures('acme'), { events: 3 });
    stub.inject({ op: 'CreateEvent', status: 429, count: 2 }); // both SDK attempts of the first event
    const first = await job.run();
    expect(first.detail).toMatchObject({ delivered: 0, retrying: 1, deferred: 2 });
    expect(storedIds()).toEqual([]);
    const stats = await store.outboxStats();
    expect(stats).toMatchObject({ pending: 3, parked: 0 });
    expect(stats.errors[0]).toMatchObject({ kind: 'event', attempts: 1, parked: false });
    expect(stats.errors[0]!.error).toMatch(/Throttl/);
    // Not due yet: nothing is sent before the backoff.
    expect((await job.run()).processed).toBe(0);
    clock.advance(1_000);
    const second = await job.run();
    expect(second.detail).toMatchObject({ delivered: 3, retrying: 0 });
    expect(storedIds().sort()).toEqual(events.map((e) => e.id).sort());
    expect(await store.outboxStats()).toMatchObject({ pending: 0, parked: 0, errors: [] });
    // A replay of the same entries (the store lost the settle) stores nothing twice.
    expect((await job.run()).processed).toBe(0);
    expect(storedIds()).toHaveLength(3);
  });

  it("keeps a tenant's order: entries behind one in backoff never overtake it", async () => {
    const job = await world();
    const { events } = await openInvestigation(store.tenant('acme'), fixtures('acme'), { events: 3 });
    stub.inject({ op: 'CreateEvent', status: 429, count: 2 });
    await job.run(); // e1 fails (retry in 1 s); e2 and e3 are held behind it
    clock.advance(1_000);
    stub.inject({ op: 'CreateEvent', status: 429, count: 2 });
    await job.run(); // e1 fails again (retry in 2 s)
    clock.advance(1_000);
    expect((await job.run()).processed).toBe(0); // e2 and e3 wait for e1, though their own deferral has passed
    clock.advance(1_000);
    expect((await job.run()).processed).toBe(3);
    expect(storedIds()).toEqual(events.map((e) => e.id));
  });

  it('parks an entry AgentCore refuses, with its message, and never retries it', async () => {
    const job = await world();
    const f = fixtures('acme');
    const { inv, session } = await openInvestigation(store.tenant('acme'), f);
    const huge = f.event({ sessionId: session.id, investigationId: inv.id, text: 'x'.repeat(150_000) });
    await store.tenant('acme').appendEvents([huge]);
    const r = await job.run();
    expect(r.detail).toMatchObject({ delivered: 1, parked: 1 });
    const stats = await store.outboxStats();
    expect(stats).toMatchObject({ pending: 0, parked: 1 });
    expect(stats.errors[0]).toMatchObject({ kind: 'event', parked: true });
    clock.advance(24 * 3_600_000);
    expect((await job.run()).processed).toBe(0);
    expect(storedIds()).not.toContain(huge.id);
    // The event itself is still in the work store: refused by AgentCore, not lost.
    expect(await store.tenant('acme').getEvents([huge.id])).toHaveLength(1);
  });

  it('defers what the client-side rate limit did not send, without counting an attempt', async () => {
    const job = await world({ perSession: 0.001, perSessionBurst: 1, maxWaitMs: 1 });
    await openInvestigation(store.tenant('acme'), fixtures('acme'), { events: 3 });
    const r = await job.run();
    expect(r.detail).toMatchObject({ delivered: 1, retrying: 0, deferred: 2 });
    expect((await store.outboxStats()).errors).toEqual([]);
    clock.advance(1_000);
    const again = await store.claimOutbox(clock.now(), 'w2', 60_000, 10);
    expect(again.map((e) => e.attempts)).toEqual([0, 0]);
  });

  it("with AgentCore's own extraction, longhaul's extraction writes no record and still moves the checkpoint", async () => {
    await world();
    const f = fixtures('acme');
    const t = store.tenant('acme');
    const { session, inv } = await openInvestigation(t, f, { events: 2 });
    await t.appendEvents([f.event({ sessionId: session.id, investigationId: inv.id, kind: 'finding', text: 'TechCorp paid 25,000 EUR to Globex.' })]);
    const d = { store, memory, clock, ids: createIdGenerator(clock), logger: nullLogger, feed: { publish() {} } as never, settings: { idleTimeoutMs: 1, maxSessionDurationMs: 1, eventRetentionMs: 1 } };
    const run = await new Extraction(d, ModelRegistry.none(), { derive: false }).extractSession('acme', session.id);
    expect(run).toMatchObject({ status: 'done', events: 3 });
    expect((await t.getCheckpoint(session.id))!.throughSeq).toBe(run.throughSeq);
    expect((await t.listRecords({ namespacePrefix: 'investigations', limit: 10 })).total).toBe(0);
    const derived = await new Extraction(d, ModelRegistry.none()).extractSession('acme', (await openInvestigation(t, f, { events: 0 })).session.id);
    expect(derived.status).toBe('done');
  });
});
