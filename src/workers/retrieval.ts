import { clip, keywords, withModel } from './prose.js';
import { completed, type Role, type RoleContext } from './role.js';
import { citationRef, type Citation } from './sources/library.js';

/** A ranked finding: a cited passage of a document, or a long-term memory record. */
export interface Finding {
  rank: number;
  kind: 'document' | 'memory';
  text: string;
  score: number;
  citation: Citation | null;
  recordId: string | null;
}

export interface RetrievalResult {
  summary: string;
  query: string;
  findings: Finding[];
  sourcesConsulted: string[];
  summaryBy: string;
}

export interface RetrievalOptions {
  /** Document passages kept. */
  maxDocumentFindings?: number;
  /** Memory records kept. */
  maxMemoryFindings?: number;
}

/**
 * The `retrieval` role: brings the source index up to date, searches the documents
 * and long-term memory for the subject and the instructions, records each finding as
 * a `finding` event with its citation (file, line range, snippet) — the facts
 * strategy turns those into `investigations/{id}/facts` — and completes with the
 * ranked findings. With a model, the summary is prose; without, a plain list.
 */
export function createRetrievalRole(opts: RetrievalOptions = {}): Role {
  const maxDocs = opts.maxDocumentFindings ?? 8;
  const maxMemory = opts.maxMemoryFindings ?? 4;
  return {
    name: 'retrieval',
    description: 'Searches the document sources and long-term memory for the subject; records cited findings.',
    onDeadline: 'time_out',
    async run(ctx) {
      const subject = ctx.investigation.subject;
      const query = [subject, ...keywords(`${ctx.task.instructions} ${ctx.investigation.objective}`, 10)].join(' ');
      if (ctx.sources.roots.length) await ctx.sources.refresh();
      await ctx.heartbeat();
      const docs = await rankedPassages(ctx, subject, query, maxDocs);
      const memory = (await ctx.memory.search(query, { topK: maxMemory * 2, namespacePrefix: '' }))
        // What this investigation itself wrote (its reports, its facts, its sessions' summaries) is an
        // echo of its own work, not a finding: memory findings come from other work.
        .filter((s) => s.record.investigationId !== ctx.investigation.id)
        .slice(0, maxMemory);
      const findings: Finding[] = [
        ...docs.map((c) => ({ kind: 'document' as const, text: c.snippet, score: c.score, citation: c, recordId: null })),
        ...memory.map((m) => ({ kind: 'memory' as const, text: clip(m.record.text, 240), score: m.score, citation: null, recordId: m.record.id })),
      ].map((f, i) => ({ ...f, rank: i + 1 }));

      for (const f of findings) {
        ctx.memory.record({
          kind: 'finding',
          text: f.citation ? `${subject}: "${f.text}" (${citationRef(f.citation)})` : `${subject} (from memory ${f.recordId}): ${f.text}`,
          data: { taskId: ctx.task.id, rank: f.rank, score: round(f.score), query, citation: f.citation, recordId: f.recordId },
        });
      }
      const files = [...new Set(docs.map((c) => c.file))];
      const consulted = (await ctx.sources.files()).map((f) => f.display);
      const plain = plainSummary(subject, findings, files, ctx.sources.roots.length > 0);
      const prose = findings.length
        ? await withModel(
            ctx,
            {
              system: 'You are a research assistant. Summarise the findings in 2-4 sentences for a compliance investigator. Mention each file you rely on as file:line. Do not add facts that are not in the findings.',
              prompt: `Subject: ${subject}\nInstructions: ${ctx.task.instructions}\n\nFindings:\n${findings.map((f) => `${f.rank}. ${f.text}${f.citation ? ` (${citationRef(f.citation)})` : ''}`).join('\n')}`,
              maxTokens: 300,
            },
            plain,
          )
        : { text: plain, by: 'deterministic' };
      const result: RetrievalResult = { summary: prose.text, query, findings, sourcesConsulted: consulted, summaryBy: prose.by };
      return completed(result, prose.text);
    },
  };
}

/**
 * Passages for the combined query first (they match the subject and the task), then
 * for the subject alone (so a short, on-subject line is not crowded out), de-duplicated.
 */
async function rankedPassages(ctx: RoleContext, subject: string, query: string, max: number): Promise<Citation[]> {
  if (!ctx.sources.roots.length) return [];
  const seen = new Set<string>();
  const out: Citation[] = [];
  for (const list of [await ctx.sources.search(query, max), await ctx.sources.search(subject, max)]) {
    for (const c of list) {
      const key = `${c.file}:${c.startLine}`;
      if (seen.has(key) || out.length >= max) continue;
      seen.add(key);
      out.push(c);
    }
  }
  return out;
}

function plainSummary(subject: string, findings: Finding[], files: string[], haveSources: boolean): string {
  if (!findings.length) {
    return haveSources
      ? `No passage in the document sources or long-term memory mentions ${subject}.`
      : `No document sources are configured (LONGHAUL_SOURCES) and long-term memory holds nothing on ${subject}.`;
  }
  const docs = findings.filter((f) => f.citation);
  const top = docs[0] ?? findings[0]!;
  const where = top.citation ? ` (${citationRef(top.citation)})` : '';
  return (
    `Found ${docs.length} cited passage(s) on ${subject} in ${files.length} file(s)` +
    `${findings.length > docs.length ? ` and ${findings.length - docs.length} memory record(s)` : ''}. ` +
    `Top finding: "${clip(top.text, 160)}"${where}.`
  );
}

const round = (n: number) => Math.round(n * 1000) / 1000;
