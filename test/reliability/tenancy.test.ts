/**
 * The tenancy and actor attack list, on every backend through real server processes:
 * as tenant A's actor alice, try to reach tenant B's (and A's other actor amir's private)
 * investigations, sessions, events, records, reports, inbox, sources and signals through
 * every tool, resource URI, completion, subscription and the signal webhook — with B's
 * real ids, forged ids, `..` and percent-encoded traversal, wildcards, case variants, very
 * long ids and unicode look-alikes; with a valid B id and A's token; with A's MCP session
 * id and B's token. 0 leaks: no answer anywhere holds B's (or amir's) canary text or an
 * id the attacker did not send, and B's ids get the same not_found as ids that never existed.
 */
import { randomBytes } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_META_KEY } from '../../src/mcp/tool.js';
import { waitFor } from '../e2e/harness.js';
import { bearer, post, rawSession, toolCall } from '../transports/http/helpers.js';
import { A1, A2, B1, BACKENDS, type Conn, type Deployment, type Proc } from './backends.js';

const SERVER_ENV = { LONGHAUL_SWEEP_INTERVAL: '1s', LONGHAUL_EXTRACTION_INTERVAL: '1s', LONGHAUL_IDLE_TIMEOUT: '2s' };

/** The variants an attacker tries for one real id of B's. */
export function forgeries(id: string): Array<[string, string]> {
  const [prefix, body] = [id.slice(0, 4), id.slice(4)];
  return [
    ['B id as is', id],
    ['lower case', id.toLowerCase()],
    ['upper case', id.toUpperCase()],
    ['.. traversal', `${prefix}x/../${id}`],
    ['percent-encoded ..', `${prefix}x%2F..%2F${id}`],
    ['double-encoded ..', `%252e%252e%252f${id}`],
    ['wildcard %', `${prefix}%`],
    ['wildcard _', `${prefix}${'_'.repeat(body.length)}`],
    ['wildcard *', `${prefix}*`],
    ['wildcard ?', `${id.slice(0, -1)}?`],
    ['bracket [', `${id.slice(0, -2)}[A-Z0-9]`],
    ['very long', id + 'X'.repeat(10_000)],
    ['trailing NUL', `${id}\u0000`],
    ['trailing space', `${id} `],
    ['cyrillic look-alike', id.replace(/[A-Z]/, (c) => ({ A: 'А', B: 'В', C: 'С', E: 'Е', H: 'Н', K: 'К', M: 'М', O: 'О', P: 'Р', T: 'Т', X: 'Х' })[c] ?? 'А')],
    ['fullwidth', id.replace(/[0-9]/, (d) => String.fromCharCode(0xff10 + Number(d)))],
  ];
}

/** A never-existing id of the same kind and shape. */
const ghost = (id: string) => id.slice(0, 4) + '0'.repeat(id.length - 4);

const errorOf = (r: CallToolResult) => ({
  code: (r._meta?.[ERROR_META_KEY] as { code?: string } | undefined)?.code,
  text: r.content.map((c) => (c.type === 'text' ? c.text : '')).join(' '),
});

describe.each(BACKENDS.map((b) => [b.name, b] as const))('tenancy and actor attacks on %s', (_name, backend) => {
  let d: Deployment;
  const conns: Conn[] = [];
  let a1: Conn, a2: Conn, b1: Conn;
  let http: Proc & { mcp: string };
  const canary = { b: `GLOBEX-CANARY-${randomBytes(4).toString('hex')}`, amir: `AMIR-PRIVATE-${randomBytes(4).toString('hex')}` };
  const b: Record<string, string> = {};
  const a: Record<string, string> = {};
  /** Every answer an attack got, to search for leaks. */
  const answers: Array<{ attack: string; sent: string; text: string }> = [];
  // amir's session id is no secret inside acme (the shared timeline shows where his events are); his record and its text are.
  const secrets = () => [canary.b, canary.amir, ...Object.values(b), a.amirRecord!].filter(Boolean);

  beforeAll(async () => {
    d = await backend.deploy(SERVER_ENV);
    for (const who of [A1, A2, B1]) {
      const o = await d.open(who);
      conns.push(o.conn);
    }
    [a1, a2, b1] = conns as [Conn, Conn, Conn];
    http = await d.serveHttp(SERVER_ENV);
    // Tenant B: an investigation with a finding, a fact, a preference, a signal with a file, a report.
    const s = await b1.call('start_investigation', {
      subject: `${canary.b} Holdings`,
      objective: `Check ${canary.b}`,
      tasks: [{ role: 'compliance', instructions: `Report on ${canary.b}`, waitFor: { signal: 'bank_data', timeout: '3d' } }],
    });
    b.inv = s.investigation.investigationId;
    b.session = s.sessionId;
    b.task = s.tasks[0].taskId;
    b.event = (await b1.call('record_event', { investigationId: b.inv, role: 'agent', kind: 'fact', text: `${canary.b} fact: the ledger is clean` })).event.eventId;
    await b1.call('record_event', { investigationId: b.inv, role: 'user', kind: 'preference', text: `${canary.b} preference: short reports` });
    const sig = await b1.call('submit_signal', { investigationId: b.inv, signal: 'bank_data', payload: { who: canary.b }, attachments: [{ name: 'b.csv', mediaType: 'text/csv', text: `x,${canary.b}\n` }] });
    b.signal = sig.signal.signalId;
    const state = await waitFor(async () => {
      const st = await b1.call('get_investigation', { investigationId: b.inv });
      return st.report ? st : null;
    }, 30_000, "B's report");
    b.report = state.report.reportId;
    const rec = await waitFor(async () => (await b1.call('search_memory', { query: 'ledger clean', topK: 5 })).results[0]?.recordId, 30_000, "B's fact record");
    b.record = rec;
    // Tenant A: alice's investigation; amir's preference in it (private to amir) and his own session.
    const sa = await a1.call('start_investigation', { subject: 'TechCorp', objective: 'Shared by acme' });
    a.inv = sa.investigation.investigationId;
    const pref = await a2.call('record_event', { investigationId: a.inv, role: 'user', kind: 'preference', text: `${canary.amir}: send me reports in German` });
    a.amirSession = pref.sessionId;
    a.amirRecord = await waitFor(
      async () => (await a2.readJson(`longhaul://memory/actors/${A2.actor}/preferences`)).records.find((r: { text: string }) => r.text.includes(canary.amir))?.recordId,
      30_000,
      "amir's preference record",
    );
  }, 120_000);

  afterAll(async () => {
    for (const c of conns) await c.close().catch(() => undefined);
    await d?.cleanup();
  });

  /** Runs one attack and keeps its answer; returns the answer (tool result or protocol error). */
  const attack = async (name: string, sent: string, fn: () => Promise<unknown>) => {
    let text: string;
    let result: unknown;
    try {
      result = await fn();
      text = JSON.stringify(result);
    } catch (e) {
      result = e;
      text = String((e as Error).message ?? e);
    }
    answers.push({ attack: name, sent, text });
    return result;
  };

  const toolAttacks = (id: string): Array<[string, string, Record<string, unknown>]> => [
    ['get_investigation', 'investigationId', { investigationId: id }],
    ['resume_investigation', 'investigationId', { investigationId: id }],
    ['delegate_task', 'investigationId', { investigationId: id, role: 'retrieval', instructions: 'steal' }],
    ['submit_signal', 'investigationId', { investigationId: id, signal: 'bank_data', payload: { x: 1 } }],
    ['record_event (investigation)', 'investigationId', { investigationId: id, role: 'agent', text: 'intrusion' }],
    ['record_event (session)', 'sessionId', { sessionId: id, role: 'agent', text: 'intrusion' }],
    ['close_investigation', 'investigationId', { investigationId: id, outcome: 'cancelled' }],
    ['forget_memory', 'recordId', { recordId: id }],
  ];

  const uriAttacks = (v: Record<string, string>): string[] => [
    `longhaul://investigations/${v.inv}`,
    `longhaul://investigations/${v.inv}/timeline`,
    `longhaul://investigations/${v.inv}/report`,
    `longhaul://investigations/${v.inv}/reports/${v.report}`,
    `longhaul://investigations/${v.inv}/tasks/${v.task}`,
    `longhaul://investigations/${v.inv}/signals/${v.signal}/attachments/0`,
    `longhaul://sessions/${v.session}`,
    `longhaul://sessions/${v.session}/events`,
    `longhaul://memory/investigations/${v.inv}/facts`,
    `longhaul://memory/sessions/${v.session}/summary`,
    `longhaul://memory/investigations/${v.inv}/facts?record=${v.record}`,
  ];

  it('B ids through every tool (8 tools × 16 variants × 4 kinds of id) and every resource URI (11 templates × 16 variants): not_found, same as a never-existing id, 0 leaks', async () => {
    let n = 0;
    for (const kind of ['inv', 'session', 'record', 'event'] as const) {
      for (const [variant, id] of forgeries(b[kind]!)) {
        for (const [tool, , args] of toolAttacks(id)) {
          const r = (await attack(`${tool} with ${kind} ${variant}`, id, () => a1.callRaw(tool, args))) as CallToolResult;
          expect(r.isError, `${tool} with B's ${kind} (${variant}) must fail`).toBe(true);
          n++;
        }
      }
      // B's exact id answers exactly like an id that never existed.
      for (const [tool, field, args] of toolAttacks(b[kind]!)) {
        const real = errorOf(await a1.callRaw(tool, args));
        const never = errorOf(await a1.callRaw(tool, { ...args, [field]: ghost(b[kind]!) }));
        expect(real.code, `${tool} with B's ${kind}: ${real.text}`).toBe(never.code);
        expect(real.text.replaceAll(b[kind]!, '<id>')).toBe(never.text.replaceAll(ghost(b[kind]!), '<id>'));
      }
    }
    const variants = Object.fromEntries(Object.keys(b).map((k) => [k, forgeries(b[k]!)])) as Record<string, Array<[string, string]>>;
    for (let i = 0; i < variants.inv!.length; i++) {
      const v = Object.fromEntries(Object.keys(b).map((k) => [k, variants[k]![i]![1]]));
      for (const uri of uriAttacks(v)) {
        await attack(`read ${uri.slice(0, 80)} (${variants.inv![i]![0]})`, uri, () => a1.readText(uri));
        n++;
      }
    }
    for (const uri of uriAttacks(b)) {
      // B's exact URI reads exactly like one of ids that never existed: the same error, or
      // (a memory namespace is a prefix, not an object) the same empty listing.
      const text = (x: unknown) => (x instanceof Error ? `error: ${x.message}` : String(x)).replace(/(inv|ses|tsk|sig|rep|rec)_[0-9A-Za-z]+/g, '<id>');
      const real = await attack('read exact', uri, () => a1.readText(uri));
      const never = await attack('read ghost', uri, () => a1.readText(uri.replace(/(inv|ses|tsk|sig|rep|rec)_[0-9A-Z]+/g, (m) => ghost(m))));
      expect(text(real), uri).toBe(text(never));
      if (!uri.startsWith('longhaul://memory/')) expect(real, uri).toBeInstanceOf(Error);
    }
    console.info(`[reliability] tenancy ${backend.name}: ${n} forged-id attacks on tools and resources`);
  }, 180_000);

  it("lists, searches, completions, the inbox and sources as A (6 surfaces × 9 queries) hold nothing of B's or of amir's private memory", async () => {
    const queries = [canary.b, canary.amir, 'ledger', '%', '_', '*', '?', '[', 'German'];
    for (const q of queries) {
      await attack(`list_investigations ${q}`, q, () => a1.call('list_investigations', { query: q }));
      await attack(`search_memory ${q}`, q, () => a1.call('search_memory', { query: q, topK: 50 }));
      await attack(`search_memory actors/amir ${q}`, q, () => a1.call('search_memory', { query: q, namespace: `actors/${A2.actor}`, topK: 50 }));
      for (const ref of [
        { ref: { type: 'ref/resource', uri: 'longhaul://investigations/{investigationId}' }, argument: { name: 'investigationId', value: q } },
        { ref: { type: 'ref/resource', uri: 'longhaul://memory/{+namespace}' }, argument: { name: 'namespace', value: q } },
        { ref: { type: 'ref/resource', uri: 'longhaul://sessions/{sessionId}' }, argument: { name: 'sessionId', value: q } },
      ]) {
        await attack(`complete ${ref.argument.name} ${q}`, q, () => a1.client.complete(ref as never));
      }
    }
    for (const prefix of ['inv_', 'ses_', b.inv!.slice(0, 8), 'investigations/', 'actors/', `actors/${A2.actor}/`]) {
      await attack(`complete investigationId ${prefix}`, prefix, () =>
        a1.client.complete({ ref: { type: 'ref/resource', uri: 'longhaul://investigations/{investigationId}' }, argument: { name: 'investigationId', value: prefix } }),
      );
      await attack(`complete namespace ${prefix}`, prefix, () => a1.client.complete({ ref: { type: 'ref/resource', uri: 'longhaul://memory/{+namespace}' }, argument: { name: 'namespace', value: prefix } }));
    }
    for (const uri of ['longhaul://inbox', 'longhaul://sources', `longhaul://memory/actors/${A2.actor}/preferences`, `longhaul://memory/actors/${A2.actor}`, 'longhaul://memory/actors/', `longhaul://investigations/${a.inv}/timeline`, `longhaul://sessions/${a.amirSession}/events`]) {
      await attack(`read ${uri}`, uri, () => a1.readText(uri));
    }
    await attack('resources/list', '', () => a1.client.listResources());
    // alice cannot record into amir's session, nor forget his record.
    expect((await a1.callRaw('record_event', { sessionId: a.amirSession, role: 'agent', text: 'as amir' })).isError).toBe(true);
    expect((await a1.callRaw('forget_memory', { recordId: a.amirRecord })).isError).toBe(true);
    // …and amir's record is still his.
    expect(JSON.stringify(await a2.readJson(`longhaul://memory/actors/${A2.actor}/preferences`))).toContain(canary.amir);
  }, 120_000);

  it("a subscription to B's URIs never tells A of B's changes", async () => {
    const uris = [`longhaul://investigations/${b.inv}`, `longhaul://investigations/${b.inv}/timeline`, `longhaul://sessions/${b.session}`];
    for (const uri of uris) await attack(`subscribe ${uri}`, uri, () => a1.client.subscribeResource({ uri }));
    await b1.call('record_event', { investigationId: b.inv, role: 'agent', text: `${canary.b} after the subscription` });
    await b1.call('submit_signal', { investigationId: b.inv, signal: 'note', payload: {} });
    // B's own subscriber hears it: the notifications are flowing.
    await b1.client.subscribeResource({ uri: uris[0]! });
    await b1.call('submit_signal', { investigationId: b.inv, signal: 'note2', payload: {} });
    await waitFor(async () => b1.updated.includes(uris[0]!), 10_000, "B's own notification");
    expect(a1.updated.filter((u) => u.includes(b.inv!) || u.includes(b.session!))).toEqual([]);
  }, 60_000);

  it("over HTTP: the webhook refuses B's investigations with A's token (16 variants) as not found, and A's MCP session id is useless with B's token", async () => {
    const tA = d.token(A1);
    const tB = d.token(B1);
    for (const [variant, id] of forgeries(b.inv!)) {
      const r = await fetch(`${http.url}/hooks/signals/${encodeURIComponent(id)}/bank_data`, { method: 'POST', headers: { ...bearer(tA), 'content-type': 'application/json' }, body: '{"stolen":true}' });
      const text = await r.text();
      answers.push({ attack: `webhook ${variant}`, sent: id, text });
      expect(r.status, `webhook with B's investigation (${variant}): ${text}`).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
    }
    const exact = await fetch(`${http.url}/hooks/signals/${b.inv}/bank_data`, { method: 'POST', headers: { ...bearer(tA), 'content-type': 'application/json' }, body: '{}' });
    const never = await fetch(`${http.url}/hooks/signals/${ghost(b.inv!)}/bank_data`, { method: 'POST', headers: { ...bearer(tA), 'content-type': 'application/json' }, body: '{}' });
    expect(exact.status).toBe(404);
    expect(never.status).toBe(404);
    expect((await exact.text()).replaceAll(b.inv!, '<id>')).toBe((await never.text()).replaceAll(ghost(b.inv!), '<id>'));
    // A's MCP session, presented with B's token: refused, nothing of A's (or B's) through it.
    const sid = await rawSession(http.mcp, bearer(tA));
    const hijack = await post(http.mcp, toolCall(7, 'get_investigation', { investigationId: a.inv }), { ...bearer(tB), 'mcp-session-id': sid });
    const body = await hijack.text();
    answers.push({ attack: 'session hijack', sent: sid, text: body });
    expect(hijack.status, body).toBeGreaterThanOrEqual(400);
    expect(body).not.toContain('TechCorp');
    // Nothing the attacks sent reached B.
    const state = await b1.call('get_investigation', { investigationId: b.inv });
    expect(state.signals.map((s: { name: string }) => s.name).sort()).toEqual(['bank_data', 'note', 'note2']);
    expect(state.investigation.status).toBe('open');
    expect(state.tasks).toHaveLength(1);
  }, 60_000);

  it('0 leaks in every answer the attacks got', () => {
    expect(answers.length).toBeGreaterThan(500);
    const leaks: string[] = [];
    for (const x of answers) {
      for (const s of secrets()) {
        // An id the attacker sent may come back in its own error; anything else is a leak.
        if (x.text.includes(s) && !x.sent.includes(s)) leaks.push(`${x.attack}: ${s} in ${x.text.slice(0, 200)}`);
      }
    }
    expect(leaks).toEqual([]);
    console.info(`[reliability] tenancy ${backend.name}: ${answers.length} attack answers searched for ${secrets().length} secrets: 0 leaks`);
  });
});
