import type { App } from '../../app.js';
import { assertId } from '../../domain/ids.js';
import type { Caller } from '../../runtime/deps.js';
import { flagsOf, flaggingTasks, inboxFor, type EventItem, type InboxItem, type InvestigationState, type TaskItem, type ViewData } from '../../ui/model.js';

/**
 * The web page's data, read through the runtime exactly as the MCP resources read it
 * (the caller's tenant only; another actor's private preference events as placeholders),
 * never from the store directly.
 */

/** Timeline events per page on the web page (newest first). */
export const WEB_TIMELINE_PAGE = 100;
/** Investigations per page on the index. */
export const WEB_LIST_PAGE = 20;

export interface InvestigationPayload extends ViewData {
  /** The cursor of the next (older) timeline page, or null. */
  olderCursor: string | null;
  /** May this caller act here (the write scope)? The page shows its actions only then. */
  canWrite: boolean;
}

/**
 * Everything `/investigations/{id}` shows: the state document (a passive read: it keeps
 * no session alive), the newest timeline page (`events` newest events, at most 500: a
 * page refreshed after "load older" keeps what it showed), the compliance tasks' flags
 * (from their whole results), the latest report's Markdown, and the caller's inbox items
 * for it (the newest inbox page).
 */
export async function investigationPayload(app: App, caller: Caller, investigationId: string, canWrite: boolean, events = WEB_TIMELINE_PAGE): Promise<InvestigationPayload> {
  const id = assertId(investigationId, 'inv', 'investigationId');
  const inv = await app.runtime.investigations.load(caller, id);
  const state = (await app.runtime.investigations.state(caller, inv)) as unknown as InvestigationState;
  const [timeline, inbox, report, tasks] = await Promise.all([
    app.runtime.events.timeline(caller, inv.id, { limit: Math.min(Math.max(events, 1), 500), order: 'desc' }),
    app.reports.inbox(caller, {}),
    state.report ? app.reports.latestMarkdown(caller, inv.id) : Promise.resolve(null),
    Promise.all(flaggingTasks(state.tasks).map((t) => app.runtime.investigations.task(caller, inv.id, t.taskId) as Promise<unknown> as Promise<TaskItem>)),
  ]);
  return {
    state,
    events: timeline.events as EventItem[],
    eventsTotal: timeline.total,
    moreEvents: timeline.nextCursor !== null,
    olderCursor: timeline.nextCursor,
    flags: flagsOf(tasks),
    reportMarkdown: report,
    inbox: inboxFor(inbox.items as InboxItem[], inv.id),
    canWrite,
  };
}

/** An older page of the timeline (newest first), continuing from `cursor`. */
export async function olderEvents(app: App, caller: Caller, investigationId: string, cursor: string) {
  const id = assertId(investigationId, 'inv', 'investigationId');
  const p = await app.runtime.events.timeline(caller, id, { limit: WEB_TIMELINE_PAGE, cursor, order: 'desc' });
  return { events: p.events, nextCursor: p.nextCursor, total: p.total };
}
