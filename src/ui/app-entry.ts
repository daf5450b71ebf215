/**
 * The MCP App (`ui://longhaul/investigation`): the investigation view inside a chat.
 * Bundled by scripts/build-ui.ts into one self-contained HTML document (no network:
 * everything it shows comes through the app bridge, from longhaul's own resources).
 *
 * The host tells it which investigation through the tool call that opened it
 * (get_investigation, resume_investigation, start_investigation: their input or result
 * names it). It then reads `longhaul://investigations/{id}` (a passive read: polling it
 * keeps no session alive), the timeline, the inbox, the report and the compliance tasks,
 * and refreshes every few seconds while visible, and on "Refresh".
 */
import { App, applyDocumentTheme, applyHostStyleVariables } from '@modelcontextprotocol/ext-apps';
import { systemClock } from '../domain/clock.js';
import { h } from './dom.js';
import { flagsOf, flaggingTasks, inboxFor, investigationIdOf, type EventItem, type InboxItem, type InvestigationState, type TaskItem, type ViewData } from './model.js';
import { newViewState, renderInvestigation, startCountdowns, type ViewOptions } from './view.js';

type McpUiHostContext = NonNullable<ReturnType<App['getHostContext']>>;

const REFRESH_MS = 5_000;
/** Timeline events read per page through the bridge (the resource's largest page). */
const TIMELINE_PAGE = 500;

const root = document.getElementById('root')!;
const status = document.getElementById('status')!;
const viewState = newViewState();
let investigationId: string | null = null;
let events: EventItem[] = [];
let nextCursor: string | null = null;
let format: Pick<ViewOptions, 'timeZone' | 'locale'> = { timeZone: undefined, locale: undefined };
let loading: Promise<void> | null = null;

const app = new App({ name: 'longhaul-investigation', version: '1.0.0' }, {}, { autoResize: true });

function applyContext(ctx: McpUiHostContext | undefined): void {
  if (!ctx) return;
  if (ctx.theme) applyDocumentTheme(ctx.theme);
  if (ctx.styles?.variables) applyHostStyleVariables(ctx.styles.variables);
  format = { timeZone: ctx.timeZone ?? format.timeZone, locale: ctx.locale ?? format.locale };
}

async function readText(uri: string): Promise<string> {
  const r = await app.readServerResource({ uri });
  const c = r.contents[0] as { text?: string } | undefined;
  if (!c || typeof c.text !== 'string') throw new Error(`${uri} returned no text`);
  return c.text;
}
const readJson = async <T>(uri: string): Promise<T> => JSON.parse(await readText(uri)) as T;

function say(text: string): void {
  status.textContent = text;
}

async function load(id: string, fresh: boolean): Promise<void> {
  const base = `longhaul://investigations/${id}`;
  const state = await readJson<InvestigationState>(base);
  // Re-read the pages already loaded (events may have been added to any of them).
  const pages = fresh ? 1 : Math.max(1, Math.ceil(events.length / TIMELINE_PAGE));
  const loaded: EventItem[] = [];
  let cursor: string | null = null;
  let total = 0;
  for (let i = 0; i < pages; i++) {
    const page: { events: EventItem[]; total: number; nextCursor: string | null } = await readJson(`${base}/timeline?limit=${TIMELINE_PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    loaded.push(...page.events);
    total = page.total;
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  const [inbox, report, tasks] = await Promise.all([
    readJson<{ items: InboxItem[] }>('longhaul://inbox').then((x) => x.items),
    state.report ? readText(`${base}/report`).catch(() => null) : Promise.resolve(null),
    // The state shortens large results; a compliance task's own resource has every flag.
    Promise.all(flaggingTasks(state.tasks).map((t) => readJson<TaskItem>(t.uri).catch(() => t))),
  ]);
  events = loaded;
  nextCursor = cursor;
  const data: ViewData = { state, events, eventsTotal: total, moreEvents: nextCursor !== null, flags: flagsOf(tasks), reportMarkdown: report, inbox: inboxFor(inbox, id) };
  renderInvestigation(root, data, { ...format, now: systemClock.now, onMoreEvents: () => void more(), moreEventsLabel: 'Load newer events' }, viewState);
  say(`Updated ${new Date(systemClock.now()).toLocaleTimeString(format.locale, { timeZone: format.timeZone })}.`);
}

async function more(): Promise<void> {
  if (!investigationId || !nextCursor) return;
  const page: { events: EventItem[]; nextCursor: string | null } = await readJson(`longhaul://investigations/${investigationId}/timeline?limit=${TIMELINE_PAGE}&cursor=${encodeURIComponent(nextCursor)}`);
  events = [...events, ...page.events];
  nextCursor = page.nextCursor;
  await refresh();
}

function refresh(fresh = false): Promise<void> {
  const id = investigationId;
  if (!id) return Promise.resolve();
  loading ??= load(id, fresh)
    .catch((e: unknown) => say(`Could not refresh: ${e instanceof Error ? e.message : String(e)}`))
    .finally(() => {
      loading = null;
    });
  return loading;
}

function show(id: string | null): void {
  if (!id || id === investigationId) return;
  investigationId = id;
  events = [];
  nextCursor = null;
  void refresh(true);
}

// Handlers before connect: the host may send the tool input and result right after the handshake.
app.ontoolinput = (p) => show(investigationIdOf(p.arguments ?? null));
app.ontoolresult = (r) => {
  if (r.isError) {
    const first = r.content?.[0];
    say(first && first.type === 'text' ? first.text : 'The tool call failed.');
    return;
  }
  show(investigationIdOf(r.structuredContent ?? null));
};
app.onhostcontextchanged = (ctx) => {
  applyContext(ctx);
  void refresh();
};
app.onteardown = async () => ({});

const refreshButton = document.getElementById('refresh') as HTMLButtonElement;
refreshButton.addEventListener('click', () => void refresh());
startCountdowns(root, systemClock.now);
setInterval(() => {
  if (document.visibilityState === 'visible') void refresh();
}, REFRESH_MS);

app
  .connect()
  .then(() => applyContext(app.getHostContext()))
  .catch((e: unknown) => {
    root.replaceChildren(h('p', { class: 'error' }, `Could not connect to the host: ${e instanceof Error ? e.message : String(e)}`));
  });
