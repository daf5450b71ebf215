/**
 * What the archive tests share: a store filled with every kind of row, and a view of a
 * store's rows that two stores can be compared by field by field (seqs as positions:
 * an import renumbers them, keeping the order).
 */
import { createHash } from 'node:crypto';
import { FakeClock } from '../../src/domain/clock.js';
import type { ArchiveRow } from '../../src/store/archive/types.js';
import type { StorePort } from '../../src/store/port.js';
import { DAY, fixtures, HOUR, openInvestigation, T0 } from '../contract/fixtures.js';

export const clock = new FakeClock(T0 + DAY);

/** A file of `size` pseudo-random bytes (deterministic per seed). */
export function bytes(size: number, seed: string): Uint8Array {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(seed).digest();
  for (let i = 0; i < size; i += block.length) {
    block.copy(out, i, 0, Math.min(block.length, size - i));
    block = createHash('sha256').update(block).digest();
  }
  return new Uint8Array(out);
}

/**
 * Fills `store` for `tenantId`: investigations (one closed, one overdue), sessions,
 * tasks (pending, waiting with its wait, completed with a report and an inbox item),
 * signals with attachments (one over a megabyte: several archive lines), events,
 * extracted records with sources, a checkpoint part-way, an erasure receipt.
 */
export async function fill(store: StorePort, tenantId: string) {
  const f = fixtures(tenantId);
  const t = store.tenant(tenantId);
  const a = await openInvestigation(t, f, { events: 3, investigation: { subject: `Acme of ${tenantId}`, deadline: T0 + HOUR } });
  const wt = f.waitingTask(a.inv.id, 'bank_data');
  await t.createTask({ task: wt.task, wait: wt.wait, events: [f.event({ investigationId: a.inv.id, text: 'delegated compliance' })] });
  const pendingTask = f.task(a.inv.id, { instructions: 'search the ledger', runAt: T0 });
  await t.createTask({ task: pendingTask, wait: null, events: [] });
  const claimed = await store.claimTask(T0 + 1, 'worker-1', 60_000, ['retrieval'], [tenantId]);
  if (!claimed) throw new Error('nothing claimed');
  const report = f.report(a.inv.id, { taskId: claimed.id, markdown: `# Report for ${tenantId}\n\nTransfers of 9,400 EUR flagged.` });
  await t.applyTaskOutcome({
    taskId: claimed.id,
    leaseOwner: 'worker-1',
    now: T0 + 2,
    status: 'completed',
    result: { findings: [{ file: 'ledger.csv', line: 4 }] },
    reports: [report],
    inbox: [f.inboxItem(a.inv.id, { reportId: report.id, taskId: claimed.id })],
    events: [f.event({ investigationId: a.inv.id, sessionId: null, kind: 'status', role: 'agent', actorId: 'worker:retrieval', text: 'retrieval completed' })],
  });
  const files = [f.attachment(0, 'statement.csv', 'date,amount\n2026-01-02,9400\n', 'text/csv'), f.attachment(1, 'scan.pdf', bytes(1_300_000, tenantId), 'application/pdf')];
  const sig = f.signalWithFiles(a.inv.id, files, { idempotencyKey: 'bank-1', payload: { accounts: [1, 2], note: 'ü ✓' } });
  await t.deliverSignal({ signal: sig.signal, attachments: sig.attachments, events: [f.event({ investigationId: a.inv.id, kind: 'signal', role: 'system', text: 'bank_data arrived' })] });
  await t.deliverSignal({ signal: f.signal(a.inv.id, { name: 'note', payload: null }), events: [] });
  await t.markOverdue({ id: a.inv.id, now: T0 + 2 * HOUR, events: [], inbox: [f.inboxItem(a.inv.id, { kind: 'overdue', title: 'Overdue' })] });

  const appended = await t.appendEvents([
    f.event({ sessionId: a.session.id, investigationId: a.inv.id, kind: 'finding', text: `${tenantId} ledger shows transfers of 9,400 EUR`, data: { key: 'ledger', n: 1 } }),
    f.event({ sessionId: a.session.id, investigationId: a.inv.id, kind: 'preference', text: 'Reports in English please', data: null }),
    f.event({ sessionId: a.session.id, investigationId: a.inv.id, kind: 'message', text: 'later message, not extracted yet' }),
  ]);
  const [finding, pref] = appended;
  await t.commitExtraction({
    sessionId: a.session.id,
    expectedThroughSeq: 0,
    throughSeq: pref!.seq,
    now: T0 + 3 * HOUR,
    dueAt: T0 + 4 * HOUR,
    writes: [
      { op: 'create', record: f.record(`investigations/${a.inv.id}/facts`, finding!.text, { sourceEventIds: [finding!.id, a.events[0]!.id], investigationId: a.inv.id, sessionId: a.session.id, topicKey: 'ledger' }) },
      { op: 'create', record: f.record('actors/alice/preferences', pref!.text, { strategy: 'preferences', sourceEventIds: [pref!.id] }) },
    ],
  });

  const b = await openInvestigation(t, f, { events: 1, investigation: { subject: 'Closed one' } });
  await t.closeInvestigation({ id: b.inv.id, expectedVersion: b.inv.version, now: T0 + 5 * HOUR, outcome: 'completed', summary: 'done', terminationReason: 'completed', events: [] });
  await t.saveErasure({
    id: f.ids('era'),
    tenantId,
    subject: { kind: 'actor', actorId: 'mallory' },
    requestedBy: 'admin',
    createdAt: T0 + 6 * HOUR,
    counts: { events: 2, recordsDeleted: 1, recordsRevised: 0, summariesRewritten: 0, changeLogRows: 0, kvEntries: 0, memoryEvents: 0, memoryRecords: 0 },
  });
  return { a, b, report, sig };
}

/** Every row of `store` (of `tenants`), as exported. */
export async function rowsOf(store: StorePort, tenants?: string[]): Promise<ArchiveRow[]> {
  const out: ArchiveRow[] = [];
  for await (const r of store.exportRows(tenants ? { tenants } : {})) out.push(r);
  return out;
}

/**
 * The rows in a form two stores compare by: each event's seq replaced by its position
 * among its tenant's events, each checkpoint's throughSeq by how many of its session's
 * events it covers, attachments' bytes as base64; sorted within each type.
 */
export function comparable(rows: readonly ArchiveRow[]) {
  const events = rows.filter((r): r is Extract<ArchiveRow, { t: 'event' }> => r.t === 'event').map((r) => r.row);
  const position = new Map<string, number>();
  const perTenant = new Map<string, number>();
  for (const e of [...events].sort((x, y) => x.seq - y.seq)) {
    const n = perTenant.get(e.tenantId) ?? 0;
    perTenant.set(e.tenantId, n + 1);
    position.set(`${e.tenantId}/${e.id}`, n);
  }
  const out: Record<string, unknown[]> = {};
  for (const r of rows) {
    let v: unknown = r.row;
    if (r.t === 'event') v = { ...r.row, seq: position.get(`${r.row.tenantId}/${r.row.id}`) };
    if (r.t === 'checkpoint') {
      const cp = r.row;
      v = { ...cp, throughSeq: events.filter((e) => e.tenantId === cp.tenantId && e.sessionId === cp.sessionId && e.seq <= cp.throughSeq).length };
    }
    if (r.t === 'attachment') v = { ...r.row, content: Buffer.from(r.row.content).toString('base64') };
    (out[r.t] ??= []).push(v);
  }
  const keyOf = (x: unknown) => JSON.stringify(x);
  for (const k of Object.keys(out)) out[k]!.sort((x, y) => (keyOf(x) < keyOf(y) ? -1 : 1));
  return out;
}
