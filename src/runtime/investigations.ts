import { formatDuration } from '../domain/duration.js';
import { ConflictError, InvalidInputError, NotFoundError, IllegalTransitionError } from '../domain/errors.js';
import { assertId } from '../domain/ids.js';
import { terminationForOutcome, type Investigation, type InvestigationOutcome, type InvestigationStatus } from '../domain/investigation.js';
import { isTerminalTask, type Task, type Wait } from '../domain/task.js';
import type { Caller, RuntimeDeps } from './deps.js';
import { makeEvent } from './event-factory.js';
import { LIMITS, assertRole, assertSignalName, assertText, parseDeadline, parseTimeout } from './limits.js';
import type { Sessions } from './sessions.js';
import { investigationView, sessionView, signalView, taskView, waitView, eventView, showing, type TaskView } from './views.js';

export interface TaskRequest {
  role: string;
  instructions: string;
  waitFor?: { signal: string; timeout: string } | null;
}

/**
 * Investigations: open, read, list, delegate, close. Each operation is validated here
 * (the CLI and the MCP tools both call it) and written through one atomic store step.
 */
export class Investigations {
  constructor(
    private readonly d: RuntimeDeps,
    private readonly sessions: Sessions,
  ) {}

  /** Loads an open-or-closed investigation of the caller's tenant, or throws not_found. */
  async load(caller: Caller, id: string): Promise<Investigation> {
    assertId(id, 'inv', 'investigationId');
    const inv = await this.d.store.tenant(caller.tenantId).getInvestigation(id);
    if (!inv) throw new NotFoundError('investigation', id);
    return inv;
  }

  /** Refuses work on a closed investigation with a sentence saying what to do instead. */
  assertOpen(inv: Investigation): void {
    if (inv.status !== 'open') {
      throw new IllegalTransitionError('investigation', inv.status, 'open', 'It is closed; start a new investigation to continue the work.');
    }
  }

  /** Builds a task (and its wait) for an investigation; validates role, text, signal and timeout. */
  buildTask(caller: Caller, investigationId: string, req: TaskRequest, index?: number): { task: Task; wait: Wait | null } {
    const at = index === undefined ? '' : `tasks[${index}].`;
    const role = assertRole(req.role);
    const known = this.d.knownRoles?.();
    if (known && !known.includes(role)) {
      throw new InvalidInputError(`${at}role: "${role}" is not a role this server runs; use one of ${known.map((r) => `"${r}"`).join(', ')}.`, { value: role, known });
    }
    const instructions = assertText(req.instructions, `${at}instructions`, LIMITS.instructions);
    const now = this.d.clock.now();
    let wait: Wait | null = null;
    let waitFor: Task['waitFor'] = null;
    const taskId = this.d.ids('tsk');
    if (req.waitFor) {
      const signal = assertSignalName(req.waitFor.signal, `${at}waitFor.signal`);
      const timeoutMs = parseTimeout(req.waitFor.timeout, `${at}waitFor.timeout`);
      waitFor = { signal, timeoutMs };
      wait = {
        id: this.d.ids('wait'),
        tenantId: caller.tenantId,
        investigationId,
        taskId,
        signal,
        status: 'open',
        createdAt: now,
        deadline: now + timeoutMs,
        resolvedAt: null,
        signalId: null,
      };
    }
    const task: Task = {
      id: taskId,
      tenantId: caller.tenantId,
      investigationId,
      role,
      instructions,
      status: wait ? 'waiting' : 'pending',
      waitFor,
      wakeReason: wait ? null : 'created',
      runAt: wait ? null : now,
      leaseOwner: null,
      leaseUntil: null,
      attempts: 0,
      result: null,
      error: null,
      createdBy: caller.actorId,
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
      version: 1,
    };
    return { task, wait };
  }

  /** `start_investigation`: the investigation, a supervisor session, the request, its tasks. */
  async start(caller: Caller, input: { subject: string; objective: string; tasks?: TaskRequest[]; deadline?: string | null }) {
    const subject = assertText(input.subject, 'subject', LIMITS.subject);
    const objective = assertText(input.objective, 'objective', LIMITS.objective);
    const reqs = input.tasks ?? [];
    if (reqs.length > LIMITS.tasksPerStart) throw new InvalidInputError(`tasks: ${reqs.length} given; at most ${LIMITS.tasksPerStart} at start (delegate_task adds more).`);
    const now = this.d.clock.now();
    const deadline = input.deadline ? parseDeadline(input.deadline, now, 'deadline') : null;
    const investigation: Investigation = {
      id: this.d.ids('inv'),
      tenantId: caller.tenantId,
      actorId: caller.actorId,
      subject,
      objective,
      status: 'open',
      outcome: null,
      summary: null,
      deadline,
      overdueAt: null,
      createdAt: now,
      updatedAt: now,
      closedAt: null,
      version: 1,
    };
    const session = this.sessions.build(caller, { kind: 'supervisor', investigationId: investigation.id });
    const tasks = reqs.map((r, i) => this.buildTask(caller, investigation.id, r, i));
    const base = { tenantId: caller.tenantId, actorId: caller.actorId, sessionId: session.id, investigationId: investigation.id };
    const events = [
      makeEvent(this.d, { ...base, role: 'user', kind: 'message', text: `Investigate ${subject}: ${objective}`, data: { subject, objective, deadline: input.deadline ?? null } }),
      ...tasks.map(({ task, wait }) =>
        makeEvent(this.d, {
          ...base,
          role: 'system',
          kind: 'decision',
          text: describeDelegation(task, wait),
          data: { taskId: task.id, role: task.role, waitFor: wait ? { signal: wait.signal, deadline: wait.deadline } : null },
        }),
      ),
    ];
    await this.d.store.tenant(caller.tenantId).createInvestigation({ investigation, session, tasks, events });
    await this.sessions.endWork(caller, session.id);
    this.d.feed.publish({ type: 'investigation', tenantId: caller.tenantId, id: investigation.id });
    if (tasks.length) this.d.feed.publish({ type: 'tasks', tenantId: caller.tenantId, investigationId: investigation.id });
    const t = this.d.store.tenant(caller.tenantId);
    // Re-read: a task's wait may already have resolved against an earlier signal.
    const stored = await t.listTasks(investigation.id);
    const waits = await t.listWaits(investigation.id);
    return {
      investigation: investigationView(investigation),
      sessionId: session.id,
      tasks: stored.map(taskView),
      waits: waits.map(waitView),
    };
  }

  /** Runs `fn` inside the caller's live supervisor session on `inv`, opening one if none is live. */
  async inSupervisorSession<T>(caller: Caller, inv: Investigation, fn: (sessionId: string) => Promise<T>): Promise<T> {
    const live = await this.sessions.liveSupervisorSession(caller, inv.id);
    // A live session can be terminated by a sweep between the read and beginWork: then open a new one.
    let session = live ? await this.sessions.tryBegin(caller, live.id) : null;
    if (!session) {
      session = this.sessions.build(caller, { kind: 'supervisor', investigationId: inv.id });
      await this.d.store.tenant(caller.tenantId).createSession(session);
    }
    try {
      return await fn(session.id);
    } finally {
      await this.sessions.endWork(caller, session.id);
    }
  }

  /**
   * Runs `fn` in the caller's live session when there is one (keeping it alive), but
   * never opens one: reads, and signals, which may come from outside any chat.
   */
  async touchIfLive<T>(caller: Caller, investigationId: string, fn: (sessionId: string | null) => Promise<T>): Promise<T> {
    const live = await this.sessions.liveSupervisorSession(caller, investigationId);
    const began = live ? await this.sessions.tryBegin(caller, live.id) : null;
    try {
      return await fn(began?.id ?? null);
    } finally {
      if (began) await this.sessions.endWork(caller, began.id);
    }
  }

  /** `delegate_task`. */
  async delegate(caller: Caller, input: { investigationId: string } & TaskRequest) {
    const inv = await this.load(caller, input.investigationId);
    this.assertOpen(inv);
    const built = this.buildTask(caller, inv.id, input);
    return this.inSupervisorSession(caller, inv, async (sessionId) => {
      const event = makeEvent(this.d, {
        tenantId: caller.tenantId,
        actorId: caller.actorId,
        sessionId,
        investigationId: inv.id,
        role: 'system',
        kind: 'decision',
        text: describeDelegation(built.task, built.wait),
        data: { taskId: built.task.id, role: built.task.role },
      });
      const r = await this.d.store.tenant(caller.tenantId).createTask({ ...built, events: [event] });
      await this.d.store.tenant(caller.tenantId).touchInvestigation(inv.id, this.d.clock.now());
      this.d.feed.publish({ type: 'investigation', tenantId: caller.tenantId, id: inv.id });
      this.d.feed.publish({ type: 'tasks', tenantId: caller.tenantId, investigationId: inv.id });
      return {
        investigationId: inv.id,
        sessionId,
        task: taskView(r.task),
        wait: r.wait ? waitView(r.wait) : null,
        resolvedBySignal: r.resolvedBy ? signalView(r.resolvedBy) : null,
      };
    });
  }

  /** `get_investigation`: the full state, bounded (findings and sessions are capped). */
  async get(caller: Caller, investigationId: string) {
    const inv = await this.load(caller, investigationId);
    return this.touchIfLive(caller, inv.id, () => this.state(caller, inv));
  }

  /** The state document behind `longhaul://investigations/{id}`. */
  async state(caller: Caller, inv: Investigation) {
    const t = this.d.store.tenant(caller.tenantId);
    const [tasks, waits, signals, sessions, findings, reports] = await Promise.all([
      t.listTasks(inv.id),
      t.listWaits(inv.id),
      t.listSignals(inv.id),
      t.listSessions({ investigationId: inv.id, limit: 50 }),
      t.listEvents({ investigationId: inv.id, kinds: ['finding'], limit: STATE_LIMITS.findings, order: 'desc' }),
      t.listReports(inv.id),
    ]);
    const latest = reports[0];
    // Bounded whatever the investigation's size: open work first, then the newest of
    // the rest, each list capped and counted ("showing X of Y"); long texts clipped
    // (the timeline and the report resources hold them whole).
    const L = STATE_LIMITS;
    const shownTasks = [...tasks.filter((x) => !isTerminalTask(x.status)), ...tasks.filter((x) => isTerminalTask(x.status)).reverse()].slice(0, L.tasks);
    const shownWaits = [...waits.filter((w) => w.status === 'open'), ...waits.filter((w) => w.status !== 'open').reverse()].slice(0, L.waits);
    const shownSignals = signals.slice(-L.signals);
    return {
      investigation: investigationView(inv),
      tasks: shownTasks.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1)).map((x) => clipTask(taskView(x))),
      waits: shownWaits.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1)).map(waitView),
      signals: shownSignals.map(signalView),
      shown: {
        tasks: showing(shownTasks.length, tasks.length, 'tasks (open ones first, then the newest)'),
        waits: showing(shownWaits.length, waits.length, 'waits (open ones first, then the newest)'),
        signals: showing(shownSignals.length, signals.length, 'signals (the newest)'),
      },
      findings: findings.items.slice(0, L.findings).map((e) => ({ ...eventView(e), text: clipText(e.text, L.text) })),
      findingsShown: showing(Math.min(findings.items.length, L.findings), findings.total, 'findings (newest first)'),
      sessions: sessions.map(sessionView),
      report: latest
        ? { uri: `longhaul://investigations/${inv.id}/report`, reportId: latest.id, title: latest.title, complete: latest.complete, filedAt: new Date(latest.createdAt).toISOString(), filings: reports.length }
        : null,
    };
  }

  /** `list_investigations`: newest first, filtered, paged. */
  async list(caller: Caller, input: { status?: InvestigationStatus; query?: string; limit?: number; cursor?: string | null }) {
    const limit = Math.min(Math.max(input.limit ?? 20, 1), LIMITS.listLimit);
    if (input.query !== undefined && input.query.length > LIMITS.query) throw new InvalidInputError(`query is ${input.query.length} characters; the limit is ${LIMITS.query}.`);
    const page = await this.d.store.tenant(caller.tenantId).listInvestigations({ status: input.status, query: input.query?.trim() || undefined, limit, cursor: input.cursor ?? null });
    return {
      investigations: page.items.map(investigationView),
      total: page.total,
      nextCursor: page.nextCursor,
      showing: showing(page.items.length, page.total, 'investigations'),
    };
  }

  /** `close_investigation`: cancels open tasks and waits, terminates its sessions. */
  async close(caller: Caller, input: { investigationId: string; outcome: InvestigationOutcome; summary?: string | null }) {
    const summary = input.summary ? assertText(input.summary, 'summary', LIMITS.summary) : null;
    // The version compare-and-set guards against closing a state we did not read; but
    // worker outcomes, signals and sweeps move the version in the background, and the
    // caller's intent (close it) does not depend on them: re-read and try again.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.closeOnce(caller, input, summary);
      } catch (e) {
        if (!(e instanceof ConflictError) || attempt >= 5) throw e;
      }
    }
  }

  private async closeOnce(caller: Caller, input: { investigationId: string; outcome: InvestigationOutcome }, summary: string | null) {
    const inv = await this.load(caller, input.investigationId);
    this.assertOpen(inv);
    const live = await this.sessions.liveSupervisorSession(caller, inv.id);
    const event = makeEvent(this.d, {
      tenantId: caller.tenantId,
      actorId: caller.actorId,
      sessionId: live?.id ?? null,
      investigationId: inv.id,
      role: 'system',
      kind: 'status',
      text: `Investigation closed (${input.outcome})${summary ? ': ' + summary : '.'}`,
      data: { outcome: input.outcome },
    });
    const r = await this.d.store.tenant(caller.tenantId).closeInvestigation({
      id: inv.id,
      expectedVersion: inv.version,
      now: this.d.clock.now(),
      outcome: input.outcome,
      summary,
      terminationReason: terminationForOutcome(input.outcome),
      events: [event],
    });
    const t = this.d.store.tenant(caller.tenantId);
    for (const s of r.terminatedSessions) {
      await t.scheduleExtraction(s.id, this.d.clock.now());
      this.d.feed.publish({ type: 'session', tenantId: caller.tenantId, id: s.id });
    }
    this.d.feed.publish({ type: 'investigation', tenantId: caller.tenantId, id: inv.id });
    return {
      investigation: investigationView(r.investigation),
      cancelledTasks: r.cancelledTasks.map((x) => x.id),
      terminatedSessions: r.terminatedSessions.map((x) => x.id),
    };
  }
}

/** Caps of the state document (`get_investigation`, `longhaul://investigations/{id}`). */
export const STATE_LIMITS = { tasks: 50, waits: 50, signals: 20, findings: 20, text: 500, result: 2_000 } as const;

const clipText = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

/**
 * A task in the state document: instructions clipped, and a large result kept in shape
 * but shortened (long strings clipped, long lists cut to their first items, deep
 * nesting elided), so `result.findings[0].citation` still reads as the role wrote it.
 */
function clipTask(v: TaskView): TaskView {
  const result = v.result === null || JSON.stringify(v.result).length <= STATE_LIMITS.result ? v.result : (shorten(v.result, 0) as TaskView['result']);
  return { ...v, instructions: clipText(v.instructions, STATE_LIMITS.text), result };
}

function shorten(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return clipText(value, 300);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= 4) return Array.isArray(value) ? `[${value.length} items]` : '{…}';
  if (Array.isArray(value)) {
    const head = value.slice(0, 8).map((x) => shorten(x, depth + 1));
    return value.length > 8 ? [...head, `…and ${value.length - 8} more (see the timeline)`] : head;
  }
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, x]) => [k, shorten(x, depth + 1)]));
}

function describeDelegation(task: Task, wait: Wait | null): string {
  const head = `Delegated ${task.role} task ${task.id}: ${task.instructions.length > 200 ? task.instructions.slice(0, 197) + '...' : task.instructions}`;
  return wait ? `${head} (waits for signal "${wait.signal}", up to ${formatDuration(wait.deadline - wait.createdAt)})` : head;
}
