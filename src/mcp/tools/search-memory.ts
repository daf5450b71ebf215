import { z } from 'zod';
import { MAX_NAMESPACE } from '../../domain/namespace.js';
import { MAX_SEARCH_QUERY, SEARCH_DEFAULT_TOP_K, SEARCH_MAX_TOP_K } from '../../memory/search.js';
import { defineTool } from '../tool.js';
import { READ, clip } from './render.js';

export const recordStatus = z.enum(['active', 'superseded']);
export const strategyName = z.enum(['summary', 'facts', 'preferences', 'report']);

/** A long-term record as listings and search show it (the text is a preview). */
export const recordSummarySchema = z
  .object({
    recordId: z.string().describe('Id of the memory record (rec_…)'),
    namespace: z.string().describe('Where it lives, e.g. investigations/inv_…/facts'),
    strategy: strategyName.describe('How it was made: summary, facts, preferences or report'),
    text: z.string().describe('The remembered text (cut at 1,000 characters; read the record for all of it)'),
    truncated: z.boolean().describe('True when text was cut'),
    status: recordStatus.describe('active, or superseded by a newer statement'),
    supersededBy: z.string().nullable().describe('The record that replaced it, or null'),
    sourceCount: z.number().int().describe('How many events it was extracted from'),
    createdAt: z.string().describe('Created at (ISO 8601)'),
    updatedAt: z.string().describe('Last consolidated at (ISO 8601)'),
    uri: z.string().describe('Resource that reads it with its source events: longhaul://memory/{namespace}?record={recordId}'),
  })
  .describe('A long-term memory record');

export const searchMemory = defineTool({
  name: 'search_memory',
  title: 'Search long-term memory',
  description:
    'Ranked full-text search over long-term memory: facts extracted from findings (investigations/{id}/facts), session summaries (sessions/{id}/summary) and reports, ' +
    'shared with your team, and your own preferences (actors/{you}/preferences); other people\'s actors/… memory is private to them. ' +
    'Give a namespace prefix to narrow it (e.g. investigations/inv_…). Returns at most topK records, best first, ' +
    'each with a score, its status and how many events it came from; read a hit\'s uri to see those events. Superseded (outdated) records only with includeSuperseded.',
  input: {
    query: z.string().min(1).max(MAX_SEARCH_QUERY).describe(`Words to search for (≤ ${MAX_SEARCH_QUERY} characters); ranked by relevance (bm25)`),
    namespace: z
      .string()
      .min(1)
      .max(MAX_NAMESPACE)
      .optional()
      .describe('Namespace prefix to search under, e.g. "investigations/inv_…" or "actors/{you}/preferences"; default: everything you may read (shared memory and your own)'),
    topK: z.number().int().min(1).max(SEARCH_MAX_TOP_K).optional().describe(`How many records at most (default ${SEARCH_DEFAULT_TOP_K}, at most ${SEARCH_MAX_TOP_K})`),
    includeSuperseded: z.boolean().optional().describe('Also return records a newer statement replaced (default false)'),
  },
  output: {
    query: z.string().describe('The query searched'),
    namespace: z.string().nullable().describe('The namespace prefix searched, or null for all'),
    includeSuperseded: z.boolean().describe('Whether superseded records were included'),
    results: z.array(recordSummarySchema.extend({ score: z.number().describe('Relevance, higher is better') })).describe('Best first'),
    showing: z.string().describe('How many results, out of at most topK'),
  },
  annotations: READ,
  handler: (caller, args, { app }) => app.runtime.memory.search(caller, args),
  render: (r) =>
    r.results.length === 0
      ? `No memory records match "${clip(r.query, 80)}"${r.namespace ? ` under ${r.namespace}` : ''}.`
      : [`${r.showing} for "${clip(r.query, 80)}":`, ...r.results.map((x, i) => `${i + 1}. [${x.score}] ${clip(x.text, 160)} (${x.namespace}, ${x.recordId}${x.status === 'superseded' ? ', superseded' : ''}, ${x.sourceCount} source${x.sourceCount === 1 ? '' : 's'})`)].join('\n'),
});
