import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDead, runCli, startServer, tempDir, waitFor, type Running } from './harness.js';

/**
 * The built server over stdio, through the real SDK client: sessions idle and time
 * out by the background sweep, a `kill -9` loses nothing, a signal delivered after
 * the restart resolves the wait, and an unanswered wait times out by its deadline.
 */
describe('longhaul serve over stdio (end to end)', () => {
  const tmp = tempDir();
  const env = { LONGHAUL_IDLE_TIMEOUT: '2s', LONGHAUL_SWEEP_INTERVAL: '1s' };
  let server: Running;
  let investigationId: string;
  let sessionId: string;
  let waitingTaskId: string;
  let recordedEventId: string;

  beforeAll(async () => {
    server = await startServer(tmp.dir, env);
  });
  afterAll(async () => {
    await server?.close().catch(() => undefined);
    tmp.cleanup();
  });

  it('lists the tools and starts an investigation with a task waiting for bank_data', async () => {
    const tools = await server.client.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(expect.arrayContaining(['start_investigation', 'submit_signal', 'resume_investigation', 'close_investigation']));
    const r = await server.call('start_investigation', {
      subject: 'TechCorp',
      objective: 'Check TechCorp for compliance risks before onboarding',
      tasks: [
        { role: 'retrieval', instructions: 'Search internal sources for TechCorp' },
        { role: 'compliance', instructions: 'File a report once the bank data arrives', waitFor: { signal: 'bank_data', timeout: '20s' } },
      ],
    });
    investigationId = r.investigation.investigationId;
    sessionId = r.sessionId;
    const waiting = r.tasks.find((t: any) => t.role === 'compliance');
    expect(waiting.status).toBe('waiting');
    waitingTaskId = waiting.taskId;
    expect(r.waits).toHaveLength(1);
    const ev = await server.call('record_event', { investigationId, role: 'assistant', kind: 'decision', text: 'Day 0: waiting for the bank before concluding.' });
    recordedEventId = ev.event.eventId;
  });

  it('sees the supervisor session go idle, then terminated by idle timeout', async () => {
    const idle = await waitFor(async () => {
      const s = await server.readJson(`longhaul://sessions/${sessionId}`);
      return s.session.status === 'idle' && s;
    }, 5_000, 'session idle');
    expect(idle.session.idleTimeout).toBe('2s');
    const ended = await waitFor(async () => {
      const s = await server.readJson(`longhaul://sessions/${sessionId}`);
      return s.session.status === 'terminated' && s;
    }, 10_000, 'session terminated');
    expect(ended.session.terminationReason).toBe('idle_timeout');
  });

  it('loses nothing on kill -9 and resolves the wait when bank_data arrives after the restart', async () => {
    const before = await server.call('get_investigation', { investigationId });
    const pid = server.pid;
    server.kill9();
    await waitFor(async () => isDead(pid), 5_000, 'server process to die');
    await server.close().catch(() => undefined);

    server = await startServer(tmp.dir, env);
    const after = await server.call('get_investigation', { investigationId });
    expect(after.investigation).toEqual(before.investigation);
    expect(after.tasks).toEqual(before.tasks);
    expect(after.waits).toEqual(before.waits);
    expect(after.sessions.find((s: any) => s.sessionId === sessionId).terminationReason).toBe('idle_timeout');
    const timeline = await server.readJson(`longhaul://investigations/${investigationId}/timeline`);
    expect(timeline.events.map((e: any) => e.eventId)).toContain(recordedEventId);

    const sig = await server.call('submit_signal', { investigationId, signal: 'bank_data', payload: { account: 'TC-001', transactions: [{ amount: 25000, counterparty: 'Globex' }] }, idempotencyKey: 'bank-2026-11-25' });
    expect(sig.duplicate).toBe(false);
    expect(sig.resolvedWaits).toHaveLength(1);
    expect(sig.resolvedWaits[0].status).toBe('resolved');
    expect(sig.wokenTasks.map((t: any) => t.taskId)).toEqual([waitingTaskId]);

    const again = await server.call('submit_signal', { investigationId, signal: 'bank_data', payload: { replay: true }, idempotencyKey: 'bank-2026-11-25' });
    expect(again.duplicate).toBe(true);
    expect(again.signal.signalId).toBe(sig.signal.signalId);
    const state = await server.call('get_investigation', { investigationId });
    expect(state.signals).toHaveLength(1);
    expect(state.waits[0].status).toBe('resolved');
  });

  it('times out a second investigation whose wait has a short deadline', async () => {
    const r = await server.call('start_investigation', {
      subject: 'Initech',
      objective: 'Wait briefly for the registry extract',
      tasks: [{ role: 'compliance', instructions: 'Needs the registry extract', waitFor: { signal: 'registry_extract', timeout: '3s' } }],
    });
    const id = r.investigation.investigationId;
    const timedOut = await waitFor(async () => {
      const s = await server.call('get_investigation', { investigationId: id });
      return s.tasks[0].status === 'timed_out' && s;
    }, 10_000, 'task timed_out');
    expect(timedOut.waits[0].status).toBe('timed_out');
    const timeline = await server.readJson(`longhaul://investigations/${id}/timeline`);
    expect(timeline.events.some((e: any) => e.kind === 'status' && /passed its deadline/.test(e.text))).toBe(true);
  });

  it('delivers a signal from the CLI while the server runs, and `status` reads the store', async () => {
    const r = await server.call('delegate_task', { investigationId, role: 'compliance', instructions: 'Check the KYC file', waitFor: { signal: 'kyc_file', timeout: '1h' } });
    expect(r.task.status).toBe('waiting');
    const cliEnv = { LONGHAUL_DATA_DIR: tmp.dir };
    const status = runCli(['status'], cliEnv);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/open waits: 1/);
    expect(status.stdout).toContain('kyc_file');
    const sent = runCli(['signal', investigationId, 'kyc_file', '--data', '-'], cliEnv, JSON.stringify({ documents: ['passport'] }));
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/resolved 1 wait/);
    const state = await server.call('get_investigation', { investigationId });
    expect(state.tasks.find((t: any) => t.taskId === r.task.taskId).status).not.toBe('waiting');
  });

  it('answers bad input with isError and stays up', async () => {
    const bad = await server.callRaw('delegate_task', { investigationId, role: 'compliance', instructions: 'x', waitFor: { signal: 'bank_data', timeout: '3 dayz' } });
    expect(bad.isError).toBe(true);
    expect(JSON.stringify(bad.content)).toMatch(/3 dayz/);
    const ok = await server.call('list_investigations', {});
    expect(ok.total).toBe(2);
    expect(server.stderr()).not.toMatch(/unexpected error|TypeError|ReferenceError/);
  });
});

describe('longhaul CLI', () => {
  it('answers unknown commands and flags with usage, not a stack trace', () => {
    const a = runCli(['frobnicate'], {});
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/Unknown command "frobnicate"/);
    expect(a.stderr).toMatch(/Usage:/);
    expect(a.stderr).not.toMatch(/at .*\.js:\d+/);
    const b = runCli(['status', '--no-such-flag'], {});
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/Unknown option '--no-such-flag'/);
  });
  it('answers an unreadable --data file with usage help, not a stack trace', () => {
    const r = runCli(['signal', 'inv_01M89XAQZ6XX6VZQWNEPKX5HT4Q3KT', 'bank_data', '--data', '/nonexistent/bank.json'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--data \/nonexistent\/bank.json: cannot read it \(ENOENT\)/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });
  it('refuses a bad configuration naming the setting', () => {
    const r = runCli(['status'], { LONGHAUL_IDLE_TIMEOUT: '3 dayz' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/idle-timeout \(LONGHAUL_IDLE_TIMEOUT="3 dayz"\)/);
  });
});
