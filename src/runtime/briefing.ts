import { iso } from '../domain/clock.js';
import { formatDuration } from '../domain/duration.js';
import type { Investigation } from '../domain/investigation.js';
import { namespaces } from '../domain/namespace.js';
import type { MemoryRecord } from '../domain/record.js';
import type { Report } from '../domain/report.js';
import { isTerminalTask, type Task, type Wait } from '../domain/task.js';
import { memoryOf, type Caller, type RuntimeDeps } from './deps.js';
import { COUNT_CAP, showing } from './views.js';

/** The briefing's hard cap: ≈1,500 tokens. */
export const BRIEFING_MAX_CHARS = 6_000;

/**
 * Items the briefing reads of each list: open tasks, ended tasks (newest first), open
 * waits, ended waits, signals and reports (newest first). Beyond that it says what it
 * did not read ("showing X of Y") instead of loading an unbounded list.
 */
export const BRIEFING_READ_LIMIT = 200;

export interface Briefing {
  investigationId: string;
  since: string | null;
  text: string;
  counts: { tasksFinished: number; signals: number; timeouts: number; reports: number; openTasks: number; openWaits: number; eventsTotal: number };
}

const clip = (s: string, n: number) => {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? one.slice(0, n - 1) + '…' : one;
};

/**
 * A section every item of which must be accounted for: items are listed while they
 * fit, and the rest are summarised as counts (`overflow`) — never silently dropped.
 */
interface Section {
  title: string;
  lines: string[];
  overflow: (hidden: number) => string;
  shown: number;
}

/**
 * What happened on an investigation since `since` (the end of the caller's previous
 * session on it) — tasks finished, signals, timeouts and escalations, reports filed —
 * what is still open (tasks and waits with their deadlines), and the facts that
 * matter. At most BRIEFING_MAX_CHARS whatever the investigation's size: the store
 * reads are bounded (events are counted, not loaded), and when the lists are long,
 * each keeps its first lines and summarises the rest in counts, so no open wait,
 * finished task or filed report goes unmentioned.
 */
export async function buildBriefing(d: RuntimeDeps, caller: Caller, inv: Investigation, since: number | null): Promise<Briefing> {
  const t = d.store.tenant(caller.tenantId);
  const m = memoryOf(d).tenant(caller.tenantId);
  const factsNs = namespaces.investigationFacts(inv.id);
  const R = { limit: BRIEFING_READ_LIMIT };
  const newest = { ...R, order: 'desc' } as const;
  const [openTasks, endedTasks, openWaitList, endedWaits, signals, reports, counts, newestFacts, relevantFacts, recent, all] = await Promise.all([
    t.listTasks(inv.id, { ...R, open: true }),
    t.listTasks(inv.id, { ...newest, open: false }),
    t.listWaits(inv.id, { ...R, open: true }),
    t.listWaits(inv.id, { ...newest, open: false }),
    t.listSignals(inv.id, undefined, newest),
    t.listReports(inv.id, newest),
    t.countInvestigation(inv.id),
    m.listRecords({ namespacePrefix: factsNs, status: 'active', limit: 8, totalCap: COUNT_CAP }),
    m.searchRecords({ query: `${inv.subject} ${inv.objective}`, namespacePrefix: factsNs, topK: 8 }),
    // Only its items are shown: counting every such event of a long investigation cost 80 ms at 100k events (bench:100k).
    t.listEvents({ investigationId: inv.id, kinds: ['decision', 'status', 'signal', 'finding'], limit: 8, order: 'desc', totalCap: 8 }),
    t.listEvents({ investigationId: inv.id, limit: 1 }),
  ]);
  // Separate reads: a task that ended between them would be in both.
  const tasks = uniqueById([...openTasks, ...endedTasks]);
  const waits = uniqueById([...openWaitList, ...endedWaits]);
  const now = d.clock.now();
  const after = (x: number | null) => x !== null && (since === null || x > since);
  const byNewest = <T>(f: (x: T) => number) => (a: T, b: T) => f(b) - f(a);
  const finished = tasks.filter((x) => isTerminalTask(x.status) && after(x.finishedAt)).sort(byNewest((x) => x.finishedAt ?? 0));
  const open = openTasks;
  const openWaits = waits.filter((w) => w.status === 'open').sort((a, b) => a.deadline - b.deadline);
  const newSignals = signals.filter((s) => after(s.receivedAt)).sort(byNewest((s) => s.receivedAt));
  const timeouts = waits.filter((w) => w.status === 'timed_out' && after(w.resolvedAt)).sort(byNewest((w) => w.resolvedAt ?? 0));
  const newReports = reports.filter((r) => after(r.createdAt)).sort(byNewest((r) => r.createdAt));
  const escalations = newReports.filter((r) => !r.complete);
  const eventsTotal = all.total;
  const taskById = new Map(tasks.map((x) => [x.id, x]));
  const reportUri = `longhaul://investigations/${inv.id}/report`;

  const head: string[] = [
    `# Briefing: ${clip(inv.subject, 120)} (${inv.id})`,
    `Objective: ${clip(inv.objective, 300)}`,
    `Status: ${inv.status}${inv.outcome ? ` (${inv.outcome})` : ''}${inv.deadline !== null ? ` · deadline ${iso(inv.deadline)}${inv.overdueAt !== null ? ' (PASSED)' : ''}` : ''} · tasks: ${countBy(tasks, (x) => x.status) || 'none'}${tasks.length < counts.tasks ? ` (of the ${tasks.length} read; ${counts.tasks} in all)` : ''} · reports filed: ${Math.max(reports.length, counts.reports)}${reports.length ? ` (latest: ${reportUri})` : ''}`,
    `Timeline: ${eventsTotal} events — longhaul://investigations/${inv.id}/timeline`,
    ...unreadNote(inv.id, [
      [tasks.length, counts.tasks, 'tasks (the open ones first, then the newest)'],
      [waits.length, counts.waits, 'waits (the open ones first, then the newest)'],
      [signals.length, counts.signals, 'signals (the newest)'],
      [reports.length, counts.reports, 'reports (the newest)'],
    ]),
    since === null ? 'Everything so far:' : `Since your last session (${iso(since)}):`,
  ];
  if (!finished.length && !newSignals.length && !timeouts.length && !newReports.length) head.push('Nothing has finished, arrived or been filed since then.');

  const sections: Section[] = [
    section(
      escalations.length ? `Reports filed (${newReports.length}; ${escalations.length} escalation${escalations.length > 1 ? 's' : ''})` : `Reports filed (${newReports.length})`,
      newReports.map((r) => reportLine(r, taskById.get(r.taskId ?? ''))),
      (n) => `- …and ${n} earlier filing(s) (${countBy(newReports.slice(-n), (r) => (r.complete ? 'complete' : 'incomplete'))}); ${reportUri} links every filing.`,
    ),
    section(
      `Waits that timed out (${timeouts.length})`,
      timeouts.map((w) => `- ${taskById.get(w.taskId)?.role ?? 'task'} ${w.taskId} waited for "${w.signal}" until ${iso(w.deadline)} → task ${taskById.get(w.taskId)?.status ?? '?'}`),
      (n) => `- …and ${n} more timed-out wait(s) (signals: ${countBy(timeouts.slice(-n), (w) => w.signal)}).`,
    ),
    section(
      `Tasks finished (${finished.length})`,
      finished.map((x) => `- ${x.role} ${x.id}: ${x.status} at ${iso(x.finishedAt!)}${x.error ? ` — ${clip(x.error, 120)}` : summariseResult(x.result)}`),
      (n) => `- …and ${n} more finished task(s): ${countBy(finished.slice(-n), (x) => `${x.role} ${x.status}`)} (get_investigation lists them).`,
    ),
    section(
      `Signals received (${newSignals.length})`,
      newSignals.map((s) => `- "${s.name}" at ${iso(s.receivedAt)} (${s.id}) from ${s.actorId}`),
      (n) => `- …and ${n} more signal(s): ${countBy(newSignals.slice(-n), (s) => s.name)}.`,
    ),
    section(
      `Open tasks (${open.length}) and waits (${openWaits.length})`,
      [
        ...openWaits.map((w) => `- ${taskById.get(w.taskId)?.role ?? 'task'} ${w.taskId} waits for "${w.signal}" until ${iso(w.deadline)} (${w.deadline > now ? `in ${formatDuration(w.deadline - now)}` : 'past due; the next sweep handles it'})`),
        ...open.filter((x) => !openWaits.some((w) => w.taskId === x.id)).map((x) => `- ${x.role} ${x.id}: ${x.status}${x.status === 'pending' && x.runAt ? ` (runs ${x.runAt > now ? `at ${iso(x.runAt)}` : 'now'}${x.wakeReason ? `, ${x.wakeReason}` : ''})` : ''}`),
      ],
      (n) => `- …and ${n} more not listed — ${openSummary(open, openWaits)}.`,
    ),
  ].filter((s) => s.lines.length > 0);

  // Shrink the longest list until the must-have part fits; hidden items become counts.
  const budget = BRIEFING_MAX_CHARS - 200;
  let text = render(head, sections);
  while (text.length > budget) {
    const longest = sections.reduce<Section | null>((m, s) => (s.shown > (m?.shown ?? 0) ? s : m), null);
    if (!longest) break;
    longest.shown = longest.shown > 6 ? Math.ceil(longest.shown / 2) : longest.shown - 1;
    text = render(head, sections);
  }
  if (text.length > BRIEFING_MAX_CHARS) text = text.slice(0, BRIEFING_MAX_CHARS - 1) + '…';

  // Then what we know and the latest activity, while there is room.
  const facts = dedupe([...relevantFacts.map((r) => r.record), ...newestFacts.items]).slice(0, 10);
  const nice: string[] = [];
  if (facts.length) {
    nice.push(`\n## What we know (${newestFacts.total.toLocaleString('en-US')}${newestFacts.totalCapped ? '+' : ''} fact record(s) in memory; most relevant)`);
    for (const f of facts) nice.push(`- ${clip(f.text, 220)}`);
  }
  if (recent.items.length) {
    nice.push(`\n## Latest activity`);
    for (const e of recent.items) nice.push(`- ${iso(e.createdAt)} ${e.kind}: ${clip(e.text, 180)}`);
  }
  for (const line of nice) {
    if (text.length + line.length + 1 > BRIEFING_MAX_CHARS) break;
    text += '\n' + line;
  }
  return {
    investigationId: inv.id,
    since: since === null ? null : iso(since),
    text,
    counts: {
      tasksFinished: finished.length,
      signals: newSignals.length,
      timeouts: timeouts.length,
      reports: newReports.length,
      openTasks: Math.max(open.length, counts.openTasks),
      openWaits: Math.max(openWaits.length, counts.openWaits),
      eventsTotal,
    },
  };
}

/**
 * The briefing a caller would get now, without opening a session (the `supervisor`
 * prompt): since the end of their latest supervisor session on the investigation.
 */
export async function currentBriefing(d: RuntimeDeps, caller: Caller, inv: Investigation): Promise<Briefing> {
  const [prev] = await d.store.tenant(caller.tenantId).listSessions({ investigationId: inv.id, actorId: caller.actorId, kind: 'supervisor', limit: 1 });
  return buildBriefing(d, caller, inv, prev && prev.status === 'terminated' ? prev.lastActivityAt : null);
}

/**
 * The line that says which lists the briefing read only in part ("showing 200 of 1,234
 * tasks …"), or none when it read them whole: what it lists is then not everything.
 */
function unreadNote(investigationId: string, lists: Array<[read: number, total: number, what: string]>): string[] {
  const cut = lists.filter(([read, total]) => read < total).map(([read, total, what]) => showing(read, total, what));
  if (!cut.length) return [];
  return [`Long lists, read in part: ${cut.join('; ')}. get_investigation and longhaul://investigations/${investigationId}/timeline have the rest.`];
}

const section = (title: string, lines: string[], overflow: (hidden: number) => string): Section => ({ title, lines, overflow, shown: lines.length });

function render(head: string[], sections: Section[]): string {
  const out = [...head];
  for (const s of sections) {
    out.push(`\n## ${s.title}`);
    out.push(...s.lines.slice(0, s.shown));
    if (s.shown < s.lines.length) out.push(s.overflow(s.lines.length - s.shown));
  }
  return out.join('\n');
}

function reportLine(r: Report, task: Task | undefined): string {
  const summary = (task?.result as { summary?: unknown } | null)?.summary;
  return `- ${r.complete ? 'Report' : 'INCOMPLETE report (escalation)'} "${clip(r.title, 90)}" (${r.id}) at ${iso(r.createdAt)}${typeof summary === 'string' ? ` — ${clip(summary, 160)}` : ''}`;
}

/** `3 completed, 1 failed`: counts of a list by a key, largest first. */
function countBy<T>(items: readonly T[], key: (x: T) => string): string {
  const m = new Map<string, number>();
  for (const x of items) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return [...m]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
}

function openSummary(open: Task[], waits: Wait[]): string {
  const w = waits.length ? `${waits.length} open wait(s) in all (${countBy(waits, (x) => `"${x.signal}"`)}; latest deadline ${iso(waits[waits.length - 1]!.deadline)})` : '';
  const tasks = `${open.length} open task(s) in all (${countBy(open, (x) => x.status)})`;
  return [w, tasks].filter(Boolean).join('; ');
}

function uniqueById<T extends { id: string }>(items: T[]): T[] {
  const seen = new Set<string>();
  return items.filter((x) => !seen.has(x.id) && !!seen.add(x.id));
}

function dedupe(records: MemoryRecord[]): MemoryRecord[] {
  const seen = new Set<string>();
  return records.filter((r) => !seen.has(r.id) && !!seen.add(r.id));
}

function summariseResult(result: unknown): string {
  if (result === null || result === undefined) return '';
  if (typeof result === 'object' && 'summary' in result && typeof (result as { summary: unknown }).summary === 'string') {
    return ` — ${clip((result as { summary: string }).summary, 160)}`;
  }
  return ` — ${clip(JSON.stringify(result), 160)}`;
}
