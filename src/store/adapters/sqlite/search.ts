/**
 * How records_fts keeps tenants, statuses and namespaces apart inside one FTS5 index.
 *
 * - `terms`: the record's words (as searchWords gives them, like the query's), each
 *   prefixed with a fixed-length key of (tenant, status): `a3f09c21d4e` + `bank`. So a
 *   word of one tenant is a different index term from the same word of another, and a
 *   tenant-wide search of active records needs no filter term at all: its words are
 *   already the tenant's active words. (A filter term would cost bm25 a pass over its
 *   whole posting list on every query, just to compute an idf nobody uses.) Document
 *   frequencies are per tenant, too, so one tenant's data never shifts another's ranking.
 * - `scope`: one token per namespace level of the record (`a`, `a/b`, `a/b/c`), hashed
 *   with the tenant. A namespace-prefix search adds `scope:<token>` to the MATCH, so
 *   FTS5 intersects posting lists instead of matching tenant-wide and filtering after —
 *   unless the prefix holds thousands of records, whose long scope list would make every
 *   MATCH slow: then it matches tenant-wide and keeps what lies under the prefix (the
 *   scope column weighs 0 in bm25, so the ranking is the same; see searchRecords).
 *   Hashing makes each level one token whatever its characters, and is segment-wise by
 *   construction: `inv_A` and `inv_AB` hash apart.
 *
 * User text never reaches FTS5 as syntax: only letter/digit runs survive (searchTerms),
 * each becomes a quoted phrase.
 */
import { createHash } from 'node:crypto';
import type { RecordStatus } from '../../../domain/record.js';
import { searchWords } from '../common.js';

const hex = (s: string, n: number) => createHash('sha1').update(s).digest('hex').slice(0, n);

/** 11 characters: status letter + 10 hex of the tenant. Fixed length, so prefix + word never collides. */
const termKey = (tenantId: string, status: RecordStatus) => (status === 'active' ? 'a' : 'x') + hex(tenantId, 10);

const levelToken = (tenantId: string, prefix: string) => 'n' + hex(`${tenantId}|${prefix}`, 16);

/** The `terms` column of a record. */
export function termsOf(tenantId: string, status: RecordStatus, text: string): string {
  const key = termKey(tenantId, status);
  return searchWords(text)
    .map((w) => key + w)
    .join(' ');
}

/** The `scope` column of a record. */
export function scopeOf(tenantId: string, namespace: string): string {
  const segments = namespace.split('/');
  return segments.map((_, i) => levelToken(tenantId, segments.slice(0, i + 1).join('/'))).join(' ');
}

/** The words of a query as the index holds them (folded, de-duplicated). */
export const indexWords = (terms: readonly string[]): string[] => [...new Set(terms.flatMap(searchWords))];

/**
 * MATCH expressions for one search: any of the given words of this tenant (active, or
 * any status), under the namespace prefix when there is one.
 */
export function matcher(q: { tenantId: string; namespacePrefix: string; includeSuperseded: boolean }): (words: readonly string[]) => string {
  const keys = q.includeSuperseded ? [termKey(q.tenantId, 'active'), termKey(q.tenantId, 'superseded')] : [termKey(q.tenantId, 'active')];
  const scope = q.namespacePrefix === '' ? '' : `scope:${levelToken(q.tenantId, q.namespacePrefix)} AND `;
  return (words) => `${scope}terms:(${words.flatMap((w) => keys.map((k) => `"${k}${w}"`)).join(' OR ')})`;
}

/** MATCH for every record of a tenant under a namespace prefix, whatever its words and status. */
export const scopeMatch = (tenantId: string, namespacePrefix: string): string => `scope:${levelToken(tenantId, namespacePrefix)}`;

/**
 * MATCH for a tenant's active records under a namespace prefix that hold every word of
 * at least one group: `scope:<level> AND terms:(("…a" AND "…b") OR ("…c" AND "…d"))`.
 * Null when no group has a word.
 */
export function allWordsOfAnyGroup(tenantId: string, namespacePrefix: string, groups: readonly (readonly string[])[]): string | null {
  const key = termKey(tenantId, 'active');
  const parts = groups
    .map((g) => [...new Set(g.flatMap(searchWords))])
    .filter((g) => g.length > 0)
    .map((g) => `(${g.map((w) => `"${key}${w}"`).join(' AND ')})`);
  if (parts.length === 0) return null;
  const scope = namespacePrefix === '' ? '' : `scope:${levelToken(tenantId, namespacePrefix)} AND `;
  return `${scope}terms:(${parts.join(' OR ')})`;
}
