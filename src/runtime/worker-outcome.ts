import { iso } from '../domain/clock.js';
import { formatDuration } from '../domain/duration.js';
import type { NewEvent } from '../domain/event.js';
import type { Investigation } from '../domain/investigation.js';
import { namespaces } from '../domain/namespace.js';
import type { MemoryRecord } from '../domain/record.js';
import type { InboxItem, InboxKind, Report } from '../domain/report.js';
import type { Session } from '../domain/session.js';
import type { Task, Wait } from '../domain/task.js';
import { textKey } from '../memory/text.js';
import type { TenantStore } from '../store/port.js';
import type { Outcome, ReportDraft } from '../workers/role.js';
import type { RuntimeDeps } from './deps.js';
import { makeEvent } from './event-factory.js';

type ApplyInput = Parameters<TenantStore['applyTaskOutcome']>[0];

export interface Planned {
  input: ApplyInput;
  report: Report | null;
  inbox: InboxItem | null;
  /** The task ends: its session is terminated `completed` (otherwise it idles out). */
  terminal: boolean;
}

type D = Pick<RuntimeDeps, 'clock' | 'ids' | 'settings'>;

const clip = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

/**
 * Turns a role's outcome into one `applyTaskOutcome` step: the task's new status, the
 * run's buffered events plus a closing event, a new wait, and for a report its Report
 * row, its record in `investigations/{id}/reports` and an inbox item.
 */
export function planOutcome(d: D, o: { task: Task; inv: Investigation; session: Session; owner: string; events: NewEvent[]; outcome: Outcome }): Planned {
  const { task, inv, session, outcome } = o;
  const now = d.clock.now();
  const ev = (kind: 'status' | 'decision', text: string, data: unknown) =>
    makeEvent(d, { tenantId: task.tenantId, actorId: session.actorId, sessionId: session.id, investigationId: inv.id, role: 'system', kind, text: clip(text, 2_000), data });
  const base: ApplyInput = { taskId: task.id, leaseOwner: o.owner, now, status: 'completed', events: [...o.events] };
  const fileReport = (draft: ReportDraft, kind: InboxKind, inboxTitle: string) => {
    const report: Report = {
      id: d.ids('rpt'),
      tenantId: task.tenantId,
      investigationId: inv.id,
      taskId: task.id,
      complete: draft.complete,
      title: clip(draft.title, 200),
      markdown: draft.markdown,
      createdAt: now,
    };
    const inbox: InboxItem = {
      id: d.ids('inb'),
      tenantId: task.tenantId,
      investigationId: inv.id,
      kind,
      title: clip(inboxTitle, 200),
      detail: clip(draft.summary, 1_000),
      taskId: task.id,
      reportId: report.id,
      createdAt: now,
    };
    const text = `${report.title} (${report.id}, ${iso(now)}): ${draft.summary}`;
    const record: MemoryRecord = {
      id: d.ids('rec'),
      tenantId: task.tenantId,
      namespace: namespaces.investigationReports(inv.id),
      strategy: 'report',
      text,
      textKey: textKey(text),
      topicKey: null,
      status: 'active',
      supersededBy: null,
      // "Why do you remember this?": the run's own events (its findings and flags).
      sourceEventIds: o.events.map((e) => e.id).slice(0, 200),
      sessionId: session.id,
      investigationId: inv.id,
      actorId: session.actorId,
      createdAt: now,
      updatedAt: now,
    };
    base.reports = [report];
    base.inbox = [inbox];
    base.records = [record];
    base.events!.push(ev('decision', `${draft.complete ? 'Report' : 'Incomplete report'} filed: ${report.title} (${report.id}). ${draft.summary}`, { reportId: report.id, complete: draft.complete, taskId: task.id }));
    return { report, inbox };
  };

  switch (outcome.type) {
    case 'completed': {
      const r = outcome.report ? fileReport(outcome.report, 'report', `Report to review: ${inv.subject}`) : null;
      base.status = 'completed';
      base.result = withSummary(outcome.result, outcome.summary);
      base.error = null;
      base.events!.push(ev('status', `${task.role} task ${task.id} completed: ${outcome.summary}`, { taskId: task.id, status: 'completed' }));
      return { input: base, report: r?.report ?? null, inbox: r?.inbox ?? null, terminal: true };
    }
    case 'wait': {
      const w: Wait = {
        id: d.ids('wait'),
        tenantId: task.tenantId,
        investigationId: inv.id,
        taskId: task.id,
        signal: outcome.signal,
        status: 'open',
        createdAt: now,
        deadline: outcome.deadline,
        resolvedAt: null,
        signalId: null,
      };
      base.status = 'waiting';
      base.wait = w;
      base.events!.push(
        ev('status', `${task.role} task ${task.id} waits for signal "${outcome.signal}" until ${iso(outcome.deadline)} (${formatDuration(outcome.deadline - now)} from now).${outcome.note ? ' ' + outcome.note : ''}`, {
          taskId: task.id,
          status: 'waiting',
          signal: outcome.signal,
          deadline: outcome.deadline,
        }),
      );
      return { input: base, report: null, inbox: null, terminal: false };
    }
    case 'timed_out': {
      const r = fileReport(outcome.report, 'escalation', `Escalation: ${inv.subject} — ${outcome.missing[0] ?? 'deadline passed'}`);
      base.status = 'timed_out';
      base.result = { summary: outcome.report.summary, missing: outcome.missing, reportId: r.report.id };
      base.error = null;
      base.events!.push(ev('decision', `Escalation: ${task.role} task ${task.id} timed out. Missing: ${outcome.missing.join(' ')}`, { taskId: task.id, status: 'timed_out', missing: outcome.missing }));
      return { input: base, report: r.report, inbox: r.inbox, terminal: true };
    }
    case 'failed':
      return planFailure(d, { ...o, base, error: outcome.error, report: outcome.report ?? null, fileReport });
  }
}

/** A terminal failure: status `failed` and an inbox item (a person decides what now). */
function planFailure(
  d: D,
  o: {
    task: Task;
    inv: Investigation;
    session: Session;
    base: ApplyInput;
    error: string;
    report: ReportDraft | null;
    fileReport: (r: ReportDraft, k: InboxKind, t: string) => { report: Report; inbox: InboxItem };
    /** Runs the task had (default its attempts: every claim ran the role). */
    runs?: number;
  },
): Planned {
  const { task, inv, session, base } = o;
  const now = d.clock.now();
  let report: Report | null = null;
  let inbox: InboxItem;
  if (o.report) ({ report, inbox } = o.fileReport(o.report, 'failed_task', `Task failed: ${task.role} on ${inv.subject}`));
  else {
    inbox = { id: d.ids('inb'), tenantId: task.tenantId, investigationId: inv.id, kind: 'failed_task', title: clip(`Task failed: ${task.role} on ${inv.subject}`, 200), detail: clip(o.error, 1_000), taskId: task.id, reportId: null, createdAt: now };
    base.inbox = [inbox];
  }
  base.status = 'failed';
  base.error = clip(o.error, 2_000);
  base.events!.push(
    makeEvent(d, { tenantId: task.tenantId, actorId: session.actorId, sessionId: session.id, investigationId: inv.id, role: 'system', kind: 'status', text: clip(`${task.role} task ${task.id} failed after ${o.runs ?? task.attempts} attempt(s): ${o.error}`, 2_000), data: { taskId: task.id, status: 'failed', attempts: o.runs ?? task.attempts } }),
  );
  return { input: base, report, inbox, terminal: true };
}

/**
 * A run that threw: retry with exponential backoff while attempts remain (its buffered
 * events are dropped — the retry records them again), else fail for good.
 */
export function planError(
  d: D,
  o: { task: Task; inv: Investigation; session: Session; owner: string; error: string; retryable: boolean; maxAttempts: number; delayMs: number },
): Planned {
  const { task, inv, session } = o;
  const now = d.clock.now();
  const base: ApplyInput = { taskId: task.id, leaseOwner: o.owner, now, status: 'pending', events: [] };
  if (o.retryable && task.attempts < o.maxAttempts) {
    const runAt = now + o.delayMs;
    base.runAt = runAt;
    base.wakeReason = 'retry';
    base.error = clip(o.error, 2_000);
    base.events!.push(
      makeEvent(d, {
        tenantId: task.tenantId,
        actorId: session.actorId,
        sessionId: session.id,
        investigationId: inv.id,
        role: 'system',
        kind: 'status',
        text: clip(`${task.role} task ${task.id}: attempt ${task.attempts} of ${o.maxAttempts} failed (${o.error}); retrying at ${iso(runAt)}.`, 2_000),
        data: { taskId: task.id, status: 'pending', attempt: task.attempts, retryAt: runAt },
      }),
    );
    return { input: base, report: null, inbox: null, terminal: false };
  }
  const fileReport = () => {
    throw new Error('unreachable');
  };
  return planFailure(d, { task, inv, session, base, error: o.retryable ? `${o.error} (gave up after ${task.attempts} attempts)` : o.error, report: null, fileReport });
}

/**
 * A task claimed again after its lease expired, with its attempts spent: the runs
 * before this claim never finished — the process running each died or lost its lease
 * mid-run (a role that kills the process would otherwise be reclaimed forever). It
 * fails for good without running again: status `failed`, a `failed_task` inbox item.
 * `stoppedEachTime`: no run ever ended with an error or a wait, so every one of them
 * stopped mid-run.
 */
export function planExhausted(d: D, o: { task: Task; inv: Investigation; session: Session; owner: string; maxAttempts: number; stoppedEachTime: boolean }): Planned {
  const { task } = o;
  const runs = task.attempts - 1;
  const error = o.stoppedEachTime
    ? `${task.role} task ran ${runs} times without finishing; the process stopped mid-run each time (it died or lost the task's lease), so it is not run again (at most ${o.maxAttempts} attempts).`
    : `${task.role} task ran ${runs} times without finishing (at most ${o.maxAttempts} attempts); its last run stopped mid-run (the process died or lost the task's lease), so it is not run again.${task.error ? ` Earlier error: ${task.error}` : ''}`;
  const base: ApplyInput = { taskId: task.id, leaseOwner: o.owner, now: d.clock.now(), status: 'failed', events: [] };
  const fileReport = () => {
    throw new Error('unreachable');
  };
  return planFailure(d, { task, inv: o.inv, session: o.session, base, error, report: null, fileReport, runs });
}

function withSummary(result: unknown, summary: string): unknown {
  if (result && typeof result === 'object' && !Array.isArray(result)) return { summary, ...(result as Record<string, unknown>) };
  return { summary, value: result ?? null };
}
