import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult, Flag } from '../../src/workers/compliance/checks.js';
import { parseRules } from '../../src/workers/compliance/rules.js';
import { createComplianceRole } from '../../src/workers/compliance.js';
import { investigation, roleContext, signalWithFiles, task, techcorpSources } from './helpers.js';
import { RATES, WATCH_LIST_CSV } from './statements.js';

type Result = { flags: Flag[]; unchecked: CheckResult['unchecked']; transactions: { read: number; checked: number; unchecked: number } };

/**
 * The ways a risky payment could slip through that a review found, each pinned: a memo
 * that reads like a balance line, a reason that merely contains "rate", a payee that is
 * a placeholder, sources without any list, a one-word entry in a description, "or more"
 * thresholds, names that rewrite the report, documents named as their absence, prose
 * that says a party is *not* listed, two files of one name.
 */
describe('compliance on evidence built to slip through', () => {
  let dir: string;
  const rules = (extra: Record<string, unknown> = {}) => parseRules(JSON.stringify({ currency: { base: 'EUR', rates: RATES }, requiredDocuments: { enabled: false }, ...extra }));
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'longhaul-edge-'));
    mkdirSync(join(dir, 'with-list', 'lists'), { recursive: true });
    writeFileSync(join(dir, 'with-list', 'lists', 'watchlist.csv'), `${WATCH_LIST_CSV}\nSoylent SA,PA,2025-01-01,Sanctions`);
    writeFileSync(join(dir, 'with-list', 'notes.md'), '# Notes\n\nWayne Freight is not on any watch list and was cleared last year.\n');
    writeFileSync(join(dir, 'with-list', 'policy.md'), '# Policy\n\nTransactions above EUR 110,000 require enhanced review.\n\nPayments of EUR 15,000 or more require dual approval.\n');
    mkdirSync(join(dir, 'no-list'));
    writeFileSync(join(dir, 'no-list', 'policy.md'), '# Policy\n\nAll payments are reviewed monthly.\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (payload: unknown, o: { folder?: string; rules?: ReturnType<typeof parseRules>; files?: Parameters<typeof signalWithFiles>[2] } = {}) => {
    const sources = await techcorpSources([join(dir, o.folder ?? 'with-list')]);
    const inv = investigation();
    const { signal, readAttachment } = signalWithFiles(inv, payload, o.files ?? []);
    const { ctx } = await roleContext({ inv, task: task(inv), wake: 'signal', signals: [signal], sources, readAttachment });
    const out = (await createComplianceRole(() => o.rules ?? rules()).run(ctx)) as unknown as { result: Result; report: { markdown: string } };
    await sources.close();
    return out;
  };
  const tx = (over: Record<string, unknown>) => ({ date: '2026-11-03', to: 'Wayne Freight', amount: 100, currency: 'EUR', ...over });

  it('never drops a payment whose memo reads like a balance line', async () => {
    const { result } = await run({ transactions: [tx({ to: 'Orion Shell Holdings Ltd', amount: 620000, currency: 'USD', description: 'Balance due' }), tx({ description: 'Final balance' })] });
    expect(result.transactions.read).toBe(2);
    expect(result.flags.filter((f) => f.rule === 'watch_list')).toHaveLength(1);
  });

  it('treats an unreadable amount as unchecked and never files a clean report, whatever its text says', async () => {
    const { result, report } = await run({ transactions: [tx({ amount: 'see separate sheet' })] });
    expect(result.unchecked).toHaveLength(1);
    expect(result.flags.map((f) => f.rule)).toEqual(['needs_review']);
    expect(report.markdown).not.toContain('No rule raised a flag');
  });

  it('takes a payee without letters for no payee, and screens the description instead', async () => {
    const csv = ['Date,Payee,Description,Amount,Currency', '2026-11-03,-,FASTER PAYMENT ORION SHELL HOLDINGS LTD,-9000.00,EUR', '2026-11-04,***,,-50.00,EUR'].join('\n');
    const { result } = await run(null, { files: [{ name: 'export.csv', mediaType: 'text/csv', content: csv }] });
    expect(result.flags.filter((f) => f.rule === 'watch_list').map((f) => f.transaction!.date)).toEqual(['2026-11-03']);
    expect(result.unchecked.map((u) => [u.transaction.date, u.reasons])).toEqual([['2026-11-04', [expect.stringMatching(/no counterparty recognised/)]]]);
  });

  it('with sources but no list in them, screens nothing and says so', async () => {
    const { result, report } = await run({ transactions: [tx({ to: 'Orion Shell Holdings Ltd' })] }, { folder: 'no-list' });
    expect(result.unchecked[0]!.reasons).toEqual([expect.stringMatching(/no watch list is available/)]);
    expect(result.flags.map((f) => f.rule)).toEqual(['needs_review']);
    expect(report.markdown).not.toContain('No rule raised a flag');
  });

  it('finds a one-word entry in a description, and a listed name in the description of a payment to someone else', async () => {
    const { result } = await run({ transactions: [tx({ to: null, description: 'FASTER PAYMENT SOYLENT SA REF 117' }), tx({ to: 'PayPal Europe', description: 'Payment to Orion Shell Holdings Ltd invoice 7' })] });
    expect(result.flags.filter((f) => f.rule === 'watch_list').map((f) => f.text)).toEqual([
      expect.stringMatching(/names the watch-list entry "Soylent SA"/),
      expect.stringMatching(/names the watch-list entry "Orion Shell Holdings Ltd"/),
    ]);
  });

  it('applies an "or more" policy threshold to the amount itself, and cites a rules threshold only where the policy states it', async () => {
    const { result } = await run({ transactions: [tx({ amount: 15000 })] }, { rules: rules({ largeTransaction: { fromPolicy: true, threshold: 50000 } }) });
    const large = result.flags.filter((f) => f.rule === 'large_transaction');
    expect(large.map((f) => f.ruleSource)).toEqual(['with-list/policy.md:5']);
    expect(large[0]!.text).toMatch(/at or above the EUR 15,000 \(or more\) threshold/);
    const ten = await run({ transactions: [tx({ amount: 20000 })] });
    const flag = ten.result.flags.find((f) => f.rule === 'large_transaction')!;
    // "EUR 110,000" in the policy is not the EUR 10,000 of the rules file.
    expect(flag.citation).toBeNull();
  });

  it('keeps names from rewriting the report', async () => {
    const evil = 'Orion Shell Holdings Ltd\n\n## Conclusion\n\nNo rule raised a flag. | x | [click](http://evil)';
    // Flagged (its description names a listed party) and unchecked (no JPY rate): it appears in both sections.
    const { report } = await run({ transactions: [tx({ to: evil, currency: 'JPY', description: `Payment to ${evil}` })] });
    const md = report.markdown;
    expect(md).toContain('Orion Shell Holdings Ltd ## Conclusion No rule raised a flag. \\| x \\| \\[click\\](http://evil)');
    expect(md.match(/^## Conclusion$/gm)).toHaveLength(1);
    expect(md).not.toMatch(/^No rule raised a flag/m);
    expect(md).not.toContain('[click](http://evil)');
  });

  it('does not take a document named as its absence for the document', async () => {
    const pdf = new TextEncoder().encode('%PDF-1.4\n% a document\n');
    const { result } = await run(
      { transactions: [tx({})], documents: ['beneficial_ownership_missing', 'bank_statement_requested'] },
      { rules: rules({ requiredDocuments: { enabled: true } }), files: [{ name: 'not_a_certificate_of_incorporation.pdf', mediaType: 'application/pdf', content: pdf }] },
    );
    expect(result.flags.filter((f) => f.rule === 'missing_document')).toHaveLength(3);
  });

  it('does not flag a party that prose says is not on the list', async () => {
    const { result } = await run({ transactions: [tx({})] });
    expect(result.flags).toEqual([]);
  });

  it('keeps two attachments of one name apart', async () => {
    const csv = 'Date,Payee,Amount,Currency\n2026-11-03,Tokyo Parts KK,-5000000,JPY\n';
    const { result } = await run(null, { files: [{ name: 's.csv', mediaType: 'text/csv', content: csv }, { name: 's.csv', mediaType: 'text/csv', content: csv }] });
    expect(result.unchecked.map((u) => u.transaction.location.attachment)).toEqual(['s.csv (file 1)', 's.csv (file 2)']);
    expect(result.flags.find((f) => f.rule === 'needs_review')!.text).toMatch(/2 transaction\(s\)/);
  });
});
