import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Flag } from '../../src/workers/compliance/checks.js';
import { parseRules } from '../../src/workers/compliance/rules.js';
import { createComplianceRole } from '../../src/workers/compliance.js';
import type { SourceLibrary } from '../../src/workers/sources/library.js';
import { investigation, roleContext, signalWithFiles, task, techcorpSources } from './helpers.js';
import { camt053, EVALUATION, germanCsv, jsonExport, mt940, RATES, WATCH_LIST_CSV } from './statements.js';

type Result = { flags: Flag[]; unchecked: Array<{ transaction: { id: string; location: { locator: string } }; reasons: string[] }>; transactions: { read: number; checked: number; unchecked: number } };

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

  it('leaves nothing silent on any payload: judged from the generated rows, not from what the parser read', async () => {
    const LISTED = ['Orion Shell Holdings Ltd', 'ORION SHELL HOLDINGS LIMITED', 'Soylent Trading S.A.'];
    const row = fc.record({
      date: fc.constantFrom('2026-11-03', '2026-11-20', ''),
      to: fc.constantFrom(...LISTED, 'Wayne Freight', 'Initech Services', '-', '***', ''),
      amount: fc.oneof(fc.integer({ min: 1, max: 900_000 }), fc.constantFrom('see separate sheet', '12,3x')),
      currency: fc.constantFrom('EUR', 'USD', 'JPY', ''),
      memo: fc.constantFrom('Balance due', 'Final balance', 'Invoice 7', 'Total', ''),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 10 }), async (rows) => {
        const inv = investigation();
        const { signal } = signalWithFiles(inv, { transactions: rows }, []);
        const { ctx } = await roleContext({ inv, task: task(inv), wake: 'signal', signals: [signal], sources });
        const out = (await createComplianceRole(() => rules).run(ctx)) as unknown as { result: Result; report: { markdown: string } };
        const r = out.result;
        const unchecked = new Map(r.unchecked.map((u) => [u.transaction.location.locator, u]));
        const flagged = (i: number, rule: string) => r.flags.some((f) => f.rule === rule && f.transaction?.location.locator === `transactions[${i}]`);
        let mustRead = 0;
        rows.forEach((x, i) => {
          const payee = /[a-z]/i.test(x.to);
          // A dated row that names a payee is a payment, whatever its memo says: it must be read.
          if (!x.date || !payee) return;
          mustRead++;
          const amountOk = typeof x.amount === 'number';
          const rate = x.currency === 'EUR' || x.currency === 'USD';
          const expectUnchecked = !amountOk || !rate;
          expect(unchecked.has(`transactions[${i}]`), `row ${i} ${JSON.stringify(x)} unchecked`).toBe(expectUnchecked);
          if (LISTED.includes(x.to)) expect(flagged(i, 'watch_list'), `row ${i} watch list`).toBe(true);
          else expect(flagged(i, 'watch_list'), `row ${i} not on the list`).toBe(false);
          if (amountOk && rate) {
            const eur = x.currency === 'EUR' ? (x.amount as number) : (x.amount as number) * 0.919;
            expect(flagged(i, 'large_transaction'), `row ${i} threshold`).toBe(eur > 10_000);
          }
        });
        expect(r.transactions.read).toBeGreaterThanOrEqual(mustRead);
        expect(r.transactions.read).toBe(r.transactions.checked + r.transactions.unchecked);
        for (const u of r.unchecked) expect(u.reasons.length).toBeGreaterThan(0);
        if (r.transactions.unchecked > 0) {
          expect(r.flags.some((f) => f.rule === 'needs_review')).toBe(true);
          expect(out.report.markdown).not.toContain('No rule raised a flag');
        }
        if (r.transactions.read === 0) expect(r.flags.some((f) => f.rule === 'evidence_unreadable')).toBe(true);
      }),
      { numRuns: 80 },
    );
  });
});
