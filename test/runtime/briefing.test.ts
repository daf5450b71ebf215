import { describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { FakeClock } from '../../src/domain/clock.js';
import type { NewEvent } from '../../src/domain/event.js';
import type { InboxItem, Report } from '../../src/domain/report.js';
import { createLogger } from '../../src/logger.js';
import { BRIEFING_MAX_CHARS, BRIEFING_READ_LIMIT, buildBriefing } from '../../src/runtime/briefing.js';
import type { Task } from '../../src/domain/task.js';
import { makeEvent } from '../../src/runtime/event-factory.js';
import { derivedRecordId } from '../../src/memory/ids.js';

const caller = { tenantId: 'acme', actorId: 'alice' };
const HOUR = 3_600_000;

/**
 * Fills the store directly: an investigation with `events` events, `finished` finished
 * tasks, `waiting` tasks with open waits, `reports` filings, signals and facts.
 */
async function bigInvestigation(app: App, clock: FakeClock, n: { events: number; finished: number; waiting: number; reports: number; facts: number }) {
  const t = app.store.tenant('acme');
  const r = await app.runtime.investigations.start(caller, {
    subject: 'TechCorp',
    objective: 'Check TechCorp for compliance risks before onboarding',
    tasks: [
      ...Array.from({ length: n.finished }, (_, i) => ({ role: 'retrieval', instructions: `Search source batch ${i}` })),
      ...Array.from({ length: n.waiting }, (_, i) => ({ role: 'compliance', instructions: `Check account ${i}`, waitFor: { signal: i % 2 ? 'bank_data' : `registry_${i}`, timeout: `${72 + i}h` } })),
    ].slice(0, 20),
  });
  const id = r.investigation.investigationId;
  // start_investigation caps tasks at 20; the rest are delegated.
  for (let i = 20; i < n.finished + n.waiting; i++) {
    const req = i < n.finished ? { role: 'retrieval', instructions: `Search source batch ${i}` } : { role: 'compliance', instructions: `Check account ${i}`, waitFor: { signal: 'bank_data', timeout: `${72 + i}h` } };
    await app.runtime.investigations.delegate(caller, { investigationId: id, ...req });
  }
  const base = { tenantId: 'acme', actorId: 'alice', sessionId: r.sessionId, investigationId: id };
  const kinds = ['message', 'finding', 'status', 'decision'] as const;
  for (let done = 0; done < n.events; ) {
    const batch: NewEvent[] = [];
    for (let i = 0; i < 1_000 && done < n.events; i++, done++) {
      batch.push(makeEvent(app.deps, { ...base, role: 'agent', kind: kinds[done % 4]!, text: `Event ${done}: TechCorp paid Globex Holdings EUR ${done * 10} for procurement services` }));
    }
    await t.appendEvents(batch);
  }
  clock.advance(HOUR);
  // Finish the retrieval tasks through the real claim/outcome path of the store.
  let k = 0;
  for (let task = await app.store.claimTask(clock.now(), 'filler', 60_000, ['retrieval']); task; task = await app.store.claimTask(clock.now(), 'filler', 60_000, ['retrieval'])) {
    const failed = k++ % 5 === 4;
    const reports: Report[] = [];
    const inbox: InboxItem[] = [];
    if (k <= n.reports) {
      const rep: Report = { id: app.deps.ids('rpt'), tenantId: 'acme', investigationId: id, taskId: task.id, complete: k % 2 === 1, title: `Compliance report ${k}: TechCorp`, markdown: `# Report ${k}`, createdAt: clock.now() };
      reports.push(rep);
      inbox.push({ id: app.deps.ids('inb'), tenantId: 'acme', investigationId: id, kind: rep.complete ? 'report' : 'escalation', title: rep.title, detail: 'x', taskId: task.id, reportId: rep.id, createdAt: clock.now() });
    }
    await app.store.tenant('acme').applyTaskOutcome({
      taskId: task.id,
      leaseOwner: 'filler',
      now: clock.now(),
      status: failed ? 'failed' : 'completed',
      result: { summary: `Found ${k} cited passages on TechCorp` },
      error: failed ? 'the document server did not answer' : null,
      reports,
      inbox,
    });
    clock.advance(1_000);
  }
  for (let i = 0; i < 3; i++) await app.runtime.signals.submit(caller, { investigationId: id, signal: `statement_${i}`, payload: { i } });
  // Facts, as extraction would write them.
  const facts = Array.from({ length: n.facts }, (_, i) => {
    const text = `Fact ${i}: Globex Holdings Ltd is a TechCorp supplier on the watch list (vendors.csv:3)`;
    return { op: 'create' as const, record: { id: derivedRecordId('acme', 'facts', `f${i}`), tenantId: 'acme', namespace: `investigations/${id}/facts`, strategy: 'facts' as const, text, textKey: text.toLowerCase(), topicKey: null, status: 'active' as const, supersededBy: null, sourceEventIds: [], sessionId: r.sessionId, investigationId: id, actorId: 'alice', createdAt: clock.now(), updatedAt: clock.now() } };
  });
  await t.commitExtraction({ sessionId: r.sessionId, expectedThroughSeq: (await t.getCheckpoint(r.sessionId))?.throughSeq ?? 0, throughSeq: (await t.getCheckpoint(r.sessionId))?.throughSeq ?? 0, now: clock.now(), dueAt: null, writes: facts });
  return id;
}

describe('resume briefing', () => {
  const make = () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 3, 9));
    const config = loadConfig({ env: { HOME: '/tmp', LONGHAUL_STORE: 'memory' } });
    const app = createApp(config, { clock, logger: createLogger({ level: 'error', write: () => {} }) });
    return { app, clock };
  };

  it('stays within 6,000 characters for an investigation with 10,000 events, listing every open wait, finished task and report', async () => {
    const { app, clock } = make();
    const id = await bigInvestigation(app, clock, { events: 10_000, finished: 12, waiting: 4, reports: 3, facts: 30 });
    const inv = (await app.store.tenant('acme').getInvestigation(id))!;
    const b = await buildBriefing(app.deps, caller, inv, null);
    expect(b.counts.eventsTotal).toBeGreaterThanOrEqual(10_000);
    expect(b.text.length).toBeLessThanOrEqual(BRIEFING_MAX_CHARS);
    const tasks = await app.store.tenant('acme').listTasks(id);
    for (const w of (await app.store.tenant('acme').listWaits(id)).filter((x) => x.status === 'open')) expect(b.text).toContain(`${w.taskId} waits for "${w.signal}" until`);
    for (const task of tasks.filter((x) => x.status === 'completed' || x.status === 'failed')) expect(b.text).toContain(task.id);
    for (const rep of await app.store.tenant('acme').listReports(id)) expect(b.text).toContain(rep.id);
    expect(b.text).toMatch(/## Reports filed \(3; 1 escalation\)/);
    expect(b.text).toContain('INCOMPLETE report (escalation)');
    expect(b.text).toMatch(/## What we know \(30 fact record\(s\) in memory/);
    expect(b.counts).toMatchObject({ tasksFinished: 12, openWaits: 4, openTasks: 4, reports: 3, signals: 3 });
    await app.close();
  });

  it('summarises in counts when the lists are long, never dropping an item unaccounted for', async () => {
    const { app, clock } = make();
    const id = await bigInvestigation(app, clock, { events: 2_000, finished: 150, waiting: 60, reports: 40, facts: 5 });
    const inv = (await app.store.tenant('acme').getInvestigation(id))!;
    const b = await buildBriefing(app.deps, caller, inv, null);
    expect(b.text.length).toBeLessThanOrEqual(BRIEFING_MAX_CHARS);
    const shownAndHidden = (title: RegExp, more: RegExp, line: RegExp) => {
      const section = b.text.split('\n## ').find((s) => title.test(s))!;
      expect(section, `section ${title}`).toBeDefined();
      const shown = section.split('\n').filter((l) => line.test(l)).length;
      const hidden = Number(more.exec(section)?.[1] ?? 0);
      return shown + hidden;
    };
    expect(shownAndHidden(/^Tasks finished \(150\)/, /…and (\d+) more finished/, /^- retrieval tsk_/)).toBe(150);
    expect(shownAndHidden(/^Open tasks \(60\) and waits \(60\)/, /…and (\d+) more not listed/, /^- compliance tsk_.* waits for/)).toBe(60);
    expect(shownAndHidden(/^Reports filed \(40/, /…and (\d+) earlier filing/, /^- (Report|INCOMPLETE)/)).toBe(40);
    expect(b.text).toMatch(/…and \d+ more finished task\(s\): \d+ retrieval completed, \d+ retrieval failed/);
    expect(b.text).toMatch(/…and \d+ more not listed — 60 open wait\(s\) in all \(60 "bank_data"/);
    await app.close();
  });

  it('reads long lists only in part and says so ("showing X of Y"), as the state document does', async () => {
    const { app, clock } = make();
    const r = await app.runtime.investigations.start(caller, { subject: 'TechCorp', objective: 'Check TechCorp', tasks: [{ role: 'compliance', instructions: 'Wait', waitFor: { signal: 'bank_data', timeout: '3d' } }] });
    const id = r.investigation.investigationId;
    const t = app.store.tenant('acme');
    const n = BRIEFING_READ_LIMIT + 10;
    for (let i = 0; i < n; i++) {
      const at = clock.now() + i;
      const task: Task = { id: app.deps.ids('tsk'), tenantId: 'acme', investigationId: id, role: 'retrieval', instructions: `Batch ${i}`, status: 'completed', waitFor: null, wakeReason: 'created', runAt: null, leaseOwner: null, leaseUntil: null, attempts: 1, result: { summary: `batch ${i}` }, error: null, createdBy: 'alice', createdAt: at, updatedAt: at, finishedAt: at, version: 1 };
      await t.createTask({ task, wait: null, events: [] });
    }
    const inv = (await t.getInvestigation(id))!;
    const b = await buildBriefing(app.deps, caller, inv, null);
    expect(b.text.length).toBeLessThanOrEqual(BRIEFING_MAX_CHARS);
    // The open task is read first, then the newest ended ones.
    expect(b.text).toContain(`Long lists, read in part: showing ${BRIEFING_READ_LIMIT + 1} of ${n + 1} tasks (the open ones first, then the newest)`);
    expect(b.text).toMatch(/waits for "bank_data" until/);
    expect(b.counts).toMatchObject({ openTasks: 1, openWaits: 1, tasksFinished: BRIEFING_READ_LIMIT });
    const state = await app.runtime.investigations.get(caller, id);
    expect(state.shown.tasks).toBe(`showing 50 of ${n + 1} tasks (open ones first, then the newest)`);
    expect(state.tasks[0]!.status).toBe('waiting');
    await app.close();
  });

  it('briefs only what happened since the caller\'s last session', async () => {
    const { app, clock } = make();
    const id = await bigInvestigation(app, clock, { events: 10, finished: 3, waiting: 1, reports: 1, facts: 1 });
    const inv = (await app.store.tenant('acme').getInvestigation(id))!;
    const later = await buildBriefing(app.deps, caller, inv, clock.now());
    expect(later.counts).toMatchObject({ tasksFinished: 0, reports: 0, signals: 0, openWaits: 1 });
    expect(later.text).toContain('Nothing has finished, arrived or been filed since then.');
    expect(later.text).toMatch(/waits for "registry_0"/);
    await app.close();
  });
});
