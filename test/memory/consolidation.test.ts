import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { namespaces } from '../../src/domain/namespace.js';
import { NEAR_DUPLICATE } from '../../src/memory/consolidate.js';
import { nearDuplicateGroups, words } from '../../src/memory/text.js';
import type { StorePort } from '../../src/store/port.js';
import { ADAPTERS, alice, investigation, record, world, type World } from './helpers.js';

describe.each(ADAPTERS)('consolidation on the $name store', ({ open }) => {
  let w: World;
  let store: StorePort;
  let cleanup: () => Promise<void>;
  let inv: { investigationId: string; sessionId: string };
  let factsNs: string;

  beforeEach(async () => {
    ({ store, cleanup } = await open());
    w = world(store);
    inv = await investigation(w);
    factsNs = namespaces.investigationFacts(inv.investigationId);
  });
  afterEach(() => cleanup());

  const extract = () => w.runtime.memory.extractSession(alice.tenantId, inv.sessionId);
  const facts = async (status: 'active' | 'superseded' | 'all' = 'all') => (await w.runtime.memory.list(alice, { namespace: factsNs, status })).records;

  describe('a duplicate', () => {
    it('with the same normalised text adds its source to the existing record', async () => {
      const a = await record(w, inv.sessionId, 'finding', 'TechCorp revenue grew 12% in 2025.');
      const b = await record(w, inv.sessionId, 'finding', 'techcorp  REVENUE grew 12 % in 2025');
      const run = await extract();
      expect(run.outcomes).toMatchObject({ created: 1, merged: 1 });
      const [only, ...rest] = await facts();
      expect(rest).toEqual([]);
      const read = await w.runtime.memory.read(alice, only!.recordId);
      expect(read.record.sourceEventIds).toEqual([a.eventId, b.eventId]);
      expect(read.record.text).toBe('TechCorp revenue grew 12% in 2025.');
    });

    it('arriving in a later run adds its source to the stored record', async () => {
      await record(w, inv.sessionId, 'finding', 'The auditor resigned in March.');
      await extract();
      const later = await record(w, inv.sessionId, 'fact', 'the auditor resigned in march');
      const run = await extract();
      expect(run.outcomes).toMatchObject({ created: 0, merged: 1 });
      const all = await facts();
      expect(all).toHaveLength(1);
      expect(all[0]!.sourceCount).toBe(2);
      expect((await w.runtime.memory.read(alice, all[0]!.recordId)).record.sourceEventIds).toContain(later.eventId);
    });

    it('that is near-identical (word sets ≥ 90% alike) consolidates too', async () => {
      const base = 'TechCorp moved its treasury operations from Dublin to Luxembourg during the third quarter of fiscal 2025';
      await record(w, inv.sessionId, 'finding', base);
      await extract();
      await record(w, inv.sessionId, 'finding', base + ' quietly');
      expect((await extract()).outcomes).toMatchObject({ created: 0, merged: 1 });
      expect(await facts()).toHaveLength(1);
    });

    it('that is near-identical is found even when many older records share its longest words', async () => {
      const base = 'TechCorp transferred treasury reserves from Dublin accounts to Luxembourg subsidiaries during the third quarter';
      const variant = `${base} quietly`;
      // Older records that hold the variant's first lookup group whole, and nothing else of it.
      const [first, second] = nearDuplicateGroups(new Set(words(variant)), NEAR_DUPLICATE, 4);
      expect(second!.length).toBeGreaterThan(0);
      for (let i = 0; i < 25; i++) await record(w, inv.sessionId, 'finding', `${first!.join(' ')} memo ${i}`);
      expect((await extract()).outcomes).toMatchObject({ created: 25 });
      await record(w, inv.sessionId, 'finding', base);
      await extract();
      await record(w, inv.sessionId, 'finding', variant);
      expect((await extract()).outcomes).toMatchObject({ created: 0, merged: 1 });
      const merged = (await facts()).find((r) => r.text === base);
      expect(merged?.sourceCount).toBe(2);
    });

    it('that is near-identical consolidates within one batch too, past records sharing its longest words', async () => {
      const base = 'TechCorp transferred treasury reserves from Dublin accounts to Luxembourg subsidiaries during the third quarter';
      const variant = `${base} quietly`;
      const [first] = nearDuplicateGroups(new Set(words(variant)), NEAR_DUPLICATE, 4);
      for (let i = 0; i < 10; i++) await record(w, inv.sessionId, 'finding', `${first!.join(' ')} memo ${i}`);
      await record(w, inv.sessionId, 'finding', base);
      await record(w, inv.sessionId, 'finding', variant);
      expect((await extract()).outcomes).toMatchObject({ created: 11, merged: 1 });
      expect((await facts()).find((r) => r.text === base)?.sourceCount).toBe(2);
    });

    it('that differs only in a number stays a separate record', async () => {
      await record(w, inv.sessionId, 'finding', 'TechCorp revenue in the audited accounts for fiscal year 2024 grew by 12 percent overall');
      await record(w, inv.sessionId, 'finding', 'TechCorp revenue in the audited accounts for fiscal year 2024 grew by 15 percent overall');
      await extract();
      expect(await facts()).toHaveLength(2);
    });

    it('that only shares some words stays a separate record', async () => {
      await record(w, inv.sessionId, 'finding', 'TechCorp moved its treasury from Dublin to Luxembourg in 2025');
      await record(w, inv.sessionId, 'finding', 'TechCorp moved its payroll from Dublin to Lisbon in 2024');
      await extract();
      expect(await facts()).toHaveLength(2);
    });

    it('in another namespace is not a duplicate', async () => {
      await record(w, inv.sessionId, 'finding', 'Prefers short answers');
      await record(w, inv.sessionId, 'preference', 'Prefers short answers');
      await extract();
      expect(await facts()).toHaveLength(1);
      expect((await w.runtime.memory.list(alice, { namespace: namespaces.actorPreferences('alice') })).total).toBe(1);
    });
  });

  describe('a newer statement on the same topic (data.key)', () => {
    it('supersedes the older record, which stays readable with a link to its successor', async () => {
      const old = await record(w, inv.sessionId, 'fact', 'The CEO is Jane Roe.', { key: 'ceo' });
      await extract();
      const now = await record(w, inv.sessionId, 'fact', 'The CEO is John Doe since May.', { key: 'CEO' });
      expect((await extract()).outcomes).toMatchObject({ created: 0, superseded: 1 });

      const active = await facts('active');
      expect(active.map((r) => r.text)).toEqual(['The CEO is John Doe since May.']);
      const [superseded] = await facts('superseded');
      expect(superseded).toMatchObject({ text: 'The CEO is Jane Roe.', status: 'superseded', supersededBy: active[0]!.recordId });

      const read = await w.runtime.memory.read(alice, superseded!.recordId);
      expect(read.successor).toMatchObject({ recordId: active[0]!.recordId, text: 'The CEO is John Doe since May.' });
      expect(read.sources.events.map((e) => e.eventId)).toEqual([old.eventId]);
      expect((await w.runtime.memory.read(alice, active[0]!.recordId)).record.sourceEventIds).toEqual([now.eventId]);

      // Search leaves superseded records out unless asked.
      expect((await w.runtime.memory.search(alice, { query: 'CEO', namespace: factsNs })).results.map((r) => r.status)).toEqual(['active']);
      const both = await w.runtime.memory.search(alice, { query: 'CEO', namespace: factsNs, includeSuperseded: true });
      expect(both.results.map((r) => r.status).sort()).toEqual(['active', 'superseded']);
    });

    it('within one batch: the first is stored already superseded', async () => {
      await record(w, inv.sessionId, 'fact', 'Risk rating: medium', { key: 'risk' });
      await record(w, inv.sessionId, 'fact', 'Risk rating: high', { key: 'risk' });
      await extract();
      expect((await facts('active')).map((r) => r.text)).toEqual(['Risk rating: high']);
      expect((await facts('superseded')).map((r) => r.text)).toEqual(['Risk rating: medium']);
    });

    it('with the same text only adds a source', async () => {
      await record(w, inv.sessionId, 'preference', 'Reports in Markdown', { key: 'format' });
      await record(w, inv.sessionId, 'preference', 'reports in markdown.', { key: 'format' });
      await extract();
      const prefs = await w.runtime.memory.list(alice, { namespace: 'actors/alice/preferences', status: 'all' });
      expect(prefs.records.map((r) => [r.status, r.sourceCount])).toEqual([['active', 2]]);
    });
  });

  describe('provenance', () => {
    it('lists the source events of every record, and pages them', async () => {
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push((await record(w, inv.sessionId, 'finding', 'Bank data is missing for Q3.')).eventId);
      await extract();
      const [r] = await facts();
      const p1 = await w.runtime.memory.read(alice, r!.recordId, { limit: 2 });
      expect(p1.sources.events.map((e) => [e.eventId, e.kind, e.text])).toEqual(ids.slice(0, 2).map((id) => [id, 'finding', 'Bank data is missing for Q3.']));
      expect(p1.sources.showing).toBe('showing 2 of 5 source events');
      const p2 = await w.runtime.memory.read(alice, r!.recordId, { limit: 10, cursor: p1.sources.nextCursor });
      expect(p2.sources.events.map((e) => e.eventId)).toEqual(ids.slice(2));
      expect(p2.sources.nextCursor).toBeNull();
    });

    it('records the session summary with the events it cites', async () => {
      const f = await record(w, inv.sessionId, 'finding', 'Two directors share an address.');
      await extract();
      const [summary] = (await w.runtime.memory.list(alice, { namespace: namespaces.sessionSummary(inv.sessionId) })).records;
      expect(summary!.strategy).toBe('summary');
      expect(summary!.text).toContain('Findings (1):\n- Two directors share an address.');
      expect((await w.runtime.memory.read(alice, summary!.recordId)).record.sourceEventIds).toContain(f.eventId);
    });
  });

  describe('forget_memory', () => {
    it('deletes one record and nothing else', async () => {
      await record(w, inv.sessionId, 'finding', 'A');
      await record(w, inv.sessionId, 'finding', 'B');
      await extract();
      const [a, b] = await facts();
      await w.runtime.memory.forget(alice, a!.recordId);
      expect((await facts()).map((r) => r.recordId)).toEqual([b!.recordId]);
      await expect(w.runtime.memory.forget(alice, a!.recordId)).rejects.toMatchObject({ code: 'not_found' });
      await expect(w.runtime.memory.read(alice, a!.recordId)).rejects.toMatchObject({ code: 'not_found' });
    });

    it("cannot reach another tenant's record", async () => {
      await record(w, inv.sessionId, 'finding', 'secret');
      await extract();
      const [r] = await facts();
      await expect(w.runtime.memory.forget({ tenantId: 'globex', actorId: 'mallory' }, r!.recordId)).rejects.toMatchObject({ code: 'not_found' });
      expect(await facts()).toHaveLength(1);
    });
  });
});
