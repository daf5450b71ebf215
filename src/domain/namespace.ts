import { InvalidInputError } from './errors.js';

/**
 * Memory namespaces: `/`-separated paths under the (implicit) tenant, such as
 * `investigations/inv_…/facts` or `actors/alice/preferences`. Segments are lower-case
 * `[a-z0-9_-]`, or an id/actor in its own segment (letters, digits, `.`, `_`, `-`, `@`).
 * `..`, `.`, empty segments, wildcards, percent-encoding and absolute paths are rejected:
 * a namespace can never climb out of the caller's tenant.
 */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,254}$/;
export const MAX_NAMESPACE = 512;

export function parseNamespace(input: string, what = 'namespace'): string {
  const fail = (why: string): never => {
    throw new InvalidInputError(
      `${what}: "${input.length > 80 ? input.slice(0, 77) + '...' : input}" ${why}. A namespace is segments like "investigations/inv_01.../facts" or "actors/alice/preferences".`,
      { value: input },
    );
  };
  if (typeof input !== 'string') fail('is not a string');
  if (input.length === 0) fail('is empty');
  if (input.length > MAX_NAMESPACE) fail(`is longer than ${MAX_NAMESPACE} characters`);
  if (input.startsWith('/')) fail('is absolute; namespaces are relative to your tenant');
  if (/[%*?\\\s\u0000-\u001f]/.test(input)) fail('contains a wildcard, percent-encoding, whitespace or control character');
  const trimmed = input.endsWith('/') ? input.slice(0, -1) : input;
  const segments = trimmed.split('/');
  for (const seg of segments) {
    if (seg === '') fail('has an empty segment');
    if (seg === '.' || seg === '..' || seg.includes('..')) fail('contains ".." or "."');
    if (!SEGMENT.test(seg)) fail(`has a segment "${seg}" with characters outside [A-Za-z0-9._@-]`);
  }
  return segments.join('/');
}

/** True when `ns` is `prefix` or lies under it (segment-wise, not string-wise). */
export function namespaceHasPrefix(ns: string, prefix: string): boolean {
  return ns === prefix || ns.startsWith(prefix + '/');
}

export const namespaces = {
  investigationFacts: (investigationId: string) => `investigations/${investigationId}/facts`,
  investigationReports: (investigationId: string) => `investigations/${investigationId}/reports`,
  sessionSummary: (sessionId: string) => `sessions/${sessionId}/summary`,
  /** The investigation's summary, written by AgentCore's summary strategy (one AgentCore session per investigation). */
  investigationSummary: (investigationId: string) => `investigations/${investigationId}/summary`,
  actorFacts: (actorId: string) => `actors/${actorId}/facts`,
  actorPreferences: (actorId: string) => `actors/${actorId}/preferences`,
};

/**
 * Private memory: `actors/{actorId}/…` belongs to that actor alone. Everything else —
 * investigations with their facts and reports, session summaries — is shared by the
 * actors of a tenant.
 */
export const ACTORS_ROOT = 'actors';

/**
 * The roots of shared memory: every namespace written outside `actors/` starts with one.
 * `preferences` is written only by AgentCore's user-preference strategy
 * (LONGHAUL_AGENTCORE_EXTRACTION=agentcore), whose actor is the whole tenant.
 */
export const SHARED_ROOTS: readonly string[] = ['investigations', 'sessions', 'preferences'];

/** The actor whose private namespace `ns` lies in, or null for shared memory. */
export function namespaceOwner(ns: string): string | null {
  const [root, actor] = ns.split('/');
  return root === ACTORS_ROOT && actor ? actor : null;
}

/** May `actorId` see records in namespace `ns`? (Shared memory, or its own.) */
export const namespaceVisibleTo = (actorId: string, ns: string): boolean => {
  const owner = namespaceOwner(ns);
  return owner === null || owner === actorId;
};

/**
 * What an actor's memory query under `requested` may cover — the one place the
 * namespace of a read, list, search or subscription is chosen:
 * - `prefix`: the prefix to query ('' = the whole tenant); null when nothing the actor
 *   may see lies under the request (another actor's `actors/{id}/…`).
 * - `parts`: disjoint prefixes covering exactly what the actor may see under `prefix`,
 *   for a store that can only query one prefix at a time. Equal to `[prefix]` except
 *   for the whole tenant, which is every shared root beside the actor's own namespace.
 * `actors` alone narrows to `actors/{actorId}`. `requested` must be parsed already
 * (parseNamespace), or null/'' for the whole tenant.
 */
export function memoryScope(actorId: string, requested: string | null): { prefix: string | null; parts: readonly string[] } {
  const own = `${ACTORS_ROOT}/${actorId}`;
  if (!requested) return { prefix: '', parts: [...SHARED_ROOTS, own] };
  if (requested === ACTORS_ROOT) return { prefix: own, parts: [own] };
  if (!namespaceVisibleTo(actorId, requested)) return { prefix: null, parts: [] };
  return { prefix: requested, parts: [requested] };
}
