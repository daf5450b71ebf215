import { ConflictError } from '../domain/errors.js';
import type { NewEvent } from '../domain/event.js';
import type { Session } from '../domain/session.js';
import type { Task } from '../domain/task.js';
import { RetryLaterError, UnrecoverableError, type Outcome, type RoleContext, type RoleRegistry } from '../workers/role.js';
import type { Sources } from '../workers/sources/library.js';
import { workerActor } from '../domain/actors.js';
import type { Caller, RuntimeDeps } from './deps.js';
import type { Sessions } from './sessions.js';
import { openingEvent, rehydrate, roleMemory, workerMemory } from './worker-context.js';
import { INTAKE_LEASE_MS, INTAKE_WAIT_MS, intakeLeaseName, intakeWaitingTasks } from './worker-intake.js';
import { planError, planExhausted, planOutcome, type Planned } from './worker-outcome.js';

export interface WorkerSettings {
  /** Tasks run at once in this process. */
  concurrency: number;
  /** Claims before a failing task is `failed`. */
  maxAttempts: number;
  /** A run's lease; a crashed run's task is claimed again after it. */
  leaseMs: number;
  /** First retry delay; doubles per attempt. Default 1s. */
  backoffBaseMs?: number;
  /** Longest retry delay. Default 5 minutes. */
  backoffMaxMs?: number;
  /** Heartbeat period; default a third of the lease and of the idle timeout. */
  heartbeatMs?: number;
}

/** Why a run stopped early: its lease went to another process, or its session hit the maximum duration. */
class RunStopped extends Error {
  constructor(readonly why: 'lease_lost' | 'max_duration' | 'shutdown') {
    super(why === 'lease_lost' ? 'the task lease was lost' : why === 'max_duration' ? 'the worker session reached its maximum duration' : 'the server is shutting down');
  }
}

/** What one run did (for tests, the demo and logs). */
export interface RunReport {
  taskId: string;
  sessionId: string;
  status: string;
  outcome: Outcome['type'] | 'error' | 'lost';
}

/**
 * Runs worker tasks in the background of the server: claims a runnable task with a
 * lease, opens a worker session (`kind: worker`), rehydrates bounded context from
 * memory, runs the role with heartbeats (lease + session), and applies the outcome in
 * one atomic store step. A waiting task's session goes idle (the idle timeout ends
 * it); a finished task's session is terminated `completed`. At most `concurrency`
 * run at once. Driven by the scheduler's worker job (src/scheduler/worker-job.ts; a
 * signal from another process is found there) and by `nudge()` on every `tasks` change
 * (tasks created or made runnable) in this process.
 */
export class WorkerRuntime {
  private readonly running = new Map<string, Promise<RunReport | null>>();
  private filling: Promise<number> | null = null;
  private nudged: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private unsubscribe: (() => void) | null = null;
  private readonly intakeSeen = new Set<string>();
  private readonly intakes = new Set<Promise<void>>();
  private readonly controllers = new Set<AbortController>();
  /** The tenants served now (see the constructor's `tenants`). */
  private readonly tenants: () => readonly string[] | null;

  constructor(
    private readonly d: RuntimeDeps,
    private readonly sessions: Sessions,
    readonly registry: RoleRegistry,
    /** Each tenant's sources (its folders and tables, its own index). */
    readonly sources: (tenantId: string) => Sources,
    private readonly settings: WorkerSettings,
    private readonly owner: string,
    /**
     * The tenants whose tasks this process runs (its sources, rules and model are theirs);
     * null: every tenant. A function is asked on every claim (the set can grow while serving).
     */
    tenants: readonly string[] | null | (() => readonly string[] | null) = null,
  ) {
    this.tenants = typeof tenants === 'function' ? tenants : () => tenants;
  }

  /** Listens for in-process changes (a new task, a signal) to run work at once. */
  start(): void {
    if (this.unsubscribe || this.stopped) return;
    // Only task changes: following every investigation change would put a claim (a
    // store write) behind every record_event.
    this.unsubscribe = this.d.feed.subscribe((c) => {
      if (c.type !== 'tasks') return;
      this.nudge();
      const p = this.intake(c.tenantId, c.investigationId).finally(() => this.intakes.delete(p));
      this.intakes.add(p);
    });
    this.nudge();
  }

  /**
   * Stops claiming and gives running roles `graceMs` to finish; then stops the rest
   * (their sessions end `cancelled`, their leases expire, and another run picks the
   * tasks up: at-least-once).
   */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    const settled = (ms: number) =>
      Promise.race([Promise.allSettled([...this.running.values(), ...this.intakes, this.filling, this.nudged]), new Promise((r) => setTimeout(r, ms).unref())]);
    await settled(graceMs);
    for (const c of this.controllers) c.abort(new RunStopped('shutdown'));
    await settled(1_000);
  }

  /** Claims runnable work soon (coalesced): after a task is delegated or a signal arrives. */
  nudge(): void {
    if (this.stopped) return;
    if (this.filling) {
      this.again = true;
      return;
    }
    if (this.nudged) return;
    // Coalesced: many changes in one tick make one claim pass.
    this.nudged = new Promise<void>((resolve) =>
      setImmediate(() => {
        this.nudged = null;
        void this.fill().finally(resolve);
      }),
    );
  }

  /** Runs in flight now. */
  runningCount(): number {
    return this.running.size;
  }

  /** Claims up to the free slots and starts those runs (without awaiting them). Returns how many started. */
  fill(): Promise<number> {
    if (this.filling) {
      this.again = true;
      return this.filling;
    }
    this.filling = (async () => {
      let started = 0;
      do {
        this.again = false;
        while (!this.stopped && this.running.size < this.settings.concurrency) {
          const task = await this.claim();
          if (!task) break;
          started++;
          const p = this.execute(task)
            .catch((e: unknown) => {
              this.d.logger.error('worker run crashed', { tenantId: task.tenantId, taskId: task.id, error: (e as Error).message });
              return null;
            })
            .finally(() => {
              this.running.delete(task.id);
              this.nudge();
            });
          this.running.set(task.id, p);
        }
      } while (this.again && !this.stopped && this.running.size < this.settings.concurrency);
      return started;
    })().finally(() => (this.filling = null));
    return this.filling;
  }

  /** Claims one task and runs it to the end (tests, the demo). Null when nothing is runnable. */
  async runOnce(): Promise<RunReport | null> {
    const task = await this.claim();
    return task ? this.execute(task) : null;
  }

  /** Resolves when no run or intake is in flight (tests, the demo). */
  async idle(): Promise<void> {
    while (this.running.size || this.filling || this.nudged || this.intakes.size) {
      await Promise.allSettled([...this.running.values(), ...this.intakes, this.filling, this.nudged]);
    }
  }

  /**
   * A task's first run never overlaps its Day-0 intake (which another process may be
   * running: the signal can come while it does). The run takes the task's intake lease —
   * so no intake starts from now on — waiting while an intake holds it, at most
   * INTAKE_WAIT_MS (an intake whose process died holds it until it expires).
   */
  private async afterIntake(task: Task): Promise<void> {
    const name = intakeLeaseName(task);
    const until = this.d.clock.now() + INTAKE_WAIT_MS;
    while (!(await this.d.store.acquireLease(name, this.owner, INTAKE_LEASE_MS, this.d.clock.now()))) {
      if (this.d.clock.now() >= until || this.stopped) return;
      await new Promise((r) => setTimeout(r, 100).unref());
    }
  }

  /** Day-0 intakes of an investigation's new waiting tasks (see worker-intake.ts); once per task across the processes on the store. */
  private async intake(tenantId: string, investigationId: string): Promise<void> {
    if (this.stopped || !this.serves(tenantId)) return;
    try {
      await intakeWaitingTasks({ d: this.d, sessions: this.sessions, registry: this.registry, sources: this.sources, seen: this.intakeSeen, owner: this.owner }, tenantId, investigationId);
    } catch (e) {
      this.d.logger.warn('intake failed', { tenantId, investigationId, error: (e as Error).message });
    }
  }

  private async claim(): Promise<Task | null> {
    try {
      return await this.d.store.claimTask(this.d.clock.now(), this.owner, this.settings.leaseMs, this.registry.names(), this.tenants() ?? undefined);
    } catch (e) {
      this.d.logger.error('cannot claim worker tasks', { error: (e as Error).message });
      return null;
    }
  }

  /**
   * A task reclaimed after its lease expired once its attempts are spent. Only then:
   * attempts count every claim, and a task woken by a signal or a deadline after a
   * wait runs whatever its count (a failing run is capped by planError instead).
   */
  private exhausted(task: Task): boolean {
    return task.wakeReason === 'lease_expired' && task.attempts > this.settings.maxAttempts;
  }

  private serves(tenantId: string): boolean {
    const tenants = this.tenants();
    return tenants === null || tenants.includes(tenantId);
  }

  private heartbeatMs(): number {
    const s = this.settings;
    return Math.max(50, s.heartbeatMs ?? Math.min(s.leaseMs / 3, this.d.settings.idleTimeoutMs / 3, 10_000));
  }

  private async execute(task: Task): Promise<RunReport> {
    const { d } = this;
    const t = d.store.tenant(task.tenantId);
    const role = this.registry.get(task.role)!;
    const caller: Caller = { tenantId: task.tenantId, actorId: workerActor(task.role) };
    const inv = await t.getInvestigation(task.investigationId);
    if (!inv) throw new Error(`investigation ${task.investigationId} of task ${task.id} is missing`);
    if (task.attempts === 1 && role.intake) await this.afterIntake(task);
    const session = this.sessions.build(caller, { kind: 'worker', role: task.role, investigationId: inv.id, taskId: task.id });
    await t.createSession(session);
    d.feed.publish({ type: 'session', tenantId: task.tenantId, id: session.id });
    // Every record of a run names its tenant: the MCP logging bridge forwards a record
    // only to connections of that tenant.
    const log = d.logger.child({ tenantId: task.tenantId, investigationId: task.investigationId, taskId: task.id, role: task.role, sessionId: session.id });
    if (this.exhausted(task)) {
      // Claimed again after its lease expired with its attempts spent: the role is not
      // run again (it may be what kills the process); the task fails for good.
      const stoppedEachTime = task.error === null && (await t.listWaits(inv.id, { taskId: task.id, limit: 1 })).length === 0;
      log.warn('worker task gave up: its runs kept stopping mid-run', { attempts: task.attempts, maxAttempts: this.settings.maxAttempts });
      return this.apply(caller, task, session.id, planExhausted(d, { task, inv, session, owner: this.owner, maxAttempts: this.settings.maxAttempts, stoppedEachTime }));
    }
    const ctl = new AbortController();
    this.controllers.add(ctl);
    const buffer: NewEvent[] = [];
    let timer: NodeJS.Timeout | null = null;
    // Heartbeats: the lease (so no other process takes the task) and the session (so the
    // idle timeout does not end an active run). A lost lease or a session past its
    // maximum duration stops the run.
    const beat = async () => {
      const now = d.clock.now();
      if (!(await t.extendTaskLease(task.id, this.owner, now + this.settings.leaseMs))) ctl.abort(new RunStopped('lease_lost'));
      const s = await t.heartbeat(session.id, now);
      if (s.status === 'terminated') ctl.abort(new RunStopped('max_duration'));
    };
    let planned: Planned;
    let ran = false;
    try {
      timer = setInterval(() => void beat().catch((e: unknown) => log.warn('heartbeat failed', { error: (e as Error).message })), this.heartbeatMs());
      timer.unref();
      // Preparing the run (rehydration) can fail like the role can: both are retried.
      const mem = workerMemory(d, task.tenantId);
      const r = await rehydrate(t, task, inv, session.id, mem.reads, mem.investigationSummary);
      await t.appendEvents([openingEvent(d, session, task, r, 'run')]);
      const ctx: RoleContext = {
        task,
        investigation: inv,
        session,
        wake: task.wakeReason ?? 'created',
        attempt: task.attempts,
        waits: r.taskWaits,
        signals: r.signals,
        memory: roleMemory(d, mem.reads, { session, investigationId: inv.id }, r, buffer),
        sources: this.sources(task.tenantId),
        readAttachment: async (signalId, index) => (await t.readSignalAttachment(signalId, index))?.content ?? null,
        // Sampling: the client of the actor who delegated the task (the work is on their behalf, on data shared in the tenant).
        model: d.models?.current(task.tenantId, task.createdBy) ?? null,
        clock: d.clock,
        logger: log,
        abort: ctl.signal,
        async heartbeat() {
          await beat();
          if (ctl.signal.aborted) throw ctl.signal.reason;
        },
      };
      const stopped = new Promise<never>((_, reject) => ctl.signal.addEventListener('abort', () => reject(ctl.signal.reason), { once: true }));
      ran = true;
      const running = role.run(ctx);
      // Whichever loses the race must not surface later as an unhandled rejection.
      stopped.catch(() => undefined);
      running.catch(() => undefined);
      const outcome = await Promise.race([running, stopped]);
      if (outcome.type === 'wait' && r.signals.some((x) => x.name === outcome.signal)) {
        // A wait on a delivered signal resolves at once: it would wake the task forever.
        throw new UnrecoverableError(`role ${task.role} waited for signal "${outcome.signal}", which was already delivered; it must use the signal (or wait for another name).`);
      }
      planned = planOutcome(d, { task, inv, session, owner: this.owner, events: buffer, outcome });
    } catch (e) {
      if (e instanceof RunStopped && e.why !== 'max_duration') {
        log.warn('worker run stopped', { why: e.why });
        await this.sessions.terminate(caller, session.id, 'cancelled');
        await this.release(session, ran);
        return { taskId: task.id, sessionId: session.id, status: 'running', outcome: 'lost' };
      }
      const error = e instanceof Error ? e.message : String(e);
      const retryable = !(e instanceof UnrecoverableError);
      const delayMs = e instanceof RetryLaterError ? e.delayMs : this.backoff(task.attempts);
      log.warn('worker run failed', { error, attempt: task.attempts, retryable });
      planned = planError(d, { task, inv, session, owner: this.owner, error, retryable, maxAttempts: this.settings.maxAttempts, delayMs });
    } finally {
      if (timer) clearInterval(timer);
      this.controllers.delete(ctl);
    }
    const report = await this.apply(caller, task, session.id, planned);
    await this.release(session, ran);
    return report;
  }

  /** After a run of the role: what it holds for this worker session outside longhaul is released (RuntimeDeps.releaseWorkerSession). */
  private async release(session: Session, ran: boolean): Promise<void> {
    if (!ran || !this.d.releaseWorkerSession) return;
    try {
      await this.d.releaseWorkerSession(session);
    } catch (e) {
      this.d.logger.warn('worker session release failed', { tenantId: session.tenantId, sessionId: session.id, error: (e as Error).message });
    }
  }

  private async apply(caller: Caller, task: Task, sessionId: string, p: Planned): Promise<RunReport> {
    const { d } = this;
    const t = d.store.tenant(task.tenantId);
    try {
      const r = await t.applyTaskOutcome(p.input);
      if (p.terminal) await this.sessions.terminate(caller, sessionId, 'completed');
      else await this.sessions.endWork(caller, sessionId);
      await t.touchInvestigation(task.investigationId, d.clock.now()).catch(() => undefined);
      d.feed.publish({ type: 'investigation', tenantId: task.tenantId, id: task.investigationId });
      if (r.task.status === 'pending') d.feed.publish({ type: 'tasks', tenantId: task.tenantId, investigationId: task.investigationId });
      if (p.report) d.feed.publish({ type: 'report', tenantId: task.tenantId, investigationId: task.investigationId });
      if (p.inbox) d.feed.publish({ type: 'inbox', tenantId: task.tenantId });
      d.logger.info('worker task outcome', { tenantId: task.tenantId, investigationId: task.investigationId, taskId: task.id, role: task.role, status: r.task.status, sessionId, reportId: p.report?.id });
      const kind: RunReport['outcome'] = p.input.status === 'pending' ? 'error' : p.input.status === 'waiting' ? 'wait' : (p.input.status as RunReport['outcome']);
      return { taskId: task.id, sessionId, status: r.task.status, outcome: kind };
    } catch (e) {
      // Another process took the task over (our lease expired), or it was cancelled:
      // its outcome is no longer ours to write. Anything else: the lease expires and
      // the task runs again (at-least-once).
      if (e instanceof ConflictError) d.logger.warn('worker outcome discarded: lease lost', { tenantId: task.tenantId, taskId: task.id, sessionId });
      else d.logger.error('worker outcome not applied; the task runs again after its lease', { tenantId: task.tenantId, taskId: task.id, sessionId, error: (e as Error).message });
      await this.sessions.terminate(caller, sessionId, 'cancelled');
      return { taskId: task.id, sessionId, status: 'unknown', outcome: 'lost' };
    }
  }

  private backoff(attempts: number): number {
    const base = this.settings.backoffBaseMs ?? 1_000;
    const max = this.settings.backoffMaxMs ?? 300_000;
    return Math.min(max, base * 2 ** Math.max(0, attempts - 1));
  }
}
