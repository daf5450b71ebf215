/**
 * What the erasure tests share: clients as a given actor (with the scopes an HTTP
 * credential would carry), everything a client can read, and the forget_actor scenario
 * that each store runs (test/runtime/erasure.test.ts on SQLite, erasure-postgres on
 * PostgreSQL), with the store's own check that no byte of the canary is left.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'vitest';
import type { App } from '../../src/app.js';
import { buildServer } from '../../src/mcp/server.js';
import type { Caller } from '../../src/runtime/deps.js';
import { toolError } from '../mcp/helpers.js';

export const CANARY = 'zebraquartzcanary';
export const alice: Caller = { tenantId: 'acme', actorId: 'alice' };
export const carol: Caller = { tenantId: 'acme', actorId: 'carol' };

export interface Conn {
  client: Client;
  call(name: string, args: Record<string, unknown>): Promise<any>;
  raw(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  read(uri: string): Promise<string>;
}

/** A client as `caller`; `scopes` as an HTTP credential would carry them (authInfo), none for a stdio-like caller. */
export async function connectAs(app: App, caller: Caller, scopes?: string[]): Promise<Conn> {
  const server = buildServer(app, { resolveCaller: () => caller });
  const client = new Client({ name: 'erasure-test', version: '0.0.0' });
  const [ct, st] = InMemoryTransport.createLinkedPair();
  if (scopes) {
    const send = ct.send.bind(ct);
    ct.send = (m, o) => send(m, { ...o, authInfo: { token: 'test', clientId: caller.actorId, scopes, extra: { ...caller, scopes } } });
  }
  await server.connect(st);
  await client.connect(ct);
  const raw = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;
  return {
    client,
    raw,
    async call(name, args) {
      const r = await raw(name, args);
      if (r.isError) throw new Error(`${name} failed: ${JSON.stringify(r.content)}`);
      return r.structuredContent;
    },
    async read(uri) {
      const r = await client.readResource({ uri });
      return r.contents.map((c) => ('text' in c ? c.text : '')).join('\n');
    },
  };
}

/** Everything a client of `c` can read about the investigation and the memory, as one text. */
export async function everything(c: Conn, inv: string, sessions: string[]): Promise<string> {
  const parts: string[] = [];
  const add = (x: unknown) => parts.push(typeof x === 'string' ? x : JSON.stringify(x));
  // Results only: a search echoes its query.
  add((await c.call('search_memory', { query: CANARY })).results);
  add((await c.call('search_memory', { query: 'TechCorp Initech Globex subsidiaries ledger insolvent', topK: 20 })).results);
  add(await c.call('get_investigation', { investigationId: inv }));
  add(await c.call('list_investigations', {}));
  add(await c.raw('resume_investigation', { investigationId: inv }));
  for (const uri of [
    `longhaul://investigations/${inv}`,
    `longhaul://investigations/${inv}/timeline`,
    'longhaul://inbox',
    'longhaul://memory/investigations',
    'longhaul://memory/sessions',
    'longhaul://memory/actors',
    ...sessions.flatMap((s) => [`longhaul://sessions/${s}`, `longhaul://sessions/${s}/events`, `longhaul://memory/sessions/${s}`]),
  ]) {
    add(await c.read(uri));
  }
  // Every resource the server lists, and every record it can show (with its sources).
  for (const r of (await c.client.listResources()).resources) add(await c.read(r.uri).catch((e: Error) => e.message));
  const records = (await c.call('search_memory', { query: 'TechCorp subsidiaries ledger zebraquartzcanary', topK: 20 })) as { results: Array<{ recordId: string }> };
  for (const r of records.results) add(await c.read(`longhaul://memory/records/${r.recordId}`).catch((e: Error) => e.message));
  const prompt = await c.client.getPrompt({ name: 'supervisor', arguments: { investigationId: inv } });
  add(prompt);
  return parts.join('\n');
}

/**
 * alice writes a canary phrase (a finding, a private preference, a message) and a fact
 * carol states too; carol has a finding of her own. After forget_actor, nothing a client
 * can reach holds the canary, `leftovers()` (the store's raw check) finds none, carol's
 * records keep her sources, and the receipt is readable.
 */
export async function forgetActorScenario(app: App, leftovers: () => Promise<string>): Promise<void> {
      const a = await connectAs(app, alice);
      const c = await connectAs(app, carol);
      const started = await a.call('start_investigation', { subject: 'TechCorp', objective: 'Check TechCorp before onboarding' });
      const inv = started.investigation.investigationId as string;
      // alice's words: a finding with the canary, a private preference, a message, and a fact carol states too.
      await a.call('record_event', { investigationId: inv, role: 'user', kind: 'finding', text: `Ledger line 4 shows ${CANARY} transfers of 9,400 EUR` });
      await a.call('record_event', { investigationId: inv, role: 'user', kind: 'preference', text: `Write reports as ${CANARY} bullet lists`, data: { key: 'format' } });
      await a.call('record_event', { investigationId: inv, role: 'user', kind: 'message', text: `Remember the ${CANARY} codename` });
      const shared = await a.call('record_event', { investigationId: inv, role: 'user', kind: 'fact', text: 'TechCorp has three subsidiaries in Malta' });
      const carolsFact = await c.call('record_event', { investigationId: inv, role: 'user', kind: 'fact', text: 'TechCorp has three subsidiaries in Malta' });
      const carolsOwn = await c.call('record_event', { investigationId: inv, role: 'user', kind: 'finding', text: 'TechCorp filed its accounts late in 2025' });
      // Oldest session first: alice stated the shared fact first, so its record holds her words.
      for (const s of (await app.store.tenant('acme').listSessions({ investigationId: inv })).reverse()) await app.runtime.memory.extractSession('acme', s.id);
      const sessions = (await app.store.tenant('acme').listSessions({ investigationId: inv })).map((s) => s.id);

      // The canary is everywhere before: the check below can fail.
      expect(await everything(a, inv, sessions)).toContain(CANARY);
      expect(await leftovers()).toContain(CANARY);
      // The fact both stated is one record, from alice's words first, with both sources.
      const before = (await app.store.tenant('acme').listRecords({ namespacePrefix: `investigations/${inv}/facts`, limit: 10 })).items.find((r) => r.text.includes('Malta'));
      expect(before?.sourceEventIds).toEqual([shared.event.eventId, carolsFact.event.eventId]);
      expect(before?.actorId).toBe('alice');

      // carol may not erase alice (no admin scope); nothing is erased.
      const refused = toolError(await c.raw('forget_actor', { actorId: 'alice' }));
      expect(refused.code).toBe('unauthorized');
      expect(await everything(a, inv, sessions)).toContain(CANARY);

      const receipt = await a.call('forget_actor', { actorId: 'alice' });
      expect(receipt.subject).toEqual({ kind: 'actor', actorId: 'alice' });
      expect(receipt.requestedBy).toBe('alice');
      // (Checked before anything below: resuming, as the checks do, records new events of hers.)
      expect(await app.store.tenant('acme').listEvents({ actorId: 'alice', limit: 10 })).toMatchObject({ items: [], total: 0 });
      expect(receipt.counts.events).toBeGreaterThanOrEqual(5);
      expect(receipt.counts.recordsDeleted).toBeGreaterThanOrEqual(2);
      expect(receipt.counts.recordsRevised).toBeGreaterThanOrEqual(1);
      // Her session held only her events: its summary had nothing left to say, and went.
      const hers = (await app.store.tenant('acme').listSessions({ investigationId: inv, actorId: 'alice' })).map((s) => s.id);
      for (const s of hers) expect((await app.store.tenant('acme').listRecords({ namespacePrefix: `sessions/${s}`, limit: 10 })).items).toEqual([]);

      // Nothing returns her words: not to her, not to carol, not in the file's bytes.
      expect(await everything(a, inv, sessions)).not.toContain(CANARY);
      expect(await everything(c, inv, sessions)).not.toContain(CANARY);
      expect(await leftovers()).not.toContain(CANARY);
      expect((await a.call('search_memory', { query: CANARY })).results).toEqual([]);
      const timeline = await a.read(`longhaul://investigations/${inv}/timeline`);
      expect(timeline).not.toContain(shared.event.eventId);

      // carol's records survive, with her sources only.
      const t = app.store.tenant('acme');
      const all = (await t.listRecords({ namespacePrefix: '', limit: 100 })).items;
      const fact = all.find((r) => r.text === 'TechCorp has three subsidiaries in Malta');
      expect(fact?.sourceEventIds).toEqual([carolsFact.event.eventId]);
      expect(fact?.actorId).toBe('carol');
      const own = all.find((r) => r.text === 'TechCorp filed its accounts late in 2025');
      expect(own?.sourceEventIds).toEqual([carolsOwn.event.eventId]);
      expect(all.filter((r) => r.namespace.startsWith('actors/alice'))).toEqual([]);

      // The receipt is readable, and holds no erased content.
      const kept = await a.read(receipt.uri);
      expect(JSON.parse(kept)).toMatchObject({ erasureId: receipt.erasureId, subject: { kind: 'actor', actorId: 'alice' }, counts: receipt.counts });
      expect(kept).not.toContain(CANARY);
}
