import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentCoreStub, type AgentCoreStub } from '../support/agentcore-stub/index.js';
import type { StubEvent, StubRecord } from '../support/agentcore-stub/memory.js';
import { connectHttp, type HttpClient } from '../transports/http/helpers.js';
import { CLI, freePort, runCli, tempDir, waitFor } from './harness.js';

const MEMORY_ID = 'longhaul_mem-HtTpX12345';

/**
 * Canaries: distinctive words each tenant (and alice privately) writes into memory. A
 * caller that is not allowed to see one must never get it back, through any tool,
 * resource, briefing or worker. The two probe words are shared so that a search for
 * them has something to find in acme and nothing (of its own) in globex.
 */
const PROBE = 'Quokkafjord Bramblewick';
const ACME_FACT = `${PROBE} holds the acme ledger vault code AC7731.`;
const FORGET_FACT = 'Ephemerolith Cobaltine is a temporary acme note FG9090.';
const ALICE_PREF = 'Alice wants Marzipanvault Thistledown summaries, private code AP5512.';
const BOB_PREF = 'Bob wants Lanternquill tables, private code BP3344.';
const GLOBEX_FACT = 'Zanzibarite Pellucid supplies globex turbines under contract GX4420.';

const meta = (x: { metadata?: Record<string, unknown> }) =>
  Object.fromEntries(Object.entries(x.metadata ?? {}).map(([k, v]) => [k, (v as { stringValue?: string }).stringValue]));
const textOf = (e: StubEvent) => JSON.stringify(e.payload);

interface Served {
  proc: ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** A resource read as the caller: its JSON, or the protocol error it raised. */
type Read = { ok: true; json: any; raw: string } | { ok: false; code: number; message: string; raw: string };

async function read(c: HttpClient, uri: string): Promise<Read> {
  try {
    const r = await c.client.readResource({ uri });
    const text = (r.contents[0] as { text: string }).text;
    return { ok: true, json: JSON.parse(text), raw: text };
  } catch (e) {
    if (!(e instanceof McpError)) throw e;
    return { ok: false, code: e.code, message: e.message, raw: JSON.stringify({ message: e.message, data: e.data ?? null }) };
  }
}

/** The text of an error tool result, with `id` replaced so two refusals can be compared. */
const refusal = (r: { isError?: boolean; content: unknown; _meta?: unknown }, id: string) =>
  JSON.stringify({ isError: r.isError ?? false, content: r.content, meta: r._meta ?? null }).replaceAll(id, '<id>');

/**
 * Fails when any of `forbidden` appears anywhere in `value` (serialised). `asked`: what
 * the caller sent (a refusal may echo the id it was given; that is not a leak).
 */
function expectNone(value: unknown, forbidden: readonly string[], what: string, asked = ''): void {
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  const leaked = forbidden.filter((f) => f && !asked.includes(f) && s.includes(f));
  expect(leaked, `${what} leaked ${leaked.join(', ')}: ${s.slice(0, 600)}`).toEqual([]);
}

/**
 * `longhaul serve --http` (the built CLI) with LONGHAUL_MEMORY=agentcore against the local
 * AgentCore stub, through the real AWS SDK inside the server and the real MCP SDK client
 * over streamable HTTP. Two tenants, each with bearer tokens: acme (alice, bob) and globex
 * (carol). What one tenant writes reaches AgentCore only under its own actorId and
 * namespace root; no read path (search_memory, longhaul://memory/…, forget_memory, the
 * briefing, a worker's memory search) ever returns another tenant's memory or another
 * actor's private memory; forgetting reaches AgentCore; and while AgentCore throttles,
 * every call is still acknowledged and every event arrives once when it recovers.
 */
describe('AgentCore Memory over streamable HTTP: tenant isolation and robustness (built CLI)', () => {
  const tmp = tempDir('longhaul-e2e-agentcore-http-');
  const tokensFile = join(tmp.dir, 'secrets', 'tokens.json');
  let stub: AgentCoreStub;
  let served: Served | undefined;
  let alice: HttpClient;
  let bob: HttpClient;
  let carol: HttpClient;
  const env = () => ({
    LONGHAUL_DATA_DIR: tmp.dir,
    LONGHAUL_TOKENS_FILE: tokensFile,
    LONGHAUL_MEMORY: 'agentcore',
    LONGHAUL_AGENTCORE_MEMORY_ID: MEMORY_ID,
    AWS_ENDPOINT_URL_BEDROCK_AGENTCORE: stub.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDLONGHAULTEST',
    AWS_SECRET_ACCESS_KEY: 'longhaul-test-secret',
    LONGHAUL_SWEEP_INTERVAL: '1s',
    LONGHAUL_EXTRACTION_INTERVAL: '1s',
  });

  // What the first test learns, for the later ones.
  const acme = { inv: '', factRec: '', factMem: '', forgetRec: '', forgetMem: '', alicePrefRec: '', alicePrefMem: '', bobPrefRec: '', bobPrefMem: '' };
  const globex = { inv: '', factRec: '', factMem: '' };
  /** What globex's caller must never see, what acme's callers must never see, and what bob must never see of alice. */
  const acmeSecrets = () => ['AC7731', 'FG9090', 'AP5512', 'BP3344', acme.factRec, acme.factMem, acme.forgetRec, acme.forgetMem, acme.alicePrefRec, acme.alicePrefMem, acme.bobPrefRec, acme.bobPrefMem];
  const globexSecrets = () => ['GX4420', globex.factRec, globex.factMem];
  const alicePrivate = () => ['AP5512', acme.alicePrefRec, acme.alicePrefMem];
  const bobPrivate = () => ['BP3344', acme.bobPrefRec, acme.bobPrefMem];

  const outbox = () => {
    const r = runCli(['status', '--json'], env());
    if (r.code !== 0) throw new Error(`status: ${r.stderr}`);
    return JSON.parse(r.stdout).outbox as { enabled: boolean; pending: number; parked: number; errors: Array<{ kind: string; parked: boolean; error: string; tenantId: string }> };
  };
  const drained = async () => {
    let last: unknown;
    await waitFor(async () => {
      const o = (last = outbox());
      return o.pending === 0 && o.parked === 0;
    }, 90_000, 'the memory outbox to drain').catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(last)}`);
    });
  };
  /** The stub record longhaul wrote for a record of `tenant` in `namespace` whose text holds `needle`. */
  const stubRecord = (tenant: string, namespace: string, needle: string): StubRecord | undefined =>
    stub.records(MEMORY_ID).find((r) => r.namespaces.includes(`/tenants/${tenant}/${namespace}`) && r.text.includes(needle));
  const lhId = (r: StubRecord) => meta(r).lh_id!;

  let tokens: Record<'alice' | 'bob' | 'carol', string>;
  async function serve(serverEnv: Record<string, string>): Promise<Served> {
    const port = await freePort();
    const proc = spawn(process.execPath, [CLI, 'serve', '--http', '--port', String(port)], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LONGHAUL_LOG_LEVEL: 'info', ...serverEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${url}/healthz`).catch(() => null))?.ok, 20_000, `serve --http on ${port} (stderr: ${err})`, 100);
    return { proc, url, stderr: () => err, exited };
  }

  beforeAll(async () => {
    stub = await startAgentCoreStub({ memories: [{ id: MEMORY_ID }] });
    const mk = (tenant: string, actor: string) => {
      const r = runCli(['token', 'create', '--tenant', tenant, '--actor', actor], env());
      if (r.code !== 0) throw new Error(`token create: ${r.stderr}`);
      return r.stdout.trim();
    };
    tokens = { alice: mk('acme', 'alice'), bob: mk('acme', 'bob'), carol: mk('globex', 'carol') };
    served = await serve(env());
    const url = served.url;
    [alice, bob, carol] = await Promise.all([connectHttp(`${url}/mcp`, tokens.alice), connectHttp(`${url}/mcp`, tokens.bob), connectHttp(`${url}/mcp`, tokens.carol)]);
  }, 90_000);

  afterAll(async () => {
    for (const c of [alice, bob, carol]) await c?.close().catch(() => undefined);
    if (served && served.proc.exitCode === null) {
      served.proc.kill('SIGTERM');
      await served.exited;
    }
    await stub?.close();
    tmp.cleanup();
  }, 30_000);

  it("ships each tenant's events under its own actorId and its records under its own namespace root, alice's preference under actors/alice", async () => {
    acme.inv = (await alice.call('start_investigation', { subject: 'Acme vault audit', objective: 'Audit the acme ledger vault' })).investigation.investigationId;
    globex.inv = (await carol.call('start_investigation', { subject: 'Globex turbine supply', objective: 'Check the globex turbine contracts' })).investigation.investigationId;
    const acked = {
      acme: [
        (await alice.call('record_event', { investigationId: acme.inv, role: 'user', kind: 'fact', text: ACME_FACT })).event.eventId,
        (await alice.call('record_event', { investigationId: acme.inv, role: 'user', kind: 'fact', text: FORGET_FACT })).event.eventId,
        (await alice.call('record_event', { investigationId: acme.inv, role: 'user', kind: 'preference', text: ALICE_PREF, data: { key: 'summary-style' } })).event.eventId,
        (await bob.call('record_event', { investigationId: acme.inv, role: 'user', kind: 'preference', text: BOB_PREF, data: { key: 'table-style' } })).event.eventId,
      ] as string[],
      globex: [(await carol.call('record_event', { investigationId: globex.inv, role: 'user', kind: 'fact', text: GLOBEX_FACT })).event.eventId] as string[],
    };

    // longhaul's extraction writes the records; the outbox ships them (and every event).
    const facts = (inv: string) => `investigations/${inv}/facts`;
    await waitFor(
      async () =>
        stubRecord('acme', facts(acme.inv), 'AC7731') &&
        stubRecord('acme', facts(acme.inv), 'FG9090') &&
        stubRecord('acme', 'actors/alice/preferences', 'AP5512') &&
        stubRecord('acme', 'actors/bob/preferences', 'BP3344') &&
        stubRecord('globex', facts(globex.inv), 'GX4420'),
      60_000,
      'the extracted records to reach AgentCore',
    );
    await drained();

    const factRecord = stubRecord('acme', facts(acme.inv), 'AC7731')!;
    const forgetRecord = stubRecord('acme', facts(acme.inv), 'FG9090')!;
    const alicePref = stubRecord('acme', 'actors/alice/preferences', 'AP5512')!;
    const bobPref = stubRecord('acme', 'actors/bob/preferences', 'BP3344')!;
    const globexFact = stubRecord('globex', facts(globex.inv), 'GX4420')!;
    Object.assign(acme, {
      factRec: lhId(factRecord),
      factMem: factRecord.memoryRecordId,
      forgetRec: lhId(forgetRecord),
      forgetMem: forgetRecord.memoryRecordId,
      alicePrefRec: lhId(alicePref),
      alicePrefMem: alicePref.memoryRecordId,
      bobPrefRec: lhId(bobPref),
      bobPrefMem: bobPref.memoryRecordId,
    });
    Object.assign(globex, { factRec: lhId(globexFact), factMem: globexFact.memoryRecordId });
    for (const id of [acme.factRec, acme.forgetRec, acme.alicePrefRec, acme.bobPrefRec, globex.factRec]) expect(id).toMatch(/^rec_[0-9A-Z]{30}$/);
    for (const id of [acme.factMem, acme.forgetMem, acme.alicePrefMem, acme.bobPrefMem, globex.factMem]) expect(id).toMatch(/^mem-/);

    // Events: each tenant's whole timeline is in AgentCore under its actorId, the person in metadata.
    const events = stub.events(MEMORY_ID);
    const timeline = async (c: HttpClient, inv: string) => ((await read(c, `longhaul://investigations/${inv}/timeline`)) as { json: { events: Array<{ eventId: string }> } }).json.events.map((e) => e.eventId);
    for (const [tenant, c, inv] of [['acme', alice, acme.inv], ['globex', carol, globex.inv]] as const) {
      const ids = await timeline(c, inv);
      expect(ids).toEqual(expect.arrayContaining(acked[tenant]));
      for (const id of ids) {
        const shipped = events.filter((e) => meta(e).lh_event_id === id);
        expect(shipped, `event ${id} of ${tenant}`).toHaveLength(1);
        expect(shipped[0]!.actorId).toBe(tenant);
      }
    }
    expect(new Set(events.map((e) => e.actorId))).toEqual(new Set(['acme', 'globex']));
    for (const e of events) {
      const m = meta(e);
      if (m.lh_investigation_id === acme.inv) expect(e.actorId).toBe('acme');
      if (m.lh_investigation_id === globex.inv) expect(e.actorId).toBe('globex');
      if (e.actorId === 'globex') expectNone(textOf(e), ['AC7731', 'FG9090', 'AP5512', 'BP3344'], `globex event ${m.lh_event_id}`);
      if (e.actorId === 'acme') expectNone(textOf(e), ['GX4420'], `acme event ${m.lh_event_id}`);
    }
    const pref = events.find((e) => meta(e).lh_event_id === acked.acme[2])!;
    expect(pref).toMatchObject({ actorId: 'acme', sessionId: acme.inv });
    expect(meta(pref)).toMatchObject({ lh_actor: 'alice', lh_kind: 'preference' });

    // Records: every namespace under its tenant's root; the canaries each in their own tenant.
    for (const r of stub.records(MEMORY_ID)) {
      expect(r.namespaces.length, r.memoryRecordId).toBeGreaterThan(0);
      const tenant = r.namespaces[0]!.startsWith('/tenants/acme/') ? 'acme' : r.namespaces[0]!.startsWith('/tenants/globex/') ? 'globex' : null;
      expect(tenant, `record ${r.memoryRecordId} at ${r.namespaces.join(',')}`).not.toBeNull();
      expect(r.namespaces.every((ns) => ns.startsWith(`/tenants/${tenant}/`))).toBe(true);
      if (tenant === 'globex') expectNone(r.text, ['AC7731', 'FG9090', 'AP5512', 'BP3344'], `globex record ${r.memoryRecordId}`);
      else expectNone(r.text, ['GX4420'], `acme record ${r.memoryRecordId}`);
      // A private preference is stored only in its actor's namespace (summaries count them, never quote them).
      if (r.text.includes('AP5512')) expect(r.namespaces).toEqual(['/tenants/acme/actors/alice/preferences']);
      if (r.text.includes('BP3344')) expect(r.namespaces).toEqual(['/tenants/acme/actors/bob/preferences']);
    }
    expect(alicePref.text).toBe(ALICE_PREF);
    expect(meta(alicePref)).toMatchObject({ lh_strategy: 'preferences', lh_actor: 'alice' });
  }, 120_000);

  it("search_memory finds the caller's own memory and never another tenant's, nor another actor's private memory", async () => {
    const search = async (c: HttpClient, query: string, extra: Record<string, unknown> = {}) => (await c.call('search_memory', { query, topK: 50, ...extra })).results as Array<{ recordId: string; text: string }>;
    // Positive controls: the memory is there, through AgentCore's RetrieveMemoryRecords.
    const retrieves = stub.calls.filter((c) => c.op === 'RetrieveMemoryRecords').length;
    expect((await search(alice, `${PROBE} ledger vault`)).map((r) => r.recordId)).toContain(acme.factRec);
    expect((await search(alice, 'Marzipanvault Thistledown summaries')).map((r) => r.recordId)).toContain(acme.alicePrefRec);
    expect((await search(bob, `${PROBE} ledger vault`)).map((r) => r.recordId)).toContain(acme.factRec);
    expect((await search(bob, 'Lanternquill tables')).map((r) => r.recordId)).toContain(acme.bobPrefRec);
    expect((await search(carol, 'Zanzibarite Pellucid turbines')).map((r) => r.recordId)).toContain(globex.factRec);
    expect(stub.calls.filter((c) => c.op === 'RetrieveMemoryRecords').length).toBeGreaterThan(retrieves);

    const everything = `${PROBE} ledger vault Ephemerolith Cobaltine Marzipanvault Thistledown Lanternquill Zanzibarite Pellucid turbines AC7731 FG9090 AP5512 BP3344 GX4420 acme globex`;
    for (const namespace of [undefined, 'investigations', `investigations/${acme.inv}`, `investigations/${acme.inv}/facts`, 'actors', 'sessions', 'tenants/acme', 'preferences']) {
      const ns = namespace ? { namespace } : {};
      expectNone(await search(carol, everything, ns), acmeSecrets(), `carol's search under ${namespace ?? '(tenant)'}`);
      expectNone(await search(alice, everything, ns), [...globexSecrets(), ...bobPrivate()], `alice's search under ${namespace ?? '(tenant)'}`);
      expectNone(await search(bob, everything, ns), [...globexSecrets(), ...alicePrivate()], `bob's search under ${namespace ?? '(tenant)'}`);
    }
    // Another actor's private namespace is refused as not found; a forged tenant path or `..` is refused or empty.
    const privateRefusal = await bob.callRaw('search_memory', { query: 'Marzipanvault', namespace: 'actors/alice/preferences' });
    expect(privateRefusal.isError).toBe(true);
    expect(JSON.stringify(privateRefusal.content)).toContain('not_found');
    expectNone(privateRefusal, alicePrivate(), "bob's search under actors/alice");
    for (const namespace of ['../acme', 'investigations/../../acme', '/tenants/acme', 'tenants/%2E%2E/acme', 'actors/../actors/alice']) {
      const r = await carol.callRaw('search_memory', { query: everything, namespace });
      expect(r.isError, `namespace ${namespace}`).toBe(true);
      expect(JSON.stringify(r.content)).toContain('invalid_input');
      expectNone(r, acmeSecrets(), `carol's search under ${namespace}`);
    }
  }, 60_000);

  it('longhaul://memory/{namespace} lists only the caller’s tenant, whatever the URI names', async () => {
    // Positive controls.
    const own = await read(alice, `longhaul://memory/investigations/${acme.inv}/facts`);
    expect(own.ok && own.json.records.map((r: { recordId: string }) => r.recordId)).toEqual(expect.arrayContaining([acme.factRec, acme.forgetRec]));
    const pref = await read(alice, 'longhaul://memory/actors/alice/preferences');
    expect(pref.ok && pref.json.records.map((r: { recordId: string }) => r.recordId)).toEqual([acme.alicePrefRec]);
    const theirs = await read(carol, `longhaul://memory/investigations/${globex.inv}/facts`);
    expect(theirs.ok && theirs.json.records.map((r: { recordId: string }) => r.recordId)).toEqual([globex.factRec]);

    // Carol's own memory, listed by shared roots: nothing of acme's comes along.
    for (const uri of ['longhaul://memory/investigations', 'longhaul://memory/sessions', 'longhaul://memory/actors', 'longhaul://memory/investigations?status=all&limit=200']) {
      const r = await read(carol, uri);
      expect(r.ok, `${uri}: ${r.raw}`).toBe(true);
      expectNone(r.raw, acmeSecrets(), `carol reading ${uri}`);
    }
    // URIs that name acme's memory — directly, through a forged tenants/… path, `..` or
    // percent-encoding: empty or refused, never acme's records.
    const forged = [
      `longhaul://memory/investigations/${acme.inv}/facts`,
      `longhaul://memory/investigations/${acme.inv}`,
      'longhaul://memory/actors/alice',
      'longhaul://memory/actors/alice/preferences',
      `longhaul://memory/tenants/acme/investigations/${acme.inv}/facts`,
      'longhaul://memory/tenants/acme',
      'longhaul://memory/../tenants/acme/actors/alice',
      'longhaul://memory/investigations/../../tenants/acme',
      'longhaul://memory/%2E%2E/%2E%2E/tenants/acme',
      'longhaul://memory/investigations%2F..%2F..%2Ftenants%2Facme',
      'longhaul://memory/%2Ftenants%2Facme%2Finvestigations',
      'longhaul://memory//tenants/acme/investigations',
      `longhaul://memory/investigations/${acme.inv}/facts?status=all&limit=200`,
      `longhaul://memory/investigations/${acme.inv}/facts?record=${acme.factRec}`,
      `longhaul://memory/investigations/${acme.inv}/facts?record=${acme.factMem}`,
      `longhaul://memory/investigations?record=${acme.factRec}`,
      `longhaul://memory/actors/alice/preferences?record=${acme.alicePrefMem}`,
    ];
    for (const uri of forged) {
      const r = await read(carol, uri);
      expectNone(r.raw, acmeSecrets(), `carol reading ${uri}`, uri);
      if (r.ok && Array.isArray(r.json.records)) expect(r.json.records, uri).toEqual([]);
      else expect(r.ok, `carol reading ${uri}: ${r.raw}`).toBe(false);
    }
    // Alice cannot reach globex or bob's private memory either; bob cannot reach alice's.
    for (const uri of [`longhaul://memory/investigations/${globex.inv}/facts`, 'longhaul://memory/tenants/globex', `longhaul://memory/investigations?record=${globex.factMem}`, 'longhaul://memory/actors/bob/preferences']) {
      const r = await read(alice, uri);
      expectNone(r.raw, [...globexSecrets(), ...bobPrivate()], `alice reading ${uri}`, uri);
    }
    for (const uri of ['longhaul://memory/actors/alice/preferences', 'longhaul://memory/actors/alice', `longhaul://memory/actors/bob/preferences/../../alice/preferences`, `longhaul://memory/actors/alice/preferences?record=${acme.alicePrefRec}`, `longhaul://memory/actors?record=${acme.alicePrefMem}`]) {
      const r = await read(bob, uri);
      expectNone(r.raw, alicePrivate(), `bob reading ${uri}`, uri);
    }
    const own2 = await read(bob, 'longhaul://memory/actors');
    expect(own2.ok && own2.json.records.map((r: { recordId: string }) => r.recordId)).toEqual([acme.bobPrefRec]);

    // Another tenant's record id, either kind, is "not found" exactly like an id that never existed.
    const unknownRec = 'rec_' + '0'.repeat(29) + '1';
    const unknownMem = 'mem-' + 'f'.repeat(36);
    const notFound = async (c: HttpClient, ns: string, id: string) => {
      const r = await read(c, `longhaul://memory/${ns}?record=${id}`);
      expect(r.ok, `${ns}?record=${id}: ${r.raw}`).toBe(false);
      return r.ok ? '' : `${r.code} ${r.message.replaceAll(id, '<id>')}`;
    };
    expect(await notFound(carol, 'investigations', acme.factRec)).toBe(await notFound(carol, 'investigations', unknownRec));
    expect(await notFound(carol, 'investigations', acme.factMem)).toBe(await notFound(carol, 'investigations', unknownMem));
    expect(await notFound(bob, 'actors', acme.alicePrefRec)).toBe(await notFound(bob, 'actors', unknownRec));
    expect(await notFound(bob, 'actors', acme.alicePrefMem)).toBe(await notFound(bob, 'actors', unknownMem));
  }, 60_000);

  it("forget_memory with another tenant's or actor's record ids (rec_… and AgentCore mem-…) is not_found, like an unknown id, and deletes nothing", async () => {
    const unknown = { rec: 'rec_' + '0'.repeat(29) + '2', mem: 'mem-' + 'e'.repeat(36) };
    const before = stub.records(MEMORY_ID).map((r) => r.memoryRecordId).sort();
    const cases: Array<[HttpClient, string, string]> = [
      [carol, acme.factRec, unknown.rec],
      [carol, acme.factMem, unknown.mem],
      [carol, acme.alicePrefRec, unknown.rec],
      [carol, acme.alicePrefMem, unknown.mem],
      [alice, globex.factRec, unknown.rec],
      [alice, globex.factMem, unknown.mem],
      [alice, acme.bobPrefMem, unknown.mem],
      [bob, acme.alicePrefRec, unknown.rec],
      [bob, acme.alicePrefMem, unknown.mem],
    ];
    for (const [c, id, never] of cases) {
      const theirs = await c.callRaw('forget_memory', { recordId: id });
      const none = await c.callRaw('forget_memory', { recordId: never });
      expect(theirs.isError, id).toBe(true);
      expect(JSON.stringify(theirs.content)).toContain('[not_found]');
      expect(refusal(theirs, id)).toBe(refusal(none, never));
    }
    await drained();
    expect(stub.records(MEMORY_ID).map((r) => r.memoryRecordId).sort()).toEqual(before);
    expect(stub.calls.filter((c) => c.op === 'DeleteMemoryRecord' || c.op === 'BatchDeleteMemoryRecords')).toEqual([]);
    // Still there for their owners.
    expect((await alice.call('search_memory', { query: 'Marzipanvault Thistledown' })).results.map((r: { recordId: string }) => r.recordId)).toContain(acme.alicePrefRec);
    expect((await carol.call('search_memory', { query: 'Zanzibarite Pellucid' })).results.map((r: { recordId: string }) => r.recordId)).toContain(globex.factRec);
  }, 60_000);

  it("the briefing of resume_investigation and a worker's memory search hold only the caller's tenant (and nobody else's private memory)", async () => {
    const foreign = await carol.callRaw('resume_investigation', { investigationId: acme.inv });
    const unknownInv = await carol.callRaw('resume_investigation', { investigationId: 'inv_' + '0'.repeat(29) + '3' });
    expect(foreign.isError).toBe(true);
    expect(refusal(foreign, acme.inv)).toBe(refusal(unknownInv, 'inv_' + '0'.repeat(29) + '3'));

    const a = (await alice.call('resume_investigation', { investigationId: acme.inv })).briefing.text as string;
    expect(a).toContain('AC7731');
    expectNone(a, [...globexSecrets(), ...bobPrivate()], "alice's briefing");
    const b = (await bob.call('resume_investigation', { investigationId: acme.inv })).briefing.text as string;
    expect(b).toContain('AC7731');
    expectNone(b, [...globexSecrets(), ...alicePrivate()], "bob's briefing");
    const c = (await carol.call('resume_investigation', { investigationId: globex.inv })).briefing.text as string;
    expect(c).toContain('GX4420');
    expectNone(c, acmeSecrets(), "carol's briefing");
    // The shared timeline keeps alice's preference in place but never shows bob its words.
    expectNone((await read(bob, `longhaul://investigations/${acme.inv}/timeline`)).raw, alicePrivate(), "bob's view of the acme timeline");

    // A retrieval worker searches long-term memory (through AgentCore) for its subject: in acme it
    // finds the fact from the other investigation; in globex the same words find nothing of acme's.
    const probe = async (c: HttpClient) => {
      const inv = (await c.call('start_investigation', { subject: PROBE, objective: `Find what is known about ${PROBE} ledger vault`, tasks: [{ role: 'retrieval', instructions: `Search memory for ${PROBE}` }] })).investigation.investigationId as string;
      const state = await waitFor(async () => {
        const s = await read(c, `longhaul://investigations/${inv}`);
        return s.ok && ['completed', 'failed'].includes(s.json.tasks[0].status) && s.json;
      }, 60_000, `the retrieval task of ${inv}`);
      expect(state.tasks[0].status).toBe('completed');
      return { inv, state, timeline: (await read(c, `longhaul://investigations/${inv}/timeline`)).raw };
    };
    const inAcme = await probe(bob);
    expect(inAcme.timeline).toContain('AC7731');
    expectNone([inAcme.state, inAcme.timeline], [...globexSecrets(), ...alicePrivate()], "bob's retrieval worker");
    const inGlobex = await probe(carol);
    expectNone([inGlobex.state, inGlobex.timeline], acmeSecrets(), "carol's retrieval worker");
    await drained();
    // What globex's worker recorded went to AgentCore as globex, and holds nothing of acme.
    const workerEvents = stub.events(MEMORY_ID).filter((e) => e.sessionId === inGlobex.inv);
    expect(workerEvents.length).toBeGreaterThan(0);
    for (const e of workerEvents) {
      expect(e.actorId).toBe('globex');
      expectNone(textOf(e), acmeSecrets(), `globex worker event ${meta(e).lh_event_id}`);
    }
  }, 120_000);

  it('forget_memory by the owner removes the record from AgentCore once the outbox ships it, and from search and reads', async () => {
    const hit = async () => ((await alice.call('search_memory', { query: 'Ephemerolith Cobaltine temporary note', topK: 50 })).results as Array<{ recordId: string }>).map((r) => r.recordId);
    expect(await hit()).toContain(acme.forgetRec);
    const forgotten = await alice.call('forget_memory', { recordId: acme.forgetRec });
    expect(forgotten).toMatchObject({ recordId: acme.forgetRec, deleted: true, namespace: `investigations/${acme.inv}/facts` });
    await waitFor(async () => !stub.records(MEMORY_ID).some((r) => r.memoryRecordId === acme.forgetMem), 60_000, 'the deletion to reach AgentCore');
    await drained();
    expect(stub.calls.some((c) => c.op === 'DeleteMemoryRecord' && c.status === 200)).toBe(true);
    expect(await hit()).not.toContain(acme.forgetRec);
    expect(stub.records(MEMORY_ID).filter((r) => meta(r).lh_id === acme.forgetRec)).toEqual([]);
    const gone = await read(alice, `longhaul://memory/investigations/${acme.inv}/facts?record=${acme.forgetRec}`);
    expect(gone.ok).toBe(false);
    const listed = await read(alice, `longhaul://memory/investigations/${acme.inv}/facts`);
    expect(listed.ok && listed.json.records.map((r: { recordId: string }) => r.recordId)).toEqual([acme.factRec]);
    const again = await alice.callRaw('forget_memory', { recordId: acme.forgetRec });
    expect(again.isError).toBe(true);
    expect(JSON.stringify(again.content)).toContain('[not_found]');
    // The rest of acme's memory is untouched.
    expect(stub.records(MEMORY_ID).some((r) => r.memoryRecordId === acme.factMem)).toBe(true);
  }, 90_000);

  it('keeps acknowledging calls while AgentCore throttles CreateEvent, then delivers every acknowledged event exactly once', async () => {
    stub.inject({ op: 'CreateEvent', status: 429, count: 1_000_000 });
    const acked: Array<{ id: string; tenant: string; text: string }> = [];
    const note = async (c: HttpClient, tenant: string, inv: string, i: number) => {
      const text = `throttle canary ${tenant} ${i}`;
      const r = await c.callRaw('record_event', { investigationId: inv, role: 'user', kind: i % 3 === 0 ? 'fact' : 'message', text });
      expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
      acked.push({ id: (r.structuredContent as { event: { eventId: string } }).event.eventId, tenant, text });
    };
    const others = async () => {
      for (const [c, query] of [[alice, `${PROBE} ledger`], [carol, 'Zanzibarite turbines']] as const) {
        const s = await c.callRaw('search_memory', { query });
        expect(s.isError, JSON.stringify(s.content)).toBeFalsy();
      }
      expect((await alice.callRaw('get_investigation', { investigationId: acme.inv })).isError).toBeFalsy();
      expect((await read(carol, `longhaul://memory/investigations/${globex.inv}/facts`)).ok).toBe(true);
    };
    for (let i = 0; i < 8; i++) {
      await note(alice, 'acme', acme.inv, i);
      await note(carol, 'globex', globex.inv, i);
      if (i % 4 === 0) await others();
    }
    // The outbox has tried, been throttled, and kept the entries to retry (not parked).
    const failing = await waitFor(async () => {
      const o = outbox();
      return o.errors.some((e) => e.kind === 'event' && !e.parked) && o;
    }, 30_000, 'a throttled delivery to be recorded');
    expect(failing.parked).toBe(0);
    expect(failing.pending).toBeGreaterThan(0);
    for (let i = 8; i < 12; i++) {
      await note(bob, 'acme', acme.inv, i);
      await note(carol, 'globex', globex.inv, i);
    }
    await others();
    expect(stub.calls.some((c) => c.op === 'CreateEvent' && c.status === 429)).toBe(true);
    const ids = new Set(acked.map((a) => a.id));
    expect(stub.events(MEMORY_ID).filter((e) => ids.has(meta(e).lh_event_id!))).toEqual([]);

    stub.clearFaults();
    await waitFor(async () => {
      const got = new Set(stub.events(MEMORY_ID).map((e) => meta(e).lh_event_id));
      return acked.every((a) => got.has(a.id));
    }, 120_000, 'every acknowledged event to reach AgentCore');
    await drained();
    const all = stub.events(MEMORY_ID);
    for (const a of acked) {
      const copies = all.filter((e) => meta(e).lh_event_id === a.id);
      expect(copies, a.text).toHaveLength(1);
      expect(copies[0]!.actorId).toBe(a.tenant);
      expect(textOf(copies[0]!)).toContain(a.text);
    }
    // Nothing at all reached AgentCore twice, and both timelines are there in full.
    const everyId = all.map((e) => meta(e).lh_event_id);
    expect(new Set(everyId).size).toBe(everyId.length);
    for (const [c, inv, tenant] of [[alice, acme.inv, 'acme'], [carol, globex.inv, 'globex']] as const) {
      const timeline = (await read(c, `longhaul://investigations/${inv}/timeline?limit=200`)) as { ok: true; json: { events: Array<{ eventId: string }> } };
      for (const e of timeline.json.events) expect(all.filter((x) => meta(x).lh_event_id === e.eventId && x.actorId === tenant), e.eventId).toHaveLength(1);
    }
  }, 240_000);

  it('when AgentCore refuses the server (a memory id that does not exist), calls are still acknowledged and a memory read says what to do, without the service details', async () => {
    const other = tempDir('longhaul-e2e-agentcore-http-missing-');
    const missingEnv = { ...env(), LONGHAUL_DATA_DIR: other.dir, LONGHAUL_AGENTCORE_MEMORY_ID: 'missing_mem-ZyXwV98765' };
    const s2 = await serve(missingEnv);
    const c = await connectHttp(`${s2.url}/mcp`, tokens.carol);
    try {
      const inv = (await c.call('start_investigation', { subject: 'Globex misconfigured', objective: 'Work goes on while the memory is misconfigured' })).investigation.investigationId;
      const r = await c.callRaw('record_event', { investigationId: inv, role: 'user', kind: 'fact', text: 'Acknowledged by the work store.' });
      expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
      const search = await c.callRaw('search_memory', { query: 'acknowledged work store' });
      expect(search.isError).toBe(true);
      const text = JSON.stringify(search.content);
      expect(text).toContain('[internal]');
      expect(text).toContain('ResourceNotFoundException');
      expect(text).toContain('operator');
      expect(text).toContain('retrying will not help');
      // The service's own message (here "Memory … not found"; on AWS an AccessDenied names the role and account) stays in the server log.
      expect(text).not.toContain('not found');
      expect(s2.stderr()).toContain('agentcore memory: request refused');
      // The events are refused by AgentCore and parked (kept, visible to the operator), never dropped.
      const o = await waitFor(async () => {
        const x = JSON.parse(runCli(['status', '--json'], missingEnv).stdout).outbox;
        return x.errors.some((e: { kind: string; parked: boolean }) => e.kind === 'event' && e.parked) && x;
      }, 30_000, 'the refused events to be parked');
      expect(o.errors.filter((e: { parked: boolean }) => !e.parked)).toEqual([]);
      expect(stub.events('missing_mem-ZyXwV98765')).toEqual([]);
    } finally {
      await c.close().catch(() => undefined);
      s2.proc.kill('SIGTERM');
      await s2.exited;
      other.cleanup();
    }
  }, 90_000);

  /*
   * forget_memory deletes a longhaul record from the work store and queues its AgentCore
   * deletion in the outbox; the reads agree with the store at once (a rec_ record the store
   * no longer holds is forgotten: src/memory/adapters/store-truth.ts), even while AgentCore
   * throttles the deletion — which lands once it stops.
   */
  it('once forget_memory has answered, the record is gone from search and reads, even while AgentCore throttles the deletion', async () => {
    const text = 'Vanishquartz Plumeroll is a short-lived acme note VQ6060.';
    await alice.call('record_event', { investigationId: acme.inv, role: 'user', kind: 'fact', text });
    const stored = await waitFor(async () => stubRecord('acme', `investigations/${acme.inv}/facts`, 'VQ6060'), 60_000, 'the fact to reach AgentCore');
    const id = lhId(stored);
    await drained();
    const hits = async () => ((await alice.call('search_memory', { query: 'Vanishquartz Plumeroll note', topK: 50 })).results as Array<{ recordId: string }>).map((r) => r.recordId);
    expect(await hits()).toContain(id);
    stub.inject({ op: 'DeleteMemoryRecord', status: 429, count: 1_000_000 });
    try {
      expect(await alice.call('forget_memory', { recordId: id })).toMatchObject({ recordId: id, deleted: true });
      expect(await hits()).not.toContain(id);
      expect((await read(alice, `longhaul://memory/investigations/${acme.inv}/facts?record=${id}`)).ok).toBe(false);
    } finally {
      stub.clearFaults();
      await waitFor(async () => !stub.records(MEMORY_ID).some((r) => r.memoryRecordId === stored.memoryRecordId), 120_000, 'the deletion to reach AgentCore');
    }
  }, 180_000);
});
