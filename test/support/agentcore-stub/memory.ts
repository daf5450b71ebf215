/**
 * AgentCore Memory: the short-term event routes (CreateEvent, ListEvents, GetEvent,
 * DeleteEvent) here, the long-term record routes in memory-records.ts, and extraction,
 * validated with the service model's constraints. Each configured memory keeps its own events,
 * records and idempotency tokens; every event route is scoped by actorId and sessionId.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { runStrategy, type StrategyType } from './extract.js';
import {
  ACTOR_ID,
  BRANCH_NAME,
  EVENT_ID,
  MEMORY_ID_PATTERN,
  SESSION_ID,
  parseEventMetadata,
  parseEventMetadataFilters,
  parsePayload,
} from './memory-shapes.js';
import { DEFAULT_PAGE, recordOperations } from './memory-records.js';
import type { MemoryState, StoredEvent } from './memory-state.js';
import { StubError, type StubModule, type StubOperation, type StubRequest } from './types.js';
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
  requireString,
  validationError,
} from './validate.js';

export interface StubStrategyConfig {
  id: string;
  type: StrategyType;
  /** Namespace templates with {actorId}, {sessionId}, {memoryStrategyId}. */
  namespaces: string[];
}
export interface StubMemoryConfig {
  /** A memory id as the service issues them, e.g. `longhaul_mem-AbCdE12345`. */
  id: string;
  /** 7–365, default 90. */
  eventExpiryDays?: number;
  strategies?: StubStrategyConfig[];
}
export interface StubEvent {
  actorId: string;
  sessionId: string;
  eventId: string;
  /** Epoch ms, truncated to whole seconds as the service stores it. */
  eventTimestamp: number;
  payload: unknown[];
  /** The wire shape: `{ key: { stringValue } }`. */
  metadata?: Record<string, unknown>;
  clientToken?: string;
}
export interface StubRecord {
  memoryRecordId: string;
  namespaces: string[];
  text: string;
  /** '' for a record created by BatchCreateMemoryRecords without a strategy. */
  memoryStrategyId: string;
  metadata?: Record<string, unknown>;
  createdAt: number;
}

const DAY_MS = 86_400_000;

export function createMemoryModule(deps: {
  memories: StubMemoryConfig[];
  now: () => number;
  createEventRate: number;
  extractAfterMs?: number;
}): {
  module: StubModule;
  extract(): Promise<void>;
  events(memoryId: string): StubEvent[];
  records(memoryId: string): StubRecord[];
  close(): void;
} {
  const { now } = deps;
  const memories = new Map<string, MemoryState>();
  for (const m of deps.memories) {
    if (!MEMORY_ID_PATTERN.test(m.id)) {
      throw new Error(`agentcore-stub: memory id ${m.id} does not match the service's pattern ${MEMORY_ID_PATTERN.source}`);
    }
    const days = m.eventExpiryDays ?? 90;
    if (!Number.isInteger(days) || days < 7 || days > 365) {
      throw new Error(`agentcore-stub: eventExpiryDays must be 7–365, got ${days}`);
    }
    memories.set(m.id, {
      id: m.id,
      expiryMs: days * DAY_MS,
      strategies: m.strategies ?? [],
      events: [],
      records: new Map(),
      extractedKeys: new Map(),
      eventTokens: new Map(),
      batchTokens: new Map(),
      arrivals: new Map(),
    });
  }
  let seq = 0;
  const timers = new Set<NodeJS.Timeout>();

  function memory(labels: Record<string, string>): MemoryState {
    const raw = requireString(labels.memoryId, 'memoryId', { min: 12 });
    const match = MEMORY_ID_PATTERN.exec(raw);
    if (!match) throw validationError(`memoryId must satisfy pattern ${MEMORY_ID_PATTERN.source}`, 'memoryId');
    const state = memories.get(match[1]!);
    if (!state) throw notFound(`Memory ${raw} not found`);
    return state;
  }

  const live = (m: MemoryState, e: StoredEvent): boolean => e.eventTimestamp >= now() - m.expiryMs;

  function nextRecordId(m: MemoryState): { id: string; seq: number } {
    seq += 1;
    // 40 characters, `mem-` and 36 hex: inside the model's 40–50 and its pattern.
    return { id: `mem-${createHash('sha256').update(`${m.id}:${seq}`).digest('hex').slice(0, 36)}`, seq };
  }

  function eventWire(m: MemoryState, e: StoredEvent, includePayload = true): Record<string, unknown> {
    return {
      memoryId: m.id,
      actorId: e.actorId,
      sessionId: e.sessionId,
      eventId: e.eventId,
      eventTimestamp: epochSeconds(e.eventTimestamp),
      payload: includePayload ? e.payload : [],
      ...(e.branch ? { branch: e.branch } : {}),
      ...(e.metadata ? { metadata: e.metadata } : {}),
    };
  }

  function eventLabels(labels: Record<string, string>): { m: MemoryState; actorId: string; sessionId: string } {
    const actorId = requireString(labels.actorId, 'actorId', ACTOR_ID);
    const sessionId = requireString(labels.sessionId, 'sessionId', SESSION_ID);
    return { m: memory(labels), actorId, sessionId };
  }

  function findEvent(labels: Record<string, string>): { m: MemoryState; index: number } {
    const eventId = requireString(labels.eventId, 'eventId', EVENT_ID);
    const { m, actorId, sessionId } = eventLabels(labels);
    const index = m.events.findIndex(
      (e) => e.eventId === eventId && e.actorId === actorId && e.sessionId === sessionId && live(m, e),
    );
    if (index === -1) throw notFound(`Event ${eventId} not found for actor ${actorId} in session ${sessionId}`);
    return { m, index };
  }

  function throttle(m: MemoryState, actorId: string, sessionId: string): void {
    // Request rate is judged on a monotonic wall clock, not the injected clock: a test's
    // frozen fake clock must not turn every write after the tenth into a throttle.
    const t = performance.now();
    const key = JSON.stringify([actorId, sessionId]);
    const recent = (m.arrivals.get(key) ?? []).filter((a) => a > t - 1000);
    if (recent.length >= deps.createEventRate) {
      m.arrivals.set(key, recent);
      throw new StubError(429, 'ThrottledException', `Rate exceeded for CreateEvent on actor ${actorId}, session ${sessionId}`);
    }
    recent.push(t);
    m.arrivals.set(key, recent);
  }

  function createEvent(req: StubRequest, labels: Record<string, string>) {
    const body = parseJsonBody(req);
    const actorId = requireString(body.actorId, 'actorId', ACTOR_ID);
    // Optional in the model; the service needs it to place the event, and longhaul always sends it.
    const sessionId = requireString(body.sessionId, 'sessionId', SESSION_ID);
    const ts = optionalTimestamp(body.eventTimestamp, 'eventTimestamp');
    if (ts === undefined) throw validationError('eventTimestamp is required', 'eventTimestamp');
    const payload = parsePayload(body.payload);
    const metadata = parseEventMetadata(body.metadata);
    const clientToken = optionalString(body.clientToken, 'clientToken');
    let branch: StoredEvent['branch'];
    if (body.branch !== undefined && body.branch !== null) {
      if (!isObject(body.branch)) throw validationError('branch must be an object', 'branch');
      branch = {
        name: requireString(body.branch.name, 'branch.name', BRANCH_NAME),
        ...(body.branch.rootEventId !== undefined
          ? { rootEventId: requireString(body.branch.rootEventId, 'branch.rootEventId', EVENT_ID) }
          : {}),
      };
    }
    const mode = optionalString(body.extractionMode, 'extractionMode');
    if (mode !== undefined && mode !== 'SKIP') throw validationError('extractionMode must be SKIP', 'extractionMode');
    let namespaceVariables: Record<string, string> | undefined;
    if (body.extractionConfig !== undefined && body.extractionConfig !== null) {
      const vars = isObject(body.extractionConfig) ? body.extractionConfig.namespaceVariables : undefined;
      if (vars !== undefined && (!isObject(vars) || Object.values(vars).some((v) => typeof v !== 'string'))) {
        throw validationError('extractionConfig.namespaceVariables must map strings to strings', 'extractionConfig');
      }
      namespaceVariables = vars as Record<string, string> | undefined;
    }

    const m = memory(labels);
    if (branch?.rootEventId) {
      const root = m.events.find((e) => e.eventId === branch.rootEventId && e.actorId === actorId && live(m, e));
      if (!root) throw notFound(`Root event ${branch.rootEventId} not found`);
      if (root.sessionId !== sessionId) {
        throw validationError('The branch root event belongs to another session', 'branch.rootEventId', 'EventInOtherSession');
      }
    }
    throttle(m, actorId, sessionId);

    if (clientToken !== undefined) {
      const { clientToken: _omit, ...rest } = body;
      const fingerprint = canonical({ ...rest, memoryId: m.id });
      const seen = m.eventTokens.get(clientToken);
      if (seen) {
        if (seen.fingerprint !== fingerprint) {
          throw validationError(
            'The clientToken was already used with a different request',
            'clientToken',
            'IdempotentParameterMismatchException',
          );
        }
        return json(201, { event: eventWire(m, seen.event) });
      }
    }

    seq += 1;
    // The service keeps whole seconds; event ids sort by time, then a unique suffix.
    const eventTimestamp = Math.floor(ts / 1000) * 1000;
    const event: StoredEvent = {
      actorId,
      sessionId,
      eventId: `${String(eventTimestamp).padStart(19, '0')}#${createHash('sha256').update(`${m.id}:${seq}`).digest('hex').slice(0, 8)}`,
      eventTimestamp,
      payload,
      ...(metadata ? { metadata } : {}),
      ...(clientToken !== undefined ? { clientToken } : {}),
      ...(branch ? { branch } : {}),
      ...(namespaceVariables ? { namespaceVariables } : {}),
      seq,
      skipExtraction: mode === 'SKIP',
      extracted: false,
    };
    m.events.push(event);
    if (clientToken !== undefined) {
      const { clientToken: _omit, ...rest } = body;
      m.eventTokens.set(clientToken, { fingerprint: canonical({ ...rest, memoryId: m.id }), event });
    }
    if (deps.extractAfterMs !== undefined) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        extractAll();
      }, deps.extractAfterMs);
      timers.add(timer);
    }
    return json(201, { event: eventWire(m, event) });
  }

  function listEvents(req: StubRequest, labels: Record<string, string>) {
    const { m, actorId, sessionId } = eventLabels(labels);
    const body = parseJsonBody(req);
    if (body.includePayloads !== undefined && typeof body.includePayloads !== 'boolean') {
      throw validationError('includePayloads must be a boolean', 'includePayloads');
    }
    const includePayloads = body.includePayloads !== false;
    const maxResults = optionalInt(body.maxResults, 'maxResults', 1, 100) ?? DEFAULT_PAGE;
    const nextToken = optionalString(body.nextToken, 'nextToken');
    const filter = body.filter;
    if (filter !== undefined && filter !== null && !isObject(filter)) throw validationError('filter must be an object', 'filter');
    const metadataFilters = parseEventMetadataFilters(filter?.eventMetadata);
    let branch: { name: string; includeParent: boolean } | undefined;
    if (filter?.branch !== undefined && filter.branch !== null) {
      if (!isObject(filter.branch)) throw validationError('filter.branch must be an object', 'filter.branch');
      branch = {
        name: requireString(filter.branch.name, 'filter.branch.name', BRANCH_NAME),
        includeParent: filter.branch.includeParentBranches !== false,
      };
    }

    const inSession = m.events.filter((e) => e.actorId === actorId && e.sessionId === sessionId && live(m, e));
    const branchRoot = branch?.includeParent
      ? inSession.find((e) => e.branch?.name === branch.name && e.branch.rootEventId)?.branch?.rootEventId
      : undefined;
    const rootEvent = branchRoot ? inSession.find((e) => e.eventId === branchRoot) : undefined;
    const matching = inSession
      .filter((e) => {
        if (branch) {
          const onBranch = e.branch?.name === branch.name;
          const parent = rootEvent !== undefined && !e.branch && (e.eventTimestamp < rootEvent.eventTimestamp || e === rootEvent);
          if (!onBranch && !parent) return false;
        }
        return (metadataFilters ?? []).every((f) => {
          const v = e.metadata?.[f.key];
          if (f.operator === 'EXISTS') return v !== undefined;
          if (f.operator === 'NOT_EXISTS') return v === undefined;
          return v?.stringValue === f.value;
        });
      })
      // The service lists newest first.
      .sort((a, b) => b.eventTimestamp - a.eventTimestamp || b.seq - a.seq);

    const scope = canonical({ op: 'ListEvents', m: m.id, actorId, sessionId, filter: filter ?? null });
    const offset = decodeToken(nextToken, scope);
    const page = matching.slice(offset, offset + maxResults);
    const more = offset + maxResults < matching.length;
    return json(200, {
      events: page.map((e) => eventWire(m, e, includePayloads)),
      ...(more ? { nextToken: encodeToken(offset + maxResults, scope) } : {}),
    });
  }

  function getEvent(_req: StubRequest, labels: Record<string, string>) {
    const { m, index } = findEvent(labels);
    return json(200, { event: eventWire(m, m.events[index]!) });
  }

  function deleteEvent(_req: StubRequest, labels: Record<string, string>) {
    const { m, index } = findEvent(labels);
    const [removed] = m.events.splice(index, 1);
    return json(200, { eventId: removed!.eventId });
  }

  /** Runs every memory's strategies over its live events not yet extracted. */
  function extractAll(): void {
    for (const m of memories.values()) {
      const fresh = m.events
        .filter((e) => !e.extracted && live(m, e))
        .sort((a, b) => a.eventTimestamp - b.eventTimestamp || a.seq - b.seq);
      if (fresh.length === 0) continue;
      const history = (actorId: string, sessionId: string): StoredEvent[] =>
        m.events
          .filter((e) => e.actorId === actorId && e.sessionId === sessionId && !e.skipExtraction && live(m, e))
          .sort((a, b) => a.eventTimestamp - b.eventTimestamp || a.seq - b.seq);
      const extractable = fresh.filter((e) => !e.skipExtraction);
      for (const strategy of m.strategies) {
        for (const out of runStrategy(strategy, extractable, history)) {
          const existing = m.records.get(m.extractedKeys.get(out.key) ?? '');
          if (existing) {
            existing.text = out.text;
            existing.namespaces = [out.namespace];
            continue;
          }
          const { id, seq: recordSeq } = nextRecordId(m);
          m.records.set(id, {
            memoryRecordId: id,
            namespaces: [out.namespace],
            text: out.text,
            memoryStrategyId: strategy.id,
            createdAt: now(),
            seq: recordSeq,
          });
          m.extractedKeys.set(out.key, id);
        }
      }
      for (const e of fresh) e.extracted = true;
    }
  }

  const operations: StubOperation[] = [
    ...recordOperations({ memory, nextRecordId }),
    { op: 'CreateEvent', method: 'POST', path: '/memories/{memoryId}/events', handle: createEvent },
    { op: 'ListEvents', method: 'POST', path: '/memories/{memoryId}/actor/{actorId}/sessions/{sessionId}', handle: listEvents },
    { op: 'GetEvent', method: 'GET', path: '/memories/{memoryId}/actor/{actorId}/sessions/{sessionId}/events/{eventId}', handle: getEvent },
    { op: 'DeleteEvent', method: 'DELETE', path: '/memories/{memoryId}/actor/{actorId}/sessions/{sessionId}/events/{eventId}', handle: deleteEvent },
  ];

  return {
    module: {
      operations,
      faults: { throttled: 'ThrottledException', server: 'ServiceException', unavailable: 'ServiceUnavailableException' },
    },
    extract: async () => extractAll(),
    events(memoryId) {
      const m = memories.get(memoryId);
      if (!m) return [];
      return m.events
        .filter((e) => live(m, e))
        .map((e) => ({
          actorId: e.actorId,
          sessionId: e.sessionId,
          eventId: e.eventId,
          eventTimestamp: e.eventTimestamp,
          payload: e.payload,
          ...(e.metadata ? { metadata: e.metadata } : {}),
          ...(e.clientToken !== undefined ? { clientToken: e.clientToken } : {}),
        }));
    },
    records(memoryId) {
      const m = memories.get(memoryId);
      if (!m) return [];
      return [...m.records.values()]
        .sort((a, b) => a.seq - b.seq)
        .map((r) => ({
          memoryRecordId: r.memoryRecordId,
          namespaces: r.namespaces,
          text: r.text,
          memoryStrategyId: r.memoryStrategyId ?? '',
          ...(r.metadata ? { metadata: r.metadata } : {}),
          createdAt: r.createdAt,
        }));
    },
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
