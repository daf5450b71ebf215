/**
 * Bounded listings and per-investigation signal limits, part of the StorePort contract
 * (runStoreContract calls this inside its describe).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/domain/errors.js';
import { SignalLimitError, signalBytes } from '../../src/domain/signal-limits.js';
import { INVESTIGATION_LIST_DEFAULT, type Page, type StorePort, type TenantStore } from '../../src/store/port.js';
import { DAY, fixtures, openInvestigation, T0, type Fixtures } from './fixtures.js';

export function runBoundsContract(store: () => StorePort): void {
  let a: TenantStore;
  let f: Fixtures;
  beforeEach(() => {
    a = store().tenant('acme');
    f = fixtures('acme');
  });

  describe('event counts', () => {
    it('count at most totalCap events when asked, and say the count stopped there', async () => {
      const { inv, session } = await openInvestigation(a, f);
      await a.appendEvents(Array.from({ length: 7 }, () => f.event({ sessionId: session.id, investigationId: inv.id, kind: 'finding' })));
      const all = await a.listEvents({ investigationId: inv.id, kinds: ['finding'], limit: 2 });
      expect(all.total).toBe(7);
      expect(all.totalCapped).toBeUndefined();
      const capped = await a.listEvents({ investigationId: inv.id, kinds: ['finding'], limit: 2, totalCap: 5 });
      expect(capped).toMatchObject({ total: 5, totalCapped: true });
      expect(capped.items).toHaveLength(2);
      expect(await a.listEvents({ investigationId: inv.id, kinds: ['finding'], limit: 2, totalCap: 50 })).toMatchObject({ total: 7, totalCapped: false });
    });
  });

  describe('tenant-wide list counts', () => {
    /**
     * Seven rows match `page` (plus, where the filter can, some that do not): uncapped the
     * count is exact and unflagged; under a cap of 5 it stops there, on every page, with
     * the page itself untouched; at or over the count it is exact again.
     */
    async function expectCappedCounts<T extends { id: string }>(page: (q: { limit: number; cursor?: string | null; totalCap?: number }) => Promise<Page<T>>) {
      const all = await page({ limit: 3 });
      expect(all.total).toBe(7);
      expect(all.totalCapped).toBeUndefined();
      const capped = await page({ limit: 3, totalCap: 5 });
      expect(capped).toMatchObject({ total: 5, totalCapped: true });
      expect(capped.items.map((x) => x.id)).toEqual(all.items.map((x) => x.id));
      expect(capped.nextCursor).toBe(all.nextCursor);
      const next = await page({ limit: 3, cursor: capped.nextCursor, totalCap: 5 });
      expect(next).toMatchObject({ total: 5, totalCapped: true });
      expect(next.items).toHaveLength(3);
      expect(await page({ limit: 3, totalCap: 50 })).toMatchObject({ total: 7, totalCapped: false });
      expect(await page({ limit: 3, totalCap: 8 })).toMatchObject({ total: 7, totalCapped: false });
      // Exactly the cap: "at least 7" is all a count that stopped there can say.
      expect(await page({ limit: 3, totalCap: 7 })).toMatchObject({ total: 7, totalCapped: true });
    }

    it('count investigations up to totalCap, with the status and query filters', async () => {
      for (let i = 0; i < 9; i++) await openInvestigation(a, f, { investigation: { createdAt: T0 + i, subject: i < 7 ? `Globex ${i}` : `TechCorp ${i}` } });
      await expectCappedCounts((q) => a.listInvestigations({ ...q, status: 'open', query: 'globex' }));
    });

    it('count records under a prefix up to totalCap, with the status filter', async () => {
      const s = f.session();
      await a.createSession(s);
      const records = [
        ...Array.from({ length: 7 }, (_, i) => f.record('investigations/inv_A/facts', `fact ${i}`, { createdAt: T0 + i })),
        f.record('investigations/inv_A/facts', 'old fact', { createdAt: T0 + 20, status: 'superseded' }),
        f.record('investigations/inv_B/facts', 'elsewhere', { createdAt: T0 + 21 }),
      ];
      await a.commitExtraction({ sessionId: s.id, expectedThroughSeq: 0, throughSeq: 1, now: T0, dueAt: null, writes: records.map((record) => ({ op: 'create' as const, record })) });
      await expectCappedCounts((q) => a.listRecords({ ...q, namespacePrefix: 'investigations/inv_A', status: 'active' }));
    });

    it('count inbox items up to totalCap, for some investigations', async () => {
      const { inv } = await openInvestigation(a, f);
      const other = await openInvestigation(a, f);
      const task = f.task(inv.id);
      await a.createTask({ task, wait: null, events: [] });
      await store().claimTask(T0, 'w', 60_000, [task.role]);
      const inbox = [...Array.from({ length: 7 }, (_, i) => f.inboxItem(inv.id, { createdAt: T0 + i })), f.inboxItem(other.inv.id, { createdAt: T0 + 20 })];
      await a.applyTaskOutcome({ taskId: task.id, leaseOwner: 'w', now: T0, status: 'completed', inbox });
      await expectCappedCounts((q) => a.listInbox({ ...q, investigationIds: [inv.id] }));
      expect(await a.listInbox({ limit: 1, totalCap: 5 })).toMatchObject({ total: 5, totalCapped: true });
    });
  });

  describe('per-investigation listings', () => {
    it('list tasks oldest or newest first, open or ended, up to a limit', async () => {
      const { inv } = await openInvestigation(a, f);
      const made = [];
      for (let i = 0; i < 6; i++) {
        const task = f.task(inv.id, { createdAt: T0 + i, status: i % 2 ? 'completed' : 'pending', finishedAt: i % 2 ? T0 + i : null });
        await a.createTask({ task, wait: null, events: [] });
        made.push(task.id);
      }
      expect((await a.listTasks(inv.id)).map((t) => t.id)).toEqual(made);
      expect((await a.listTasks(inv.id, { limit: 2 })).map((t) => t.id)).toEqual(made.slice(0, 2));
      expect((await a.listTasks(inv.id, { order: 'desc', limit: 2 })).map((t) => t.id)).toEqual([made[5], made[4]]);
      expect((await a.listTasks(inv.id, { open: true })).map((t) => t.id)).toEqual([made[0], made[2], made[4]]);
      expect((await a.listTasks(inv.id, { open: false, order: 'desc', limit: 2 })).map((t) => t.id)).toEqual([made[5], made[3]]);
      expect(await a.listTasks(inv.id, { limit: 0 })).toEqual([]);
    });

    it(`return at most ${INVESTIGATION_LIST_DEFAULT} items when no limit is given`, async () => {
      const { inv } = await openInvestigation(a, f);
      for (let i = 0; i <= INVESTIGATION_LIST_DEFAULT; i++) await a.createTask({ task: f.task(inv.id, { createdAt: T0 + i }), wait: null, events: [] });
      const listed = await a.listTasks(inv.id);
      expect(listed).toHaveLength(INVESTIGATION_LIST_DEFAULT);
      expect(listed[0]!.createdAt).toBe(T0);
      expect((await a.countInvestigation(inv.id)).tasks).toBe(INVESTIGATION_LIST_DEFAULT + 1);
      expect(await a.listTasks(inv.id, { limit: INVESTIGATION_LIST_DEFAULT + 1 })).toHaveLength(INVESTIGATION_LIST_DEFAULT + 1);
    });

    it('list waits open or ended, of one task, newest or oldest first', async () => {
      const { inv } = await openInvestigation(a, f);
      const x = f.waitingTask(inv.id, 'bank_data', { task: { createdAt: T0 }, wait: { createdAt: T0 } });
      const y = f.waitingTask(inv.id, 'registry_data', { task: { createdAt: T0 + 1 }, wait: { createdAt: T0 + 1 } });
      for (const w of [x, y]) await a.createTask({ ...w, events: [] });
      await a.deliverSignal({ signal: f.signal(inv.id, { name: 'registry_data' }), events: [] });
      expect((await a.listWaits(inv.id)).map((w) => w.id)).toEqual([x.wait.id, y.wait.id]);
      expect((await a.listWaits(inv.id, { order: 'desc', limit: 1 })).map((w) => w.id)).toEqual([y.wait.id]);
      expect((await a.listWaits(inv.id, { open: true })).map((w) => w.id)).toEqual([x.wait.id]);
      expect((await a.listWaits(inv.id, { open: false })).map((w) => w.id)).toEqual([y.wait.id]);
      expect((await a.listWaits(inv.id, { taskId: y.task.id })).map((w) => w.id)).toEqual([y.wait.id]);
      expect(await a.listWaits(inv.id, { taskId: 'tsk_none' })).toEqual([]);
    });

    it('list signals by arrival in either order up to a limit, each with its files', async () => {
      const { inv } = await openInvestigation(a, f);
      const s1 = f.signalWithFiles(inv.id, [f.attachment(0, 'a.csv', 'x;y\n1;2\n', 'text/csv')], { receivedAt: T0 + 1 });
      const s2 = f.signal(inv.id, { receivedAt: T0 + 2, name: 'registry_data' });
      const s3 = f.signalWithFiles(inv.id, [f.attachment(0, 'b.txt', 'b'), f.attachment(1, 'c.txt', 'cc')], { receivedAt: T0 + 3 });
      for (const s of [s1, { signal: s2 }, s3]) await a.deliverSignal({ ...s, events: [] });
      expect((await a.listSignals(inv.id)).map((s) => s.id)).toEqual([s1.signal.id, s2.id, s3.signal.id]);
      const newest = await a.listSignals(inv.id, undefined, { order: 'desc', limit: 2 });
      expect(newest).toEqual([s3.signal, s2]);
      expect(await a.listSignals(inv.id, 'bank_data', { order: 'desc', limit: 1 })).toEqual([s3.signal]);
      expect(await a.listSignals(inv.id, 'bank_data', { limit: 1 })).toEqual([s1.signal]);
    });

    it('gets one signal with its files; not another tenant’s', async () => {
      const { inv } = await openInvestigation(a, f);
      const s = f.signalWithFiles(inv.id, [f.attachment(0, 'a.csv', 'x;y\n', 'text/csv')]);
      await a.deliverSignal({ ...s, events: [] });
      expect(await a.getSignal(s.signal.id)).toEqual(s.signal);
      expect(await a.getSignal('sig_none')).toBeNull();
      expect(await store().tenant('globex').getSignal(s.signal.id)).toBeNull();
    });

    it('list reports newest first (or oldest) up to a limit', async () => {
      const { inv } = await openInvestigation(a, f);
      const { task } = f.waitingTask(inv.id);
      await a.createTask({ task: { ...task, status: 'pending', runAt: T0, waitFor: null }, wait: null, events: [] });
      await store().claimTask(T0, 'w', 60_000, [task.role]);
      const reports = [0, 1, 2].map((i) => f.report(inv.id, { createdAt: T0 + i }));
      await a.applyTaskOutcome({ taskId: task.id, leaseOwner: 'w', now: T0, status: 'completed', reports });
      expect((await a.listReports(inv.id)).map((r) => r.id)).toEqual([reports[2]!.id, reports[1]!.id, reports[0]!.id]);
      expect((await a.listReports(inv.id, { limit: 1 })).map((r) => r.id)).toEqual([reports[2]!.id]);
      expect((await a.listReports(inv.id, { order: 'asc', limit: 2 })).map((r) => r.id)).toEqual([reports[0]!.id, reports[1]!.id]);
    });

    it('counts what an investigation holds without loading it', async () => {
      const { inv } = await openInvestigation(a, f);
      const other = await openInvestigation(a, f);
      expect(await a.countInvestigation(inv.id)).toEqual({ tasks: 0, openTasks: 0, waits: 0, openWaits: 0, signals: 0, signalBytes: 0, reports: 0 });
      const w = f.waitingTask(inv.id);
      await a.createTask({ ...w, events: [] });
      await a.createTask({ task: f.task(inv.id), wait: null, events: [] });
      await a.createTask({ task: f.task(other.inv.id), wait: null, events: [] });
      const files = [f.attachment(0, 'a.txt', 'hello')];
      await a.deliverSignal({ ...f.signalWithFiles(inv.id, files, { payload: { k: 'v' }, name: 'registry_data' }), events: [] });
      // Resolves the wait; its task becomes pending (still open).
      await a.deliverSignal({ signal: f.signal(inv.id, { payload: null }), events: [] });
      const counts = await a.countInvestigation(inv.id);
      expect(counts).toEqual({ tasks: 2, openTasks: 2, waits: 1, openWaits: 0, signals: 2, signalBytes: signalBytes({ k: 'v' }, [5]), reports: 0 });
      expect(counts.signalBytes).toBe('{"k":"v"}'.length + 5);
      expect(await store().tenant('globex').countInvestigation(inv.id)).toMatchObject({ tasks: 0, signals: 0 });
    });
  });

  describe('signal limits per investigation', () => {
    const limits = { count: 3, bytes: 1_000 };

    it('refuses the signal beyond the count, writing nothing, resolving nothing', async () => {
      const { inv } = await openInvestigation(a, f);
      for (let i = 0; i < 3; i++) await a.deliverSignal({ signal: f.signal(inv.id, { name: `s${i}` }), events: [], limits });
      const w = f.waitingTask(inv.id, 'late');
      await a.createTask({ ...w, events: [] });
      const refused = a.deliverSignal({ signal: f.signal(inv.id, { name: 'late' }), events: [f.event({ investigationId: inv.id })], limits });
      await expect(refused).rejects.toBeInstanceOf(SignalLimitError);
      await expect(refused).rejects.toBeInstanceOf(InvalidInputError);
      await expect(refused).rejects.toMatchObject({ limit: 'count', max: 3, held: { count: 3 } });
      expect(await a.listSignals(inv.id)).toHaveLength(3);
      expect((await a.getWait(w.wait.id))?.status).toBe('open');
      expect((await a.listEvents({ investigationId: inv.id, limit: 10 })).total).toBe(1);
      expect((await a.countInvestigation(inv.id)).signals).toBe(3);
      // Another investigation has its own count.
      const other = await openInvestigation(a, f);
      expect((await a.deliverSignal({ signal: f.signal(other.inv.id), events: [], limits })).duplicate).toBe(false);
    });

    it('refuses the signal whose payload and files would pass the bytes', async () => {
      const { inv } = await openInvestigation(a, f);
      const payload = { text: 'x'.repeat(500) };
      await a.deliverSignal({ signal: f.signal(inv.id, { payload }), events: [], limits });
      const held = signalBytes(payload, []);
      const big = f.signalWithFiles(inv.id, [f.attachment(0, 'big.bin', new Uint8Array(1_000 - held + 1))], { payload: null });
      await expect(a.deliverSignal({ ...big, events: [], limits })).rejects.toMatchObject({ limit: 'bytes', max: 1_000, held: { count: 1, bytes: held }, adding: 1_000 - held + 1 });
      const fits = f.signalWithFiles(inv.id, [f.attachment(0, 'fits.bin', new Uint8Array(1_000 - held))], { payload: null });
      await a.deliverSignal({ ...fits, events: [], limits });
      expect(await a.countInvestigation(inv.id)).toMatchObject({ signals: 2, signalBytes: 1_000 });
    });

    it('still answers a repeated idempotency key as a duplicate when the investigation is full', async () => {
      const { inv } = await openInvestigation(a, f);
      const first = f.signal(inv.id, { idempotencyKey: 'mail-1' });
      await a.deliverSignal({ signal: first, events: [], limits: { count: 1, bytes: 1_000 } });
      const again = await a.deliverSignal({ signal: f.signal(inv.id, { idempotencyKey: 'mail-1' }), events: [], limits: { count: 1, bytes: 1_000 } });
      expect(again).toMatchObject({ duplicate: true, signal: first });
      await expect(a.deliverSignal({ signal: f.signal(inv.id), events: [], limits: { count: 1, bytes: 1_000 } })).rejects.toBeInstanceOf(SignalLimitError);
    });

    it('gives the last slot to one of two deliveries racing for it', async () => {
      const { inv } = await openInvestigation(a, f);
      await a.deliverSignal({ signal: f.signal(inv.id), events: [], limits });
      await a.deliverSignal({ signal: f.signal(inv.id), events: [], limits });
      const race = await Promise.allSettled([0, 1, 2].map(() => a.deliverSignal({ signal: f.signal(inv.id, { receivedAt: T0 + DAY }), events: [], limits })));
      expect(race.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(race.filter((r) => r.status === 'rejected' && r.reason instanceof SignalLimitError)).toHaveLength(2);
      expect((await a.countInvestigation(inv.id)).signals).toBe(3);
    });

    it('counts without limits when none are given', async () => {
      const { inv } = await openInvestigation(a, f);
      for (let i = 0; i < 5; i++) await a.deliverSignal({ signal: f.signal(inv.id), events: [] });
      expect((await a.countInvestigation(inv.id)).signals).toBe(5);
    });
  });
}
