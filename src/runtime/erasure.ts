/**
 * Erasure: "forget everything about this person" (`forget_actor`, `longhaul erase`) and
 * "forget this one statement" (`forget_event`), everywhere it went:
 *
 * - the events themselves, in the store (with any outbox entry that would still ship
 *   them) and, with an external memory (AgentCore), there too;
 * - for an actor, their private memory (`actors/{actorId}/…`), in the store and the
 *   external memory;
 * - records derived from the erased events: each loses those sources; one left with no
 *   source is deleted; a fact or preference whose text came from an erased event takes
 *   the text of its first remaining source (or is deleted when none can be read); a
 *   session summary is rewritten by the summary strategy from the events that remain
 *   (deleted when none remain);
 * - change-log rows and kv entries that name what was erased;
 * - then the store reclaims the space (FTS merged, VACUUM), so nothing erased survives
 *   in an index or a free page.
 *
 * A receipt is kept (ids and counts, when, by whom — never erased content), readable at
 * `longhaul://erasures/{erasureId}`. Structural rows stay: investigations, sessions,
 * tasks, signals and reports are the team's work, not the person's memory.
 */
import { iso } from '../domain/clock.js';
import { EMPTY_ERASURE_COUNTS, type ErasureCounts, type ErasureReceipt } from '../domain/erasure.js';
import { LonghaulError, NotFoundError } from '../domain/errors.js';
import type { MemoryEvent } from '../domain/event.js';
import { assertId, assertName } from '../domain/ids.js';
import { ACTORS_ROOT, namespaceOwner, namespaces } from '../domain/namespace.js';
import type { MemoryRecord } from '../domain/record.js';
import { derivedRecordId } from '../memory/ids.js';
import { memorySessionOf } from '../memory/port.js';
import { SUMMARY_ITEMS, SUMMARY_SECTIONS, summarizeSession } from '../memory/strategies/summary.js';
import { MAX_RECORD_TEXT } from '../memory/strategies/types.js';
import { clip, textKey } from '../memory/text.js';
import type { TenantStore } from '../store/port.js';
import { memoryOf, type Caller, type RuntimeDeps } from './deps.js';

/** Events erased per page (each page: a listing, then one delete each). */
const PAGE = 200;

/** Who may erase: the caller, and whether its credential holds the `admin` scope. */
export interface ErasureAuthority {
  caller: Caller;
  admin: boolean;
  /** Written on the receipt (default: the caller's actor id). */
  requestedBy?: string;
}

export const erasureUri = (id: string) => `longhaul://erasures/${id}`;

export const receiptView = (r: ErasureReceipt) => ({
  erasureId: r.id,
  uri: erasureUri(r.id),
  subject: r.subject.kind === 'actor' ? { kind: 'actor' as const, actorId: r.subject.actorId } : { kind: 'event' as const, eventId: r.subject.eventId },
  requestedBy: r.requestedBy,
  erasedAt: iso(r.createdAt),
  counts: { ...r.counts },
});
export type ReceiptView = ReturnType<typeof receiptView>;

const refused = (what: string) =>
  new LonghaulError('unauthorized', `${what} needs the caller to be that actor, or a credential with the admin scope; nothing was erased.`);

export class Erasure {
  constructor(private readonly d: RuntimeDeps) {}

  /** `forget_actor` / `longhaul erase`: everything of `actorId` in the caller's tenant. */
  async forgetActor(who: ErasureAuthority, actorId: string): Promise<ReceiptView> {
    assertName(actorId, 'actorId');
    if (!who.admin && actorId !== who.caller.actorId) throw refused(`Erasing actor "${actorId}"`);
    const tenantId = who.caller.tenantId;
    const t = this.d.store.tenant(tenantId);
    const run = new Run(this.d, t);
    // Sessions of the actor: their summaries name them, so each is rewritten (or deleted).
    for (const s of await t.listSessions({ actorId, limit: 5_000 })) run.sessions.add(s.id);
    for (;;) {
      // Always the first page: what it held is deleted before the next look.
      const page = await t.listEvents({ actorId, limit: PAGE, totalCap: PAGE });
      if (page.items.length === 0) break;
      await run.eraseEvents(page.items);
    }
    await run.erasePrivate(actorId);
    await run.rederive(actorId);
    const own = `"${ACTORS_ROOT}/${actorId}`;
    const mentions = await this.d.store.deleteMentions(tenantId, [`${own}/`, `${own}"`]);
    return this.finish(run, who, { kind: 'actor', actorId }, mentions);
  }

  /** `forget_event`: one event and what was derived from it (its actor, or an admin). */
  async forgetEvent(who: ErasureAuthority, eventId: string): Promise<ReceiptView> {
    assertId(eventId, 'evt', 'eventId');
    const tenantId = who.caller.tenantId;
    const t = this.d.store.tenant(tenantId);
    const [e] = await t.getEvents([eventId]);
    if (!e) throw new NotFoundError('event', eventId, 'the timeline and session event resources list them');
    if (!who.admin && e.actorId !== who.caller.actorId) throw refused(`Erasing event ${eventId} (recorded by another actor)`);
    const run = new Run(this.d, t);
    await run.eraseEvents([e]);
    await run.rederive(null);
    const mentions = await this.d.store.deleteMentions(tenantId, [eventId]);
    return this.finish(run, who, { kind: 'event', eventId }, mentions);
  }

  /** One receipt of the caller's tenant. */
  async receipt(caller: Caller, erasureId: string): Promise<ReceiptView> {
    assertId(erasureId, 'era', 'erasureId');
    const r = await this.d.store.tenant(caller.tenantId).getErasure(erasureId);
    if (!r) throw new NotFoundError('erasure receipt', erasureId, 'forget_actor and forget_event return it');
    return receiptView(r);
  }

  /** The caller's tenant's receipts, newest first. */
  async receipts(caller: Caller, limit = 50) {
    const page = await this.d.store.tenant(caller.tenantId).listErasures({ limit: Math.min(Math.max(1, Math.floor(limit)), 200) });
    return page.items.map(receiptView);
  }

  private async finish(run: Run, who: ErasureAuthority, subject: ErasureReceipt['subject'], mentions: { changeLogRows: number; kvEntries: number }): Promise<ReceiptView> {
    const tenantId = who.caller.tenantId;
    try {
      await this.d.store.reclaimDeleted();
    } catch (e) {
      // The data is gone from every table; only the index merge or vacuum failed (a busy file): the next erasure runs it again.
      this.d.logger.warn('erasure: reclaiming deleted space failed', { tenantId, error: e instanceof Error ? e.message : String(e) });
    }
    const receipt: ErasureReceipt = {
      id: this.d.ids('era'),
      tenantId,
      subject,
      requestedBy: who.requestedBy ?? who.caller.actorId,
      createdAt: this.d.clock.now(),
      counts: { ...run.counts, ...mentions },
    };
    await this.d.store.tenant(tenantId).saveErasure(receipt);
    for (const namespace of run.namespaces) this.d.feed.publish({ type: 'memory', tenantId, namespace });
    for (const id of run.sessions) this.d.feed.publish({ type: 'session', tenantId, id });
    this.d.logger.info('erasure done', { tenantId, erasureId: receipt.id, subject: subject.kind, requestedBy: receipt.requestedBy, counts: receipt.counts });
    return receiptView(receipt);
  }
}

/** One erasure in progress: what it erased so far, and what it must re-derive. */
class Run {
  readonly counts: ErasureCounts = { ...EMPTY_ERASURE_COUNTS };
  readonly erased = new Set<string>();
  readonly sessions = new Set<string>();
  /** Shared namespaces whose records changed (private ones are not announced: the change log would name them again). */
  readonly namespaces = new Set<string>();
  private readonly memory;

  constructor(
    private readonly d: RuntimeDeps,
    private readonly t: TenantStore,
  ) {
    this.memory = memoryOf(d);
  }

  private get external() {
    return this.memory.kind === 'store' ? null : this.memory.tenant(this.t.tenantId);
  }

  /**
   * Deletes events from the external memory first, then from the store: a failure there
   * leaves them in the store, so running the erasure again finds them again. Deleting
   * from the store also drops an outbox entry that had not shipped yet.
   */
  async eraseEvents(events: readonly MemoryEvent[]): Promise<void> {
    const ext = this.external;
    for (const e of events) {
      if (ext && (await ext.deleteEvent(memorySessionOf(e), e.id))) this.counts.memoryEvents++;
      if (await this.t.deleteEvent(e.id)) this.counts.events++;
      this.erased.add(e.id);
      if (e.sessionId !== null) this.sessions.add(e.sessionId);
    }
  }

  /** Every record under `actors/{actorId}/`, in the store and the external memory. */
  async erasePrivate(actorId: string): Promise<void> {
    const prefix = `${ACTORS_ROOT}/${actorId}`;
    for (;;) {
      const page = await this.t.listRecords({ namespacePrefix: prefix, limit: PAGE, totalCap: PAGE });
      if (page.items.length === 0) break;
      for (const r of page.items) if (await this.t.deleteRecord(r.id)) this.counts.recordsDeleted++;
    }
    const ext = this.external;
    if (!ext) return;
    for (;;) {
      const page = await ext.listRecords({ namespacePrefix: prefix, limit: PAGE });
      let deleted = 0;
      for (const r of page.items) if (await ext.deleteRecord(r.id)) deleted++;
      this.counts.memoryRecords += deleted;
      if (page.items.length === 0 || deleted === 0) break;
    }
  }

  /**
   * Every record of the tenant that cites an erased event (or, for an actor's erasure,
   * states the actor's words: a fact or preference attributed to them) is revised or
   * deleted; then each touched session's summary is rewritten. Records are read page by
   * page (a walk of the tenant's records: erasure is rare, and sources are not indexed).
   */
  async rederive(actorId: string | null): Promise<void> {
    let cursor: string | null = null;
    do {
      const page = await this.t.listRecords({ namespacePrefix: '', limit: PAGE, cursor, totalCap: 1 });
      for (const r of page.items) await this.revise(r, actorId);
      cursor = page.nextCursor;
    } while (cursor);
    for (const sessionId of this.sessions) await this.rewriteSummary(sessionId);
  }

  private async revise(r: MemoryRecord, actorId: string | null): Promise<void> {
    if (r.strategy === 'summary') {
      if (r.sessionId && (r.sourceEventIds.some((id) => this.erased.has(id)) || (actorId !== null && r.actorId === actorId))) this.sessions.add(r.sessionId);
      return;
    }
    const cites = r.sourceEventIds.some((id) => this.erased.has(id));
    const theirs = actorId !== null && r.actorId === actorId && (r.strategy === 'facts' || r.strategy === 'preferences');
    if (!cites && !theirs) return;
    const remaining = r.sourceEventIds.filter((id) => !this.erased.has(id));
    const shared = namespaceOwner(r.namespace) === null;
    if (remaining.length === 0) return this.drop(r, shared);
    // A fact's or preference's text is its first source's (consolidation): gone with it.
    const textGone = (r.strategy === 'facts' || r.strategy === 'preferences') && (theirs || this.erased.has(r.sourceEventIds[0]!));
    if (!textGone) {
      await this.t.reviseRecord({ id: r.id, text: r.text, textKey: r.textKey, sourceEventIds: remaining, now: this.d.clock.now() });
    } else {
      const readable = await this.t.getEvents(remaining);
      const byId = new Map(readable.map((e) => [e.id, e]));
      const first = remaining.map((id) => byId.get(id)).find((e) => e !== undefined && (actorId === null || e.actorId !== actorId));
      if (!first) return this.drop(r, shared);
      const text = clip(first.text, MAX_RECORD_TEXT);
      await this.t.reviseRecord({ id: r.id, text, textKey: textKey(text), sourceEventIds: remaining, actorId: first.actorId, now: this.d.clock.now() });
    }
    this.counts.recordsRevised++;
    if (shared) this.namespaces.add(r.namespace);
  }

  private async drop(r: MemoryRecord, shared: boolean): Promise<void> {
    if (await this.t.deleteRecord(r.id)) this.counts.recordsDeleted++;
    if (shared) this.namespaces.add(r.namespace);
  }

  /** The session's summary from the events it still has (the summary strategy, deterministic: no model sees erased context). */
  private async rewriteSummary(sessionId: string): Promise<void> {
    const id = derivedRecordId(this.t.tenantId, 'summary', sessionId);
    const existing = await this.t.getRecord(id);
    if (!existing) return;
    const session = await this.t.getSession(sessionId);
    const total = await this.t.listEvents({ sessionId, limit: 1 });
    if (!session || total.total === 0) {
      if (await this.t.deleteRecord(id)) this.counts.recordsDeleted++;
      this.namespaces.add(existing.namespace);
      return;
    }
    const sections = await Promise.all(SUMMARY_SECTIONS.map((s) => this.t.listEvents({ sessionId, kinds: s.kinds, limit: SUMMARY_ITEMS, order: 'desc' })));
    const { text, sourceEventIds } = await summarizeSession({ session, totalEvents: total.total, sections: sections.map((p) => ({ items: p.items, total: p.total })), recentMessages: [] }, null);
    await this.t.reviseRecord({ id, text, textKey: textKey(text), sourceEventIds, now: this.d.clock.now() });
    this.counts.summariesRewritten++;
    this.namespaces.add(namespaces.sessionSummary(sessionId));
  }
}
