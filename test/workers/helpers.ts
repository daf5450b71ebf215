import { createHash } from 'node:crypto';
import { FakeClock } from '../../src/domain/clock.js';
import type { NewEvent } from '../../src/domain/event.js';
import type { Investigation } from '../../src/domain/investigation.js';
import type { MemoryRecord } from '../../src/domain/record.js';
import type { Session } from '../../src/domain/session.js';
import type { Signal, Task, Wait } from '../../src/domain/task.js';
import { nullLogger } from '../../src/logger.js';
import type { Model } from '../../src/runtime/model.js';
import { createSqliteSourceIndex } from '../../src/store/adapters/source-index-sqlite.js';
import { basename } from 'node:path';
import type { RoleContext } from '../../src/workers/role.js';
import { SourceLibrary, type LibraryDeps } from '../../src/workers/sources/library.js';
import type { SourceSpec } from '../../src/workers/sources/config.js';
import { openSourceDatabase } from '../../src/store/adapters/source-db.js';

export const FIXTURES = new URL('../../fixtures/techcorp', import.meta.url).pathname;
export const T0 = Date.UTC(2026, 10, 3, 9);
export const HOUR = 3_600_000;

/** The bank data of the TechCorp story: one watch-listed counterparty, two large payments, a missing document. */
export const BANK_DATA = {
  account: 'DE89 3704 0044 0532 0130 00',
  currency: 'EUR',
  transactions: [
    { date: '2026-10-03', amount: 4_200, counterparty: 'Umbrella Logistics BV' },
    { date: '2026-10-11', amount: 25_000, counterparty: 'Globex Holdings Ltd' },
    { date: '2026-10-19', amount: 12_500, counterparty: 'Initech Services' },
  ],
  documents: ['bank_statement', 'certificate_of_incorporation'],
};

let n = 0;
const id = (p: string) => `${p}_${String(++n).padStart(30, '0')}`;

export function investigation(over: Partial<Investigation> = {}): Investigation {
  return { id: id('inv'), tenantId: 'acme', actorId: 'alice', subject: 'TechCorp', objective: 'Check TechCorp before onboarding', status: 'open', outcome: null, summary: null, deadline: null, overdueAt: null, createdAt: T0, updatedAt: T0, closedAt: null, version: 1, ...over };
}

export function task(inv: Investigation, over: Partial<Task> = {}): Task {
  return {
    id: id('tsk'), tenantId: 'acme', investigationId: inv.id, role: 'compliance', instructions: 'File a report once the bank data arrives', status: 'running',
    waitFor: { signal: 'bank_data', timeoutMs: 72 * HOUR }, wakeReason: 'created', runAt: null, leaseOwner: 'test', leaseUntil: T0 + 30_000, attempts: 1,
    result: null, error: null, createdBy: 'alice', createdAt: T0, updatedAt: T0, finishedAt: null, version: 1, ...over,
  };
}

export function signal(inv: Investigation, payload: unknown, at = T0 + 72 * HOUR - HOUR): Signal {
  return { id: id('sig'), tenantId: 'acme', investigationId: inv.id, name: 'bank_data', payload, attachments: [], idempotencyKey: null, receivedAt: at, actorId: 'bank' };
}

export function waitOf(t: Task, over: Partial<Wait> = {}): Wait {
  return { id: id('wait'), tenantId: 'acme', investigationId: t.investigationId, taskId: t.id, signal: 'bank_data', status: 'open', createdAt: t.createdAt, deadline: t.createdAt + 72 * HOUR, resolvedAt: null, signalId: null, ...over };
}

export function fact(inv: Investigation, text: string): MemoryRecord {
  return { id: id('rec'), tenantId: 'acme', namespace: `investigations/${inv.id}/facts`, strategy: 'facts', text, textKey: text.toLowerCase(), topicKey: null, status: 'active', supersededBy: null, sourceEventIds: [], sessionId: null, investigationId: inv.id, actorId: 'alice', createdAt: T0, updatedAt: T0 };
}

/** A source library over folders (default: the bundled TechCorp documents), each named after its base name, indexed in an in-memory SQLite index. */
export async function techcorpSources(roots = [FIXTURES], extra: SourceSpec[] = [], deps: Partial<LibraryDeps> = {}): Promise<SourceLibrary> {
  const specs: SourceSpec[] = [...roots.map((folder): SourceSpec => ({ kind: 'folder', name: basename(folder), folder })), ...extra];
  const lib = new SourceLibrary(createSqliteSourceIndex(':memory:'), specs, { clock: new FakeClock(T0), logger: nullLogger, openDatabase: (s) => openSourceDatabase(s), ...deps });
  await lib.refresh();
  return lib;
}

/** A role context with the given parts; `recorded` collects what the role records. */
export async function roleContext(over: Partial<RoleContext> & { inv?: Investigation; clock?: FakeClock; facts?: MemoryRecord[] } = {}) {
  const inv = over.inv ?? investigation();
  const t = over.task ?? task(inv);
  const clock = over.clock ?? new FakeClock(T0);
  const recorded: Array<Pick<NewEvent, 'kind' | 'text' | 'data'>> = [];
  const session: Session = {
    id: id('ses'), tenantId: 'acme', actorId: `${t.role}-worker`, kind: 'worker', role: t.role, investigationId: inv.id, taskId: t.id, status: 'active', terminationReason: null,
    startedAt: clock.now(), lastActivityAt: clock.now(), terminatedAt: null, idleTimeoutMs: 15 * 60_000, maxDurationMs: 8 * HOUR, inflight: 1, dueAt: null, version: 1,
  };
  const ctx: RoleContext = {
    task: t,
    investigation: inv,
    session,
    wake: over.wake ?? t.wakeReason ?? 'created',
    attempt: 1,
    waits: over.waits ?? [],
    signals: over.signals ?? [],
    memory: over.memory ?? {
      summaries: [],
      facts: over.facts ?? [],
      openWaits: [],
      recentEvents: [],
      findings: [],
      search: async () => [],
      record: (e) => void recorded.push({ kind: e.kind, text: e.text, data: e.data ?? null }),
    },
    sources: over.sources ?? (await techcorpSources()),
    readAttachment: over.readAttachment ?? (async () => null),
    model: over.model ?? null,
    clock,
    logger: nullLogger,
    abort: new AbortController().signal,
    heartbeat: async () => undefined,
  };
  return { ctx, recorded, inv, task: t, clock };
}

/** A model that answers with fixed text, or fails. */
export function fakeModel(answer: string | Error): Model & { prompts: string[] } {
  const prompts: string[] = [];
  return {
    name: 'fake:test',
    prompts,
    async complete(req) {
      prompts.push(req.prompt);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

/** A bank_data signal carrying files, and the attachment reader a role context needs for it. */
export function signalWithFiles(inv: Investigation, payload: unknown, files: Array<{ name: string; mediaType: string; content: string | Uint8Array }>, at?: number) {
  const s = signal(inv, payload, at);
  const bytes = files.map((f) => (typeof f.content === 'string' ? new TextEncoder().encode(f.content) : f.content));
  s.attachments = files.map((f, i) => ({ index: i, name: f.name, mediaType: f.mediaType, size: bytes[i]!.length, sha256: createHash('sha256').update(bytes[i]!).digest('hex') }));
  const readAttachment = async (signalId: string, index: number) => (signalId === s.id ? (bytes[index] ?? null) : null);
  return { signal: s, readAttachment };
}
