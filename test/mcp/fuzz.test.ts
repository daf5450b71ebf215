import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rng } from '../../bench/rng.js';
import { TECHCORP, alice, bob, connect, makeApp, toolError, type Connected, type TestApp } from './helpers.js';

/**
 * Randomised hostile input through the real SDK client, on a real SQLite file: every
 * tool, called with arguments drawn from wrong types, empty and oversize values, FTS5
 * syntax, path and percent-encoding tricks, ids of another kind or of another tenant,
 * and deep JSON; every resource template read with such values. Each call must answer
 * with a result (a success, or `isError` with a stable code that is never `internal`)
 * or, for a resource, a protocol error that is not an internal one; nothing may be
 * logged as a failure; and what was written before the storm must still be there.
 */
describe('MCP: randomised hostile input (real SQLite store)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'longhaul-fuzz-'));
  let t: TestApp;
  let a: Connected;
  let b: Connected;
  const known: { ids: string[]; investigationId: string; sessionId: string; bobInvestigationId: string; bobEvent: string; bobRecordId: string } = {
    ids: [],
    bobRecordId: '',
    investigationId: '',
    sessionId: '',
    bobInvestigationId: '',
    bobEvent: 'Bob keeps this: the Globex ledger is clean.',
  };
  const CANARY = 'Canary: Day 0 finding about the TechCorp ledger.';

  beforeAll(async () => {
    t = makeApp({ LONGHAUL_STORE: 'sqlite', LONGHAUL_DATA_DIR: dir });
    a = await connect(t.app, alice);
    b = await connect(t.app, bob);
    const s = await a.call('start_investigation', TECHCORP);
    known.investigationId = s.investigation.investigationId;
    known.sessionId = s.sessionId;
    const e = await a.call('record_event', { investigationId: known.investigationId, role: 'agent', kind: 'finding', text: CANARY });
    const other = await b.call('start_investigation', { subject: 'Globex', objective: 'Bob’s own check' });
    known.bobInvestigationId = other.investigation.investigationId;
    await b.call('record_event', { investigationId: known.bobInvestigationId, role: 'agent', kind: 'fact', text: known.bobEvent });
    // Long-term records to search, read and forget: extracted from findings, facts and a preference.
    for (const [kind, text] of [
      ['finding', 'TechCorp paid Globex Holdings 25,000 EUR through the Hanse ledger.'],
      ['fact', 'The TechCorp ledger filing was three days late.'],
      ['preference', 'Alice prefers reports with citations.'],
    ] as const) {
      await a.call('record_event', { investigationId: known.investigationId, role: 'agent', kind, text });
    }
    await t.app.runtime.memory.extractSession(alice.tenantId, known.sessionId);
    await t.app.runtime.memory.extractSession(bob.tenantId, other.sessionId);
    const aliceRecords = (await a.call('search_memory', { query: 'TechCorp ledger citations', topK: 10 })).results.map((x: any) => x.recordId);
    const bobRecords = (await b.call('search_memory', { query: 'Globex ledger clean', topK: 10 })).results.map((x: any) => x.recordId);
    expect(aliceRecords.length).toBeGreaterThanOrEqual(3);
    expect(bobRecords.length).toBeGreaterThanOrEqual(1);
    known.bobRecordId = bobRecords[0];
    known.ids = [known.investigationId, known.sessionId, e.event.eventId, ...s.tasks.map((x: any) => x.taskId), known.bobInvestigationId, other.sessionId, ...aliceRecords, ...bobRecords];
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Values any field may get: wrong types, edge sizes, syntax of the layers below. */
  const hostile = (r: () => number): unknown => {
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
    const deep = (n: number): unknown => (n === 0 ? 'bottom' : { d: deep(n - 1) });
    return pick<() => unknown>([
      () => pick(['', ' ', '\t\n', 'x', 'x'.repeat(4_001), 'y'.repeat(100_001), '\u0000', '\ud800', '😀'.repeat(50), 'ÄÖÜ ß', 'Robert"); DROP TABLE events;--']),
      () => pick(['..', '../..', 'investigations/../actors', 'investigations/%2e%2e/x', '%2E%2E', 'a//b', '/', 'investigations/', '*', 'investigations/*', 'a b', 'A/B', '~', 'investigations%2Fx']),
      () => pick(['NEAR(a b)', '"unbalanced', 'a OR b', 'terms:x', 'scope:n0', '^start', '-x', 'a*', '(', ')', 'AND', 'NOT x', '{terms}: y', 'a:b:c']),
      () => pick(['ses_' + '0'.repeat(30), 'inv_' + 'Z'.repeat(30), 'tsk_', 'inv_x', 'rec_' + '1'.repeat(30), 'evt_' + '0'.repeat(30), ...known.ids]),
      () => pick(['0s', '1d', '-1h', '999999999d', '1.5h', 'P1D', '2026-13-45', '2020-01-01T00:00:00Z', '9999-12-31T23:59:59Z', 'soon']),
      () => pick([0, -1, 1.5, 1e308, -1e308, 2 ** 53, 10, 500, 501, 1_000_000]),
      () => pick([true, false, null]),
      () => pick([[], [1, 'a'], ['retrieval'], [{}], [null], Array.from({ length: 60 }, (_, i) => ({ role: 'retrieval', instructions: `Task ${i}` }))]),
      () => pick([{}, { signal: 'bank_data' }, { signal: 'x', timeout: '-1d' }, { __proto__: { polluted: true } }, { constructor: 'x' }, deep(70), deep(10)]),
    ])();
  };
  /** Values close to what a field expects, so calls get past the schema and into the runtime. */
  const plausible: Record<string, (r: () => number, tool: string) => unknown> = {
    investigationId: (r) => [known.investigationId, known.investigationId, known.bobInvestigationId, 'inv_' + '0'.repeat(30)][Math.floor(r() * 4)],
    sessionId: (r) => [known.sessionId, 'ses_' + '0'.repeat(30), undefined, undefined][Math.floor(r() * 4)],
    role: (r, tool) => (tool === 'delegate_task' ? ['retrieval', 'compliance'] : ['user', 'assistant', 'tool', 'agent', 'system'])[Math.floor(r() * (tool === 'delegate_task' ? 2 : 5))],
    kind: (r) => ['message', 'finding', 'fact', 'preference', 'signal', 'status', 'decision'][Math.floor(r() * 7)],
    text: (r) => ['The ledger was late.', 'Prefers reports in German.', 'TechCorp paid Globex 25,000 EUR.'][Math.floor(r() * 3)],
    query: (r) => ['ledger', 'TechCorp Globex', 'late ledger filing', 'canary day'][Math.floor(r() * 4)],
    namespace: (r) => ['investigations', `investigations/${known.investigationId}/facts`, 'actors/alice/preferences', 'actors'][Math.floor(r() * 4)],
    subject: () => 'Fuzzed Corp',
    objective: () => 'Check the fuzzed company',
    instructions: () => 'Search the internal sources',
    outcome: (r) => ['completed', 'cancelled', 'escalated', 'failed'][Math.floor(r() * 4)],
    signal: () => 'bank_data',
    name: () => 'bank_data',
    topK: (r) => Math.floor(r() * 12),
    limit: (r) => Math.floor(r() * 12),
    status: (r) => ['open', 'closed'][Math.floor(r() * 2)],
    cursor: () => undefined,
    summary: () => 'Nothing found.',
    includeSuperseded: (r) => r() < 0.5,
    recordId: (r) => [...known.ids.filter((x) => x.startsWith('rec_')), 'rec_' + '0'.repeat(30)][Math.floor(r() * 4)],
    deadline: (r) => ['2026-12-01T00:00:00Z', '3d'][Math.floor(r() * 2)],
    waitFor: (r) => [{ signal: 'bank_data', timeout: '2d' }, undefined][Math.floor(r() * 2)],
    tasks: (r) => [[{ role: 'retrieval', instructions: 'Search the sources' }], [{ role: 'compliance', instructions: 'File it', waitFor: { signal: 'bank_data', timeout: '1d' } }], []][Math.floor(r() * 3)],
    payload: (r) => [{ account: 'DE89', transactions: [] }, 'plain text', 42][Math.floor(r() * 3)],
    data: (r) => [{ file: 'a.md', location: 'L3' }, [1, 2, 3], undefined][Math.floor(r() * 3)],
    idempotencyKey: (r) => `key-${Math.floor(r() * 5)}`,
  };

  const CALLS = 2_000;
  const isInternal = (res: CallToolResult) => {
    const { code, text } = toolError(res);
    return code === 'internal' || code === undefined || !/^\[[a-z_]+\] \S/.test(text);
  };

  it('every tool answers hostile arguments with a result, never an internal error', async () => {
    // forget_event and forget_actor erase by design (a known event id is a plausible value here),
    // against the last test's rule that nothing deletes events: their own tests are test/runtime/erasure*.
    const tools = (await a.client.listTools()).tools.filter((x) => x.name !== 'forget_event' && x.name !== 'forget_actor');
    const r = rng(20261125);
    const failures: string[] = [];
    let errors = 0;
    for (let i = 0; i < CALLS; i++) {
      const tool = tools[Math.floor(r() * tools.length)]!;
      // Half the calls are plausible but for one field (so they reach the runtime), half are random throughout.
      const keys = Object.keys(tool.inputSchema.properties ?? {});
      const args: Record<string, unknown> = {};
      if (r() < 0.5) {
        const odd = r() < 0.15 ? null : keys[Math.floor(r() * keys.length)];
        for (const key of keys) {
          const v = key === odd ? hostile(r) : plausible[key]?.(r, tool.name);
          if (v !== undefined) args[key] = v;
        }
      } else {
        for (const key of keys) {
          if (r() < 0.25) continue;
          args[key] = r() < 0.45 && plausible[key] ? plausible[key]!(r, tool.name) : hostile(r);
        }
      }
      // An unknown key, as JSON.parse would give it (an own property, even "__proto__").
      if (r() < 0.05) Object.defineProperty(args, ['extra', '__proto__', 'tenantId'][Math.floor(r() * 3)]!, { value: hostile(r), enumerable: true, writable: true, configurable: true });
      let res: CallToolResult;
      try {
        res = (await a.client.callTool({ name: tool.name, arguments: args })) as CallToolResult;
      } catch (e) {
        failures.push(`${tool.name} threw ${String(e)} for ${JSON.stringify(args).slice(0, 300)}`);
        continue;
      }
      if (res.isError) {
        errors++;
        if (isInternal(res)) failures.push(`${tool.name}: ${JSON.stringify(res.content).slice(0, 300)} for ${JSON.stringify(args).slice(0, 300)}`);
      } else {
        expect(res.structuredContent).toBeDefined();
      }
    }
    expect(failures).toEqual([]);
    // The storm reached past the schema both ways: some calls failed, some went through.
    expect(errors).toBeGreaterThan(100);
    expect(errors).toBeLessThan(CALLS - 100);
  });

  it('every resource template answers hostile values with content or a non-internal protocol error', async () => {
    const { resourceTemplates } = await a.client.listResourceTemplates();
    const r = rng(7);
    const failures: string[] = [];
    for (let i = 0; i < 600; i++) {
      const tpl = resourceTemplates[Math.floor(r() * resourceTemplates.length)]!.uriTemplate;
      const value = () => {
        const v = r() < 0.4 ? known.ids[Math.floor(r() * known.ids.length)]! : hostile(r);
        const s = typeof v === 'string' ? v : JSON.stringify(v) ?? '';
        // Most values go in as a client would send them; some raw, to reach the parser.
        if (r() < 0.3) return s.slice(0, 2_000);
        try {
          return encodeURIComponent(s).slice(0, 2_000);
        } catch {
          return s.slice(0, 2_000); // a lone surrogate cannot be encoded: send it raw
        }
      };
      let uri = tpl.replace(/\{\+?(\w+)\}/g, () => value());
      if (r() < 0.2) uri += ['?limit=-1', '?limit=abc&cursor=%%%', '?cursor=' + 'z'.repeat(300), '?limit=1e9', '#frag', '?limit=2&limit=3'][Math.floor(r() * 6)];
      try {
        const res = await a.client.readResource({ uri });
        expect(res.contents.length).toBeGreaterThan(0);
      } catch (e) {
        const internal = !(e instanceof McpError) || (e.code === ErrorCode.InternalError && (e.data as { code?: string } | undefined)?.code === 'internal');
        if (internal) failures.push(`${uri.slice(0, 200)}: ${String(e).slice(0, 300)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('logged no failure, kept every earlier write, and let nothing cross tenants', async () => {
    expect(t.logs.filter((l) => JSON.parse(l).level === 'error')).toEqual([]);
    // Alice's Day 0 event is still in her timeline (events are never deleted by a tool).
    const timeline = await a.readJson(`longhaul://investigations/${known.investigationId}/timeline?limit=500`);
    expect(timeline.events.map((e: any) => e.text)).toContain(CANARY);
    // Bob's investigation and event are his alone, whatever Alice sent.
    const bobs = await b.readJson(`longhaul://investigations/${known.bobInvestigationId}/timeline?limit=500`);
    expect(bobs.events.map((e: any) => e.text)).toContain(known.bobEvent);
    expect(bobs.events.every((e: any) => e.actorId === bob.actorId)).toBe(true);
    const aliceList = await a.call('list_investigations', { limit: 100 });
    expect(aliceList.investigations.map((x: any) => x.investigationId)).not.toContain(known.bobInvestigationId);
    const found = await a.call('search_memory', { query: 'Globex ledger clean', topK: 20 });
    expect(JSON.stringify(found)).not.toContain('Bob keeps this');
    // Alice's forget_memory calls with Bob's record id found nothing to forget.
    const bobsRecord = await b.client.readResource({ uri: `longhaul://memory/investigations/${known.bobInvestigationId}/facts` });
    expect((bobsRecord.contents[0] as { text: string }).text).toContain(known.bobRecordId);
  });
});
