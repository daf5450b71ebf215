import type { ScoredRecord } from '../domain/record.js';
import { LonghaulError } from '../domain/errors.js';
import { memoryScope, namespaceVisibleTo, parseNamespace } from '../domain/namespace.js';
import type { TenantMemory } from './port.js';

/**
 * Actors inside a tenant share its investigations, not their private memory:
 * `actors/{actorId}/…` is read, listed, searched, forgotten and subscribed to only by
 * that actor. The rule itself is `memoryScope` (src/domain/namespace.ts); this module
 * applies it for every memory read — search_memory, the `longhaul://memory/…`
 * resource, forget_memory, subscriptions and the workers' memory search all come
 * through here, so none of them chooses a namespace on its own.
 */

/** Refusal of another actor's private namespace. Reads like "not found": it is never there for you. */
export class PrivateNamespaceError extends LonghaulError {
  constructor(namespace: string, actorId: string) {
    super(
      'not_found',
      `No memory under "${namespace}" that you can read: actors/{actorId}/… is that actor's private memory. Yours is actors/${actorId}/…; investigations/… and sessions/… are shared in your tenant.`,
      { namespace },
    );
  }
}

/**
 * The prefix an actor's list or search under `namespace` queries (a raw argument or URI
 * path, validated here): `actors` narrows to the actor's own `actors/{actorId}`;
 * another actor's namespace throws PrivateNamespaceError. Null/empty: the whole tenant
 * — only valid for search, whose results `searchVisible` filters.
 */
export function scopedPrefix(actorId: string, namespace: string | null | undefined, what = 'namespace'): string {
  const requested = namespace ? parseNamespace(namespace, what) : null;
  const scope = memoryScope(actorId, requested);
  if (scope.prefix === null) throw new PrivateNamespaceError(requested!, actorId);
  return scope.prefix;
}

/** May this actor see a record in `namespace`? (For reads and deletes of one record by id.) */
export const recordVisibleTo = (actorId: string, record: { namespace: string }) => namespaceVisibleTo(actorId, record.namespace);

/**
 * Ranked search over the records `actorId` may see under `prefix` (from scopedPrefix).
 * A tenant-wide search (`''`) runs once and is exact whenever none of its hits lies in
 * another actor's namespace (the usual case) or it returned fewer than topK; otherwise
 * it ranks each visible part (shared roots, the actor's own namespace) and merges them.
 * Merging by score is sound: ranking statistics are per tenant, and the namespace scope
 * does not weigh in a record's score (src/store/adapters/sqlite/search.ts).
 */
export async function searchVisible(t: Pick<TenantMemory, 'searchRecords'>, actorId: string, q: { query: string; prefix: string; includeSuperseded: boolean; topK: number }): Promise<ScoredRecord[]> {
  const run = (prefix: string) => t.searchRecords({ query: q.query, ...(prefix ? { namespacePrefix: prefix } : {}), includeSuperseded: q.includeSuperseded, topK: q.topK });
  const scope = memoryScope(actorId, q.prefix || null);
  if (scope.prefix === null) return [];
  if (scope.prefix !== '') return run(scope.prefix);
  const all = await run('');
  const kept = all.filter((h) => recordVisibleTo(actorId, h.record));
  if (kept.length === all.length || all.length < q.topK) return kept;
  const parts = await Promise.all(scope.parts.map(run));
  return parts
    .flat()
    .sort((a, b) => b.score - a.score || (a.record.id < b.record.id ? -1 : 1))
    .slice(0, q.topK);
}
