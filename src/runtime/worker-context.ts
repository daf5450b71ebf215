import type { MemoryEvent, NewEvent } from '../domain/event.js';
import type { Investigation } from '../domain/investigation.js';
import { namespaces } from '../domain/namespace.js';
import type { MemoryRecord } from '../domain/record.js';
import type { Session } from '../domain/session.js';
import type { Signal, Task, Wait } from '../domain/task.js';
import type { TenantMemory } from '../memory/port.js';
import type { TenantStore } from '../store/port.js';
import type { RoleMemory } from '../workers/role.js';
import { scopedPrefix, searchVisible } from '../memory/scope.js';
import { memoryOf, type RuntimeDeps } from './deps.js';
import { makeEvent } from './event-factory.js';

/** Bounds on what a woken worker reads back from memory: context, not a replay. */
export const REHYDRATE_LIMITS = { facts: 20, events: 50, findings: 20, summaries: 5, searchTopK: 20, openWaits: 50, taskWaits: 50, signalsPerName: 200 } as const;

export interface Rehydrated {
  summaries: MemoryRecord[];
  facts: MemoryRecord[];
  openWaits: Wait[];
  recentEvents: MemoryEvent[];
  findings: MemoryEvent[];
  /** This task's waits, any status. */
  taskWaits: Wait[];
  /** Signals under the names this task waits or waited for, oldest first. */
  signals: Signal[];
}

/**
 * Reads back what a worker needs to continue an investigation in a new session:
 * summaries of earlier sessions, the investigation's facts (the most relevant to the
 * task first, then the newest), its open waits, its latest events and findings, and
 * the signals delivered for this task. Every read is bounded.
 */
/** The memory reads a worker's context needs (the configured memory port's tenant; the store's own when absent). */
export type MemoryReads = Pick<TenantMemory, 'listRecords' | 'searchRecords'>;

export async function rehydrate(t: TenantStore, task: Task, inv: Investigation, currentSessionId: string | null, m: MemoryReads = t, investigationSummary = false): Promise<Rehydrated> {
  const L = REHYDRATE_LIMITS;
  const factsNs = namespaces.investigationFacts(inv.id);
  const [openWaits, taskWaits, newestFacts, relevant, events, findings, sessions] = await Promise.all([
    t.listWaits(inv.id, { open: true, limit: L.openWaits }),
    // The task's own waits, newest first: the signals it waited for are the ones it gets.
    t.listWaits(inv.id, { taskId: task.id, order: 'desc', limit: L.taskWaits }),
    m.listRecords({ namespacePrefix: factsNs, status: 'active', limit: L.facts, totalCap: L.facts }),
    m.searchRecords({ query: `${inv.subject} ${task.instructions}`, namespacePrefix: factsNs, topK: L.searchTopK }),
    t.listEvents({ investigationId: inv.id, order: 'desc', limit: L.events, totalCap: L.events }),
    t.listEvents({ investigationId: inv.id, kinds: ['finding'], order: 'desc', limit: L.findings, totalCap: L.findings }),
    t.listSessions({ investigationId: inv.id, limit: L.summaries * 2 }),
  ]);
  const facts = dedupe([...relevant.map((r) => r.record), ...newestFacts.items]).slice(0, L.facts);
  // With AgentCore's own extraction, the summary is the investigation's (one AgentCore session per investigation).
  const summaries: MemoryRecord[] = !investigationSummary ? [] : (await m.listRecords({ namespacePrefix: namespaces.investigationSummary(inv.id), status: 'active', limit: 1, totalCap: 1 })).items;
  for (const s of sessions) {
    if (s.id === currentSessionId || summaries.length >= L.summaries) continue;
    const page = await m.listRecords({ namespacePrefix: namespaces.sessionSummary(s.id), status: 'active', limit: 1, totalCap: 1 });
    if (page.items[0]) summaries.push(page.items[0]);
  }
  taskWaits.reverse();
  const names = new Set<string>([...taskWaits.map((w) => w.signal), ...(task.waitFor ? [task.waitFor.signal] : [])]);
  const signals: Signal[] = [];
  // The newest of each name (an investigation holds at most LONGHAUL_MAX_SIGNALS anyway).
  for (const name of names) signals.push(...(await t.listSignals(inv.id, name, { order: 'desc', limit: L.signalsPerName })));
  signals.sort((a, b) => a.receivedAt - b.receivedAt || (a.id < b.id ? -1 : 1));
  return {
    summaries,
    facts,
    openWaits,
    recentEvents: events.items.reverse(),
    findings: findings.items.reverse(),
    taskWaits,
    signals,
  };
}

function dedupe(records: MemoryRecord[]): MemoryRecord[] {
  const seen = new Set<string>();
  return records.filter((r) => !seen.has(r.id) && !!seen.add(r.id));
}

/**
 * The role's view of memory: the rehydrated context, search, and an event buffer
 * (`record`) that the runtime writes with the outcome — or right after an intake.
 */
export function roleMemory(
  d: Pick<RuntimeDeps, 'clock' | 'ids' | 'settings'>,
  t: MemoryReads,
  ctx: { session: Session; investigationId: string },
  r: Rehydrated,
  buffer: NewEvent[],
): RoleMemory {
  return {
    summaries: r.summaries,
    facts: r.facts,
    openWaits: r.openWaits,
    recentEvents: r.recentEvents,
    findings: r.findings,
    async search(query, opts = {}) {
      // A worker reads memory as its own actor: the tenant's shared memory, never a
      // person's private actors/{id}/… (its findings land in the shared investigation).
      const prefix = scopedPrefix(ctx.session.actorId, opts.namespacePrefix ?? `investigations/${ctx.investigationId}`);
      return searchVisible(t, ctx.session.actorId, { query, prefix, includeSuperseded: false, topK: Math.min(Math.max(opts.topK ?? 5, 1), 20) });
    },
    record(e) {
      buffer.push(
        makeEvent(d, {
          tenantId: ctx.session.tenantId,
          actorId: ctx.session.actorId,
          sessionId: ctx.session.id,
          investigationId: ctx.investigationId,
          role: 'agent',
          kind: e.kind,
          text: e.text,
          data: e.data,
        }),
      );
    },
  };
}

/**
 * The event that opens a worker session: why it woke and what it remembered — the
 * rehydrated fact ids and texts — so "does the woken worker know Day 0?" can be read
 * off its own session.
 */
export function openingEvent(d: Pick<RuntimeDeps, 'clock' | 'ids' | 'settings'>, s: Session, task: Task, r: Rehydrated, what: 'run' | 'intake'): NewEvent {
  const clip = (x: string) => (x.length > 200 ? x.slice(0, 199) + '…' : x);
  return makeEvent(d, {
    tenantId: s.tenantId,
    actorId: s.actorId,
    sessionId: s.id,
    investigationId: task.investigationId,
    role: 'system',
    kind: 'status',
    text:
      what === 'intake'
        ? `Worker session opened for the intake of ${task.role} task ${task.id}; it waits for ${task.waitFor ? `"${task.waitFor.signal}"` : 'a signal'}.`
        : `Worker session opened for ${task.role} task ${task.id} (woke: ${task.wakeReason ?? 'created'}, attempt ${task.attempts}); rehydrated ${r.facts.length} fact(s), ${r.summaries.length} summary(ies), ${r.openWaits.length} open wait(s), ${r.recentEvents.length} recent event(s), ${r.signals.length} signal(s).`,
    data: {
      taskId: task.id,
      role: task.role,
      wake: task.wakeReason,
      attempt: task.attempts,
      rehydrated: {
        facts: r.facts.map((f) => ({ id: f.id, text: clip(f.text), createdAt: f.createdAt, sourceEventIds: f.sourceEventIds.slice(0, 5) })),
        summaries: r.summaries.map((x) => ({ id: x.id, sessionId: x.sessionId })),
        openWaits: r.openWaits.map((w) => ({ waitId: w.id, taskId: w.taskId, signal: w.signal, deadline: w.deadline })),
        recentEventIds: r.recentEvents.map((e) => e.id),
        findings: r.findings.length,
        signals: r.signals.map((x) => ({ signalId: x.id, name: x.name, receivedAt: x.receivedAt })),
      },
    },
  });
}

/** A tenant's memory reads for a worker, and whether AgentCore's own extraction writes the summaries (per investigation). */
export function workerMemory(d: Pick<RuntimeDeps, 'store' | 'memory'>, tenantId: string): { reads: MemoryReads; investigationSummary: boolean } {
  const memory = memoryOf(d);
  return { reads: memory.tenant(tenantId), investigationSummary: memory.extraction === 'agentcore' };
}
