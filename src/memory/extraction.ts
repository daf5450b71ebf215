import { ConflictError } from '../domain/errors.js';
import { namespaces } from '../domain/namespace.js';
import type { Session } from '../domain/session.js';
import type { RuntimeDeps } from '../runtime/deps.js';
import type { Model, ModelRegistry } from '../runtime/model.js';
import type { RecordWrite, TenantStore } from '../store/port.js';
import { Consolidator, type Outcome } from './consolidate.js';
import { derivedRecordId } from './ids.js';
import { extractFacts } from './strategies/facts.js';
import { extractPreferences } from './strategies/preferences.js';
import { SUMMARY_ITEMS, SUMMARY_SECTIONS, summarizeSession } from './strategies/summary.js';
import type { EventStrategy } from './strategies/types.js';
import { textKey } from './text.js';

export interface ExtractionSettings {
  /** Events read and committed per step (one atomic commit each). */
  batchSize: number;
  /** Steps per session per run: a long backlog continues on the next run. */
  maxBatchesPerRun: number;
  /** First retry delay after a failure; doubles per consecutive failure up to maxRetryMs. */
  retryBaseMs: number;
  maxRetryMs: number;
  /**
   * False when another system extracts (AgentCore's own strategies,
   * LONGHAUL_AGENTCORE_EXTRACTION=agentcore): runs then only move the checkpoint, so
   * retention (which deletes only extracted events) still expires them.
   */
  derive: boolean;
}

export const DEFAULT_EXTRACTION: ExtractionSettings = { batchSize: 500, maxBatchesPerRun: 20, retryBaseMs: 10_000, maxRetryMs: 3_600_000, derive: true };

export interface ExtractionRun {
  tenantId: string;
  sessionId: string;
  /** `done`: caught up; `more`: stopped at the per-run bound; `failed`: checkpoint unchanged, retry later; `conflict`: another run advanced it first. */
  status: 'done' | 'more' | 'failed' | 'conflict';
  events: number;
  fromSeq: number;
  throughSeq: number;
  outcomes: Record<Outcome, number>;
  error?: string;
  model: string | null;
}

const PER_EVENT: readonly EventStrategy[] = [extractFacts, extractPreferences];

/**
 * Extraction of one session from its stored checkpoint: pages its events after
 * `throughSeq` in bounded batches, runs the strategies, consolidates, and commits each
 * batch with a compare-and-set on the checkpoint — so two runs never both apply a
 * batch, a crash mid-run loses nothing (the batch is simply read again), and record
 * ids derived from source events make a replay write nothing twice. A failure (a model
 * error, most often) records `lastError` and a retry time with backoff; the
 * checkpoint does not move, so no event is skipped and retention keeps them.
 */
export class Extraction {
  readonly settings: ExtractionSettings;

  constructor(
    private readonly d: RuntimeDeps,
    private readonly models: ModelRegistry,
    settings: Partial<ExtractionSettings> = {},
  ) {
    this.settings = { ...DEFAULT_EXTRACTION, ...settings };
  }

  async extractSession(tenantId: string, sessionId: string): Promise<ExtractionRun> {
    const t = this.d.store.tenant(tenantId);
    const now = this.d.clock.now();
    const [cp, session] = await Promise.all([t.getCheckpoint(sessionId), t.getSession(sessionId)]);
    // Sampling goes only to a client of the session's own actor (ModelRegistry.current):
    // alice's client never summarises bob's session. Without one, the deterministic path.
    const model = this.models.current(tenantId, session?.actorId ?? null);
    const run: ExtractionRun = {
      tenantId,
      sessionId,
      status: 'done',
      events: 0,
      fromSeq: cp?.throughSeq ?? 0,
      throughSeq: cp?.throughSeq ?? 0,
      outcomes: { created: 0, merged: 0, superseded: 0, unchanged: 0 },
      model: model?.name ?? null,
    };
    const touched = new Set<string>();
    try {
      for (let batch = 0; ; batch++) {
        const page = await t.listEvents({ sessionId, afterSeq: run.throughSeq, limit: this.settings.batchSize, totalCap: this.settings.batchSize + 1 });
        const more = page.total > page.items.length;
        const last = !more || batch + 1 >= this.settings.maxBatchesPerRun;
        const c = new Consolidator(t, now);
        const derive = this.settings.derive;
        for (const strategy of derive ? PER_EVENT : []) {
          for (const cand of await strategy(page.items, { session, model })) run.outcomes[await c.add(cand)]++;
        }
        const writes: RecordWrite[] = [...c.writes];
        // The summary reads the whole session, so it is written once, with the run's last batch.
        const summary = derive && last && session ? await this.summaryWrites(t, session, model, now) : [];
        writes.push(...summary);
        const throughSeq = page.items.at(-1)?.seq ?? run.throughSeq;
        await t.commitExtraction({ sessionId, expectedThroughSeq: run.throughSeq, throughSeq, now, dueAt: more ? now : null, writes });
        for (const ns of c.namespaces) touched.add(ns);
        if (summary.length) touched.add(namespaces.sessionSummary(sessionId));
        if (!more) {
          // An event appended after our read but before our commit found the session
          // already due (appends only mark it when unset), and the commit just cleared
          // that mark: put it back so the event is not stranded until the next append.
          const late = await t.listEvents({ sessionId, afterSeq: throughSeq, limit: 1, totalCap: 1 });
          if (late.total > 0) await t.scheduleExtraction(sessionId, now);
        }
        run.events += page.items.length;
        run.throughSeq = throughSeq;
        if (!more) break;
        if (last) {
          run.status = 'more';
          break;
        }
      }
    } catch (e) {
      if (e instanceof ConflictError) {
        run.status = 'conflict';
        this.d.logger.debug('extraction lost the checkpoint race', { tenantId, sessionId, error: e.message });
      } else {
        run.status = 'failed';
        run.error = e instanceof Error ? e.message : String(e);
        const retryAt = now + this.backoff(cp);
        await t.failExtraction({ sessionId, now, error: run.error, retryAt }).catch((fe: unknown) => {
          this.d.logger.error('cannot record extraction failure', { tenantId, sessionId, error: String(fe) });
        });
        this.d.logger.warn('extraction failed; will retry', { tenantId, sessionId, error: run.error, retryAt, throughSeq: run.throughSeq });
      }
    }
    for (const namespace of touched) this.d.feed.publish({ type: 'memory', tenantId, namespace });
    this.d.feed.publish({ type: 'session', tenantId, id: sessionId });
    return run;
  }

  /** Doubles the previous retry gap after consecutive failures (the checkpoint keeps the last one). */
  private backoff(cp: { lastError: string | null; lastRunAt: number | null; dueAt: number | null } | null): number {
    const { retryBaseMs, maxRetryMs } = this.settings;
    if (!cp || cp.lastError === null || cp.lastRunAt === null || cp.dueAt === null) return retryBaseMs;
    // The previous run failed too: it scheduled this one `dueAt - lastRunAt` after itself.
    return Math.min(maxRetryMs, Math.max(retryBaseMs, (cp.dueAt - cp.lastRunAt) * 2));
  }

  /** The session's summary record: created once (derived id), refreshed in place as the session grows. */
  private async summaryWrites(t: TenantStore, session: Session, model: Model | null, now: number): Promise<RecordWrite[]> {
    const [total, sections, recent] = await Promise.all([
      t.listEvents({ sessionId: session.id, limit: 1 }),
      Promise.all(SUMMARY_SECTIONS.map((s) => t.listEvents({ sessionId: session.id, kinds: s.kinds, limit: SUMMARY_ITEMS, order: 'desc' }))),
      model ? t.listEvents({ sessionId: session.id, kinds: ['message'], limit: 20, order: 'desc' }) : Promise.resolve(null),
    ]);
    if (total.total === 0) return [];
    const id = derivedRecordId(session.tenantId, 'summary', session.id);
    const existing = await t.getRecord(id);
    const { text, sourceEventIds } = await summarizeSession(
      { session, totalEvents: total.total, sections: sections.map((p) => ({ items: p.items, total: p.total })), recentMessages: recent?.items ?? [] },
      model,
    );
    const key = textKey(text);
    if (existing) return existing.text === text ? [] : [{ op: 'update_text', id, text, textKey: key, eventIds: sourceEventIds.filter((x) => !existing.sourceEventIds.includes(x)), now }];
    const namespace = namespaces.sessionSummary(session.id);
    return [
      {
        op: 'create',
        record: {
          id,
          tenantId: session.tenantId,
          namespace,
          strategy: 'summary',
          text,
          textKey: key,
          topicKey: null,
          status: 'active',
          supersededBy: null,
          sourceEventIds,
          sessionId: session.id,
          investigationId: session.investigationId,
          actorId: session.actorId,
          createdAt: now,
          updatedAt: now,
        },
      },
    ];
  }
}
