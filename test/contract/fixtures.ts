/**
 * Small entity factories for the store contract suite. Every factory fills in a
 * plausible entity for one tenant; tests override only what they are about.
 */
import { createHash } from 'node:crypto';
import { FakeClock } from '../../src/domain/clock.js';
import type { NewEvent } from '../../src/domain/event.js';
import { createIdGenerator, type IdGenerator } from '../../src/domain/ids.js';
import type { Investigation } from '../../src/domain/investigation.js';
import type { MemoryRecord } from '../../src/domain/record.js';
import type { InboxItem, Report } from '../../src/domain/report.js';
import { sessionDueAt, type Session } from '../../src/domain/session.js';
import type { Signal, SignalAttachment, Task, Wait } from '../../src/domain/task.js';
import type { TenantStore } from '../../src/store/port.js';

/** 2026-01-01T00:00:00Z: every test's time zero. */
export const T0 = Date.UTC(2026, 0, 1);
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

const shared: { ids: IdGenerator } = { ids: createIdGenerator(new FakeClock(T0)) };

export type Fixtures = ReturnType<typeof fixtures>;

/** Factories for `tenantId`. Ids come from one shared generator, so they never collide across tenants. */
export function fixtures(tenantId: string) {
  const ids = shared.ids;
  return {
    tenantId,
    ids,
    investigation(over: Partial<Investigation> = {}): Investigation {
      return {
        id: ids('inv'),
        tenantId,
        actorId: 'alice',
        subject: 'TechCorp',
        objective: 'Check the bank data against the filings',
        status: 'open',
        outcome: null,
        summary: null,
        deadline: null,
        overdueAt: null,
        createdAt: T0,
        updatedAt: T0,
        closedAt: null,
        version: 1,
        ...over,
      };
    },
    session(over: Partial<Session> = {}): Session {
      const s: Session = {
        id: ids('ses'),
        tenantId,
        actorId: 'alice',
        kind: 'supervisor',
        role: null,
        investigationId: null,
        taskId: null,
        status: 'active',
        terminationReason: null,
        startedAt: T0,
        lastActivityAt: T0,
        terminatedAt: null,
        idleTimeoutMs: 15 * MINUTE,
        maxDurationMs: 8 * HOUR,
        inflight: 1,
        dueAt: null,
        version: 1,
        ...over,
      };
      return { ...s, dueAt: over.dueAt !== undefined ? over.dueAt : sessionDueAt(s) };
    },
    task(investigationId: string, over: Partial<Task> = {}): Task {
      return {
        id: ids('tsk'),
        tenantId,
        investigationId,
        role: 'retrieval',
        instructions: 'Search the internal sources for TechCorp',
        status: 'pending',
        waitFor: null,
        wakeReason: 'created',
        runAt: T0,
        leaseOwner: null,
        leaseUntil: null,
        attempts: 0,
        result: null,
        error: null,
        createdBy: 'alice',
        createdAt: T0,
        updatedAt: T0,
        finishedAt: null,
        version: 1,
        ...over,
      };
    },
    /** A waiting task and its open wait for `signal`. */
    waitingTask(investigationId: string, signal = 'bank_data', over: { task?: Partial<Task>; wait?: Partial<Wait> } = {}): { task: Task; wait: Wait } {
      const createdAt = over.task?.createdAt ?? T0;
      const task = this.task(investigationId, { role: 'compliance', status: 'waiting', runAt: null, waitFor: { signal, timeoutMs: 3 * DAY }, ...over.task });
      const wait: Wait = {
        id: ids('wait'),
        tenantId,
        investigationId,
        taskId: task.id,
        signal,
        status: 'open',
        createdAt,
        deadline: createdAt + 3 * DAY,
        resolvedAt: null,
        signalId: null,
        ...over.wait,
      };
      return { task, wait };
    },
    wait(task: Task, over: Partial<Wait> = {}): Wait {
      return {
        id: ids('wait'),
        tenantId,
        investigationId: task.investigationId,
        taskId: task.id,
        signal: 'bank_data',
        status: 'open',
        createdAt: T0,
        deadline: T0 + 3 * DAY,
        resolvedAt: null,
        signalId: null,
        ...over,
      };
    },
    signal(investigationId: string, over: Partial<Signal> = {}): Signal {
      return {
        id: ids('sig'),
        tenantId,
        investigationId,
        name: 'bank_data',
        payload: { accounts: 3 },
        attachments: [],
        idempotencyKey: null,
        receivedAt: T0 + HOUR,
        actorId: 'bank-hook',
        ...over,
      };
    },
    /** A file for deliverSignal at `index`, with its size and SHA-256 computed from `content` (a string is UTF-8). */
    attachment(index: number, name: string, content: Uint8Array | string, mediaType = 'application/octet-stream'): { meta: SignalAttachment; content: Uint8Array } {
      const bytes = typeof content === 'string' ? new Uint8Array(Buffer.from(content, 'utf8')) : content;
      return { meta: { index, name, mediaType, size: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') }, content: bytes };
    },
    /** A signal carrying `files` (their metadata on the signal) and the deliverSignal input for it. */
    signalWithFiles(investigationId: string, files: Array<{ meta: SignalAttachment; content: Uint8Array }>, over: Partial<Signal> = {}) {
      const signal = this.signal(investigationId, { ...over, attachments: files.map((f) => f.meta) });
      return { signal, attachments: files };
    },
    event(over: Partial<NewEvent> = {}): NewEvent {
      return {
        id: ids('evt'),
        tenantId,
        sessionId: null,
        investigationId: null,
        actorId: 'alice',
        role: 'user',
        kind: 'message',
        text: 'hello',
        data: null,
        createdAt: T0,
        expiresAt: T0 + 90 * DAY,
        ...over,
      };
    },
    record(namespace: string, text: string, over: Partial<MemoryRecord> = {}): MemoryRecord {
      return {
        id: ids('rec'),
        tenantId,
        namespace,
        strategy: 'facts',
        text,
        textKey: text.toLowerCase().replace(/\W+/g, ' ').trim(),
        topicKey: null,
        status: 'active',
        supersededBy: null,
        sourceEventIds: [],
        sessionId: null,
        investigationId: null,
        actorId: 'alice',
        createdAt: T0,
        updatedAt: T0,
        ...over,
      };
    },
    report(investigationId: string, over: Partial<Report> = {}): Report {
      return {
        id: ids('rpt'),
        tenantId,
        investigationId,
        taskId: null,
        complete: true,
        title: 'Compliance report',
        markdown: '# Compliance report\n\nNo flags.',
        createdAt: T0,
        ...over,
      };
    },
    inboxItem(investigationId: string, over: Partial<InboxItem> = {}): InboxItem {
      return {
        id: ids('inb'),
        tenantId,
        investigationId,
        kind: 'report',
        title: 'Report filed',
        detail: 'The compliance report is ready.',
        taskId: null,
        reportId: null,
        createdAt: T0,
        ...over,
      };
    },
  };
}

/** Opens an investigation with its supervisor session (and optional tasks) through `t`. */
export async function openInvestigation(
  t: TenantStore,
  f: Fixtures,
  opts: { investigation?: Partial<Investigation>; session?: Partial<Session>; tasks?: Array<{ task: Task; wait: Wait | null }>; events?: number } = {},
) {
  const inv = f.investigation(opts.investigation);
  const session = f.session({ investigationId: inv.id, ...opts.session });
  const events = Array.from({ length: opts.events ?? 1 }, (_, i) => f.event({ sessionId: session.id, investigationId: inv.id, text: `request ${i}` }));
  const created = await t.createInvestigation({ investigation: inv, session, tasks: opts.tasks ?? [], events });
  return { inv, session, events: created.events };
}
