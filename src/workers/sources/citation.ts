import { lineOf, type SourceHit } from '../../store/source-index.js';

/** A cited passage or row: what a finding or a compliance flag points at. */
export interface Citation {
  /** The source's name (`docs`, `erp`). */
  source: string;
  /** The document: `docs/policies/aml.md` (source name and path below its folder), or `erp:vendors` for a table. */
  file: string;
  /** 1-based line range (of the page for a PDF, paragraphs for a DOCX, rows of the sheet for a spreadsheet); 0 for a table row. */
  startLine: number;
  endLine: number;
  page: number | null;
  sheet: string | null;
  /** A table row: its key and its fields. */
  row: { column: string; value: string; fields: Record<string, string> } | null;
  snippet: string;
  score: number;
}

/**
 * How a citation is written (DESIGN "Sources"): `docs/policies/aml.md:12` or `:12-14`,
 * `docs/minutes.pdf:p3`, `lists/watch.xlsx:Sanctions!14`, `erp:vendors#id=42`.
 */
export function citationRef(c: Pick<Citation, 'file' | 'startLine' | 'endLine'> & Partial<Pick<Citation, 'page' | 'sheet' | 'row'>>): string {
  if (c.row) return `${c.file}#${c.row.column}=${c.row.value}`;
  if (c.page) return `${c.file}:p${c.page}`;
  const lines = `${c.startLine}${c.endLine !== c.startLine ? `-${c.endLine}` : ''}`;
  return c.sheet ? `${c.file}:${c.sheet}!${lines}` : `${c.file}:${lines}`;
}

export const SNIPPET_CHARS = 240;
export const clipSnippet = (s: string, n = SNIPPET_CHARS) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

/** A table row's indexed text: one `column: value` line per field (newlines in values flattened). */
export const rowText = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([k, v]) => `${k}: ${v.replace(/\s*[\r\n]+\s*/g, ' ')}`)
    .join('\n');

/** The fields of a row's indexed text (the inverse of `rowText`). */
export function rowFields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(': ');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 2);
  }
  return out;
}

/**
 * Cites a hit as a whole: a row with its fields, or a passage narrowed to its best
 * line (the one holding the most query words) so a citation points at a line, not a
 * paragraph.
 */
export function cite(h: SourceHit, query: string): Citation {
  const base = { source: h.source, file: h.display, page: h.page ?? null, sheet: h.sheet ?? null, score: h.score };
  if (h.row) {
    const fields = rowFields(h.text);
    const snippet = Object.entries(fields)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ');
    return { ...base, startLine: 0, endLine: 0, row: { ...h.row, fields }, snippet: clipSnippet(snippet) };
  }
  const words = [...new Set((query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length > 1))];
  const lines = h.text.split('\n');
  let best = -1;
  let bestScore = 0;
  lines.forEach((l, i) => {
    const low = l.toLowerCase();
    const s = words.reduce((n, w) => n + (low.includes(w) ? 1 : 0), 0);
    if (s > bestScore) {
      best = i;
      bestScore = s;
    }
  });
  if (best < 0) {
    const snippet = lines.find((l) => l.trim())?.trim() ?? '';
    return { ...base, startLine: h.startLine, endLine: h.endLine, row: null, snippet: clipSnippet(snippet) };
  }
  return { ...base, startLine: lineOf(h, best), endLine: lineOf(h, best), row: null, snippet: clipSnippet(lines[best]!.trim()) };
}
