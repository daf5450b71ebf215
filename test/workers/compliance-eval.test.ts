import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Flag } from '../../src/workers/compliance/checks.js';
import { convert } from '../../src/workers/compliance/rates.js';
import { parseRules } from '../../src/workers/compliance/rules.js';
import { parseEvidenceItem } from '../../src/workers/evidence/index.js';
import { createComplianceRole } from '../../src/workers/compliance.js';
import type { SourceLibrary } from '../../src/workers/sources/library.js';
import { investigation, roleContext, signalWithFiles, task, techcorpSources } from './helpers.js';
import { camt053, EVALUATION, germanCsv, jsonExport, mt940, RATES, WATCH_LIST_CSV } from './statements.js';

type Result = { flags: Flag[]; unchecked: Array<{ transaction: { id: string }; reasons: string[] }>; transactions: { read: number; checked: number; unchecked: number } };

/**
 * The compliance worker on planted data: the same twenty transactions — ten planted
 * (watch-listed parties under other spellings, amounts above EUR 10,000 after
 * conversion) and ten clean (near-miss names, amounts just under) — delivered as a JSON
 * export, a German CSV, camt.053 and MT940. Every planted one must be flagged, no clean
 * one; the counts are the figures the README and the issue note quote.
 */
describe('compliance on planted statements', () => {
  let dir: string;
  let sources: SourceLibrary;
  const rules = parseRules(JSON.stringify({ currency: { base: 'EUR', rates: RATES }, requiredDocuments: { enabled: false } }));
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'longhaul-eval-'));
    mkdirSync(join(dir, 'lists'));
    writeFileSync(join(dir, 'lists', 'watch-list.csv'), WATCH_LIST_CSV);
    sources = await techcorpSources([join(dir, 'lists')]);
  });
  afterAll(async () => {
    await sources.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (files: Parameters<typeof signalWithFiles>[2], payload: unknown = null) => {
    const inv = investigation();
    const { signal, readAttachment } = signalWithFiles(inv, payload, files);
    const { ctx } = await roleContext({ inv, task: task(inv), wake: 'signal', signals: [signal], sources, readAttachment });
    return ((await createComplianceRole(() => rules).run(ctx)) as unknown as { result: Result }).result;
  };

  const formats: Array<[string, () => Parameters<typeof signalWithFiles>[2]]> = [
    ['a JSON export', () => [{ name: 'export.json', mediaType: 'application/json', content: jsonExport(EVALUATION) }]],
    ['a German CSV export', () => [{ name: 'umsaetze.csv', mediaType: 'text/csv', content: germanCsv(EVALUATION) }]],
    ['camt.053', () => [{ name: 'statement.xml', mediaType: 'application/xml', content: camt053(EVALUATION) }]],
    ['MT940', () => [{ name: 'statement.sta', mediaType: 'text/plain', content: mt940(EVALUATION) }]],
  ];
  for (const [name, files] of formats) {
    it(`flags every planted transaction and no clean one in ${name}`, async () => {
      const r = await run(files());
      const flagged = (t: (typeof EVALUATION)[number]) =>
        r.flags.some((f) => f.transaction && f.transaction.counterparty === t.party && f.transaction.date === t.date && (f.rule === 'watch_list' || f.rule === 'large_transaction'));
      const planted = EVALUATION.filter((t) => t.planted);
      const clean = EVALUATION.filter((t) => !t.planted);
      const figures = { planted: planted.length, plantedFlagged: planted.filter(flagged).length, clean: clean.length, cleanFlagged: clean.filter(flagged).length };
      console.log(`compliance evaluation, ${name}: ${JSON.stringify(figures)}`);
      expect(figures).toEqual({ planted: 10, plantedFlagged: 10, clean: 10, cleanFlagged: 0 });
      expect(r.transactions).toEqual({ read: 20, checked: 20, unchecked: 0 });
      expect(r.flags.filter((f) => f.rule === 'needs_review' || f.rule === 'evidence_unreadable')).toEqual([]);
    });
  }

  it('leaves nothing silent on any payload: every transaction is checked or unchecked with a reason, and unreadable evidence is a flag', async () => {
    const key = fc.constantFrom('date', 'bookingDate', 'amount', 'value', 'betrag', 'currency', 'ccy', 'to', 'payee', 'creditor', 'from', 'name', 'memo', 'foo', 'x1', 'direction');
    const value = fc.oneof(
      fc.integer({ min: -2_000_000, max: 2_000_000 }),
      fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((n) => n.toFixed(2)),
      fc.constantFrom('1.234,56', '12,3x', '', 'EUR', 'USD', 'JPY', 'XXX', 'in', 'out', '2026-11-03', '03.11.2026', 'Orion Shell Holdings Ltd', 'Soylent Trading SA', 'Wayne Freight', null),
    );
    const row = fc.dictionary(key, value, { minKeys: 0, maxKeys: 6 });
    const payload = fc.oneof(
      fc.record({ transactions: fc.array(row, { minLength: 1, maxLength: 8 }) }),
      fc.record({ data: fc.record({ items: fc.array(row, { minLength: 1, maxLength: 8 }) }), currency: fc.constantFrom('EUR', 'USD', 'JPY') }),
      fc.array(row, { minLength: 1, maxLength: 8 }),
    );
    await fc.assert(
      fc.asyncProperty(payload, async (p) => {
        const inv = investigation();
        const { signal } = signalWithFiles(inv, p, []);
        const { ctx } = await roleContext({ inv, task: task(inv), wake: 'signal', signals: [signal], sources });
        const out = (await createComplianceRole(() => rules).run(ctx)) as unknown as { result: Result; report: { markdown: string } };
        const r = out.result;
        expect(r.transactions.read).toBe(r.transactions.checked + r.transactions.unchecked);
        for (const u of r.unchecked) expect(u.reasons.length).toBeGreaterThan(0);
        // The oracle: what the parser reads from the same payload. A transaction a rule cannot be
        // applied to (no amount, no currency or no rate for it, no counterparty) must be listed unchecked.
        const parsed = await parseEvidenceItem({ signalId: signal.id, kind: 'payload', name: null, mediaType: 'application/json', payload: p });
        expect(r.transactions.read).toBe(parsed.transactions.length);
        const listed = new Set(r.unchecked.map((u) => u.transaction.id));
        for (const t of parsed.transactions) {
          const rate = t.currency === 'EUR' || (t.currency !== null && convert(rules.rateTable, 1, t.currency, t.date, { maxAgeDays: 45 }).ok);
          const cannot = t.amount === null || !t.currency || !rate || (!t.counterparty && !t.description);
          expect(listed.has(t.id)).toBe(cannot);
        }
        if (r.transactions.read === 0) expect(r.flags.some((f) => f.rule === 'evidence_unreadable')).toBe(true);
        if (r.transactions.unchecked > 0) {
          expect(r.flags.some((f) => f.rule === 'needs_review')).toBe(true);
          expect(out.report.markdown).not.toContain('No rule raised a flag');
        }
      }),
      { numRuns: 60 },
    );
  });
});
