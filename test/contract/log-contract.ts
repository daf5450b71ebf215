/**
 * The store's two logs, part of the StorePort contract (runStoreContract calls this
 * inside its describe): the change log that processes follow for notifications, and
 * the events of resumable HTTP streams.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Change } from '../../src/domain/change.js';
import { InvalidInputError, StorageUnavailableError } from '../../src/domain/errors.js';
import { STREAM_EVENTS_PER_STREAM, type ChangeLogInput, type StorePort } from '../../src/store/port.js';
import { MINUTE, T0 } from './fixtures.js';

const inv = (tenantId: string, id: string): Change => ({ type: 'investigation', tenantId, id });
const entry = (change: Change, at = T0, origin = 'proc-a'): ChangeLogInput => ({ origin, change, at });

export function runLogContract(store: () => StorePort): void {
  describe('change log', () => {
    let s: StorePort;
    beforeEach(() => {
      s = store();
    });

    it('starts empty', async () => {
      expect(await s.lastChangeSeq()).toBe(0);
      expect(await s.changesAfter(0, 10)).toEqual([]);
    });

    it('appends in order with strictly increasing seqs, and gives them back after a seq', async () => {
      const last = await s.appendChanges([entry(inv('acme', 'inv_1')), entry({ type: 'tasks', tenantId: 'acme', investigationId: 'inv_1' }, T0 + 1)]);
      const last2 = await s.appendChanges([entry({ type: 'inbox', tenantId: 'globex' }, T0 + 2, 'proc-b')]);
      expect(last2).toBeGreaterThan(last);
      expect(await s.lastChangeSeq()).toBe(last2);
      const all = await s.changesAfter(0, 10);
      expect(all.map((r) => r.change)).toEqual([inv('acme', 'inv_1'), { type: 'tasks', tenantId: 'acme', investigationId: 'inv_1' }, { type: 'inbox', tenantId: 'globex' }]);
      expect(all.map((r) => [r.origin, r.at])).toEqual([
        ['proc-a', T0],
        ['proc-a', T0 + 1],
        ['proc-b', T0 + 2],
      ]);
      expect(all[1]!.seq).toBe(last);
      expect(all[2]!.seq).toBe(last2);
      for (let i = 1; i < all.length; i++) expect(all[i]!.seq).toBeGreaterThan(all[i - 1]!.seq);
      // Exclusive, bounded, in seq order.
      expect((await s.changesAfter(all[0]!.seq, 10)).map((r) => r.seq)).toEqual([all[1]!.seq, all[2]!.seq]);
      expect((await s.changesAfter(0, 2)).map((r) => r.seq)).toEqual([all[0]!.seq, all[1]!.seq]);
      expect(await s.changesAfter(last2, 10)).toEqual([]);
      expect(await s.changesAfter(0, 0)).toEqual([]);
    });

    it('hands back copies: a caller changing its objects changes nothing stored', async () => {
      const change = inv('acme', 'inv_1') as { id: string };
      await s.appendChanges([entry(change as Change)]);
      change.id = 'inv_2';
      const [row] = await s.changesAfter(0, 1);
      expect(row!.change).toEqual(inv('acme', 'inv_1'));
      (row!.change as { id: string }).id = 'inv_3';
      expect((await s.changesAfter(0, 1))[0]!.change).toEqual(inv('acme', 'inv_1'));
    });

    it('an empty append writes nothing and returns 0', async () => {
      expect(await s.appendChanges([])).toBe(0);
      expect(await s.lastChangeSeq()).toBe(0);
    });

    it('refuses a malformed entry and writes none of its batch', async () => {
      for (const bad of [
        { type: 'nonsense', tenantId: 'acme' },
        { type: 'investigation', tenantId: 'acme' },
        { type: 'investigation', tenantId: 'a:b', id: 'inv_1' },
        { type: 'inbox', tenantId: '' },
      ]) {
        await expect(s.appendChanges([entry(inv('acme', 'inv_ok')), entry(bad as unknown as Change)]), JSON.stringify(bad)).rejects.toBeInstanceOf(InvalidInputError);
      }
      await expect(s.appendChanges([{ origin: '', change: inv('acme', 'x'), at: T0 }])).rejects.toBeInstanceOf(InvalidInputError);
      expect(await s.changesAfter(0, 10)).toEqual([]);
    });

    it('prunes rows older than a time, oldest first, a bounded batch at a time', async () => {
      await s.appendChanges([0, 1, 2, 3, 4].map((i) => entry(inv('acme', `inv_${i}`), T0 + i * MINUTE)));
      expect(await s.deleteChangesBefore(T0 + 3 * MINUTE, 2)).toBe(2);
      expect((await s.changesAfter(0, 10)).map((r) => (r.change as { id: string }).id)).toEqual(['inv_2', 'inv_3', 'inv_4']);
      expect(await s.deleteChangesBefore(T0 + 3 * MINUTE, 10)).toBe(1);
      expect(await s.deleteChangesBefore(T0 + 3 * MINUTE, 10)).toBe(0);
      expect((await s.changesAfter(0, 10)).map((r) => (r.change as { id: string }).id)).toEqual(['inv_3', 'inv_4']);
    });

    it('never hands a seq out twice, even after pruning the newest rows', async () => {
      const before = await s.appendChanges([entry(inv('acme', 'inv_1')), entry(inv('acme', 'inv_2'))]);
      expect(await s.deleteChangesBefore(T0 + 1, 10)).toBe(2);
      expect(await s.lastChangeSeq()).toBe(before);
      const after = await s.appendChanges([entry(inv('acme', 'inv_3'), T0 + MINUTE)]);
      expect(after).toBeGreaterThan(before);
      // A follower that had seen `before` hears of the new row.
      expect((await s.changesAfter(before, 10)).map((r) => r.seq)).toEqual([after]);
    });
  });

  describe('stream events', () => {
    let s: StorePort;
    beforeEach(() => {
      s = store();
    });
    const append = (streamId: string, message: unknown, expiresAt = T0 + 10 * MINUTE) => s.appendStreamEvent({ streamId, message, now: T0, expiresAt });

    it('replays the events of the same stream after an id, in order, with the ids append gave', async () => {
      const a1 = await append('ses-1:_GET_stream', { jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'longhaul://inbox' } });
      const b1 = await append('ses-2:_GET_stream', { n: 'b1' });
      const a2 = await append('ses-1:_GET_stream', { n: 'a2' });
      const a3 = await append('ses-1:_GET_stream', { n: 'a3', nested: [1, { x: null }] });
      // Opaque ids that sort in append order.
      expect([a1, b1, a2, a3]).toEqual([a1, b1, a2, a3].slice().sort());
      expect(new Set([a1, b1, a2, a3]).size).toBe(4);
      expect(await s.streamEventsAfter(a1, 10)).toEqual({
        streamId: 'ses-1:_GET_stream',
        events: [
          { eventId: a2, message: { n: 'a2' } },
          { eventId: a3, message: { n: 'a3', nested: [1, { x: null }] } },
        ],
      });
      expect(await s.streamEventsAfter(a1, 1)).toEqual({ streamId: 'ses-1:_GET_stream', events: [{ eventId: a2, message: { n: 'a2' } }] });
      expect(await s.streamEventsAfter(a3, 10)).toEqual({ streamId: 'ses-1:_GET_stream', events: [] });
      // limit 0 only looks the stream up (the SDK's getStreamIdForEventId).
      expect(await s.streamEventsAfter(b1, 0)).toEqual({ streamId: 'ses-2:_GET_stream', events: [] });
    });

    it('stores a copy of the message', async () => {
      const message = { n: 1 };
      const first = await append('s', { start: true });
      await append('s', message);
      message.n = 2;
      expect((await s.streamEventsAfter(first, 10))!.events[0]!.message).toEqual({ n: 1 });
    });

    it('answers null for an id that is malformed, unknown, or names another stream', async () => {
      const id = await append('ses-1', { n: 1 });
      await append('ses-1', { n: 2 });
      const other = await append('ses-2', { n: 3 });
      for (const bad of ['', 'nonsense', '42', id.replace('ses-1', 'ses-3'), id.replace('ses-1', 'ses-2'), `${'9'.repeat(16)}_ses-1`, other.replace('ses-2', 'ses-1')]) {
        expect(await s.streamEventsAfter(bad, 10), bad).toBeNull();
      }
    });

    it('refuses a stream id an event id cannot carry', async () => {
      for (const bad of ['', 'x'.repeat(201), 'a\nb', 'a\u0000b']) await expect(append(bad, {}), JSON.stringify(bad)).rejects.toBeInstanceOf(InvalidInputError);
    });

    it(`keeps at most ${STREAM_EVENTS_PER_STREAM} events per stream, dropping the oldest on append`, async () => {
      const ids: string[] = [];
      for (let i = 0; i < STREAM_EVENTS_PER_STREAM + 3; i++) ids.push(await append('busy', { i }));
      const quiet = await append('quiet', { i: 0 });
      for (const dropped of ids.slice(0, 3)) expect(await s.streamEventsAfter(dropped, 10)).toBeNull();
      const oldest = await s.streamEventsAfter(ids[3]!, STREAM_EVENTS_PER_STREAM);
      expect(oldest!.events).toHaveLength(STREAM_EVENTS_PER_STREAM - 1);
      expect(oldest!.events.at(-1)).toEqual({ eventId: ids.at(-1), message: { i: STREAM_EVENTS_PER_STREAM + 2 } });
      expect(await s.streamEventsAfter(quiet, 10)).toEqual({ streamId: 'quiet', events: [] });
    });

    it('deletes expired events, a bounded batch at a time; a pruned id answers null', async () => {
      const e1 = await append('s', { n: 1 }, T0 + MINUTE);
      const e2 = await append('s', { n: 2 }, T0 + MINUTE);
      const e3 = await append('s', { n: 3 }, T0 + 2 * MINUTE);
      expect(await s.deleteExpiredStreamEvents(T0 + MINUTE, 1)).toBe(1);
      expect(await s.streamEventsAfter(e1, 10)).toBeNull();
      expect(await s.deleteExpiredStreamEvents(T0 + MINUTE, 10)).toBe(1);
      expect(await s.deleteExpiredStreamEvents(T0 + MINUTE, 10)).toBe(0);
      expect(await s.streamEventsAfter(e2, 10)).toBeNull();
      expect(await s.streamEventsAfter(e3, 10)).toEqual({ streamId: 's', events: [] });
      // A stream that lost every event keeps counting: a new id is never an old one.
      expect(await s.deleteExpiredStreamEvents(T0 + 2 * MINUTE, 10)).toBe(1);
      const e4 = await append('s', { n: 4 });
      expect([e1, e2, e3]).not.toContain(e4);
      expect(e4 > e3).toBe(true);
    });
  });

  describe('logs of a closed store', () => {
    it('fail as storage unavailable', async () => {
      const s = store();
      await s.close();
      await expect(s.appendChanges([entry(inv('acme', 'inv_1'))])).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(s.changesAfter(0, 1)).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(s.lastChangeSeq()).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(s.appendStreamEvent({ streamId: 's', message: {}, now: T0, expiresAt: T0 + 1 })).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(s.streamEventsAfter(`${'0'.repeat(15)}1_s`, 1)).rejects.toBeInstanceOf(StorageUnavailableError);
    });
  });
}
