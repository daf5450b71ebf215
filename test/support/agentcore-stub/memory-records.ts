/**
 * AgentCore Memory long-term record routes: RetrieveMemoryRecords, ListMemoryRecords,
 * GetMemoryRecord, DeleteMemoryRecord and BatchCreate/Update/DeleteMemoryRecords.
 */
import { relevance } from './extract.js';
import {
  MEMORY_RECORD_ID,
  NAMESPACE,
  REQUEST_IDENTIFIER,
  STRATEGY_ID,
  parseNamespaceScope,
  parseNamespaces,
  parseRecordContent,
  parseRecordMetadata,
  parseRecordMetadataFilters,
  recordFilterHolds,
} from './memory-shapes.js';
import type { MemoryState, StoredRecord } from './memory-state.js';
import type { StubOperation, StubRequest } from './types.js';
import {
  canonical,
  decodeToken,
  encodeToken,
  epochSeconds,
  isObject,
  json,
  notFound,
  optionalInt,
  optionalString,
  optionalTimestamp,
  parseJsonBody,
  requireArray,
  requireString,
  validationError,
} from './validate.js';

/** The service documents 20 as the default page size of the list and retrieve operations. */
export const DEFAULT_PAGE = 20;

export interface RecordContext {
  /** Resolves the `memoryId` label (id or ARN) to its state; ValidationException / ResourceNotFoundException. */
  memory(labels: Record<string, string>): MemoryState;
  nextRecordId(m: MemoryState): { id: string; seq: number };
}

export function recordWire(r: StoredRecord, score?: number): Record<string, unknown> {
  return {
    memoryRecordId: r.memoryRecordId,
    content: { text: r.text },
    ...(r.memoryStrategyId !== undefined ? { memoryStrategyId: r.memoryStrategyId } : {}),
    namespaces: r.namespaces,
    createdAt: epochSeconds(r.createdAt),
    ...(score !== undefined ? { score } : {}),
    ...(r.metadata ? { metadata: r.metadata } : {}),
  };
}

export function recordOperations(ctx: RecordContext): StubOperation[] {
  const { memory, nextRecordId } = ctx;

  function scopedRecords(m: MemoryState, body: Record<string, unknown>, strategyId: string | undefined, filtersField: unknown, filtersName: string) {
    const inScope = parseNamespaceScope(body);
    const filters = parseRecordMetadataFilters(filtersField, filtersName);
    return [...m.records.values()].filter(
      (r) =>
        r.namespaces.some(inScope) &&
        (strategyId === undefined || r.memoryStrategyId === strategyId) &&
        (filters ?? []).every((f) => recordFilterHolds(r.metadata, f)),
    );
  }

  function retrieve(req: StubRequest, labels: Record<string, string>) {
    const m = memory(labels);
    const body = parseJsonBody(req);
    if (!isObject(body.searchCriteria)) throw validationError('searchCriteria is required', 'searchCriteria');
    const criteria = body.searchCriteria;
    const query = requireString(criteria.searchQuery, 'searchCriteria.searchQuery', { min: 1, max: 10_000 });
    const strategyId = optionalString(criteria.memoryStrategyId, 'searchCriteria.memoryStrategyId', STRATEGY_ID);
    const topK = optionalInt(criteria.topK, 'searchCriteria.topK', 1, 100) ?? 10;
    const maxResults = optionalInt(body.maxResults, 'maxResults', 1, 100) ?? DEFAULT_PAGE;
    const nextToken = optionalString(body.nextToken, 'nextToken');
    const candidates = scopedRecords(m, body, strategyId, criteria.metadataFilters, 'searchCriteria.metadataFilters');
    const ranked = candidates
      .map((r) => ({ r, score: relevance(query, r.text) }))
      .filter((x) => x.score > 0)
      .sort((a, b) => b.score - a.score || b.r.createdAt - a.r.createdAt || b.r.seq - a.r.seq)
      .slice(0, topK);
    const scope = canonical({ op: 'Retrieve', m: m.id, body: { ...body, nextToken: null, maxResults: null } });
    const offset = decodeToken(nextToken, scope);
    const page = ranked.slice(offset, offset + maxResults);
    return json(200, {
      memoryRecordSummaries: page.map((x) => recordWire(x.r, x.score)),
      ...(offset + maxResults < ranked.length ? { nextToken: encodeToken(offset + maxResults, scope) } : {}),
    });
  }

  function listRecords(req: StubRequest, labels: Record<string, string>) {
    const m = memory(labels);
    const body = parseJsonBody(req);
    const strategyId = optionalString(body.memoryStrategyId, 'memoryStrategyId', STRATEGY_ID);
    const maxResults = optionalInt(body.maxResults, 'maxResults', 1, 100) ?? DEFAULT_PAGE;
    const nextToken = optionalString(body.nextToken, 'nextToken');
    const matching = scopedRecords(m, body, strategyId, body.metadataFilters, 'metadataFilters').sort(
      (a, b) => b.createdAt - a.createdAt || b.seq - a.seq,
    );
    const scope = canonical({ op: 'ListRecords', m: m.id, body: { ...body, nextToken: null, maxResults: null } });
    const offset = decodeToken(nextToken, scope);
    const page = matching.slice(offset, offset + maxResults);
    return json(200, {
      memoryRecordSummaries: page.map((r) => recordWire(r)),
      ...(offset + maxResults < matching.length ? { nextToken: encodeToken(offset + maxResults, scope) } : {}),
    });
  }

  function findRecord(req: StubRequest, labels: Record<string, string>): { m: MemoryState; r: StoredRecord } {
    const id = requireString(labels.memoryRecordId, 'memoryRecordId', MEMORY_RECORD_ID);
    optionalString(req.query.get('namespace') ?? undefined, 'namespace', NAMESPACE);
    const m = memory(labels);
    const r = m.records.get(id);
    if (!r) throw notFound(`Memory record ${id} not found`);
    return { m, r };
  }

  function getRecord(req: StubRequest, labels: Record<string, string>) {
    const { r } = findRecord(req, labels);
    return json(200, { memoryRecord: recordWire(r) });
  }

  function deleteRecord(req: StubRequest, labels: Record<string, string>) {
    const { m, r } = findRecord(req, labels);
    m.records.delete(r.memoryRecordId);
    return json(200, { memoryRecordId: r.memoryRecordId });
  }

  function strategyKnown(m: MemoryState, id: string | undefined): boolean {
    return id === undefined || m.strategies.some((s) => s.id === id);
  }

  function batchCreate(req: StubRequest, labels: Record<string, string>) {
    const body = parseJsonBody(req);
    const records = requireArray(body.records, 'records', 0, 100).map((raw, i) => {
      const f = `records[${i}]`;
      if (!isObject(raw)) throw validationError(`${f} must be an object`, f);
      const timestamp = optionalTimestamp(raw.timestamp, `${f}.timestamp`);
      if (timestamp === undefined) throw validationError(`${f}.timestamp is required`, `${f}.timestamp`);
      return {
        requestIdentifier: requireString(raw.requestIdentifier, `${f}.requestIdentifier`, REQUEST_IDENTIFIER),
        namespaces: parseNamespaces(raw.namespaces, `${f}.namespaces`, true)!,
        text: parseRecordContent(raw.content, `${f}.content`),
        timestamp,
        memoryStrategyId: optionalString(raw.memoryStrategyId, `${f}.memoryStrategyId`, STRATEGY_ID),
        metadata: parseRecordMetadata(raw.metadata, `${f}.metadata`),
      };
    });
    const clientToken = optionalString(body.clientToken, 'clientToken');
    const m = memory(labels);
    const fingerprint = canonical({ records: body.records, memoryId: m.id });
    if (clientToken !== undefined) {
      const seen = m.batchTokens.get(clientToken);
      if (seen) {
        if (seen.fingerprint !== fingerprint) {
          throw validationError('The clientToken was already used with a different request', 'clientToken', 'IdempotentParameterMismatchException');
        }
        return json(201, seen.response);
      }
    }
    const successfulRecords: unknown[] = [];
    const failedRecords: unknown[] = [];
    const seenIds = new Set<string>();
    for (const r of records) {
      if (seenIds.has(r.requestIdentifier)) {
        failedRecords.push({ status: 'FAILED', requestIdentifier: r.requestIdentifier, errorCode: 400, errorMessage: 'Duplicate requestIdentifier in the batch' });
        continue;
      }
      seenIds.add(r.requestIdentifier);
      if (!strategyKnown(m, r.memoryStrategyId)) {
        failedRecords.push({ status: 'FAILED', requestIdentifier: r.requestIdentifier, errorCode: 404, errorMessage: `Memory strategy ${r.memoryStrategyId} not found` });
        continue;
      }
      const { id, seq } = nextRecordId(m);
      m.records.set(id, {
        memoryRecordId: id,
        namespaces: r.namespaces,
        text: r.text,
        ...(r.memoryStrategyId !== undefined ? { memoryStrategyId: r.memoryStrategyId } : {}),
        ...(r.metadata ? { metadata: r.metadata } : {}),
        createdAt: r.timestamp,
        seq,
      });
      successfulRecords.push({ memoryRecordId: id, status: 'SUCCEEDED', requestIdentifier: r.requestIdentifier });
    }
    const response = { successfulRecords, failedRecords };
    if (clientToken !== undefined) m.batchTokens.set(clientToken, { fingerprint, response });
    return json(201, response);
  }

  function batchUpdate(req: StubRequest, labels: Record<string, string>) {
    const body = parseJsonBody(req);
    const updates = requireArray(body.records, 'records', 0, 100).map((raw, i) => {
      const f = `records[${i}]`;
      if (!isObject(raw)) throw validationError(`${f} must be an object`, f);
      if (optionalTimestamp(raw.timestamp, `${f}.timestamp`) === undefined) {
        throw validationError(`${f}.timestamp is required`, `${f}.timestamp`);
      }
      return {
        memoryRecordId: requireString(raw.memoryRecordId, `${f}.memoryRecordId`, MEMORY_RECORD_ID),
        text: raw.content === undefined || raw.content === null ? undefined : parseRecordContent(raw.content, `${f}.content`),
        namespaces: parseNamespaces(raw.namespaces, `${f}.namespaces`, false),
        sourceNamespaces: parseNamespaces(raw.sourceNamespaces, `${f}.sourceNamespaces`, false),
        memoryStrategyId: optionalString(raw.memoryStrategyId, `${f}.memoryStrategyId`, STRATEGY_ID),
        metadata: parseRecordMetadata(raw.metadata, `${f}.metadata`),
      };
    });
    const m = memory(labels);
    const successfulRecords: unknown[] = [];
    const failedRecords: unknown[] = [];
    for (const u of updates) {
      const r = m.records.get(u.memoryRecordId);
      if (!r) {
        failedRecords.push({ memoryRecordId: u.memoryRecordId, status: 'FAILED', errorCode: 404, errorMessage: 'Memory record not found' });
        continue;
      }
      if (!strategyKnown(m, u.memoryStrategyId)) {
        failedRecords.push({ memoryRecordId: u.memoryRecordId, status: 'FAILED', errorCode: 404, errorMessage: `Memory strategy ${u.memoryStrategyId} not found` });
        continue;
      }
      if (u.text !== undefined) r.text = u.text;
      if (u.namespaces !== undefined) r.namespaces = u.namespaces;
      if (u.memoryStrategyId !== undefined) r.memoryStrategyId = u.memoryStrategyId;
      if (u.metadata !== undefined) r.metadata = u.metadata;
      successfulRecords.push({ memoryRecordId: u.memoryRecordId, status: 'SUCCEEDED' });
    }
    return json(200, { successfulRecords, failedRecords });
  }

  function batchDelete(req: StubRequest, labels: Record<string, string>) {
    const body = parseJsonBody(req);
    const ids = requireArray(body.records, 'records', 0, 100).map((raw, i) => {
      const f = `records[${i}]`;
      if (!isObject(raw)) throw validationError(`${f} must be an object`, f);
      optionalString(raw.namespace, `${f}.namespace`, NAMESPACE);
      return requireString(raw.memoryRecordId, `${f}.memoryRecordId`, MEMORY_RECORD_ID);
    });
    const m = memory(labels);
    const successfulRecords: unknown[] = [];
    const failedRecords: unknown[] = [];
    for (const id of ids) {
      if (m.records.delete(id)) successfulRecords.push({ memoryRecordId: id, status: 'SUCCEEDED' });
      else failedRecords.push({ memoryRecordId: id, status: 'FAILED', errorCode: 404, errorMessage: 'Memory record not found' });
    }
    return json(200, { successfulRecords, failedRecords });
  }

  return [
    { op: 'RetrieveMemoryRecords', method: 'POST', path: '/memories/{memoryId}/retrieve', handle: retrieve },
    { op: 'ListMemoryRecords', method: 'POST', path: '/memories/{memoryId}/memoryRecords', handle: listRecords },
    { op: 'GetMemoryRecord', method: 'GET', path: '/memories/{memoryId}/memoryRecord/{memoryRecordId}', handle: getRecord },
    { op: 'DeleteMemoryRecord', method: 'DELETE', path: '/memories/{memoryId}/memoryRecords/{memoryRecordId}', handle: deleteRecord },
    { op: 'BatchCreateMemoryRecords', method: 'POST', path: '/memories/{memoryId}/memoryRecords/batchCreate', handle: batchCreate },
    { op: 'BatchUpdateMemoryRecords', method: 'POST', path: '/memories/{memoryId}/memoryRecords/batchUpdate', handle: batchUpdate },
    { op: 'BatchDeleteMemoryRecords', method: 'POST', path: '/memories/{memoryId}/memoryRecords/batchDelete', handle: batchDelete },
  ];
}
