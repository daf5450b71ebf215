/**
 * The memory port's contract (src/memory/port.ts), run against every adapter: the store's
 * own memory and AWS AgentCore Memory (through the local AgentCore stub). Each adapter's
 * test file calls `memoryContract(name, makeHarness)`; `put` writes the way production
 * writes (the work store's steps for `store`; outbox entries through `deliver` for
 * `agentcore`), and the suite reads back only through the port.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MemoryEvent } from '../../../src/domain/event.js';
import type { MemoryRecord } from '../../../src/domain/record.js';
import { memorySessionOf, type MemoryPort } from '../../../src/memory/port.js';
import { Fixtures } from './fixtures.js';

export interface MemoryHarness {
  memory: MemoryPort;
  /** Stores events and records for a tenant as production does. Putting the same items again must store each once. */
  put(tenantId: string, input: { events?: MemoryEvent[]; records?: MemoryRecord[] }): Promise<void>;
  /** Waits until what was put is readable (an index refresh, say). */
  settle?(): Promise<void>;
  close(): Promise<void>;
}

const A = 'acme';
const B = 'bravo';

/** The fields a record keeps through any adapter. */
const recordShape = (r: MemoryRecord) => ({
  id: r.id,
  tenantId: r.tenantId,
  namespace: r.namespace,
  strategy: r.strategy,
  text: r.text,
  status: r.status,
  supersededBy: r.supersededBy,
  topicKey: r.topicKey,
  sourceEventIds: r.sourceEventIds,
  sessionId: r.sessionId,
  investigationId: r.investigationId,
  actorId: r.actorId,
  createdAt: r.createdAt,
});

/** The fields an event keeps through any adapter (seq is the store's to assign). */
const eventShape = (e: MemoryEvent) => ({
  id: e.id,
  tenantId: e.tenantId,
  sessionId: e.sessionId,
  investigationId: e.investigationId,
  actorId: e.actorId,
  role: e.role,
  kind: e.kind,
  text: e.text,
  data: e.data,
  createdAt: e.createdAt,
});

/** A read that must not reach another tenant: refused outright, or nothing of A's comes back. */
async function nothingOf<T>(read: Promise<T>, leaked: (value: T) => boolean): Promise<void> {
  let value: T;
  try {
    value = await read;
  } catch (err) {
    expect((err as { code?: string }).code).toBe('invalid_input');
    return;
  }
  expect(leaked(value)).toBe(false);
}

export function memoryContract(name: string, makeHarness: () => Promise<MemoryHarness>): void {
  describe(`memory contract: ${name}`, () => {
    let h: MemoryHarness;
    let f: Fixtures;
    const put = async (tenantId: string, input: { events?: MemoryEvent[]; records?: MemoryRecord[] }) => {
      await h.put(tenantId, input);
      await h.settle?.();
    };

    beforeEach(async () => {
      h = await makeHarness();
      f = new Fixtures();
    });
    afterEach(async () => {
      await h.close();
    });

    describe('records', () => {
      it('returns a stored record by id with its fields, and null for an unknown id', async () => {
        const inv = f.investigationId();
        const src = [f.event(A).id, f.event(A).id];
        const r = f.record(A, { namespace: `investigations/${inv}/facts`, investigationId: inv, actorId: 'alice', sourceEventIds: src, topicKey: 'revenue-growth', text: 'TechCorp revenue grew 12% in 2025.' });
        await put(A, { records: [r] });
        const got = await h.memory.tenant(A).getRecord(r.id);
        expect(got && recordShape(got)).toEqual(recordShape(r));
        expect(await h.memory.tenant(A).getRecord(f.ids('rec'))).toBeNull();
      });

      it('lists the records under a namespace prefix segment-wise, newest first', async () => {
        const al = f.record(A, { namespace: 'actors/al/preferences' });
        const alice1 = f.record(A, { namespace: 'actors/alice/preferences' });
        const alice2 = f.record(A, { namespace: 'actors/alice/facts' });
        await put(A, { records: [al, alice1, alice2] });
        const page = await h.memory.tenant(A).listRecords({ namespacePrefix: 'actors/al', limit: 10 });
        expect(page.items.map((r) => r.id)).toEqual([al.id]);
        const alice = await h.memory.tenant(A).listRecords({ namespacePrefix: 'actors/alice', limit: 10 });
        expect(alice.items.map((r) => r.id)).toEqual([alice2.id, alice1.id]);
        expect(alice.total).toBe(2);
        const exact = await h.memory.tenant(A).listRecords({ namespacePrefix: 'actors/alice/facts', limit: 10 });
        expect(exact.items.map((r) => r.id)).toEqual([alice2.id]);
      });

      it('filters a list by status', async () => {
        const ns = `investigations/${f.investigationId()}/facts`;
        const newer = f.record(A, { namespace: ns, text: 'Headcount is 450.' });
        const older = f.record(A, { namespace: ns, text: 'Headcount is 400.', status: 'superseded', supersededBy: newer.id });
        await put(A, { records: [newer, older] });
        const t = h.memory.tenant(A);
        expect((await t.listRecords({ namespacePrefix: ns, status: 'active', limit: 10 })).items.map((r) => r.id)).toEqual([newer.id]);
        expect((await t.listRecords({ namespacePrefix: ns, status: 'superseded', limit: 10 })).items.map((r) => r.id)).toEqual([older.id]);
        expect((await t.listRecords({ namespacePrefix: ns, limit: 10 })).total).toBe(2);
      });

      it('pages a list with cursors: every record once, newest first, with the total', async () => {
        const ns = `investigations/${f.investigationId()}/facts`;
        const records = Array.from({ length: 5 }, (_, i) => f.record(A, { namespace: ns, text: `Fact number ${i + 1}.` }));
        await put(A, { records });
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page = await h.memory.tenant(A).listRecords({ namespacePrefix: ns, limit: 2, cursor });
          expect(page.total).toBe(5);
          seen.push(...page.items.map((r) => r.id));
          cursor = page.nextCursor;
          pages += 1;
        } while (cursor && pages < 10);
        expect(pages).toBe(3);
        expect(seen).toEqual(records.map((r) => r.id).reverse());
      });

      it('caps the counted total at totalCap', async () => {
        const ns = `investigations/${f.investigationId()}/facts`;
        await put(A, { records: Array.from({ length: 4 }, () => f.record(A, { namespace: ns })) });
        const page = await h.memory.tenant(A).listRecords({ namespacePrefix: ns, limit: 1, totalCap: 2 });
        expect(page.items).toHaveLength(1);
        expect(page.total).toBe(2);
        expect(page.totalCapped).toBe(true);
      });

      it('searches ranked within a prefix, at most topK, superseded only when asked', async () => {
        const inv = f.investigationId();
        const ns = `investigations/${inv}/facts`;
        const both = f.record(A, { namespace: ns, text: 'TechCorp revenue growth was strong in 2025.' });
        const one = f.record(A, { namespace: ns, text: 'Revenue figures arrived late.' });
        const old = f.record(A, { namespace: ns, text: 'TechCorp revenue growth was weak in 2024.', status: 'superseded', supersededBy: both.id });
        const elsewhere = f.record(A, { namespace: `investigations/${f.investigationId()}/facts`, text: 'TechCorp revenue growth elsewhere.' });
        const unrelated = f.record(A, { namespace: ns, text: 'The office moved to Berlin.' });
        await put(A, { records: [both, one, old, elsewhere, unrelated] });
        const t = h.memory.tenant(A);

        const hits = await t.searchRecords({ query: 'TechCorp revenue growth', namespacePrefix: `investigations/${inv}`, topK: 10 });
        const ids = hits.map((x) => x.record.id);
        expect(ids[0]).toBe(both.id);
        expect(ids).toContain(one.id);
        expect(ids).not.toContain(old.id);
        expect(ids).not.toContain(elsewhere.id);
        expect(ids).not.toContain(unrelated.id);
        for (let i = 1; i < hits.length; i++) expect(hits[i - 1]!.score).toBeGreaterThanOrEqual(hits[i]!.score);

        const top1 = await t.searchRecords({ query: 'TechCorp revenue growth', topK: 1 });
        expect(top1).toHaveLength(1);

        const withOld = await t.searchRecords({ query: 'TechCorp revenue growth', namespacePrefix: ns, includeSuperseded: true, topK: 10 });
        expect(withOld.map((x) => x.record.id)).toContain(old.id);

        const tenantWide = await t.searchRecords({ query: 'TechCorp revenue growth', topK: 10 });
        expect(tenantWide.map((x) => x.record.id)).toContain(elsewhere.id);
      });

      it('deletes a record once; a second delete and a read find nothing', async () => {
        const r = f.record(A);
        const keep = f.record(A);
        await put(A, { records: [r, keep] });
        const t = h.memory.tenant(A);
        expect(await t.deleteRecord(r.id)).toBe(true);
        expect(await t.getRecord(r.id)).toBeNull();
        expect(await t.deleteRecord(r.id)).toBe(false);
        expect((await t.getRecord(keep.id))?.id).toBe(keep.id);
      });
    });

    describe('events', () => {
      it('lists a memory session oldest first, paged, with the total', async () => {
        const inv = f.investigationId();
        const ses = f.sessionId();
        const events = Array.from({ length: 5 }, (_, i) => f.event(A, { sessionId: ses, investigationId: inv, text: `step ${i + 1}` }));
        await put(A, { events });
        const seen: MemoryEvent[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page = await h.memory.tenant(A).listEvents({ sessionId: inv, limit: 2, cursor });
          expect(page.total).toBe(5);
          seen.push(...page.items);
          cursor = page.nextCursor;
          pages += 1;
        } while (cursor && pages < 10);
        expect(pages).toBe(3);
        expect(seen.map(eventShape)).toEqual(events.map(eventShape));
      });

      it('keeps an event without an investigation in its runtime session', async () => {
        const ses = f.sessionId();
        const e = f.event(A, { sessionId: ses, investigationId: null, role: 'assistant', kind: 'finding', text: 'Found the 2025 annual report.', data: { source: 'docs/annual-2025.pdf', page: 4 } });
        await put(A, { events: [e] });
        expect(memorySessionOf(e)).toBe(ses);
        const page = await h.memory.tenant(A).listEvents({ sessionId: ses, limit: 10 });
        expect(page.items.map(eventShape)).toEqual([eventShape(e)]);
      });

      it('returns one event by id with its data, and null for an unknown id', async () => {
        const inv = f.investigationId();
        const e = f.event(A, { investigationId: inv, role: 'tool', kind: 'signal', text: 'bank_data arrived', data: { rows: [1, 2, 3], currency: 'EUR', nested: { ok: true } } });
        await put(A, { events: [e] });
        const got = await h.memory.tenant(A).getEvent(inv, e.id);
        expect(got && eventShape(got)).toEqual(eventShape(e));
        expect(await h.memory.tenant(A).getEvent(inv, f.ids('evt'))).toBeNull();
      });

      it('deletes an event once; it is gone from reads and lists', async () => {
        const inv = f.investigationId();
        const ses = f.sessionId();
        const [e1, e2] = [f.event(A, { sessionId: ses, investigationId: inv }), f.event(A, { sessionId: ses, investigationId: inv })];
        await put(A, { events: [e1!, e2!] });
        const t = h.memory.tenant(A);
        expect(await t.deleteEvent(inv, e1!.id)).toBe(true);
        expect(await t.getEvent(inv, e1!.id)).toBeNull();
        expect(await t.deleteEvent(inv, e1!.id)).toBe(false);
        expect((await t.listEvents({ sessionId: inv, limit: 10 })).items.map((e) => e.id)).toEqual([e2!.id]);
      });
    });

    describe('tenant isolation', () => {
      let inv: string;
      let event: MemoryEvent;
      let record: MemoryRecord;
      beforeEach(async () => {
        inv = f.investigationId();
        event = f.event(A, { investigationId: inv, text: 'Confidential: acme merger terms' });
        record = f.record(A, { namespace: `investigations/${inv}/facts`, investigationId: inv, text: 'Confidential acme merger terms agreed.' });
        await put(A, { events: [event], records: [record] });
        await put(B, { records: [f.record(B, { namespace: `investigations/${f.investigationId()}/facts`, text: 'Bravo owns a merger desk too.' })] });
      });

      it("never returns another tenant's record by id, list or search", async () => {
        const b = h.memory.tenant(B);
        expect(await b.getRecord(record.id)).toBeNull();
        const leaks = (items: MemoryRecord[]) => items.some((r) => r.id === record.id || r.tenantId !== B);
        expect(leaks((await b.listRecords({ namespacePrefix: 'investigations', limit: 100 })).items)).toBe(false);
        expect(leaks((await b.listRecords({ namespacePrefix: `investigations/${inv}`, limit: 100 })).items)).toBe(false);
        expect(leaks((await b.searchRecords({ query: 'acme merger terms', topK: 50 })).map((x) => x.record))).toBe(false);
        expect(leaks((await b.searchRecords({ query: 'acme merger terms', namespacePrefix: `investigations/${inv}`, topK: 50, includeSuperseded: true })).map((x) => x.record))).toBe(false);
      });

      it("never returns another tenant's events", async () => {
        const b = h.memory.tenant(B);
        expect(await b.getEvent(inv, event.id)).toBeNull();
        expect((await b.listEvents({ sessionId: inv, limit: 100 })).items).toEqual([]);
      });

      it("cannot delete another tenant's record or event", async () => {
        const b = h.memory.tenant(B);
        expect(await b.deleteRecord(record.id)).toBe(false);
        expect(await b.deleteEvent(inv, event.id)).toBe(false);
        expect((await h.memory.tenant(A).getRecord(record.id))?.id).toBe(record.id);
        expect((await h.memory.tenant(A).getEvent(inv, event.id))?.id).toBe(event.id);
      });

      it("cannot climb to another tenant's namespace with '..' or a forged root", async () => {
        const b = h.memory.tenant(B);
        const leaks = (items: MemoryRecord[]) => items.some((r) => r.id === record.id || r.tenantId !== B);
        for (const prefix of [`investigations/../../${A}/investigations`, `../${A}/investigations/${inv}`, `tenants/${A}/investigations`, `/tenants/${A}/investigations/${inv}`, `tenants/${A}`]) {
          await nothingOf(b.listRecords({ namespacePrefix: prefix, limit: 100 }), (p) => leaks(p.items));
          await nothingOf(b.searchRecords({ query: 'acme merger terms', namespacePrefix: prefix, topK: 50 }), (hits) => leaks(hits.map((x) => x.record)));
        }
      });
    });

    describe('idempotency', () => {
      it('stores an event and a record put twice once', async () => {
        const inv = f.investigationId();
        const e = f.event(A, { investigationId: inv, text: 'delivered twice' });
        const r = f.record(A, { namespace: `investigations/${inv}/facts`, text: 'Stored once despite a retry.' });
        await put(A, { events: [e], records: [r] });
        await put(A, { events: [e], records: [r] });
        const t = h.memory.tenant(A);
        expect((await t.listEvents({ sessionId: inv, limit: 10 })).items.map((x) => x.id)).toEqual([e.id]);
        const page = await t.listRecords({ namespacePrefix: `investigations/${inv}`, limit: 10 });
        expect(page.items.map((x) => x.id)).toEqual([r.id]);
        expect(page.total).toBe(1);
      });
    });
  });
}
