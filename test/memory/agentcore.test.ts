import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/domain/clock.js';
import { parseNamespace } from '../../src/domain/namespace.js';
import { actorIdOf, decodeId, encodeId, fromAgentCoreNamespace, toAgentCoreNamespace } from '../../src/memory/adapters/agentcore/index.js';
import { RateLimiter, DEFAULT_RATE_LIMITS } from '../../src/memory/adapters/agentcore/rate-limit.js';
import { agentCoreWorld, MEMORY_ID, STUB_NOW, type AgentCoreWorld } from './contract/agentcore-harness.js';
import { Fixtures } from './contract/fixtures.js';
import { memoryContract } from './contract/memory-contract.js';

memoryContract('agentcore (local AgentCore stub, real SDK client)', () => agentCoreWorld());

/** AgentCore's own patterns (API reference), to check what longhaul sends. */
const ACTOR_ID = /^[a-zA-Z0-9][a-zA-Z0-9-_/]*(?::[a-zA-Z0-9-_/]+)*[a-zA-Z0-9-_/]*$/;
const NAMESPACE = /^[a-zA-Z0-9/*][a-zA-Z0-9-_/*]*(?::[a-zA-Z0-9-_/*]+)*[a-zA-Z0-9-_/*]*$/;
/** longhaul's tenant/actor/segment names. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,254}$/;

const ops = (w: AgentCoreWorld, op: string) => w.stub.calls.filter((c) => c.op === op).map((c) => c.status);

describe('agentcore memory adapter', () => {
  let w: AgentCoreWorld;
  const f = new Fixtures();
  afterEach(async () => {
    await w?.close();
  });

  describe('what it sends', () => {
    it('writes the tenant as actorId, the investigation as sessionId, and the acting person in metadata', async () => {
      w = await agentCoreWorld();
      const inv = f.investigationId();
      const ses = f.sessionId();
      const e = f.event('acme', { sessionId: ses, investigationId: inv, actorId: 'alice@acme.example', role: 'agent', kind: 'finding', text: 'Found it.', data: { cite: 'a.pdf:p2' } });
      await w.put('acme', { events: [e] });
      const [stored] = w.stub.events(MEMORY_ID);
      expect(stored!.actorId).toBe('acme');
      expect(stored!.sessionId).toBe(inv);
      expect(stored!.clientToken).toBe(e.id);
      expect(stored!.payload).toEqual([{ conversational: { content: { text: 'Found it.' }, role: 'ASSISTANT' } }, { blob: JSON.stringify({ cite: 'a.pdf:p2' }) }]);
      const meta = Object.fromEntries(Object.entries(stored!.metadata ?? {}).map(([k, v]) => [k, (v as { stringValue: string }).stringValue]));
      expect(meta).toMatchObject({ lh_event_id: e.id, lh_actor: 'alice@acme.example', lh_session_id: ses, lh_investigation_id: inv, lh_kind: 'finding', lh_role: 'agent' });
    });

    it('maps every longhaul role onto a conversational role', async () => {
      w = await agentCoreWorld();
      const inv = f.investigationId();
      const roles = ['user', 'assistant', 'agent', 'tool', 'system'] as const;
      await w.put('acme', { events: roles.map((role) => f.event('acme', { investigationId: inv, role })) });
      const sent = w.stub.events(MEMORY_ID).map((e) => (e.payload[0] as { conversational: { role: string } }).conversational.role);
      expect(sent.sort()).toEqual(['ASSISTANT', 'ASSISTANT', 'OTHER', 'TOOL', 'USER']);
      const back = (await w.memory.tenant('acme').listEvents({ sessionId: inv, limit: 10 })).items.map((e) => e.role);
      expect(back).toEqual([...roles]);
    });

    it('writes a record under /tenants/{actorId}/ with its longhaul id as requestIdentifier and lh_id metadata', async () => {
      w = await agentCoreWorld();
      const inv = f.investigationId();
      const src = Array.from({ length: 7 }, () => f.ids('evt'));
      const r = f.record('acme', { namespace: `investigations/${inv}/facts`, investigationId: inv, sourceEventIds: src });
      await w.put('acme', { records: [r] });
      const [stored] = w.stub.records(MEMORY_ID);
      expect(stored!.namespaces).toEqual([`/tenants/acme/investigations/${inv}/facts`]);
      expect(stored!.metadata).toMatchObject({ lh_id: { stringValue: r.id }, lh_status: { stringValue: 'active' }, lh_source_count: { numberValue: 7 } });
      // AgentCore string lists hold five ids: the first five travel, the count says there are more.
      expect((await w.memory.tenant('acme').getRecord(r.id))!.sourceEventIds).toEqual(src.slice(0, 5));
    });

    it('updates a known record in place (BatchUpdate) and marks supersession', async () => {
      w = await agentCoreWorld();
      const ns = `investigations/${f.investigationId()}/facts`;
      const r = f.record('acme', { namespace: ns, text: 'Headcount is 400.' });
      await w.put('acme', { records: [r] });
      const newer = f.record('acme', { namespace: ns, text: 'Headcount is 450.' });
      const superseded = { ...r, status: 'superseded' as const, supersededBy: newer.id, updatedAt: newer.createdAt };
      const results = await w.memory.deliver([
        { id: 100, tenantId: 'acme', clientToken: `put.${r.id}.100`, op: { op: 'records', records: [superseded] }, attempts: 0, createdAt: STUB_NOW },
        { id: 101, tenantId: 'acme', clientToken: `put.${newer.id}.101`, op: { op: 'records', records: [newer] }, attempts: 0, createdAt: STUB_NOW },
      ]);
      expect(results).toEqual([{ id: 100, ok: true }, { id: 101, ok: true }]);
      expect(ops(w, 'BatchUpdateMemoryRecords')).toEqual([200]);
      expect(w.stub.records(MEMORY_ID)).toHaveLength(2);
      const hits = await w.memory.tenant('acme').searchRecords({ query: 'headcount', topK: 10 });
      expect(hits.map((h) => h.record.id)).toEqual([newer.id]);
      expect((await w.memory.tenant('acme').getRecord(r.id))).toMatchObject({ status: 'superseded', supersededBy: newer.id });
    });

    it('deletes through the outbox, and a delete of an absent record is delivered too', async () => {
      w = await agentCoreWorld();
      const r = f.record('acme');
      await w.put('acme', { records: [r] });
      const del = (id: number) => ({ id, tenantId: 'acme', clientToken: `del.${r.id}.${id}`, op: { op: 'delete_record' as const, recordId: r.id }, attempts: 0, createdAt: STUB_NOW });
      expect(await w.memory.deliver([del(7), del(8)])).toEqual([{ id: 7, ok: true }, { id: 8, ok: true }]);
      expect(w.stub.records(MEMORY_ID)).toEqual([]);
      expect(ops(w, 'DeleteMemoryRecord')).toEqual([200]);
    });

    it('refuses an event larger than an AgentCore event may be, without sending it', async () => {
      w = await agentCoreWorld();
      const e = f.event('acme', { text: 'big', data: { blob: 'x'.repeat(120_000) } });
      const [result] = await w.memory.deliver([w.entryFor('acme', { event: e })]);
      expect(result).toMatchObject({ ok: false, retryable: false });
      expect((result as { error: string }).error).toMatch(/at most 100000/);
      expect(ops(w, 'CreateEvent')).toEqual([]);
    });
  });

  describe('when AgentCore fails', () => {
    it('retries a throttled CreateEvent and stores the event once', async () => {
      w = await agentCoreWorld();
      const e = f.event('acme', { investigationId: f.investigationId() });
      w.stub.inject({ op: 'CreateEvent', status: 429 });
      expect(await w.memory.deliver([w.entryFor('acme', { event: e })])).toEqual([{ id: 1, ok: true }]);
      expect(ops(w, 'CreateEvent')).toEqual([429, 201]);
      expect(w.stub.events(MEMORY_ID)).toHaveLength(1);
    });

    it('reports 5xx beyond the SDK retries as retryable, with nothing stored; the retry then stores it once', async () => {
      w = await agentCoreWorld({ maxAttempts: 2 });
      const inv = f.investigationId();
      const e = f.event('acme', { investigationId: inv });
      w.stub.inject({ op: 'CreateEvent', status: 500, count: 2 });
      const [first] = await w.memory.deliver([w.entryFor('acme', { event: e })]);
      expect(first).toMatchObject({ ok: false, retryable: true });
      expect((first as { error: string }).error).toMatch(/ServiceException/);
      expect(w.stub.events(MEMORY_ID)).toEqual([]);
      expect(await w.memory.deliver([{ ...w.entryFor('acme', { event: e }), attempts: 1 }])).toEqual([{ id: 1, ok: true }]);
      expect(w.stub.events(MEMORY_ID)).toHaveLength(1);
      expect(ops(w, 'CreateEvent')).toEqual([500, 500, 201]);
    });

    it('stores a retried event once even when its clientToken is no longer honoured', async () => {
      w = await agentCoreWorld();
      const inv = f.investigationId();
      const e = f.event('acme', { investigationId: inv });
      const entry = w.entryFor('acme', { event: e });
      await w.memory.deliver([entry]);
      // A retry after AgentCore's idempotency window: same event, a token AgentCore has not seen.
      expect(await w.memory.deliver([{ ...entry, clientToken: `${e.id}-later`, attempts: 3 }])).toEqual([{ id: entry.id, ok: true }]);
      expect(w.stub.events(MEMORY_ID)).toHaveLength(1);
      expect(ops(w, 'CreateEvent')).toEqual([201]);
    });

    it('treats a reset connection as retryable', async () => {
      w = await agentCoreWorld({ maxAttempts: 2 });
      const e = f.event('acme');
      w.stub.inject({ op: 'CreateEvent', status: 'reset', count: 2 });
      const [result] = await w.memory.deliver([w.entryFor('acme', { event: e })]);
      expect(result).toMatchObject({ ok: false, retryable: true });
      expect(w.stub.events(MEMORY_ID)).toEqual([]);
    });

    it('treats a 503 on a record write as retryable, and stores nothing', async () => {
      w = await agentCoreWorld({ maxAttempts: 1 });
      const r = f.record('acme');
      w.stub.inject({ op: 'BatchCreateMemoryRecords', status: 503 });
      const [result] = await w.memory.deliver([w.entryFor('acme', { record: r })]);
      expect(result).toMatchObject({ ok: false, retryable: true });
      expect(w.stub.records(MEMORY_ID)).toEqual([]);
    });

    it('reports a request AgentCore refuses as not retryable, with the service message', async () => {
      w = await agentCoreWorld();
      const e = f.event('acme', { text: '' }); // AgentCore's conversational text needs 1+ characters
      const [result] = await w.memory.deliver([w.entryFor('acme', { event: e })]);
      expect(result).toMatchObject({ ok: false, retryable: false });
      expect((result as { error: string }).error).toMatch(/ValidationException.*content\.text/);
      expect(w.stub.events(MEMORY_ID)).toEqual([]);
    });

    it('does not report a record stored when AgentCore lists it under failedRecords', async () => {
      w = await agentCoreWorld();
      const r = f.record('acme');
      // Two versions of one record in one entry: AgentCore creates the first and refuses the duplicate.
      const entry = { id: 9, tenantId: 'acme', clientToken: `put.${r.id}.9`, op: { op: 'records' as const, records: [r, { ...r, text: 'changed' }] }, attempts: 0, createdAt: STUB_NOW };
      const [result] = await w.memory.deliver([entry]);
      expect(result).toMatchObject({ id: 9, ok: false, retryable: false });
      expect((result as { error: string }).error).toMatch(/1 of 2 records not stored.*Duplicate requestIdentifier/);
    });

    it('keeps a tenant in order: after a retryable failure its later entries wait, other tenants go on', async () => {
      w = await agentCoreWorld({ maxAttempts: 1 });
      const [a1, a2, b1] = [f.event('acme'), f.event('acme'), f.event('bravo')];
      w.stub.inject({ op: 'CreateEvent', status: 429 });
      const results = await w.memory.deliver([w.entryFor('acme', { event: a1! }), w.entryFor('acme', { event: a2! }), w.entryFor('bravo', { event: b1! })]);
      expect(results.map((r) => [r.ok, r.ok ? null : r.retryable])).toEqual([[false, true], [false, true], [true, null]]);
      expect((results[1] as { error: string }).error).toMatch(/not attempted/);
      expect(w.stub.events(MEMORY_ID).map((e) => e.actorId)).toEqual(['bravo']);
    });

    it('parks deliveries to a memory that does not exist, and fails reads with the settings to check', async () => {
      w = await agentCoreWorld({ memoryId: 'missing_mem-ZyXwV98765' });
      const [result] = await w.memory.deliver([w.entryFor('acme', { event: f.event('acme') })]);
      expect(result).toMatchObject({ ok: false, retryable: false });
      expect((result as { error: string }).error).toMatch(/ResourceNotFoundException/);
      await expect(w.memory.tenant('acme').listRecords({ namespacePrefix: 'investigations', limit: 5 })).rejects.toMatchObject({
        code: 'internal',
        message: expect.stringMatching(/LONGHAUL_AGENTCORE_MEMORY_ID/),
      });
    });

    it('refuses an entry whose event belongs to another tenant', async () => {
      w = await agentCoreWorld();
      const e = f.event('bravo');
      const [result] = await w.memory.deliver([{ ...w.entryFor('bravo', { event: e }), tenantId: 'acme' }]);
      expect(result).toMatchObject({ ok: false, retryable: false });
      expect(w.stub.events(MEMORY_ID)).toEqual([]);
    });

    it('surfaces a read that AgentCore throttles past the retries as storage unavailable, not "not found"', async () => {
      w = await agentCoreWorld({ maxAttempts: 1 });
      w.stub.inject({ op: 'ListMemoryRecords', status: 429 });
      await expect(w.memory.tenant('acme').getRecord(f.ids('rec'))).rejects.toMatchObject({ code: 'storage_unavailable' });
    });
  });

  describe('client-side rate limit', () => {
    it('spaces CreateEvent calls of one session under the per-session rate and never trips AgentCore', async () => {
      const clock = new FakeClock(STUB_NOW);
      const sleeps: number[] = [];
      w = await agentCoreWorld({
        clock,
        sleep: async (ms) => {
          sleeps.push(ms);
          clock.advance(ms);
        },
        rate: { ...DEFAULT_RATE_LIMITS, perSession: 2, perSessionBurst: 1 },
        createEventRate: 5,
      });
      const inv = f.investigationId();
      const events = Array.from({ length: 5 }, () => f.event('acme', { investigationId: inv }));
      const results = await w.memory.deliver(events.map((event) => w.entryFor('acme', { event })));
      expect(results.every((r) => r.ok)).toBe(true);
      expect(sleeps).toEqual([500, 500, 500, 500]);
      expect(ops(w, 'CreateEvent')).toEqual([201, 201, 201, 201, 201]);
    });

    it('reports an entry as retryable, unsent, when its turn is further off than maxWaitMs', async () => {
      const clock = new FakeClock(STUB_NOW);
      w = await agentCoreWorld({ clock, sleep: async (ms) => void clock.advance(ms), rate: { ...DEFAULT_RATE_LIMITS, perSession: 1, perSessionBurst: 1, maxWaitMs: 100 } });
      const inv = f.investigationId();
      const [e1, e2] = [f.event('acme', { investigationId: inv }), f.event('acme', { investigationId: inv })];
      const results = await w.memory.deliver([w.entryFor('acme', { event: e1! }), w.entryFor('acme', { event: e2! })]);
      expect(results[0]).toEqual({ id: 1, ok: true });
      expect(results[1]).toMatchObject({ ok: false, retryable: true });
      expect((results[1] as { error: string }).error).toMatch(/client-side rate limit/);
      expect(ops(w, 'CreateEvent')).toEqual([201]);
    });

    it('keeps sessions apart and shares the account bucket', async () => {
      const clock = new FakeClock(0);
      const sleeps: number[] = [];
      const limiter = new RateLimiter({ ...DEFAULT_RATE_LIMITS, perSession: 1, perSessionBurst: 1, perAccount: 2, perAccountBurst: 2 }, clock, async (ms) => {
        sleeps.push(ms);
        clock.advance(ms);
      });
      expect(await limiter.createEvent('acme', 'inv_a')).toBe(true);
      expect(await limiter.createEvent('acme', 'inv_b')).toBe(true);
      expect(sleeps).toEqual([]);
      expect(await limiter.createEvent('acme', 'inv_c')).toBe(true); // account bucket empty: 1 / 2 per s
      expect(sleeps).toEqual([500]);
      expect(await limiter.createEvent('acme', 'inv_a')).toBe(true); // session a: 1 s after its first
      expect(sleeps).toEqual([500, 500]);
      expect(limiter.waitedMs).toBe(1000);
    });
  });

  describe('identifiers', () => {
    const name = fc.stringMatching(NAME).filter((s) => !s.includes('..'));

    it('encodes any longhaul name reversibly into AgentCore actorId and namespace alphabets', () => {
      fc.assert(
        fc.property(name, (s) => {
          const enc = encodeId(s);
          expect(decodeId(enc)).toBe(s);
          expect(enc).toMatch(ACTOR_ID);
          expect(`/tenants/${enc}/x`).toMatch(NAMESPACE);
        }),
      );
      fc.assert(fc.property(name, name, (a, b) => (a === b) === (encodeId(a) === encodeId(b))));
      expect(encodeId('inv_01ABCDEFGHJKMNPQRSTVWXYZ0123')).toBe('inv_01ABCDEFGHJKMNPQRSTVWXYZ0123');
      expect(encodeId('acme.corp@eu-west')).toBe('acme-dcorp-aeu--west');
    });

    it('maps namespaces under the tenant root and back, and nothing outside it', () => {
      const segments = fc.array(name, { minLength: 1, maxLength: 5 }).map((a) => a.join('/'));
      fc.assert(
        fc.property(name, segments, (tenant, ns) => {
          const actor = encodeId(tenant);
          fc.pre(actor.length <= 255);
          const parsed = parseNamespace(ns);
          const out = toAgentCoreNamespace(actor, parsed);
          expect(out).toMatch(NAMESPACE);
          expect(out.startsWith(`/tenants/${actor}/`)).toBe(true);
          expect(fromAgentCoreNamespace(actor, out)).toBe(parsed);
          expect(fromAgentCoreNamespace(`${actor}x`, out)).toBeNull();
        }),
      );
      expect(fromAgentCoreNamespace('acme', '/tenants/acme/investigations/inv_1/facts/')).toBe('investigations/inv_1/facts');
      expect(fromAgentCoreNamespace('acme', '/tenants/acme2/investigations')).toBeNull();
      expect(fromAgentCoreNamespace('acme', '/tenants/acme/')).toBeNull();
      expect(fromAgentCoreNamespace('acme', '/tenants/acme/a/-x')).toBeNull();
      expect(() => toAgentCoreNamespace('acme', 'investigations/../x')).toThrow(/"\.\."/);
    });

    it('refuses a tenant id whose encoding exceeds the actorId length', () => {
      expect(actorIdOf('a'.repeat(255))).toHaveLength(255);
      expect(() => actorIdOf('a.'.repeat(100))).toThrow(/at most|allows 255/);
      expect(() => actorIdOf('../x')).toThrow(/not a valid tenant/);
    });

    it('round-trips a tenant and person with "." and "@" through AgentCore', async () => {
      w = await agentCoreWorld();
      const tenant = 'acme.corp@eu';
      const inv = f.investigationId();
      const e = f.event(tenant, { investigationId: inv, actorId: 'bob.smith@acme.example' });
      const r = f.record(tenant, { namespace: 'actors/bob.smith@acme.example/preferences', actorId: 'bob.smith@acme.example', text: 'Bob prefers euro amounts.' });
      await w.put(tenant, { events: [e], records: [r] });
      expect(w.stub.events(MEMORY_ID)[0]!.actorId).toBe('acme-dcorp-aeu');
      expect(w.stub.records(MEMORY_ID)[0]!.namespaces).toEqual(['/tenants/acme-dcorp-aeu/actors/bob-dsmith-aacme-dexample/preferences']);
      const t = w.memory.tenant(tenant);
      expect((await t.getEvent(inv, e.id))!.actorId).toBe('bob.smith@acme.example');
      expect((await t.listRecords({ namespacePrefix: 'actors/bob.smith@acme.example', limit: 5 })).items.map((x) => x.id)).toEqual([r.id]);
      // A tenant whose name is a prefix of this one's encoding sees nothing of it.
      expect((await w.memory.tenant('acme').searchRecords({ query: 'euro amounts', topK: 5 }))).toEqual([]);
    });
  });

  describe("with extraction by AgentCore's strategies", () => {
    const strategies = [
      { id: 'semantic-1', type: 'SEMANTIC' as const, namespaces: ['/tenants/{actorId}/investigations/{sessionId}/facts'] },
      { id: 'summary-1', type: 'SUMMARIZATION' as const, namespaces: ['/tenants/{actorId}/investigations/{sessionId}/summary'] },
      { id: 'episodic-1', type: 'EPISODIC' as const, namespaces: ['/tenants/{actorId}/investigations/{sessionId}/episodes'] },
      { id: 'prefs-1', type: 'USER_PREFERENCE' as const, namespaces: ['/tenants/{actorId}/preferences'] },
    ];

    it("reads AgentCore's records under longhaul's namespaces, by id, list and search", async () => {
      w = await agentCoreWorld({ extraction: 'agentcore', memories: [{ id: MEMORY_ID, strategies }] });
      const inv = f.investigationId();
      await w.put('acme', {
        events: [
          f.event('acme', { investigationId: inv, role: 'user', text: 'I always want amounts in euros.' }),
          f.event('acme', { investigationId: inv, role: 'agent', text: 'TechCorp filed its 2025 annual report.' }),
        ],
      });
      await w.put('bravo', { events: [f.event('bravo', { investigationId: inv, role: 'agent', text: 'Bravo looked at TechCorp too.' })] });
      expect(w.memory.extraction).toBe('agentcore');
      await w.stub.extract();
      const t = w.memory.tenant('acme');

      const facts = await t.listRecords({ namespacePrefix: `investigations/${inv}/facts`, limit: 10 });
      expect(facts.items.map((r) => r.text).sort()).toEqual(['I always want amounts in euros.', 'TechCorp filed its 2025 annual report.']);
      expect(facts.items.every((r) => r.strategy === 'facts' && r.investigationId === inv && r.tenantId === 'acme')).toBe(true);

      const all = await t.listRecords({ namespacePrefix: `investigations/${inv}`, limit: 10 });
      expect(all.items.map((r) => r.namespace).sort()).toEqual([
        `investigations/${inv}/episodes`,
        `investigations/${inv}/facts`,
        `investigations/${inv}/facts`,
        `investigations/${inv}/summary`,
      ]);
      const prefs = await t.listRecords({ namespacePrefix: 'preferences', limit: 10 });
      expect(prefs.items.map((r) => [r.text, r.strategy])).toEqual([['I always want amounts in euros.', 'preferences']]);

      const hits = await t.searchRecords({ query: 'TechCorp annual report', namespacePrefix: `investigations/${inv}/facts`, topK: 5 });
      expect(hits[0]!.record.text).toBe('TechCorp filed its 2025 annual report.');
      const byId = await t.getRecord(hits[0]!.record.id);
      expect(byId?.id).toMatch(/^mem-/);
      expect(byId?.text).toBe('TechCorp filed its 2025 annual report.');

      // Bravo's own extraction stays Bravo's: same investigation id, different actorId.
      const bravoHits = await w.memory.tenant('bravo').searchRecords({ query: 'TechCorp', topK: 10 });
      expect(bravoHits.map((h) => h.record.text)).toEqual(expect.arrayContaining(['Bravo looked at TechCorp too.']));
      expect(bravoHits.some((h) => h.record.text.includes('annual report'))).toBe(false);
      // An AgentCore record id of another tenant finds nothing and deletes nothing.
      expect(await w.memory.tenant('bravo').getRecord(byId!.id)).toBeNull();
      expect(await w.memory.tenant('bravo').deleteRecord(byId!.id)).toBe(false);
      expect(await t.deleteRecord(byId!.id)).toBe(true);
      expect(await t.getRecord(byId!.id)).toBeNull();
    });

    it('with longhaul extraction, marks events SKIP so a memory with strategies extracts nothing twice', async () => {
      w = await agentCoreWorld({ extraction: 'longhaul', memories: [{ id: MEMORY_ID, strategies }] });
      await w.put('acme', { events: [f.event('acme', { investigationId: f.investigationId(), text: 'Should not be extracted.' })] });
      await w.stub.extract();
      expect(w.stub.records(MEMORY_ID)).toEqual([]);
    });
  });
});
