import { formatDuration } from '../domain/duration.js';
import { ConflictError, InvalidInputError, NotFoundError, IllegalTransitionError } from '../domain/errors.js';
import { assertId } from '../domain/ids.js';
import { terminationForOutcome, type Investigation, type InvestigationOutcome, type InvestigationStatus } from '../domain/investigation.js';
import type { Task, Wait } from '../domain/task.js';
import type { Caller, RuntimeDeps } from './deps.js';
import { makeEvent } from './event-factory.js';
import { investigationState } from './investigation-state.js';
import { LIMITS, assertRole, assertSignalName, assertText, parseDeadline, parseTimeout } from './limits.js';
import type { Sessions } from './sessions.js';
import { COUNT_CAP, investigationView, signalView, taskView, waitView, showing } from './views.js';

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
    // A read keeps the caller's live session alive (at most one write, none in a burst) but
    // does not mark it active and idle around itself: two commits for a millisecond's read.
    const live = await this.sessions.liveSupervisorSession(caller, inv.id);
    if (live) await this.sessions.touch(caller, live.id);
    return this.state(caller, inv);
  }

  /** One task of an investigation, with its full result (`longhaul://investigations/{id}/tasks/{taskId}`). Passive: touches no session. */
  async task(caller: Caller, investigationId: string, taskId: string) {
    const inv = await this.load(caller, investigationId);
    assertId(taskId, 'tsk', 'taskId');
    const task = await this.d.store.tenant(caller.tenantId).getTask(taskId);
    if (!task || task.investigationId !== inv.id) throw new NotFoundError('task', taskId, `get_investigation on ${inv.id} lists its tasks`);
    return taskView(task);
  }

  /** The ids of an investigation's tasks, oldest first (completion of task URIs). */
  async taskIds(caller: Caller, investigationId: string): Promise<string[]> {
    const inv = await this.load(caller, investigationId);
    return (await this.d.store.tenant(caller.tenantId).listTasks(inv.id)).map((t) => t.id);
  }

  /** The state document behind `longhaul://investigations/{id}` (bounded; see investigation-state.ts). */
  state(caller: Caller, inv: Investigation) {
    return investigationState(this.d, caller, inv);
  }

  /** `list_investigations`: newest first, filtered, paged; counted up to COUNT_CAP (then `total` is the cap and "showing" says "1,000+"). */
  async list(caller: Caller, input: { status?: InvestigationStatus; query?: string; limit?: number; cursor?: string | null }) {
    const limit = Math.min(Math.max(input.limit ?? 20, 1), LIMITS.listLimit);
    if (input.query !== undefined && input.query.length > LIMITS.query) throw new InvalidInputError(`query is ${input.query.length} characters; the limit is ${LIMITS.query}.`);
    const page = await this.d.store.tenant(caller.tenantId).listInvestigations({ status: input.status, query: input.query?.trim() || undefined, limit, cursor: input.cursor ?? null, totalCap: COUNT_CAP });
    return {
      investigations: page.items.map(investigationView),
      total: page.total,
      nextCursor: page.nextCursor,
      showing: showing(page.items.length, page.total, 'investigations', page.totalCapped),
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
    // The store made each terminated session's final extraction due in the same step.
    for (const s of r.terminatedSessions) this.d.feed.publish({ type: 'session', tenantId: caller.tenantId, id: s.id });
    this.d.feed.publish({ type: 'investigation', tenantId: caller.tenantId, id: inv.id });
    return {
      investigation: investigationView(r.investigation),
      cancelledTasks: r.cancelledTasks.map((x) => x.id),
      terminatedSessions: r.terminatedSessions.map((x) => x.id),
    };
  }
}

function describeDelegation(task: Task, wait: Wait | null): string {
  const head = `Delegated ${task.role} task ${task.id}: ${task.instructions.length > 200 ? task.instructions.slice(0, 197) + '...' : task.instructions}`;
  return wait ? `${head} (waits for signal "${wait.signal}", up to ${formatDuration(wait.deadline - wait.createdAt)})` : head;
}
