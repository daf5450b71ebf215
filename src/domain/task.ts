import { IllegalTransitionError, InvalidInputError } from './errors.js';

export type TaskStatus = 'pending' | 'running' | 'waiting' | 'completed' | 'failed' | 'timed_out' | 'cancelled';
export const TERMINAL_TASK_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'timed_out', 'cancelled'];
export const OPEN_TASK_STATUSES: readonly TaskStatus[] = ['pending', 'running', 'waiting'];

/** Why a task became runnable the last time. Roles branch on it (e.g. escalate on `deadline`). */
export type WakeReason = 'created' | 'signal' | 'deadline' | 'retry' | 'lease_expired';

export interface TaskWaitSpec {
  signal: string;
  timeoutMs: number;
}

export interface Task {
  id: string;
  tenantId: string;
  investigationId: string;
  role: string;
  instructions: string;
  status: TaskStatus;
  /** The wait requested at delegation (`waitFor`), kept for display. */
  waitFor: TaskWaitSpec | null;
  wakeReason: WakeReason | null;
  /** Runnable from this time (pending tasks; indexed for claiming). */
  runAt: number | null;
  leaseOwner: string | null;
  leaseUntil: number | null;
  attempts: number;
  result: unknown;
  error: string | null;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
  version: number;
}

const TRANSITIONS: Record<TaskStatus, readonly TaskStatus[]> = {
  pending: ['running', 'waiting', 'cancelled', 'failed', 'timed_out'],
  running: ['pending', 'waiting', 'completed', 'failed', 'timed_out', 'cancelled'],
  waiting: ['pending', 'timed_out', 'cancelled', 'failed'],
  completed: [],
  failed: [],
  timed_out: [],
  cancelled: [],
};

export const isTerminalTask = (s: TaskStatus) => TERMINAL_TASK_STATUSES.includes(s);

export function canTransitionTask(from: TaskStatus, to: TaskStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTaskTransition(from: TaskStatus, to: TaskStatus): void {
  if (!canTransitionTask(from, to)) {
    throw new IllegalTransitionError('task', from, to, isTerminalTask(from) ? `The task already ended (${from}); delegate a new task instead.` : undefined);
  }
}

/**
 * A runnable task as a claim leaves it: `running`, leased to `owner` until now + leaseMs,
 * one more attempt. A reclaimed `running` task (its lease expired: the process that ran
 * it died) wakes with `lease_expired`. Every store adapter applies this same rule.
 */
export function claimedTask(task: Task, owner: string, now: number, leaseMs: number): Task {
  return {
    ...task,
    status: 'running',
    wakeReason: task.status === 'running' ? 'lease_expired' : task.wakeReason,
    runAt: null,
    leaseOwner: owner,
    leaseUntil: now + leaseMs,
    attempts: task.attempts + 1,
    updatedAt: now,
    version: task.version + 1,
  };
}

/** What a worker's run decided for its task (the store's applyTaskOutcome input, task fields only). */
export interface TaskOutcomeFields {
  status: TaskStatus;
  result?: unknown;
  error?: string | null;
  runAt?: number | null;
  wakeReason?: WakeReason | null;
}

/**
 * A running task as an outcome leaves it: the new status (a legal move from `running`),
 * the given fields, a run time (given; else now when it goes back to `pending`, kept
 * while still `running`, none otherwise), the lease dropped unless still `running`, and
 * `finishedAt` when terminal. Every store adapter applies this same rule.
 */
export function taskAfterOutcome(task: Task, o: TaskOutcomeFields, now: number): Task {
  if (o.status !== 'running') assertTaskTransition('running', o.status);
  const next: Task = { ...task, status: o.status, updatedAt: now, version: task.version + 1 };
  if (o.result !== undefined) next.result = o.result;
  if (o.error !== undefined) next.error = o.error;
  if (o.wakeReason !== undefined) next.wakeReason = o.wakeReason;
  next.runAt = o.runAt !== undefined ? o.runAt : o.status === 'pending' ? now : o.status === 'running' ? task.runAt : null;
  if (o.status !== 'running') {
    next.leaseOwner = null;
    next.leaseUntil = null;
  }
  if (isTerminalTask(o.status)) next.finishedAt = now;
  return next;
}

/**
 * A wait being registered for `task`, checked against the newest signal of its name
 * already delivered (`signal`, or null): a signal that came first resolves the wait at
 * once and makes the task runnable — signals are never lost to a late wait. Every store
 * adapter applies this same rule. Throws when the wait is not the task's.
 */
export function waitOnRegistration(task: Task, wait: Wait, signal: Signal | null, now: number): { task: Task; wait: Wait } {
  if (wait.taskId !== task.id || wait.investigationId !== task.investigationId) {
    throw new InvalidInputError(`wait ${wait.id} must belong to task ${task.id} of investigation ${task.investigationId}.`);
  }
  if (!signal || wait.status !== 'open') return { task, wait };
  return {
    wait: { ...wait, status: 'resolved', resolvedAt: now, signalId: signal.id },
    task: { ...task, status: 'pending', wakeReason: 'signal', runAt: now, leaseOwner: null, leaseUntil: null },
  };
}

export type WaitStatus = 'open' | 'resolved' | 'timed_out' | 'cancelled';

/** A task's durable wait for a named signal, with a deadline. Survives restarts. */
export interface Wait {
  id: string;
  tenantId: string;
  investigationId: string;
  taskId: string;
  signal: string;
  status: WaitStatus;
  createdAt: number;
  deadline: number;
  resolvedAt: number | null;
  /** The signal that resolved it. */
  signalId: string | null;
}

/**
 * A file delivered with a signal (a bank statement as CSV, camt.053 XML, MT940, PDF…):
 * its metadata only. The bytes are stored with the signal, in the same atomic step,
 * and read on demand (TenantStore.readSignalAttachment): signals are listed often,
 * their files rarely.
 */
export interface SignalAttachment {
  /** 0-based position, in the order the files were given. */
  index: number;
  /** A plain file name (no path), e.g. `statement.xml`. */
  name: string;
  /** `type/subtype`, lower-case, e.g. `application/xml`. */
  mediaType: string;
  /** Bytes, decoded. */
  size: number;
  /** SHA-256 of the bytes, lower-case hex. */
  sha256: string;
}

/** External data delivered to an investigation by name. */
export interface Signal {
  id: string;
  tenantId: string;
  investigationId: string;
  name: string;
  payload: unknown;
  /** The files delivered with it, in order (metadata only); `[]` when none. */
  attachments: SignalAttachment[];
  idempotencyKey: string | null;
  receivedAt: number;
  actorId: string;
}

/**
 * A task as cancelling leaves it (cancelTask, or closing its investigation): ended now,
 * nothing scheduled, no lease. Callers check the transition (assertTaskTransition)
 * where a refusal matters. Every store adapter applies this same rule.
 */
export function cancelledTask(task: Task, now: number): Task {
  return { ...task, status: 'cancelled', runAt: null, leaseOwner: null, leaseUntil: null, finishedAt: now, updatedAt: now, version: task.version + 1 };
}

/** An open wait whose deadline passed, as expireWait leaves it. */
export function expiredWait(wait: Wait, now: number): Wait {
  return { ...wait, status: 'timed_out', resolvedAt: now };
}

/**
 * The `waiting` task of a wait that expired: `timed_out` (ended now), or `pending` with
 * wakeReason `deadline`, runnable now, when a worker will handle the escalation. Every
 * store adapter applies this same rule.
 */
export function taskAfterWaitExpiry(task: Task, taskStatus: 'timed_out' | 'pending', now: number): Task {
  return taskStatus === 'timed_out'
    ? { ...task, status: 'timed_out', runAt: null, finishedAt: now, updatedAt: now, version: task.version + 1 }
    : { ...task, status: 'pending', wakeReason: 'deadline', runAt: now, updatedAt: now, version: task.version + 1 };
}

/** An open wait resolved by a signal as it arrives. */
export function resolvedWait(wait: Wait, signal: Pick<Signal, 'id' | 'receivedAt'>): Wait {
  return { ...wait, status: 'resolved', resolvedAt: signal.receivedAt, signalId: signal.id };
}

/** A `waiting` task woken by the signal it waited for: `pending`, runnable from the signal's arrival. */
export function taskWokenBySignal(task: Task, signal: Pick<Signal, 'receivedAt'>): Task {
  return { ...task, status: 'pending', wakeReason: 'signal', runAt: signal.receivedAt, updatedAt: signal.receivedAt, version: task.version + 1 };
}
