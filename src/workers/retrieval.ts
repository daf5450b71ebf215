import type { SourceStatus } from '../store/source-index.js';
import { clip, keywords, withModel } from './prose.js';
import { completed, type Role, type RoleContext } from './role.js';
import { citationRef, type Citation } from './sources/citation.js';
import { selectPassages, type Passage } from './sources/passages.js';

/** A ranked finding: a cited passage of a document, a cited row of a table, or a long-term memory record. */
export interface Finding {
  rank: number;
  kind: 'document' | 'row' | 'memory';
  text: string;
  score: number;
  citation: Citation | null;
  recordId: string | null;
}

/** One source as this retrieval saw it. */
export interface SourceSearched {
  name: string;
  kind: 'folder' | 'database';
  location: string;
  documents: number;
  /** Passages (folders) or rows (databases) indexed. */
  indexed: number;
  skipped: number;
  /** What failed on its refresh (unreadable folder, table not found, database down): the source may be incomplete. */
  errors: string[];
}

export interface RetrievalResult {
  summary: string;
  query: string;
  findings: Finding[];
  /** Every source searched, with what is indexed and what failed. */
  sources: SourceSearched[];
  /** Passages of documents and rows of tables that hold every word of the subject (each counted up to 10,000). */
  matched: { passages: number; rows: number };
  /** Files that could not be read (scans without text, corrupt files), with the reason; at most 50. */
  skipped: Array<{ file: string; reason: string }>;
  /** Document and table names in the index ("sources consulted"). */
  sourcesConsulted: string[];
  summaryBy: string;
}

export interface RetrievalOptions {
  /** Document passages and rows kept. */
  maxDocumentFindings?: number;
  /** Memory records kept. */
  maxMemoryFindings?: number;
}

/** Hits read from the index before passages are picked: enough that a relevant sentence deep in a long document is seen. */
const HIT_POOL = 60;

/**
 * The `retrieval` role: brings the tenant's source index up to date (its folders and
 * database tables), picks the passages and rows that answer the task — sentences that
 * hold the subject and the task's words, never a title line — and long-term memory
 * from other work, records each as a `finding` event with its citation (the facts
 * strategy turns those into `investigations/{id}/facts`), and completes with the
 * ranked findings, what was searched, what matched, and what failed. With a model the
 * summary is prose; without, a plain list.
 */
export function createRetrievalRole(opts: RetrievalOptions = {}): Role {
  const maxDocs = opts.maxDocumentFindings ?? 10;
  const maxMemory = opts.maxMemoryFindings ?? 4;
  return {
    name: 'retrieval',
    description: 'Searches the document folders, database tables and long-term memory for the subject; records cited findings.',
    onDeadline: 'time_out',
    async run(ctx) {
      const subject = ctx.investigation.subject;
      const terms = keywords(`${ctx.task.instructions} ${ctx.investigation.objective}`, 10);
      const query = [subject, ...terms].join(' ');
      const configured = ctx.sources.configured;
      if (configured) await ctx.sources.refresh({ heartbeat: () => ctx.heartbeat(), signal: ctx.abort });
      await ctx.heartbeat();
      const passages = configured ? await rankedPassages(ctx, subject, terms, maxDocs) : [];
      const memory = (await ctx.memory.search(query, { topK: maxMemory * 2, namespacePrefix: '' }))
        // What this investigation itself wrote (its reports, its facts, its sessions' summaries) is an
        // echo of its own work, not a finding: memory findings come from other work.
        .filter((s) => s.record.investigationId !== ctx.investigation.id)
        .slice(0, maxMemory);
      const findings: Finding[] = [
        ...passages.map((p) => ({ kind: p.citation.row ? ('row' as const) : ('document' as const), text: p.citation.snippet, score: p.score, citation: p.citation, recordId: null })),
        ...memory.map((m) => ({ kind: 'memory' as const, text: clip(m.record.text, 240), score: m.score, citation: null, recordId: m.record.id })),
      ].map((f, i) => ({ ...f, rank: i + 1 }));

      for (const f of findings) {
        ctx.memory.record({
          kind: 'finding',
          text: f.citation ? `${subject}: "${f.text}" (${citationRef(f.citation)})` : `${subject} (from memory ${f.recordId}): ${f.text}`,
          data: { taskId: ctx.task.id, rank: f.rank, score: round(f.score), query, citation: f.citation, recordId: f.recordId },
        });
      }
      const statuses = configured ? await ctx.sources.status() : [];
      const documents = configured ? await ctx.sources.documents() : [];
      // Passages and rows that name the subject: every word of it, not any ("Bank of Orion" is not every bank).
      const matched = configured ? await ctx.sources.countMatches(subject, 10_000, { all: true }) : { passages: 0, rows: 0 };
      const plain = plainSummary(subject, findings, statuses, matched, configured);
      const prose = findings.length
        ? await withModel(
            ctx,
            {
              system:
                'You are a research assistant. Summarise the findings in 2-4 sentences for a compliance investigator. Mention each source you rely on by its citation (file:line, file:pN or source:table#key=value). Do not add facts that are not in the findings.',
              prompt: `Subject: ${subject}\nInstructions: ${ctx.task.instructions}\n\nFindings:\n${findings.map((f) => `${f.rank}. ${f.text}${f.citation ? ` (${citationRef(f.citation)})` : ''}`).join('\n')}`,
              maxTokens: 300,
            },
            plain,
          )
        : { text: plain, by: 'deterministic' };
      const result: RetrievalResult = {
        summary: prose.text,
        query,
        findings,
        sources: statuses.map(searched),
        matched,
        skipped: documents
          .filter((x) => x.status === 'skipped')
          .slice(0, 50)
          .map((x) => ({ file: x.display, reason: x.error ?? 'unreadable' })),
        sourcesConsulted: documents.filter((x) => x.status === 'indexed').map((x) => x.display),
        summaryBy: prose.by,
      };
      return completed(result, prose.text);
    },
  };
}

/** Hits for the whole query and for the subject alone (so a short on-subject sentence is not crowded out), merged, then passages picked. */
async function rankedPassages(ctx: RoleContext, subject: string, terms: string[], max: number): Promise<Passage[]> {
  const seen = new Set<string>();
  const hits = [];
  for (const list of [await ctx.sources.hits([subject, ...terms].join(' '), HIT_POOL), await ctx.sources.hits(subject, HIT_POOL / 2)]) {
    for (const h of list) {
      const key = `${h.documentKey}:${h.startLine}:${h.row?.value ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      hits.push(h);
    }
  }
  return selectPassages(hits, { subject, terms }, max);
}

const searched = (s: SourceStatus): SourceSearched => ({
  name: s.name,
  kind: s.kind,
  location: s.location,
  documents: s.documents,
  indexed: s.chunks,
  skipped: s.skipped,
  errors: s.errors,
});

function plainSummary(subject: string, findings: Finding[], statuses: SourceStatus[], matched: { passages: number; rows: number }, configured: boolean): string {
  const failed = statuses.filter((s) => s.errors.length);
  const failures = failed.length ? ` Incomplete: ${failed.map((s) => `${s.name} (${clip(s.errors[0]!, 120)})`).join('; ')}.` : '';
  if (!findings.length) {
    return configured
      ? `No passage or row in the sources (${statuses.map((s) => s.name).join(', ')}) or long-term memory mentions ${subject}.${failures}`
      : `No sources are configured (LONGHAUL_SOURCES or LONGHAUL_SOURCES_FILE) and long-term memory holds nothing on ${subject}.`;
  }
  const cited = findings.filter((f) => f.citation);
  const rows = cited.filter((f) => f.kind === 'row').length;
  const files = new Set(cited.filter((f) => f.kind === 'document').map((f) => f.citation!.file)).size;
  const top = cited[0] ?? findings[0]!;
  const where = top.citation ? ` (${citationRef(top.citation)})` : '';
  return (
    `Found ${cited.length - rows} cited passage(s) on ${subject} in ${files} file(s)` +
    `${rows ? `, ${rows} row(s) of database tables` : ''}` +
    `${findings.length > cited.length ? ` and ${findings.length - cited.length} memory record(s)` : ''}; ` +
    `${matched.passages} passage(s) and ${matched.rows} row(s) name ${subject}. ` +
    `Top finding: "${clip(top.text, 160)}"${where}.${failures}`
  );
}

const round = (n: number) => Math.round(n * 1000) / 1000;
