import { extname } from 'node:path';
import { extractCsv } from './csv.js';
import { extractDocx } from './docx.js';
import { extractHtml } from './html.js';
import { extractPdf } from './pdf.js';
import { extractPlain } from './plain.js';
import type { DocumentKind, Extracted } from './types.js';
import { extractXlsx } from './xlsx.js';

export type { DocumentKind, Extracted, ExtractedLine, ExtractedTable } from './types.js';
export { chunkExtracted, CHUNK_MAX_CHARS, CHUNK_MAX_LINES } from './chunk.js';
export { DEFAULT_MAX_PAGES } from './pdf.js';

/** File kinds the indexer reads, by lower-case extension. Anything else is skipped (old `.doc`/`.xls` too). */
export const DOCUMENT_EXTENSIONS: Readonly<Record<string, DocumentKind>> = Object.freeze({
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.txt': 'text',
  '.text': 'text',
  '.json': 'json',
  '.csv': 'csv',
  '.tsv': 'csv',
  '.html': 'html',
  '.htm': 'html',
  '.pdf': 'pdf',
  '.docx': 'docx',
  '.xlsx': 'xlsx',
});

/** The kind of document a path names, by its extension (case-insensitive), or null when it is not read. */
export function documentKind(path: string): DocumentKind | null {
  const ext = extname(path).toLowerCase();
  return Object.hasOwn(DOCUMENT_EXTENSIONS, ext) ? DOCUMENT_EXTENSIONS[ext]! : null;
}

/**
 * A document's bytes → its lines (with line, page or sheet) and tables, through the
 * format's maintained parser (see each `extract*` for what a line is and the exact
 * reasons and notes). Never rejects because of the content: a file that cannot be read
 * is `ok: false` with a reason a person can act on, and a document with no text at all
 * (besides PDF, which is `ok: false`) is `ok: true` with a `no text` note.
 * `maxPages` bounds PDFs (default 2,000). An aborted `signal` — checked between PDF
 * pages and workbook sheets, and before starting — rejects with the signal's reason,
 * so an interrupted file is never recorded as unreadable.
 * The caller's bytes are not modified.
 */
export async function extractDocument(
  kind: DocumentKind,
  bytes: Uint8Array,
  opts: { maxPages?: number; signal?: AbortSignal } = {},
): Promise<Extracted> {
  opts.signal?.throwIfAborted();
  let result: Extracted;
  try {
    result = await extract(kind, bytes, opts);
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    // A parser bug or an input no parser foresaw: still a reason, not a crash of the indexer.
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, kind, reason: `could not read the file: ${message.slice(0, 200)}` };
  }
  if (result.ok && !result.lines.some((l) => l.text.trim() !== '')) result.notes.push('no text');
  return result;
}

function extract(kind: DocumentKind, bytes: Uint8Array, opts: { maxPages?: number; signal?: AbortSignal }): Extracted | Promise<Extracted> {
  switch (kind) {
    case 'text':
    case 'markdown':
    case 'json':
      return extractPlain(kind, bytes);
    case 'csv':
      return extractCsv(bytes);
    case 'html':
      return extractHtml(bytes);
    case 'pdf':
      return extractPdf(bytes, opts);
    case 'docx':
      return extractDocx(bytes);
    case 'xlsx':
      return extractXlsx(bytes, opts);
  }
}
