import type { App } from '../../app.js';
import type { Caller } from '../../runtime/deps.js';

/** An investigation's subject, its signals and the open tasks of one role: what a worker prompt adds. */
export async function roleTasks(caller: Caller, app: App, investigationId: string, role: string): Promise<string> {
  const inv = await app.runtime.investigations.load(caller, investigationId);
  const state = await app.runtime.investigations.state(caller, inv);
  const tasks = state.tasks.filter((t) => t.role === role);
  const open = tasks.filter((t) => t.status === 'pending' || t.status === 'running' || t.status === 'waiting');
  const lines = [
    `Investigation ${inv.id}: ${inv.subject}`,
    `Objective: ${inv.objective}`,
    state.signals.length ? `Signals delivered: ${state.signals.map((s) => `"${s.name}" (${s.signalId}, ${s.receivedAt})`).join('; ')}` : 'Signals delivered: none yet.',
    open.length ? `Open ${role} tasks:` : `No open ${role} task on it (${tasks.length} in all).`,
    ...open.map((t) => {
      const w = state.waits.find((x) => x.taskId === t.taskId && x.status === 'open');
      return `- ${t.taskId} (${t.status}${w ? `, waits for "${w.signal}" until ${w.deadline}` : ''}): ${t.instructions}`;
    }),
  ];
  if (state.report) lines.push(`Latest report: ${state.report.uri} (${state.report.complete ? 'complete' : 'incomplete'}, filed ${state.report.filedAt})`);
  return lines.join('\n');
}
