import { getDocumentProxy } from 'unpdf';
import type { Extracted, ExtractedLine } from './types.js';

/** Pages read from one PDF unless the caller says otherwise. */
export const DEFAULT_MAX_PAGES = 2_000;

/** Page numbers listed in a note before the rest are only counted. */
const LISTED_PAGES = 20;

/** pdf.js text items: text runs, or marked-content markers (which have no `str`). */
interface TextRun {
  str: string;
  hasEOL: boolean;
}

/**
 * PDF through unpdf (pdf.js): one line per text line of each page, `page` the 1-based
 * page and `line` the 1-based line within it (lines without text are not counted).
 * Line ends are pdf.js's own (`hasEOL`). Reads at most `maxPages` pages
 * (default 2,000; note `read the first N of M pages`).
 * - no text on any page → `ok: false`, `no text layer (a scanned PDF? run OCR first)`;
 * - some pages without text → note `pages without text: 3, 7`;
 * - a page pdf.js fails on is skipped → note `pages that could not be read: 4`;
 * - password-protected → `ok: false`, `encrypted PDF: a password is required`;
 * - anything pdf.js cannot open → `ok: false`, `corrupt PDF: <pdf.js's message>`.
 * The caller's bytes are copied first (pdf.js detaches the buffer it is given) and the
 * document is always destroyed. An aborted `signal` is checked between pages and
 * rejects with its reason.
 */
export async function extractPdf(bytes: Uint8Array, opts: { maxPages?: number; signal?: AbortSignal } = {}): Promise<Extracted> {
  const maxPages = Number.isFinite(opts.maxPages) ? Math.max(1, Math.floor(opts.maxPages!)) : DEFAULT_MAX_PAGES;
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // verbosity 0: pdf.js prints warnings with console.log, which would corrupt a stdio server's stdout.
    pdf = await getDocumentProxy(bytes.slice(), { verbosity: 0 });
  } catch (err) {
    return { ok: false, kind: 'pdf', reason: openFailure(err) };
  }
  try {
    const lines: ExtractedLine[] = [];
    const empty: number[] = [];
    const unreadable: number[] = [];
    const last = Math.min(pdf.numPages, maxPages);
    for (let n = 1; n <= last; n++) {
      opts.signal?.throwIfAborted();
      let pageLines: string[];
      try {
        pageLines = await pageText(pdf, n);
      } catch {
        unreadable.push(n);
        continue;
      }
      if (pageLines.length === 0) empty.push(n);
      pageLines.forEach((text, i) => lines.push({ text, line: i + 1, page: n }));
    }
    if (lines.length === 0) {
      return { ok: false, kind: 'pdf', reason: unreadable.length === last ? 'corrupt PDF: no page could be read' : 'no text layer (a scanned PDF? run OCR first)' };
    }
    const notes: string[] = [];
    if (empty.length) notes.push(`pages without text: ${listPages(empty)}`);
    if (unreadable.length) notes.push(`pages that could not be read: ${listPages(unreadable)}`);
    if (pdf.numPages > last) notes.push(`read the first ${last} of ${pdf.numPages} pages`);
    return { ok: true, kind: 'pdf', lines, tables: [], notes };
  } finally {
    await pdf.destroy();
  }
}

/** A page's text lines, whitespace collapsed, lines without text dropped. */
async function pageText(pdf: Awaited<ReturnType<typeof getDocumentProxy>>, n: number): Promise<string[]> {
  const page = await pdf.getPage(n);
  try {
    const content = await page.getTextContent();
    const out: string[] = [];
    let current = '';
    const end = () => {
      const text = current.replace(/\s+/g, ' ').trim();
      if (text) out.push(text);
      current = '';
    };
    for (const item of content.items as Array<TextRun | { type: string }>) {
      if (!('str' in item)) continue;
      current += item.str;
      if (item.hasEOL) end();
    }
    end();
    return out;
  } finally {
    page.cleanup();
  }
}

function openFailure(err: unknown): string {
  const name = err instanceof Error ? err.name : '';
  if (name === 'PasswordException') return 'encrypted PDF: a password is required';
  const message = (err instanceof Error ? err.message : String(err)).replace(/\.$/, '');
  return `corrupt PDF: ${message}`;
}

function listPages(pages: readonly number[]): string {
  const shown = pages.slice(0, LISTED_PAGES).join(', ');
  return pages.length > LISTED_PAGES ? `${shown} … (${pages.length - LISTED_PAGES} more)` : shown;
}
