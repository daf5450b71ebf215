import type { App } from '../../app.js';
import { InvalidInputError, NotFoundError } from '../../domain/errors.js';
import { namespaceHasPrefix, namespaces } from '../../domain/namespace.js';
import { scopedPrefix } from '../../memory/scope.js';
import type { StatusFilter } from '../../memory/records.js';
import { memoryOf, type Caller } from '../../runtime/deps.js';
import { defineResource } from '../resource.js';
import { uris } from '../uris.js';
import { COMPLETE_RECENT, LIST_RECENT } from './limits.js';

const ROOTS = ['investigations/', 'sessions/', 'actors/'];

/**
 * The caller's main namespaces — their own preferences and facts, then their tenant's
 * recent investigations' facts — keeping only those that hold records (one count each,
 * capped at 1: "any?" is all it asks), so an empty memory lists nothing.
 */
async function knownNamespaces(caller: Caller, app: App, limit: number): Promise<string[]> {
  const page = await app.runtime.investigations.list(caller, { limit });
  const candidates = [namespaces.actorPreferences(caller.actorId), namespaces.actorFacts(caller.actorId), ...page.investigations.map((i) => namespaces.investigationFacts(i.investigationId))];
  const t = memoryOf(app.runtime.deps).tenant(caller.tenantId);
  const totals = await Promise.all(candidates.map((ns) => t.listRecords({ namespacePrefix: ns, limit: 0, totalCap: 1 }).then((p) => p.total)));
  return candidates.filter((_, i) => totals[i]! > 0);
}

const int = (v: string | null, what: string): number | undefined => {
  if (v === null) return undefined;
  if (!/^\d{1,6}$/.test(v)) throw new InvalidInputError(`${what}=${v.slice(0, 20)} must be a whole number.`);
  return Number(v);
};

/**
 * `longhaul://memory/{+namespace}` — the `+` (RFC 6570 reserved expansion) lets the
 * namespace keep its slashes. Query parameters page and select:
 * `?limit=50&cursor=…&status=active|superseded|all` lists records under the prefix
 * (newest first, "showing X of Y"); `?record=rec_…` reads one record with its source
 * events ("why do you remember this?"), paged by the same `limit`/`cursor`.
 *
 * The namespace is read from the URI's path, not the template variable (which would
 * swallow the query string). URL parsing resolves `.`/`..` segments before we see
 * them, so they can never climb out of `longhaul://memory/`; whatever remains is
 * validated by parseNamespace (no `%`, wildcards or empty segments). The tenant is the
 * caller's: it is never in the URI. `actors/{actorId}/…` is readable only by that actor
 * (src/memory/scope.ts); the rest is shared by the tenant's actors.
 */
export const memoryResource = defineResource({
  name: 'memory',
  title: 'Long-term memory',
  description:
    'Long-term memory records under a namespace prefix (JSON, newest first, paged: ?limit=&cursor=&status=active|superseded|all; "showing X of Y"). ' +
    'Namespaces: investigations/{id}/facts and sessions/{id}/summary (shared in your tenant), actors/{you}/preferences and actors/{you}/facts (yours alone). ' +
    'Add ?record=rec_… to read one record with the events it came from.',
  uriTemplate: 'longhaul://memory/{+namespace}',
  mimeType: 'application/json',
  async list(caller, app) {
    return (await knownNamespaces(caller, app, LIST_RECENT)).map((ns) => ({ uri: uris.memory(ns), name: `Memory: ${ns}` }));
  },
  complete: {
    namespace: async (caller, prefix, app) => [...ROOTS, ...(await knownNamespaces(caller, app, COMPLETE_RECENT))].filter((ns) => ns.startsWith(prefix)).slice(0, 100),
  },
  async read(caller, _vars, uri, app) {
    // Another actor's actors/{id}/… is refused here as a whole (not_found); `actors` is the caller's own.
    const namespace = scopedPrefix(caller.actorId, uri.pathname.replace(/^\/+/, ''), 'memory namespace');
    if (!namespace) throw new InvalidInputError('memory namespace is empty; read longhaul://memory/{namespace}, e.g. longhaul://memory/investigations/inv_…/facts.');
    const q = uri.searchParams;
    const limit = int(q.get('limit'), 'limit');
    const cursor = q.get('cursor');
    const recordId = q.get('record');
    if (recordId !== null) {
      const r = await app.runtime.memory.read(caller, recordId, { ...(limit === undefined ? {} : { limit }), cursor });
      // The URI names a namespace: a record elsewhere is not "here".
      if (!namespaceHasPrefix(r.record.namespace, namespace)) throw new NotFoundError('memory record', `${recordId} under ${namespace}`);
      return { json: r };
    }
    const status = q.get('status') ?? 'active';
    if (!['active', 'superseded', 'all'].includes(status)) throw new InvalidInputError(`status=${status.slice(0, 20)} must be active, superseded or all.`);
    return { json: await app.runtime.memory.list(caller, { namespace, status: status as StatusFilter, ...(limit === undefined ? {} : { limit }), cursor }) };
  },
});
