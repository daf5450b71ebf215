/**
 * JSON evidence — a signal's payload or a `.json` attachment — of any reasonable
 * shape. The transaction lists are found ({@link findLists}), their objects flattened
 * and mapped together with one inferred (or overridden) mapping. Top-level `documents`
 * and `account`/`iban` are read too.
 */
import { flatten, isPlainObject } from './flatten.js';
import { containerAccounts, findLists, resolvePath, type FoundList } from './json-lists.js';
import { asText, emptyResult, type SourceRecord } from './model.js';
import { bareTransaction, mapSourceRecords, type MapContext } from './records.js';
import type { EvidenceMappingOverride, ParsedEvidence } from './types.js';

/** `documents: ["passport.pdf", {type: "invoice"}]` → names. */
function readDocuments(root: unknown, out: string[]) {
  const holders = [root, isPlainObject(root) ? root.data : undefined];
  for (const h of holders) {
    if (!isPlainObject(h) || !Array.isArray(h.documents)) continue;
    for (const d of h.documents) {
      const name = typeof d === 'string' ? d : isPlainObject(d) ? (d.type ?? d.name ?? d.title ?? d.filename ?? d.fileName ?? d.documentType) : null;
      if ((typeof name === 'string' || typeof name === 'number') && String(name).trim() && !out.includes(String(name).trim())) out.push(String(name).trim());
    }
  }
}

const pattern = (path: string) => path.replace(/\[\d+\]/g, '[*]') || '(top-level array)';

/** The lists to read: the override's path when it resolves, else the ones found. */
function chooseLists(root: unknown, override: EvidenceMappingOverride, out: ParsedEvidence): FoundList[] {
  const found = findLists(root, out.accounts);
  if (!override.transactions) return found;
  const resolved = resolvePath(root, override.transactions);
  if (!resolved.length) {
    out.notes.push(`the mapping's transactions path "${override.transactions}" holds no list; lists were searched instead`);
    return found;
  }
  return resolved.map((r) => found.find((f) => f.path === r.path) ?? { ...r, kind: 'strong', fields: [], currency: null, direction: null });
}

/**
 * Reads a parsed JSON value. A document with no arrays of objects holds no
 * transactions and is not unreadable; one whose arrays hold objects without any amount
 * is unreadable with the fields seen.
 */
export function parseJsonValue(root: unknown, ctx: MapContext, override: EvidenceMappingOverride): ParsedEvidence {
  const out = emptyResult(ctx.signalId, ctx.attachment, 'json');
  readDocuments(root, out.documents);
  if (isPlainObject(root)) containerAccounts(root, out.accounts);
  let lists = chooseLists(root, override, out);
  const strong = lists.filter((l) => l.kind === 'strong');
  const weak = lists.filter((l) => l.kind === 'weak');
  const other = lists.filter((l) => l.kind === 'other');
  if (!strong.length && !override.amount && !override.debit && !override.credit) {
    const single = singleTransaction(root);
    if (single) lists = [single];
    else {
      const seen = weak.length ? weak : other;
      if (seen.length) {
        const fields = [...new Set(seen.flatMap((l) => l.fields))];
        const where = seen.map((l) => `"${pattern(l.path)}"`).join(', ');
        out.unreadable = { reason: `no amount field in the objects of ${where}`, fieldsSeen: fields };
      }
      return out;
    }
  } else {
    // A list the override's amount field names is read even when inference passed it by.
    const named = [override.amount, override.debit, override.credit].filter((f): f is string => !!f);
    lists = lists.filter((l) => l.kind !== 'other' || named.some((f) => l.fields.includes(f)));
  }
  for (const o of other.filter((x) => !lists.includes(x))) out.notes.push(`list "${pattern(o.path)}" (${o.items.length} ${o.items.length === 1 ? 'object' : 'objects'}) not read as transactions: no amount field`);

  const records: SourceRecord[] = [];
  const order = new Map<string, number>();
  let blanks = 0;
  for (const l of lists) {
    l.items.forEach((item, i) => {
      const locator = l.path === '$' ? '$' : `${l.path}[${i}]`;
      order.set(locator, order.size);
      if (item === null || item === undefined) blanks++;
      else if (isPlainObject(item)) records.push({ locator, line: null, fields: flatten(item), defaultCurrency: l.currency, defaultDirection: l.direction });
      else out.transactions.push(bareTransaction(ctx, locator, item));
    });
  }
  const paths = [...new Set(lists.map((l) => pattern(l.path)))].join(', ');
  const mapped = mapSourceRecords(records, override, { ...ctx, transactionsPath: paths });
  out.mapping = mapped.mapping;
  out.transactions.push(...mapped.transactions);
  // Entries that are not objects were added first; restore document order.
  out.transactions.sort((a, b) => (order.get(a.location.locator) ?? 0) - (order.get(b.location.locator) ?? 0));
  out.notes.push(...mapped.notes);
  if (blanks) out.notes.push(`${blanks} null ${blanks === 1 ? 'entry' : 'entries'} skipped`);
  return out;
}

/** A document that is itself one transaction (`{date, amount, to}`), read as a list of one. */
function singleTransaction(root: unknown): FoundList | null {
  if (!isPlainObject(root)) return null;
  const fields = Object.keys(flatten(root));
  const probe = findLists([root], []);
  return probe[0]?.kind === 'strong' ? { path: '$', items: [root], kind: 'strong', fields, currency: null, direction: null } : null;
}

/** Parses JSON text (an attachment or a string payload); invalid JSON is unreadable with the parser's message. */
export function parseJsonText(text: string, ctx: MapContext, override: EvidenceMappingOverride): ParsedEvidence {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (e) {
    const out = emptyResult(ctx.signalId, ctx.attachment, 'json');
    out.unreadable = { reason: `JSON could not be parsed: ${(e as Error).message}`, fieldsSeen: [] };
    return out;
  }
  return parseJsonValue(root, ctx, override);
}

/** Flattened records of a JSON value's lists (transaction lists, else any list of objects), for mapping checks. */
export function jsonRecords(root: unknown, override: EvidenceMappingOverride = {}): { records: Array<{ locator: string; line: number | null; fields: Record<string, unknown> }>; fieldsSeen: string[] } {
  const probe = emptyResult('', null, 'json');
  const lists = chooseLists(root, override, probe);
  const useful = lists.some((l) => l.kind !== 'other') ? lists.filter((l) => l.kind !== 'other') : lists;
  const records = useful.flatMap((l) => l.items.flatMap((item, i) => (isPlainObject(item) ? [{ locator: `${l.path}[${i}]`, line: null, fields: flatten(item) }] : item === null ? [] : [{ locator: `${l.path}[${i}]`, line: null, fields: { value: asText(item) } as Record<string, unknown> }])));
  const fieldsSeen = [...new Set(records.flatMap((r) => Object.keys(r.fields)))];
  return { records, fieldsSeen };
}
