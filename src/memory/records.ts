import { iso } from '../domain/clock.js';
import { InvalidInputError, NotFoundError } from '../domain/errors.js';
import { assertId } from '../domain/ids.js';
import type { RecordStatus } from '../domain/record.js';
import { memoryOf, type Caller, type RuntimeDeps } from '../runtime/deps.js';
import { COUNT_CAP, eventView, showing } from '../runtime/views.js';
import { recordVisibleTo, scopedPrefix } from './scope.js';
import { recordSummaryView, recordView } from './views.js';

export const LIST_DEFAULT_LIMIT = 50;
export const LIST_MAX_LIMIT = 200;
export const SOURCES_DEFAULT_LIMIT = 20;
export const SOURCES_MAX_LIMIT = 100;

const pageSize = (limit: number | undefined, def: number, max: number, what: string) => {
  const n = limit ?? def;
  if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidInputError(`${what} must be a whole number from 1 to ${max} (got ${limit}).`);
  return n;
};

/** `all` lists active and superseded records; the default is active only. */
export type StatusFilter = RecordStatus | 'all';

/** A page of the records under a namespace prefix, newest first (`longhaul://memory/{namespace}`), counted up to COUNT_CAP ("1,000+"). */
export async function listRecords(d: RuntimeDeps, caller: Caller, q: { namespace: string; status?: StatusFilter; limit?: number; cursor?: string | null }) {
  // `actors` narrows to the caller's own; another actor's namespace is refused (./scope.ts).
  const namespace = scopedPrefix(caller.actorId, q.namespace);
  if (!namespace) throw new InvalidInputError('namespace is empty; give a namespace such as "investigations/inv_…/facts".');
  const status = q.status ?? 'active';
  const limit = pageSize(q.limit, LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT, 'limit');
  const page = await memoryOf(d).tenant(caller.tenantId).listRecords({
    namespacePrefix: namespace,
    ...(status === 'all' ? {} : { status }),
    limit,
    cursor: q.cursor ?? null,
    totalCap: COUNT_CAP,
  });
  return {
    namespace,
    status,
    records: page.items.map(recordSummaryView),
    total: page.total,
    nextCursor: page.nextCursor,
    showing: showing(page.items.length, page.total, `${status === 'all' ? '' : status + ' '}records under ${namespace}`, page.totalCapped),
  };
}

/**
 * One record with its source events — "why do you remember this?". Sources are paged
 * (offset cursor over the record's source list); a source that retention has already
 * expired is listed by id under `expired`. A superseded record names its successor.
 */
export async function readRecord(d: RuntimeDeps, caller: Caller, recordId: string, page: { limit?: number; cursor?: string | null } = {}) {
  assertRecordId(recordId);
  const t = d.store.tenant(caller.tenantId);
  const r = await findRecord(d, caller.tenantId, recordId);
  // Another actor's private record reads exactly as one that does not exist.
  if (!r || !recordVisibleTo(caller.actorId, r)) throw new NotFoundError('memory record', recordId);
  const limit = pageSize(page.limit, SOURCES_DEFAULT_LIMIT, SOURCES_MAX_LIMIT, 'limit');
  const offset = decodeOffset(page.cursor);
  const ids = r.sourceEventIds.slice(offset, offset + limit);
  const events = await t.getEvents(ids);
  const found = new Set(events.map((e) => e.id));
  const successor = r.supersededBy ? await findRecord(d, caller.tenantId, r.supersededBy) : null;
  const next = offset + ids.length < r.sourceEventIds.length ? Buffer.from(`o:${offset + ids.length}`).toString('base64url') : null;
  return {
    record: recordView(r),
    successor: successor ? { recordId: successor.id, text: successor.text, status: successor.status, createdAt: iso(successor.createdAt) } : null,
    sources: {
      events: events.map(eventView),
      expired: ids.filter((id) => !found.has(id)),
      total: r.sourceEventIds.length,
      nextCursor: next,
      showing: showing(ids.length, r.sourceEventIds.length, 'source events'),
    },
  };
}

/**
 * `forget_memory`: deletes one record — the only destructive memory operation — of
 * the caller's tenant, shared or the caller's own (another actor's reads as not found). Its
 * source events are untouched (they expire on their own); a record it had superseded
 * stays superseded (forgetting the newer statement does not revive the older one).
 */
export async function forgetRecord(d: RuntimeDeps, caller: Caller, recordId: string) {
  assertRecordId(recordId);
  const memory = memoryOf(d);
  const t = d.store.tenant(caller.tenantId);
  const r = await findRecord(d, caller.tenantId, recordId);
  if (!r || !recordVisibleTo(caller.actorId, r)) throw new NotFoundError('memory record', recordId);
  // A record longhaul extracted lives in the store (where consolidation reads it): deleting
  // it there also queues its deletion for an external memory (the outbox, in the same
  // step), so a later update can never ship it back — and it is gone from reads at once
  // (memory/adapters/store-truth.ts). The external copy is deleted now too when AgentCore
  // answers; the queued deletion is the guarantee. A record only the external memory
  // holds (extracted by AgentCore) is deleted there.
  const fromStore = await t.deleteRecord(recordId);
  if (fromStore && memory.kind !== 'store') {
    await memory.tenant(caller.tenantId).deleteRecord(recordId).catch((e: unknown) => {
      d.logger.warn('memory record forgotten in the store; its deletion in the external memory waits in the outbox', { tenantId: caller.tenantId, recordId, error: (e as Error).message });
    });
  }
  const deleted = fromStore || (memory.kind !== 'store' && (await memory.tenant(caller.tenantId).deleteRecord(recordId)));
  if (!deleted) throw new NotFoundError('memory record', recordId);
  d.feed.publish({ type: 'memory', tenantId: caller.tenantId, namespace: r.namespace });
  d.logger.info('memory record forgotten', { tenantId: caller.tenantId, actorId: caller.actorId, recordId, namespace: r.namespace });
  return { recordId, namespace: r.namespace, deleted: true as const, text: r.text.length > 200 ? r.text.slice(0, 199) + '…' : r.text };
}

function decodeOffset(cursor: string | null | undefined): number {
  if (!cursor) return 0;
  const m = /^o:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new InvalidInputError(`cursor "${cursor.slice(0, 40)}" is not valid here; pass the nextCursor of the previous page unchanged.`);
  return Number(m[1]);
}

/**
 * A record id: longhaul's (`rec_` + 30 letters/digits) or, with AgentCore Memory, the id
 * AgentCore gave a record its own strategies extracted (AgentCore's memoryRecordId
 * pattern, passed through unchanged).
 */
const AGENTCORE_RECORD_ID = /^[a-zA-Z0-9][a-zA-Z0-9-_]{0,99}$/;
function assertRecordId(recordId: string): void {
  if (typeof recordId === 'string' && !recordId.startsWith('rec_') && AGENTCORE_RECORD_ID.test(recordId)) return;
  assertId(recordId, 'rec', 'recordId');
}

/**
 * A record of this tenant as the memory holds it (with an external memory and longhaul's
 * extraction, a `rec_…` record is read from the store, shipped or not: store-truth.ts).
 */
const findRecord = (d: RuntimeDeps, tenantId: string, recordId: string) => memoryOf(d).tenant(tenantId).getRecord(recordId);
