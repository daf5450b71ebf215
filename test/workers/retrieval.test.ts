import { describe, expect, it } from 'vitest';
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
      expect(recorded.every((e) => e.kind === 'finding' && /\(techcorp\/[^)]+:\d+\)/.test(e.text))).toBe(true);
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
    expect(out).toMatchObject({ type: 'completed', summary: expect.stringMatching(/No document sources are configured/) });
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
