import { iso } from '../domain/clock.js';
import type { Caller, RuntimeDeps } from '../runtime/deps.js';
import type { ModelRegistry } from '../runtime/model.js';
import { Extraction, type ExtractionSettings } from './extraction.js';
import { forgetRecord, listRecords, readRecord, type StatusFilter } from './records.js';
import { searchMemory, type SearchInput } from './search.js';

/**
 * Long-term memory, as tools, resources, workers and the scheduler use it: search,
 * list, read (with provenance), forget, and per-session extraction with its status.
 * The tenant always comes from the caller.
 */
export class Memory {
  readonly extraction: Extraction;

  constructor(
    private readonly d: RuntimeDeps,
    readonly models: ModelRegistry,
    settings: Partial<ExtractionSettings> = {},
  ) {
    this.extraction = new Extraction(d, models, settings);
  }

  search(caller: Caller, input: SearchInput) {
    return searchMemory(this.d, caller, input);
  }

  list(caller: Caller, q: { namespace: string; status?: StatusFilter; limit?: number; cursor?: string | null }) {
    return listRecords(this.d, caller, q);
  }

  read(caller: Caller, recordId: string, page?: { limit?: number; cursor?: string | null }) {
    return readRecord(this.d, caller, recordId, page);
  }

  forget(caller: Caller, recordId: string) {
    return forgetRecord(this.d, caller, recordId);
  }

  /** Extracts one session now (the scheduler's job calls this for due sessions). */
  extractSession(tenantId: string, sessionId: string) {
    return this.extraction.extractSession(tenantId, sessionId);
  }

  /**
   * Extraction status of a session, for `longhaul://sessions/{id}`: extracted through
   * which event seq, how many events wait (one indexed count), last run and error,
   * and when the next run is due.
   */
  async extractionStatus(tenantId: string, sessionId: string) {
    const t = this.d.store.tenant(tenantId);
    const [cp, session] = await Promise.all([t.getCheckpoint(sessionId), t.getSession(sessionId)]);
    const through = cp?.throughSeq ?? 0;
    const backlog = (await t.listEvents({ sessionId, afterSeq: through, limit: 1 })).total;
    return {
      extractedThroughSeq: through,
      backlog,
      lastRunAt: cp?.lastRunAt ? iso(cp.lastRunAt) : null,
      lastError: cp?.lastError ?? null,
      nextRunAt: cp?.dueAt != null ? iso(cp.dueAt) : null,
      // The model extraction would use now: a sampler only of the session's own actor.
      model: this.models.current(tenantId, session?.actorId ?? null)?.name ?? null,
    };
  }
}
export type ExtractionStatus = Awaited<ReturnType<Memory['extractionStatus']>>;
