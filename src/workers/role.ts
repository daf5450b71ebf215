/**
 * The worker role interface. A role gets a context (its task, the investigation, its
 * worker session, why it woke, the signals delivered for it, bounded memory, the
 * document sources, a model or none, the clock) and returns an outcome. The worker
 * runtime (src/runtime/worker-runtime.ts) claims the task, builds the context, and
 * applies the outcome in one atomic store step. Built-in roles: retrieval, compliance;
 * custom roles register the same way.
 *
 * Roles must be idempotent: a run can happen twice (a lease expired while it ran).
 * That is why events a role records are buffered and written with its outcome — a
 * run that dies leaves nothing half-written.
 */
import type { Clock } from '../domain/clock.js';
import type { EventKind, MemoryEvent } from '../domain/event.js';
import { InvalidInputError } from '../domain/errors.js';
import type { Investigation } from '../domain/investigation.js';
import type { MemoryRecord, ScoredRecord } from '../domain/record.js';
import type { Session } from '../domain/session.js';
import type { Signal, Task, Wait, WakeReason } from '../domain/task.js';
import type { Logger } from '../logger.js';
import type { Model } from '../runtime/model.js';
import type { DeadlinePolicy } from '../scheduler/deadline-sweep.js';
import type { Sources } from './sources/library.js';

/** What a role remembers when it wakes: bounded, rehydrated from the store. */
export interface RoleMemory {
  /** Session summaries of the investigation (long-term memory), newest first. */
  readonly summaries: readonly MemoryRecord[];
  /** The investigation's facts (`investigations/{id}/facts`), most relevant first; at most 20. */
  readonly facts: readonly MemoryRecord[];
  /** Every open wait of the investigation. */
  readonly openWaits: readonly Wait[];
  /** The investigation's latest events, oldest first; at most 50. */
  readonly recentEvents: readonly MemoryEvent[];
  /** The investigation's latest `finding` events (however old), oldest first; at most 20. */
  readonly findings: readonly MemoryEvent[];
  /** Ranked long-term memory search (the investigation's namespace unless another prefix is given). */
  search(query: string, opts?: { topK?: number; namespacePrefix?: string }): Promise<ScoredRecord[]>;
  /** Records an event in the worker session; written atomically with the outcome. */
  record(e: { kind: EventKind; text: string; data?: unknown }): void;
}

export interface RoleContext {
  readonly task: Task;
  readonly investigation: Investigation;
  /** This run's worker session (`kind: worker`). A new one every run. */
  readonly session: Session;
  readonly wake: WakeReason;
  /** 1 for the first run; counts every claim (retries and lease expiries included). */
  readonly attempt: number;
  /** This task's waits, in any status (resolved ones name the signal that resolved them). */
  readonly waits: readonly Wait[];
  /** Signals delivered to the investigation under the names this task waits or waited for, oldest first. */
  readonly signals: readonly Signal[];
  readonly memory: RoleMemory;
  /** This tenant's sources (folders and database tables); none configured → `configured` is false. */
  readonly sources: Sources;
  /** The bytes of one of a signal's attachments (`signals[i].attachments[j].index`), or null when absent. */
  readAttachment(signalId: string, index: number): Promise<Uint8Array | null>;
  /** Null: take the deterministic path. A ModelError from it must never fail the task. */
  readonly model: Model | null;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Aborted when the run must stop (its lease was lost, its session hit the maximum duration). */
  readonly abort: AbortSignal;
  /** Keeps the lease and the session alive during a long step (the runtime also beats on a timer). */
  heartbeat(): Promise<void>;
}

/** A report the runtime files: a Report row, a record in `investigations/{id}/reports`, an inbox item. */
export interface ReportDraft {
  title: string;
  markdown: string;
  /** False for an escalation's incomplete report. */
  complete: boolean;
  /** One line for the inbox and the briefing. */
  summary: string;
}

export type Outcome =
  | { type: 'completed'; result: unknown; summary: string; report?: ReportDraft }
  | { type: 'wait'; signal: string; deadline: number; note?: string }
  | { type: 'failed'; error: string; report?: ReportDraft }
  /** An escalation: the deadline passed first; the report says what is missing. */
  | { type: 'timed_out'; report: ReportDraft; missing: string[] };

export const completed = (result: unknown, summary: string, report?: ReportDraft): Outcome => ({ type: 'completed', result, summary, report });
/** Waits for `signal` until `deadline` (epoch ms). A signal already delivered resolves it at once. */
export const wait = (signal: string, deadline: number, note?: string): Outcome => ({ type: 'wait', signal, deadline, note });
/** The role decided the task cannot be done: failed at once, no retry. */
export const failed = (error: string, report?: ReportDraft): Outcome => ({ type: 'failed', error, report });
export const timedOut = (report: ReportDraft, missing: string[]): Outcome => ({ type: 'timed_out', report, missing });

/**
 * Thrown by a role: the task fails at once, without the retries an ordinary error
 * gets (like BullMQ's UnrecoverableError). For inputs no retry can fix.
 */
export class UnrecoverableError extends Error {
  override readonly name = 'UnrecoverableError';
}

/**
 * Thrown by a role: run again after `delayMs` (a rate limit, a model that is not
 * reachable yet) instead of the exponential backoff. Counts as an attempt.
 */
export class RetryLaterError extends Error {
  override readonly name = 'RetryLaterError';
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}

export interface Role {
  /** The name tasks are delegated to (`retrieval`). Lower-case, as `assertRole` accepts. */
  readonly name: string;
  /** One line for prompts and logs. */
  readonly description: string;
  /**
   * What the deadline sweep does when this role's wait passes its deadline:
   * `escalate` wakes the task (pending, wakeReason `deadline`) so `run` can file an
   * escalation; `time_out` marks it `timed_out` at once.
   */
  readonly onDeadline: 'escalate' | 'time_out';
  run(ctx: RoleContext): Promise<Outcome>;
  /**
   * Optional Day-0 step for a task delegated with `waitFor` (born waiting, so `run`
   * comes only once the signal or the deadline does): note in memory what the task
   * will need and how it will judge. Runs in its own worker session, which then idles
   * and times out. Best effort: the durable wait, not the intake, carries the task.
   */
  intake?(ctx: RoleContext): Promise<void>;
}

/** The roles this process runs. Also the scheduler's deadline policy. */
export class RoleRegistry {
  private readonly roles = new Map<string, Role>();

  constructor(roles: readonly Role[] = []) {
    for (const r of roles) this.register(r);
  }

  /** Adds a role; a second role of the same name is a wiring mistake. */
  register(role: Role): this {
    if (!/^[a-z][a-z0-9_-]{0,63}$/.test(role.name)) throw new InvalidInputError(`role name "${role.name}" is not valid; use lower-case letters, digits, "_" or "-".`);
    if (this.roles.has(role.name)) throw new InvalidInputError(`A role named "${role.name}" is already registered.`);
    this.roles.set(role.name, role);
    return this;
  }

  get(name: string): Role | undefined {
    return this.roles.get(name);
  }

  names(): string[] {
    return [...this.roles.keys()];
  }

  list(): Role[] {
    return [...this.roles.values()];
  }

  /** Roles that escalate get `pending` on a deadline; all others (and unknown roles) time out. */
  readonly deadlinePolicy: DeadlinePolicy = (role) => (this.roles.get(role)?.onDeadline === 'escalate' ? 'pending' : 'timed_out');
}
