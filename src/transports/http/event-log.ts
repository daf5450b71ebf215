import type { EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../domain/clock.js';
import type { Logger } from '../../logger.js';
import { STREAM_EVENTS_PER_STREAM, type StorePort } from '../../store/port.js';

/**
 * Where the messages of resumable SSE streams are kept, so a client that lost a stream
 * reconnects with `Last-Event-ID` and misses nothing. Bounded per stream and expiring.
 */
export interface StreamEventLog {
  /** Stores a message sent on `streamId`; returns its event id (the SSE `id:`). */
  append(streamId: string, message: unknown): Promise<string>;
  /** The stream of `eventId` and up to `limit` of its events after it, in order (0: the stream only); null when the id is unknown or was pruned. */
  after(eventId: string, limit?: number): Promise<{ streamId: string; events: Array<{ eventId: string; message: unknown }> } | null>;
}

/** How long a stream's events stay replayable. */
export const STREAM_EVENT_TTL_MS = 10 * 60_000;

/** The largest message kept for replay (its JSON); a larger one is stored as a marker saying it is gone. */
export const MAX_STORED_EVENT_BYTES = 64 * 1024;

/** Bytes of messages one MCP session keeps for replay per STREAM_EVENT_TTL_MS; beyond it, messages are stored as gone-markers. */
export const SESSION_EVENT_BYTES = 4 * 1024 * 1024;

/** The log kept in LONGHAUL_STORE (the store's stream-event methods): survives restarts and is shared by processes on the same store. */
export function storeStreamEventLog(store: StorePort, clock: Clock, ttlMs = STREAM_EVENT_TTL_MS): StreamEventLog {
  return {
    append(streamId, message) {
      const now = clock.now();
      return store.appendStreamEvent({ streamId, message, now, expiresAt: now + ttlMs });
    },
    after(eventId, limit = STREAM_EVENTS_PER_STREAM) {
      return store.streamEventsAfter(eventId, limit);
    },
  };
}

/**
 * A log whose appends never fail the message they keep: when the log cannot be written
 * (Redis or the store unreachable), the message still goes to the client, under an id
 * that no log knows — resuming from it finds nothing and the SDK answers the resume with
 * 400 instead of replaying. A stream is then not resumable for a while; a tool call's
 * answer is never lost because its copy could not be kept. Said once per outage.
 */
export function unfailingEventLog(log: StreamEventLog, logger: Logger): StreamEventLog {
  let failing = false;
  return {
    async append(streamId, message) {
      try {
        const id = await log.append(streamId, message);
        if (failing) logger.info('resumable streams are kept again');
        failing = false;
        return id;
      } catch (e) {
        if (!failing) logger.warn('stream events cannot be kept: streams are not resumable until the log answers', { error: e instanceof Error ? e.message : String(e) });
        failing = true;
        return `unkept-${randomUUID()}`;
      }
    },
    after(eventId, limit) {
      return eventId.startsWith('unkept-') ? Promise.resolve(null) : log.after(eventId, limit);
    },
  };
}

export interface SessionEventStoreOptions {
  /** The clock the log's expiry is judged by (anchors are renewed well before they expire). */
  now: () => number;
  /** Default MAX_STORED_EVENT_BYTES. */
  maxEventBytes?: number;
  /** Default SESSION_EVENT_BYTES. */
  sessionBytes?: number;
}

/**
 * What one stored record holds. `s`: the SDK's stream id. `m`: the message; `gone`: the
 * message was not kept (too large, or over the session's budget) — a replay says so
 * instead of silently skipping it; neither: an anchor (see below), replayed as nothing.
 */
interface StoredRecord {
  s: string | null;
  m?: JSONRPCMessage;
  gone?: { bytes: number; response?: string | number };
}

/** The SDK's standalone GET stream id; every other stream answers one POST. */
const STANDALONE = '_GET_stream';
/** An anchor older than this is not reused for a priming id: it must outlive the streams primed from it. */
const ANCHOR_MAX_AGE_MS = STREAM_EVENT_TTL_MS / 10;

const isJsonRpc = (m: unknown): m is JSONRPCMessage => !!m && typeof m === 'object' && (m as { jsonrpc?: unknown }).jsonrpc === '2.0';
const isResponse = (m: JSONRPCMessage): m is JSONRPCMessage & { id: string | number } => 'id' in m && ('result' in m || 'error' in m);

/** What a replay sends in place of a message that was not kept. */
function goneMessage(g: NonNullable<StoredRecord['gone']>): JSONRPCMessage {
  const why = `a message of ${g.bytes} bytes sent while the stream was down was too large to keep for resumption and is gone`;
  if (g.response !== undefined) return { jsonrpc: '2.0', id: g.response, error: { code: -32000, message: `The result is gone: ${why}. Make the request again.` } };
  return { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'warning', logger: 'longhaul', data: `${why[0]!.toUpperCase()}${why.slice(1)}.` } };
}

/**
 * The SDK's EventStore for one MCP session over a shared log.
 *
 * Layout: the session's standalone GET stream is one log stream (`<session>/_GET_stream`;
 * the SDK names every session's GET stream the same, hence the prefix); the streams that
 * answer its POSTs share another (`<session>/_post`), each record naming its SDK stream.
 * Event ids are `<log event id>~<SDK stream id>`; an id of another session (or an
 * unknown, expired or malformed one) finds no stream here, and the SDK answers the
 * resume with 400 instead of replaying someone else's messages.
 *
 * Priming events (the empty event the SDK sends first on every POST stream, so the
 * client holds an id before anything else arrives) are not written: a priming id names
 * the newest record of the session's POST log (an anchor), and resuming from it replays
 * that stream's records after the anchor — all of them, since the stream had none
 * before. An anchor is written only when there is none yet, or the last is old (once a
 * minute at most), instead of a store commit per request.
 *
 * Bounds: a message over `maxEventBytes`, or beyond the session's `sessionBytes` per
 * STREAM_EVENT_TTL_MS, is kept only as a small marker; a replay that reaches it sends an
 * error response in place of a lost result (the client's request fails instead of
 * hanging) or a `notifications/message` warning in place of anything else.
 */
export function sessionEventStore(log: StreamEventLog, sessionId: () => string | undefined, o: SessionEventStoreOptions): EventStore {
  const maxEventBytes = o.maxEventBytes ?? MAX_STORED_EVENT_BYTES;
  const sessionBytes = o.sessionBytes ?? SESSION_EVENT_BYTES;
  const anchors = new Map<string, { eventId: string; at: number }>();
  let budget = { since: o.now(), bytes: 0 };

  const logStream = (streamId: string) => {
    const sid = sessionId();
    if (!sid) throw new Error('stream events need an MCP session id');
    return `${sid}/${streamId === STANDALONE ? STANDALONE : '_post'}`;
  };
  const append = async (streamId: string, record: StoredRecord) => {
    const stream = logStream(streamId);
    const eventId = await log.append(stream, record);
    const previous = anchors.get(stream);
    // Appends may finish out of order: an older anchor is still a valid one, a newer is better.
    if (!previous || previous.eventId < eventId) anchors.set(stream, { eventId, at: o.now() });
    return eventId;
  };
  /** Splits an SSE id into the log's event id and the SDK stream, if it is one of this session's. */
  const parse = (eventId: string): { logId: string; streamId: string } | null => {
    const at = eventId.lastIndexOf('~');
    if (at <= 0 || at === eventId.length - 1) return null;
    return { logId: eventId.slice(0, at), streamId: eventId.slice(at + 1) };
  };
  const read = async (eventId: string, limit?: number) => {
    const id = parse(eventId);
    if (!id) return null;
    const r = await log.after(id.logId, limit);
    return r && r.streamId === logStream(id.streamId) ? { ...r, streamId: id.streamId } : null;
  };

  return {
    async storeEvent(streamId, message) {
      if (!isJsonRpc(message)) {
        // The SDK's priming event ({}): an id without a write, unless an anchor is needed.
        const anchor = anchors.get(logStream(streamId));
        if (anchor && o.now() - anchor.at < ANCHOR_MAX_AGE_MS) return `${anchor.eventId}~${streamId}`;
        return `${await append(streamId, { s: null })}~${streamId}`;
      }
      const bytes = Buffer.byteLength(JSON.stringify(message), 'utf8');
      const now = o.now();
      if (now - budget.since >= STREAM_EVENT_TTL_MS) budget = { since: now, bytes: 0 };
      let record: StoredRecord;
      if (bytes > maxEventBytes || budget.bytes + bytes > sessionBytes) {
        record = { s: streamId, gone: { bytes, ...(isResponse(message) ? { response: message.id } : {}) } };
      } else {
        budget.bytes += bytes;
        record = { s: streamId, m: message };
      }
      return `${await append(streamId, record)}~${streamId}`;
    },
    async getStreamIdForEventId(eventId) {
      return (await read(eventId, 0))?.streamId;
    },
    async replayEventsAfter(eventId, { send }) {
      // Read again (not what getStreamIdForEventId saw): messages may have been stored since.
      const r = await read(eventId);
      if (!r) throw new Error('unknown event id');
      for (const e of r.events) {
        const rec = e.message as StoredRecord | null;
        if (!rec || rec.s !== r.streamId) continue; // an anchor, or another POST's stream
        if (rec.m && isJsonRpc(rec.m)) await send(`${e.eventId}~${r.streamId}`, rec.m);
        else if (rec.gone) await send(`${e.eventId}~${r.streamId}`, goneMessage(rec.gone));
      }
      return r.streamId;
    },
  };
}
