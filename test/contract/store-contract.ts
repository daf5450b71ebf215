/**
 * The StorePort contract, in the style of `@keyv/test-suite`: one function that every
 * adapter runs against itself. Time is explicit (`now` numbers from T0), ids come from
 * the domain's generator, entities from ./fixtures.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, IllegalTransitionError, InvalidInputError, NotFoundError, StorageUnavailableError } from '../../src/domain/errors.js';
import { sessionDueAt } from '../../src/domain/session.js';
import type { StorePort, TenantStore } from '../../src/store/port.js';
import { runBoundsContract } from './bounds-contract.js';
import { DAY, fixtures, HOUR, MINUTE, openInvestigation, T0, type Fixtures } from './fixtures.js';
import { runLogContract } from './log-contract.js';

export function runStoreContract(name: string, makeStore: () => Promise<StorePort>, cleanup?: (s: StorePort) => Promise<void>): void {
  describe(`${name} store contract`, () => {
    let store: StorePort;
    let f: Fixtures;
    let g: Fixtures;
    let a: TenantStore;
    let b: TenantStore;

    beforeEach(async () => {
      store = await makeStore();
      f = fixtures('acme');
      g = fixtures('globex');
      a = store.tenant('acme');
      b = store.tenant('globex');
    });
    afterEach(async () => {
      if (cleanup) await cleanup(store);
      else await store.close();
    });

    describe('tenants', () => {
      it('rejects malformed tenant ids', () => {
        for (const bad of ['', 'a:b', '../x', 'a b', 'a/b', '*']) {
          expect(() => store.tenant(bad), bad).toThrow(InvalidInputError);
        }
      });

      it("refuses to write another tenant's entity through a tenant", async () => {
        await expect(a.createSession(g.session())).rejects.toBeInstanceOf(InvalidInputError);
        const { inv } = await openInvestigation(a, f);
        await expect(a.appendEvents([g.event({ investigationId: inv.id })])).rejects.toBeInstanceOf(InvalidInputError);
        expect((await a.listEvents({ investigationId: inv.id, limit: 10 })).total).toBe(1);
      });

      describe("when tenant B has data and tenant A knows B's ids", () => {
        let B: Awaited<ReturnType<typeof seedTenant>>;
        beforeEach(async () => {
          B = await seedTenant(store, b, g);
        });

        it('A can read none of it', async () => {
          expect(await a.getInvestigation(B.inv.id)).toBeNull();
          expect((await a.listInvestigations({ limit: 10 })).total).toBe(0);
          expect(await a.getSession(B.session.id)).toBeNull();
          expect(await a.listSessions({ investigationId: B.inv.id })).toEqual([]);
          expect(await a.listSessions({})).toEqual([]);
          expect(await a.getTask(B.task.id)).toBeNull();
          expect(await a.listTasks(B.inv.id)).toEqual([]);
          expect(await a.getWait(B.wait.id)).toBeNull();
          expect(await a.listWaits(B.inv.id)).toEqual([]);
          expect(await a.listSignals(B.inv.id)).toEqual([]);
          expect((await a.listEvents({ investigationId: B.inv.id, limit: 10 })).total).toBe(0);
          expect((await a.listEvents({ sessionId: B.session.id, limit: 10 })).total).toBe(0);
          expect((await a.listEvents({ limit: 10 })).total).toBe(0);
          expect(await a.getEvents(B.events.map((e) => e.id))).toEqual([]);
          expect(await a.getRecord(B.record.id)).toBeNull();
          expect((await a.listRecords({ namespacePrefix: '', limit: 10 })).total).toBe(0);
          expect(await a.searchRecords({ query: 'quarterly revenue', topK: 10 })).toEqual([]);
          expect(await a.searchRecords({ query: 'quarterly revenue', namespacePrefix: B.record.namespace, topK: 10 })).toEqual([]);
          expect(await a.findRecordByTextKey(B.record.namespace, B.record.textKey)).toBeNull();
          expect(await a.findRecordByTopicKey(B.record.namespace, 'revenue')).toBeNull();
          expect(await a.getCheckpoint(B.session.id)).toBeNull();
          expect(await a.getReport(B.report.id)).toBeNull();
          expect(await a.listReports(B.inv.id)).toEqual([]);
          expect((await a.listInbox({ limit: 10 })).total).toBe(0);
        });

        it('A can change none of it', async () => {
          const now = T0 + HOUR;
          await expect(a.touchInvestigation(B.inv.id, now)).rejects.toBeInstanceOf(NotFoundError);
          await expect(
            a.closeInvestigation({ id: B.inv.id, expectedVersion: 1, now, outcome: 'cancelled', summary: null, terminationReason: 'cancelled', events: [] }),
          ).rejects.toBeInstanceOf(NotFoundError);
          await expect(a.beginWork(B.session.id, now)).rejects.toBeInstanceOf(NotFoundError);
          await expect(a.endWork(B.session.id, now)).rejects.toBeInstanceOf(NotFoundError);
          await expect(a.heartbeat(B.session.id, now)).rejects.toBeInstanceOf(NotFoundError);
          await expect(a.terminateSession(B.session.id, 'cancelled', now)).rejects.toBeInstanceOf(NotFoundError);
          await expect(a.createTask({ task: f.task(B.inv.id), wait: null, events: [] })).rejects.toBeInstanceOf(NotFoundError);
          await expect(a.createSession(f.session({ investigationId: B.inv.id }))).rejects.toBeInstanceOf(NotFoundError);
          await expect(a.cancelTask({ taskId: B.task.id, now, events: [] })).rejects.toBeInstanceOf(NotFoundError);
          await expect(a.applyTaskOutcome({ taskId: B.task.id, leaseOwner: 'w1', now, status: 'completed' })).rejects.toBeInstanceOf(NotFoundError);
          expect(await a.extendTaskLease(B.task.id, 'w1', now + HOUR)).toBe(false);
          await expect(a.expireWait({ waitId: B.wait.id, now: T0 + 4 * DAY, taskStatus: 'timed_out', events: [] })).rejects.toBeInstanceOf(NotFoundError);
          await expect(a.deliverSignal({ signal: f.signal(B.inv.id), events: [] })).rejects.toBeInstanceOf(NotFoundError);
          await expect(a.appendEvents([f.event({ sessionId: B.session.id })])).rejects.toBeInstanceOf(NotFoundError);
          await expect(a.appendEvents([f.event({ investigationId: B.inv.id })])).rejects.toBeInstanceOf(NotFoundError);
          expect(await a.deleteRecord(B.record.id)).toBe(false);
          await expect(a.commitExtraction({ sessionId: B.session.id, expectedThroughSeq: 0, throughSeq: 99, now, dueAt: null, writes: [] })).rejects.toBeInstanceOf(NotFoundError);
          await expect(a.failExtraction({ sessionId: B.session.id, now, error: 'x', retryAt: now })).rejects.toBeInstanceOf(NotFoundError);
          await expect(a.scheduleExtraction(B.session.id, now)).rejects.toBeInstanceOf(NotFoundError);
          const own = f.session();
          await a.createSession(own);
          await expect(a.commitExtraction({ sessionId: own.id, expectedThroughSeq: 0, throughSeq: 1, now, dueAt: null, writes: [{ op: 'supersede', id: B.record.id, by: 'x', now }] })).rejects.toBeInstanceOf(NotFoundError);

          // B is untouched.
          expect(await b.getInvestigation(B.inv.id)).toEqual(B.inv);
          expect((await b.getSession(B.session.id))?.version).toBe(B.session.version);
          expect((await b.getTask(B.task.id))?.status).toBe('waiting');
          expect((await b.getWait(B.wait.id))?.status).toBe('open');
          expect(await b.getRecord(B.record.id)).toEqual(B.record);
          expect((await b.listEvents({ investigationId: B.inv.id, limit: 50 })).total).toBe(B.events.length);
          expect(await b.getCheckpoint(B.session.id)).toMatchObject({ throughSeq: 0, lastError: null });
          expect(await b.getReport(B.report.id)).toEqual(B.report);
          expect((await b.listInbox({ limit: 10 })).items).toEqual([B.inbox]);
        });

        it('the same ids may exist independently in A', async () => {
          const inv = f.investigation({ id: B.inv.id, subject: 'Other subject' });
          const session = f.session({ id: B.session.id, investigationId: inv.id });
          await a.createInvestigation({ investigation: inv, session, tasks: [], events: [] });
          expect((await a.getInvestigation(B.inv.id))?.subject).toBe('Other subject');
          expect((await b.getInvestigation(B.inv.id))?.subject).toBe(B.inv.subject);
          await a.terminateSession(session.id, 'completed', T0 + MINUTE);
          expect((await b.getSession(B.session.id))?.status).not.toBe('terminated');
        });

        it("A's searches rank only A's records, even with the same words", async () => {
          const s = f.session();
          await a.createSession(s);
          const mine = f.record(B.record.namespace, 'Quarterly revenue fell sharply');
          await a.commitExtraction({ sessionId: s.id, expectedThroughSeq: 0, throughSeq: 1, now: T0, dueAt: null, writes: [{ op: 'create', record: mine }] });
          expect((await a.searchRecords({ query: 'quarterly revenue fell', topK: 10 })).map((r) => r.record.id)).toEqual([mine.id]);
          expect((await a.searchRecords({ query: 'quarterly revenue fell', namespacePrefix: 'investigations', topK: 10, includeSuperseded: true })).map((r) => r.record.id)).toEqual([mine.id]);
          expect((await b.searchRecords({ query: 'quarterly revenue fell', topK: 10 })).map((r) => r.record.id)).toEqual([B.record.id]);
          expect((await a.listRecords({ namespacePrefix: B.record.namespace, limit: 10 })).items.map((r) => r.id)).toEqual([mine.id]);
        });

        it('a signal to A never resolves B waits', async () => {
          const { inv } = await openInvestigation(a, f);
          const r = await a.deliverSignal({ signal: f.signal(inv.id), events: [] });
          expect(r.resolvedWaits).toEqual([]);
          expect((await b.getWait(B.wait.id))?.status).toBe('open');
        });
      });
    });

    describe('investigations', () => {
      it('createInvestigation stores the investigation, its session, tasks, waits and events atomically', async () => {
        const invId = f.ids('inv');
        const t1 = f.task(invId);
        const { task: t2, wait } = f.waitingTask(invId);
        const { inv, session, events } = await openInvestigation(a, f, { investigation: { id: invId }, tasks: [{ task: t1, wait: null }, { task: t2, wait }], events: 2 });
        expect(await a.getInvestigation(inv.id)).toEqual(inv);
        expect(await a.getSession(session.id)).toEqual({ ...session, dueAt: sessionDueAt(session) });
        expect((await a.listTasks(inv.id)).map((t) => t.id).sort()).toEqual([t1.id, t2.id].sort());
        expect(await a.listWaits(inv.id)).toEqual([wait]);
        expect(events).toHaveLength(2);
        expect(events[1]!.seq).toBeGreaterThan(events[0]!.seq);
        expect(await a.getInvestigation(f.ids('inv'))).toBeNull();
      });

      it('a failing createInvestigation writes nothing', async () => {
        const existing = await openInvestigation(a, f);
        const inv = f.investigation();
        const session = f.session({ id: existing.session.id, investigationId: inv.id }); // duplicate session id
        await expect(a.createInvestigation({ investigation: inv, session, tasks: [], events: [f.event({ investigationId: inv.id })] })).rejects.toBeInstanceOf(ConflictError);
        expect(await a.getInvestigation(inv.id)).toBeNull();
        expect((await a.listEvents({ limit: 10 })).total).toBe(1);
      });

      it('lists newest first, filtered by status and query, paged by cursor with a total', async () => {
        const made = [];
        for (let i = 0; i < 7; i++) {
          const { inv } = await openInvestigation(a, f, { investigation: { createdAt: T0 + i * MINUTE, subject: i % 2 ? `Globex ${i}` : `TechCorp ${i}`, objective: i === 4 ? 'Find the OFFSHORE accounts' : 'Review filings' } });
          made.push(inv);
        }
        await a.closeInvestigation({ id: made[0]!.id, expectedVersion: 1, now: T0 + HOUR, outcome: 'completed', summary: null, terminationReason: 'completed', events: [] });

        const all = await a.listInvestigations({ limit: 100 });
        expect(all.total).toBe(7);
        expect(all.items.map((i) => i.id)).toEqual(made.map((i) => i.id).reverse());
        expect(all.nextCursor).toBeNull();

        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page: Awaited<ReturnType<TenantStore['listInvestigations']>> = await a.listInvestigations({ limit: 3, cursor });
          expect(page.total).toBe(7);
          expect(page.items.length).toBeLessThanOrEqual(3);
          seen.push(...page.items.map((i) => i.id));
          cursor = page.nextCursor;
          pages++;
        } while (cursor);
        expect(pages).toBe(3);
        expect(seen).toEqual(all.items.map((i) => i.id));

        const open = await a.listInvestigations({ status: 'open', limit: 100 });
        expect(open.total).toBe(6);
        expect(open.items.every((i) => i.status === 'open')).toBe(true);
        const closed = await a.listInvestigations({ status: 'closed', limit: 100 });
        expect(closed.items.map((i) => i.id)).toEqual([made[0]!.id]);

        const globex = await a.listInvestigations({ query: 'gLoBeX', limit: 2 });
        expect(globex.total).toBe(3);
        expect(globex.items).toHaveLength(2);
        const rest = await a.listInvestigations({ query: 'gLoBeX', limit: 2, cursor: globex.nextCursor });
        expect(rest.items).toHaveLength(1);
        expect(rest.nextCursor).toBeNull();
        expect((await a.listInvestigations({ query: 'offshore', limit: 10 })).items.map((i) => i.id)).toEqual([made[4]!.id]);
        expect((await a.listInvestigations({ query: 'nothing like this', limit: 10 })).total).toBe(0);
      });

      it('rejects a cursor it did not make', async () => {
        await openInvestigation(a, f);
        await expect(a.listInvestigations({ limit: 1, cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidInputError);
        const page = await a.listInvestigations({ limit: 1 });
        await expect(a.listEvents({ limit: 1, cursor: page.nextCursor ?? 'x' })).rejects.toBeInstanceOf(InvalidInputError);
        await expect(a.listInbox({ limit: 1, cursor: encodeURIComponent('["inv",1,"x"]') })).rejects.toBeInstanceOf(InvalidInputError);
      });

      it('touchInvestigation bumps updatedAt and version', async () => {
        const { inv } = await openInvestigation(a, f);
        await a.touchInvestigation(inv.id, T0 + MINUTE);
        expect(await a.getInvestigation(inv.id)).toMatchObject({ updatedAt: T0 + MINUTE, version: 2 });
        await expect(a.touchInvestigation(f.ids('inv'), T0)).rejects.toBeInstanceOf(NotFoundError);
      });

      describe('closeInvestigation', () => {
        it('cancels open tasks and waits, terminates its sessions and appends the events, in one step', async () => {
          const invId = f.ids('inv');
          const pending = f.task(invId);
          const { task: waiting, wait } = f.waitingTask(invId);
          const done = f.task(invId, { status: 'completed', runAt: null, finishedAt: T0 });
          const { inv, session } = await openInvestigation(a, f, { investigation: { id: invId }, tasks: [{ task: pending, wait: null }, { task: waiting, wait }, { task: done, wait: null }] });
          const worker = f.session({ investigationId: inv.id, kind: 'worker', role: 'retrieval' });
          await a.createSession(worker);
          const other = await openInvestigation(a, f);
          const now = T0 + HOUR;

          const r = await a.closeInvestigation({
            id: inv.id,
            expectedVersion: 1,
            now,
            outcome: 'completed',
            summary: 'Done.',
            terminationReason: 'completed',
            events: [f.event({ investigationId: inv.id, kind: 'status', text: 'closed' })],
          });
          expect(r.investigation).toMatchObject({ status: 'closed', outcome: 'completed', summary: 'Done.', closedAt: now, updatedAt: now, version: 2 });
          expect(r.cancelledTasks.map((t) => t.id).sort()).toEqual([pending.id, waiting.id].sort());
          expect(r.cancelledTasks.every((t) => t.status === 'cancelled' && t.finishedAt === now)).toBe(true);
          expect(r.terminatedSessions.map((s) => s.id).sort()).toEqual([session.id, worker.id].sort());
          expect(r.terminatedSessions.every((s) => s.status === 'terminated' && s.terminationReason === 'completed' && s.terminatedAt === now && s.dueAt === null)).toBe(true);

          expect(await a.getInvestigation(inv.id)).toEqual(r.investigation);
          expect((await a.getTask(done.id))?.status).toBe('completed');
          expect((await a.getTask(pending.id))?.status).toBe('cancelled');
          expect((await a.getWait(wait.id))?.status).toBe('cancelled');
          expect((await a.getSession(worker.id))?.status).toBe('terminated');
          expect((await a.getSession(other.session.id))?.status).toBe('active');
          const timeline = await a.listEvents({ investigationId: inv.id, limit: 10, order: 'desc' });
          expect(timeline.items[0]).toMatchObject({ kind: 'status', text: 'closed' });
          expect(await store.claimTask(now, 'w1', MINUTE, ['retrieval', 'compliance'])).toBeNull();
        });

        it('closing twice is an illegal transition', async () => {
          const { inv } = await openInvestigation(a, f);
          const close = (v: number) => a.closeInvestigation({ id: inv.id, expectedVersion: v, now: T0 + HOUR, outcome: 'cancelled', summary: null, terminationReason: 'cancelled', events: [] });
          await close(1);
          await expect(close(2)).rejects.toBeInstanceOf(IllegalTransitionError);
          await expect(close(1)).rejects.toBeInstanceOf(IllegalTransitionError);
        });

        it('a stale version is a conflict and changes nothing', async () => {
          const invId = f.ids('inv');
          const task = f.task(invId);
          const { inv, session } = await openInvestigation(a, f, { investigation: { id: invId }, tasks: [{ task, wait: null }] });
          await a.touchInvestigation(inv.id, T0 + MINUTE);
          await expect(
            a.closeInvestigation({ id: inv.id, expectedVersion: 1, now: T0 + HOUR, outcome: 'cancelled', summary: null, terminationReason: 'cancelled', events: [f.event({ investigationId: inv.id })] }),
          ).rejects.toBeInstanceOf(ConflictError);
          expect((await a.getInvestigation(inv.id))?.status).toBe('open');
          expect((await a.getTask(task.id))?.status).toBe('pending');
          expect((await a.getSession(session.id))?.status).toBe('active');
          expect((await a.listEvents({ investigationId: inv.id, limit: 10 })).total).toBe(1);
        });

        it('an absent investigation is not found', async () => {
          await expect(
            a.closeInvestigation({ id: f.ids('inv'), expectedVersion: 1, now: T0, outcome: 'cancelled', summary: null, terminationReason: 'cancelled', events: [] }),
          ).rejects.toBeInstanceOf(NotFoundError);
        });
      });
    });

    describe('investigation deadlines', () => {
      it('dueInvestigations finds open ones past their deadline, earliest first, bounded, across tenants; markOverdue flags once', async () => {
        const late = await openInvestigation(a, f, { investigation: { deadline: T0 + 2 * HOUR } });
        const later = await openInvestigation(b, g, { investigation: { deadline: T0 + 3 * HOUR } });
        await openInvestigation(a, f, { investigation: { deadline: T0 + 10 * HOUR } });
        await openInvestigation(a, f);
        const closed = await openInvestigation(a, f, { investigation: { deadline: T0 + HOUR } });
        await a.closeInvestigation({ id: closed.inv.id, expectedVersion: closed.inv.version, now: T0 + 1, outcome: 'cancelled', summary: null, terminationReason: 'cancelled', events: [] });
        expect((await store.dueInvestigations(T0 + 4 * HOUR, 10)).map((i) => i.id)).toEqual([late.inv.id, later.inv.id]);
        expect((await store.dueInvestigations(T0 + 4 * HOUR, 1)).map((i) => i.id)).toEqual([late.inv.id]);

        const item = { id: f.ids('inb'), tenantId: f.tenantId, investigationId: late.inv.id, kind: 'overdue' as const, title: 'Overdue', detail: 'd', taskId: null, reportId: null, createdAt: T0 + 4 * HOUR };
        const flagged = await a.markOverdue({ id: late.inv.id, now: T0 + 4 * HOUR, events: [f.event({ sessionId: null, investigationId: late.inv.id, text: 'overdue' })], inbox: [item] });
        expect(flagged).toMatchObject({ id: late.inv.id, status: 'open', overdueAt: T0 + 4 * HOUR });
        expect(await a.getInvestigation(late.inv.id)).toEqual(flagged);
        expect(await a.markOverdue({ id: late.inv.id, now: T0 + 5 * HOUR, events: [], inbox: [] })).toBeNull();
        expect(await a.markOverdue({ id: closed.inv.id, now: T0 + 5 * HOUR, events: [], inbox: [] })).toBeNull();
        await expect(b.markOverdue({ id: late.inv.id, now: T0 + 5 * HOUR, events: [], inbox: [] })).rejects.toBeInstanceOf(NotFoundError);
        expect((await store.dueInvestigations(T0 + 5 * HOUR, 10)).map((i) => i.id)).toEqual([later.inv.id]);
        expect((await a.listInbox({ limit: 10 })).items.map((i) => i.id)).toEqual([item.id]);
        expect((await a.listEvents({ investigationId: late.inv.id, limit: 10 })).items.map((e) => e.text)).toContain('overdue');
      });
    });

    describe('sessions', () => {
      it('createSession stores it with dueAt from the lifecycle rule; ids are unique', async () => {
        const s = f.session({ dueAt: 123 });
        await a.createSession(s);
        expect(await a.getSession(s.id)).toEqual({ ...s, dueAt: sessionDueAt(s) });
        expect((await a.getSession(s.id))?.dueAt).toBe(T0 + 15 * MINUTE);
        await expect(a.createSession(s)).rejects.toBeInstanceOf(ConflictError);
        expect(await a.getSession(f.ids('ses'))).toBeNull();
      });

      it('dueAt is the max duration when that comes first', async () => {
        const s = f.session({ maxDurationMs: 5 * MINUTE });
        await a.createSession(s);
        expect((await a.getSession(s.id))?.dueAt).toBe(T0 + 5 * MINUTE);
      });

      it('beginWork and endWork count work in flight: active while any, idle at zero', async () => {
        const s = f.session({ inflight: 0, status: 'idle' });
        await a.createSession(s);
        let cur = await a.beginWork(s.id, T0 + 1000);
        expect(cur).toMatchObject({ inflight: 1, status: 'active', lastActivityAt: T0 + 1000, version: 2 });
        expect(cur.dueAt).toBe(T0 + 1000 + 15 * MINUTE);
        cur = await a.beginWork(s.id, T0 + 2000);
        expect(cur).toMatchObject({ inflight: 2, status: 'active' });
        cur = await a.endWork(s.id, T0 + 3000);
        expect(cur).toMatchObject({ inflight: 1, status: 'active', lastActivityAt: T0 + 3000 });
        cur = await a.endWork(s.id, T0 + 4000);
        expect(cur).toMatchObject({ inflight: 0, status: 'idle', lastActivityAt: T0 + 4000, dueAt: T0 + 4000 + 15 * MINUTE });
        cur = await a.endWork(s.id, T0 + 5000);
        expect(cur).toMatchObject({ inflight: 0, status: 'idle' });
        expect(await a.getSession(s.id)).toEqual(cur);
        await expect(a.beginWork(f.ids('ses'), T0)).rejects.toBeInstanceOf(NotFoundError);
      });

      it('appendToSession appends and touches in one step: idle after, active while other work is in flight', async () => {
        const s = f.session({ inflight: 0, status: 'idle' });
        await a.createSession(s);
        const e1 = f.event({ sessionId: s.id, text: 'first' });
        const r = await a.appendToSession(s.id, [e1], T0 + 5 * MINUTE);
        expect(r.session).toMatchObject({ status: 'idle', inflight: 0, lastActivityAt: T0 + 5 * MINUTE, dueAt: T0 + 20 * MINUTE, version: 2 });
        expect(r.events.map((e) => e.text)).toEqual(['first']);
        expect(await a.getSession(s.id)).toEqual(r.session);
        expect((await a.listEvents({ sessionId: s.id, limit: 10 })).items.map((e) => e.id)).toEqual([e1.id]);
        expect((await a.getCheckpoint(s.id))?.dueAt).not.toBeNull();

        // Within 1% of the idle timeout (9 s of 15 min) an idle session is not rewritten…
        const soon = await a.appendToSession(s.id, [f.event({ sessionId: s.id, text: 'soon after' })], T0 + 5 * MINUTE + 8_999);
        expect(soon.session).toEqual(r.session);
        expect((await a.listEvents({ sessionId: s.id, limit: 10 })).total).toBe(2);
        // …past it, it is.
        const later = await a.appendToSession(s.id, [f.event({ sessionId: s.id, text: 'later' })], T0 + 5 * MINUTE + 9_000);
        expect(later.session).toMatchObject({ lastActivityAt: T0 + 5 * MINUTE + 9_000, version: 3 });

        await a.beginWork(s.id, T0 + 6 * MINUTE);
        const busy = await a.appendToSession(s.id, [f.event({ sessionId: s.id, text: 'second' })], T0 + 7 * MINUTE);
        expect(busy.session).toMatchObject({ status: 'active', inflight: 1, lastActivityAt: T0 + 7 * MINUTE });
      });

      it('appendToSession refuses a terminated session, an event of another session, and writes nothing then', async () => {
        const s = f.session();
        const other = f.session();
        await a.createSession(s);
        await a.createSession(other);
        await expect(a.appendToSession(s.id, [f.event({ sessionId: other.id })], T0 + 1)).rejects.toBeInstanceOf(InvalidInputError);
        await a.terminateSession(s.id, 'cancelled', T0 + 2);
        await expect(a.appendToSession(s.id, [f.event({ sessionId: s.id })], T0 + 3)).rejects.toBeInstanceOf(IllegalTransitionError);
        expect((await a.listEvents({ sessionId: s.id, limit: 10 })).total).toBe(0);
        await expect(b.appendToSession(other.id, [], T0 + 4)).rejects.toBeInstanceOf(NotFoundError);
      });

      it('heartbeat keeps a session alive and is a no-op once terminated', async () => {
        const s = f.session();
        await a.createSession(s);
        const hb = await a.heartbeat(s.id, T0 + 10 * MINUTE);
        expect(hb).toMatchObject({ lastActivityAt: T0 + 10 * MINUTE, dueAt: T0 + 25 * MINUTE, status: 'active' });
        const term = await a.terminateSession(s.id, 'cancelled', T0 + 11 * MINUTE);
        expect(await a.heartbeat(s.id, T0 + 12 * MINUTE)).toEqual(term);
      });

      it('terminateSession is a compare-and-set: the second call and a stale version get null', async () => {
        const s = f.session();
        await a.createSession(s);
        await a.endWork(s.id, T0 + MINUTE); // version 2
        expect(await a.terminateSession(s.id, 'idle_timeout', T0 + 20 * MINUTE, 1)).toBeNull();
        expect((await a.getSession(s.id))?.status).toBe('idle');
        const term = await a.terminateSession(s.id, 'idle_timeout', T0 + 20 * MINUTE, 2);
        expect(term).toMatchObject({ status: 'terminated', terminationReason: 'idle_timeout', terminatedAt: T0 + 20 * MINUTE, dueAt: null, inflight: 0 });
        expect(await a.terminateSession(s.id, 'max_duration', T0 + 21 * MINUTE)).toBeNull();
        expect(await a.getSession(s.id)).toEqual(term);
        await expect(a.beginWork(s.id, T0 + 22 * MINUTE)).rejects.toBeInstanceOf(IllegalTransitionError);
        expect(await a.endWork(s.id, T0 + 22 * MINUTE)).toEqual(term);
      });

      it('listSessions filters and lists newest first', async () => {
        const { inv } = await openInvestigation(a, f, { session: { startedAt: T0, lastActivityAt: T0 } });
        const w1 = f.session({ investigationId: inv.id, kind: 'worker', role: 'retrieval', actorId: 'bot', startedAt: T0 + 1000, lastActivityAt: T0 + 1000 });
        const w2 = f.session({ investigationId: inv.id, kind: 'worker', role: 'compliance', actorId: 'bot', startedAt: T0 + 2000, lastActivityAt: T0 + 2000 });
        const loose = f.session({ startedAt: T0 + 3000, lastActivityAt: T0 + 3000 });
        for (const s of [w1, w2, loose]) await a.createSession(s);
        await a.terminateSession(w1.id, 'completed', T0 + 5000);
        expect((await a.listSessions({})).map((s) => s.startedAt)).toEqual([T0 + 3000, T0 + 2000, T0 + 1000, T0]);
        expect((await a.listSessions({ investigationId: inv.id })).length).toBe(3);
        expect((await a.listSessions({ investigationId: inv.id, kind: 'worker' })).map((s) => s.id)).toEqual([w2.id, w1.id]);
        expect((await a.listSessions({ actorId: 'bot', status: 'terminated' })).map((s) => s.id)).toEqual([w1.id]);
        expect((await a.listSessions({ limit: 2 })).map((s) => s.id)).toEqual([loose.id, w2.id]);
        expect((await a.listSessions({ investigationId: inv.id, live: true })).map((s) => s.id)).not.toContain(w1.id);
        expect((await a.listSessions({ investigationId: inv.id, live: true })).length).toBe(2);
      });

      it('dueSessions returns non-terminated sessions due by now, oldest due first, bounded, across tenants', async () => {
        const s1 = f.session({ lastActivityAt: T0 + 2 * MINUTE });
        const s2 = g.session({ lastActivityAt: T0 });
        const s3 = f.session({ lastActivityAt: T0 + MINUTE });
        const gone = f.session({ lastActivityAt: T0 - HOUR });
        const later = f.session({ lastActivityAt: T0 + HOUR });
        for (const s of [s1, s3, gone, later]) await a.createSession(s);
        await b.createSession(s2);
        await a.terminateSession(gone.id, 'cancelled', T0);
        const now = T0 + 20 * MINUTE;
        expect((await store.dueSessions(now, 10)).map((s) => s.id)).toEqual([s2.id, s3.id, s1.id]);
        expect((await store.dueSessions(now, 2)).map((s) => s.id)).toEqual([s2.id, s3.id]);
        expect((await store.dueSessions(now, 10))[0]!.tenantId).toBe('globex');
        expect(await store.dueSessions(T0, 10)).toEqual([]);
      });
    });

    describe('tasks, waits and signals', () => {
      it('createTask stores a runnable task; pending without runAt becomes runnable from creation', async () => {
        const { inv } = await openInvestigation(a, f);
        const r = await a.createTask({ task: f.task(inv.id, { runAt: null, createdAt: T0 + 5 }), wait: null, events: [f.event({ investigationId: inv.id })] });
        expect(r.task).toMatchObject({ status: 'pending', runAt: T0 + 5 });
        expect(r.wait).toBeNull();
        expect(r.resolvedBy).toBeNull();
        expect(await a.getTask(r.task.id)).toEqual(r.task);
        expect((await a.listEvents({ investigationId: inv.id, limit: 10 })).total).toBe(2);
      });

      it('createTask with a wait leaves it waiting while no signal has arrived', async () => {
        const { inv } = await openInvestigation(a, f);
        const { task, wait } = f.waitingTask(inv.id);
        const r = await a.createTask({ task, wait, events: [] });
        expect(r.task.status).toBe('waiting');
        expect(r.wait).toEqual(wait);
        expect(await a.getWait(wait.id)).toEqual(wait);
        expect(await a.listWaits(inv.id)).toEqual([wait]);
      });

      it('createTask resolves its wait at once when the signal already arrived', async () => {
        const { inv } = await openInvestigation(a, f);
        const sig = f.signal(inv.id, { receivedAt: T0 + MINUTE });
        await a.deliverSignal({ signal: sig, events: [] });
        const { task, wait } = f.waitingTask(inv.id, 'bank_data', { task: { createdAt: T0 + HOUR }, wait: { createdAt: T0 + HOUR } });
        const r = await a.createTask({ task, wait, events: [] });
        expect(r.resolvedBy).toEqual(sig);
        expect(r.wait).toMatchObject({ status: 'resolved', signalId: sig.id, resolvedAt: T0 + HOUR });
        expect(r.task).toMatchObject({ status: 'pending', wakeReason: 'signal' });
        expect(await a.getTask(task.id)).toEqual(r.task);
        expect(await a.getWait(wait.id)).toEqual(r.wait);
        const claimed = await store.claimTask(T0 + HOUR, 'w1', MINUTE, ['compliance']);
        expect(claimed?.id).toBe(task.id);
      });

      it('createTask refuses a closed or absent investigation', async () => {
        const { inv } = await openInvestigation(a, f);
        await a.closeInvestigation({ id: inv.id, expectedVersion: 1, now: T0 + 1, outcome: 'completed', summary: null, terminationReason: 'completed', events: [] });
        await expect(a.createTask({ task: f.task(inv.id), wait: null, events: [] })).rejects.toBeInstanceOf(IllegalTransitionError);
        await expect(a.createTask({ task: f.task(f.ids('inv')), wait: null, events: [] })).rejects.toBeInstanceOf(NotFoundError);
        expect(await a.listTasks(inv.id)).toEqual([]);
      });

      it('deliverSignal resolves the open waits of that name on that investigation and wakes their tasks', async () => {
        const { inv, session } = await openInvestigation(a, f);
        const other = await openInvestigation(a, f);
        const w1 = f.waitingTask(inv.id, 'bank_data');
        const w2 = f.waitingTask(inv.id, 'bank_data', { task: { createdAt: T0 + 1 }, wait: { createdAt: T0 + 1 } });
        const w3 = f.waitingTask(inv.id, 'registry_data');
        const w4 = f.waitingTask(other.inv.id, 'bank_data');
        for (const x of [w1, w2, w3]) await a.createTask({ ...x, events: [] });
        await a.createTask({ ...w4, events: [] });
        const sig = f.signal(inv.id, { receivedAt: T0 + DAY });
        const r = await a.deliverSignal({ signal: sig, events: [f.event({ sessionId: session.id, investigationId: inv.id, kind: 'signal' })] });
        expect(r.duplicate).toBe(false);
        expect(r.signal).toEqual(sig);
        expect(r.resolvedWaits.map((w) => w.id).sort()).toEqual([w1.wait.id, w2.wait.id].sort());
        expect(r.resolvedWaits.every((w) => w.status === 'resolved' && w.signalId === sig.id && w.resolvedAt === T0 + DAY)).toBe(true);
        expect(r.wokenTasks.map((t) => t.id).sort()).toEqual([w1.task.id, w2.task.id].sort());
        expect(r.wokenTasks.every((t) => t.status === 'pending' && t.wakeReason === 'signal' && t.runAt === T0 + DAY)).toBe(true);
        expect((await a.getWait(w3.wait.id))?.status).toBe('open');
        expect((await a.getWait(w4.wait.id))?.status).toBe('open');
        expect((await a.getTask(w3.task.id))?.status).toBe('waiting');
        expect(await a.listSignals(inv.id)).toEqual([sig]);
        expect((await a.listEvents({ investigationId: inv.id, kinds: ['signal'], limit: 10 })).total).toBe(1);
      });

      it('lists signals oldest first, optionally by name', async () => {
        const { inv } = await openInvestigation(a, f);
        const s2 = f.signal(inv.id, { receivedAt: T0 + 2 });
        const s1 = f.signal(inv.id, { receivedAt: T0 + 1, name: 'registry_data' });
        const s3 = f.signal(inv.id, { receivedAt: T0 + 3 });
        for (const s of [s2, s1, s3]) await a.deliverSignal({ signal: s, events: [] });
        expect((await a.listSignals(inv.id)).map((s) => s.id)).toEqual([s1.id, s2.id, s3.id]);
        expect((await a.listSignals(inv.id, 'bank_data')).map((s) => s.id)).toEqual([s2.id, s3.id]);
      });

      it('a repeated idempotency key delivers once: duplicate, nothing new stored, nothing resolved again', async () => {
        const { inv } = await openInvestigation(a, f);
        const { task, wait } = f.waitingTask(inv.id);
        await a.createTask({ task, wait, events: [] });
        const first = f.signal(inv.id, { idempotencyKey: 'mail-42' });
        const r1 = await a.deliverSignal({ signal: first, events: [f.event({ investigationId: inv.id })] });
        expect(r1.resolvedWaits).toHaveLength(1);
        const eventsBefore = (await a.listEvents({ investigationId: inv.id, limit: 50 })).total;
        // A second waiting task on the same signal name exists now; the duplicate must not resolve it.
        const late = f.waitingTask(inv.id, first.name);
        await a.createTask({ ...late, events: [] });
        const again = f.signal(inv.id, { idempotencyKey: 'mail-42', name: first.name, payload: { other: true } });
        const r2 = await a.deliverSignal({ signal: again, events: [f.event({ investigationId: inv.id })] });
        expect(r2).toEqual({ signal: first, duplicate: true, resolvedWaits: [], wokenTasks: [] });
        expect(await a.listSignals(inv.id)).toEqual([first]);
        expect((await a.listEvents({ investigationId: inv.id, limit: 50 })).total).toBe(eventsBefore);
        // (A wait registered after a signal of its name resolves at once: the late task's did.)
        expect((await a.getWait(late.wait.id))?.signalId).toBe(first.id);
        // The same key reused for another signal name is a mistake that would drop data: refused.
        const misused = f.signal(inv.id, { idempotencyKey: 'mail-42', name: 'registry_data' });
        await expect(a.deliverSignal({ signal: misused, events: [] })).rejects.toBeInstanceOf(ConflictError);
        expect(await a.listSignals(inv.id)).toEqual([first]);
        // The same key on another investigation is a different delivery.
        const other = await openInvestigation(a, f);
        expect((await a.deliverSignal({ signal: f.signal(other.inv.id, { idempotencyKey: 'mail-42' }), events: [] })).duplicate).toBe(false);
      });

      it('refuses a new signal on a closed investigation but still answers a duplicate', async () => {
        const { inv } = await openInvestigation(a, f);
        const first = f.signal(inv.id, { idempotencyKey: 'k1' });
        await a.deliverSignal({ signal: first, events: [] });
        await a.closeInvestigation({ id: inv.id, expectedVersion: 1, now: T0 + DAY, outcome: 'completed', summary: null, terminationReason: 'completed', events: [] });
        expect((await a.deliverSignal({ signal: f.signal(inv.id, { idempotencyKey: 'k1' }), events: [] })).duplicate).toBe(true);
        await expect(a.deliverSignal({ signal: f.signal(inv.id), events: [] })).rejects.toBeInstanceOf(IllegalTransitionError);
      });

      describe('attachments', () => {
        // Binary content with NUL bytes and every byte value, an empty file, and UTF-8 text.
        const binary = () => {
          const b = new Uint8Array(3000);
          for (let i = 0; i < b.length; i++) b[i] = i % 7 === 0 ? 0 : (i * 31) % 256;
          return b;
        };
        const bytesOf = (u: Uint8Array) => Array.from(u);

        it('stores the files with the signal and reads each back byte for byte', async () => {
          const { inv } = await openInvestigation(a, f);
          const files = [
            f.attachment(0, 'statement.pdf', binary(), 'application/pdf'),
            f.attachment(1, 'empty.csv', new Uint8Array(0), 'text/csv'),
            f.attachment(2, 'statement.xml', '<?xml version="1.0"?><Document>Zürich € 1.000,00</Document>', 'application/xml'),
          ];
          const { signal, attachments } = f.signalWithFiles(inv.id, files);
          const r = await a.deliverSignal({ signal, attachments, events: [] });
          expect(r.signal).toEqual(signal);
          expect(r.signal.attachments.map((x) => x.name)).toEqual(['statement.pdf', 'empty.csv', 'statement.xml']);
          for (const file of files) {
            const got = await a.readSignalAttachment(signal.id, file.meta.index);
            expect(got?.meta).toEqual(file.meta);
            expect(got?.content).toBeInstanceOf(Uint8Array);
            expect(got!.content.byteLength).toBe(file.meta.size);
            expect(bytesOf(got!.content)).toEqual(bytesOf(file.content));
          }
          expect(await a.readSignalAttachment(signal.id, 3)).toBeNull();
          expect(await a.readSignalAttachment(signal.id, -1)).toBeNull();
          expect(await a.readSignalAttachment(signal.id, 0.5)).toBeNull();
          expect(await a.readSignalAttachment(f.ids('sig'), 0)).toBeNull();
        });

        it('keeps its own copy of the bytes: neither the caller nor a reader can change a stored file', async () => {
          const { inv } = await openInvestigation(a, f);
          const file = f.attachment(0, 'a.bin', binary());
          const original = bytesOf(file.content);
          const { signal, attachments } = f.signalWithFiles(inv.id, [file]);
          await a.deliverSignal({ signal, attachments, events: [] });
          file.content.fill(9);
          const read = await a.readSignalAttachment(signal.id, 0);
          read!.content.fill(7);
          expect(bytesOf((await a.readSignalAttachment(signal.id, 0))!.content)).toEqual(original);
        });

        it('lists every signal with its files in order, and [] for a signal without', async () => {
          const { inv } = await openInvestigation(a, f);
          const s1 = f.signalWithFiles(inv.id, [f.attachment(0, 'jan.csv', 'a;b\n', 'text/csv'), f.attachment(1, 'feb.csv', 'c;d\n', 'text/csv')], { receivedAt: T0 + 1 });
          const s2 = f.signal(inv.id, { receivedAt: T0 + 2, name: 'registry_data' });
          const s3 = f.signalWithFiles(inv.id, [f.attachment(0, 'mar.sta', ':20:REF\n', 'text/plain')], { receivedAt: T0 + 3 });
          await a.deliverSignal({ ...s3, events: [] });
          await a.deliverSignal({ signal: s2, events: [] });
          await a.deliverSignal({ ...s1, events: [] });
          const all = await a.listSignals(inv.id);
          expect(all).toEqual([s1.signal, s2, s3.signal]);
          expect(all.map((x) => x.attachments.map((m) => `${m.index}:${m.name}`))).toEqual([['0:jan.csv', '1:feb.csv'], [], ['0:mar.sta']]);
          expect(await a.listSignals(inv.id, 'bank_data')).toEqual([s1.signal, s3.signal]);
          expect(await a.listSignals(inv.id, 'registry_data')).toEqual([s2]);
          // A wait registered later is resolved by the newest signal of its name, files listed.
          const { task, wait } = f.waitingTask(inv.id, 'bank_data', { task: { createdAt: T0 + HOUR }, wait: { createdAt: T0 + HOUR } });
          expect((await a.createTask({ task, wait, events: [] })).resolvedBy).toEqual(s3.signal);
        });

        it('a repeated idempotency key stores no new file and returns the earlier signal with its files', async () => {
          const { inv } = await openInvestigation(a, f);
          const first = f.signalWithFiles(inv.id, [f.attachment(0, 'statement.csv', 'date;amount\n2026-01-02;25000\n', 'text/csv')], { idempotencyKey: 'mail-42' });
          await a.deliverSignal({ ...first, events: [] });
          const again = f.signalWithFiles(inv.id, [f.attachment(0, 'other.csv', 'x', 'text/csv'), f.attachment(1, 'more.pdf', binary())], { idempotencyKey: 'mail-42' });
          const r = await a.deliverSignal({ ...again, events: [f.event({ investigationId: inv.id })] });
          expect(r.duplicate).toBe(true);
          expect(r.signal).toEqual(first.signal);
          expect(await a.listSignals(inv.id)).toEqual([first.signal]);
          expect(await a.readSignalAttachment(again.signal.id, 0)).toBeNull();
          expect(await a.readSignalAttachment(again.signal.id, 1)).toBeNull();
          expect(bytesOf((await a.readSignalAttachment(first.signal.id, 0))!.content)).toEqual(bytesOf(first.attachments[0]!.content));
          expect(await a.readSignalAttachment(first.signal.id, 1)).toBeNull();
        });

        it("another tenant's signal files read as null, even by id", async () => {
          const theirs = await openInvestigation(b, g);
          const { signal, attachments } = g.signalWithFiles(theirs.inv.id, [g.attachment(0, 'secret.pdf', binary(), 'application/pdf')]);
          await b.deliverSignal({ signal, attachments, events: [] });
          expect(await a.readSignalAttachment(signal.id, 0)).toBeNull();
          expect(await a.listSignals(theirs.inv.id)).toEqual([]);
          expect((await b.readSignalAttachment(signal.id, 0))?.meta.name).toBe('secret.pdf');
          // The same signal id in A is A's own, with A's own files.
          const mine = await openInvestigation(a, f);
          const own = f.signalWithFiles(mine.inv.id, [f.attachment(0, 'mine.txt', 'mine', 'text/plain')], { id: signal.id });
          await a.deliverSignal({ ...own, events: [] });
          expect((await a.readSignalAttachment(signal.id, 0))?.meta.name).toBe('mine.txt');
          expect((await b.readSignalAttachment(signal.id, 0))?.meta.name).toBe('secret.pdf');
        });

        it('a failing delivery leaves no signal and no file behind (one atomic step)', async () => {
          const { inv } = await openInvestigation(a, f);
          const { task, wait } = f.waitingTask(inv.id);
          await a.createTask({ task, wait, events: [] });
          const files = [f.attachment(0, 'statement.csv', 'a;b\n', 'text/csv'), f.attachment(1, 'statement.pdf', binary(), 'application/pdf')];
          const { signal, attachments } = f.signalWithFiles(inv.id, files);
          // The signal event names a session that does not exist: the step fails after the files were written in it.
          const bad = f.event({ sessionId: f.ids('ses'), investigationId: inv.id, kind: 'signal' });
          await expect(a.deliverSignal({ signal, attachments, events: [bad] })).rejects.toBeInstanceOf(NotFoundError);
          expect(await a.listSignals(inv.id)).toEqual([]);
          expect(await a.readSignalAttachment(signal.id, 0)).toBeNull();
          expect(await a.readSignalAttachment(signal.id, 1)).toBeNull();
          expect((await a.getWait(wait.id))?.status).toBe('open');
          // Nothing was left to collide with: the same delivery succeeds afterwards.
          const r = await a.deliverSignal({ signal, attachments, events: [] });
          expect(r.resolvedWaits.map((w) => w.id)).toEqual([wait.id]);
          expect((await a.readSignalAttachment(signal.id, 1))?.meta).toEqual(files[1]!.meta);
        });

        it('refuses a signal whose listing does not match the files it carries, storing nothing', async () => {
          const { inv } = await openInvestigation(a, f);
          const file = f.attachment(0, 'statement.csv', 'a;b\n', 'text/csv');
          const cases = [
            { signal: f.signal(inv.id, { attachments: [file.meta] }), attachments: [] },
            { signal: f.signal(inv.id), attachments: [file] },
            { signal: f.signal(inv.id, { attachments: [{ ...file.meta, index: 1 }] }), attachments: [{ ...file, meta: { ...file.meta, index: 1 } }] },
            { signal: f.signal(inv.id, { attachments: [{ ...file.meta, size: 99 }] }), attachments: [{ ...file, meta: { ...file.meta, size: 99 } }] },
            { signal: f.signal(inv.id, { attachments: [{ ...file.meta, name: 'other.csv' }] }), attachments: [file] },
          ];
          for (const c of cases) await expect(a.deliverSignal({ ...c, events: [] })).rejects.toBeInstanceOf(InvalidInputError);
          expect(await a.listSignals(inv.id)).toEqual([]);
        });
      });

      it('dueWaits returns open waits past their deadline, earliest first, bounded', async () => {
        const { inv } = await openInvestigation(a, f);
        const gi = await openInvestigation(b, g);
        const w1 = f.waitingTask(inv.id, 'a', { wait: { deadline: T0 + 3 * HOUR } });
        const w2 = g.waitingTask(gi.inv.id, 'b', { wait: { deadline: T0 + HOUR } });
        const w3 = f.waitingTask(inv.id, 'c', { wait: { deadline: T0 + 2 * HOUR } });
        const w4 = f.waitingTask(inv.id, 'd', { wait: { deadline: T0 + 9 * HOUR } });
        const w5 = f.waitingTask(inv.id, 'e', { wait: { deadline: T0 } });
        for (const x of [w1, w3, w4, w5]) await a.createTask({ ...x, events: [] });
        await b.createTask({ ...w2, events: [] });
        await a.deliverSignal({ signal: f.signal(inv.id, { name: 'e' }), events: [] });
        const now = T0 + 3 * HOUR;
        expect((await store.dueWaits(now, 10)).map((w) => w.id)).toEqual([w2.wait.id, w3.wait.id, w1.wait.id]);
        expect((await store.dueWaits(now, 1)).map((w) => w.id)).toEqual([w2.wait.id]);
      });

      it('expireWait times out the wait and its waiting task; a second expiry is a no-op', async () => {
        const { inv } = await openInvestigation(a, f);
        const { task, wait } = f.waitingTask(inv.id);
        await a.createTask({ task, wait, events: [] });
        const now = T0 + 3 * DAY;
        const inbox = f.inboxItem(inv.id, { kind: 'escalation', taskId: task.id, createdAt: now });
        const r = await a.expireWait({ waitId: wait.id, now, taskStatus: 'timed_out', events: [f.event({ investigationId: inv.id, kind: 'status' })], inbox: [inbox] });
        expect(r?.wait).toMatchObject({ status: 'timed_out', resolvedAt: now });
        expect(r?.task).toMatchObject({ status: 'timed_out', finishedAt: now });
        expect(await a.getTask(task.id)).toEqual(r?.task);
        expect((await a.listInbox({ limit: 10 })).items).toEqual([inbox]);
        expect((await a.listEvents({ investigationId: inv.id, kinds: ['status'], limit: 10 })).total).toBe(1);
        expect(await a.expireWait({ waitId: wait.id, now: now + 1, taskStatus: 'timed_out', events: [f.event({ investigationId: inv.id })] })).toBeNull();
        expect((await a.listEvents({ investigationId: inv.id, limit: 10 })).total).toBe(2);
        expect(await store.dueWaits(now + DAY, 10)).toEqual([]);
        await expect(a.expireWait({ waitId: f.ids('wait'), now, taskStatus: 'timed_out', events: [] })).rejects.toBeInstanceOf(NotFoundError);
      });

      it('expireWait with taskStatus pending wakes the task for its escalation', async () => {
        const { inv } = await openInvestigation(a, f);
        const { task, wait } = f.waitingTask(inv.id);
        await a.createTask({ task, wait, events: [] });
        const now = T0 + 3 * DAY;
        const r = await a.expireWait({ waitId: wait.id, now, taskStatus: 'pending', events: [] });
        expect(r?.task).toMatchObject({ status: 'pending', wakeReason: 'deadline', runAt: now, finishedAt: null });
        const claimed = await store.claimTask(now, 'w1', MINUTE, ['compliance']);
        expect(claimed).toMatchObject({ id: task.id, wakeReason: 'deadline' });
      });

      it('expireWait leaves a task that is no longer waiting alone', async () => {
        const { inv } = await openInvestigation(a, f);
        const task = f.task(inv.id, { role: 'compliance' });
        await a.createTask({ task, wait: null, events: [] });
        await store.claimTask(T0, 'w1', HOUR, ['compliance']);
        // A wait registered while the task keeps running.
        const wait = f.wait(task, { deadline: T0 + MINUTE });
        await a.applyTaskOutcome({ taskId: task.id, leaseOwner: 'w1', now: T0 + 1, status: 'running', wait });
        const r = await a.expireWait({ waitId: wait.id, now: T0 + MINUTE, taskStatus: 'timed_out', events: [] });
        expect(r).toEqual({ wait: { ...wait, status: 'timed_out', resolvedAt: T0 + MINUTE }, task: null });
        expect(await a.getTask(task.id)).toMatchObject({ status: 'running', leaseOwner: 'w1' });
        // A cancelled task's waits are closed with it, so they never expire.
        const other = f.waitingTask(inv.id);
        await a.createTask({ ...other, events: [] });
        await a.cancelTask({ taskId: other.task.id, now: T0 + 1, events: [] });
        expect(await a.expireWait({ waitId: other.wait.id, now: T0 + 3 * DAY, taskStatus: 'timed_out', events: [] })).toBeNull();
      });

      it('cancelTask cancels an open task and its open waits; an ended task cannot be cancelled', async () => {
        const { inv } = await openInvestigation(a, f);
        const { task, wait } = f.waitingTask(inv.id);
        await a.createTask({ task, wait, events: [] });
        const c = await a.cancelTask({ taskId: task.id, now: T0 + HOUR, events: [f.event({ investigationId: inv.id, kind: 'status' })] });
        expect(c).toMatchObject({ status: 'cancelled', finishedAt: T0 + HOUR, leaseOwner: null });
        expect((await a.getWait(wait.id))?.status).toBe('cancelled');
        await expect(a.cancelTask({ taskId: task.id, now: T0 + 2 * HOUR, events: [] })).rejects.toBeInstanceOf(IllegalTransitionError);
        await expect(a.cancelTask({ taskId: f.ids('tsk'), now: T0, events: [] })).rejects.toBeInstanceOf(NotFoundError);
        expect((await a.listEvents({ investigationId: inv.id, kinds: ['status'], limit: 10 })).total).toBe(1);
      });
    });

    describe('claiming and outcomes', () => {
      it('claimTask leases a runnable task: running, owner, leaseUntil, attempts + 1', async () => {
        const { inv } = await openInvestigation(a, f);
        const task = f.task(inv.id, { runAt: T0 + MINUTE });
        await a.createTask({ task, wait: null, events: [] });
        expect(await store.claimTask(T0, 'w1', MINUTE, ['retrieval'])).toBeNull();
        const c = await store.claimTask(T0 + MINUTE, 'w1', 30_000, ['retrieval']);
        expect(c).toMatchObject({ id: task.id, tenantId: 'acme', status: 'running', leaseOwner: 'w1', leaseUntil: T0 + MINUTE + 30_000, attempts: 1, wakeReason: 'created' });
        expect(await a.getTask(task.id)).toEqual(c);
        expect(await store.claimTask(T0 + MINUTE, 'w2', 30_000, ['retrieval'])).toBeNull();
      });

      it('claims only the given roles, earliest runAt first', async () => {
        const { inv } = await openInvestigation(a, f);
        const late = f.task(inv.id, { runAt: T0 + 2 });
        const early = f.task(inv.id, { runAt: T0 + 1 });
        const other = f.task(inv.id, { runAt: T0, role: 'compliance' });
        for (const t of [late, early, other]) await a.createTask({ task: t, wait: null, events: [] });
        expect(await store.claimTask(T0 + 10, 'w1', MINUTE, [])).toBeNull();
        expect((await store.claimTask(T0 + 10, 'w1', MINUTE, ['retrieval']))?.id).toBe(early.id);
        expect((await store.claimTask(T0 + 10, 'w1', MINUTE, ['retrieval']))?.id).toBe(late.id);
        expect(await store.claimTask(T0 + 10, 'w1', MINUTE, ['retrieval'])).toBeNull();
        expect((await store.claimTask(T0 + 10, 'w1', MINUTE, ['retrieval', 'compliance']))?.id).toBe(other.id);
      });

      it('claims only the allowed tenants, pending and lease-expired alike; no allow-list claims any tenant', async () => {
        const { inv } = await openInvestigation(a, f);
        const gi = await openInvestigation(b, g);
        const gLeased = g.task(gi.inv.id, { runAt: T0 });
        const aLeased = f.task(inv.id, { runAt: T0 });
        // globex's pending task is due before acme's: a claim without the allow-list takes it first.
        const gPending = g.task(gi.inv.id, { runAt: T0 + 5 });
        const aPending = f.task(inv.id, { runAt: T0 + 6 });
        for (const t of [gLeased, gPending]) await b.createTask({ task: t, wait: null, events: [] });
        for (const t of [aLeased, aPending]) await a.createTask({ task: t, wait: null, events: [] });
        // One task of each tenant runs under a lease that expires at T0 + 10.
        expect((await store.claimTask(T0, 'dead', 10, ['retrieval'], ['globex']))?.id).toBe(gLeased.id);
        expect((await store.claimTask(T0, 'dead', 10, ['retrieval'], ['acme']))?.id).toBe(aLeased.id);

        const now = T0 + 100;
        expect(await store.claimTask(now, 'w1', MINUTE, ['retrieval'], [])).toBeNull();
        expect(await store.claimTask(now, 'w1', MINUTE, ['retrieval'], ['initech'])).toBeNull();
        expect(await store.claimTask(now, 'w1', MINUTE, ['retrieval'], ['acme'])).toMatchObject({ id: aPending.id, tenantId: 'acme', attempts: 1 });
        expect(await store.claimTask(now, 'w1', MINUTE, ['retrieval'], ['acme'])).toMatchObject({ id: aLeased.id, tenantId: 'acme', attempts: 2, wakeReason: 'lease_expired' });
        expect(await store.claimTask(now, 'w1', MINUTE, ['retrieval'], ['acme'])).toBeNull();
        expect(await b.getTask(gPending.id)).toMatchObject({ status: 'pending', attempts: 0 });
        expect(await b.getTask(gLeased.id)).toMatchObject({ leaseOwner: 'dead', attempts: 1 });
        expect((await store.claimTask(now, 'w2', MINUTE, ['retrieval']))?.id).toBe(gPending.id);
        expect((await store.claimTask(now, 'w2', MINUTE, ['retrieval'], ['acme', 'globex']))?.id).toBe(gLeased.id);
      });

      it('a lease that expired is claimed again with wakeReason lease_expired', async () => {
        const { inv } = await openInvestigation(a, f);
        const task = f.task(inv.id);
        await a.createTask({ task, wait: null, events: [] });
        await store.claimTask(T0, 'w1', 1000, ['retrieval']);
        expect(await store.claimTask(T0 + 999, 'w2', 1000, ['retrieval'])).toBeNull();
        const again = await store.claimTask(T0 + 1000, 'w2', 1000, ['retrieval']);
        expect(again).toMatchObject({ id: task.id, leaseOwner: 'w2', leaseUntil: T0 + 2000, attempts: 2, wakeReason: 'lease_expired', status: 'running' });
        await expect(a.applyTaskOutcome({ taskId: task.id, leaseOwner: 'w1', now: T0 + 1500, status: 'completed' })).rejects.toBeInstanceOf(ConflictError);
        expect(await a.extendTaskLease(task.id, 'w1', T0 + 9000)).toBe(false);
      });

      it('extendTaskLease extends only a lease still held', async () => {
        const { inv } = await openInvestigation(a, f);
        const task = f.task(inv.id);
        await a.createTask({ task, wait: null, events: [] });
        await store.claimTask(T0, 'w1', 1000, ['retrieval']);
        expect(await a.extendTaskLease(task.id, 'w1', T0 + 5000)).toBe(true);
        expect((await a.getTask(task.id))?.leaseUntil).toBe(T0 + 5000);
        expect(await store.claimTask(T0 + 2000, 'w2', 1000, ['retrieval'])).toBeNull();
        expect(await a.extendTaskLease(task.id, 'w2', T0 + 9000)).toBe(false);
        await a.applyTaskOutcome({ taskId: task.id, leaseOwner: 'w1', now: T0 + 3000, status: 'completed' });
        expect(await a.extendTaskLease(task.id, 'w1', T0 + 9000)).toBe(false);
        expect(await a.extendTaskLease(f.ids('tsk'), 'w1', T0 + 9000)).toBe(false);
      });

      it('applyTaskOutcome completes the task and writes its events, reports, inbox items and records in one step', async () => {
        const { inv, session } = await openInvestigation(a, f);
        const task = f.task(inv.id);
        await a.createTask({ task, wait: null, events: [] });
        await store.claimTask(T0, 'w1', MINUTE, ['retrieval']);
        const now = T0 + 30_000;
        const report = f.report(inv.id, { taskId: task.id, createdAt: now });
        const inbox = f.inboxItem(inv.id, { taskId: task.id, reportId: report.id, createdAt: now });
        const record = f.record(`investigations/${inv.id}/reports`, 'Compliance report for TechCorp: no flags', { strategy: 'report', investigationId: inv.id });
        const r = await a.applyTaskOutcome({
          taskId: task.id,
          leaseOwner: 'w1',
          now,
          status: 'completed',
          result: { findings: 2 },
          events: [f.event({ sessionId: session.id, investigationId: inv.id, kind: 'finding', text: 'found it' })],
          reports: [report],
          inbox: [inbox],
          records: [record],
        });
        expect(r.task).toMatchObject({ status: 'completed', result: { findings: 2 }, leaseOwner: null, leaseUntil: null, finishedAt: now, updatedAt: now });
        expect(r.wait).toBeNull();
        expect(r.events).toHaveLength(1);
        expect(r.events[0]!.seq).toBeGreaterThan(0);
        expect(await a.getTask(task.id)).toEqual(r.task);
        expect(await a.getReport(report.id)).toEqual(report);
        expect(await a.listReports(inv.id)).toEqual([report]);
        expect((await a.listInbox({ limit: 5 })).items).toEqual([inbox]);
        expect(await a.getRecord(record.id)).toEqual(record);
        expect((await a.searchRecords({ query: 'compliance flags', topK: 5 })).map((s) => s.record.id)).toEqual([record.id]);
        await expect(a.applyTaskOutcome({ taskId: task.id, leaseOwner: 'w1', now, status: 'failed' })).rejects.toBeInstanceOf(ConflictError);
      });

      it('refuses an outcome from a process that does not hold the lease', async () => {
        const { inv } = await openInvestigation(a, f);
        const task = f.task(inv.id);
        await a.createTask({ task, wait: null, events: [] });
        await expect(a.applyTaskOutcome({ taskId: task.id, leaseOwner: 'w1', now: T0, status: 'completed' })).rejects.toBeInstanceOf(ConflictError);
        await store.claimTask(T0, 'w1', MINUTE, ['retrieval']);
        await expect(a.applyTaskOutcome({ taskId: task.id, leaseOwner: 'intruder', now: T0, status: 'completed' })).rejects.toBeInstanceOf(ConflictError);
        expect((await a.getTask(task.id))?.status).toBe('running');
      });

      it('a failing outcome writes nothing (all or nothing)', async () => {
        const { inv } = await openInvestigation(a, f);
        const task = f.task(inv.id);
        await a.createTask({ task, wait: null, events: [] });
        const claimed = await store.claimTask(T0, 'w1', MINUTE, ['retrieval']);
        const report = f.report(inv.id);
        await a.applyTaskOutcome({ taskId: task.id, leaseOwner: 'w1', now: T0 + 1, status: 'running', reports: [report] });
        const before = await a.getTask(task.id);
        await expect(
          a.applyTaskOutcome({ taskId: task.id, leaseOwner: 'w1', now: T0 + 2, status: 'completed', events: [f.event({ investigationId: inv.id })], reports: [f.report(inv.id), { ...report }] }),
        ).rejects.toBeInstanceOf(ConflictError);
        expect(await a.getTask(task.id)).toEqual(before);
        expect(before).toMatchObject({ status: 'running', leaseOwner: 'w1', leaseUntil: claimed!.leaseUntil });
        expect(await a.listReports(inv.id)).toHaveLength(1);
        expect((await a.listEvents({ investigationId: inv.id, limit: 10 })).total).toBe(1);
      });

      it('an outcome that waits registers the wait and releases the lease', async () => {
        const { inv } = await openInvestigation(a, f);
        const task = f.task(inv.id, { role: 'compliance' });
        await a.createTask({ task, wait: null, events: [] });
        await store.claimTask(T0, 'w1', MINUTE, ['compliance']);
        const wait = f.wait(task, { createdAt: T0 + 10, deadline: T0 + 3 * DAY });
        const r = await a.applyTaskOutcome({ taskId: task.id, leaseOwner: 'w1', now: T0 + 10, status: 'waiting', wait });
        expect(r.task).toMatchObject({ status: 'waiting', leaseOwner: null, leaseUntil: null, runAt: null });
        expect(r.wait).toEqual(wait);
        expect(await a.getWait(wait.id)).toEqual(wait);
        const sig = f.signal(inv.id, { receivedAt: T0 + DAY });
        const d = await a.deliverSignal({ signal: sig, events: [] });
        expect(d.wokenTasks.map((t) => t.id)).toEqual([task.id]);
      });

      it('an outcome that waits for a signal that already arrived resolves at once', async () => {
        const { inv } = await openInvestigation(a, f);
        const sig = f.signal(inv.id, { receivedAt: T0 + 1 });
        await a.deliverSignal({ signal: sig, events: [] });
        const task = f.task(inv.id, { role: 'compliance' });
        await a.createTask({ task, wait: null, events: [] });
        await store.claimTask(T0 + 2, 'w1', MINUTE, ['compliance']);
        const wait = f.wait(task, { createdAt: T0 + 3 });
        const r = await a.applyTaskOutcome({ taskId: task.id, leaseOwner: 'w1', now: T0 + 3, status: 'waiting', wait });
        expect(r.wait).toMatchObject({ status: 'resolved', signalId: sig.id, resolvedAt: T0 + 3 });
        expect(r.task).toMatchObject({ status: 'pending', wakeReason: 'signal', leaseOwner: null });
        expect((await store.claimTask(T0 + 3, 'w2', MINUTE, ['compliance']))?.id).toBe(task.id);
      });

      it('a retry outcome is runnable again at its runAt', async () => {
        const { inv } = await openInvestigation(a, f);
        const task = f.task(inv.id);
        await a.createTask({ task, wait: null, events: [] });
        await store.claimTask(T0, 'w1', MINUTE, ['retrieval']);
        const r = await a.applyTaskOutcome({ taskId: task.id, leaseOwner: 'w1', now: T0 + 1, status: 'pending', runAt: T0 + MINUTE, wakeReason: 'retry', error: 'source offline' });
        expect(r.task).toMatchObject({ status: 'pending', runAt: T0 + MINUTE, wakeReason: 'retry', error: 'source offline', leaseOwner: null, attempts: 1 });
        expect(await store.claimTask(T0 + MINUTE - 1, 'w2', MINUTE, ['retrieval'])).toBeNull();
        expect(await store.claimTask(T0 + MINUTE, 'w2', MINUTE, ['retrieval'])).toMatchObject({ id: task.id, attempts: 2, wakeReason: 'retry' });
      });

      it('a running outcome keeps the lease (progress)', async () => {
        const { inv } = await openInvestigation(a, f);
        const task = f.task(inv.id);
        await a.createTask({ task, wait: null, events: [] });
        const c = await store.claimTask(T0, 'w1', MINUTE, ['retrieval']);
        const r = await a.applyTaskOutcome({ taskId: task.id, leaseOwner: 'w1', now: T0 + 1, status: 'running', events: [f.event({ investigationId: inv.id, kind: 'finding' })] });
        expect(r.task).toMatchObject({ status: 'running', leaseOwner: 'w1', leaseUntil: c!.leaseUntil });
        expect((await a.applyTaskOutcome({ taskId: task.id, leaseOwner: 'w1', now: T0 + 2, status: 'failed', error: 'boom' })).task).toMatchObject({ status: 'failed', error: 'boom', finishedAt: T0 + 2 });
      });
    });

    describe('short-term memory', () => {
      it('appendEvents numbers events with a strictly increasing seq', async () => {
        const { inv, session, events: first } = await openInvestigation(a, f);
        const batch = await a.appendEvents([
          f.event({ sessionId: session.id, investigationId: inv.id, text: 'one' }),
          f.event({ sessionId: session.id, investigationId: inv.id, text: 'two', data: { n: 2 } }),
        ]);
        const more = await a.appendEvents([f.event({ investigationId: inv.id, text: 'three' })]);
        const seqs = [...first, ...batch, ...more].map((e) => e.seq);
        for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
        expect(batch[1]).toMatchObject({ text: 'two', data: { n: 2 }, tenantId: 'acme' });
        expect(await a.appendEvents([])).toEqual([]);
      });

      it('an append that fails part-way writes nothing', async () => {
        const { session } = await openInvestigation(a, f);
        const ok = f.event({ sessionId: session.id });
        await expect(a.appendEvents([ok, f.event({ sessionId: f.ids('ses') })])).rejects.toBeInstanceOf(NotFoundError);
        await expect(a.appendEvents([ok, { ...ok }])).rejects.toBeInstanceOf(ConflictError);
        expect(await a.getEvents([ok.id])).toEqual([]);
        expect((await a.listEvents({ sessionId: session.id, limit: 10 })).total).toBe(1);
      });

      describe('listEvents', () => {
        let inv: { id: string };
        let s1: string;
        let s2: string;
        let all: Awaited<ReturnType<TenantStore['appendEvents']>>;
        beforeEach(async () => {
          const o = await openInvestigation(a, f, { events: 0 });
          inv = o.inv;
          s1 = o.session.id;
          const w = f.session({ investigationId: inv.id, kind: 'worker', role: 'retrieval' });
          await a.createSession(w);
          s2 = w.id;
          const kinds = ['message', 'finding', 'message', 'fact', 'finding', 'status', 'message', 'finding'] as const;
          all = await a.appendEvents(
            kinds.map((kind, i) => f.event({ sessionId: i === 5 ? null : i % 2 ? s2 : s1, investigationId: inv.id, kind, text: `e${i}`, createdAt: T0 + i })),
          );
          await a.appendEvents([f.event({ sessionId: null, investigationId: null, text: 'unrelated' })]);
        });

        it('lists a session in seq order and an investigation timeline including investigation-level events', async () => {
          const one = await a.listEvents({ sessionId: s1, limit: 50 });
          expect(one.items.map((e) => e.text)).toEqual(['e0', 'e2', 'e4', 'e6']);
          expect(one.total).toBe(4);
          const timeline = await a.listEvents({ investigationId: inv.id, limit: 50 });
          expect(timeline.items.map((e) => e.text)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7']);
          expect(timeline.items[5]!.sessionId).toBeNull();
          expect((await a.listEvents({ limit: 50 })).total).toBe(9);
        });

        it('filters by afterSeq (exclusive) and kinds', async () => {
          const after = await a.listEvents({ investigationId: inv.id, afterSeq: all[2]!.seq, limit: 50 });
          expect(after.items.map((e) => e.text)).toEqual(['e3', 'e4', 'e5', 'e6', 'e7']);
          expect(after.total).toBe(5);
          const findings = await a.listEvents({ investigationId: inv.id, kinds: ['finding', 'fact'], limit: 50 });
          expect(findings.items.map((e) => e.text)).toEqual(['e1', 'e3', 'e4', 'e7']);
          const s2Findings = await a.listEvents({ sessionId: s2, kinds: ['finding'], afterSeq: all[1]!.seq, limit: 50 });
          expect(s2Findings.items.map((e) => e.text)).toEqual(['e7']);
        });

        it('pages by cursor in both orders, with the total of the whole filter', async () => {
          const collect = async (order: 'asc' | 'desc') => {
            const out: string[] = [];
            let cursor: string | null = null;
            do {
              const p: Awaited<ReturnType<TenantStore['listEvents']>> = await a.listEvents({ investigationId: inv.id, limit: 3, cursor, order });
              expect(p.total).toBe(8);
              out.push(...p.items.map((e) => e.text));
              cursor = p.nextCursor;
            } while (cursor);
            return out;
          };
          expect(await collect('asc')).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7']);
          expect(await collect('desc')).toEqual(['e7', 'e6', 'e5', 'e4', 'e3', 'e2', 'e1', 'e0']);
          const newest = await a.listEvents({ investigationId: inv.id, kinds: ['finding'], limit: 2, order: 'desc' });
          expect(newest.items.map((e) => e.text)).toEqual(['e7', 'e4']);
          expect(newest.total).toBe(3);
          const exact = await a.listEvents({ sessionId: s1, limit: 4 });
          expect(exact.nextCursor).toBeNull();
        });

        it('getEvents returns the known ids in seq order', async () => {
          const got = await a.getEvents([all[4]!.id, 'evt_unknown', all[1]!.id, all[4]!.id]);
          expect(got).toEqual([all[1], all[4]]);
        });
      });

      it('appending marks the session due for extraction', async () => {
        const { session } = await openInvestigation(a, f, { events: 0 });
        expect(await a.getCheckpoint(session.id)).toBeNull();
        await a.appendEvents([f.event({ sessionId: session.id, createdAt: T0 + 5 })]);
        expect(await a.getCheckpoint(session.id)).toEqual({ tenantId: 'acme', sessionId: session.id, throughSeq: 0, lastRunAt: null, lastError: null, dueAt: T0 + 5 });
        expect((await store.dueExtractions(T0 + 5, 10)).map((c) => c.sessionId)).toEqual([session.id]);
        expect(await store.dueExtractions(T0 + 4, 10)).toEqual([]);
      });

      it('deleteExpiredEvents deletes only expired events that extraction has passed', async () => {
        const { inv, session } = await openInvestigation(a, f, { events: 0 });
        const [e1, e2, e3] = await a.appendEvents([
          f.event({ sessionId: session.id, expiresAt: T0 + DAY }),
          f.event({ sessionId: session.id, expiresAt: T0 + DAY }),
          f.event({ sessionId: session.id, expiresAt: T0 + 10 * DAY }),
        ]);
        const [orphan] = await a.appendEvents([f.event({ sessionId: null, investigationId: inv.id, expiresAt: T0 + DAY })]);
        const [fresh] = await a.appendEvents([f.event({ sessionId: null, investigationId: inv.id, expiresAt: T0 + 30 * DAY })]);
        const now = T0 + 2 * DAY;
        expect(await store.deleteExpiredEvents(now, 100)).toBe(1); // only the investigation-level one
        expect(await a.getEvents([orphan!.id, fresh!.id])).toEqual([fresh]);
        await a.commitExtraction({ sessionId: session.id, expectedThroughSeq: 0, throughSeq: e1!.seq, now, dueAt: null, writes: [] });
        expect(await store.deleteExpiredEvents(now, 100)).toBe(1);
        expect((await a.getEvents([e1!.id, e2!.id, e3!.id])).map((e) => e.id)).toEqual([e2!.id, e3!.id]);
        await a.commitExtraction({ sessionId: session.id, expectedThroughSeq: e1!.seq, throughSeq: e3!.seq, now, dueAt: null, writes: [] });
        expect(await store.deleteExpiredEvents(now, 100)).toBe(1);
        expect((await a.getEvents([e2!.id, e3!.id])).map((e) => e.id)).toEqual([e3!.id]);
        expect(await store.deleteExpiredEvents(now, 100)).toBe(0);
      });

      it('deleteExpiredEvents is bounded by limit', async () => {
        const { inv } = await openInvestigation(a, f, { events: 0 });
        await a.appendEvents(Array.from({ length: 5 }, () => f.event({ investigationId: inv.id, expiresAt: T0 })));
        expect(await store.deleteExpiredEvents(T0, 2)).toBe(2);
        expect(await store.deleteExpiredEvents(T0, 10)).toBe(3);
      });
    });

    describe('long-term memory', () => {
      const NS = 'investigations/inv_X/facts';

      it('commitExtraction writes records and advances the checkpoint', async () => {
        const { session, events } = await openInvestigation(a, f);
        const rec = f.record(NS, 'TechCorp banks with First Bank', { sourceEventIds: [events[0]!.id], sessionId: session.id });
        await a.commitExtraction({ sessionId: session.id, expectedThroughSeq: 0, throughSeq: events[0]!.seq, now: T0 + MINUTE, dueAt: null, writes: [{ op: 'create', record: rec }] });
        expect(await a.getRecord(rec.id)).toEqual(rec);
        expect(await a.getCheckpoint(session.id)).toEqual({ tenantId: 'acme', sessionId: session.id, throughSeq: events[0]!.seq, lastRunAt: T0 + MINUTE, lastError: null, dueAt: null });
        expect(await store.dueExtractions(T0 + DAY, 10)).toEqual([]);
      });

      it('a checkpoint that moved is a conflict and nothing is written', async () => {
        const { session, events } = await openInvestigation(a, f);
        const seq = events[0]!.seq;
        await a.commitExtraction({ sessionId: session.id, expectedThroughSeq: 0, throughSeq: seq, now: T0, dueAt: null, writes: [] });
        const rec = f.record(NS, 'duplicate run');
        await expect(a.commitExtraction({ sessionId: session.id, expectedThroughSeq: 0, throughSeq: seq, now: T0, dueAt: null, writes: [{ op: 'create', record: rec }] })).rejects.toBeInstanceOf(ConflictError);
        expect(await a.getRecord(rec.id)).toBeNull();
        expect(await a.searchRecords({ query: 'duplicate run', topK: 5 })).toEqual([]);
        expect((await a.getCheckpoint(session.id))?.throughSeq).toBe(seq);
      });

      it('applies add_sources, supersede and update_text', async () => {
        const { session } = await openInvestigation(a, f);
        const old = f.record(NS, 'Revenue was 10M', { topicKey: 'revenue', sourceEventIds: ['evt_a'] });
        const summary = f.record(`sessions/${session.id}/summary`, 'Session began', { strategy: 'summary', sourceEventIds: ['evt_a'] });
        await a.commitExtraction({ sessionId: session.id, expectedThroughSeq: 0, throughSeq: 1, now: T0, dueAt: null, writes: [{ op: 'create', record: old }, { op: 'create', record: summary }] });
        const neu = f.record(NS, 'Revenue was 12M', { topicKey: 'revenue', createdAt: T0 + 1, updatedAt: T0 + 1 });
        await a.commitExtraction({
          sessionId: session.id,
          expectedThroughSeq: 1,
          throughSeq: 2,
          now: T0 + 1,
          dueAt: T0 + HOUR,
          writes: [
            { op: 'add_sources', id: old.id, eventIds: ['evt_a', 'evt_b'], now: T0 + 1 },
            { op: 'create', record: neu },
            { op: 'supersede', id: old.id, by: neu.id, now: T0 + 1 },
            { op: 'update_text', id: summary.id, text: 'Session began and found the figures', textKey: 'session began and found the figures', eventIds: ['evt_b'], now: T0 + 1 },
          ],
        });
        expect(await a.getRecord(old.id)).toMatchObject({ status: 'superseded', supersededBy: neu.id, sourceEventIds: ['evt_a', 'evt_b'], updatedAt: T0 + 1 });
        expect(await a.getRecord(summary.id)).toMatchObject({ text: 'Session began and found the figures', textKey: 'session began and found the figures', sourceEventIds: ['evt_a', 'evt_b'] });
        expect((await a.findRecordByTopicKey(NS, 'revenue'))?.id).toBe(neu.id);
        expect(await a.findRecordByTextKey(NS, old.textKey)).toBeNull();
        expect((await a.findRecordByTextKey(NS, neu.textKey))?.id).toBe(neu.id);
        expect(await a.findRecordByTextKey('investigations/inv_X', neu.textKey)).toBeNull();
        expect((await a.getCheckpoint(session.id))?.dueAt).toBe(T0 + HOUR);
        // The index follows the changes.
        expect((await a.searchRecords({ query: 'revenue', topK: 10 })).map((s) => s.record.id)).toEqual([neu.id]);
        expect((await a.searchRecords({ query: 'revenue', topK: 10, includeSuperseded: true })).map((s) => s.record.id).sort()).toEqual([old.id, neu.id].sort());
        expect((await a.searchRecords({ query: 'found', topK: 10 })).map((s) => s.record.id)).toEqual([summary.id]);
      });

      it('findRecordsWithWords: the oldest records of exactly this namespace holding every word of a group, through the index', async () => {
        const { session } = await openInvestigation(a, f);
        const at = (i: number) => ({ createdAt: T0 + i, updatedAt: T0 + i });
        const wire = f.record(NS, 'TechCorp wired funds to Oceanic Holdings in March', at(1));
        const plural = f.record(NS, 'Oceanic Holding received TechCorp wire transfers', at(2));
        const deeper = f.record(`${NS}/archive`, 'TechCorp wired funds to Oceanic Holdings in March', at(3));
        const sibling = f.record('investigations/inv_Y/facts', 'TechCorp wired funds to Oceanic Holdings in March', at(4));
        const old = f.record(NS, 'TechCorp wired funds to Oceanic Holdings in April', { ...at(5), topicKey: 'wire' });
        const neu = f.record(NS, 'Board minutes mention Oceanic', { ...at(6), topicKey: 'wire' });
        const decoys = Array.from({ length: 5 }, (_, i) => f.record(NS, `TechCorp decoy ${i} wired nothing`, at(10 + i)));
        await a.commitExtraction({
          sessionId: session.id,
          expectedThroughSeq: 0,
          throughSeq: 1,
          now: T0 + 20,
          dueAt: null,
          writes: [...[wire, plural, deeper, sibling, old, neu, ...decoys].map((record) => ({ op: 'create' as const, record })), { op: 'supersede', id: old.id, by: neu.id, now: T0 + 20 }],
        });
        const theirs = g.record(NS, 'TechCorp wired funds to Oceanic Holdings in March');
        const { session: bs } = await openInvestigation(b, g);
        await b.commitExtraction({ sessionId: bs.id, expectedThroughSeq: 0, throughSeq: 1, now: T0, dueAt: null, writes: [{ op: 'create', record: theirs }] });

        const ids = async (groups: string[][], limit = 10) => (await a.findRecordsWithWords(NS, groups, limit)).map((r) => r.id);
        // Every word of the group, in this namespace only; superseded records and other tenants never.
        expect(await ids([['oceanic', 'holdings', 'march']])).toEqual([wire.id]);
        // Words fold like search: case, accents and plurals ("transfer" finds "transfers").
        expect(await ids([['OCEANIC', 'transfer', 'wire']])).toEqual([plural.id]);
        // Any group will do; oldest first; each record once; at most `limit`.
        expect(await ids([['oceanic', 'holdings', 'march'], ['techcorp', 'oceanic']])).toEqual([wire.id, plural.id]);
        expect(await ids([['techcorp', 'wired'], ['march']])).toEqual([wire.id, ...decoys.map((d) => d.id)]);
        expect(await ids([['techcorp', 'wired'], ['march']], 2)).toEqual([wire.id, decoys[0]!.id]);
        expect(await ids([])).toEqual([]);
        expect(await ids([['absentword']])).toEqual([]);
        expect((await b.findRecordsWithWords(NS, [['oceanic', 'march']], 10)).map((r) => r.id)).toEqual([theirs.id]);
      });

      it('a write to an absent record fails the whole commit', async () => {
        const { session } = await openInvestigation(a, f);
        const rec = f.record(NS, 'kept out');
        await expect(
          a.commitExtraction({ sessionId: session.id, expectedThroughSeq: 0, throughSeq: 1, now: T0, dueAt: null, writes: [{ op: 'create', record: rec }, { op: 'supersede', id: 'rec_missing', by: rec.id, now: T0 }] }),
        ).rejects.toBeInstanceOf(NotFoundError);
        expect(await a.getRecord(rec.id)).toBeNull();
        expect((await a.getCheckpoint(session.id))?.throughSeq).toBe(0);
      });

      it('failExtraction keeps the checkpoint, stores the error and retries later', async () => {
        const { session, events } = await openInvestigation(a, f);
        await a.failExtraction({ sessionId: session.id, now: T0 + MINUTE, error: 'model timed out', retryAt: T0 + 10 * MINUTE });
        expect(await a.getCheckpoint(session.id)).toMatchObject({ throughSeq: 0, lastRunAt: T0 + MINUTE, lastError: 'model timed out', dueAt: T0 + 10 * MINUTE });
        expect(await store.dueExtractions(T0 + 9 * MINUTE, 10)).toEqual([]);
        expect((await store.dueExtractions(T0 + 10 * MINUTE, 10)).map((c) => c.sessionId)).toEqual([session.id]);
        await a.commitExtraction({ sessionId: session.id, expectedThroughSeq: 0, throughSeq: events[0]!.seq, now: T0 + 11 * MINUTE, dueAt: null, writes: [] });
        expect(await a.getCheckpoint(session.id)).toMatchObject({ lastError: null, lastRunAt: T0 + 11 * MINUTE });
      });

      /** Sessions s1 and s3 of acme and s2 of globex, due at T0 + 30, + 10 and + 20. */
      const threeDueSessions = async () => {
        const [s1, s2, s3] = [f.session(), g.session(), f.session()];
        await a.createSession(s1);
        await b.createSession(s2);
        await a.createSession(s3);
        await a.scheduleExtraction(s1.id, T0 + 30);
        await b.scheduleExtraction(s2.id, T0 + 10);
        await a.scheduleExtraction(s3.id, T0 + 20);
        return { s1, s2, s3 };
      };

      it('scheduleExtraction marks a session due (never later than already due); dueExtractions is ordered and bounded', async () => {
        const { s1, s2, s3 } = await threeDueSessions();
        await a.scheduleExtraction(s3.id, T0 + 25);
        expect((await store.dueExtractions(T0 + 100, 10)).map((c) => [c.tenantId, c.sessionId, c.dueAt])).toEqual([
          ['globex', s2.id, T0 + 10],
          ['acme', s3.id, T0 + 20],
          ['acme', s1.id, T0 + 30],
        ]);
        expect(await store.dueExtractions(T0 + 100, 1)).toHaveLength(1);
        await a.scheduleExtraction(s1.id, T0 + 5);
        expect((await a.getCheckpoint(s1.id))?.dueAt).toBe(T0 + 5);
      });

      it('dueExtractions keeps only the allowed tenants, in due order', async () => {
        const { s1, s2, s3 } = await threeDueSessions();
        expect((await store.dueExtractions(T0 + 100, 10, ['acme'])).map((c) => [c.tenantId, c.sessionId])).toEqual([
          ['acme', s3.id],
          ['acme', s1.id],
        ]);
        expect((await store.dueExtractions(T0 + 100, 1, ['acme'])).map((c) => c.sessionId)).toEqual([s3.id]);
        expect((await store.dueExtractions(T0 + 100, 10, ['globex'])).map((c) => c.sessionId)).toEqual([s2.id]);
        expect(await store.dueExtractions(T0 + 100, 10, ['initech'])).toEqual([]);
        expect(await store.dueExtractions(T0 + 100, 10, [])).toEqual([]);
        expect(await store.dueExtractions(T0 + 100, 10, ['acme', 'globex'])).toHaveLength(3);
        expect(await store.dueExtractions(T0 + 100, 10)).toHaveLength(3);
      });

      it('deleteRecord removes it from reads and search', async () => {
        const { session } = await openInvestigation(a, f);
        const rec = f.record(NS, 'Forget this offshore account');
        await a.commitExtraction({ sessionId: session.id, expectedThroughSeq: 0, throughSeq: 1, now: T0, dueAt: null, writes: [{ op: 'create', record: rec }] });
        expect(await a.deleteRecord(rec.id)).toBe(true);
        expect(await a.deleteRecord(rec.id)).toBe(false);
        expect(await a.getRecord(rec.id)).toBeNull();
        expect(await a.searchRecords({ query: 'offshore', topK: 5 })).toEqual([]);
      });

      describe('listRecords and searchRecords', () => {
        const put = async (records: ReturnType<Fixtures['record']>[]) => {
          const s = f.session();
          await a.createSession(s);
          await a.commitExtraction({ sessionId: s.id, expectedThroughSeq: 0, throughSeq: 1, now: T0, dueAt: null, writes: records.map((record) => ({ op: 'create' as const, record })) });
        };

        it('lists under a namespace prefix segment-wise, newest first, paged, by status', async () => {
          const r1 = f.record('investigations/inv_A/facts', 'one', { createdAt: T0 + 1 });
          const r2 = f.record('investigations/inv_A/reports', 'two', { createdAt: T0 + 2 });
          const r3 = f.record('investigations/inv_AB/facts', 'three', { createdAt: T0 + 3 });
          const r4 = f.record('investigations/inv_A', 'four', { createdAt: T0 + 4, status: 'superseded' });
          const r5 = f.record('actors/alice/preferences', 'five', { createdAt: T0 + 5 });
          await put([r1, r2, r3, r4, r5]);
          const p = await a.listRecords({ namespacePrefix: 'investigations/inv_A', limit: 2 });
          expect(p.total).toBe(3);
          expect(p.items.map((r) => r.id)).toEqual([r4.id, r2.id]);
          const p2 = await a.listRecords({ namespacePrefix: 'investigations/inv_A/', limit: 2, cursor: p.nextCursor });
          expect(p2.items.map((r) => r.id)).toEqual([r1.id]);
          expect(p2.nextCursor).toBeNull();
          expect((await a.listRecords({ namespacePrefix: 'investigations/inv_A', status: 'active', limit: 10 })).items.map((r) => r.id)).toEqual([r2.id, r1.id]);
          expect((await a.listRecords({ namespacePrefix: 'investigations', limit: 10 })).total).toBe(4);
          expect((await a.listRecords({ namespacePrefix: '', limit: 10 })).total).toBe(5);
          expect((await a.listRecords({ namespacePrefix: 'investigations/inv', limit: 10 })).total).toBe(0);
        });

        it('ranks records matching more query terms first, with positive scores', async () => {
          const all3 = f.record(NS, 'TechCorp wired funds to an offshore account in 2024');
          const two = f.record(NS, 'TechCorp opened an offshore subsidiary');
          const one = f.record(NS, 'TechCorp filed its annual report on time');
          const none = f.record(NS, 'The weather was fine');
          await put([one, none, two, all3]);
          const res = await a.searchRecords({ query: 'offshore account techcorp', topK: 10 });
          expect(res.map((s) => s.record.id)).toEqual([all3.id, two.id, one.id]);
          expect(res.every((s) => s.score > 0)).toBe(true);
          expect(res[0]!.score).toBeGreaterThan(res[1]!.score);
          expect(res[1]!.score).toBeGreaterThan(res[2]!.score);
          expect(res[0]!.record).toEqual(all3);
        });

        it('matches case- and accent-insensitively, singular or plural', async () => {
          const r = f.record(NS, 'Meeting at the Café Zürich');
          const t = f.record(NS, 'Two wire transfers and three entries flagged');
          await put([r, t]);
          expect((await a.searchRecords({ query: 'CAFE zurich', topK: 5 })).map((s) => s.record.id)).toEqual([r.id]);
          expect((await a.searchRecords({ query: 'transfer', topK: 5 })).map((s) => s.record.id)).toEqual([t.id]);
          expect((await a.searchRecords({ query: 'entry flags', topK: 5 })).map((s) => s.record.id)).toEqual([t.id]);
        });

        it('searches within a namespace prefix, segment-wise', async () => {
          const inA = f.record('investigations/inv_A/facts', 'bank transfer flagged');
          const inAReports = f.record('investigations/inv_A/reports', 'bank transfer report');
          const inAB = f.record('investigations/inv_AB/facts', 'bank transfer flagged too');
          const actor = f.record('actors/alice/preferences', 'prefers bank transfer summaries');
          await put([inA, inAReports, inAB, actor]);
          const ids = async (namespacePrefix?: string) => (await a.searchRecords({ query: 'bank transfer', namespacePrefix, topK: 10 })).map((s) => s.record.id).sort();
          expect(await ids('investigations/inv_A')).toEqual([inA.id, inAReports.id].sort());
          expect(await ids('investigations/inv_A/')).toEqual([inA.id, inAReports.id].sort());
          expect(await ids('investigations/inv_A/facts')).toEqual([inA.id]);
          expect(await ids('investigations/inv_AB')).toEqual([inAB.id]);
          expect(await ids('investigations')).toEqual([inA.id, inAReports.id, inAB.id].sort());
          expect(await ids('investigations/inv')).toEqual([]);
          expect(await ids(undefined)).toEqual([inA.id, inAReports.id, inAB.id, actor.id].sort());
          expect(await ids('')).toHaveLength(4);
        });

        it('searches a prefix that holds thousands of records exactly as a narrow one (what ranks first under it, and only what lies under it)', async () => {
          // More records under `investigations` than one ranking takes (3,000 in SQLite), so
          // the broad-prefix path runs; a few words are shared with `actors` records.
          const filler = Array.from({ length: 3_050 }, (_, i) => f.record('investigations/inv_A/facts', `ledger entry ${i} of the quarter`, { createdAt: T0 + i }));
          const walrusInv = Array.from({ length: 30 }, (_, i) => f.record(`investigations/inv_${i % 2 ? 'A' : 'B'}/facts`, `walrus ${'sighting '.repeat(i % 5)}logged near the harbour ${i}`));
          const walrusActors = Array.from({ length: 10 }, (_, i) => f.record('actors/alice/preferences', `walrus ${'notes '.repeat(i % 3)}${i}`));
          // Short `zebra` records under actors outrank the long ones under investigations.
          const zebraActors = Array.from({ length: 40 }, (_, i) => f.record('actors/alice/preferences', `zebra ${i}`));
          const zebraInv = Array.from({ length: 3 }, (_, i) => f.record('investigations/inv_B/facts', `a zebra was mentioned once in a long note about the harbour and its many cranes ${i}`));
          for (let i = 0; i < filler.length; i += 1_000) await put(filler.slice(i, i + 1_000));
          await put([...walrusInv, ...walrusActors, ...zebraActors, ...zebraInv]);
          const search = async (query: string, namespacePrefix: string | undefined, topK: number) => (await a.searchRecords({ query, namespacePrefix, topK })).map((s) => s.record);

          // What ranks first under the prefix is what ranks first tenant-wide, kept to the prefix.
          const everywhere = await search('walrus harbour', undefined, 40);
          expect(everywhere).toHaveLength(40);
          const under = await search('walrus harbour', 'investigations', 12);
          expect(under).toHaveLength(12);
          expect(under.map((r) => r.id)).toEqual(everywhere.filter((r) => r.namespace.startsWith('investigations/')).slice(0, 12).map((r) => r.id));
          expect((await search('walrus', 'investigations/inv_B', 20)).map((r) => r.id).sort()).toEqual(walrusInv.filter((r) => r.namespace === 'investigations/inv_B/facts').map((r) => r.id).sort());

          // The best matches lie outside the prefix: still exactly the ones under it.
          expect((await search('zebra', undefined, 5)).every((r) => r.namespace === 'actors/alice/preferences')).toBe(true);
          expect((await search('zebra', 'investigations', 5)).map((r) => r.id).sort()).toEqual(zebraInv.map((r) => r.id).sort());
          expect(await search('zebra', 'actors', 5)).toHaveLength(5);

          // A word in thousands of records under the prefix: topK of them, all under it.
          const ledger = await search('ledger quarter', 'investigations', 7);
          expect(ledger).toHaveLength(7);
          expect(ledger.every((r) => r.namespace === 'investigations/inv_A/facts')).toBe(true);
          expect(await search('ledger', 'actors', 5)).toEqual([]);
        });

        it('excludes superseded records unless asked', async () => {
          const live = f.record(NS, 'auditor is Smith');
          const gone = f.record(NS, 'auditor is Jones', { status: 'superseded', supersededBy: live.id });
          await put([live, gone]);
          expect((await a.searchRecords({ query: 'auditor', topK: 10 })).map((s) => s.record.id)).toEqual([live.id]);
          expect((await a.searchRecords({ query: 'auditor jones', topK: 10, includeSuperseded: true }))[0]!.record.id).toBe(gone.id);
        });

        it('returns at most topK', async () => {
          await put(Array.from({ length: 12 }, (_, i) => f.record(NS, `invoice number ${i} from the supplier`)));
          expect(await a.searchRecords({ query: 'invoice supplier', topK: 5 })).toHaveLength(5);
          expect(await a.searchRecords({ query: 'invoice', topK: 50 })).toHaveLength(12);
          expect(await a.searchRecords({ query: 'invoice', topK: 0 })).toEqual([]);
        });

        it('treats query syntax as plain words and punctuation-only queries as empty', async () => {
          const r = f.record(NS, 'foo bar near the text scope column');
          await put([r]);
          expect(await a.searchRecords({ query: '!!! ... ???', topK: 5 })).toEqual([]);
          expect(await a.searchRecords({ query: '', topK: 5 })).toEqual([]);
          for (const q of ['"foo" OR bar*', 'NEAR(', 'NEAR(foo bar, 2)', 'text:foo', 'scope:foo', '-foo', '^foo', 'foo AND', 'OR', '(((', '"unbalanced', "foo' bar", '*', '{text scope}: foo', 'foo NOT bar']) {
            const res = await a.searchRecords({ query: q, topK: 5 });
            expect(Array.isArray(res), q).toBe(true);
          }
          expect((await a.searchRecords({ query: '"foo" OR bar*', topK: 5 })).map((s) => s.record.id)).toEqual([r.id]);
          expect((await a.searchRecords({ query: 'scope:', topK: 5 })).map((s) => s.record.id)).toEqual([r.id]);
        });
      });
    });

    describe('reports and inbox', () => {
      it('lists reports newest first and the inbox newest first, by investigation, paged', async () => {
        const { inv } = await openInvestigation(a, f);
        const other = await openInvestigation(a, f);
        const task = f.task(inv.id);
        await a.createTask({ task, wait: null, events: [] });
        await store.claimTask(T0, 'w1', MINUTE, ['retrieval']);
        const r1 = f.report(inv.id, { createdAt: T0 + 1, complete: false });
        const r2 = f.report(inv.id, { createdAt: T0 + 2 });
        const items = [f.inboxItem(inv.id, { createdAt: T0 + 1 }), f.inboxItem(other.inv.id, { createdAt: T0 + 2 }), f.inboxItem(inv.id, { createdAt: T0 + 3, kind: 'escalation' })];
        await a.applyTaskOutcome({ taskId: task.id, leaseOwner: 'w1', now: T0 + 3, status: 'completed', reports: [r1, r2], inbox: items });
        expect(await a.listReports(inv.id)).toEqual([r2, r1]);
        expect(await a.listReports(other.inv.id)).toEqual([]);
        const page = await a.listInbox({ limit: 2 });
        expect(page.total).toBe(3);
        expect(page.items.map((i) => i.id)).toEqual([items[2]!.id, items[1]!.id]);
        const next = await a.listInbox({ limit: 2, cursor: page.nextCursor });
        expect(next.items.map((i) => i.id)).toEqual([items[0]!.id]);
        expect(next.nextCursor).toBeNull();
        const mine = await a.listInbox({ investigationIds: [inv.id], limit: 10 });
        expect(mine.items.map((i) => i.id)).toEqual([items[2]!.id, items[0]!.id]);
        expect((await a.listInbox({ investigationIds: [], limit: 10 })).total).toBe(0);
      });
    });

    describe('leases', () => {
      it('are held by one owner until they expire, renewable and releasable', async () => {
        expect(await store.acquireLease('sweep', 'p1', 1000, T0)).toBe(true);
        expect(await store.acquireLease('sweep', 'p2', 1000, T0 + 500)).toBe(false);
        expect(await store.acquireLease('sweep', 'p1', 1000, T0 + 900)).toBe(true); // renewed to T0 + 1900
        expect(await store.acquireLease('sweep', 'p2', 1000, T0 + 1500)).toBe(false);
        expect(await store.acquireLease('other', 'p2', 1000, T0 + 1500)).toBe(true);
        expect(await store.acquireLease('sweep', 'p2', 1000, T0 + 1900)).toBe(true);
        await store.releaseLease('sweep', 'p1'); // not the holder: no effect
        expect(await store.acquireLease('sweep', 'p1', 1000, T0 + 2000)).toBe(false);
        await store.releaseLease('sweep', 'p2');
        expect(await store.acquireLease('sweep', 'p1', 1000, T0 + 2000)).toBe(true);
      });
    });

    describe('kv', () => {
      it('gets, sets, expires and deletes', async () => {
        const key = 't:acme:idem:signal:abc';
        expect(await store.kv.get(key)).toBeUndefined();
        await store.kv.set(key, { signalId: 'sig_1', n: [1, 2] });
        expect(await store.kv.get(key)).toEqual({ signalId: 'sig_1', n: [1, 2] });
        expect(await store.kv.delete(key)).toBe(true);
        expect(await store.kv.get(key)).toBeUndefined();
        expect(await store.kv.delete(key)).toBe(false);
        // Long enough that a loaded machine reads it back before it expires (20 ms was not, on a busy CI).
        await store.kv.set('t:acme:short', 'soon gone', 1_000);
        expect(await store.kv.get('t:acme:short')).toBe('soon gone');
        await new Promise((r) => setTimeout(r, 1_100));
        expect(await store.kv.get('t:acme:short')).toBeUndefined();
      });
    });

    describe('stats', () => {
      it('counts sessions, investigations, waits, tasks, events, records and the extraction backlog across tenants', async () => {
        const empty = await store.stats(T0);
        expect(empty).toEqual({
          sessionsByStatus: { active: 0, idle: 0, terminated: 0 },
          openInvestigations: 0,
          openWaits: [],
          tasksByStatus: { pending: 0, running: 0, waiting: 0, completed: 0, failed: 0, timed_out: 0, cancelled: 0 },
          events: 0,
          records: 0,
          extractionBacklog: { sessions: 0, events: 0 },
        });
        const invId = f.ids('inv');
        const { task, wait } = f.waitingTask(invId, 'bank_data', { wait: { deadline: T0 + DAY } });
        const { inv, session, events } = await openInvestigation(a, f, { investigation: { id: invId }, tasks: [{ task, wait }], events: 2 });
        await a.createTask({ task: f.task(inv.id), wait: null, events: [] });
        const gi = await openInvestigation(b, g, { events: 3 });
        await b.endWork(gi.session.id, T0 + 1);
        const closed = await openInvestigation(b, g, { events: 0 });
        await b.closeInvestigation({ id: closed.inv.id, expectedVersion: 1, now: T0 + 2, outcome: 'cancelled', summary: null, terminationReason: 'cancelled', events: [] });
        await a.commitExtraction({ sessionId: session.id, expectedThroughSeq: 0, throughSeq: events[0]!.seq, now: T0, dueAt: null, writes: [{ op: 'create', record: f.record('x/y', 'a fact') }] });
        await a.appendEvents([f.event({ investigationId: inv.id })]);

        const s = await store.stats(T0 + 3);
        expect(s.sessionsByStatus).toEqual({ active: 1, idle: 1, terminated: 1 });
        expect(s.openInvestigations).toBe(2);
        expect(s.openWaits).toEqual([{ tenantId: 'acme', investigationId: inv.id, taskId: task.id, signal: 'bank_data', deadline: T0 + DAY }]);
        expect(s.tasksByStatus).toMatchObject({ pending: 1, waiting: 1, running: 0 });
        expect(s.events).toBe(2 + 3 + 1);
        expect(s.records).toBe(1);
        expect(s.extractionBacklog).toEqual({ sessions: 2, events: 1 + 3 });
      });
    });

    describe('bounds', () => runBoundsContract(() => store));

    describe('logs', () => runLogContract(() => store));

    describe('when closed', () => {
      it('fails with StorageUnavailableError, never "not found"', async () => {
        await store.close();
        await expect(store.tenant('acme').getInvestigation('inv_x')).rejects.toBeInstanceOf(StorageUnavailableError);
        await expect(store.dueSessions(T0, 10)).rejects.toBeInstanceOf(StorageUnavailableError);
        await expect(store.claimTask(T0, 'w', 1, ['retrieval'])).rejects.toBeInstanceOf(StorageUnavailableError);
      });
    });
  });
}

/** Tenant data of every kind, for isolation tests. */
async function seedTenant(store: StorePort, t: TenantStore, f: Fixtures) {
  const invId = f.ids('inv');
  const { task, wait } = f.waitingTask(invId);
  const { inv, session, events } = await openInvestigation(t, f, { investigation: { id: invId }, tasks: [{ task, wait }], events: 2 });
  await t.deliverSignal({ signal: f.signal(inv.id, { name: 'other' }), events: [] });
  const runner = f.task(inv.id);
  await t.createTask({ task: runner, wait: null, events: [] });
  const claimed = await store.claimTask(T0, 'seed', MINUTE, ['retrieval']);
  if (claimed?.id !== runner.id) throw new Error('seed: expected to claim the seeded task');
  const record = f.record(`investigations/${inv.id}/facts`, 'Quarterly revenue fell', { topicKey: 'revenue' });
  const report = f.report(inv.id, { taskId: runner.id });
  const inbox = f.inboxItem(inv.id, { reportId: report.id });
  await t.applyTaskOutcome({ taskId: runner.id, leaseOwner: 'seed', now: T0 + 1, status: 'completed', reports: [report], inbox: [inbox], records: [record] });
  return { inv, session, task, wait, events, record, report, inbox };
}
