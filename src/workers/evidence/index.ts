/**
 * The evidence parsers: a signal's payload and attachments → transactions, with the
 * mapping used and everything that could not be read (see types.ts for the model).
 */
import { parseCamt } from './camt.js';
import { csvTable, parseCsv } from './csv.js';
import { jsonRecords, parseJsonText, parseJsonValue } from './json.js';
import { emptyResult } from './model.js';
import { parseMt940 } from './mt940.js';
import { sniff } from './sniff.js';
import type { EvidenceItem, EvidenceMappingOverride, ParsedEvidence } from './types.js';
import { parseXlsx, xlsxTables } from './xlsx.js';

export type * from './types.js';
export { mapRecords, validateMapping, type MapRecordsContext, type MappingCheck } from './validate.js';
export type { MapOutcome } from './records.js';

export interface ParseOptions {
  /** The rules file's `evidenceMapping` (or a validated model proposal): wins for the fields it names. */
  mapping?: EvidenceMappingOverride;
  /** Who gave `mapping`: `rules` (default) or `model` — shown in `mapping.by`. */
  mappingBy?: 'rules' | 'model';
}

const attachmentName = (item: EvidenceItem) => (item.kind === 'payload' ? null : (item.name ?? '(unnamed attachment)'));

/** The bytes to sniff: an attachment's content, or a payload given as text/bytes instead of JSON. */
function bytesOf(item: EvidenceItem): Uint8Array | null {
  if (item.content) return item.content;
  if (item.payload instanceof Uint8Array) return item.payload;
  if (typeof item.payload === 'string' && !/^\s*[[{]/.test(item.payload)) return new TextEncoder().encode(item.payload);
  return null;
}

/**
 * Reads one evidence item. The format is detected from the content (name and media
 * type are hints); a payload is JSON (an object, or JSON text). Never throws: an
 * unexpected failure is returned as `unreadable` with its message.
 *
 * - CSV/XLSX: header found below any preamble, columns inferred (or overridden).
 * - camt.052/053/054 and MT940: fixed mapping (`by: 'format'`).
 * - JSON: transaction lists found anywhere, fields flattened and inferred.
 * - PDF/DOCX/images/prose: `format: 'document'`, the file listed in `documents`.
 */
export async function parseEvidenceItem(item: EvidenceItem, opts: ParseOptions = {}): Promise<ParsedEvidence> {
  const attachment = attachmentName(item);
  const override = opts.mapping ?? {};
  const ctx = { signalId: item.signalId, attachment, by: opts.mappingBy };
  try {
    const bytes = bytesOf(item);
    if (!bytes) {
      if (item.kind === 'payload' && item.payload !== undefined && item.payload !== null) {
        return typeof item.payload === 'string' ? parseJsonText(item.payload, ctx, override) : parseJsonValue(item.payload, ctx, override);
      }
      const out = emptyResult(item.signalId, attachment, 'unknown');
      if (item.kind === 'attachment') out.unreadable = { reason: 'the attachment has no content', fieldsSeen: [] };
      return out;
    }
    const s = sniff(bytes, item.name, item.mediaType);
    let out: ParsedEvidence;
    switch (s.kind) {
      case 'csv':
        out = parseCsv(s.text, item.signalId, attachment, override, opts.mappingBy);
        break;
      case 'json':
        out = parseJsonText(s.text, ctx, override);
        break;
      case 'camt':
        out = parseCamt(s.text, item.signalId, attachment);
        break;
      case 'mt940':
        out = parseMt940(s.text, item.signalId, attachment);
        break;
      case 'xlsx':
        return await parseXlsx(bytes, item.signalId, attachment, override, opts.mappingBy);
      case 'document':
        out = emptyResult(item.signalId, attachment, 'document');
        out.documents.push(item.name ?? attachment ?? 'document');
        out.notes.push(`${s.what}: not transaction data`);
        return out;
      case 'unsupported':
        out = emptyResult(item.signalId, attachment, 'unknown');
        out.unreadable = { reason: s.reason, fieldsSeen: [] };
        return out;
    }
    if ('encoding' in s && s.encoding) out.notes.unshift(`encoding ${s.encoding}`);
    return out;
  } catch (e) {
    const out = emptyResult(item.signalId, attachment, 'unknown');
    out.unreadable = { reason: `could not be read: ${(e as Error).message ?? String(e)}`, fieldsSeen: [] };
    return out;
  }
}

export interface TabularRecords {
  records: Array<{ locator: string; line: number | null; fields: Record<string, unknown> }>;
  fieldsSeen: string[];
}

/**
 * The flattened rows of a CSV, XLSX or JSON item regardless of mapping — what a model
 * needs to propose a mapping (check it with `validateMapping`). Null for camt, MT940,
 * documents and unreadable content. XLSX: the first sheet that maps an amount, else the
 * first sheet with data.
 */
export async function tabularRecords(item: EvidenceItem, opts: ParseOptions = {}): Promise<TabularRecords | null> {
  try {
    const bytes = bytesOf(item);
    if (!bytes) return item.payload !== undefined && item.payload !== null ? jsonRecords(typeof item.payload === 'string' ? JSON.parse(item.payload) : item.payload, opts.mapping) : null;
    const s = sniff(bytes, item.name, item.mediaType);
    const strip = (r: { locator: string; line: number | null; fields: Record<string, unknown> }) => ({ locator: r.locator, line: r.line, fields: r.fields });
    if (s.kind === 'csv') {
      const { table } = csvTable(s.text);
      return { records: table.records.map(strip), fieldsSeen: table.fieldsSeen };
    }
    if (s.kind === 'json') return jsonRecords(JSON.parse(s.text), opts.mapping);
    if (s.kind === 'xlsx') {
      const tables = await xlsxTables(bytes);
      const t = tables.find((x) => x.table.headerNamed) ?? tables.find((x) => x.table.records.length);
      return t ? { records: t.table.records.map(strip), fieldsSeen: t.table.fieldsSeen } : null;
    }
    return null;
  } catch {
    return null;
  }
}
