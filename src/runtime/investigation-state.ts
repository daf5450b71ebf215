import { iso } from '../domain/clock.js';
import type { Investigation } from '../domain/investigation.js';
import type { Caller, RuntimeDeps } from './deps.js';
import { COUNT_CAP, eventView, investigationView, sessionView, showing, signalView, taskView, waitView, type TaskView } from './views.js';

/** Caps of the state document (`get_investigation`, `longhaul://investigations/{id}`). */
/** Findings are counted up to this many ("1,000+"): counting them all grows with the investigation, on every read. */
const FINDINGS_COUNT_CAP = COUNT_CAP;

export const STATE_LIMITS = { tasks: 50, waits: 50, signals: 20, findings: 20, text: 500, result: 2_000 } as const;

const clipText = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

/**
 * A task in the state document: instructions clipped, and a large result kept in shape
 * but shortened (long strings clipped, long lists cut to their first items, deep
 * nesting elided), so `result.findings[0].citation` still reads as the role wrote it
 * and every item of a list is still an item the role wrote. `resultShortened` says so,
 * and the task's `uri` serves the whole result.
 */
function clipTask(v: TaskView): TaskView {
  const instructions = clipText(v.instructions, STATE_LIMITS.text);
  if (v.result === null || JSON.stringify(v.result).length <= STATE_LIMITS.result) return { ...v, instructions };
  return { ...v, instructions, result: shorten(v.result, 0) as TaskView['result'], resultShortened: true };
}

function shorten(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return clipText(value, 300);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= 4) return Array.isArray(value) ? `[${value.length} items]` : '{…}';
  if (Array.isArray(value)) return value.slice(0, 8).map((x) => shorten(x, depth + 1));
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, x]) => [k, shorten(x, depth + 1)]));
}

/** The state document behind `longhaul://investigations/{id}` and `get_investigation`. */
export async function investigationState(d: RuntimeDeps, caller: Caller, inv: Investigation) {
  const t = d.store.tenant(caller.tenantId);
  const L = STATE_LIMITS;
  // Bounded whatever the investigation's size: open work first, then the newest of the
  // rest, each list read with a limit and counted ("showing X of Y"); long texts clipped
  // (the timeline, task and report resources hold them whole).
  const [openTasks, endedTasks, openWaits, endedWaits, newestSignals, sessions, findings, [latest], counts] = await Promise.all([
    t.listTasks(inv.id, { open: true, limit: L.tasks }),
    t.listTasks(inv.id, { open: false, order: 'desc', limit: L.tasks }),
    t.listWaits(inv.id, { open: true, limit: L.waits }),
    t.listWaits(inv.id, { open: false, order: 'desc', limit: L.waits }),
    t.listSignals(inv.id, undefined, { order: 'desc', limit: L.signals }),
    t.listSessions({ investigationId: inv.id, limit: 50 }),
    t.listEvents({ investigationId: inv.id, kinds: ['finding'], limit: L.findings, order: 'desc', totalCap: FINDINGS_COUNT_CAP }),
    t.listReports(inv.id, { limit: 1 }),
    t.countInvestigation(inv.id),
  ]);
  // Separate reads: a task that ended between them would be in both.
  const shownTasks = uniqueById([...openTasks, ...endedTasks]).slice(0, L.tasks);
  const shownWaits = uniqueById([...openWaits, ...endedWaits]).slice(0, L.waits);
  const shownSignals = newestSignals.reverse();
  // The counts are a separate read: a write in between must not make "showing 3 of 2".
  const total = (shown: number, counted: number) => Math.max(shown, counted);
  return {
    investigation: investigationView(inv),
    tasks: shownTasks.sort(byCreation).map((x) => clipTask(taskView(x))),
    waits: shownWaits.sort(byCreation).map(waitView),
    signals: shownSignals.map(signalView),
    shown: {
      tasks: showing(shownTasks.length, total(shownTasks.length, counts.tasks), 'tasks (open ones first, then the newest)'),
      waits: showing(shownWaits.length, total(shownWaits.length, counts.waits), 'waits (open ones first, then the newest)'),
      signals: showing(shownSignals.length, total(shownSignals.length, counts.signals), 'signals (the newest)'),
    },
    findings: findings.items.slice(0, L.findings).map((e) => ({ ...eventView(e), text: clipText(e.text, L.text) })),
    findingsShown: showing(Math.min(findings.items.length, L.findings), findings.total, 'findings (newest first)', findings.totalCapped),
    sessions: sessions.map(sessionView),
    report: latest
      ? { uri: `longhaul://investigations/${inv.id}/report`, reportId: latest.id, title: latest.title, complete: latest.complete, filedAt: iso(latest.createdAt), filings: total(1, counts.reports) }
      : null,
  };
}

function uniqueById<T extends { id: string }>(items: T[]): T[] {
  const seen = new Set<string>();
  return items.filter((x) => !seen.has(x.id) && !!seen.add(x.id));
}

const byCreation = (a: { createdAt: number; id: string }, b: { createdAt: number; id: string }) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1);
