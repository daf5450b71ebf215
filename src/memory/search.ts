import { InvalidInputError } from '../domain/errors.js';
import { memoryOf, type Caller, type RuntimeDeps } from '../runtime/deps.js';
import { scopedPrefix, searchVisible } from './scope.js';
import { words } from './text.js';
import { recordSummaryView } from './views.js';

export const SEARCH_DEFAULT_TOP_K = 10;
export const SEARCH_MAX_TOP_K = 50;
export const MAX_SEARCH_QUERY = 1_000;

export interface SearchInput {
  query: string;
  /** A namespace prefix (segment-wise): `investigations/inv_…` covers its facts and reports. */
  namespace?: string | null;
  topK?: number;
  includeSuperseded?: boolean;
}

/**
 * `search_memory`: ranked full-text search over the caller's long-term records (bm25 on
 * SQLite FTS5), within a namespace prefix, at most topK (default 10, at most 50).
 * Superseded records only when asked. The tenant is the caller's; a namespace never
 * names one. Other actors' private namespaces (`actors/{id}/…`) are never searched
 * (./scope.ts): a search under one is refused, a search without a namespace skips them. Hits carry a text preview and the URI that reads the whole record.
 */
export async function searchMemory(d: RuntimeDeps, caller: Caller, input: SearchInput) {
  if (typeof input.query !== 'string' || input.query.trim() === '') throw new InvalidInputError('query is empty; give the words to search for.');
  if (input.query.length > MAX_SEARCH_QUERY) throw new InvalidInputError(`query is ${input.query.length} characters; the limit is ${MAX_SEARCH_QUERY}. Search for the key words only.`);
  if (words(input.query).length === 0) throw new InvalidInputError(`query "${input.query.slice(0, 60)}" has no words to search for (letters or digits).`);
  // Another actor's actors/{id}/… is refused; no namespace searches the shared memory and the caller's own.
  const namespace = scopedPrefix(caller.actorId, input.namespace) || null;
  const topK = input.topK ?? SEARCH_DEFAULT_TOP_K;
  if (!Number.isInteger(topK) || topK < 1 || topK > SEARCH_MAX_TOP_K) throw new InvalidInputError(`topK must be a whole number from 1 to ${SEARCH_MAX_TOP_K} (got ${topK}).`);
  const hits = await searchVisible(memoryOf(d).tenant(caller.tenantId), caller.actorId, {
    query: input.query,
    prefix: namespace ?? '',
    includeSuperseded: input.includeSuperseded ?? false,
    topK,
  });
  const results = hits.map((h) => ({ score: Math.round(h.score * 10_000) / 10_000, ...recordSummaryView(h.record) }));
  return {
    query: input.query,
    namespace,
    includeSuperseded: input.includeSuperseded ?? false,
    results,
    showing: `showing ${results.length} best of at most ${topK} records${namespace ? ` under ${namespace}` : ''}`,
  };
}
export type SearchResult = Awaited<ReturnType<typeof searchMemory>>;
