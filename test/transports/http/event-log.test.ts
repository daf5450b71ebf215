import type { EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sessionEventStore, storeStreamEventLog, STREAM_EVENT_TTL_MS, type StreamEventLog } from '../../../src/transports/http/event-log.js';
import { makeApp, type TestApp } from '../../mcp/helpers.js';

const note = (n: number, pad = 0): JSONRPCMessage => ({ jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: `longhaul://inbox?n=${n}`, pad: 'x'.repeat(pad) } });
const result = (id: number, pad = 0): JSONRPCMessage => ({ jsonrpc: '2.0', id, result: { text: 'y'.repeat(pad) } });

/** The SDK's EventStore of one session over the store's stream-event log, with every write noted. */
describe('resumable stream events of a session', () => {
  let t: TestApp;
  let writes: Array<{ streamId: string; bytes: number }>;
  let log: StreamEventLog;
  beforeEach(() => {
    t = makeApp();
    const inner = storeStreamEventLog(t.app.store, t.app.clock);
    writes = [];
    log = {
      append(streamId, message) {
        writes.push({ streamId, bytes: JSON.stringify(message).length });
        return inner.append(streamId, message);
      },
      after: (eventId, limit) => inner.after(eventId, limit),
    };
  });
  afterEach(() => t.close());

  const store = (sid = 'ses-a', o: { maxEventBytes?: number; sessionBytes?: number } = {}) => sessionEventStore(log, () => sid, { now: () => t.app.clock.now(), ...o });
  async function replay(es: EventStore, eventId: string) {
    const sent: Array<{ eventId: string; message: JSONRPCMessage }> = [];
    const streamId = await es.replayEventsAfter(eventId, { send: async (id, message) => void sent.push({ eventId: id, message }) });
    return { streamId, sent };
  }

  describe('priming events (the empty first event of every POST stream)', () => {
    it('are not written once the session has an anchor: one write per request (its response), not two', async () => {
      const es = store();
      await es.storeEvent('post-1', {} as JSONRPCMessage); // the session's first: writes an anchor
      await es.storeEvent('post-1', result(1));
      const before = writes.length;
      for (let i = 2; i <= 6; i++) {
        await es.storeEvent(`post-${i}`, {} as JSONRPCMessage);
        await es.storeEvent(`post-${i}`, result(i));
      }
      expect(writes.length - before).toBe(5);
    });

    it('still resume: everything sent on the stream after its priming id is replayed, and nothing of other streams', async () => {
      const es = store();
      await es.storeEvent('post-0', {} as JSONRPCMessage);
      await es.storeEvent('post-0', result(0));
      const priming = await es.storeEvent('post-1', {} as JSONRPCMessage);
      await es.storeEvent('post-2', {} as JSONRPCMessage);
      await es.storeEvent('post-1', note(1));
      await es.storeEvent('post-2', result(2));
      await es.storeEvent('post-1', result(1));
      expect(await es.getStreamIdForEventId!(priming)).toBe('post-1');
      const r = await replay(es, priming);
      expect(r.streamId).toBe('post-1');
      expect(r.sent.map((e) => e.message)).toEqual([note(1), result(1)]);
      // The ids replayed are the ids the messages went out with (the SDK de-duplicates by them).
      const again = await replay(es, r.sent[0]!.eventId);
      expect(again.sent.map((e) => e.message)).toEqual([result(1)]);
    });

    it('write a fresh anchor when the last is old, so a priming id never outlives the events it points at', async () => {
      const es = store();
      await es.storeEvent('post-1', {} as JSONRPCMessage);
      const n = writes.length;
      await es.storeEvent('post-2', {} as JSONRPCMessage);
      expect(writes.length).toBe(n);
      t.clock.advance(STREAM_EVENT_TTL_MS / 2);
      await es.storeEvent('post-3', {} as JSONRPCMessage);
      expect(writes.length).toBe(n + 1);
    });
  });

  it("never resolves another session's ids, or ids that are not ours", async () => {
    const a = store('ses-a');
    const b = store('ses-b');
    await a.storeEvent('_GET_stream', note(1));
    const id = await a.storeEvent('_GET_stream', note(2));
    expect(await a.getStreamIdForEventId!(id)).toBe('_GET_stream');
    expect(await b.getStreamIdForEventId!(id)).toBeUndefined();
    await expect(b.replayEventsAfter(id, { send: async () => undefined })).rejects.toThrow();
    for (const bad of ['', '~', 'nope', `${id.split('~')[0]}~post-9`, '0000000000999999_ses-a/_post~x']) {
      expect(await a.getStreamIdForEventId!(bad)).toBeUndefined();
    }
  });

  describe('bounds', () => {
    it('keeps a message over the event limit only as a marker; a replay answers the lost result with an error', async () => {
      const es = store('ses-a', { maxEventBytes: 1_024 });
      const from = await es.storeEvent('_GET_stream', note(1));
      await es.storeEvent('_GET_stream', note(2, 5_000));
      await es.storeEvent('_GET_stream', note(3));
      expect(Math.max(...writes.map((w) => w.bytes))).toBeLessThan(1_024);
      const r = await replay(es, from);
      expect(r.sent).toHaveLength(2);
      expect(r.sent[0]!.message).toMatchObject({ method: 'notifications/message', params: { level: 'warning', data: expect.stringMatching(/too large to keep.*gone/) } });
      expect(r.sent[1]!.message).toEqual(note(3));

      const post = await es.storeEvent('post-1', {} as JSONRPCMessage);
      await es.storeEvent('post-1', result(7, 5_000));
      const p = await replay(es, post);
      expect(p.sent.map((e) => e.message)).toEqual([{ jsonrpc: '2.0', id: 7, error: { code: -32000, message: expect.stringMatching(/result is gone.*Make the request again/) } }]);
    });

    it('keeps at most the session budget of bytes per retention window; the rest as markers', async () => {
      const es = store('ses-a', { sessionBytes: 3_000 });
      const from = await es.storeEvent('_GET_stream', note(0));
      for (let i = 1; i <= 4; i++) await es.storeEvent('_GET_stream', note(i, 1_000));
      expect(writes.reduce((n, w) => n + w.bytes, 0)).toBeLessThan(3_000 + 4 * 200);
      const r = await replay(es, from);
      expect(r.sent.map((e) => ('params' in e.message ? (e.message.params as { level?: string }).level ?? 'kept' : ''))).toEqual(['kept', 'kept', 'warning', 'warning']);
      // A new window, a new budget.
      t.clock.advance(STREAM_EVENT_TTL_MS);
      await es.storeEvent('_GET_stream', note(5, 1_000));
      expect(writes.at(-1)!.bytes).toBeGreaterThan(1_000);
    });
  });
});
