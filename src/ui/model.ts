/**
 * The investigation view's data and the pure rules that shape it, shared by the MCP App
 * (src/ui/app-entry.ts, fed through the app bridge) and the web page (src/ui/web-entry.ts,
 * fed by /api/… endpoints that call the runtime). No DOM, no I/O: Node tests import it
 * as it is, and esbuild bundles it into both views.
 *
 * The shapes are the JSON views the runtime already returns (src/runtime/views.ts, the
 * state document, the timeline page, the inbox page), typed here only as far as the view
 * reads them: a field the server adds later is carried along, never required.
 */

export interface EventItem {
  eventId: string;
  seq: number;
  sessionId: string | null;
  actorId: string;
  role: string;
  kind: string;
  text: string;
  data: unknown;
  createdAt: string;
}

export interface TaskItem {
  taskId: string;
  uri: string;
  role: string;
  instructions: string;
  status: string;
  waitFor: { signal: string; timeout: string } | null;
  attempts: number;
  result: unknown;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface WaitItem {
  waitId: string;
  taskId: string;
  signal: string;
  status: string;
  deadline: string;
  resolvedAt: string | null;
  signalId: string | null;
}

export interface SignalItem {
  signalId: string;
  name: string;
  receivedAt: string;
  deliveredBy: string;
  payloadBytes: number;
  attachments: Array<{ name: string; mediaType: string; size: number; sha256: string; uri: string }>;
}

export interface SessionItem {
  sessionId: string;
  kind: string;
  role: string | null;
  actorId: string;
  status: string;
  terminationReason: string | null;
  startedAt: string;
  terminatedAt: string | null;
}

export interface InvestigationSummary {
  investigationId: string;
  subject: string;
  objective: string;
  status: string;
  outcome: string | null;
  summary: string | null;
  openedBy: string;
  deadline: string | null;
  overdueAt: string | null;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

/** `get_investigation`'s structuredContent (and `longhaul://investigations/{id}`). */
export interface InvestigationState {
  investigation: InvestigationSummary;
  tasks: TaskItem[];
  waits: WaitItem[];
  signals: SignalItem[];
  shown?: { tasks: string; waits: string; signals: string };
  sessions: SessionItem[];
  report: { uri: string; reportId: string; title: string; complete: boolean; filedAt: string; filings: number } | null;
}

export interface InboxItem {
  itemId: string;
  kind: string;
  title: string;
  detail: string;
  investigationId: string;
  subject: string | null;
  taskId: string | null;
  reportId: string | null;
  createdAt: string;
}

/** A compliance flag as the view shows it: what, by which rule, and where it rests. */
export interface FlagItem {
  taskId: string;
  rule: string;
  text: string;
  /** `docs/policies/aml.md:12`, `erp:vendors#id=42`; null when only the rules file says so. */
  citation: string | null;
  snippet: string | null;
  ruleSource: string | null;
}

/** Everything one investigation view shows. */
export interface ViewData {
  state: InvestigationState;
  /** Timeline events loaded so far (any order; the view sorts them newest first). */
  events: EventItem[];
  /** Events in the whole timeline (for "showing X of Y"). */
  eventsTotal: number;
  /** True when older (web) or further (app) events can be loaded. */
  moreEvents: boolean;
  flags: FlagItem[];
  /** The latest filed report's Markdown, or null before one is filed. */
  reportMarkdown: string | null;
  /** The inbox items of this investigation (the newest page of the caller's inbox). */
  inbox: InboxItem[];
}

/** Who acted, as the timeline labels an event. */
export interface Actor {
  kind: 'supervisor' | 'worker' | 'signal' | 'scheduler' | 'person';
  label: string;
}

const WORKER_SUFFIX = '-worker';
/** The actor the scheduler's sweeps record as (src/scheduler/deadline-sweep.ts). */
const SCHEDULER_ACTOR = 'longhaul';

/**
 * Who acted on an event: a signal's delivery, the scheduler (its sweeps record outside
 * any session as `longhaul`), a worker role (workers act as `{role}-worker`, a suffix
 * reserved for them), the supervisor (an actor in a supervisor session), or else the
 * person by their actor id.
 */
export function whoActed(e: Pick<EventItem, 'kind' | 'actorId' | 'sessionId'>, sessions: ReadonlyMap<string, Pick<SessionItem, 'kind'>> = new Map()): Actor {
  if (e.kind === 'signal') return { kind: 'signal', label: `Signal (from ${e.actorId})` };
  if (e.sessionId === null && e.actorId === SCHEDULER_ACTOR) return { kind: 'scheduler', label: 'Scheduler' };
  if (e.actorId.endsWith(WORKER_SUFFIX)) return { kind: 'worker', label: `${e.actorId.slice(0, -WORKER_SUFFIX.length)} worker` };
  const s = e.sessionId ? sessions.get(e.sessionId) : undefined;
  if (!s || s.kind === 'supervisor') return { kind: 'supervisor', label: `Supervisor (${e.actorId})` };
  return { kind: 'person', label: e.actorId };
}

/** The calendar day of an instant in a time zone, as `YYYY-MM-DD` (sortable). */
export function dayKey(isoTime: string, timeZone?: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date(isoTime));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

export interface DayGroup<E> {
  day: string;
  events: E[];
}

/** Events newest first (by sequence), grouped by calendar day in `timeZone`, newest day first. */
export function groupByDay<E extends Pick<EventItem, 'seq' | 'createdAt'>>(events: readonly E[], timeZone?: string): DayGroup<E>[] {
  const sorted = [...events].sort((a, b) => b.seq - a.seq);
  const groups: DayGroup<E>[] = [];
  for (const e of sorted) {
    const day = dayKey(e.createdAt, timeZone);
    const last = groups[groups.length - 1];
    if (last && last.day === day) last.events.push(e);
    else groups.push({ day, events: [e] });
  }
  return groups;
}

/**
 * What is left until a deadline, for a countdown: `2d 03h 04m`, `3h 05m 10s`, `42s`;
 * `overdue by 1h 02m` once it has passed.
 */
export function countdown(deadlineMs: number, nowMs: number): string {
  const left = deadlineMs - nowMs;
  const abs = Math.abs(left);
  const s = Math.floor(abs / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  const sec = s % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  const text = d > 0 ? `${d}d ${pad(h)}h ${pad(m)}m` : h > 0 ? `${h}h ${pad(m)}m ${pad(sec)}s` : m > 0 ? `${m}m ${pad(sec)}s` : `${sec}s`;
  return left < 0 ? `overdue by ${text}` : text;
}

interface CitationLike {
  file?: unknown;
  startLine?: unknown;
  endLine?: unknown;
  page?: unknown;
  sheet?: unknown;
  row?: { column?: unknown; value?: unknown } | null;
  snippet?: unknown;
}

/** A citation written as DESIGN "Sources" writes it (`file:12-14`, `file:p3`, `db:table#id=42`). */
export function citationText(c: unknown): string | null {
  if (!c || typeof c !== 'object') return null;
  const x = c as CitationLike;
  if (typeof x.file !== 'string') return null;
  if (x.row && typeof x.row === 'object' && x.row.column !== undefined) return `${x.file}#${String(x.row.column)}=${String(x.row.value)}`;
  if (typeof x.page === 'number' && x.page > 0) return `${x.file}:p${x.page}`;
  const start = typeof x.startLine === 'number' ? x.startLine : null;
  const end = typeof x.endLine === 'number' ? x.endLine : start;
  const lines = start === null ? '' : `${start}${end !== null && end !== start ? `-${end}` : ''}`;
  const prefix = typeof x.sheet === 'string' && x.sheet ? `${x.file}:${x.sheet}!` : `${x.file}:`;
  return lines ? `${prefix}${lines}` : x.file;
}

/**
 * The compliance flags of an investigation, from its compliance tasks' results (each
 * `result.flags[]`: rule, text, citation, ruleSource), in task order.
 */
export function flagsOf(tasks: ReadonlyArray<Pick<TaskItem, 'taskId' | 'result'>>): FlagItem[] {
  const out: FlagItem[] = [];
  for (const t of tasks) {
    const flags = (t.result as { flags?: unknown } | null)?.flags;
    if (!Array.isArray(flags)) continue;
    for (const f of flags) {
      if (!f || typeof f !== 'object') continue;
      const x = f as { rule?: unknown; text?: unknown; citation?: unknown; ruleSource?: unknown };
      const snippet = (x.citation as CitationLike | null)?.snippet;
      out.push({
        taskId: t.taskId,
        rule: typeof x.rule === 'string' ? x.rule : 'flag',
        text: typeof x.text === 'string' ? x.text : JSON.stringify(f),
        citation: citationText(x.citation),
        snippet: typeof snippet === 'string' ? snippet : null,
        ruleSource: typeof x.ruleSource === 'string' ? x.ruleSource : null,
      });
    }
  }
  return out;
}

/** The tasks whose results hold compliance flags (their full results are read from their own resource). */
export const flaggingTasks = (tasks: readonly TaskItem[]) => tasks.filter((t) => t.role === 'compliance' && t.result !== null);

/** The inbox items that concern one investigation. */
export const inboxFor = (items: readonly InboxItem[], investigationId: string) => items.filter((i) => i.investigationId === investigationId);

/** A rule id as a title: `largeTransaction` → `Large transaction`. */
export function ruleTitle(rule: string): string {
  const words = rule.replace(/[_-]+/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase().trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : rule;
}

/** The id an MCP tool result names (start/get: `investigation.investigationId`; resume: `investigationId`). */
export function investigationIdOf(structured: unknown): string | null {
  if (!structured || typeof structured !== 'object') return null;
  const x = structured as { investigationId?: unknown; investigation?: { investigationId?: unknown } };
  const id = typeof x.investigationId === 'string' ? x.investigationId : x.investigation?.investigationId;
  return typeof id === 'string' && /^inv_[A-Za-z0-9_-]+$/.test(id) ? id : null;
}
