/**
 * Helpers every store adapter shares, so that paging, limits, search tokens and the
 * tenant check behave the same on each backend (the contract suite holds them to it).
 */
import { ConflictError, IllegalTransitionError, InvalidInputError, StorageUnavailableError } from '../../domain/errors.js';
import type { SessionStatus } from '../../domain/session.js';
import { isChange } from '../../domain/change.js';
import type { Signal, SignalAttachment, Task, TaskStatus } from '../../domain/task.js';
import { assertTenantId } from '../keys.js';
import { INVESTIGATION_LIST_DEFAULT, INVESTIGATION_LIST_MAX, type ChangeLogInput, type ListOptions } from '../port.js';

export const SESSION_STATUSES: readonly SessionStatus[] = ['active', 'idle', 'terminated'];
export const TASK_STATUSES: readonly TaskStatus[] = ['pending', 'running', 'waiting', 'completed', 'failed', 'timed_out', 'cancelled'];

/** `stats().openWaits` lists at most this many waits (earliest deadline first). */
export const STATS_OPEN_WAITS_LIMIT = 500;

/** A search query keeps at most this many distinct terms. */
export const MAX_QUERY_TERMS = 32;

/**
 * Opaque keyset cursors: base64url JSON of a listing tag and the sort key of the last
 * item returned. The tag stops a cursor from one listing being replayed on another.
 */
export function encodeCursor(tag: string, key: ReadonlyArray<string | number>): string {
  return Buffer.from(JSON.stringify([tag, ...key]), 'utf8').toString('base64url');
}

/** Decodes a cursor made by `encodeCursor` with the same tag and key shape, or throws InvalidInputError. */
export function decodeCursor<K extends ReadonlyArray<'string' | 'number'>>(
  tag: string,
  cursor: string,
  shape: K,
): { [I in keyof K]: K[I] extends 'number' ? number : string } {
  const fail = (): never => {
    throw new InvalidInputError(`cursor "${cursor.length > 40 ? cursor.slice(0, 37) + '...' : cursor}" is not valid here; pass the nextCursor of the previous page unchanged.`);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return fail();
  }
  if (!Array.isArray(parsed) || parsed.length !== shape.length + 1 || parsed[0] !== tag) return fail();
  const rest = parsed.slice(1);
  rest.forEach((v, i) => {
    const want = shape[i];
    if (want === 'number' ? typeof v !== 'number' || !Number.isFinite(v) : typeof v !== 'string') fail();
  });
  return rest as { [I in keyof K]: K[I] extends 'number' ? number : string };
}

/** A page size: whole, at least 0. */
export const pageLimit = (limit: number): number => (Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : 0);

/** The item count of a per-investigation listing: `limit` (default INVESTIGATION_LIST_DEFAULT) within [0, INVESTIGATION_LIST_MAX]. */
export const listLimit = (opts: ListOptions | undefined): number => Math.min(pageLimit(opts?.limit ?? INVESTIGATION_LIST_DEFAULT), INVESTIGATION_LIST_MAX);

/** Checks an entry before anything is written: a change the log could not give back is refused. */
export function checkedChangeEntry(e: ChangeLogInput): ChangeLogInput {
  if (!isChange(e.change)) throw new InvalidInputError(`not a change: ${JSON.stringify(e.change)?.slice(0, 120)}`);
  assertTenantId(e.change.tenantId);
  if (typeof e.origin !== 'string' || e.origin === '') throw new InvalidInputError('a change needs its origin (the process that made it).');
  if (!Number.isFinite(e.at)) throw new InvalidInputError(`a change needs the time it was made, not ${String(e.at)}.`);
  return e;
}

/** Longest stream id appendStreamEvent takes. */
export const STREAM_ID_MAX = 200;

/** Refuses a stream id the event id could not carry (empty, too long, or with control characters an SSE `id:` line cannot hold). */
export function assertStreamId(streamId: string): string {
  // eslint-disable-next-line no-control-regex
  if (typeof streamId !== 'string' || streamId.length === 0 || streamId.length > STREAM_ID_MAX || /[\u0000-\u001f\u007f]/.test(streamId)) {
    throw new InvalidInputError(`stream id "${String(streamId).slice(0, 60)}" must be 1–${STREAM_ID_MAX} printable characters.`);
  }
  return streamId;
}

/**
 * Stream event ids: the event's seq zero-padded to 16 digits (so ids sort in append
 * order as text), `_`, then its stream id. Both parts must match a stored event.
 */
export const encodeStreamEventId = (seq: number, streamId: string): string => `${String(seq).padStart(16, '0')}_${streamId}`;

/** The seq and stream of an event id made by encodeStreamEventId, or null when it is not one. */
export function decodeStreamEventId(eventId: string): { seq: number; streamId: string } | null {
  const m = typeof eventId === 'string' ? /^(\d{16})_(.+)$/s.exec(eventId) : null;
  if (!m) return null;
  const seq = Number(m[1]);
  return Number.isSafeInteger(seq) && m[2]!.length <= STREAM_ID_MAX ? { seq, streamId: m[2]! } : null;
}

/** Namespace prefixes are compared segment-wise; a trailing `/` means the same prefix. */
export const normalizePrefix = (prefix: string | undefined): string => (prefix ?? '').replace(/\/+$/, '');

/**
 * The words of a free-text query: runs of Unicode letters and digits, lower-cased,
 * de-duplicated, at most MAX_QUERY_TERMS. Everything else (quotes, `*`, `NEAR(`,
 * operators) is a separator, so no query syntax ever reaches a search engine.
 */
export function queryTerms(query: string): string[] {
  const out = new Set<string>();
  for (const m of String(query).normalize('NFC').matchAll(/[\p{L}\p{N}]+/gu)) {
    out.add(m[0].toLowerCase());
    if (out.size >= MAX_QUERY_TERMS) break;
  }
  return [...out];
}

/** A memory search keeps at most this many distinct terms. */
export const MAX_SEARCH_TERMS = 16;

// English function words: they match nearly every record and rank nothing. A query made
// only of them keeps them (so "to be or not to be" still searches).
const STOPWORDS = new Set(
  'a an and are as at be been but by can could did do does for from had has have he her his how i if in into is it its me my no not of on or our she should so than that the their them then there these they this those to was we were what when where which who why will with would you your'.split(
    ' ',
  ),
);

/** The terms a memory search ranks by: `queryTerms` without stopwords (unless that leaves none), at most MAX_SEARCH_TERMS. */
export function searchTerms(query: string): string[] {
  const all = queryTerms(query);
  const content = all.filter((t) => !STOPWORDS.has(t));
  return (content.length > 0 ? content : all).slice(0, MAX_SEARCH_TERMS);
}

/** Tokens of a document or query for the in-process scorer: folded like FTS5 `unicode61 remove_diacritics`. */
export function foldTokens(text: string): string[] {
  const folded = String(text).normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
  return folded.match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * The words memory search matches on, for documents and queries alike: folded tokens
 * with English plurals reduced (the "S" stemmer: `transfers` → `transfer`, `entries` →
 * `entry`), so a query finds a record whatever number either is written in.
 */
export function searchWords(text: string): string[] {
  return foldTokens(text).map(singular);
}

function singular(w: string): string {
  if (w.length <= 3 || !/^[a-z]+$/.test(w)) return w;
  if (w.endsWith('ies') && !w.endsWith('eies') && !w.endsWith('aies')) return w.slice(0, -3) + 'y';
  if (w.endsWith('es') && !w.endsWith('aes') && !w.endsWith('ees') && !w.endsWith('oes')) return w.slice(0, -1);
  if (w.endsWith('s') && !w.endsWith('us') && !w.endsWith('ss')) return w.slice(0, -1);
  return w;
}

/**
 * Tenant scope is structural: an entity handed to `tenant(T)` must carry tenant T.
 * A mismatch is a caller bug, refused before anything is written.
 */
export function assertSameTenant(tenantId: string, entity: { tenantId: string }, what: string): void {
  if (entity.tenantId !== tenantId) {
    throw new InvalidInputError(`${what} belongs to tenant "${entity.tenantId}", not to "${tenantId}"; tenant data can only be written through its own tenant.`);
  }
}

export const closedStoreError = (location: string) => new StorageUnavailableError(`The store at ${location} is closed.`);

// Errors every adapter raises with the same words.

export const terminatedError = (to: string) =>
  new IllegalTransitionError('session', 'terminated', to, 'A terminated session never comes back; resume_investigation opens a new one.');

export const closedInvestigationError = () =>
  new IllegalTransitionError('investigation', 'closed', 'open', 'It is closed; no new tasks or signals can be added to it.');

export const leaseLostError = (task: Pick<Task, 'id' | 'status' | 'leaseOwner'>, owner: string) =>
  new ConflictError(`Task ${task.id} is no longer leased to "${owner}" (status ${task.status}); another process took it over.`, { taskId: task.id, leaseOwner: task.leaseOwner });

export const checkpointMovedError = (sessionId: string, actual: number, expected: number) =>
  new ConflictError(`The extraction checkpoint of session ${sessionId} is at ${actual}, not ${expected}; another run got there first.`, { sessionId, throughSeq: actual });


export const versionMovedError = (inv: { id: string; version: number }, expected: number) =>
  new ConflictError(`Investigation ${inv.id} changed meanwhile (version ${inv.version}, expected ${expected}); re-read it and retry.`, { id: inv.id, version: inv.version });

/**
 * An idempotency key names one delivery: reused for a signal of another name it is a
 * mistake that would silently drop the new data, so it is refused.
 */
export function assertSameSignalName(earlier: Signal, incoming: Signal): void {
  if (earlier.name !== incoming.name) {
    throw new ConflictError(
      `idempotencyKey "${incoming.idempotencyKey}" was already used on this investigation for signal "${earlier.name}" (${earlier.id}); use a new key for "${incoming.name}".`,
      { signalId: earlier.id, signal: earlier.name },
    );
  }
}

/**
 * The attachments handed to deliverSignal, checked against the signal that lists them:
 * the same metadata in the same order, each at its position, each as long as its bytes.
 * A mismatch is a caller bug (a signal naming a file it does not carry), refused
 * before anything is written. Returns the attachments in index order.
 */
export function checkedAttachments(
  signal: Signal,
  attachments: ReadonlyArray<{ meta: SignalAttachment; content: Uint8Array }> | undefined,
): ReadonlyArray<{ meta: SignalAttachment; content: Uint8Array }> {
  const given = attachments ?? [];
  const listed = signal.attachments ?? [];
  const problem =
    listed.length !== given.length
      ? `lists ${listed.length} attachment(s) but ${given.length} were given`
      : given
          .map(({ meta, content }, i) => {
            const l = listed[i]!;
            if (meta.index !== i) return `attachment ${i} has index ${meta.index}`;
            if (!(content instanceof Uint8Array) || content.byteLength !== meta.size) return `attachment ${i} ("${meta.name}") says ${meta.size} bytes but carries ${content?.byteLength ?? 0}`;
            if (l.index !== meta.index || l.name !== meta.name || l.mediaType !== meta.mediaType || l.size !== meta.size || l.sha256 !== meta.sha256) {
              return `attachment ${i} ("${meta.name}") differs from the signal's listing`;
            }
            return null;
          })
          .find((x) => x !== null);
  if (problem) throw new InvalidInputError(`signal ${signal.id} ${problem}; a signal must list exactly the files it carries.`);
  return given;
}

/**
 * The clientToken an outbox entry is shipped with: stable across its retries, so the
 * memory stores a retried entry once. An event's is its id (appended once); a record
 * change's names the entry too, since one record changes many times.
 */
export function outboxClientToken(kind: 'event' | 'record' | 'delete_record' | 'delete_event', refId: string, entryId: number): string {
  return kind === 'event' ? refId : `${kind === 'record' ? 'put' : 'del'}.${refId}.${entryId}`;
}

/**
 * The claim's guard for deletions: a `delete_record` or `delete_event` entry waits while
 * an earlier entry for the same record or event is leased (a delivery in flight), so the
 * deletion lands after it. `o` is the candidate row; the parameter is `now`.
 */
export const DELETION_WAITS_FOR_FLIGHT = (now: string) =>
  `NOT (o.kind IN ('delete_record', 'delete_event') AND EXISTS (SELECT 1 FROM memory_outbox f WHERE f.tenant_id = o.tenant_id AND f.ref_id = o.ref_id AND f.id < o.id
     AND f.kind IN ('record', 'event') AND f.lease_until > ${now}))`;

/** Outbox errors kept per entry (the memory's message, cut). */
export const OUTBOX_ERROR_MAX = 1_000;
