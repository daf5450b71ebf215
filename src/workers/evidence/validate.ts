/**
 * Applying and checking a mapping on plain records — for a caller holding a mapping a
 * language model proposed: check it ({@link validateMapping}) before using it
 * ({@link mapRecords}).
 */
import { flatten, isPlainObject } from './flatten.js';
import type { SourceRecord } from './model.js';
import { mapSourceRecords, type MapContext, type MapOutcome } from './records.js';
import type { EvidenceMappingOverride } from './types.js';

export interface MapRecordsContext extends MapContext {
  /** Locator per record (default `records[i]`). */
  locators?: string[];
  /** 1-based line per record, when known. */
  lines?: Array<number | null>;
  /** Currency to use when a record names none. */
  defaultCurrency?: string | null;
}

/**
 * Maps plain records (nested objects are flattened to dotted paths) with `mapping`
 * winning for the fields it names; the rest is inferred. `ctx.by` says who proposed
 * the mapping (`rules` by default when it names anything).
 */
export function mapRecords(records: Array<Record<string, unknown>>, mapping: EvidenceMappingOverride, ctx: MapRecordsContext): MapOutcome {
  const src: SourceRecord[] = records.map((r, i) => ({
    locator: ctx.locators?.[i] ?? `records[${i}]`,
    line: ctx.lines?.[i] ?? null,
    fields: isPlainObject(r) ? flatten(r) : { value: r },
    defaultCurrency: ctx.defaultCurrency ?? null,
  }));
  return mapSourceRecords(src, mapping, ctx);
}

export interface MappingCheck {
  /** Records given. */
  total: number;
  /** Records whose amount parsed and that have a date or a counterparty. */
  readable: number;
  /** What is wrong, most frequent first: fields the mapping names that are absent, per-row problems with counts and an example. */
  problems: string[];
}

/**
 * Checks a mapping against records without keeping the result: how many rows it reads
 * and why the others fail. A mapping is worth using when `readable` is close to `total`.
 */
export function validateMapping(records: Array<Record<string, unknown>>, mapping: EvidenceMappingOverride): MappingCheck {
  const out = mapRecords(records, mapping, { signalId: 'check', attachment: null, by: 'model' });
  const problems = out.notes.filter((n) => n.startsWith('the mapping names'));
  const kinds = new Map<string, { count: number; example: string }>();
  let readable = 0;
  for (const t of out.transactions) {
    if (t.amount !== null && (t.date || t.counterparty)) readable++;
    for (const p of t.problems) {
      const kind = p.replace(/"[^"]*"/g, '…');
      const k = kinds.get(kind) ?? { count: 0, example: `${t.location.locator}: ${p}` };
      k.count++;
      kinds.set(kind, k);
    }
  }
  const skipped = out.skippedEmpty + out.skippedTotals;
  for (const { count, example } of [...kinds.values()].sort((a, b) => b.count - a.count)) problems.push(`${count} of ${records.length} rows — e.g. ${example}`);
  if (skipped) problems.push(`${skipped} rows skipped as empty or total/balance lines`);
  return { total: records.length, readable, problems };
}
