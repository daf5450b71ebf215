import { iso } from '../domain/clock.js';
import type { RuntimeDeps } from '../runtime/deps.js';
import { makeEvent } from '../runtime/event-factory.js';
import { SWEEP_BATCH, type Job } from './job.js';

/**
 * What happens to a task whose wait passed its deadline: `timed_out` at once, or
 * `pending` (wakeReason `deadline`) so its role can escalate (the compliance worker
 * files an incomplete report). Decided per role by the worker registry.
 */
export type DeadlinePolicy = (role: string) => 'timed_out' | 'pending';
export const timeOutAtOnce: DeadlinePolicy = () => 'timed_out';

/**
 * Deadline sweep: open waits past their deadline. Each is expired in one store step
 * (wait `timed_out`, task per policy, an event on the investigation); a wait already
 * resolved or expired is skipped, so running twice does nothing more.
 */
export function deadlineSweep(d: RuntimeDeps, intervalMs: number, policy: DeadlinePolicy = timeOutAtOnce, batch = SWEEP_BATCH): Job {
  return {
    name: 'deadlines',
    intervalMs,
    async run() {
      const now = d.clock.now();
      const due = await d.store.dueWaits(now, batch);
      const expired: Array<{ waitId: string; taskId: string; taskStatus: string }> = [];
      for (const w of due) {
        const t = d.store.tenant(w.tenantId);
        const task = await t.getTask(w.taskId);
        const taskStatus = task ? policy(task.role) : 'timed_out';
        const event = makeEvent(d, {
          tenantId: w.tenantId,
          actorId: 'longhaul',
          sessionId: null,
          investigationId: w.investigationId,
          role: 'system',
          kind: 'status',
          text:
            taskStatus === 'timed_out'
              ? `Wait for signal "${w.signal}" passed its deadline (${iso(w.deadline)}); task ${w.taskId} timed out.`
              : `Wait for signal "${w.signal}" passed its deadline (${iso(w.deadline)}); task ${w.taskId} wakes to escalate.`,
          data: { waitId: w.id, taskId: w.taskId, signal: w.signal, deadline: w.deadline },
        });
        const r = await t.expireWait({ waitId: w.id, now, taskStatus, events: [event] });
        if (!r) continue;
        expired.push({ waitId: w.id, taskId: w.taskId, taskStatus });
        d.feed.publish({ type: 'investigation', tenantId: w.tenantId, id: w.investigationId });
        if (taskStatus === 'pending') d.feed.publish({ type: 'tasks', tenantId: w.tenantId, investigationId: w.investigationId });
        d.logger.info('wait timed out', { tenantId: w.tenantId, waitId: w.id, taskId: w.taskId, signal: w.signal, taskStatus });
      }
      const overdue = await flagOverdueInvestigations(d, now, batch);
      return { processed: expired.length + overdue.length, more: due.length === batch || overdue.length === batch, detail: { expired, overdue } };
    },
  };
}

/**
 * Investigations still open past their own deadline (`start_investigation`'s
 * `deadline`): each is flagged overdue once, with an event on its timeline and an inbox
 * item. Nothing is cancelled — whether to extend, close or keep waiting is a person's
 * call.
 */
/** Open tasks an overdue event names by id (the timeline stays small; the count is whole). */
const OVERDUE_TASKS_NAMED = 100;

async function flagOverdueInvestigations(d: RuntimeDeps, now: number, batch: number): Promise<string[]> {
  const flagged: string[] = [];
  for (const inv of await d.store.dueInvestigations(now, batch)) {
    const t = d.store.tenant(inv.tenantId);
    // Bounded: the event names the first OVERDUE_TASKS_NAMED open tasks; the count is whole.
    const [open, counts] = await Promise.all([t.listTasks(inv.id, { open: true, limit: OVERDUE_TASKS_NAMED }), t.countInvestigation(inv.id)]);
    const openCount = Math.max(open.length, counts.openTasks);
    const waiting = open.filter((x) => x.status === 'waiting').length;
    const what = openCount
      ? `${openCount} task(s) still open${waiting ? `, ${waiting}${openCount > open.length ? ` of the first ${open.length}` : ''} waiting for a signal` : ''}`
      : 'no open tasks';
    const text = `Investigation passed its deadline (${iso(inv.deadline!)}) while still open: ${what}. Close it, or keep it open and carry on.`;
    const r = await t.markOverdue({
      id: inv.id,
      now,
      events: [makeEvent(d, { tenantId: inv.tenantId, actorId: 'longhaul', sessionId: null, investigationId: inv.id, role: 'system', kind: 'status', text, data: { deadline: inv.deadline, openTasks: open.map((x) => x.id) } })],
      inbox: [
        {
          id: d.ids('inb'),
          tenantId: inv.tenantId,
          investigationId: inv.id,
          kind: 'overdue',
          title: `Overdue: ${inv.subject}`,
          detail: text,
          taskId: null,
          reportId: null,
          createdAt: now,
        },
      ],
    });
    if (!r) continue;
    flagged.push(inv.id);
    d.feed.publish({ type: 'investigation', tenantId: inv.tenantId, id: inv.id });
    d.feed.publish({ type: 'inbox', tenantId: inv.tenantId });
    d.logger.info('investigation overdue', { tenantId: inv.tenantId, investigationId: inv.id, openTasks: openCount });
  }
  return flagged;
}
