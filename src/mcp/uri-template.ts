import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import { InvalidInputError } from '../domain/errors.js';

/**
 * A URI template that also matches its URIs with a query string. The SDK's matcher
 * anchors the whole URI, so `longhaul://sessions/{sessionId}/events?cursor=…` would
 * match no template, and RFC 6570 `{?limit,cursor}` would demand both parameters in
 * that order. Paging parameters are optional, so we match the part before `?`/`#`
 * and let the read handler take `limit`/`cursor` from the URL it is given.
 * `toString()` is unchanged: templates/list still shows the plain template.
 */
export class QueryTolerantUriTemplate extends UriTemplate {
  override match(uri: string): ReturnType<UriTemplate['match']> {
    return super.match(uri.split(/[?#]/, 1)[0] ?? '');
  }
}

/** `?limit=&cursor=` of a resource URI: limit a whole number when given, cursor as given. */
export function pageQuery(uri: URL): { limit?: number; cursor: string | null } {
  const limit = uri.searchParams.get('limit');
  if (limit !== null && !/^\d{1,6}$/.test(limit)) throw new InvalidInputError(`limit=${limit.slice(0, 20)} must be a whole number.`);
  return { ...(limit === null ? {} : { limit: Number(limit) }), cursor: uri.searchParams.get('cursor') };
}
