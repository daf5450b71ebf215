import { dayText, h, markdown, timeEl, type TimeFormat } from './dom.js';
import { countdown, groupByDay, ruleTitle, whoActed, type EventItem, type ViewData } from './model.js';

/**
 * The investigation view, built once and used in both places: the MCP App inside a chat
 * (app-entry.ts) and the web page (web-entry.ts). It renders a ViewData into a root
 * element; re-rendering (after a refresh) keeps what the person had opened ("show more")
 * and where the keyboard focus was.
 */

export interface ViewOptions extends TimeFormat {
  /** The current time (the injected clock; countdowns tick against it). */
  now: () => number;
  /** Loads more timeline events; absent: no button. */
  onMoreEvents?: () => void;
  /** The button's words: "Load older events" (web page, newest first) or "Load newer events" (app). */
  moreEventsLabel?: string;
  /** Extra controls (the web page's actions), shown under the header. */
  actions?: HTMLElement | null;
  /** Items shown per list before "Show more" (long lists are paged). */
  pageSize?: number;
}

/** What survives a re-render: how much of each list is open. */
export interface ViewState {
  shown: Record<string, number>;
}

export const newViewState = (): ViewState => ({ shown: {} });

const DEFAULT_PAGE = 20;
/** Events shown per day before "Show more": a chat column shows the latest few first. */
const EVENTS_PER_DAY_PAGE = 12;

/** Status words → a badge class (colour is never the only signal: the word is shown). */
function badge(status: string): HTMLElement {
  const tone =
    {
      completed: 'ok',
      resolved: 'ok',
      open: 'info',
      running: 'info',
      pending: 'info',
      waiting: 'warn',
      timed_out: 'bad',
      expired: 'bad',
      failed: 'bad',
      cancelled: 'muted',
      closed: 'muted',
    }[status] ?? 'muted';
  return h('span', { class: `badge ${tone}` }, status.replace(/_/g, ' '));
}

function section(id: string, title: string, ...children: Array<Node | null | false>): HTMLElement {
  return h('section', { 'aria-labelledby': `${id}-h`, class: `card ${id}` }, h('h2', { id: `${id}-h` }, title), ...children);
}

/**
 * A list shown a page at a time: the first `pageSize` items, then a "Show N more"
 * button (focus moves to the first newly shown item, so keyboard users keep their place).
 */
function paged<T>(key: string, items: readonly T[], state: ViewState, pageSize: number, render: (x: T) => HTMLElement, tag: 'ul' | 'ol' = 'ul'): HTMLElement {
  const wrap = h('div', { class: 'paged' });
  const list = h(tag, { class: 'items' });
  let shown = Math.min(items.length, Math.max(state.shown[key] ?? pageSize, pageSize));
  for (const x of items.slice(0, shown)) list.append(render(x));
  wrap.append(list);
  if (shown < items.length) {
    const label = () => `Show ${Math.min(pageSize, items.length - shown)} more (${shown} of ${items.length} shown)`;
    const button = h('button', { type: 'button', class: 'more', 'data-key': `more-${key}` }, label());
    button.addEventListener('click', () => {
      const next = Math.min(items.length, shown + pageSize);
      const start = list.children.length;
      for (const x of items.slice(shown, next)) list.append(render(x));
      shown = next;
      state.shown[key] = shown;
      const first = list.children[start] as HTMLElement | undefined;
      if (first) {
        first.tabIndex = -1;
        first.focus();
      }
      if (shown >= items.length) button.remove();
      else button.textContent = label();
    });
    wrap.append(button);
  }
  return wrap;
}

/** Renders the view into `root` (replacing what was there), keeping focus where it was. */
export function renderInvestigation(root: HTMLElement, data: ViewData, opts: ViewOptions, state: ViewState): void {
  const active = document.activeElement as HTMLElement | null;
  const focusedKey = active?.dataset?.key ?? null;
  const page = opts.pageSize ?? DEFAULT_PAGE;
  const { state: s } = data;
  const inv = s.investigation;
  const sessions = new Map(s.sessions.map((x) => [x.sessionId, x]));
  const tasksById = new Map(s.tasks.map((t) => [t.taskId, t]));

  const header = h(
    'header',
    { class: 'inv-header' },
    h('h1', {}, inv.subject, ' ', badge(inv.status)),
    h('p', { class: 'objective' }, inv.objective),
    h(
      'p',
      { class: 'meta' },
      `Opened by ${inv.openedBy} `,
      timeEl(inv.createdAt, opts),
      inv.deadline ? ' · deadline ' : null,
      inv.deadline ? timeEl(inv.deadline, opts) : null,
      inv.closedAt ? ` · closed (${inv.outcome ?? 'closed'}) ` : null,
      inv.closedAt ? timeEl(inv.closedAt, opts) : null,
      ' · ',
      h('code', {}, inv.investigationId),
    ),
    inv.summary ? h('p', { class: 'summary' }, inv.summary) : null,
  );

  const needs = section(
    'inbox',
    `Needs you (${data.inbox.length})`,
    data.inbox.length
      ? paged('inbox', data.inbox, state, page, (i) =>
          h('li', { class: `inbox-item ${i.kind}` }, h('strong', {}, i.title), ' ', h('span', { class: 'kind' }, `(${i.kind.replace(/_/g, ' ')})`), h('p', {}, i.detail), timeEl(i.createdAt, opts)),
        )
      : h('p', { class: 'empty' }, 'Nothing here needs a person.'),
  );

  const openWaits = s.waits.filter((w) => w.status === 'open');
  const waits = section(
    'waits',
    `Waits (${openWaits.length} open)`,
    s.waits.length
      ? paged('waits', [...openWaits, ...s.waits.filter((w) => w.status !== 'open')], state, page, (w) => {
          const task = tasksById.get(w.taskId);
          return h(
            'li',
            { class: 'wait' },
            h('span', { class: 'what' }, `"${w.signal}"`, task ? ` for the ${task.role} task` : ''),
            ' ',
            badge(w.status),
            h(
              'p',
              {},
              w.status === 'open' ? 'Deadline ' : w.resolvedAt ? 'Resolved ' : 'Deadline was ',
              timeEl(w.resolvedAt ?? w.deadline, opts),
              w.status === 'open' ? ' — ' : null,
              w.status === 'open' ? h('span', { role: 'timer', class: 'countdown', 'data-deadline': w.deadline, 'aria-label': `time left until ${w.deadline}` }, countdown(Date.parse(w.deadline), opts.now())) : null,
            ),
          );
        })
      : h('p', { class: 'empty' }, 'No waits.'),
  );

  const tasks = section(
    'tasks',
    `Tasks (${s.tasks.length})`,
    s.shown ? h('p', { class: 'shown' }, s.shown.tasks) : null,
    s.tasks.length
      ? paged('tasks', s.tasks, state, page, (t) =>
          h(
            'li',
            { class: 'task' },
            h('span', { class: 'what' }, `${t.role}`),
            ' ',
            badge(t.status),
            h('p', { class: 'instructions' }, t.instructions),
            t.waitFor ? h('p', { class: 'meta' }, `Waits for "${t.waitFor.signal}" up to ${t.waitFor.timeout}`) : null,
            t.error ? h('p', { class: 'error' }, t.error) : null,
            typeof (t.result as { summary?: unknown } | null)?.summary === 'string' ? h('p', { class: 'result' }, (t.result as { summary: string }).summary) : null,
          ),
        )
      : h('p', { class: 'empty' }, 'No tasks yet.'),
  );

  const flags = section(
    'flags',
    `Compliance flags (${data.flags.length})`,
    data.flags.length
      ? paged(
          'flags',
          data.flags,
          state,
          page,
          (f) =>
            h(
              'li',
              { class: 'flag' },
              h('strong', {}, ruleTitle(f.rule)),
              h('p', {}, f.text),
              f.citation ? h('p', { class: 'citation' }, 'Cited: ', h('cite', {}, f.citation)) : h('p', { class: 'citation' }, f.ruleSource ? `Rule: ${f.ruleSource}` : 'Rule: rules file'),
              f.snippet ? h('blockquote', {}, f.snippet) : null,
            ),
          'ol',
        )
      : h('p', { class: 'empty' }, s.report ? 'The filed report raises no flags.' : 'No flags yet: the compliance report has not been filed.'),
  );

  const report = section(
    'report',
    'Report',
    s.report
      ? h(
          'div',
          {},
          h('p', {}, h('strong', {}, s.report.title), ' ', badge(s.report.complete ? 'completed' : 'timed_out'), ' filed ', timeEl(s.report.filedAt, opts)),
          data.reportMarkdown ? reportDetails(data.reportMarkdown, state) : null,
        )
      : h('p', { class: 'empty' }, 'No report filed yet.'),
  );

  const signals = section(
    'signals',
    `Signals (${s.signals.length})`,
    s.signals.length
      ? paged('signals', [...s.signals].reverse(), state, page, (x) =>
          h(
            'li',
            { class: 'signal' },
            h('strong', {}, `"${x.name}"`),
            ' from ',
            x.deliveredBy,
            ', ',
            timeEl(x.receivedAt, opts),
            x.attachments.length ? h('ul', { class: 'files' }, ...x.attachments.map((a) => h('li', {}, `${a.name} (${a.mediaType}, ${a.size.toLocaleString()} bytes)`))) : null,
          ),
        )
      : h('p', { class: 'empty' }, 'No signals received.'),
  );

  const groups = groupByDay(data.events, opts.timeZone);
  const timeline = section(
    'timeline',
    'Timeline',
    h('p', { class: 'shown' }, `Newest first: showing ${data.events.length} of ${data.eventsTotal} events.`),
    ...groups.map((g) =>
      h(
        'div',
        { class: 'day' },
        h('h3', {}, h('time', { datetime: g.day, title: g.day }, dayText(g.day, opts))),
        paged(`day-${g.day}`, g.events, state, EVENTS_PER_DAY_PAGE, (e) => eventItem(e, sessions, opts), 'ol'),
      ),
    ),
    opts.onMoreEvents && data.moreEvents ? moreEventsButton(opts.onMoreEvents, opts.moreEventsLabel ?? 'Load more events') : null,
  );

  root.replaceChildren(h('div', { class: 'inv' }, header, needs, waits, tasks, timeline, flags, signals, report, opts.actions ?? null));
  // Focus stays where it was: on an element carried over (the actions panel), else on its re-rendered twin.
  if (active && active !== document.body && active.isConnected) active.focus();
  else if (focusedKey) root.querySelector<HTMLElement>(`[data-key="${CSS.escape(focusedKey)}"]`)?.focus();
}

function reportDetails(markdownText: string, state: ViewState): HTMLElement {
  const d = h('details', { open: state.shown.reportOpen === 1 }, h('summary', { 'data-key': 'report-toggle' }, 'Read the report'), h('div', { class: 'markdown' }, markdown(markdownText)));
  d.addEventListener('toggle', () => {
    state.shown.reportOpen = d.open ? 1 : 0;
  });
  return d;
}

function moreEventsButton(load: () => void, label: string): HTMLElement {
  const b = h('button', { type: 'button', class: 'more', 'data-key': 'more-events' }, label);
  b.addEventListener('click', load);
  return b;
}

function eventItem(e: EventItem, sessions: ReadonlyMap<string, { kind: string }>, f: TimeFormat): HTMLElement {
  const who = whoActed(e, sessions);
  return h(
    'li',
    { class: `event ${who.kind} kind-${e.kind}` },
    h('div', { class: 'event-head' }, timeEl(e.createdAt, f, 'time'), ' ', h('span', { class: `who ${who.kind}` }, who.label), ' ', h('span', { class: 'kind' }, e.kind)),
    h('p', { class: 'text' }, e.text),
  );
}

/** Ticks every countdown under `root` once a second; returns the stop. */
export function startCountdowns(root: HTMLElement, now: () => number): () => void {
  const tick = () => {
    for (const el of root.querySelectorAll<HTMLElement>('[data-deadline]')) {
      const t = Date.parse(el.dataset.deadline ?? '');
      if (!Number.isNaN(t)) el.textContent = countdown(t, now());
    }
  };
  const timer = setInterval(tick, 1000);
  return () => clearInterval(timer);
}
