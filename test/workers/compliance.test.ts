import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { FakeClock } from '../../src/domain/clock.js';
import type { Flag } from '../../src/workers/compliance-checks.js';
import { DEFAULT_RULES, loadRules, parseRules } from '../../src/workers/compliance-rules.js';
import { createComplianceRole } from '../../src/workers/compliance.js';
import type { Outcome } from '../../src/workers/role.js';
import { citationRef } from '../../src/workers/sources/library.js';
import { BANK_DATA, fact, fakeModel, HOUR, investigation, roleContext, signal, T0, task, waitOf } from './helpers.js';

/** A filing outcome, seen loosely: completed (result + report) or timed_out (report + missing). */
type Filed = { type: Outcome['type']; result: unknown; missing: string[]; report: { markdown: string; complete: boolean; title: string } };

describe('compliance worker', () => {
  const role = createComplianceRole();
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

  describe('when the bank data arrives', () => {
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

    it('files a complete report with each flag citing its source', async () => {
      const { out, sig } = await run();
      expect(out.type).toBe('completed');
      const flags = (out.result as { flags: Flag[] }).flags;
      expect(flags.map((f) => f.rule)).toEqual(['large_transaction', 'large_transaction', 'watch_list', 'missing_document']);
      expect(flags[0]).toMatchObject({ evidence: { signalId: sig.id, path: 'transactions[1]' }, text: expect.stringContaining('EUR 25,000 to Globex Holdings Ltd') });
      expect(citationRef(flags[0]!.citation!)).toBe('techcorp/policies/aml-policy.md:17');
      expect(citationRef(flags[2]!.citation!)).toBe('techcorp/vendors.csv:3');
      expect(flags[3]!.text).toContain('beneficial_ownership');
      expect(citationRef(flags[3]!.citation!)).toBe('techcorp/policies/aml-policy.md:30');
    });

    it('writes the report Markdown: subject, sources consulted, evidence received, flags with citations, conclusion', async () => {
      const { out, sig } = await run();
      const md = out.report.markdown;
      expect(out.report.complete).toBe(true);
      for (const h of ['# Compliance report: TechCorp', '## Subject', '## Sources consulted', '## Evidence received', '## Flags (4)', '## Conclusion']) expect(md).toContain(h);
      expect(md).toContain('`techcorp/vendors.csv`');
      expect(md).toContain(`\`${sig.id}\``);
      expect(md).toContain('Citation: `techcorp/vendors.csv:3`');
      expect(md).toContain('Day 0: Globex Holdings is on the watch list');
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
      const flags = ((await role.run(withFindings)) as unknown as Filed).result as { flags: Flag[] };
      expect(flags.flags).toEqual([expect.objectContaining({ rule: 'watch_list', citation: expect.objectContaining({ file: 'techcorp/vendors.csv', startLine: 6 }) })]);
    });

    it('raises no flag on clean evidence', async () => {
      const clean = { currency: 'EUR', transactions: [{ amount: 900, counterparty: 'Wayne Freight' }], documents: ['bank_statement', 'beneficial_ownership', 'certificate_of_incorporation'] };
      const { ctx } = await roleContext({ inv, task: task(inv), wake: 'signal', signals: [signal(inv, clean)] });
      const out = (await role.run(ctx)) as unknown as Filed;
      expect((out.result as { flags: Flag[] }).flags).toEqual([]);
      expect(out.report.markdown).toContain('No rule raised a flag.');
    });

    it('writes the conclusion with a model, and without one when it fails', async () => {
      const model = fakeModel('High risk: flag 3 names a watch-listed supplier.');
      const t = task(inv);
      const a = (await role.run((await roleContext({ inv, task: t, signals: [signal(inv, BANK_DATA)], model })).ctx)) as unknown as Filed;
      expect(a.report.markdown).toContain('High risk: flag 3 names a watch-listed supplier.');
      expect(model.prompts[0]).toContain('Watch list: Counterparty Globex Holdings Ltd');
      const b = (await role.run((await roleContext({ inv, task: t, signals: [signal(inv, BANK_DATA)], model: fakeModel(new Error('down')) })).ctx)) as unknown as Filed;
      expect(b.report.markdown).toMatch(/4 flag\(s\) for TechCorp/);
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
      expect(DEFAULT_RULES.largeTransaction).toMatchObject({ threshold: 10_000, currency: 'EUR' });
      expect(DEFAULT_RULES.evidenceSignal).toBe('bank_data');
    });

    it('merges a rules file over the defaults', async () => {
      const rules = parseRules(JSON.stringify({ largeTransaction: { threshold: 20_000 }, requiredDocuments: { enabled: false } }));
      expect(rules.largeTransaction).toMatchObject({ threshold: 20_000, currency: 'EUR', enabled: true });
      const { ctx } = await roleContext({ inv, task: task(inv), signals: [signal(inv, BANK_DATA)] });
      const out = (await createComplianceRole(rules).run(ctx)) as unknown as Filed;
      expect((out.result as { flags: Flag[] }).flags.map((f) => f.rule)).toEqual(['large_transaction', 'watch_list']);
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
    });
  });
});
