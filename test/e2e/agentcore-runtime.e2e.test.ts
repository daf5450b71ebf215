import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentCoreStub, type AgentCoreStub } from '../support/agentcore-stub/index.js';
import { BANK_DATA } from '../workers/helpers.js';
import { agentCoreEnv, COMPLIANCE_ARN } from './agentcore-env.js';
import { startServer, tempDir, waitFor, type Running } from './harness.js';


/**
 * The compliance role bound to a (stub) AgentCore Runtime agent, through the built
 * server over stdio and the real SDK client: the server finds the endpoint, region and
 * credentials the way it would on AWS (AWS_ENDPOINT_URL_BEDROCK_AGENTCORE, AWS_REGION,
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY).
 */
describe('a compliance role on AgentCore Runtime (end to end)', () => {
  const tmp = tempDir('longhaul-e2e-agentcore-');
  let stub: AgentCoreStub;
  let server: Running;
  const received: any[] = [];

  beforeAll(async () => {
    stub = await startAgentCoreStub({
      agents: [
        {
          arn: COMPLIANCE_ARN,
          // A compliance agent: reads the delivered bank data from its payload and answers with a report.
          handler: (payload: any) => {
            received.push(payload);
            const bank = payload.signals.find((s: { name: string }) => s.name === 'bank_data');
            const large = bank.payload.transactions.filter((t: { amount: number }) => t.amount >= 10_000);
            return {
              status: 'completed',
              summary: `${large.length} large payment(s) for ${payload.investigation.subject}.`,
              findings: large.map((t: { amount: number; counterparty: string }) => ({ text: `Large payment: EUR ${t.amount} to ${t.counterparty}.`, citations: [`signal:${bank.id}`] })),
              report: {
                title: `Agent compliance report: ${payload.investigation.subject}`,
                markdown: [`# Agent compliance report: ${payload.investigation.subject}`, '', `Task: ${payload.task.instructions}`, '', ...large.map((t: { amount: number; counterparty: string }) => `- EUR ${t.amount} to ${t.counterparty}`)].join('\n'),
              },
            };
          },
        },
      ],
    });
    server = await startServer(tmp.dir, agentCoreEnv(stub));
  });
  afterAll(async () => {
    await server?.close().catch(() => undefined);
    await stub?.close();
    tmp.cleanup();
  });

  it('waits for bank_data, sends the task to the agent when it arrives, files its report and stops the runtime session', async () => {
    const r = await server.call('start_investigation', {
      subject: 'TechCorp',
      objective: 'Check TechCorp GmbH for compliance risks before onboarding',
      tasks: [{ role: 'compliance', instructions: 'Check the bank data against the AML policy and file a report', waitFor: { signal: 'bank_data', timeout: '1h' } }],
    });
    const id: string = r.investigation.investigationId;
    const taskId: string = r.tasks[0].taskId;
    const state = () => server.readJson(`longhaul://investigations/${id}`);
    expect((await state()).tasks[0]).toMatchObject({ taskId, status: 'waiting' });
    expect(received).toHaveLength(0); // nothing to decide before the evidence

    const sent = await server.call('submit_signal', { investigationId: id, signal: 'bank_data', payload: BANK_DATA });
    expect(sent.wokenTasks.map((t: { taskId: string }) => t.taskId)).toEqual([taskId]);

    const done = await waitFor(async () => {
      const s = await state();
      return s.tasks[0].status !== 'waiting' && s.tasks[0].status !== 'pending' && s.tasks[0].status !== 'running' && s;
    }, 15_000, 'the compliance task to finish');
    expect(done.tasks[0]).toMatchObject({ taskId, status: 'completed' });

    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      longhaul: 1,
      tenantId: 'local',
      task: { id: taskId, role: 'compliance', instructions: 'Check the bank data against the AML policy and file a report', wake: 'signal' },
      investigation: { id, subject: 'TechCorp' },
    });
    expect(received[0].signals[0]).toMatchObject({ name: 'bank_data', payload: BANK_DATA });

    const md = ((await server.client.readResource({ uri: `longhaul://investigations/${id}/report` })).contents[0] as { text: string }).text;
    expect(md).toContain('# Agent compliance report: TechCorp');
    expect(md).toContain('- EUR 25000 to Globex Holdings Ltd');
    expect(md).toContain('- EUR 12500 to Initech Services');

    // The run's worker session is terminated, and its AgentCore runtime session stopped.
    const worker = done.sessions.find((s: any) => s.kind === 'worker' && s.taskId === taskId && s.terminationReason === 'completed');
    expect(worker).toBeDefined();
    const runtime = await waitFor(async () => {
      const rs = stub.runtimeSessions.get(worker.sessionId);
      return rs?.stopped && rs;
    }, 5_000, 'the runtime session to be stopped');
    expect(runtime).toMatchObject({ agentArn: COMPLIANCE_ARN, invocations: 1, stopped: true });
    expect(stub.calls.filter((c) => c.op === 'StopRuntimeSession').map((c) => c.status)).toEqual([200]);
  });
});
