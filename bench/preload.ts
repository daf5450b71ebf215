/**
 * Fills a store directly (not through MCP) so the benchmark reaches 100k events and
 * 100k records in seconds. Everything written here is what longhaul itself would
 * write: investigations with a supervisor session, events already extracted (the
 * steady state: the checkpoint stands at the newest event), records committed through
 * `commitExtraction` like the extraction job does.
 */
import { systemClock } from '../src/domain/clock.js';
import type { MemoryEvent, NewEvent } from '../src/domain/event.js';
import { createIdGenerator } from '../src/domain/ids.js';
import { namespaces } from '../src/domain/namespace.js';
import type { MemoryRecord } from '../src/domain/record.js';
import { derivedRecordId } from '../src/memory/ids.js';
import { textKey } from '../src/memory/text.js';
import type { StorePort, TenantStore } from '../src/store/port.js';
import { rng } from './rng.js';

export const TENANT = 'local';
export const ACTOR = 'bench';
const DAY = 86_400_000;
const ids = createIdGenerator(systemClock);

/** A 4,000-word vocabulary drawn with a Zipf-like skew, like real prose. */
export function vocabulary(): string[] {
  const r = rng(7);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const words = new Set<string>();
  while (words.size < 4_000) {
    const n = 3 + Math.floor(r() * 8);
    let w = '';
    for (let i = 0; i < n; i++) w += letters[Math.floor(r() * 26)];
    words.add(w);
  }
  return [...words];
}

export function sentence(r: () => number, vocab: readonly string[], min = 8, max = 20): string {
  const n = min + Math.floor(r() * (max - min + 1));
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(vocab[Math.floor(vocab.length * Math.pow(r(), 2.2))]!);
  return out.join(' ') + '.';
}

/** Opens an investigation with its supervisor session; returns their ids. */
export async function openInvestigation(t: TenantStore, subject: string): Promise<{ investigationId: string; sessionId: string }> {
  const now = systemClock.now();
  const investigationId = ids('inv');
  const sessionId = ids('ses');
  await t.createInvestigation({
    investigation: { id: investigationId, tenantId: TENANT, actorId: ACTOR, subject, objective: `Benchmark ${subject}`, status: 'open', outcome: null, summary: null, deadline: null, overdueAt: null, createdAt: now, updatedAt: now, closedAt: null, version: 1 },
    session: {
      id: sessionId, tenantId: TENANT, actorId: ACTOR, kind: 'supervisor', role: null, investigationId, taskId: null, status: 'idle', terminationReason: null,
      startedAt: now, lastActivityAt: now, terminatedAt: null, idleTimeoutMs: 7 * DAY, maxDurationMs: 7 * DAY, inflight: 0, dueAt: now + 7 * DAY, version: 1,
    },
    tasks: [],
    events: [],
  });
  return { investigationId, sessionId };
}

const KINDS: MemoryEvent['kind'][] = ['message', 'message', 'message', 'finding', 'finding', 'fact', 'decision', 'status', 'preference', 'signal'];

export function makeEvents(n: number, where: { investigationId: string; sessionId: string }, r: () => number, vocab: readonly string[]): NewEvent[] {
  const now = systemClock.now();
  return Array.from({ length: n }, () => ({
    id: ids('evt'),
    tenantId: TENANT,
    sessionId: where.sessionId,
    investigationId: where.investigationId,
    actorId: ACTOR,
    role: 'agent',
    kind: KINDS[Math.floor(r() * KINDS.length)]!,
    text: sentence(r, vocab),
    data: null,
    createdAt: now,
    expiresAt: now + 90 * DAY,
  }));
}

/** Appends `n` events to one session in batches and marks them extracted (steady state). */
export async function preloadEvents(store: StorePort, where: { investigationId: string; sessionId: string }, n: number, seed: number): Promise<void> {
  const t = store.tenant(TENANT);
  const r = rng(seed);
  const vocab = vocabulary();
  for (let done = 0; done < n; done += 1_000) {
    const stored = await t.appendEvents(makeEvents(Math.min(1_000, n - done), where, r, vocab));
    const cp = await t.getCheckpoint(where.sessionId);
    await t.commitExtraction({ sessionId: where.sessionId, expectedThroughSeq: cp?.throughSeq ?? 0, throughSeq: stored.at(-1)!.seq, now: systemClock.now(), dueAt: null, writes: [] });
  }
}

/** Commits `n` fact records spread over `investigations` investigations, 1,000 per commit. */
export async function preloadRecords(store: StorePort, n: number, investigations: number, seed: number): Promise<void> {
  const t = store.tenant(TENANT);
  const r = rng(seed);
  const vocab = vocabulary();
  const invs: Array<{ investigationId: string; sessionId: string }> = [];
  for (let i = 0; i < investigations; i++) invs.push(await openInvestigation(t, `Records ${i}`));
  for (let done = 0; done < n; done += 1_000) {
    const now = systemClock.now();
    const writes = Array.from({ length: Math.min(1_000, n - done) }, (_, i) => {
      const inv = invs[(done + i) % invs.length]!;
      const namespace = namespaces.investigationFacts(inv.investigationId);
      const text = sentence(r, vocab);
      const sourceId = ids('evt');
      const record: MemoryRecord = {
        id: derivedRecordId(TENANT, 'facts', namespace, sourceId), tenantId: TENANT, namespace, strategy: 'facts', text, textKey: textKey(text), topicKey: null,
        status: 'active', supersededBy: null, sourceEventIds: [sourceId], sessionId: inv.sessionId, investigationId: inv.investigationId, actorId: ACTOR, createdAt: now, updatedAt: now,
      };
      return { op: 'create' as const, record };
    });
    const session = invs[done / 1_000 % invs.length]!.sessionId;
    const cp = await t.getCheckpoint(session);
    await t.commitExtraction({ sessionId: session, expectedThroughSeq: cp?.throughSeq ?? 0, throughSeq: cp?.throughSeq ?? 0, now: systemClock.now(), dueAt: null, writes });
  }
}
