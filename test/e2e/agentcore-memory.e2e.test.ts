import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentCoreStub, type AgentCoreStub } from '../support/agentcore-stub/index.js';
import { BANK_DATA } from '../workers/helpers.js';
import { agentCoreEnv, COMPLIANCE_ARN } from './agentcore-env.js';
import { runCli, startServer, tempDir, waitFor, type Running } from './harness.js';

const MEMORY_ID = 'longhaul_mem-AbCdE12345';

/** What a stub event carries in metadata, as plain strings. */
const meta = (e: { metadata?: Record<string, unknown> }) => Object.fromEntries(Object.entries(e.metadata ?? {}).map(([k, v]) => [k, (v as { stringValue: string }).stringValue]));

/**
 * The TechCorp story over stdio with LONGHAUL_MEMORY=agentcore against the local
 * AgentCore stub, through the real AWS SDK inside the built server: every event leaves
 * through the store's outbox for AgentCore Memory (actorId = the tenant, the person in
 * metadata), longhaul's extracted records are written with BatchCreateMemoryRecords and
 * search_memory reads them back with RetrieveMemoryRecords; the compliance role runs on
 * a stub AgentCore Runtime agent. Then the outbox survives kill -9 while AgentCore is
 * failing: after a restart every acknowledged event is delivered, none twice.
 */
describe('AgentCore Memory and Runtime (end to end)', () => {
  const tmp = tempDir('longhaul-e2e-agentcore-memory-');
  let stub: AgentCoreStub;
  let server: Running | undefined;
  const env = () => ({
    ...agentCoreEnv(stub),
    LONGHAUL_MEMORY: 'agentcore',
    LONGHAUL_AGENTCORE_MEMORY_ID: MEMORY_ID,
    LONGHAUL_EXTRACTION_INTERVAL: '1s',
    LONGHAUL_ACTOR: 'alice',
    LONGHAUL_DATA_DIR: tmp.dir,
  });
  const delivered = () => stub.events(MEMORY_ID).map((e) => ({ ...e, meta: meta(e) }));

  beforeAll(async () => {
    stub = await startAgentCoreStub({
      memories: [{ id: MEMORY_ID }],
      agents: [
        {
          arn: COMPLIANCE_ARN,
          handler: (payload: any) => {
            const bank = payload.signals.find((s: { name: string }) => s.name === 'bank_data');
            const large = bank.payload.transactions.filter((t: { amount: number }) => t.amount >= 10_000);
            return {
              status: 'completed',
              summary: `${large.length} large payments`,
              findings: large.map((t: { amount: number; counterparty: string }) => ({ text: `Large payment of EUR ${t.amount} to ${t.counterparty}.`, citations: [`signal:${bank.id}`] })),
              report: { title: 'Agent compliance report', markdown: `# Agent compliance report\n\n${large.length} large payments.` },
            };
          },
        },
      ],
    });
  });
  afterAll(async () => {
    await server?.close().catch(() => undefined);
    await stub?.close();
    tmp.cleanup();
  });

  it('ships every event to AgentCore Memory under the tenant, writes extracted records there, and searches them there', async () => {
    server = await startServer(tmp.dir, env());
    const r = await server.call('start_investigation', {
      subject: 'TechCorp',
      objective: 'Check TechCorp GmbH before onboarding',
      tasks: [{ role: 'compliance', instructions: 'Check the bank data and file a report', waitFor: { signal: 'bank_data', timeout: '1h' } }],
    });
    const id: string = r.investigation.investigationId;
    const fact = await server.call('record_event', { investigationId: id, role: 'user', kind: 'fact', text: 'TechCorp banks with Hanseatic Merchant Bank in Hamburg.' });
    await server.call('submit_signal', { investigationId: id, signal: 'bank_data', payload: BANK_DATA });
    await waitFor(async () => (await server!.readJson(`longhaul://investigations/${id}`)).tasks[0].status === 'completed', 20_000, 'the agent to complete the compliance task');

    // Every event of the timeline reaches AgentCore, each once, with the tenant as actorId.
    const timeline = (await server.readJson(`longhaul://investigations/${id}/timeline`)).events as Array<{ eventId: string }>;
    const shipped = await waitFor(async () => {
      const d = delivered();
      return timeline.every((e) => d.some((x) => x.meta.lh_event_id === e.eventId)) && d;
    }, 20_000, 'the timeline to reach AgentCore');
    const ids = shipped.map((e) => e.meta.lh_event_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(shipped.every((e) => e.actorId === 'local')).toBe(true);
    const factEvent = shipped.find((e) => e.meta.lh_event_id === fact.event.eventId)!;
    expect(factEvent).toMatchObject({ sessionId: id, meta: { lh_actor: 'alice', lh_kind: 'fact', lh_investigation_id: id } });
    expect(factEvent.payload).toEqual([{ conversational: { content: { text: 'TechCorp banks with Hanseatic Merchant Bank in Hamburg.' }, role: 'USER' } }]);

    // longhaul's extraction writes the fact as a record in AgentCore, under the tenant's root.
    // (The session summaries that quote it land under /tenants/local/sessions/….)
    const facts = `/tenants/local/investigations/${id}/facts`;
    const record = await waitFor(async () => stub.records(MEMORY_ID).find((x) => x.namespaces.includes(facts) && x.text.includes('Hanseatic')), 20_000, 'the extracted fact to reach AgentCore');
    expect(record.text).toBe('TechCorp banks with Hanseatic Merchant Bank in Hamburg.');
    expect(stub.records(MEMORY_ID).every((x) => x.namespaces.every((ns) => ns.startsWith('/tenants/local/')))).toBe(true);
    const retrievesBefore = stub.calls.filter((c) => c.op === 'RetrieveMemoryRecords').length;
    const found = await server.call('search_memory', { query: 'Hanseatic bank Hamburg', namespace: `investigations/${id}` });
    expect(found.results.map((x: { text: string }) => x.text)).toContain('TechCorp banks with Hanseatic Merchant Bank in Hamburg.');
    expect(stub.calls.filter((c) => c.op === 'RetrieveMemoryRecords').length).toBeGreaterThan(retrievesBefore);

    // The report the agent filed is in the work store; the status shows an empty outbox.
    expect(((await server.client.readResource({ uri: `longhaul://investigations/${id}/report` })).contents[0] as { text: string }).text).toContain('# Agent compliance report');
    await server.close();
    server = undefined;
    const status = runCli(['status', '--json'], env());
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).outbox).toMatchObject({ enabled: true, pending: 0, parked: 0 });
  }, 90_000);

  it('keeps acknowledged events in the outbox through kill -9 while AgentCore fails, and delivers each once after the restart', async () => {
    stub.inject({ op: 'CreateEvent', status: 500, count: 1_000_000 });
    server = await startServer(tmp.dir, env());
    const r = await server.call('start_investigation', { subject: 'Initech', objective: 'Outbox survives a crash' });
    const id: string = r.investigation.investigationId;
    const acked: string[] = [];
    for (let i = 0; i < 5; i++) acked.push((await server.call('record_event', { investigationId: id, role: 'user', text: `crash canary ${i}` })).event.eventId);
    // The server has tried (and failed) to ship them, and said so in the outbox, before it dies.
    const failing = await waitFor(async () => {
      const o = JSON.parse(runCli(['status', '--json'], env()).stdout).outbox;
      return o.errors.length > 0 && o;
    }, 20_000, 'a failed delivery to be recorded');
    expect(failing.errors[0], JSON.stringify(failing.errors)).toMatchObject({ parked: false, kind: 'event' });
    server.kill9();
    server = undefined;
    const pending = JSON.parse(runCli(['status', '--json'], env()).stdout).outbox;
    expect(pending.pending).toBeGreaterThanOrEqual(acked.length);
    expect(delivered().filter((e) => acked.includes(e.meta.lh_event_id!))).toEqual([]);

    stub.clearFaults();
    server = await startServer(tmp.dir, env());
    const d = await waitFor(async () => {
      const got = delivered().filter((e) => acked.includes(e.meta.lh_event_id!));
      return got.length >= acked.length && got;
    }, 60_000, 'the outbox to deliver after the restart');
    expect(d.map((e) => e.meta.lh_event_id).sort()).toEqual([...acked].sort());
    expect(d.map((e) => (e.payload[0] as any).conversational.content.text).sort()).toEqual(acked.map((_, i) => `crash canary ${i}`));
    // The whole outbox drains (nothing parked), and nothing reached AgentCore twice.
    let last: unknown;
    await waitFor(async () => {
      const o = (last = JSON.parse(runCli(['status', '--json'], env()).stdout).outbox);
      return o.pending === 0 && o.parked === 0;
    }, 60_000, 'the outbox to drain').catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(last)}`);
    });
    const all = delivered().map((e) => e.meta.lh_event_id);
    expect(new Set(all).size).toBe(all.length);
    await server.close();
    server = undefined;
  }, 120_000);
});
