/**
 * The web page's script (served as /ui/web.js by `serve --http`): the tenant's
 * investigations and inbox on `/`, the investigation view on `/investigations/{id}`,
 * kept up to date by server-sent events from the change feed. Data comes from the small
 * JSON endpoints of src/transports/http/web.ts; writes (deliver a signal's file, close
 * the investigation) ask for confirmation and carry the page's CSRF token.
 */
import { systemClock } from '../domain/clock.js';
import { h, timeEl, type TimeFormat } from './dom.js';
import type { EventItem, InboxItem, InvestigationSummary, ViewData } from './model.js';
import { newViewState, renderInvestigation, startCountdowns } from './view.js';

const fmt: TimeFormat = { timeZone: undefined, locale: undefined };
const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';
const live = document.getElementById('live')!;
const announce = (text: string) => {
  live.textContent = text;
};

async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
  if (r.status === 401) {
    location.assign(`/signin?next=${encodeURIComponent(location.pathname)}`);
    throw new Error('signed out');
  }
  if (!r.ok) throw new Error(await errorText(r));
  return (await r.json()) as T;
}

async function errorText(r: Response): Promise<string> {
  try {
    const body = (await r.json()) as { error_description?: string; error?: string };
    return body.error_description ?? body.error ?? `HTTP ${r.status}`;
  } catch {
    return `HTTP ${r.status}`;
  }
}

/** Follows a server-sent event stream; `onChange` is debounced (one refresh per burst). */
function follow(url: string, onChange: () => void): void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const source = new EventSource(url);
  source.addEventListener('change', () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(onChange, 250);
  });
  // EventSource reconnects by itself; after a reconnect, refresh once (changes may have been missed).
  source.addEventListener('open', () => onChange());
}

/** A modal confirmation (a native <dialog>: focus is trapped, Escape cancels); resolves true on confirm. */
function confirmDialog(title: string, body: string, confirmLabel: string): Promise<boolean> {
  return new Promise((resolve) => {
    const cancel = h('button', { type: 'button', value: 'cancel' }, 'Cancel');
    const ok = h('button', { type: 'button', class: 'primary', value: 'confirm' }, confirmLabel);
    const dialog = h('dialog', { 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-body' }, h('h2', { id: 'confirm-title' }, title), h('p', { id: 'confirm-body' }, body), h('div', { class: 'toolbar' }, cancel, ok));
    const done = (v: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(v);
    };
    cancel.addEventListener('click', () => done(false));
    ok.addEventListener('click', () => done(true));
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      done(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

// ---- the index: investigations and the inbox -------------------------------------------

interface InvestigationsPage {
  investigations: InvestigationSummary[];
  total: number;
  nextCursor: string | null;
  showing: string;
}
interface InboxPage {
  items: InboxItem[];
  nextCursor: string | null;
  showing: string;
}

async function indexPage(): Promise<void> {
  const invRoot = document.getElementById('investigations')!;
  const inboxRoot = document.getElementById('inbox')!;
  const render = async () => {
    const [invs, inbox] = await Promise.all([getJson<InvestigationsPage>('/api/investigations'), getJson<InboxPage>('/api/inbox')]);
    pagedServerList(invRoot, invs.investigations, invs.nextCursor, invs.showing, invItem, async (cursor) => {
      const p = await getJson<InvestigationsPage>(`/api/investigations?cursor=${encodeURIComponent(cursor)}`);
      return { items: p.investigations, nextCursor: p.nextCursor };
    });
    pagedServerList(inboxRoot, inbox.items, inbox.nextCursor, inbox.showing, inboxItem, async (cursor) => {
      const p = await getJson<InboxPage>(`/api/inbox?cursor=${encodeURIComponent(cursor)}`);
      return { items: p.items, nextCursor: p.nextCursor };
    });
  };
  await render();
  follow('/api/stream', () => void render().then(() => announce('The list was updated.')));
}

function invItem(i: InvestigationSummary): HTMLElement {
  return h(
    'li',
    {},
    h('a', { href: `/investigations/${encodeURIComponent(i.investigationId)}`, 'data-key': `inv-${i.investigationId}` }, i.subject),
    ' ',
    h('span', { class: `badge ${i.status === 'open' ? 'info' : 'muted'}` }, i.status),
    h('p', { class: 'meta' }, i.objective),
    h('p', { class: 'meta' }, 'Opened by ', i.openedBy, ' ', timeEl(i.createdAt, fmt), ' · updated ', timeEl(i.updatedAt, fmt)),
  );
}

function inboxItem(i: InboxItem): HTMLElement {
  return h(
    'li',
    {},
    h('strong', {}, i.title),
    ' ',
    h('span', { class: 'kind' }, `(${i.kind.replace(/_/g, ' ')})`),
    h('p', {}, i.detail),
    h('p', { class: 'meta' }, h('a', { href: `/investigations/${encodeURIComponent(i.investigationId)}` }, i.subject ?? i.investigationId), ' · ', timeEl(i.createdAt, fmt)),
  );
}

/** A server-paged list: the first page, then "Show more" fetching the next (focus moves to the first new item). */
function pagedServerList<T>(root: HTMLElement, first: T[], cursor: string | null, showing: string, render: (x: T) => HTMLElement, next: (cursor: string) => Promise<{ items: T[]; nextCursor: string | null }>): void {
  const focusedKey = (document.activeElement as HTMLElement | null)?.dataset?.key ?? null;
  const list = h('ul', { class: 'items' }, ...first.map(render));
  const note = h('p', { class: 'shown' }, showing);
  root.replaceChildren(note, first.length ? list : h('p', { class: 'empty' }, 'None.'));
  let nextCursor = cursor;
  if (nextCursor) {
    const button = h('button', { type: 'button', class: 'more' }, 'Show more');
    button.addEventListener('click', async () => {
      if (!nextCursor) return;
      const p = await next(nextCursor);
      const start = list.children.length;
      list.append(...p.items.map(render));
      nextCursor = p.nextCursor;
      const el = list.children[start] as HTMLElement | undefined;
      if (el) {
        el.tabIndex = -1;
        el.focus();
      }
      if (!nextCursor) button.remove();
    });
    root.append(button);
  }
  if (focusedKey) root.querySelector<HTMLElement>(`[data-key="${CSS.escape(focusedKey)}"]`)?.focus();
}

// ---- one investigation ------------------------------------------------------------------

interface InvestigationPayload extends ViewData {
  olderCursor: string | null;
  canWrite: boolean;
}

async function investigationPage(id: string): Promise<void> {
  const root = document.getElementById('view')!;
  const state = newViewState();
  let older: EventItem[] = [];
  let olderCursor: string | null = null;
  let latest: InvestigationPayload | null = null;
  let actions: HTMLElement | null = null;

  const draw = () => {
    if (!latest) return;
    const seen = new Set(latest.events.map((e) => e.eventId));
    const events = [...latest.events, ...older.filter((e) => !seen.has(e.eventId))];
    const data: ViewData = { ...latest, events, moreEvents: olderCursor !== null };
    actions ??= latest.canWrite ? actionsPanel(id, latest) : null;
    if (actions) updateActions(actions, latest);
    renderInvestigation(root, data, { ...fmt, now: systemClock.now, onMoreEvents: () => void loadOlder(), moreEventsLabel: 'Load older events', actions }, state);
  };
  const refresh = async () => {
    latest = await getJson<InvestigationPayload>(`/api/investigations/${encodeURIComponent(id)}`);
    if (older.length === 0) olderCursor = latest.olderCursor;
    document.title = `${latest.state.investigation.subject} — longhaul`;
    draw();
  };
  const loadOlder = async () => {
    if (!olderCursor) return;
    const p = await getJson<{ events: EventItem[]; nextCursor: string | null }>(`/api/investigations/${encodeURIComponent(id)}/timeline?cursor=${encodeURIComponent(olderCursor)}`);
    older = [...older, ...p.events];
    olderCursor = p.nextCursor;
    draw();
    announce(`Loaded ${p.events.length} older events.`);
  };
  await refresh();
  startCountdowns(root, systemClock.now);
  follow(`/api/investigations/${encodeURIComponent(id)}/stream`, () =>
    void refresh()
      .then(() => announce('The investigation was updated.'))
      .catch((e: unknown) => announce(`Could not refresh: ${e instanceof Error ? e.message : String(e)}`)),
  );
}

/** The actions a person may take here (write scope): deliver a signal's file; close the investigation. */
function actionsPanel(id: string, p: InvestigationPayload): HTMLElement {
  const result = h('p', { role: 'status', class: 'status-line', id: 'action-result' });
  const signalName = h('input', { type: 'text', id: 'signal-name', name: 'signal', required: true, autocomplete: 'off', spellcheck: false });
  signalName.value = p.state.waits.find((w) => w.status === 'open')?.signal ?? '';
  const file = h('input', { type: 'file', id: 'signal-file', name: 'file', required: true });
  const deliver = h(
    'form',
    { class: 'stack', id: 'deliver-form', 'aria-labelledby': 'deliver-h' },
    h('h3', { id: 'deliver-h' }, "Deliver a signal's file"),
    h('label', { for: 'signal-name' }, 'Signal name'),
    signalName,
    h('label', { for: 'signal-file' }, 'File (a bank statement, a document)'),
    file,
    h('button', { type: 'submit', class: 'primary' }, 'Deliver…'),
  );
  deliver.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = file.files?.[0];
    const name = signalName.value.trim();
    if (!f || !name) return;
    const ok = await confirmDialog('Deliver this file?', `Deliver "${f.name}" (${f.size.toLocaleString()} bytes) as signal "${name}" to ${p.state.investigation.subject}? Waits for "${name}" resolve and their tasks wake.`, 'Deliver');
    if (!ok) return void (result.textContent = 'Not delivered.');
    const r = await fetch(`/api/investigations/${encodeURIComponent(id)}/signals/${encodeURIComponent(name)}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        'content-type': f.type || 'application/octet-stream',
        'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(f.name)}`,
        'x-csrf-token': csrf,
        'idempotency-key': crypto.randomUUID(),
      },
      body: f,
    });
    result.textContent = r.ok ? `Delivered "${f.name}" as "${name}".` : `Not delivered: ${await errorText(r)}`;
    if (r.ok) deliver.reset();
  });

  const outcome = h('select', { id: 'close-outcome', name: 'outcome' }, h('option', { value: 'completed' }, 'completed (objective met)'), h('option', { value: 'inconclusive' }, 'inconclusive'), h('option', { value: 'cancelled' }, 'cancelled'));
  const summary = h('textarea', { id: 'close-summary', name: 'summary', rows: 2, maxlength: 2000 });
  const close = h(
    'form',
    { class: 'stack', id: 'close-form', 'aria-labelledby': 'close-h' },
    h('h3', { id: 'close-h' }, 'Close the investigation'),
    h('label', { for: 'close-outcome' }, 'Outcome'),
    outcome,
    h('label', { for: 'close-summary' }, 'Summary (optional)'),
    summary,
    h('button', { type: 'submit', class: 'danger' }, 'Close…'),
  );
  close.addEventListener('submit', async (e) => {
    e.preventDefault();
    const ok = await confirmDialog('Close this investigation?', `Close ${p.state.investigation.subject} as ${outcome.value}? Open tasks and waits are cancelled and its sessions end. This cannot be undone.`, 'Close it');
    if (!ok) return void (result.textContent = 'Not closed.');
    const r = await fetch(`/api/investigations/${encodeURIComponent(id)}/close`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify({ outcome: outcome.value, ...(summary.value.trim() ? { summary: summary.value.trim() } : {}) }),
    });
    result.textContent = r.ok ? `Closed (${outcome.value}).` : `Not closed: ${await errorText(r)}`;
  });
  return h('section', { class: 'card actions', 'aria-labelledby': 'actions-h' }, h('h2', { id: 'actions-h' }, 'Actions'), result, h('div', { class: 'action-forms' }, deliver, close));
}

/** A closed investigation takes no more signals and cannot be closed again: its forms go. */
function updateActions(panel: HTMLElement, p: InvestigationPayload): void {
  if (p.state.investigation.status === 'open') return;
  panel.querySelector('.action-forms')?.replaceChildren(h('p', { class: 'empty' }, 'The investigation is closed.'));
}

const page = document.body.dataset.page;
const run = page === 'investigation' ? investigationPage(document.body.dataset.investigationId ?? '') : page === 'index' ? indexPage() : Promise.resolve();
run.catch((e: unknown) => {
  const main = document.querySelector('main');
  main?.prepend(h('p', { class: 'error', role: 'alert' }, `Could not load: ${e instanceof Error ? e.message : String(e)}`));
});
