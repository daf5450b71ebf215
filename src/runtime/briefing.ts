import { iso } from '../domain/clock.js';
import type { Investigation } from '../domain/investigation.js';
import { namespaces } from '../domain/namespace.js';
import { isTerminalTask } from '../domain/task.js';
import type { Caller, RuntimeDeps } from './deps.js';

/** The briefing's hard cap: ≈1,500 tokens. */
export const BRIEFING_MAX_CHARS = 6_000;

export interface Briefing {
  investigationId: string;
  since: string | null;
  text: string;
  counts: { tasksFinished: number; signals: number; timeouts: number; reports: number; openTasks: number; openWaits: number; eventsTotal: number };
}

const clip = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

/**
 * What happened on an investigation since `since` (the end of the caller's previous
 * session on it), what is still open, and the facts that matter — bounded to
 * BRIEFING_MAX_CHARS whatever the investigation's size. Never omits an open wait, a
 * finished task or a filed report: when there are many, the lines shrink to counts.
 */
export async function buildBriefing(d: RuntimeDeps, caller: Caller, inv: Investigation, since: number | null): Promise<Briefing> {
  const t = d.store.tenant(caller.tenantId);
  const [tasks, waits, signals, reports, facts, recent] = await Promise.all([
    t.listTasks(inv.id),
    t.listWaits(inv.id),
    t.listSignals(inv.id),
    t.listReports(inv.id),
    t.listRecords({ namespacePrefix: namespaces.investigationFacts(inv.id), status: 'active', limit: 12 }),
    t.listEvents({ investigationId: inv.id, kinds: ['decision', 'status', 'signal', 'finding'], limit: 12, order: 'desc' }),
  ]);
  const after = (x: number | null) => x !== null && (since === null || x > since);
  const finished = tasks.filter((x) => isTerminalTask(x.status) && after(x.finishedAt));
  const open = tasks.filter((x) => !isTerminalTask(x.status));
  const openWaits = waits.filter((w) => w.status === 'open');
  const newSignals = signals.filter((s) => after(s.receivedAt));
  const timeouts = waits.filter((w) => w.status === 'timed_out' && after(w.resolvedAt));
  const newReports = reports.filter((r) => after(r.createdAt));
  const eventsTotal = (await t.listEvents({ investigationId: inv.id, limit: 1 })).total;

  const must: string[] = [];
  const nice: string[] = [];
  must.push(`# Briefing: ${clip(inv.subject, 120)} (${inv.id})`);
  must.push(`Objective: ${clip(inv.objective, 300)}`);
  must.push(`Timeline: ${eventsTotal} events — longhaul://investigations/${inv.id}/timeline`);
  must.push(`Status: ${inv.status}${inv.outcome ? ` (${inv.outcome})` : ''}. ${since === null ? 'Everything so far:' : `Since your last session (${iso(since)}):`}`);

  // Finished tasks, signals, timeouts, reports: one line each, or counts past a budget.
  const section = (title: string, lines: string[], max: number) => {
    if (!lines.length) return;
    must.push(`\n## ${title} (${lines.length})`);
    for (const l of lines.slice(0, max)) must.push(l);
    if (lines.length > max) must.push(`- …and ${lines.length - max} more (see get_investigation).`);
  };
  section(
    'Tasks finished',
    finished.map((x) => `- ${x.role} ${x.id}: ${x.status}${x.error ? ` — ${clip(x.error, 120)}` : ''}${summariseResult(x.result)}`),
    12,
  );
  section('Signals received', newSignals.map((s) => `- "${s.name}" at ${iso(s.receivedAt)} (${s.id})`), 8);
  section('Waits that timed out', timeouts.map((w) => `- task ${w.taskId} waited for "${w.signal}" until ${iso(w.deadline)}`), 8);
  section(
    'Reports filed',
    newReports.map((r) => `- ${r.complete ? 'Report' : 'INCOMPLETE report'} "${clip(r.title, 100)}" at ${iso(r.createdAt)} — longhaul://investigations/${inv.id}/report`),
    5,
  );
  section('Open tasks', open.map((x) => `- ${x.role} ${x.id}: ${x.status}`), 12);
  section('Open waits', openWaits.map((w) => `- task ${w.taskId} waits for "${w.signal}" until ${iso(w.deadline)}`), 12);
  if (!finished.length && !newSignals.length && !timeouts.length && !newReports.length) must.push('\nNothing new has finished since then.');

  if (facts.items.length) {
    nice.push(`\n## What we know (${facts.total} facts in memory; most recent)`);
    for (const f of facts.items) nice.push(`- ${clip(f.text, 240)}`);
  }
  if (recent.items.length) {
    nice.push(`\n## Latest activity (${recent.total} notable events)`);
    for (const e of recent.items) nice.push(`- ${iso(e.createdAt)} ${e.kind}: ${clip(e.text, 200)}`);
  }

  let text = must.join('\n');
  if (text.length > BRIEFING_MAX_CHARS) text = clip(text, BRIEFING_MAX_CHARS);
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
      openTasks: open.length,
      openWaits: openWaits.length,
      eventsTotal,
    },
  };
}

function summariseResult(result: unknown): string {
  if (result === null || result === undefined) return '';
  if (typeof result === 'object' && result && 'summary' in result && typeof (result as { summary: unknown }).summary === 'string') {
    return ` — ${clip((result as { summary: string }).summary, 160)}`;
  }
  return ` — ${clip(JSON.stringify(result), 160)}`;
}
