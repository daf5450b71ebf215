import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseEvidenceItem, type EvidenceItem, type ParsedEvidence, type Transaction } from '../../../src/workers/evidence/index.js';

const dir = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** An attachment item for a fixture file (no media type: formats are sniffed from the bytes). */
export function fixture(name: string, mediaType: string | null = null): EvidenceItem {
  return { signalId: 'sig-1', kind: 'attachment', name, mediaType, content: readFileSync(dir + name) };
}

/** An attachment item from text or bytes. */
export function attachment(name: string | null, content: string | Uint8Array, mediaType: string | null = null): EvidenceItem {
  return { signalId: 'sig-1', kind: 'attachment', name, mediaType, content: typeof content === 'string' ? new TextEncoder().encode(content) : content };
}

/** The signal's JSON payload as an item. */
export function payload(value: unknown): EvidenceItem {
  return { signalId: 'sig-1', kind: 'payload', name: null, mediaType: 'application/json', payload: value };
}

export const parseFixture = (name: string) => parseEvidenceItem(fixture(name));

/** The fields a check reads, for compact assertions. */
export const brief = (t: Transaction) => ({ date: t.date, amount: t.amount, currency: t.currency, direction: t.direction, counterparty: t.counterparty });

/** Skipped-row counts from the notes (`2 total/balance rows skipped`, `1 empty row skipped`). */
export function skipped(r: ParsedEvidence): { empty: number; totals: number } {
  const n = (re: RegExp) => r.notes.map((x) => re.exec(x)).reduce((s, m) => s + (m ? Number(m[1]) : 0), 0);
  return { empty: n(/^(\d+) empty rows? skipped/), totals: n(/^(\d+) total\/balance rows? skipped/) };
}
