/**
 * How records_fts is scoped. Each record's `scope` column holds one token per
 * namespace level — tenant, tenant|a, tenant|a/b, … — each a short hash prefixed by
 * the record's status (`a` active, `x` superseded). A search for tenant T under
 * prefix P is then one more term in the MATCH expression (`scope:a<hash(T|P)>`), so
 * FTS5 intersects the posting lists and ranks only what is in scope; nothing is
 * matched tenant-wide and filtered afterwards. Hashing makes a level one token
 * whatever characters the namespace has, and is segment-wise by construction:
 * `inv_A` and `inv_AB` hash apart.
 */
import { createHash } from 'node:crypto';
import type { RecordStatus } from '../../../domain/record.js';
import { queryTerms } from '../common.js';

// The trailing digit keeps the porter stemmer away from the hash (it only strips
// letter suffixes), so a stored token and a query token always match exactly.
const levelToken = (status: RecordStatus, tenantId: string, prefix: string) =>
  `${status === 'active' ? 'a' : 'x'}${createHash('sha1').update(prefix === '' ? tenantId : `${tenantId}|${prefix}`).digest('hex').slice(0, 16)}0`;

/** The scope column of a record. */
export function scopeOf(tenantId: string, namespace: string, status: RecordStatus): string {
  const segments = namespace.split('/');
  const tokens = [levelToken(status, tenantId, '')];
  for (let i = 1; i <= segments.length; i++) tokens.push(levelToken(status, tenantId, segments.slice(0, i).join('/')));
  return tokens.join(' ');
}

/**
 * The MATCH expression for a search, or null when the query has no words. User text
 * never reaches FTS5 as syntax: only letter/digit runs survive, each one quoted.
 */
export function matchExpression(q: { tenantId: string; query: string; namespacePrefix: string; includeSuperseded: boolean }): string | null {
  const terms = queryTerms(q.query);
  if (terms.length === 0) return null;
  const active = `scope:${levelToken('active', q.tenantId, q.namespacePrefix)}`;
  const scope = q.includeSuperseded ? `(${active} OR scope:${levelToken('superseded', q.tenantId, q.namespacePrefix)})` : active;
  return `${scope} AND text:(${terms.map((t) => `"${t}"`).join(' OR ')})`;
}
