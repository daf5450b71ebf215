import type { EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Clock } from '../../domain/clock.js';
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

/** A stored message that is a JSON-RPC message (not the SDK's empty priming event). */
const isJsonRpc = (m: unknown): m is JSONRPCMessage => !!m && typeof m === 'object' && (m as { jsonrpc?: unknown }).jsonrpc === '2.0';

/**
 * The SDK's EventStore for one MCP session over a shared log. The SDK names every
 * session's standalone GET stream `_GET_stream`, so stream ids are prefixed with the
 * session id; an event id of another session (or an unknown, expired or malformed one)
 * finds no stream here, and the SDK answers the resume with 400 instead of replaying
 * someone else's messages.
 */
export function sessionEventStore(log: StreamEventLog, sessionId: () => string | undefined): EventStore {
  const prefix = () => {
    const sid = sessionId();
    if (!sid) throw new Error('stream events need an MCP session id');
    return `${sid}/`;
  };
  const own = async (eventId: string, limit?: number) => {
    const r = await log.after(eventId, limit);
    return r && r.streamId.startsWith(prefix()) ? r : null;
  };
  return {
    storeEvent: (streamId, message) => log.append(prefix() + streamId, message),
    async getStreamIdForEventId(eventId) {
      const r = await own(eventId, 0);
      return r ? r.streamId.slice(prefix().length) : undefined;
    },
    async replayEventsAfter(eventId, { send }) {
      // Read again (not what getStreamIdForEventId saw): messages may have been stored since.
      const r = await own(eventId);
      if (!r) throw new Error('unknown event id');
      for (const e of r.events) if (isJsonRpc(e.message)) await send(e.eventId, e.message);
      return r.streamId.slice(prefix().length);
    },
  };
}
