import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BANK_DATA as STORY_BANK_DATA } from '../workers/helpers.js';
import { isDead, runCli, startServer, tempDir, waitFor, type Running } from './harness.js';

const SOURCES = fileURLToPath(new URL('../../fixtures/techcorp', import.meta.url));
const BANK_DATA = { bank: 'Hanse Bank AG', ...STORY_BANK_DATA };

/**
 * The two TechCorp stories through the built server over stdio and the real SDK
 * client, with second-scale timeouts: the bank data arrives after a kill -9 (from
 * the CLI, another process), and the bank data never arrives.
 */
describe('workers over stdio (end to end)', () => {
  const tmp = tempDir('longhaul-e2e-workers-');
  const env = {
    LONGHAUL_IDLE_TIMEOUT: '2s',
    LONGHAUL_SWEEP_INTERVAL: '1s',
    LONGHAUL_EXTRACTION_INTERVAL: '1s',
    LONGHAUL_TASK_LEASE: '5s',
    LONGHAUL_SOURCES: SOURCES,
  };
  let server: Running;
  const readText = async (uri: string) => ((await server.client.readResource({ uri })).contents[0] as { text: string }).text;
  // A resource read is passive: polling it does not keep the supervisor session alive (get_investigation would).
  const state = (investigationId: string) => server.readJson(`longhaul://investigations/${investigationId}`);

  beforeAll(async () => {
    server = await startServer(tmp.dir, env);
  });
  afterAll(async () => {
    await server?.close().catch(() => undefined);
    tmp.cleanup();
  });

  describe('when the bank data arrives after a restart', () => {
    let id: string;
    let complianceTaskId: string;
    let intakeSessionId: string;
    let day0Facts: Array<{ recordId: string; text: string }>;

    it('starts "Investigate TechCorp": retrieval completes with cited findings, compliance waits', async () => {
      const r = await server.call('start_investigation', {
        subject: 'TechCorp',
        objective: 'Check TechCorp GmbH for compliance risks before onboarding',
        tasks: [
          { role: 'retrieval', instructions: 'Search the internal sources for TechCorp, its suppliers and payments' },
          { role: 'compliance', instructions: "Check the bank's data against the AML policy and file a report", waitFor: { signal: 'bank_data', timeout: '30s' } },
        ],
      });
      id = r.investigation.investigationId;
      complianceTaskId = r.tasks.find((t: any) => t.role === 'compliance').taskId;
      const done = await waitFor(async () => {
        const s = await state(id);
        return s.tasks.find((t: any) => t.role === 'retrieval').status === 'completed' && s;
      }, 10_000, 'retrieval to complete');
      const retrieval = done.tasks.find((t: any) => t.role === 'retrieval');
      expect(retrieval.result.findings.length).toBeGreaterThanOrEqual(5);
      // The state may shorten a large result; the task's own resource serves all of it.
      const full = await server.readJson(retrieval.uri);
      expect(full.result.findings.length).toBeGreaterThanOrEqual(retrieval.result.findings.length);
      for (const f of full.result.findings) expect(f.citation).toMatchObject({ file: expect.stringMatching(/^techcorp\//), startLine: expect.any(Number), snippet: expect.any(String) });
      expect(done.findings.some((e: any) => /\(techcorp\/vendors\.csv:\d+\)/.test(e.text))).toBe(true);
      expect(done.tasks.find((t: any) => t.role === 'compliance').status).toBe('waiting');
      expect(done.waits).toEqual([expect.objectContaining({ taskId: complianceTaskId, signal: 'bank_data', status: 'open' })]);
    });

    it("sees the compliance worker's session idle, then terminate by idle timeout, while the wait lives on", async () => {
      const ended = await waitFor(async () => {
        const s = await state(id);
        const w = s.sessions.find((x: any) => x.kind === 'worker' && x.taskId === complianceTaskId);
        return w?.status === 'terminated' && w;
      }, 10_000, 'the compliance session to terminate');
      expect(ended).toMatchObject({ role: 'compliance', terminationReason: 'idle_timeout' });
      intakeSessionId = ended.sessionId;
      const events = await server.readJson(`longhaul://sessions/${intakeSessionId}/events`);
      expect(events.events.some((e: any) => e.kind === 'fact' && /waits for "bank_data"/.test(e.text))).toBe(true);
      // Day 0 in long-term memory: the findings and the intake's notes, extracted as facts.
      const facts = await waitFor(async () => {
        const m = await server.readJson(`longhaul://memory/investigations/${id}/facts`);
        const items = m.records ?? m.items ?? [];
        return items.some((x: any) => /Globex Holdings/.test(x.text)) && items;
      }, 10_000, 'Day-0 facts to be extracted');
      day0Facts = facts.map((x: any) => ({ recordId: x.recordId ?? x.id, text: x.text }));
      expect((await state(id)).tasks.find((t: any) => t.taskId === complianceTaskId).status).toBe('waiting');
    });

    it('survives kill -9; the bank data from the CLI wakes compliance in a new session that remembers Day 0', async () => {
      const pid = server.pid;
      server.kill9();
      await waitFor(async () => isDead(pid), 5_000, 'the server to die');
      await server.close().catch(() => undefined);
      server = await startServer(tmp.dir, env);

      const sent = runCli(['signal', id, 'bank_data', '--data', '-', '--key', 'hanse-2026-10'], { LONGHAUL_DATA_DIR: tmp.dir }, JSON.stringify(BANK_DATA));
      expect(sent.stderr).toBe('');
      expect(sent.code).toBe(0);
      expect(sent.stdout).toMatch(/resolved 1 wait\(s\), woke 1 task\(s\)/);

      // The server finds the woken task on its next poll.
      const done = await waitFor(async () => {
        const s = await state(id);
        return s.tasks.find((t: any) => t.taskId === complianceTaskId).status === 'completed' && s;
      }, 15_000, 'compliance to complete');
      const sessions = done.sessions.filter((s: any) => s.kind === 'worker' && s.taskId === complianceTaskId);
      expect(sessions).toHaveLength(2);
      const wake = sessions.find((s: any) => s.sessionId !== intakeSessionId);
      expect(wake).toMatchObject({ status: 'terminated', terminationReason: 'completed' });
      const opening = (await server.readJson(`longhaul://sessions/${wake.sessionId}/events`)).events[0];
      expect(opening.text).toMatch(/woke: signal/);
      const remembered: Array<{ id: string; text: string }> = opening.data.rehydrated.facts;
      const day0Ids = new Set(day0Facts.map((f) => f.recordId));
      expect(remembered.filter((f) => day0Ids.has(f.id)).length).toBeGreaterThan(0);
      expect(remembered.map((f) => f.text).join('\n')).toMatch(/Globex Holdings/);
    });

    it('files the report with flags citing the sources', async () => {
      const md = await readText(`longhaul://investigations/${id}/report`);
      expect(md).toContain('# Compliance report: TechCorp');
      for (const h of ['## Subject', '## Sources consulted', '## Evidence received', '## Rules applied', '## Flags (4)', '## Conclusion']) expect(md).toContain(h);
      expect(md).toMatch(
        /\*\*Watch list\*\* — EUR 25,000\.00 to Globex Holdings Ltd on 2026-10-11: the counterparty is listed on a watch-list line of the sources\.\n\s+- Evidence: `sig_\w+ payload transactions\[1\]`\n\s+- Rule: techcorp\/vendors\.csv:3\n\s+- Citation: `techcorp\/vendors\.csv:3`/,
      );
      expect(md).toMatch(/\*\*Large transaction\*\* — EUR 25,000\.00 to Globex Holdings Ltd[^\n]*\n[^\n]*\n\s+- Rule: rules file: largeTransaction \(EUR 10,000\)\n\s+- Citation: `techcorp\/policies\/aml-policy\.md:17`/);
      expect(md).toMatch(/## Unchecked \(0\)\n\nNone: every one of the 3 transaction\(s\) was checked against every rule\./);
      expect(md).toMatch(/\*\*Missing document\*\* — Required document "beneficial_ownership"/);
      const s = await state(id);
      expect(s.report).toMatchObject({ uri: `longhaul://investigations/${id}/report`, complete: true });
    });

    it('resume_investigation briefs all of it', async () => {
      // The Day-0 chat ended long ago: its supervisor session timed out.
      expect((await state(id)).sessions.find((x: any) => x.kind === 'supervisor')).toMatchObject({ status: 'terminated', terminationReason: 'idle_timeout' });
      const r = await server.call('resume_investigation', { investigationId: id });
      const b = r.briefing;
      expect(b.text.length).toBeLessThanOrEqual(6_000);
      expect(b.counts).toMatchObject({ tasksFinished: 2, signals: 1, reports: 1, openWaits: 0 });
      expect(b.text).toMatch(/## Reports filed \(1\)\n- Report "Compliance report: TechCorp" \(rpt_\w+\)/);
      expect(b.text).toMatch(/compliance tsk_\w+: completed[^\n]*4 flag\(s\)/);
      expect(b.text).toMatch(/retrieval tsk_\w+: completed[^\n]*cited passage/);
      expect(b.text).toMatch(/"bank_data" at .* from /);
      expect(b.text).toMatch(/## What we know/);
    });
  });

  describe('when the bank data never arrives', () => {
    it('files an incomplete report at the deadline, ends the task timed_out, and shows it in the inbox', async () => {
      const r = await server.call('start_investigation', {
        subject: 'Initech',
        objective: 'Check Initech Services before renewing its contract',
        tasks: [{ role: 'compliance', instructions: "Check Initech's bank data", waitFor: { signal: 'bank_data', timeout: '3s' } }],
      });
      const id = r.investigation.investigationId;
      const s = await waitFor(async () => {
        const x = await state(id);
        return x.tasks[0].status === 'timed_out' && x;
      }, 15_000, 'the task to time out');
      expect(s.waits[0].status).toBe('timed_out');
      expect(s.report).toMatchObject({ complete: false });
      const md = await readText(`longhaul://investigations/${id}/report`);
      expect(md).toContain('# INCOMPLETE compliance report (escalation): Initech');
      expect(md).toMatch(/## What is missing\n\n- Signal `bank_data` — not received by the deadline/);
      const inbox = await server.readJson('longhaul://inbox');
      expect(inbox.items[0]).toMatchObject({ kind: 'escalation', investigationId: id, reportId: s.report.reportId, subject: 'Initech' });
      expect(inbox.items.some((i: any) => i.kind === 'report' && i.subject === 'TechCorp')).toBe(true);
      expect(server.stderr()).not.toMatch(/unexpected error|TypeError|ReferenceError|worker run crashed/);
    });
  });
});

describe('longhaul demo', () => {
  it('runs the whole story from the built CLI and prints the timeline, the report and the inbox', () => {
    const r = runCli(['demo'], {});
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Day 3 — the bank\'s data arrives');
    expect(r.stdout).toMatch(/compliance worker session ses_\w+ is terminated \(idle_timeout\)/);
    expect(r.stdout).toContain('# Compliance report: TechCorp');
    expect(r.stdout).toContain('Citation: `techcorp/vendors.csv:3`');
    expect(r.stdout).toMatch(/\[escalation\] Escalation: Initech/);
    expect(r.stdout).toMatch(/Done in \d+\.\ds\./);
  });
});
