import { FakeClock, type Clock } from '../../../src/domain/clock.js';
import type { MemoryEvent } from '../../../src/domain/event.js';
import type { MemoryRecord } from '../../../src/domain/record.js';
import { nullLogger } from '../../../src/logger.js';
import { openAgentCoreMemory, type AgentCoreMemoryOptions } from '../../../src/memory/adapters/agentcore/index.js';
import type { MemoryPort, OutboxEntry } from '../../../src/memory/port.js';
import { startAgentCoreStub, type AgentCoreStub } from '../../support/agentcore-stub/index.js';
import type { StubMemoryConfig } from '../../support/agentcore-stub/memory.js';
import { FIXTURE_T0 } from './fixtures.js';
import type { MemoryHarness } from './memory-contract.js';

export const MEMORY_ID = 'longhaul_mem-AbCdE12345';
/** The stub's clock: a few days after the fixtures' timeline, so no fixture event has expired. */
export const STUB_NOW = FIXTURE_T0 + 3 * 86_400_000;

export interface AgentCoreWorld extends MemoryHarness {
  stub: AgentCoreStub;
  clock: FakeClock;
  /** The outbox entries `put` built, by item id (a replay delivers the same entry again). */
  entryFor(tenantId: string, item: { event: MemoryEvent } | { record: MemoryRecord }): OutboxEntry;
}

/**
 * The real SDK client against the local AgentCore stub, through the adapter. `put` builds
 * outbox entries as the work store does (an event's clientToken is its id; a record's is
 * `put.{id}.{entry}`) and delivers them; anything not delivered fails the test.
 */
export async function agentCoreWorld(
  over: Partial<AgentCoreMemoryOptions> & { memories?: StubMemoryConfig[]; createEventRate?: number } = {},
): Promise<AgentCoreWorld> {
  const { memories, createEventRate, ...adapter } = over;
  const stub = await startAgentCoreStub({ memories: memories ?? [{ id: MEMORY_ID }], createEventRate: createEventRate ?? 1_000, now: () => STUB_NOW });
  const clock = new FakeClock(STUB_NOW);
  const memory = stubMemory(stub, clock, adapter);
  let nextId = 1;
  const entries = new Map<string, OutboxEntry>();
  const entryFor: AgentCoreWorld['entryFor'] = (tenantId, item) => {
    const key = `${tenantId}|${'event' in item ? item.event.id : item.record.id}`;
    let entry = entries.get(key);
    if (!entry) {
      const id = nextId++;
      entry =
        'event' in item
          ? { id, tenantId, clientToken: item.event.id, op: { op: 'event', event: item.event }, attempts: 0, createdAt: STUB_NOW }
          : { id, tenantId, clientToken: `put.${item.record.id}.${id}`, op: { op: 'records', records: [item.record] }, attempts: 0, createdAt: STUB_NOW };
      entries.set(key, entry);
    }
    return entry;
  };
  return {
    stub,
    clock,
    memory,
    entryFor,
    async put(tenantId, input) {
      const batch = [...(input.events ?? []).map((event) => entryFor(tenantId, { event })), ...(input.records ?? []).map((record) => entryFor(tenantId, { record }))];
      const results = await memory.deliver(batch);
      const failed = results.filter((r) => !r.ok);
      if (failed.length > 0) throw new Error(`not delivered: ${JSON.stringify(failed)}`);
    },
    async close() {
      await memory.close();
      await stub.close();
    },
  };
}

/**
 * The adapter on the stub with static test credentials, the standard retry mode and
 * rate limits high enough never to wait (tests that are about them pass `rate`).
 */
export function stubMemory(stub: AgentCoreStub, clock: Clock, over: Partial<AgentCoreMemoryOptions> = {}): MemoryPort {
  return openAgentCoreMemory({
    memoryId: MEMORY_ID,
    region: 'us-east-1',
    endpoint: stub.url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    extraction: 'longhaul',
    logger: nullLogger,
    clock,
    retryMode: 'standard',
    ...over,
    rate: { perSession: 1_000, perSessionBurst: 1_000, perAccount: 1_000, perAccountBurst: 1_000, recordWrites: 1_000, recordWritesBurst: 1_000, ...over.rate },
  });
}
