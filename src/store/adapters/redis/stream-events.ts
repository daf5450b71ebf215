import { InvalidInputError } from '../../../domain/errors.js';
import { STREAM_EVENT_TTL_MS, type StreamEventLog } from '../../../transports/http/event-log.js';
import { STREAM_EVENTS_PER_STREAM } from '../../port.js';
import type { RedisConnection } from './connection.js';

export interface RedisStreamEventOptions {
  /** How long a stream stays replayable after its last append. Default STREAM_EVENT_TTL_MS. */
  ttlMs?: number;
  /** Events a stream keeps (approximately: trimming is `MAXLEN ~`). Default STREAM_EVENTS_PER_STREAM. */
  maxEvents?: number;
}

/**
 * Stream ids allowed as keys: the SDK's `_GET_stream`, `<mcp session id>/_post` and the
 * like. No `:` (it would reach another key space), no glob characters, no `~` (the SSE
 * layer's separator), no whitespace or `..`.
 */
const STREAM_ID = /^[A-Za-z0-9_][A-Za-z0-9._@/-]{0,199}$/;

const validStreamId = (streamId: unknown): streamId is string => typeof streamId === 'string' && STREAM_ID.test(streamId) && !streamId.includes('..');

/**
 * Event ids: the Redis entry id `<ms>-<seq>` with both parts zero-padded (16 and 10
 * digits, so ids of one stream sort as text in append order, as the SSE layer compares
 * them), `_`, then the stream id. An id names its stream: looked up in its own stream
 * only, so an id of another stream (or a guessed one) finds nothing.
 */
export const encodeRedisStreamEventId = (entryId: string, streamId: string): string => {
  const [ms = '', seq = ''] = entryId.split('-');
  return `${ms.padStart(16, '0')}-${seq.padStart(10, '0')}_${streamId}`;
};

/** The Redis entry id and stream of an id made by encodeRedisStreamEventId; null when it is not one (or its stream id is not allowed). */
export function decodeRedisStreamEventId(eventId: string): { entryId: string; streamId: string } | null {
  const m = typeof eventId === 'string' ? /^(\d{16})-(\d{10,20})_(.+)$/s.exec(eventId) : null;
  if (!m || !validStreamId(m[3])) return null;
  return { entryId: `${BigInt(m[1]!)}-${BigInt(m[2]!)}`, streamId: m[3] };
}

/**
 * The resumable-stream event log on Redis Streams: one stream `<prefix>se:<streamId>`
 * per SSE stream. An append is one MULTI (one round trip): XADD with `MAXLEN ~
 * maxEvents` (the oldest events beyond the cap go in the same step; `~` lets Redis
 * trim whole nodes, so a stream may hold up to about a hundred more) and PEXPIRE
 * `ttlMs`, so a stream nobody appends to for `ttlMs` is gone. `after` answers null when
 * the id is malformed, of a stream that is not allowed, unknown, or its event was
 * pruned (trimmed or expired) — resuming from it would silently skip messages.
 */
export function redisStreamEventLog(conn: RedisConnection, opts: RedisStreamEventOptions = {}): StreamEventLog {
  const ttlMs = Math.ceil(opts.ttlMs ?? STREAM_EVENT_TTL_MS);
  const maxEvents = opts.maxEvents ?? STREAM_EVENTS_PER_STREAM;
  if (!(ttlMs >= 1) || !(Number.isSafeInteger(maxEvents) && maxEvents >= 1)) throw new InvalidInputError('stream events need a positive ttl and cap.');
  const streamKey = (streamId: string) => `${conn.key('se')}:${streamId}`;

  return {
    async append(streamId, message) {
      if (!validStreamId(streamId)) {
        throw new InvalidInputError(`stream id "${String(streamId).slice(0, 60)}" may hold only letters, digits, "_", ".", "@", "/" and "-" (1–200 characters, no "..").`);
      }
      const key = streamKey(streamId);
      const text = JSON.stringify(message ?? null);
      const replies = await conn.run('stream event append', () =>
        conn.client
          .multi()
          .xAdd(key, '*', { m: text }, { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: maxEvents } })
          .pExpire(key, ttlMs)
          .exec(),
      );
      const entryId = replies[0];
      if (typeof entryId !== 'string') throw new InvalidInputError('Redis did not return a stream entry id.');
      return encodeRedisStreamEventId(entryId, streamId);
    },
    async after(eventId, limit) {
      const id = decodeRedisStreamEventId(eventId);
      if (!id) return null;
      const key = streamKey(id.streamId);
      // No limit: every event after it (the stream itself is capped), not just maxEvents of
      // them — `MAXLEN ~` may keep a few more, and a replay must not stop short of the end.
      const count = limit === undefined || !Number.isFinite(limit) ? undefined : Math.max(0, Math.floor(limit));
      // One MULTI: the event itself (is it still there?) and the ones after it, from one moment.
      const multi = conn.client.multi().xRange(key, id.entryId, id.entryId);
      if (count !== 0) multi.xRange(key, `(${id.entryId}`, '+', count === undefined ? undefined : { COUNT: count });
      const replies = await conn.run('stream events read', () => multi.exec());
      const self = replies[0] as unknown as unknown[];
      if (!Array.isArray(self) || self.length === 0) return null;
      const rest = (count !== 0 ? replies[1] : []) as unknown as Array<{ id: string; message: Record<string, string> }>;
      return {
        streamId: id.streamId,
        events: rest.map((e) => ({ eventId: encodeRedisStreamEventId(e.id, id.streamId), message: parseStored(e.message.m) })),
      };
    },
  };
}

function parseStored(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
