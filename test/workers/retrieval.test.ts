import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { citationRef } from '../../src/workers/sources/citation.js';
import { docxOf, pdfOf } from './documents.js';
import { ModelError } from '../../src/runtime/model.js';
import { createRetrievalRole, type RetrievalResult } from '../../src/workers/retrieval.js';
import { fakeModel, investigation, roleContext, task, techcorpSources } from './helpers.js';

describe('retrieval worker', () => {
  const role = createRetrievalRole();
  const inv = investigation();
  const retrievalTask = task(inv, { role: 'retrieval', instructions: 'Search internal sources for TechCorp, its suppliers and payments', waitFor: null });

  describe('with the TechCorp documents and no model', () => {
    it('records each finding with a citation (file, line range, snippet) and completes with the ranked findings', async () => {
      const { ctx, recorded } = await roleContext({ inv, task: retrievalTask });
      const out = await role.run(ctx);
      expect(out.type).toBe('completed');
      const result = (out as { result: RetrievalResult }).result;
      expect(result.findings.length).toBeGreaterThanOrEqual(5);
      expect(result.findings.map((f) => f.rank)).toEqual(result.findings.map((_, i) => i + 1));
      for (const f of result.findings) {
        expect(f.citation).toMatchObject({ file: expect.stringMatching(/^techcorp\//), startLine: expect.any(Number), endLine: expect.any(Number), snippet: expect.any(String) });
      }
      expect(result.findings.map((f) => f.citation!.file)).toEqual(expect.arrayContaining(['techcorp/vendors.csv', 'techcorp/techcorp-profile.html']));
      expect(result.sourcesConsulted).toHaveLength(6);
      expect(result.summaryBy).toBe('deterministic');
      expect(result.summary).toMatch(/Found \d+ cited passage\(s\) on TechCorp/);
      // One finding event per finding, each carrying its citation.
      expect(recorded).toHaveLength(result.findings.length);
      expect(recorded.every((e) => e.kind === 'finding' && /\(techcorp\/[^)]+:\d+(-\d+)?\)/.test(e.text))).toBe(true);
    });

    it('is deterministic: the same sources give the same findings', async () => {
      const a = await role.run((await roleContext({ inv, task: retrievalTask })).ctx);
      const b = await role.run((await roleContext({ inv, task: retrievalTask })).ctx);
      expect(a).toEqual(b);
    });
  });

  it('completes with a clear summary when no sources are configured and memory is empty', async () => {
    const { ctx, recorded } = await roleContext({ inv, task: retrievalTask, sources: await techcorpSources([]) });
    const out = await role.run(ctx);
    expect(out).toMatchObject({ type: 'completed', summary: expect.stringMatching(/No sources are configured/) });
    expect(recorded).toEqual([]);
  });

  it('adds long-term memory records to the findings', async () => {
    const { ctx } = await roleContext({ inv, task: retrievalTask });
    const record = { id: 'rec_X', text: 'TechCorp was reviewed in 2024 and passed.', namespace: 'investigations/inv_old/facts' };
    const withMemory = { ...ctx, memory: { ...ctx.memory, search: async () => [{ record: record as never, score: 2 }] } };
    const result = ((await role.run(withMemory)) as { result: RetrievalResult }).result;
    expect(result.findings.at(-1)).toMatchObject({ kind: 'memory', recordId: 'rec_X', citation: null });
  });

  it("does not count this investigation's own memory (its facts, reports, session summaries) as findings", async () => {
    const { ctx } = await roleContext({ inv, task: retrievalTask });
    const own = [
      { id: 'rec_facts', text: 'TechCorp: "pays Oceanic Ltd" (techcorp/vendors.csv:3)', namespace: `investigations/${inv.id}/facts`, investigationId: inv.id },
      { id: 'rec_report', text: 'Compliance report on TechCorp: 2 flags', namespace: `investigations/${inv.id}/reports`, investigationId: inv.id },
      { id: 'rec_summary', text: 'Session of investigation on TechCorp: started', namespace: 'sessions/ses_1/summary', investigationId: inv.id },
    ];
    const other = { id: 'rec_other', text: 'TechCorp was reviewed in 2024 and passed.', namespace: 'investigations/inv_old/facts', investigationId: 'inv_old' };
    const hits = [...own, other].map((record, i) => ({ record: record as never, score: 5 - i }));
    const withMemory = { ...ctx, memory: { ...ctx.memory, search: async () => hits } };
    const result = ((await role.run(withMemory)) as { result: RetrievalResult }).result;
    expect(result.findings.filter((f) => f.kind === 'memory').map((f) => f.recordId)).toEqual(['rec_other']);
  });

  describe('with a model', () => {
    it('writes the summary with it', async () => {
      const model = fakeModel('TechCorp pays a watch-listed supplier (techcorp/vendors.csv:3).');
      const { ctx } = await roleContext({ inv, task: retrievalTask, model });
      const result = ((await role.run(ctx)) as { result: RetrievalResult }).result;
      expect(result.summary).toBe('TechCorp pays a watch-listed supplier (techcorp/vendors.csv:3).');
      expect(result.summaryBy).toBe('fake:test');
      expect(model.prompts[0]).toContain('techcorp/vendors.csv:');
    });

    it('falls back to the deterministic summary when the model fails', async () => {
      const { ctx } = await roleContext({ inv, task: retrievalTask, model: fakeModel(new ModelError('model down')) });
      const result = ((await role.run(ctx)) as { result: RetrievalResult }).result;
      expect(result.summaryBy).toBe('deterministic');
      expect(result.summary).toMatch(/Found \d+ cited passage/);
    });
  });
});

describe('retrieval over PDFs, Word files and database tables', () => {
  const inv = investigation({ subject: 'TechCorp', objective: 'Check TechCorp before onboarding' });
  const t = task(inv, { role: 'retrieval', instructions: 'Find payments by TechCorp to offshore suppliers', waitFor: null });
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'longhaul-retrieval-'));
    const docs = join(dir, 'docs');
    mkdirSync(docs);
    writeFileSync(join(docs, 'board-minutes.md'), '# TechCorp board minutes\n\n## Payments\n\nThe board noted that TechCorp paid USD 620,000 to Orion Shell Holdings, an offshore supplier, in October.\nNo tender was run.\n');
    writeFileSync(join(docs, 'audit.pdf'), await pdfOf([['TechCorp internal audit 2026'], ['Finding 3: TechCorp made two payments to an offshore supplier without dual approval.', 'The CFO signed both.']]));
    writeFileSync(join(docs, 'memo.docx'), await docxOf(['TechCorp supplier memo', 'TechCorp payments to offshore suppliers go through a Cyprus intermediary.']));
    writeFileSync(join(docs, 'scan.pdf'), await pdfOf([[]]));
    const db = new Database(join(dir, 'erp.db'));
    db.exec(`CREATE TABLE payments (id INTEGER PRIMARY KEY, payer TEXT, payee TEXT, memo TEXT);
             INSERT INTO payments VALUES (7, 'TechCorp GmbH', 'Orion Shell Holdings Ltd', 'offshore supplier payment, consulting'), (8, 'Initech', 'Wayne Freight', 'freight');`);
    db.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const sourcesFor = () => techcorpSources([join(dir, 'docs')], [{ kind: 'database', name: 'erp', url: `sqlite:${join(dir, 'erp.db')}`, tables: ['payments', 'ledger'], maxAgeMs: 3_600_000 }]);
  const run = async () => {
    const sources = await techcorpSources([join(dir, 'docs')], [{ kind: 'database', name: 'erp', url: `sqlite:${join(dir, 'erp.db')}`, tables: ['payments', 'ledger'], maxAgeMs: 3_600_000 }]);
    const { ctx, recorded } = await roleContext({ inv, task: t, sources });
    const out = (await createRetrievalRole().run(ctx)) as { result: RetrievalResult };
    await sources.close();
    return { result: out.result, recorded };
  };

  it('finds passages that answer the task in every format, cited to the line, page or row, and never a title line', async () => {
    const { result } = await run();
    const refs = result.findings.map((f) => citationRef(f.citation!));
    expect(refs).toEqual(expect.arrayContaining(['docs/board-minutes.md:5', 'docs/audit.pdf:p2', 'docs/memo.docx:2', 'erp:payments#id=7']));
    expect(result.findings.find((f) => f.kind === 'row')).toMatchObject({ citation: { row: { column: 'id', value: '7', fields: { payee: 'Orion Shell Holdings Ltd' } } } });
    for (const f of result.findings) {
      expect(f.text).not.toMatch(/^#|board minutes$|internal audit 2026$|supplier memo$/);
      expect(f.text.split(/\s+/).length).toBeGreaterThan(4);
    }
    expect(result.findings[0]!.text).toMatch(/offshore/);
  });

  it('says what it searched, how much matched, what it skipped and which sources failed', async () => {
    const { result } = await run();
    expect(result.sources.map((s) => s.name)).toEqual(['docs', 'erp']);
    expect(result.sources[1]).toMatchObject({ kind: 'database', indexed: 2, errors: [expect.stringMatching(/ledger.*not found/)] });
    // The Markdown passage, both PDF pages (each names TechCorp), the Word paragraph; one row.
    expect(result.matched).toEqual({ passages: 4, rows: 1 });
    // Every word of the subject, not any: "TechCorp Orion" is named by the passages and the row that name both.
    expect(await sourcesFor().then(async (s) => [await s.countMatches('TechCorp Orion', 100, { all: true }), await s.close()][0])).toEqual({ passages: 1, rows: 1 });
    expect(result.skipped).toEqual([{ file: 'docs/scan.pdf', reason: expect.stringMatching(/no text layer/) }]);
    expect(result.summary).toMatch(/Incomplete: erp \(ledger/);
  });
});
