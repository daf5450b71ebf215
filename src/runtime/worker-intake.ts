import type { NewEvent } from '../domain/event.js';
import type { Investigation } from '../domain/investigation.js';
import type { Task } from '../domain/task.js';
import type { RoleRegistry } from '../workers/role.js';
import type { Sources } from '../workers/sources/library.js';
import { workerActor } from '../domain/actors.js';
import type { Caller, RuntimeDeps } from './deps.js';
import type { Sessions } from './sessions.js';
import { openingEvent, rehydrate, roleMemory, workerMemory } from './worker-context.js';

export interface IntakeDeps {
  d: RuntimeDeps;
  sessions: Sessions;
  registry: RoleRegistry;
  sources: (tenantId: string) => Sources;
  /** Task ids this process already looked at (an intake runs once per task). */
  seen: Set<string>;
  /** This process, as it holds store leases: every process on the store hears of a new task, one runs its intake. */
  owner: string;
}

/**
 * The intake lease of a task: held by the process running its intake (released when it
 * ends), then taken by the task's first run, so the two never overlap and no intake starts
 * once the task has run. Expires after INTAKE_LEASE_MS if its holder dies.
 */
export const INTAKE_LEASE_MS = 60_000;
/** How long a first run waits for an intake in flight before it runs anyway. */
export const INTAKE_WAIT_MS = 30_000;
export const intakeLeaseName = (task: Pick<Task, 'tenantId' | 'id'>) => `intake:${task.tenantId}:${task.id}`;

/**
 * Day-0 intake. A task delegated with `waitFor` is born waiting — its wait is durable
 * before any worker runs, so its deadline holds even if no worker ever does — and its
 * role's `run` comes only once the signal or the deadline does. If the role has an
 * `intake`, the task gets one short worker session now: the role notes what it will
 * need and how it will judge (its events are written when it returns), then the
 * session idles and the idle timeout ends it. Once per task, whichever processes hear of
 * it: skipped when the task already has a worker session, and run only by the process
 * that takes the task's intake lease. Best effort — found through this process's change
 * feed, so a task created while no server ran gets none; the wait carries it anyway.
 */
export async function intakeWaitingTasks(x: IntakeDeps, tenantId: string, investigationId: string): Promise<void> {
  const t = x.d.store.tenant(tenantId);
  const tasks = (await t.listTasks(investigationId)).filter((k) => k.status === 'waiting' && k.attempts === 0 && x.registry.get(k.role)?.intake && !x.seen.has(k.id));
  if (!tasks.length) return;
  const workers = await t.listSessions({ investigationId, kind: 'worker', limit: 100 });
  const inv = await t.getInvestigation(investigationId);
  if (!inv || inv.status !== 'open') return;
  for (const task of tasks) {
    x.seen.add(task.id);
    if (workers.some((s) => s.taskId === task.id)) continue;
    // Several processes hear of the task at once (the change feed reaches them all): the
    // store's lease (one atomic step) lets exactly one run its intake.
    const lease = intakeLeaseName(task);
    if (!(await x.d.store.acquireLease(lease, x.owner, INTAKE_LEASE_MS, x.d.clock.now()))) continue;
    try {
      // Looked at again under the lease: the signal may have come meanwhile (a task no longer
      // waiting needs no intake), or another process's intake may have just ended.
      const [now, sessions] = await Promise.all([t.getTask(task.id), t.listSessions({ investigationId, kind: 'worker', limit: 100 })]);
      if (now?.status === 'waiting' && now.attempts === 0 && !sessions.some((s) => s.taskId === task.id)) await runIntake(x, task, inv);
    } finally {
      await x.d.store.releaseLease(lease, x.owner).catch(() => undefined);
    }
  }
}

async function runIntake(x: IntakeDeps, task: Task, inv: Investigation): Promise<void> {
  const { d } = x;
  const t = d.store.tenant(task.tenantId);
  const role = x.registry.get(task.role)!;
  const caller: Caller = { tenantId: task.tenantId, actorId: workerActor(task.role) };
  const session = x.sessions.build(caller, { kind: 'worker', role: task.role, investigationId: inv.id, taskId: task.id });
  await t.createSession(session);
  const buffer: NewEvent[] = [];
  try {
    const mem = workerMemory(d, task.tenantId);
    const r = await rehydrate(t, task, inv, session.id, mem.reads, mem.investigationSummary);
    buffer.push(openingEvent(d, session, task, r, 'intake'));
    await role.intake!({
      task,
      investigation: inv,
      session,
      wake: 'created',
      attempt: 0,
      waits: r.taskWaits,
      signals: r.signals,
      memory: roleMemory(d, mem.reads, { session, investigationId: inv.id }, r, buffer),
      sources: x.sources(task.tenantId),
      readAttachment: async (signalId, index) => (await t.readSignalAttachment(signalId, index))?.content ?? null,
      // Sampling: the client of the actor who delegated the task (the work is on their behalf, on data shared in the tenant).
      model: d.models?.current(task.tenantId, task.createdBy) ?? null,
      clock: d.clock,
      logger: d.logger.child({ tenantId: task.tenantId, investigationId: inv.id, taskId: task.id, role: task.role, sessionId: session.id, intake: true }),
      abort: new AbortController().signal,
      heartbeat: async () => void (await t.heartbeat(session.id, d.clock.now())),
    });
    await t.appendEvents(buffer);
  } finally {
    await x.sessions.endWork(caller, session.id);
    d.feed.publish({ type: 'session', tenantId: task.tenantId, id: session.id });
  }
}
