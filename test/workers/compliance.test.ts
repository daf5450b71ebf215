import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import writeXlsxFile from 'write-excel-file/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { FakeClock } from '../../src/domain/clock.js';
import type { CheckResult, Flag } from '../../src/workers/compliance/checks.js';
import { DEFAULT_RULES, loadRules, parseRules } from '../../src/workers/compliance/rules.js';
import { createComplianceRole } from '../../src/workers/compliance.js';
import type { Outcome } from '../../src/workers/role.js';
import { citationRef } from '../../src/workers/sources/citation.js';
import { BANK_DATA, fact, fakeModel, HOUR, investigation, roleContext, signal, signalWithFiles, T0, task, techcorpSources, waitOf } from './helpers.js';
import { camt053, EVALUATION, RATES, WATCH_LIST_CSV } from './statements.js';

/** A filing outcome, seen loosely: completed (result + report) or timed_out (report + missing). */
type Result = { flags: Flag[]; unchecked: CheckResult['unchecked']; transactions: { read: number; checked: number; unchecked: number }; evidence: Array<Record<string, any>>; watchLists: Array<Record<string, any>> };
type Filed = { type: Outcome['type']; result: Result; missing: string[]; report: { markdown: string; complete: boolean; title: string } };
const role = createComplianceRole();

describe('compliance worker', () => {
  const inv = investigation();

  describe('when the bank data has not arrived', () => {
    it('waits for it until the deadline counted from the task creation', async () => {
      const clock = new FakeClock(T0 + HOUR);
      const { ctx } = await roleContext({ inv, task: task(inv, { waitFor: null }), clock });
      expect(await role.run(ctx)).toEqual({ type: 'wait', signal: 'bank_data', deadline: T0 + 72 * HOUR, note: expect.stringContaining('bank_data') });
    });

    it('waits for the signal its task was delegated with', async () => {
      const { ctx } = await roleContext({ inv, task: task(inv, { waitFor: { signal: 'registry_extract', timeoutMs: 3 * HOUR } }) });
      expect(await role.run(ctx)).toMatchObject({ type: 'wait', signal: 'registry_extract', deadline: T0 + 3 * HOUR });
    });
  });

  describe('when the TechCorp bank data arrives as JSON', () => {
    const run = async () => {
      const t = task(inv, { wakeReason: 'signal' });
      const sig = signal(inv, BANK_DATA);
      const { ctx, recorded } = await roleContext({
        inv,
        task: t,
        wake: 'signal',
        signals: [sig],
        waits: [waitOf(t, { status: 'resolved', signalId: sig.id })],
        clock: new FakeClock(T0 + 72 * HOUR - HOUR),
        facts: [fact(inv, 'Day 0: Globex Holdings is on the watch list (techcorp/meeting-notes/2026-11-03-techcorp-kickoff.md:11)')],
      });
      return { out: (await role.run(ctx)) as unknown as Filed, recorded, sig };
    };

    it('files a complete report: each flag names the transaction, where it sits in the evidence and the source of its rule', async () => {
      const { out, sig } = await run();
      expect(out.type).toBe('completed');
      const flags = out.result.flags;
      expect(flags.map((f) => f.rule)).toEqual(['watch_list', 'large_transaction', 'large_transaction', 'missing_document']);
      expect(flags[0]).toMatchObject({ transaction: { counterparty: 'Globex Holdings Ltd', amount: 25_000, currency: 'EUR', date: '2026-10-11' }, evidence: { signalId: sig.id, attachment: null, locator: 'transactions[1]' } });
      expect(citationRef(flags[0]!.citation!)).toBe('techcorp/vendors.csv:3');
      expect(flags[1]!.text).toMatch(/^EUR 25,000\.00 to Globex Holdings Ltd on 2026-10-11 is above the EUR 10,000 threshold/);
      expect(citationRef(flags[1]!.citation!)).toBe('techcorp/policies/aml-policy.md:17');
      expect(flags[1]!.ruleSource).toBe('rules file: largeTransaction (EUR 10,000)');
      expect(flags[3]!.text).toContain('beneficial_ownership');
      expect(citationRef(flags[3]!.citation!)).toBe('techcorp/policies/aml-policy.md:30');
      expect(out.result.transactions).toEqual({ read: 3, checked: 3, unchecked: 0 });
    });

    it('writes the report Markdown: subject, sources, evidence with its mapping, rules applied, flags, unchecked, conclusion', async () => {
      const { out, sig } = await run();
      const md = out.report.markdown;
      expect(out.report.complete).toBe(true);
      for (const h of ['# Compliance report: TechCorp', '## Subject', '## Sources consulted', '## Evidence received', '## Rules applied', '## Flags (4)', '## Unchecked (0)', '## Conclusion']) expect(md).toContain(h);
      expect(md).toContain('`techcorp/vendors.csv`');
      expect(md).toContain(`\`${sig.id}\``);
      expect(md).toMatch(/Field mapping \(inferred, list `transactions`\): date ← `date`, amount ← `amount`[^\n]*counterparty ← `counterparty`/);
      expect(md).toContain('Citation: `techcorp/vendors.csv:3`');
      expect(md).toContain('Day 0: Globex Holdings is on the watch list');
      expect(md).toContain('None: every one of the 3 transaction(s) was checked against every rule.');
      expect(md).not.toContain('What is missing');
    });

    it('records each flag as a finding for long-term memory', async () => {
      const { recorded } = await run();
      expect(recorded.filter((e) => e.kind === 'finding').map((e) => e.text)).toEqual(expect.arrayContaining([expect.stringMatching(/^Compliance flag \(Watch list\).*techcorp\/vendors\.csv:3/)]));
    });

    it('checks evidence that arrived after the deadline but before the worker ran', async () => {
      const t = task(inv);
      const { ctx } = await roleContext({ inv, task: t, wake: 'deadline', signals: [signal(inv, BANK_DATA)], waits: [waitOf(t, { status: 'timed_out' })], clock: new FakeClock(T0 + 80 * HOUR) });
      expect((await role.run(ctx)).type).toBe('completed');
    });

    it("flags watch-list entries among the retrieval worker's findings, not policy prose about the list", async () => {
      const finding = (file: string, line: number, snippet: string) =>
        ({ id: `evt_${line}`, kind: 'finding', text: snippet, data: { citation: { file, startLine: line, endLine: line, snippet, score: 1 } } }) as never;
      const { ctx } = await roleContext({ inv, task: task(inv), signals: [signal(inv, { transactions: [], documents: DEFAULT_RULES.requiredDocuments.documents })] });
      const withFindings = {
        ...ctx,
        memory: {
          ...ctx.memory,
          findings: [
            finding('techcorp/policies/aml-policy.md', 25, '4.3 A match on the watch list is always a flag in the compliance report, whatever the amount.'),
            finding('techcorp/vendors.csv', 6, 'name: Soylent Trading SA; country: PA; status: watch list; relationship: none known'),
          ],
        },
      };
      const flags = ((await role.run(withFindings)) as unknown as Filed).result.flags;
      expect(flags.filter((f) => f.rule === 'watch_list')).toEqual([expect.objectContaining({ citation: expect.objectContaining({ file: 'techcorp/vendors.csv', startLine: 6 }) })]);
    });

    it('raises no flag on clean evidence, and says every transaction was checked', async () => {
      const clean = { currency: 'EUR', transactions: [{ amount: 900, counterparty: 'Wayne Freight', date: '2026-10-02' }], documents: ['bank_statement', 'beneficial_ownership', 'certificate_of_incorporation'] };
      const { ctx } = await roleContext({ inv, task: task(inv), wake: 'signal', signals: [signal(inv, clean)] });
      const out = (await role.run(ctx)) as unknown as Filed;
      expect(out.result.flags).toEqual([]);
      expect(out.report.markdown).toContain('No rule raised a flag: 1 transaction(s) checked against every rule.');
    });

    it('writes the conclusion with a model, and without one when it fails', async () => {
      const model = fakeModel('High risk: flag 1 names a watch-listed supplier.');
      const t = task(inv);
      const a = (await role.run((await roleContext({ inv, task: t, signals: [signal(inv, BANK_DATA)], model })).ctx)) as unknown as Filed;
      expect(a.report.markdown).toContain('High risk: flag 1 names a watch-listed supplier.');
      expect(model.prompts.at(-1)).toContain('Watch list: EUR 25,000.00 to Globex Holdings Ltd');
      const b = (await role.run((await roleContext({ inv, task: t, signals: [signal(inv, BANK_DATA)], model: fakeModel(new Error('down')) })).ctx)) as unknown as Filed;
      expect(b.report.markdown).toMatch(/4 flag\(s\) for TechCorp/);
    });
  });

  describe('on data nobody here wrote', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'longhaul-compliance-'));
      mkdirSync(join(dir, 'docs', 'lists'), { recursive: true });
      writeFileSync(join(dir, 'docs', 'lists', 'watchlist.csv'), WATCH_LIST_CSV);
      writeFileSync(join(dir, 'docs', 'policy.md'), '# Payments policy\n\nAny single payment above USD 100,000 requires dual approval by the CFO.\n');
      const db = new Database(join(dir, 'crm.db'));
      db.exec(`CREATE TABLE sanctions (id INTEGER PRIMARY KEY, entity TEXT, program TEXT);
               INSERT INTO sanctions VALUES (1, 'Blue Lagoon Shipping Co', 'OFAC SDN'), (2, 'Kestrel Metals FZE', 'EU 2026/14');`);
      db.close();
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const docs = () => techcorpSources([join(dir, 'docs')], [{ kind: 'database', name: 'crm', url: `sqlite:${join(dir, 'crm.db')}`, tables: ['sanctions'], maxAgeMs: 3_600_000 }]);
    const withRates = (extra: Record<string, unknown> = {}) => parseRules(JSON.stringify({ currency: { base: 'EUR', rates: RATES }, requiredDocuments: { enabled: false }, ...extra }));
    const check = async (payload: unknown, o: { rules?: ReturnType<typeof parseRules>; files?: Parameters<typeof signalWithFiles>[2]; model?: ReturnType<typeof fakeModel> } = {}) => {
      const sources = await docs();
      const { signal: sig, readAttachment } = signalWithFiles(inv, payload, o.files ?? []);
      const { ctx } = await roleContext({ inv, task: task(inv), wake: 'signal', signals: [sig], sources, readAttachment, model: o.model });
      const out = (await createComplianceRole(() => o.rules ?? withRates()).run(ctx)) as unknown as Filed;
      await sources.close();
      return { ...out, sig };
    };

    it("flags both USD 620,000 payments of the issue's JSON export to the watch-listed payee, citing the list entry, and converts them", async () => {
      const payload = {
        transactions: [
          { date: '2026-11-03', to: 'Orion Shell Holdings Ltd', amount: 620000, currency: 'USD', ref: 'INV-117' },
          { date: '2026-11-17', to: 'Orion Shell Holdings Ltd', amount: 620000, currency: 'USD', ref: 'INV-118' },
          { date: '2026-11-20', to: 'Wayne Freight', amount: 1200, currency: 'USD', ref: 'F-1' },
        ],
      };
      const { result, report } = await check(payload);
      const wl = result.flags.filter((f) => f.rule === 'watch_list');
      expect(wl.map((f) => f.transaction!.date)).toEqual(['2026-11-03', '2026-11-17']);
      expect(wl.map((f) => citationRef(f.citation!))).toEqual(['docs/lists/watchlist.csv:2', 'docs/lists/watchlist.csv:2']);
      expect(wl[0]!.ruleSource).toBe('docs/lists/watchlist.csv:2');
      const large = result.flags.filter((f) => f.rule === 'large_transaction');
      expect(large).toHaveLength(2);
      expect(large[0]!.text).toMatch(/USD 620,000\.00 to Orion Shell Holdings Ltd on 2026-11-03 is above the EUR 10,000 threshold \(EUR 569,780\.00 at 0\.919 USD→EUR, rate of 2026-11-01\)/);
      expect(result.transactions).toEqual({ read: 3, checked: 3, unchecked: 0 });
      expect(report.markdown).toMatch(/Field mapping \(inferred[^\n]*counterparty ← `to`/);
      expect(report.markdown).toMatch(/Watch list `docs\/lists\/watchlist.csv` \(found by its name\): 4 entries/);
    });

    it('with no rate for a currency, leaves its transactions unchecked with the reason and raises a needs-review flag', async () => {
      const payload = { transactions: [{ date: '2026-11-03', to: 'Orion Shell Holdings Ltd', amount: 620000, currency: 'USD' }, { date: '2026-11-04', to: 'Tokyo Parts KK', amount: 5_000_000, currency: 'JPY' }] };
      const { result, report } = await check(payload, { rules: parseRules(JSON.stringify({ requiredDocuments: { enabled: false } })) });
      expect(result.flags.map((f) => f.rule)).toEqual(['watch_list', 'needs_review', 'needs_review']);
      expect(result.flags[1]!.text).toMatch(/^No usable USD→EUR rate: 1 transaction\(s\) could not be compared with the thresholds/);
      expect(result.unchecked.map((u) => [u.transaction.currency, u.reasons[0]])).toEqual([
        ['USD', expect.stringMatching(/no rate for USD.*thresholds not applied/)],
        ['JPY', expect.stringMatching(/no rate for JPY.*thresholds not applied/)],
      ]);
      expect(report.markdown).toMatch(/## Unchecked \(2\)\n\n\| # \| transaction \| where \| why it could not be checked \|/);
      expect(report.markdown).toMatch(/\| 2 \| JPY 5,000,000\.00 to Tokyo Parts KK on 2026-11-04 \| `sig_\w+ payload transactions\[1\]` \| no rate for JPY/);
      expect(report.markdown).not.toContain('No rule raised a flag');
    });

    it('reads a camt.053 statement attached to the signal, citing the attachment, the entry and its line', async () => {
      const xml = camt053(EVALUATION.slice(0, 2));
      const { result, report, sig } = await check(null, { files: [{ name: 'statement-2026-11.xml', mediaType: 'application/xml', content: xml }] });
      const wl = result.flags.filter((f) => f.rule === 'watch_list');
      expect(wl).toHaveLength(2);
      expect(wl[0]!.evidence).toMatchObject({ signalId: sig.id, attachment: 'statement-2026-11.xml', locator: expect.stringMatching(/Ntry\[0\]/), line: expect.any(Number) });
      expect(wl[0]!.transaction).toMatchObject({ counterparty: 'ORION SHELL HOLDINGS LIMITED', direction: 'debit', amount: 620_000, currency: 'USD' });
      expect(report.markdown).toMatch(/Attachment `statement-2026-11.xml` \(application\/xml, [\d.]+ KiB, SHA-256 `[0-9a-f]{64}`\): camt\.053; 2 transaction\(s\)/);
      expect(report.markdown).toMatch(/Field mapping \(format/);
    });

    it('screens the description of an export without a payee column (a UK current account)', async () => {
      const csv = ['Date,Description,Paid out,Paid in,Balance', '03/11/2026,FASTER PAYMENT ORION SHELL HOLDINGS LTD REF 117,"4,500.00",,"95,500.00"', '04/11/2026,CARD PAYMENT TESCO STORES,42.10,,"95,457.90"'].join('\n');
      const { result } = await check(null, { files: [{ name: 'statement.csv', mediaType: 'text/csv', content: csv }] });
      expect(result.flags.filter((f) => f.rule === 'watch_list')).toEqual([expect.objectContaining({ text: expect.stringMatching(/description .* names the watch-list entry "Orion Shell Holdings Ltd"/), ruleSource: 'docs/lists/watchlist.csv:2' })]);
      // The export names no currency: the watch list was screened, the thresholds could not be applied.
      expect(result.unchecked.map((u) => u.reasons)).toEqual([['no currency — thresholds not applied'], ['no currency — thresholds not applied']]);
      // Unless the rules say which currency such an export is in.
      const gbp = await check(null, { files: [{ name: 'statement.csv', mediaType: 'text/csv', content: csv }], rules: withRates({ evidenceMapping: { defaultCurrency: 'GBP' } }) });
      expect(gbp.result.transactions).toMatchObject({ read: 2, checked: 2, unchecked: 0 });
      expect(gbp.report.markdown).toMatch(/2 transaction\(s\) without a currency read as GBP \(evidenceMapping.defaultCurrency\)/);
    });

    it('screens against one sheet of a workbook the rules name', async () => {
      const workbook = await writeXlsxFile([
        { sheet: 'Notes', data: [['Name', 'Comment'], ['Orion Shell Holdings Ltd', 'met at a fair']] },
        { sheet: 'Sanctions', data: [['Entity', 'Programme'], ['Kestrel Metals FZE', 'EU 2026/14'], ['Blue Lagoon Shipping Co', 'OFAC']] },
      ] as never).toBuffer();
      writeFileSync(join(dir, 'docs', 'screening.xlsx'), workbook);
      const payload = { transactions: [{ date: '2026-11-03', to: 'KESTREL METALS F.Z.E.', amount: 100, currency: 'EUR' }] };
      const { result } = await check(payload, { rules: withRates({ watchList: { detectLists: false, lists: [{ ref: 'docs/screening.xlsx', sheet: 'Sanctions' }] } }) });
      expect(result.flags.map((f) => [f.rule, citationRef(f.citation!)])).toEqual([['watch_list', 'docs/screening.xlsx:Sanctions!2']]);
      const missing = await check(payload, { rules: withRates({ watchList: { detectLists: false, lists: [{ ref: 'docs/screening.xlsx', sheet: 'PEPs' }] } }) });
      expect(missing.result.flags.map((f) => f.text)).toEqual(
        expect.arrayContaining([expect.stringMatching(/Watch list "docs\/screening.xlsx" could not be read: no sheet "PEPs" \(sheets: Notes, Sanctions\)/), expect.stringMatching(/no watch list is available/)]),
      );
      rmSync(join(dir, 'docs', 'screening.xlsx'));
    });

    it('screens against a watch list kept in a database table the rules name, citing the row', async () => {
      const payload = { transactions: [{ date: '2026-11-03', beneficiary: { name: 'BLUE LAGOON SHIPPING CO.' }, amount: { value: '1.250,00', currency: 'EUR' } }] };
      const { result } = await check(payload, { rules: withRates({ watchList: { lists: [{ ref: 'crm:sanctions', nameColumn: 'entity' }] } }) });
      const wl = result.flags.filter((f) => f.rule === 'watch_list');
      expect(wl).toHaveLength(1);
      expect(citationRef(wl[0]!.citation!)).toBe('crm:sanctions#id=1');
      expect(result.watchLists).toEqual(expect.arrayContaining([expect.objectContaining({ ref: 'crm:sanctions', by: 'rules', entries: 2, problem: null })]));
    });

    it('says when a watch list the rules name cannot be read, instead of screening against nothing', async () => {
      const { result } = await check({ transactions: [{ date: '2026-11-03', to: 'Wayne Freight', amount: 100, currency: 'EUR' }] }, { rules: withRates({ watchList: { lists: ['docs/lists/missing.csv'] } }) });
      expect(result.flags).toEqual([expect.objectContaining({ rule: 'needs_review', text: expect.stringMatching(/Watch list "docs\/lists\/missing.csv" could not be read: not found/) })]);
    });

    it('applies thresholds written in the policy sources when the rules point there, citing the policy line', async () => {
      const payload = { transactions: [{ date: '2026-11-03', to: 'Thames Consulting Ltd', amount: 120_000, currency: 'USD' }] };
      const { result } = await check(payload, { rules: withRates({ largeTransaction: { threshold: 500_000, currency: 'EUR', fromPolicy: true } }) });
      expect(result.flags).toEqual([expect.objectContaining({ rule: 'large_transaction', ruleSource: 'docs/policy.md:3', text: expect.stringMatching(/above the USD 100,000 threshold/) })]);
    });

    it('never files a clean report on evidence it cannot read: the fields it saw are named', async () => {
      const { result, report } = await check({ records: [{ foo: 'x', bar: 2 }, { foo: 'y', bar: 3 }] });
      expect(result.flags[0]).toMatchObject({ rule: 'evidence_unreadable', text: expect.stringMatching(/fields seen: .*foo/) });
      expect(report.markdown).toMatch(/\*\*Evidence unreadable\*\*/);
      expect(report.markdown).not.toContain('No rule raised a flag');
    });

    it("reads a shape it cannot infer with the rules file's evidenceMapping", async () => {
      const payload = { rows: [{ d: '2026-11-03', who: 'Orion Shell Holdings Ltd', amt: 620000, ccy: 'USD' }] };
      const { result, report } = await check(payload, { rules: withRates({ evidenceMapping: { transactions: 'rows', date: 'd', counterparty: 'who', amount: 'amt', currency: 'ccy' } }) });
      expect(result.flags.map((f) => f.rule)).toEqual(['watch_list', 'large_transaction']);
      expect(report.markdown).toMatch(/Field mapping \(rules[^\n]*counterparty ← `who`/);
    });

    it("uses a model's mapping for an unreadable shape only after checking it against the data", async () => {
      const payload = { zeilen: [{ tag: '2026-11-03', partei: 'Orion Shell Holdings Ltd', summe: 620000, waehrung: 'USD' }, { tag: '2026-11-04', partei: 'Wayne Freight', summe: 50, waehrung: 'USD' }] };
      const good = await check(payload, { model: fakeModel('{"date": "tag", "counterparty": "partei", "amount": "summe", "currency": "waehrung"}') });
      expect(good.result.evidence[0]).toMatchObject({ unreadable: null, mapping: expect.objectContaining({ by: 'model', counterparty: 'partei' }) });
      expect(good.result.flags.map((f) => f.rule)).toEqual(['watch_list', 'large_transaction']);
      const bad = await check(payload, { model: fakeModel('{"date": "partei", "amount": "tag"}') });
      expect(bad.result.flags[0]).toMatchObject({ rule: 'evidence_unreadable' });
      expect(bad.result.evidence[0]!.notes.join(' ')).toMatch(/a model proposed a mapping .* not used/);
    });

    it('counts a document attached to the signal as a required document', async () => {
      const pdf = new TextEncoder().encode('%PDF-1.4\n%fake but sniffed as a document\n');
      const { result } = await check(
        { transactions: [{ date: '2026-11-03', to: 'Wayne Freight', amount: 100, currency: 'EUR' }], documents: ['bank_statement'] },
        { rules: withRates({ requiredDocuments: { enabled: true } }), files: [{ name: 'Certificate of Incorporation - TechCorp.pdf', mediaType: 'application/pdf', content: pdf }] },
      );
      expect(result.flags.map((f) => f.text)).toEqual([expect.stringMatching(/"beneficial_ownership" is neither listed in nor attached/)]);
    });
  });

  describe('when the bank data never arrives', () => {
    it('escalates at the deadline: an incomplete report naming what is missing', async () => {
      const t = task(inv, { wakeReason: 'deadline' });
      const { ctx } = await roleContext({ inv, task: t, wake: 'deadline', waits: [waitOf(t, { status: 'timed_out', resolvedAt: T0 + 72 * HOUR })], clock: new FakeClock(T0 + 72 * HOUR) });
      const out = (await role.run(ctx)) as unknown as Filed;
      expect(out.type).toBe('timed_out');
      expect(out.report.complete).toBe(false);
      expect(out.missing[0]).toMatch(/Signal `bank_data` — not received by the deadline \(2026-11-06T09:00:00.000Z\)/);
      const md = out.report.markdown;
      expect(md).toContain('# INCOMPLETE compliance report (escalation): TechCorp');
      expect(md).toContain('## What is missing');
      expect(md).toContain('None: signal `bank_data` had not arrived by the deadline');
    });

    it('escalates on a re-run after a lease expiry too (the decision reads the stored wait, not only the wake reason)', async () => {
      const t = task(inv, { wakeReason: 'lease_expired' });
      const { ctx } = await roleContext({ inv, task: t, wake: 'lease_expired', waits: [waitOf(t, { status: 'timed_out' })], clock: new FakeClock(T0 + 73 * HOUR) });
      expect((await role.run(ctx)).type).toBe('timed_out');
    });
  });

  describe('intake on Day 0', () => {
    it('records what it waits for and the watch-list entries of the sources as facts', async () => {
      const t = task(inv, { status: 'waiting', attempts: 0 });
      const { ctx, recorded } = await roleContext({ inv, task: t, waits: [waitOf(t)] });
      await role.intake!(ctx);
      expect(recorded[0]).toMatchObject({ kind: 'fact', text: expect.stringMatching(/waits for "bank_data" until 2026-11-06T09:00:00.000Z; it will check transactions above EUR 10,000/) });
      const entries = recorded.slice(1).map((e) => e.text);
      expect(entries).toEqual(expect.arrayContaining([expect.stringMatching(/Globex Holdings Ltd.*techcorp\/vendors\.csv:3/), expect.stringMatching(/Soylent Trading/)]));
      expect(entries.join('\n')).not.toMatch(/aml-policy/);
    });
  });

  describe('rules', () => {
    it('has a documented default', () => {
      expect(DEFAULT_RULES.largeTransaction).toMatchObject({ threshold: 10_000, currency: 'EUR', fromPolicy: false });
      expect(DEFAULT_RULES.currency).toMatchObject({ base: 'EUR', maxRateAge: '45d' });
      expect(DEFAULT_RULES.watchList).toMatchObject({ detectLists: true, minScore: 90, lists: [] });
      expect(DEFAULT_RULES.evidenceSignal).toBe('bank_data');
    });

    it('merges a rules file over the defaults', async () => {
      const rules = parseRules(JSON.stringify({ largeTransaction: { threshold: 20_000 }, requiredDocuments: { enabled: false } }));
      expect(rules.largeTransaction).toMatchObject({ threshold: 20_000, currency: 'EUR', enabled: true });
      const { ctx } = await roleContext({ inv, task: task(inv), signals: [signal(inv, BANK_DATA)] });
      const out = (await createComplianceRole(() => rules).run(ctx)) as unknown as Filed;
      expect(out.result.flags.map((f) => f.rule)).toEqual(['watch_list', 'large_transaction']);
    });

    it('reads a rates file beside the rules file', () => {
      const dir = mkdtempSync(join(tmpdir(), 'longhaul-rules-'));
      writeFileSync(join(dir, 'rates.csv'), 'date,currency,rate\n2026-11-01,USD,0.919\n2026-11-01,GBP,1.152\n');
      writeFileSync(join(dir, 'rules.json'), JSON.stringify({ currency: { base: 'EUR', ratesFile: 'rates.csv' } }));
      expect(loadRules(join(dir, 'rules.json')).rateTable.currencies()).toEqual(['GBP', 'USD']);
      writeFileSync(join(dir, 'rules.json'), JSON.stringify({ currency: { base: 'EUR', ratesFile: 'nope.csv' } }));
      expect(() => loadRules(join(dir, 'rules.json'))).toThrow(/currency.ratesFile .*nope.csv cannot be read \(ENOENT\)/);
      writeFileSync(join(dir, 'rules.json'), JSON.stringify({ largeTransaction: { currency: 'USD' } }));
      expect(() => loadRules(join(dir, 'rules.json'))).toThrow(/largeTransaction.currency USD is neither currency.base \(EUR\) nor a currency with a rate/);
      rmSync(dir, { recursive: true, force: true });
    });

    it('refuses an invalid rules file with errors naming the file and each field', () => {
      const file = join(tmpdir(), `longhaul-rules-${process.pid}.json`);
      writeFileSync(file, JSON.stringify({ largeTransaction: { threshold: -5 }, watchList: { markers: [] }, colour: 'red' }));
      let err: unknown;
      try {
        loadRules(file);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      const msg = (err as Error).message;
      expect(msg).toContain(file);
      expect(msg).toContain('largeTransaction.threshold: must be a positive amount');
      expect(msg).toContain('watchList.markers: needs at least one marker phrase');
      expect(msg).toMatch(/colour/);
      expect(() => loadRules('/no/such/rules.json')).toThrow(/rules-file \(LONGHAUL_RULES_FILE=\/no\/such\/rules.json\): cannot read it \(ENOENT\)/);
      expect(() => parseRules('{not json', 'x.json')).toThrow(/x.json is not valid JSON/);
      expect(() => parseRules(JSON.stringify({ currency: { base: 'EUR', rates: [{ date: '2026-13-01', USD: 0.9 }] } }), 'r.json')).toThrow(/r.json: currency: .*2026-13-01/);
    });
  });
});
