/**
 * Which format an attachment is, from its bytes. The file name and media type are
 * hints only: a `.txt` may be MT940, `application/octet-stream` may be CSV, and Windows
 * labels every `.csv` `application/vnd.ms-excel`.
 */
import { isCamt } from './camt.js';
import { csvTable, guessDelimiter, looksTabular } from './csv.js';
import { isMt940 } from './mt940.js';
import { decodeText, looksLikeText } from './text.js';

export type Sniffed =
  | { kind: 'csv' | 'mt940' | 'camt' | 'json'; text: string; encoding: string | null }
  | { kind: 'xlsx' }
  | { kind: 'document'; what: string }
  | { kind: 'unsupported'; reason: string };

const startsWith = (b: Uint8Array, ...sig: number[]) => sig.every((x, i) => b[i] === x);
const ascii = (b: Uint8Array, s: string) => startsWith(b, ...[...s].map((c) => c.charCodeAt(0)));
const contains = (b: Uint8Array, s: string) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).includes(s, 0, 'latin1');

function hints(name: string | null, mediaType: string | null) {
  const ext = /\.([A-Za-z0-9]+)$/.exec(name ?? '')?.[1]?.toLowerCase() ?? '';
  const mt = (mediaType ?? '').toLowerCase();
  return {
    csv: ['csv', 'tsv', 'tab'].includes(ext) || /text\/(csv|tab-separated-values)/.test(mt),
    json: ext === 'json' || /json/.test(mt),
    xls: ext === 'xls' || /ms-excel/.test(mt),
  };
}

/** Binary containers and images, by their magic bytes. */
function sniffBinary(b: Uint8Array, xlsHint: boolean): Sniffed | null {
  if (ascii(b, '%PDF-')) return { kind: 'document', what: 'PDF' };
  if (startsWith(b, 0x50, 0x4b, 0x03, 0x04) || startsWith(b, 0x50, 0x4b, 0x05, 0x06)) {
    if (contains(b, 'xl/workbook')) return { kind: 'xlsx' };
    if (contains(b, 'word/document') || contains(b, 'ppt/presentation')) return { kind: 'document', what: 'Office document' };
    if (contains(b, 'opendocument.spreadsheet')) return { kind: 'unsupported', reason: 'OpenDocument spreadsheet (.ods) is not read: export it as XLSX or CSV' };
    if (contains(b, 'opendocument')) return { kind: 'document', what: 'OpenDocument' };
    return { kind: 'unsupported', reason: 'ZIP archive: its files must be attached one by one' };
  }
  if (startsWith(b, 0xd0, 0xcf, 0x11, 0xe0)) {
    return xlsHint ? { kind: 'unsupported', reason: 'legacy Excel (.xls) is not read: export it as XLSX or CSV' } : { kind: 'document', what: 'legacy Office document' };
  }
  if (startsWith(b, 0x89, 0x50, 0x4e, 0x47) || startsWith(b, 0xff, 0xd8, 0xff) || ascii(b, 'GIF8') || startsWith(b, 0x49, 0x49, 0x2a, 0x00) || startsWith(b, 0x4d, 0x4d, 0x00, 0x2a) || (ascii(b, 'BM') && b.length > 14 && !b[6] && !b[7] && !b[8] && !b[9])) return { kind: 'document', what: 'image' };
  if (ascii(b, 'RIFF') && b[8] === 0x57 && b[9] === 0x45) return { kind: 'document', what: 'image' };
  if (b.length > 12 && String.fromCharCode(...b.subarray(4, 8)) === 'ftyp') return { kind: 'document', what: 'image or video' };
  if (ascii(b, '{\\rtf')) return { kind: 'document', what: 'RTF document' };
  return null;
}

/** Whether a prose-or-table text is a table: a header naming known fields, or a consistently delimited grid. */
function isTable(text: string): boolean {
  if (!looksTabular(text)) return false;
  const g = guessDelimiter(text, 60);
  if (g.modal >= 2 && g.consistent >= g.sampled * 0.8) return true;
  try {
    return csvTable(text.slice(0, 20000)).table.headerNamed;
  } catch {
    return false;
  }
}

/** Detects an attachment's format from its bytes, using the name and media type only to break ties. */
export function sniff(bytes: Uint8Array, name: string | null, mediaType: string | null): Sniffed {
  if (!bytes.length) return { kind: 'unsupported', reason: 'the attachment is empty' };
  const h = hints(name, mediaType);
  const binary = sniffBinary(bytes, h.xls);
  if (binary) return binary;
  const { text, encoding } = decodeText(bytes);
  if (!looksLikeText(text)) {
    const head = [...bytes.subarray(0, 8)].map((x) => x.toString(16).padStart(2, '0')).join(' ');
    return { kind: 'unsupported', reason: `unrecognised binary content (first bytes ${head})` };
  }
  const t = text.trimStart();
  if (isMt940(text)) return { kind: 'mt940', text, encoding };
  if (t.startsWith('<')) {
    if (isCamt(t)) return { kind: 'camt', text: t, encoding };
    if (/^<(!doctype html|html)/i.test(t)) return { kind: 'document', what: 'HTML document' };
    return { kind: 'camt', text: t, encoding }; // parseCamt names what the XML is instead
  }
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      JSON.parse(t);
      return { kind: 'json', text: t, encoding };
    } catch {
      if (h.json) return { kind: 'json', text: t, encoding };
    }
  }
  if (h.csv || isTable(text)) return { kind: 'csv', text, encoding };
  if (h.json) return { kind: 'json', text, encoding };
  return { kind: 'document', what: 'text' };
}
