/**
 * How longhaul's memory maps onto AgentCore Memory, both ways. One module owns the rules;
 * the adapter (./index.ts) and the tenant view (./tenant.ts) only call it.
 *
 * | longhaul                         | AgentCore                                                         |
 * | -------------------------------- | ----------------------------------------------------------------- |
 * | tenant `acme`                    | `actorId` `acme` (encoded, see `encodeId`) on every call           |
 * | acting person/agent `alice`      | event metadata `lh_actor` (raw: the metadata pattern allows it)   |
 * | memory session (`memorySessionOf`: investigation, else session) | `sessionId` (`inv_…`/`ses_…`, unchanged) |
 * | event id, runtime session, investigation, kind, role, seq, expiry | event metadata `lh_*`           |
 * | event text + role                | one `conversational` payload item (role USER/ASSISTANT/TOOL/OTHER) |
 * | event `data`                     | one `blob` payload item: the JSON text                            |
 * | namespace `X` (`investigations/inv_…/facts`) | `/tenants/{actorId}/X` (segments encoded, see `encodeId`) |
 * | record id `rec_…`                | `requestIdentifier` and metadata `lh_id`; AgentCore assigns `memoryRecordId` |
 * | record fields (strategy, status, …) | record metadata `lh_*` (≤ 20 entries, values ≤ 256 chars)      |
 *
 * Back from AgentCore: a record's namespace must lie under the tenant's root
 * (`/tenants/{actorId}/`), or it is not the tenant's and is never returned; an
 * AgentCore-extracted record (no `lh_id`) keeps its `memoryRecordId` as its id and gets
 * its strategy from the last namespace segment (`facts`, `summary`, `episodes`,
 * `preferences`).
 *
 * Identifier encoding. AgentCore's actorId (`[a-zA-Z0-9][a-zA-Z0-9-_/]*(:…)*`, ≤ 255) and
 * namespaces (`[a-zA-Z0-9/*][a-zA-Z0-9-_/*]*…`, ≤ 1024) allow neither `.` nor `@`, which
 * longhaul's tenant, actor and segment names may hold (`[A-Za-z0-9][A-Za-z0-9._@-]*`).
 * `encodeId` escapes with `-`: `-` → `--`, `.` → `-d`, `@` → `-a`; everything else passes
 * through, so `_` stays as is and longhaul's ids (`inv_…`, `ses_…`) are their own
 * encoding — which AgentCore's namespace templates rely on, since they substitute the raw
 * `{sessionId}`. The encoding is injective and `decodeId` reverses it.
 */
import { InvalidInputError } from '../../../domain/errors.js';
import type { EventRole, MemoryEvent } from '../../../domain/event.js';
import { parseNamespace } from '../../../domain/namespace.js';
import type { MemoryRecord, RecordStatus, Strategy } from '../../../domain/record.js';
import { textKey } from '../../text.js';

/** AgentCore's limits that the mapping has to respect (API reference, bedrock-agentcore 2024-02-28). */
export const LIMITS = {
  actorId: 255,
  sessionId: 100,
  namespace: 1024,
  /** CreateEvent metadata: at most 15 entries; values ≤ 256 chars. */
  eventMetadataEntries: 15,
  metadataValue: 256,
  /** Memory record metadata: at most 20 entries; a string list holds ≤ 5 strings of ≤ 64 chars. */
  recordMetadataEntries: 20,
  stringListItems: 5,
  stringListItem: 64,
  requestIdentifier: 80,
  /** Memory record content: 1–16,000 characters. */
  recordText: 16_000,
  /**
   * What one event may carry (text + JSON data, UTF-8 bytes). AgentCore documents 100 KB
   * for a JSON payload item; the account's "Event size" quota could not be confirmed, so
   * longhaul stays under 100 KB for the whole event and refuses a larger one (never
   * truncates it).
   */
  eventPayloadBytes: 100_000,
  /** BatchCreate/BatchUpdateMemoryRecords: at most 100 records per call. */
  batchRecords: 100,
  topK: 100,
} as const;

const SESSION_ID = /^[a-zA-Z0-9][a-zA-Z0-9_-]*$/;
const ACTOR_ID = /^[a-zA-Z0-9][a-zA-Z0-9_-]*$/; // what encodeId produces (no `/` or `:`: those are structure)
const LONGHAUL_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]*$/;
/** AgentCore's metadata value pattern (events and records). */
const METADATA_VALUE = /^[a-zA-Z0-9\s._:/=+@-]*$/;

/** `-` → `--`, `.` → `-d`, `@` → `-a` (see the module comment). */
export function encodeId(name: string): string {
  let out = '';
  for (const ch of name) out += ch === '-' ? '--' : ch === '.' ? '-d' : ch === '@' ? '-a' : ch;
  return out;
}

/** The inverse of encodeId; null for a string encodeId cannot have produced. */
export function decodeId(encoded: string): string | null {
  let out = '';
  for (let i = 0; i < encoded.length; i++) {
    const ch = encoded[i]!;
    if (ch !== '-') {
      out += ch;
      continue;
    }
    const next = encoded[++i];
    if (next === '-') out += '-';
    else if (next === 'd') out += '.';
    else if (next === 'a') out += '@';
    else return null;
  }
  return out;
}

/** The AgentCore actorId of a tenant. A tenant id that cannot be one is refused (never truncated). */
export function actorIdOf(tenantId: string): string {
  if (typeof tenantId !== 'string' || !LONGHAUL_NAME.test(tenantId)) {
    throw new InvalidInputError(`tenant "${String(tenantId).slice(0, 60)}" is not a valid tenant id for AgentCore Memory.`);
  }
  const id = encodeId(tenantId);
  if (id.length > LIMITS.actorId || !ACTOR_ID.test(id)) {
    throw new InvalidInputError(
      `tenant "${tenantId.slice(0, 60)}" encodes to an AgentCore actorId of ${id.length} characters; AgentCore allows ${LIMITS.actorId}. Use a shorter tenant id (each ".", "@" and "-" counts twice).`,
    );
  }
  return id;
}

/** The AgentCore sessionId of a memory session (`inv_…`/`ses_…` pass through unchanged). */
export function sessionIdOf(memorySessionId: string): string {
  if (typeof memorySessionId !== 'string' || memorySessionId.length > LIMITS.sessionId || !SESSION_ID.test(memorySessionId)) {
    throw new InvalidInputError(`session "${String(memorySessionId).slice(0, 60)}" is not a valid AgentCore sessionId (letters, digits, "_" and "-", at most ${LIMITS.sessionId}).`);
  }
  return memorySessionId;
}

/** The AgentCore namespace prefix under which everything of a tenant lives, with its trailing `/`. */
export const tenantRoot = (actorId: string): string => `/tenants/${actorId}/`;

/**
 * The AgentCore namespace of a longhaul namespace (or prefix). '' is the tenant's root.
 * The namespace is parsed as longhaul parses it: `..`, absolute paths and empty segments
 * are refused, so nothing can climb out of the root.
 */
export function toAgentCoreNamespace(actorId: string, namespace: string): string {
  const root = tenantRoot(actorId);
  if (namespace === '') return root;
  const parsed = parseNamespace(namespace);
  const out = root + parsed.split('/').map(encodeId).join('/');
  if (out.length > LIMITS.namespace) {
    throw new InvalidInputError(`namespace "${namespace.slice(0, 60)}…" is longer than AgentCore's ${LIMITS.namespace} characters once placed under the tenant.`);
  }
  return out;
}

/** The longhaul namespace of an AgentCore namespace, or null when it is not under this tenant's root. */
export function fromAgentCoreNamespace(actorId: string, agentCoreNamespace: string): string | null {
  const root = tenantRoot(actorId);
  if (!agentCoreNamespace.startsWith(root)) return null;
  // Strategy templates may or may not end in `/`; both mean the same namespace.
  const rest = agentCoreNamespace.slice(root.length).replace(/\/+$/, '');
  if (rest === '') return null;
  const segments: string[] = [];
  for (const seg of rest.split('/')) {
    const decoded = decodeId(seg);
    if (decoded === null || decoded === '' || !LONGHAUL_NAME.test(decoded) || decoded.includes('..')) return null;
    segments.push(decoded);
  }
  return segments.join('/');
}

// ---- events ----

type PayloadRole = 'USER' | 'ASSISTANT' | 'TOOL' | 'OTHER';
const ROLE_OUT: Record<EventRole, PayloadRole> = { user: 'USER', assistant: 'ASSISTANT', agent: 'ASSISTANT', tool: 'TOOL', system: 'OTHER' };

export const payloadRoleOf = (role: EventRole): PayloadRole => ROLE_OUT[role];

/** Event metadata keys (all values strings, as AgentCore's event metadata holds only strings). */
export const EVENT_META = {
  id: 'lh_event_id',
  session: 'lh_session_id',
  investigation: 'lh_investigation_id',
  actor: 'lh_actor',
  kind: 'lh_kind',
  role: 'lh_role',
  seq: 'lh_seq',
  /** Milliseconds: AgentCore keeps eventTimestamp in whole seconds. */
  createdAt: 'lh_created_at',
  expiresAt: 'lh_expires_at',
} as const;

type StringMeta = Record<string, { stringValue: string }>;

export interface CreateEventParts {
  payload: Array<{ conversational: { content: { text: string }; role: PayloadRole } } | { blob: string }>;
  metadata: StringMeta;
}

/** The payload and metadata of an event's CreateEvent. Refuses (non-retryable) what AgentCore would not take. */
export function eventToAgentCore(event: MemoryEvent): CreateEventParts {
  const blob = event.data === null || event.data === undefined ? null : JSON.stringify(event.data);
  const bytes = Buffer.byteLength(event.text, 'utf8') + (blob === null ? 0 : Buffer.byteLength(blob, 'utf8'));
  if (bytes > LIMITS.eventPayloadBytes) {
    throw new InvalidInputError(
      `event ${event.id} carries ${bytes} bytes of text and data; an AgentCore event holds at most ${LIMITS.eventPayloadBytes}. It is not stored in AgentCore (it stays in the work store).`,
    );
  }
  const meta: Record<string, string> = {
    [EVENT_META.id]: event.id,
    [EVENT_META.actor]: event.actorId,
    [EVENT_META.kind]: event.kind,
    [EVENT_META.role]: event.role,
    [EVENT_META.seq]: String(event.seq),
    [EVENT_META.createdAt]: String(event.createdAt),
    [EVENT_META.expiresAt]: String(event.expiresAt),
  };
  if (event.sessionId) meta[EVENT_META.session] = event.sessionId;
  if (event.investigationId) meta[EVENT_META.investigation] = event.investigationId;
  const payload: CreateEventParts['payload'] = [{ conversational: { content: { text: event.text }, role: payloadRoleOf(event.role) } }];
  if (blob !== null) payload.push({ blob });
  return { payload, metadata: stringMeta(meta, `event ${event.id}`) };
}

function stringMeta(meta: Record<string, string>, what: string): StringMeta {
  const out: StringMeta = {};
  for (const [k, v] of Object.entries(meta)) {
    if (v.length > LIMITS.metadataValue || !METADATA_VALUE.test(v)) {
      throw new InvalidInputError(`${what}: ${k} "${v.slice(0, 60)}" cannot be AgentCore metadata (at most ${LIMITS.metadataValue} of letters, digits, spaces and ._:/=+@-).`);
    }
    out[k] = { stringValue: v };
  }
  return out;
}

/** What the adapter reads back from an AgentCore event. */
export interface AgentCoreEventLike {
  eventId?: string;
  sessionId?: string;
  eventTimestamp?: Date;
  payload?: Array<{ conversational?: { content?: { text?: string }; role?: string }; blob?: unknown }>;
  metadata?: Record<string, { stringValue?: string } | undefined>;
}

const ROLE_IN: Record<string, EventRole> = { USER: 'user', ASSISTANT: 'assistant', TOOL: 'tool', OTHER: 'system' };

export function eventFromAgentCore(tenantId: string, e: AgentCoreEventLike): MemoryEvent {
  const m = (k: string) => e.metadata?.[k]?.stringValue;
  let text = '';
  let data: unknown = null;
  let payloadRole: string | undefined;
  for (const item of e.payload ?? []) {
    if (item.conversational) {
      text += item.conversational.content?.text ?? '';
      payloadRole ??= item.conversational.role;
    } else if (item.blob !== undefined) {
      data = typeof item.blob === 'string' ? parseJson(item.blob) : item.blob;
    }
  }
  const createdMeta = Number(m(EVENT_META.createdAt));
  const createdAt = Number.isSafeInteger(createdMeta) && m(EVENT_META.createdAt) ? createdMeta : e.eventTimestamp instanceof Date ? e.eventTimestamp.getTime() : 0;
  const seq = Number(m(EVENT_META.seq));
  const expiresAt = Number(m(EVENT_META.expiresAt));
  return {
    id: m(EVENT_META.id) ?? e.eventId ?? '',
    tenantId,
    seq: Number.isSafeInteger(seq) ? seq : createdAt,
    sessionId: m(EVENT_META.session) ?? null,
    investigationId: m(EVENT_META.investigation) ?? null,
    actorId: m(EVENT_META.actor) ?? '',
    role: (m(EVENT_META.role) as EventRole | undefined) ?? ROLE_IN[payloadRole ?? ''] ?? 'system',
    kind: (m(EVENT_META.kind) as MemoryEvent['kind'] | undefined) ?? 'message',
    text,
    data,
    createdAt,
    expiresAt: Number.isFinite(expiresAt) ? expiresAt : 0,
  };
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return s;
  }
}

// ---- records ----

export const RECORD_META = {
  id: 'lh_id',
  strategy: 'lh_strategy',
  status: 'lh_status',
  supersededBy: 'lh_superseded_by',
  topicKey: 'lh_topic_key',
  session: 'lh_session_id',
  investigation: 'lh_investigation_id',
  actor: 'lh_actor',
  sources: 'lh_sources',
  sourceCount: 'lh_source_count',
  createdAt: 'lh_created_at',
  updatedAt: 'lh_updated_at',
} as const;

export type RecordMetadataValue = { stringValue: string } | { stringListValue: string[] } | { numberValue: number };

/**
 * The metadata of a longhaul record. Source event ids are bounded by AgentCore's string
 * lists (5 ids): the first five are kept and `lh_source_count` says how many there are —
 * the work store holds the full list (it is the system of record for longhaul-extracted
 * records). A topicKey outside the metadata alphabet is left out (it only matters for
 * consolidation, which reads the work store).
 */
export function recordMetadata(r: MemoryRecord): Record<string, RecordMetadataValue> {
  const out: Record<string, RecordMetadataValue> = {};
  const str = (k: string, v: string | null) => {
    if (v === null || v === '') return;
    if (v.length > LIMITS.metadataValue || !METADATA_VALUE.test(v)) {
      if (k === RECORD_META.topicKey) return;
      throw new InvalidInputError(`record ${r.id}: ${k} "${v.slice(0, 60)}" cannot be AgentCore metadata.`);
    }
    out[k] = { stringValue: v };
  };
  str(RECORD_META.id, r.id);
  str(RECORD_META.strategy, r.strategy);
  str(RECORD_META.status, r.status);
  str(RECORD_META.supersededBy, r.supersededBy);
  str(RECORD_META.topicKey, r.topicKey);
  str(RECORD_META.session, r.sessionId);
  str(RECORD_META.investigation, r.investigationId);
  str(RECORD_META.actor, r.actorId);
  const sources = r.sourceEventIds.filter((s) => s.length <= LIMITS.stringListItem && METADATA_VALUE.test(s)).slice(0, LIMITS.stringListItems);
  if (sources.length > 0) out[RECORD_META.sources] = { stringListValue: sources };
  out[RECORD_META.sourceCount] = { numberValue: r.sourceEventIds.length };
  out[RECORD_META.createdAt] = { numberValue: r.createdAt };
  out[RECORD_META.updatedAt] = { numberValue: r.updatedAt };
  return out;
}

/** What the adapter reads back from an AgentCore memory record (summary or full). */
export interface AgentCoreRecordLike {
  memoryRecordId?: string;
  content?: { text?: string };
  namespaces?: string[];
  createdAt?: Date;
  metadata?: Record<string, { stringValue?: string; stringListValue?: string[]; numberValue?: number; dateTimeValue?: Date } | undefined>;
}

/** Strategy of an AgentCore-extracted record by its namespace's last segment (episodes and the episodic reflections at `investigations` read as summaries). */
const STRATEGY_BY_SEGMENT: Record<string, Strategy> = { facts: 'facts', summary: 'summary', episodes: 'summary', investigations: 'summary', preferences: 'preferences', reports: 'report' };
const STRATEGIES: readonly Strategy[] = ['summary', 'facts', 'preferences', 'report'];

/** A longhaul record from an AgentCore one, or null when none of its namespaces is under the tenant's root. */
export function recordFromAgentCore(tenantId: string, actorId: string, r: AgentCoreRecordLike): { record: MemoryRecord; agentCoreNamespace: string; memoryRecordId: string } | null {
  let namespace: string | null = null;
  let agentCoreNamespace = '';
  for (const ns of r.namespaces ?? []) {
    namespace = fromAgentCoreNamespace(actorId, ns);
    if (namespace !== null) {
      agentCoreNamespace = ns;
      break;
    }
  }
  if (namespace === null || !r.memoryRecordId) return null;
  const meta = r.metadata ?? {};
  const s = (k: string) => meta[k]?.stringValue ?? null;
  const n = (k: string) => (typeof meta[k]?.numberValue === 'number' ? meta[k]!.numberValue! : null);
  const segments = namespace.split('/');
  const text = r.content?.text ?? '';
  const created = n(RECORD_META.createdAt) ?? (r.createdAt instanceof Date ? r.createdAt.getTime() : 0);
  const metaStrategy = s(RECORD_META.strategy) as Strategy | null;
  const idSegment = (prefix: string) => segments.find((x) => x.startsWith(prefix)) ?? null;
  const status = s(RECORD_META.status) as RecordStatus | null;
  return {
    memoryRecordId: r.memoryRecordId,
    agentCoreNamespace,
    record: {
      id: s(RECORD_META.id) ?? r.memoryRecordId,
      tenantId,
      namespace,
      strategy: metaStrategy && STRATEGIES.includes(metaStrategy) ? metaStrategy : (STRATEGY_BY_SEGMENT[segments[segments.length - 1]!] ?? 'facts'),
      text,
      textKey: textKey(text),
      topicKey: s(RECORD_META.topicKey),
      status: status === 'superseded' ? 'superseded' : 'active',
      supersededBy: s(RECORD_META.supersededBy),
      sourceEventIds: meta[RECORD_META.sources]?.stringListValue ?? [],
      sessionId: s(RECORD_META.session) ?? idSegment('ses_'),
      investigationId: s(RECORD_META.investigation) ?? idSegment('inv_'),
      actorId: s(RECORD_META.actor),
      createdAt: created,
      updatedAt: n(RECORD_META.updatedAt) ?? created,
    },
  };
}

/** A longhaul record id (`rec_` + 30) as opposed to an AgentCore memoryRecordId. */
export const isLonghaulRecordId = (id: string): boolean => /^rec_[0-9A-Z]{30}$/.test(id);
/** A longhaul event id (`evt_` + 30) as opposed to an AgentCore eventId (`digits#hex`). */
export const isLonghaulEventId = (id: string): boolean => /^evt_[0-9A-Z]{30}$/.test(id);
/** AgentCore's own ids, as far as longhaul accepts them from a caller. */
export const AGENTCORE_RECORD_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$/;
export const AGENTCORE_EVENT_ID = /^[0-9]+#[a-fA-F0-9]+$/;
