import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BedrockAgentCoreClient, InvokeAgentRuntimeCommand } from '@aws-sdk/client-bedrock-agentcore';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { FakeClock } from '../../src/domain/clock.js';
import type { MemoryEvent } from '../../src/domain/event.js';
import { createLogger } from '../../src/logger.js';
import { loadTenantSettings } from '../../src/tenants.js';
import { runtimeSessionIdFor, stopClientToken } from '../../src/workers/agentcore-contract.js';
import { agentCoreRole, isAgentCoreRole } from '../../src/workers/agentcore-runtime.js';
import { startAgentCoreStub, type AgentCoreStub } from '../support/agentcore-stub/index.js';
import { BANK_DATA, roleContext } from './helpers.js';

const ENV_ARN = 'arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/compliance_shared-AbCdEf1234';
const ACME_ARN = 'arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/compliance_acme-ZyXwVu9876';
const MISSING_ARN = 'arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/not_deployed-0000000000';
const acme = { tenantId: 'acme', actorId: 'alice' };
const HOUR = 3_600_000;

type Handler = (payload: any, ctx: { runtimeSessionId: string }) => unknown;

/** The SDK client at the stub: static test credentials, 3 attempts (the SDK's standard retry strategy and its backoff). */
const stubClient = (url: string) =>
  new BedrockAgentCoreClient({
    region: 'us-east-1',
    endpoint: url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 3,
  });

describe('worker roles on AgentCore Runtime', () => {
  let stub: AgentCoreStub;
  // What each deployed agent does; a test sets it.
  const agents: Record<string, Handler> = {};
  let dir: string;
  let clock: FakeClock;
  let app: App;

  beforeAll(async () => {
    stub = await startAgentCoreStub({
      agents: [ENV_ARN, ACME_ARN].map((arn) => ({ arn, handler: (p: unknown, c: { runtimeSessionId: string }) => agents[arn]!(p, c) })),
    });
  });
  afterAll(async () => {
    await stub.close();
  });

  const make = (env: Record<string, string>, tenants: unknown) => {
    const tenantsFile = join(dir, 'tenants.json');
    writeFileSync(tenantsFile, JSON.stringify(tenants));
    const config = loadConfig({
      env: {
        HOME: '/tmp',
        LONGHAUL_STORE: 'sqlite',
        LONGHAUL_DATA_DIR: dir,
        LONGHAUL_TENANT: 'acme',
        LONGHAUL_TENANTS_FILE: tenantsFile,
        LONGHAUL_TASK_MAX_ATTEMPTS: '2',
        LONGHAUL_IDLE_TIMEOUT: '15m',
        ...env,
      },
    });
    return createApp(config, {
      clock,
      logger: createLogger({ level: 'error', write: () => {} }),
      workerSettings: { backoffBaseMs: 1_000, heartbeatMs: 50 },
      agentCoreClients: () => stubClient(stub.url),
    });
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'longhaul-agentcore-'));
    clock = new FakeClock(Date.UTC(2026, 10, 3, 9));
    for (const k of Object.keys(agents)) delete agents[k];
    stub.calls.length = 0;
    // acme: its own agent; globex: no entry (the env's agent); initech: the built-in role.
    app = make({ LONGHAUL_ROLE_COMPLIANCE_AGENT_ARN: ENV_ARN }, { tenants: { acme: { agents: { compliance: ACME_ARN } }, globex: {}, initech: { agents: { compliance: null } } } });
  });
  afterEach(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (caller = acme, waitFor?: { signal: string; timeout: string }) =>
    app.runtime.investigations.start(caller, {
      subject: 'TechCorp',
      objective: 'Check TechCorp before onboarding',
      tasks: [{ role: 'compliance', instructions: 'Check the bank statements against the watch list and file a report', ...(waitFor ? { waitFor } : {}) }],
    });
  const taskOf = async (investigationId: string, tenantId = 'acme') => (await app.store.tenant(tenantId).listTasks(investigationId))[0]!;
  const sessionEvents = async (sessionId: string): Promise<MemoryEvent[]> => (await app.store.tenant('acme').listEvents({ sessionId, limit: 500 })).items;
  const invokes = () => stub.calls.filter((c) => c.op === 'InvokeAgentRuntime');

  describe('when the agent answers JSON', () => {
    it('sends the task, its instructions, the signal (files as metadata) and the rehydrated memory; files the report; stops the runtime session', async () => {
      const r = await start(acme, { signal: 'bank_data', timeout: '72h' });
      const id = r.investigation.investigationId;
      await app.runtime.events.record(acme, { investigationId: id, role: 'user', kind: 'finding', text: 'Globex Holdings Ltd is on the internal watch list.' });
      await app.runtime.signals.submit(acme, {
        investigationId: id,
        signal: 'bank_data',
        payload: BANK_DATA,
        attachments: [{ name: 'statement.csv', mediaType: 'text/csv', text: 'date,amount,counterparty\n2026-10-11,25000,Globex Holdings Ltd\n' }],
      });
      agents[ACME_ARN] = () => ({
        status: 'completed',
        summary: 'One watch-listed counterparty; two large payments.',
        findings: [{ text: 'Payment of EUR 25,000 to Globex Holdings Ltd (watch list).', citations: ['bank_data#1'] }],
        report: { title: 'Compliance review: TechCorp', markdown: '# TechCorp\n\nGlobex Holdings Ltd is watch-listed.' },
        result: { flags: 2 },
      });

      const run = await app.workers.runOnce();
      expect(run).toMatchObject({ status: 'completed', outcome: 'completed' });
      const task = await taskOf(id);
      const rs = stub.runtimeSessions.get(run!.sessionId)!;
      expect(rs).toMatchObject({ agentArn: ACME_ARN, invocations: 1, stopped: true });
      const payload = rs.payloads[0] as any;
      expect(payload).toMatchObject({
        longhaul: 1,
        tenantId: 'acme',
        sessionId: run!.sessionId,
        task: { id: task.id, role: 'compliance', instructions: 'Check the bank statements against the watch list and file a report', attempt: 1, wake: 'signal', waitFor: { signal: 'bank_data', timeoutMs: 72 * HOUR } },
        investigation: { id, subject: 'TechCorp', objective: 'Check TechCorp before onboarding' },
      });
      expect(payload.signals).toHaveLength(1);
      expect(payload.signals[0]).toMatchObject({ name: 'bank_data', payload: BANK_DATA });
      expect(payload.signals[0].attachments).toEqual([{ index: 0, name: 'statement.csv', mediaType: 'text/csv', size: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
      expect(JSON.stringify(payload)).not.toContain('2026-10-11,25000'); // metadata, never the bytes
      expect(payload.memory.findings.map((e: { text: string }) => e.text)).toContain('Globex Holdings Ltd is on the internal watch list.');
      expect(payload.memory.recentEvents.length).toBeGreaterThan(0);
      expect(payload.waits).toEqual([expect.objectContaining({ signal: 'bank_data', status: 'resolved' })]);

      expect(task).toMatchObject({ status: 'completed', result: { summary: 'One watch-listed counterparty; two large payments.', flags: 2 } });
      const [report] = await app.store.tenant('acme').listReports(id);
      expect(report).toMatchObject({ title: 'Compliance review: TechCorp', complete: true, taskId: task.id });
      expect(report!.markdown).toContain('Globex Holdings Ltd is watch-listed.');
      const finding = (await sessionEvents(run!.sessionId)).find((e) => e.kind === 'finding')!;
      expect(finding).toMatchObject({ text: 'Payment of EUR 25,000 to Globex Holdings Ltd (watch list).', data: { citations: ['bank_data#1'] } });
      expect((await app.store.tenant('acme').getSession(run!.sessionId))!).toMatchObject({ status: 'terminated', terminationReason: 'completed' });
      const stop = stub.calls.find((c) => c.op === 'StopRuntimeSession')!;
      expect(stop.status).toBe(200);
    });

    it('sends the deadline wake to the agent, which files the escalation ("timed_out")', async () => {
      const id = (await start(acme, { signal: 'bank_data', timeout: '2h' })).investigation.investigationId;
      agents[ACME_ARN] = (p) => ({
        status: 'timed_out',
        report: { title: `Incomplete: ${p.investigation.subject}`, markdown: `Woke: ${p.task.wake}. The bank data never arrived.`, complete: false },
        missing: ['bank_data (the bank statements)'],
        summary: 'The bank never sent the statements.',
      });
      clock.advance(2 * HOUR + 1);
      await app.scheduler.tick('deadlines');
      expect(await app.workers.runOnce()).toMatchObject({ status: 'timed_out' });
      const [report] = await app.store.tenant('acme').listReports(id);
      expect(report).toMatchObject({ title: 'Incomplete: TechCorp', complete: false, markdown: 'Woke: deadline. The bank data never arrived.' });
      const inbox = (await app.store.tenant('acme').listInbox({ investigationIds: [id], limit: 10 })).items;
      expect(inbox).toEqual([expect.objectContaining({ kind: 'escalation', reportId: report!.id })]);
      expect((await taskOf(id)).result).toMatchObject({ missing: ['bank_data (the bank statements)'] });
    });

    it('fails the task with the agent\'s own reason when it answers "failed"', async () => {
      const id = (await start()).investigation.investigationId;
      agents[ACME_ARN] = () => ({ status: 'failed', error: 'The bank statements are for another company.' });
      expect(await app.workers.runOnce()).toMatchObject({ status: 'failed' });
      expect(await taskOf(id)).toMatchObject({ status: 'failed', error: 'The bank statements are for another company.' });
      const inbox = (await app.store.tenant('acme').listInbox({ investigationIds: [id], limit: 10 })).items;
      expect(inbox).toEqual([expect.objectContaining({ kind: 'failed_task', detail: 'The bank statements are for another company.' })]);
    });

    it('fails the task, saying what is wrong, when the response breaks the contract', async () => {
      const cases: Array<[unknown, RegExp]> = [
        [{ status: 'done', summary: 'ok' }, /status: Invalid option/],
        [{ status: 'waiting', summary: 'needs more' }, /waitFor: is required with status "waiting"/],
        [{ status: 'completed', sumary: 'typo' }, /Unrecognized key.*sumary/],
        [{ status: 'completed', findings: [{ text: '' }] }, /findings\.0\.text: must not be empty/],
        [[1, 2, 3], /not a response object/],
      ];
      for (const [answer, why] of cases) {
        const id = (await start()).investigation.investigationId;
        agents[ACME_ARN] = () => answer;
        expect(await app.workers.runOnce()).toMatchObject({ status: 'failed', outcome: 'failed' });
        const task = await taskOf(id);
        expect(task.status).toBe('failed');
        expect(task.error).toMatch(/breaks the contract|not a response object/);
        expect(task.error).toMatch(why);
        expect(task.error).toContain(ACME_ARN);
      }
    });
  });

  describe('when the agent answers an event stream', () => {
    it('joins streamed text into the summary of a completed task', async () => {
      const id = (await start()).investigation.investigationId;
      agents[ACME_ARN] = () => ({ stream: ['"Checked 3 transactions; "', '{"event": {"progress": 0.5}}', '"nothing to flag."'] });
      expect(await app.workers.runOnce()).toMatchObject({ status: 'completed' });
      expect(await taskOf(id)).toMatchObject({ status: 'completed', result: { summary: 'Checked 3 transactions; nothing to flag.' } });
    });

    it('takes the streamed response object: waiting on a signal until its timeout, the runtime session stopped after the run', async () => {
      const id = (await start()).investigation.investigationId;
      agents[ACME_ARN] = () => ({ stream: ['"Reading the file…"', JSON.stringify({ status: 'waiting', waitFor: { signal: 'kyc_docs', timeout: '48h' }, summary: 'Needs the KYC documents.', events: [{ kind: 'fact', text: 'TechCorp has not sent its KYC documents.' }] })] });
      const run = await app.workers.runOnce();
      expect(run).toMatchObject({ status: 'waiting', outcome: 'wait' });
      const [w] = await app.store.tenant('acme').listWaits(id, { open: true });
      expect(w).toMatchObject({ signal: 'kyc_docs', deadline: clock.now() + 48 * HOUR });
      expect((await sessionEvents(run!.sessionId)).some((e) => e.kind === 'fact' && e.text === 'TechCorp has not sent its KYC documents.')).toBe(true);
      // No later run uses this worker session, so its microVM is stopped now.
      expect(stub.runtimeSessions.get(run!.sessionId)).toMatchObject({ stopped: true });

      // The signal wakes the task in a new worker session: a new runtime session.
      agents[ACME_ARN] = (p) => ({ status: 'completed', summary: `KYC received (${p.signals.map((s: { name: string }) => s.name).join(', ')})` });
      await app.runtime.signals.submit(acme, { investigationId: id, signal: 'kyc_docs', payload: { passport: true } });
      const again = await app.workers.runOnce();
      expect(again!.sessionId).not.toBe(run!.sessionId);
      expect(await taskOf(id)).toMatchObject({ status: 'completed', result: { summary: 'KYC received (kyc_docs)' } });
      expect(stub.runtimeSessions.get(again!.sessionId)).toMatchObject({ invocations: 1, stopped: true });
    });
  });

  describe('when AgentCore fails', () => {
    it('retries throttling in the SDK and completes', async () => {
      const id = (await start()).investigation.investigationId;
      agents[ACME_ARN] = () => ({ status: 'completed', summary: 'done after throttling' });
      stub.inject({ op: 'InvokeAgentRuntime', status: 429, count: 2 });
      expect(await app.workers.runOnce()).toMatchObject({ status: 'completed' });
      expect(invokes().map((c) => c.status)).toEqual([429, 429, 200]);
      expect(await taskOf(id)).toMatchObject({ status: 'completed', attempts: 1 });
    });

    it('fails the task with the error visible once 5xx outlasts the SDK attempts and the task attempts', async () => {
      const id = (await start()).investigation.investigationId;
      agents[ACME_ARN] = () => ({ status: 'completed', summary: 'never reached' });
      // 2 runs of the task × 3 SDK attempts each.
      stub.inject({ op: 'InvokeAgentRuntime', status: 500, count: 6 });
      expect(await app.workers.runOnce()).toMatchObject({ status: 'pending', outcome: 'error' });
      const retrying = await taskOf(id);
      expect(retrying.error).toMatch(/InvokeAgentRuntime on .*InternalServerException.*HTTP 500, 3 attempt/);
      clock.advance(2_000);
      expect(await app.workers.runOnce()).toMatchObject({ status: 'failed' });
      const task = await taskOf(id);
      expect(task).toMatchObject({ status: 'failed', attempts: 2 });
      expect(task.error).toMatch(/InternalServerException.*gave up after 2 attempts/);
      expect(invokes().map((c) => c.status)).toEqual([500, 500, 500, 500, 500, 500]);
    });

    it('fails at once, without retries, when the agent does not exist', async () => {
      await app.close();
      app = make({ LONGHAUL_ROLE_COMPLIANCE_AGENT_ARN: MISSING_ARN }, { tenants: {} });
      const id = (await start()).investigation.investigationId;
      expect(await app.workers.runOnce()).toMatchObject({ status: 'failed' });
      const task = await taskOf(id);
      expect(task).toMatchObject({ status: 'failed', attempts: 1 });
      expect(task.error).toMatch(/ResourceNotFoundException.*HTTP 404.*Not retried/);
    });
  });

  describe('bindings', () => {
    it("runs a tenant's own agent over the env's, the env's for a tenant without one, the built-in role for a tenant that opts out", async () => {
      for (const arn of [ENV_ARN, ACME_ARN]) agents[arn] = () => ({ status: 'completed', summary: `ran on ${arn}` });
      const runFor = async (tenantId: string) => {
        const id = (await start({ tenantId, actorId: 'alice' })).investigation.investigationId;
        const run = await app.workers.runOnce();
        return { run: run!, task: await taskOf(id, tenantId) };
      };
      const a = await runFor('acme');
      expect(stub.runtimeSessions.get(a.run.sessionId)!.agentArn).toBe(ACME_ARN);
      const g = await runFor('globex');
      expect(stub.runtimeSessions.get(g.run.sessionId)!.agentArn).toBe(ENV_ARN);
      expect(g.task.result).toMatchObject({ summary: `ran on ${ENV_ARN}` });
      const before = stub.calls.length;
      const i = await runFor('initech');
      // The built-in compliance role: no evidence yet, so it waits for bank_data.
      expect(i.task).toMatchObject({ status: 'waiting' });
      expect(stub.runtimeSessions.has(i.run.sessionId)).toBe(false);
      expect(stub.calls.length).toBe(before);
    });

    it('leaves a tenant with no binding on the built-in role, and keeps the built-in role\'s other members', async () => {
      await app.close();
      app = make({}, { tenants: { acme: { agents: { compliance: ACME_ARN } }, globex: {} } });
      agents[ACME_ARN] = () => ({ status: 'completed', summary: 'agent' });
      const role = app.workers.registry.get('compliance');
      expect(isAgentCoreRole(role)).toBe(true);
      expect(role!.onDeadline).toBe('escalate');
      expect(typeof (role as unknown as { rulesFor: unknown }).rulesFor).toBe('function'); // the compliance prompt reads the rules
      const id = (await start({ tenantId: 'globex', actorId: 'bob' }, { signal: 'bank_data', timeout: '72h' })).investigation.investigationId;
      await app.runtime.signals.submit({ tenantId: 'globex', actorId: 'bob' }, { investigationId: id, signal: 'bank_data', payload: BANK_DATA });
      await app.workers.runOnce();
      const task = await taskOf(id, 'globex');
      expect(task.status).toBe('completed');
      const [report] = await app.store.tenant('globex').listReports(id);
      expect(report!.markdown).toMatch(/Globex Holdings Ltd/); // the built-in compliance report
      expect(invokes()).toHaveLength(0);
    });
  });

  describe('the lifecycle sweep', () => {
    it('stops the runtime session of a worker session whose run never ended (its process died)', async () => {
      const id = (await start()).investigation.investigationId;
      const task = await taskOf(id);
      const worker = { tenantId: 'acme', actorId: 'compliance-worker' };
      // What a process that died mid-run leaves: an active worker session, its agent invoked.
      const session = app.runtime.sessions.build(worker, { kind: 'worker', role: 'compliance', investigationId: id, taskId: task.id });
      await app.store.tenant('acme').createSession(session);
      agents[ACME_ARN] = () => ({ status: 'completed', summary: 'never read' });
      await stubClient(stub.url).send(new InvokeAgentRuntimeCommand({ agentRuntimeArn: ACME_ARN, runtimeSessionId: runtimeSessionIdFor(session.id), payload: Buffer.from('{}') }));
      expect(stub.runtimeSessions.get(session.id)!.stopped).toBe(false);
      clock.advance(16 * 60_000);
      await app.scheduler.tick('lifecycle');
      expect((await app.store.tenant('acme').getSession(session.id))!.status).toBe('terminated');
      expect(stub.runtimeSessions.get(session.id)!.stopped).toBe(true);
    });
  });
});

describe('agentCoreRole (direct)', () => {
  let stub: AgentCoreStub;
  beforeAll(async () => {
    stub = await startAgentCoreStub({ agents: [{ arn: ACME_ARN, handler: () => ({ status: 'completed', report: { title: 'Big', markdown: 'x'.repeat(50_000) } }) }] });
  });
  afterAll(async () => {
    await stub.close();
  });

  it('refuses a response above its size limit with a clear failure', async () => {
    const role = agentCoreRole('compliance', () => ACME_ARN, stubClient(stub.url), { maxResponseBytes: 10_000 });
    const { ctx } = await roleContext();
    const outcome = await role.run(ctx);
    expect(outcome.type).toBe('failed');
    expect((outcome as { error: string }).error).toMatch(/larger than the 10000 bytes longhaul reads/);
  });

  it('fails the task of a tenant with no agent and no built-in role, naming the setting', async () => {
    const role = agentCoreRole('legal', () => null, stubClient(stub.url));
    const { ctx } = await roleContext();
    await expect(role.run(ctx)).rejects.toThrow(/LONGHAUL_ROLE_LEGAL_AGENT_ARN/);
  });

  it('logs, never throws, when a stop fails', async () => {
    const warnings: string[] = [];
    const logger = createLogger({ level: 'debug', write: (line: string) => void warnings.push(line) });
    const role = agentCoreRole('compliance', () => ACME_ARN, stubClient(stub.url), { logger });
    stub.inject({ op: 'StopRuntimeSession', status: 500, count: 3 });
    await expect(role.release({ id: 'ses_01KAGENTCORESTOPTEST0000000000', tenantId: 'acme' })).resolves.toBeUndefined();
    expect(warnings.join('\n')).toMatch(/cannot stop the AgentCore runtime session/);
  });

  it('derives runtime session ids and stop tokens AgentCore accepts', () => {
    expect(runtimeSessionIdFor('ses_01KAGENTCORESTOPTEST0000000000')).toBe('ses_01KAGENTCORESTOPTEST0000000000');
    expect(runtimeSessionIdFor('ses_1').length).toBeGreaterThanOrEqual(33);
    expect(runtimeSessionIdFor('ses_1')).toBe(runtimeSessionIdFor('ses_1'));
    const token = stopClientToken(runtimeSessionIdFor('ses_01KAGENTCORESTOPTEST0000000000'));
    expect(token).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){32,256}$/);
  });
});

describe('agent bindings in config and the tenants file', () => {
  const base = { HOME: '/tmp', LONGHAUL_STORE: 'memory' };
  it('reads LONGHAUL_ROLE_<NAME>_AGENT_ARN for any role, and --role-agents over it', () => {
    const c = loadConfig({ env: { ...base, LONGHAUL_ROLE_COMPLIANCE_AGENT_ARN: ENV_ARN, LONGHAUL_ROLE_DUE_DILIGENCE_AGENT_ARN: ACME_ARN }, flags: { 'role-agents': `compliance=${ACME_ARN}` } });
    expect(c.roleAgents).toEqual({ compliance: ACME_ARN, due_diligence: ACME_ARN });
  });

  it('refuses an ARN that is not an AgentCore Runtime ARN, naming the variable', () => {
    expect(() => loadConfig({ env: { ...base, LONGHAUL_ROLE_COMPLIANCE_AGENT_ARN: 'arn:aws:bedrock:us-east-1:123456789012:agent/X' } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { ...base, LONGHAUL_ROLE_COMPLIANCE_AGENT_ARN: 'compliance-agent' } })).toThrow(
      /LONGHAUL_ROLE_COMPLIANCE_AGENT_ARN: "compliance-agent" is not an AgentCore Runtime ARN; expected .*arn:aws:bedrock-agentcore:/,
    );
  });

  it("refuses a tenant's agent that is not an ARN, naming the tenant and the role", () => {
    const dir = mkdtempSync(join(tmpdir(), 'longhaul-agentcore-cfg-'));
    try {
      const file = join(dir, 'tenants.json');
      writeFileSync(file, JSON.stringify({ tenants: { acme: { agents: { compliance: 'runtime/compliance' } } } }));
      const config = loadConfig({ env: { ...base, LONGHAUL_TENANTS_FILE: file } });
      expect(() => loadTenantSettings(config)).toThrow(/tenants\.acme\.agents\.compliance: "runtime\/compliance" is not an AgentCore Runtime ARN/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
