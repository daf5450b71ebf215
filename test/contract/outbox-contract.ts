/**
 * The memory outbox and the final-extraction guarantee, part of the StorePort contract
 * (store.test.ts and postgres.test.ts run it on SQLite and PostgreSQL): an entry is
 * written in the same step as the event or record change it points at, only once the
 * outbox is on; claims lease entries to one owner; settling removes, retries, parks or
 * releases them; an entry whose event or record is gone ships nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OutboxEntry } from '../../src/memory/port.js';
import type { StorePort, TenantStore } from '../../src/store/port.js';
import { fixtures, MINUTE, openInvestigation, T0, type Fixtures } from './fixtures.js';

export function runOutboxContract(name: string, makeStore: () => Promise<StorePort>, cleanup: (s: StorePort) => Promise<void> = (s) => s.close()): void {
  describe(`${name} memory outbox contract`, () => {
    let store: StorePort;
    let f: Fixtures;
    let a: TenantStore;
    beforeEach(async () => {
      store = await makeStore();
      f = fixtures('acme');
      a = store.tenant('acme');
    });
    afterEach(async () => cleanup(store));

    const kinds = (entries: OutboxEntry[]) => entries.map((e) => e.op.op);
    // Claims use real time (the store's clock stamps entries); far enough ahead for any entry.
    const LATER = Date.UTC(2100, 0, 1);

    it('writes nothing while off, and says so', async () => {
      await openInvestigation(a, f, { events: 3 });
      expect(store.memoryOutbox).toBe(false);
      expect(await store.claimOutbox(LATER, 'w1', MINUTE, 100)).toEqual([]);
      expect(await store.outboxStats()).toMatchObject({ enabled: false, pending: 0, parked: 0, oldestPendingAt: null, errors: [] });
    });

    it('once on, every appended event gets an entry in its own step, in order, carrying the stored event', async () => {
      await store.enableMemoryOutbox();
      expect(store.memoryOutbox).toBe(true);
      const { session, inv, events } = await openInvestigation(a, f, { events: 2 });
      const more = await a.appendToSession(session.id, [f.event({ sessionId: session.id, investigationId: inv.id, text: 'the bank wrote back' })], T0 + MINUTE);
      const loose = await a.appendEvents([f.event({ investigationId: inv.id, text: 'scheduler note' })]);
      const claimed = await store.claimOutbox(LATER, 'w1', MINUTE, 100);
      expect(kinds(claimed)).toEqual(['event', 'event', 'event', 'event']);
      const shipped = claimed.map((e) => (e.op.op === 'event' ? e.op.event : null));
      expect(shipped).toEqual([...events, ...more.events, ...loose]);
      expect(claimed.map((e) => e.clientToken)).toEqual(shipped.map((e) => e!.id));
      expect(claimed.every((e) => e.tenantId === 'acme' && e.attempts === 0)).toBe(true);
      expect(claimed.map((e) => e.id)).toEqual([...claimed.map((e) => e.id)].sort((x, y) => x - y));
      expect((await store.outboxStats()).pending).toBe(4);
    });

    it('leases a claim to its owner: another owner gets nothing until the lease ends, and a released entry is claimable at once', async () => {
      await store.enableMemoryOutbox();
      await openInvestigation(a, f, { events: 2 });
      const now = LATER;
      const first = await store.claimOutbox(now, 'w1', MINUTE, 100);
      expect(first).toHaveLength(2);
      expect(await store.claimOutbox(now, 'w2', MINUTE, 100)).toEqual([]);
      await store.settleOutbox({ owner: 'w1', delivered: [], failed: [], released: [first[1]!.id] });
      expect((await store.claimOutbox(now, 'w2', MINUTE, 100)).map((e) => e.id)).toEqual([first[1]!.id]);
      // The leases end: w3 takes both over, and w1 can no longer settle its entry.
      const taken = await store.claimOutbox(now + MINUTE, 'w3', MINUTE, 100);
      expect(taken.map((e) => e.id)).toEqual(first.map((e) => e.id));
      await store.settleOutbox({ owner: 'w1', delivered: [first[0]!.id], failed: [] });
      expect((await store.outboxStats()).pending).toBe(2);
      await store.settleOutbox({ owner: 'w3', delivered: [first[0]!.id], failed: [] });
      expect((await store.outboxStats()).pending).toBe(1);
    });

    it('retries a failed entry after its retry time with the attempt counted, and parks a refused one with its error', async () => {
      await store.enableMemoryOutbox();
      await openInvestigation(a, f, { events: 2 });
      const now = LATER;
      const [x, y] = await store.claimOutbox(now, 'w1', MINUTE, 100);
      await store.settleOutbox({ owner: 'w1', delivered: [], failed: [{ id: x!.id, error: 'ThrottledException: slow down', retryAt: now + 10_000 }, { id: y!.id, error: 'ValidationException: too big', retryAt: null }] });
      expect(await store.claimOutbox(now + 9_999, 'w1', MINUTE, 100)).toEqual([]);
      const again = await store.claimOutbox(now + 10_000, 'w2', MINUTE, 100);
      expect(again.map((e) => [e.id, e.attempts, e.clientToken])).toEqual([[x!.id, 1, x!.clientToken]]);
      const stats = await store.outboxStats();
      expect(stats).toMatchObject({ enabled: true, pending: 1, parked: 1 });
      expect(stats.errors).toEqual([
        { id: y!.id, tenantId: 'acme', kind: 'event', attempts: 1, error: 'ValidationException: too big', parked: true },
        { id: x!.id, tenantId: 'acme', kind: 'event', attempts: 1, error: 'ThrottledException: slow down', parked: false },
      ]);
      expect(await store.claimOutbox(now + 10 * MINUTE, 'w3', MINUTE, 100)).toHaveLength(1); // the parked one never comes back
    });

    it('defers an entry that was never sent without counting an attempt or keeping an error', async () => {
      await store.enableMemoryOutbox();
      await openInvestigation(a, f);
      const now = LATER;
      const [x] = await store.claimOutbox(now, 'w1', MINUTE, 100);
      await store.settleOutbox({ owner: 'w1', delivered: [], failed: [], deferred: [{ id: x!.id, retryAt: now + 2_000 }] });
      expect(await store.claimOutbox(now + 1_999, 'w2', MINUTE, 100)).toEqual([]);
      expect((await store.claimOutbox(now + 2_000, 'w2', MINUTE, 100)).map((e) => [e.id, e.attempts])).toEqual([[x!.id, 0]]);
      expect((await store.outboxStats()).errors).toEqual([]);
    });

    it('ships a record change with the record as it stands at claim time, and a forgotten record only as its deletion', async () => {
      await store.enableMemoryOutbox();
      const { session } = await openInvestigation(a, f);
      const kept = f.record('investigations/inv_x/facts', 'TechCorp wired 9,800 EUR', { sessionId: session.id });
      const gone = f.record('investigations/inv_x/facts', 'A statement later forgotten', { sessionId: session.id });
      await a.commitExtraction({ sessionId: session.id, expectedThroughSeq: 0, throughSeq: 1, now: T0, dueAt: null, writes: [{ op: 'create', record: kept }, { op: 'create', record: gone }] });
      await a.commitExtraction({
        sessionId: session.id,
        expectedThroughSeq: 1,
        throughSeq: 2,
        now: T0 + MINUTE,
        dueAt: null,
        writes: [{ op: 'update_text', id: kept.id, text: 'TechCorp wired 9,800 EUR twice', textKey: 'k2', eventIds: ['evt_a'], now: T0 + MINUTE }],
      });
      expect(await a.deleteRecord(gone.id)).toBe(true);
      const claimed = (await store.claimOutbox(LATER, 'w1', MINUTE, 100)).filter((e) => e.op.op !== 'event');
      // kept: created then updated (two entries, each shipping the current text); gone: only its deletion.
      expect(claimed.map((e) => (e.op.op === 'records' ? ['records', e.op.records[0]!.id, e.op.records[0]!.text] : e.op.op === 'delete_record' ? ['delete', e.op.recordId] : [])))
        .toEqual([
          ['records', kept.id, 'TechCorp wired 9,800 EUR twice'],
          ['records', kept.id, 'TechCorp wired 9,800 EUR twice'],
          ['delete', gone.id],
        ]);
      expect(new Set(claimed.map((e) => e.clientToken)).size).toBe(3);
      expect((await store.outboxStats()).pending).toBe(claimed.length + 1); // + the request event; the dropped entry is gone
    });

    it('queues a deleted event for deletion from the memory, dropping what would still ship it — but not a delivery in flight, which the deletion waits for', async () => {
      await store.enableMemoryOutbox();
      const { inv, session } = await openInvestigation(a, f, { events: 0 });
      const [shipped, unshipped] = await a.appendEvents([f.event({ sessionId: session.id, investigationId: inv.id, text: 'in flight' }), f.event({ sessionId: session.id, investigationId: inv.id, text: 'not yet sent' })]);
      const now = LATER;
      const [inFlight] = await store.claimOutbox(now, 'w1', MINUTE, 1); // `shipped` is being delivered right now
      expect(inFlight!.op).toMatchObject({ op: 'event', event: { id: shipped!.id } });
      expect(await a.deleteEvent(shipped!.id)).toBe(true);
      expect(await a.deleteEvent(unshipped!.id)).toBe(true);
      expect(await a.deleteEvent(unshipped!.id)).toBe(false);
      // The unsent event is never shipped; its deletion is queued (keyed by its memory session: the investigation).
      // The in-flight delivery's deletion waits until that lease ends.
      const ready = await store.claimOutbox(now, 'w2', MINUTE, 100);
      expect(ready.map((e) => e.op)).toEqual([{ op: 'delete_event', sessionId: inv.id, eventId: unshipped!.id }]);
      await store.settleOutbox({ owner: 'w2', delivered: ready.map((e) => e.id), failed: [] });
      const later = await store.claimOutbox(now + MINUTE, 'w2', MINUTE, 100);
      // The lease ended: the old entry's event is gone (dropped at claim), and its deletion is claimable.
      expect(later.map((e) => e.op)).toEqual([{ op: 'delete_event', sessionId: inv.id, eventId: shipped!.id }]);
    });

    it('records written with a task outcome get entries too', async () => {
      await store.enableMemoryOutbox();
      const { inv } = await openInvestigation(a, f);
      const { task } = await a.createTask({ task: f.task(inv.id), wait: null, events: [] });
      const claimedTask = await store.claimTask(T0, 'worker', MINUTE, [task.role]);
      const rec = f.record(`investigations/${inv.id}/reports`, 'Compliance report: no flags');
      await a.applyTaskOutcome({ taskId: claimedTask!.id, leaseOwner: 'worker', now: T0, status: 'completed', records: [rec] });
      const recs = (await store.claimOutbox(LATER, 'w1', MINUTE, 100)).filter((e) => e.op.op === 'records');
      expect(recs.map((e) => (e.op.op === 'records' ? e.op.records[0]!.id : null))).toEqual([rec.id]);
    });

    it('keeps each tenant on its own entries', async () => {
      await store.enableMemoryOutbox();
      const g = fixtures('globex');
      await openInvestigation(a, f);
      await openInvestigation(store.tenant('globex'), g);
      const claimed = await store.claimOutbox(LATER, 'w1', MINUTE, 100);
      for (const e of claimed) if (e.op.op === 'event') expect(e.op.event.tenantId).toBe(e.tenantId);
      expect(claimed.map((e) => e.tenantId).sort()).toEqual(['acme', 'globex']);
    });

    it('makes a terminated session due for its final extraction in the same step, and every session a close terminates', async () => {
      const { session, inv } = await openInvestigation(a, f);
      // Extraction caught up: nothing due.
      const through = (await a.listEvents({ sessionId: session.id, limit: 10 })).items.at(-1)!.seq;
      await a.commitExtraction({ sessionId: session.id, expectedThroughSeq: 0, throughSeq: through, now: T0, dueAt: null, writes: [] });
      expect((await store.dueExtractions(T0 + 5 * MINUTE, 10)).map((c) => c.sessionId)).not.toContain(session.id);
      expect(await a.terminateSession(session.id, 'completed', T0 + 5 * MINUTE)).not.toBeNull();
      expect((await store.dueExtractions(T0 + 5 * MINUTE, 10)).map((c) => c.sessionId)).toContain(session.id);

      const second = await openInvestigation(a, f);
      const worker = f.session({ investigationId: second.inv.id, kind: 'worker' });
      await a.createSession(worker);
      const fresh = await a.getInvestigation(second.inv.id);
      await a.closeInvestigation({ id: second.inv.id, expectedVersion: fresh!.version, now: T0 + 6 * MINUTE, outcome: 'completed', summary: null, terminationReason: 'completed', events: [] });
      const due = (await store.dueExtractions(T0 + 6 * MINUTE, 10)).map((c) => c.sessionId);
      expect(due).toEqual(expect.arrayContaining([second.session.id, worker.id]));
      void inv;
    });
  });
}
