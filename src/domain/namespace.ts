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
  actorFacts: (actorId: string) => `actors/${actorId}/facts`,
  actorPreferences: (actorId: string) => `actors/${actorId}/preferences`,
};
