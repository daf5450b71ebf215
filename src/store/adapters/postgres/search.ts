/**
 * How `records.tsv` keeps tenants, statuses and namespaces apart inside one GIN index,
 * the way records_fts does in the SQLite store (sqlite/search.ts):
 *
 * - every word of a record (folded as searchWords folds it, like the query's words) is
 *   stored as one lexeme prefixed with a fixed-length key of (tenant, status):
 *   `a3f09c21d4e` + `bank`. A word of one tenant is a different index entry from the
 *   same word of another, so a tenant's search reads only its own posting lists;
 * - one lexeme per namespace level of the record (`a`, `a/b`, `a/b/c`), hashed with the
 *   tenant: a namespace-prefix search ANDs that lexeme into the query and GIN
 *   intersects posting lists, instead of matching tenant-wide and filtering after.
 *   Hashing makes each level one lexeme whatever its characters, segment-wise by
 *   construction: `inv_A` and `inv_AB` hash apart.
 *
 * The lexemes go in through `array_to_tsvector` and the queries as `::tsquery` text, so
 * no text-search parser ever splits or stems them: what matches is exactly what
 * searchWords produced on both sides. User text never reaches tsquery syntax: only
 * letter/digit runs survive (searchTerms), each quoted as one lexeme.
 */
import { createHash } from 'node:crypto';
import type { RecordStatus } from '../../../domain/record.js';
import { searchWords } from '../common.js';

const hex = (s: string, n: number) => createHash('sha1').update(s).digest('hex').slice(0, n);

/** 11 characters: status letter + 10 hex of the tenant. Fixed length, so key + word never collides. */
const termKey = (tenantId: string, status: RecordStatus) => (status === 'active' ? 'a' : 'x') + hex(tenantId, 10);

const levelLexeme = (tenantId: string, prefix: string) => 'n' + hex(`${tenantId}|${prefix}`, 16);

/**
 * PostgreSQL refuses lexemes of 2 KiB and more; a "word" that long (a base64 blob in
 * a record's text) is no search term anyway.
 */
const MAX_WORD_BYTES = 512;

/** The distinct folded words of a text (what `records.words` holds). */
export function recordWords(text: string): string[] {
  return [...new Set(searchWords(text))].filter((w) => Buffer.byteLength(w, 'utf8') <= MAX_WORD_BYTES);
}

/** The lexemes of a record: its keyed words and its namespace levels. */
export function recordLexemes(tenantId: string, status: RecordStatus, namespace: string, words: readonly string[]): string[] {
  const key = termKey(tenantId, status);
  const segments = namespace.split('/');
  return [...words.map((w) => key + w), ...segments.map((_, i) => levelLexeme(tenantId, segments.slice(0, i + 1).join('/')))];
}

/** The words of a query as the index holds them (folded, de-duplicated). */
export const indexWords = (terms: readonly string[]): string[] => [...new Set(terms.flatMap(searchWords))].filter((w) => Buffer.byteLength(w, 'utf8') <= MAX_WORD_BYTES);

/** A lexeme quoted for tsquery input (words are letter/digit runs; the escape is defence in depth). */
const quote = (lexeme: string) => `'${lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

/**
 * The tsquery of a search: `ranked`, any of the words (ranks by how many of them a
 * record holds), and `match`, the same under the namespace prefix when there is one.
 */
export function searchQuery(q: { tenantId: string; namespacePrefix: string; includeSuperseded: boolean; words: readonly string[] }): { ranked: string; match: string } {
  const keys = q.includeSuperseded ? [termKey(q.tenantId, 'active'), termKey(q.tenantId, 'superseded')] : [termKey(q.tenantId, 'active')];
  const ranked = q.words.flatMap((w) => keys.map((k) => quote(k + w))).join(' | ');
  const match = q.namespacePrefix === '' ? ranked : `${quote(levelLexeme(q.tenantId, q.namespacePrefix))} & (${ranked})`;
  return { ranked, match };
}

/**
 * The tsquery for a tenant's active records under a namespace that hold every word of
 * at least one group: `'n…' & (('a…x' & 'a…y') | ('a…z'))`. Null when no group has a word.
 */
export function allWordsOfAnyGroup(tenantId: string, namespace: string, groups: readonly (readonly string[])[]): string | null {
  const key = termKey(tenantId, 'active');
  const parts = groups
    .map((g) => indexWords(g))
    .filter((g) => g.length > 0)
    .map((g) => `(${g.map((w) => quote(key + w)).join(' & ')})`);
  if (parts.length === 0) return null;
  const scope = namespace === '' ? '' : `${quote(levelLexeme(tenantId, namespace))} & `;
  return `${scope}(${parts.join(' | ')})`;
}

/** At most this many search candidates are ranked per query (see searchRecords in ./index.ts). */
export const RANK_BUDGET = 3000;

/**
 * Settings of a search's read-only transaction, sent with its BEGIN. The planner would
 * otherwise scan the table when a query's words are common in it (GIN's cost estimate
 * adds up every word's posting list, though the tenant and namespace lexemes make the
 * intersection small): a scan costs what the whole table holds, every tenant's records
 * included, and grows with it.
 */
export const INDEX_ONLY = 'SET LOCAL enable_seqscan = off';

/**
 * The rows of `records` whose lexemes match the tsquery parameter `match`, found through
 * the GIN index alone: the tenant is inside every lexeme, and its check on the row
 * (defence in depth against a key collision) sits behind `OFFSET 0`, which the planner
 * does not push conditions through — given `tenant_id = …` beside the match, it reads
 * the whole tenant through a btree (records_id) and filters, a scan of the tenant in all
 * but name.
 */
export const matchedRecords = (match: string, tenant: string, columns = 'rid, id, tsv, word_count') =>
  `SELECT ${columns} FROM (SELECT rid, id, tenant_id, tsv, word_count FROM records WHERE tsv @@ ${match}::tsquery OFFSET 0) m WHERE tenant_id = ${tenant}`;

/** The score: ts_rank over the query's words divided by 1 + ln(the record's distinct words) (see searchRecords). */
const SCORE = 'ts_rank(tsv, $1::tsquery) / (1 + ln(greatest(word_count, 1)))';

/**
 * The `$4` best of the candidates `c` (rid, id, tsv, word_count), with their records:
 * ranked on the candidates' lexemes alone, the records' columns read for the few kept.
 */
const topOf = (c: string, cols: string, gate = '') =>
  `SELECT ${cols}, top.score FROM (SELECT rid, id, ${SCORE} AS score FROM ${c}${gate} ORDER BY score DESC, id LIMIT $4) top JOIN records rec ON rec.rid = top.rid`;

/**
 * One statement for the usual search: counts the candidates of `$2` (up to
 * RANK_BUDGET + 1) and, when they fit the budget, ranks them by `$1` and returns the
 * best `$4` — one row per record, or a single row of NULLs when none or too many (the
 * gate is a one-time filter: over budget, nothing is ranked). `lh_candidates` says which.
 */
export const rankWithinBudgetSql = (cols: string) =>
  `WITH c AS MATERIALIZED (${matchedRecords('$2', '$3')} LIMIT ${RANK_BUDGET + 1})
   SELECT n.n AS lh_candidates, r.* FROM (SELECT count(*) AS n FROM c) n
   LEFT JOIN LATERAL (${topOf('c', cols, ` WHERE n.n <= ${RANK_BUDGET}`)}) r ON true
   ORDER BY r.score DESC, r.id`;

/** The best `$4` matches of `$2` ranked by `$1`; with `newest`, among the newest `newest` matches only. */
export const rankSql = (cols: string, newest?: number) =>
  `${topOf(`(${matchedRecords('$2', '$3')}${newest === undefined ? '' : ` ORDER BY rid DESC LIMIT ${newest}`}) c`, cols)} ORDER BY top.score DESC, top.id`;

/** Each tsquery of `$1` (text[]) with its candidates within the tenant `$2`, counted up to RANK_BUDGET + 1, in order. */
export const countEachSql = `SELECT (SELECT count(*) FROM (${matchedRecords('w.q', '$2', '1')} LIMIT ${RANK_BUDGET + 1}) x) AS n FROM unnest($1::text[]) WITH ORDINALITY AS w(q, i) ORDER BY w.i`;
