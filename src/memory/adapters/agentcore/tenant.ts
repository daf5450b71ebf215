import {
  DeleteEventCommand,
  DeleteMemoryRecordCommand,
  GetEventCommand,
  GetMemoryRecordCommand,
  ListEventsCommand,
  ListMemoryRecordsCommand,
  RetrieveMemoryRecordsCommand,
  type BedrockAgentCoreClient,
  type MemoryMetadataFilterExpression,
} from '@aws-sdk/client-bedrock-agentcore';
import { InvalidInputError } from '../../../domain/errors.js';
import type { MemoryEvent } from '../../../domain/event.js';
import { namespaceHasPrefix, parseNamespace } from '../../../domain/namespace.js';
import type { MemoryRecord, ScoredRecord } from '../../../domain/record.js';
import type { Logger } from '../../../logger.js';
import type { Page } from '../../../store/port.js';
import type { TenantMemory } from '../../port.js';
import { isNotFound, readError } from './errors.js';
import {
  AGENTCORE_EVENT_ID,
  AGENTCORE_RECORD_ID,
  EVENT_META,
  LIMITS,
  RECORD_META,
  eventFromAgentCore,
  isLonghaulEventId,
  isLonghaulRecordId,
  recordFromAgentCore,
  sessionIdOf,
  tenantRoot,
  toAgentCoreNamespace,
  type AgentCoreEventLike,
  type AgentCoreRecordLike,
} from './mapping.js';

/**
 * The most items one list call reads from AgentCore before it sorts and pages them.
 * AgentCore lists in its own order with no count, while the port pages newest first
 * (records) or oldest first (events) with a total; so a list reads the prefix or session
 * whole — bounded here — and a larger one says so in the log and pages what it read.
 */
export const MAX_SCAN = 10_000;

/** A record found in AgentCore: longhaul's view, and what a delete or update needs. */
export interface FoundRecord {
  record: MemoryRecord;
  memoryRecordId: string;
  agentCoreNamespace: string;
}

export interface TenantContext {
  client: BedrockAgentCoreClient;
  memoryId: string;
  logger: Logger;
}

/** One tenant's view of AgentCore Memory: every call carries its actorId and its namespace root. */
export class AgentCoreTenantMemory implements TenantMemory {
  private readonly root: string;

  constructor(
    private readonly ctx: TenantContext,
    readonly tenantId: string,
    /** The tenant's AgentCore actorId (mapping.actorIdOf). */
    readonly actorId: string,
  ) {
    this.root = tenantRoot(actorId);
  }

  // ---- records ----

  async getRecord(id: string): Promise<MemoryRecord | null> {
    return (await this.findRecord(id))?.record ?? null;
  }

  async listRecords(q: Parameters<TenantMemory['listRecords']>[0]): Promise<Page<MemoryRecord>> {
    const prefix = q.namespacePrefix === '' ? '' : parseNamespace(q.namespacePrefix, 'namespacePrefix');
    const namespace = toAgentCoreNamespace(this.actorId, prefix);
    const all: MemoryRecord[] = [];
    // A count-only read (limit 0: "any records here?", asked once per namespace a resource
    // list offers) needs no order, so it stops as soon as the count passes its cap instead
    // of reading the whole prefix; a page of records needs them all to sort newest first.
    const enough = q.limit === 0 && q.totalCap !== undefined && !q.cursor ? q.totalCap + 1 : Number.POSITIVE_INFINITY;
    const pageSize = Math.min(100, Math.max(10, enough));
    for await (const found of this.scanRecords(namespace, undefined, 'listing memory records', pageSize)) {
      if (prefix !== '' && !namespaceHasPrefix(found.record.namespace, prefix)) continue;
      if (q.status && found.record.status !== q.status) continue;
      all.push(found.record);
      if (all.length >= enough) break;
    }
    all.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    let start = 0;
    if (q.cursor) {
      const [at, id] = decodeCursor(q.cursor);
      start = all.findIndex((r) => r.createdAt < at || (r.createdAt === at && r.id < id));
      if (start === -1) start = all.length;
    }
    const items = all.slice(start, start + q.limit);
    const last = items[items.length - 1];
    const more = start + q.limit < all.length;
    const capped = q.totalCap !== undefined && all.length > q.totalCap;
    return {
      items,
      total: capped ? q.totalCap! : all.length,
      nextCursor: more && last ? encodeCursor(last.createdAt, last.id) : null,
      ...(q.totalCap !== undefined ? { totalCapped: capped } : {}),
    };
  }

  async searchRecords(q: Parameters<TenantMemory['searchRecords']>[0]): Promise<ScoredRecord[]> {
    if (!Number.isInteger(q.topK) || q.topK < 1 || q.topK > LIMITS.topK) {
      throw new InvalidInputError(`topK must be a whole number from 1 to ${LIMITS.topK} on AgentCore Memory (got ${q.topK}).`);
    }
    if (q.query.trim() === '') return [];
    const prefix = q.namespacePrefix ? parseNamespace(q.namespacePrefix, 'namespacePrefix') : '';
    // Ask for more than topK: hits in a sibling namespace ("inv_1" vs "inv_10") and
    // superseded records are dropped here, after AgentCore ranked them.
    const fetch = Math.min(LIMITS.topK, q.topK * 2 + 10);
    let summaries: AgentCoreRecordLike[];
    try {
      const out = await this.ctx.client.send(
        new RetrieveMemoryRecordsCommand({
          memoryId: this.ctx.memoryId,
          namespace: toAgentCoreNamespace(this.actorId, prefix),
          searchCriteria: { searchQuery: q.query, topK: fetch },
          maxResults: fetch,
        }),
      );
      summaries = out.memoryRecordSummaries ?? [];
    } catch (err) {
      throw readError(err, 'Searching AgentCore Memory', this.ctx.logger);
    }
    const hits: ScoredRecord[] = [];
    for (const s of summaries) {
      const found = recordFromAgentCore(this.tenantId, this.actorId, s);
      if (!found) continue; // not under this tenant's root: never returned
      if (prefix !== '' && !namespaceHasPrefix(found.record.namespace, prefix)) continue;
      if (!q.includeSuperseded && found.record.status === 'superseded') continue;
      hits.push({ record: found.record, score: typeof (s as { score?: number }).score === 'number' ? (s as { score: number }).score : 0 });
      if (hits.length === q.topK) break;
    }
    return hits;
  }

  async deleteRecord(id: string): Promise<boolean> {
    const found = await this.findRecord(id);
    if (!found) return false;
    try {
      await this.ctx.client.send(new DeleteMemoryRecordCommand({ memoryId: this.ctx.memoryId, memoryRecordId: found.memoryRecordId, namespace: found.agentCoreNamespace }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw readError(err, 'Deleting a memory record in AgentCore', this.ctx.logger);
    }
  }

  /**
   * A record of this tenant by longhaul id (metadata `lh_id`, listed under the tenant's
   * root) or by AgentCore memoryRecordId (GetMemoryRecord). Either way it is returned
   * only when its namespace lies under the tenant's root: another tenant's record id
   * finds nothing.
   */
  async findRecord(id: string): Promise<FoundRecord | null> {
    if (typeof id !== 'string') return null;
    if (isLonghaulRecordId(id)) {
      const filter: MemoryMetadataFilterExpression = { left: { metadataKey: RECORD_META.id }, operator: 'EQUALS_TO', right: { metadataValue: { stringValue: id } } };
      for await (const found of this.scanRecords(this.root, [filter], 'reading a memory record')) {
        if (found.record.id === id) return found;
      }
      return null;
    }
    if (!AGENTCORE_RECORD_ID.test(id)) return null;
    try {
      const out = await this.ctx.client.send(new GetMemoryRecordCommand({ memoryId: this.ctx.memoryId, memoryRecordId: id, namespace: this.root }));
      return out.memoryRecord ? recordFromAgentCore(this.tenantId, this.actorId, out.memoryRecord) : null;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw readError(err, 'Reading a memory record from AgentCore', this.ctx.logger);
    }
  }

  private async *scanRecords(namespace: string, metadataFilters: MemoryMetadataFilterExpression[] | undefined, what: string, pageSize = 100): AsyncGenerator<FoundRecord> {
    let nextToken: string | undefined;
    let seen = 0;
    do {
      let page: { memoryRecordSummaries?: AgentCoreRecordLike[]; nextToken?: string };
      try {
        page = await this.ctx.client.send(
          new ListMemoryRecordsCommand({ memoryId: this.ctx.memoryId, namespace, maxResults: pageSize, ...(metadataFilters ? { metadataFilters } : {}), ...(nextToken ? { nextToken } : {}) }),
        );
      } catch (err) {
        throw readError(err, `${what[0]!.toUpperCase()}${what.slice(1)} in AgentCore`, this.ctx.logger);
      }
      for (const s of page.memoryRecordSummaries ?? []) {
        const found = recordFromAgentCore(this.tenantId, this.actorId, s);
        if (found) yield found;
      }
      seen += page.memoryRecordSummaries?.length ?? 0;
      nextToken = page.nextToken || undefined;
      if (nextToken && seen >= MAX_SCAN) {
        this.ctx.logger.warn('agentcore memory: list stopped at the scan bound', { tenantId: this.tenantId, namespace, bound: MAX_SCAN, what });
        return;
      }
    } while (nextToken);
  }

  // ---- events ----

  async listEvents(q: { sessionId: string; limit: number; cursor?: string | null }): Promise<Page<MemoryEvent>> {
    const sessionId = sessionIdOf(q.sessionId);
    const all: MemoryEvent[] = [];
    for await (const e of this.scanEvents(sessionId)) all.push(eventFromAgentCore(this.tenantId, e));
    all.sort((a, b) => a.seq - b.seq || a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    let start = 0;
    if (q.cursor) {
      const [seq, id] = decodeCursor(q.cursor);
      start = all.findIndex((e) => e.seq > seq || (e.seq === seq && e.id > id));
      if (start === -1) start = all.length;
    }
    const items = all.slice(start, start + q.limit);
    const last = items[items.length - 1];
    return { items, total: all.length, nextCursor: start + q.limit < all.length && last ? encodeCursor(last.seq, last.id) : null };
  }

  async getEvent(sessionId: string, eventId: string): Promise<MemoryEvent | null> {
    const found = await this.findEvent(sessionIdOf(sessionId), eventId);
    return found ? eventFromAgentCore(this.tenantId, found) : null;
  }

  async deleteEvent(sessionId: string, eventId: string): Promise<boolean> {
    const session = sessionIdOf(sessionId);
    const found = await this.findEvent(session, eventId);
    if (!found?.eventId) return false;
    try {
      await this.ctx.client.send(new DeleteEventCommand({ memoryId: this.ctx.memoryId, actorId: this.actorId, sessionId: session, eventId: found.eventId }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw readError(err, 'Deleting an event in AgentCore', this.ctx.logger);
    }
  }

  /** An event of this tenant's session by longhaul id (metadata `lh_event_id`) or by AgentCore eventId. */
  async findEvent(sessionId: string, eventId: string): Promise<AgentCoreEventLike | null> {
    if (typeof eventId !== 'string') return null;
    if (isLonghaulEventId(eventId)) {
      const filter = { left: { metadataKey: EVENT_META.id }, operator: 'EQUALS_TO' as const, right: { metadataValue: { stringValue: eventId } } };
      for await (const e of this.scanEvents(sessionId, [filter])) {
        if (e.metadata?.[EVENT_META.id]?.stringValue === eventId) return e;
      }
      return null;
    }
    if (!AGENTCORE_EVENT_ID.test(eventId)) return null;
    try {
      const out = await this.ctx.client.send(new GetEventCommand({ memoryId: this.ctx.memoryId, actorId: this.actorId, sessionId, eventId }));
      return out.event && out.event.actorId === this.actorId ? out.event : null;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw readError(err, 'Reading an event from AgentCore', this.ctx.logger);
    }
  }

  private async *scanEvents(
    sessionId: string,
    eventMetadata?: Array<{ left: { metadataKey: string }; operator: 'EQUALS_TO'; right: { metadataValue: { stringValue: string } } }>,
  ): AsyncGenerator<AgentCoreEventLike> {
    let nextToken: string | undefined;
    let seen = 0;
    do {
      let page: { events?: Array<AgentCoreEventLike & { actorId?: string }>; nextToken?: string };
      try {
        page = await this.ctx.client.send(
          new ListEventsCommand({
            memoryId: this.ctx.memoryId,
            actorId: this.actorId,
            sessionId,
            includePayloads: true,
            maxResults: 100,
            ...(eventMetadata ? { filter: { eventMetadata } } : {}),
            ...(nextToken ? { nextToken } : {}),
          }),
        );
      } catch (err) {
        if (isNotFound(err)) return; // a session AgentCore has never seen: no events
        throw readError(err, 'Listing events in AgentCore', this.ctx.logger);
      }
      for (const e of page.events ?? []) if (e.actorId === undefined || e.actorId === this.actorId) yield e;
      seen += page.events?.length ?? 0;
      nextToken = page.nextToken || undefined;
      if (nextToken && seen >= MAX_SCAN) {
        this.ctx.logger.warn('agentcore memory: event list stopped at the scan bound', { tenantId: this.tenantId, sessionId, bound: MAX_SCAN });
        return;
      }
    } while (nextToken);
  }
}

/** Keyset cursors: `[number, id]`, opaque to callers. */
function encodeCursor(n: number, id: string): string {
  return 'ac.' + Buffer.from(JSON.stringify([n, id])).toString('base64url');
}

function decodeCursor(cursor: string): [number, string] {
  try {
    if (cursor.startsWith('ac.')) {
      const v: unknown = JSON.parse(Buffer.from(cursor.slice(3), 'base64url').toString('utf8'));
      if (Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'string') return [v[0], v[1]];
    }
  } catch {
    // fall through
  }
  throw new InvalidInputError(`cursor "${cursor.slice(0, 40)}" is not a cursor this list returned; pass nextCursor from the previous page.`);
}
