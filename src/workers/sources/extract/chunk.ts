import type { SourceChunk } from '../../../store/source-index.js';
import type { DocumentKind, Extracted, ExtractedLine } from './types.js';

/** Chunk bounds: small enough that a hit is a passage, not a file (as `chunkLines`). */
export const CHUNK_MAX_LINES = 12;
export const CHUNK_MAX_CHARS = 1_200;

/** Kinds whose every line is a unit of its own: a table row or a Word paragraph. */
const LINE_UNITS: ReadonlySet<DocumentKind> = new Set(['csv', 'xlsx', 'docx']);

/** Kinds where a Markdown heading starts a new passage. */
const HEADED: ReadonlySet<DocumentKind> = new Set(['markdown', 'text', 'html']);

const HEADING = /^#{1,6}\s/;

/**
 * Splits extracted lines into passages to index. Paragraphs — runs of non-blank lines
 * with consecutive (or equal) line numbers; in text and Markdown a `#` heading starts a
 * new one; in CSV, XLSX and DOCX every line (row, paragraph) is one — are merged while
 * the passage stays within `maxLines` lines (blank lines between them counted) and
 * `maxChars` characters (defaults 12 and 1,200); a longer paragraph is cut into
 * windows, but never inside a line, so a row or a Word paragraph is never split (a
 * single line over `maxChars` is a passage of its own).
 * A passage never spans two PDF pages or two sheets. Each chunk's `startLine`/`endLine`
 * are the `line` of its first and last line, `page`/`sheet` are set when its lines carry
 * them, and `text` is exactly its lines (blank ones included) joined by `\n`. Blank lines
 * are never a chunk of their own.
 */
export function chunkExtracted(
  ex: Extracted & { ok: true },
  opts: { maxLines?: number; maxChars?: number } = {},
): SourceChunk[] {
  const maxLines = Math.max(1, opts.maxLines ?? CHUNK_MAX_LINES);
  const maxChars = Math.max(1, opts.maxChars ?? CHUNK_MAX_CHARS);
  const lines = ex.lines;
  // size(a, b): characters of lines a..b, each with its line break, in O(1).
  const prefix = [0];
  for (const l of lines) prefix.push(prefix[prefix.length - 1]! + l.text.length + 1);
  const size = (a: number, b: number) => prefix[b + 1]! - prefix[a]!;

  const out: SourceChunk[] = [];
  const emit = (a: number, b: number) => out.push(chunkOf(lines, a, b));
  for (const [from, to] of segments(lines)) {
    let acc: { start: number; end: number } | null = null;
    for (const b of blocks(ex.kind, lines, from, to)) {
      if (b.end - b.start + 1 > maxLines || size(b.start, b.end) > maxChars) {
        if (acc) emit(acc.start, acc.end);
        acc = null;
        for (let s = b.start; s <= b.end; ) {
          let e = Math.min(b.end, s + maxLines - 1);
          while (e > s && size(s, e) > maxChars) e--;
          emit(s, e);
          s = e + 1;
        }
        continue;
      }
      if (acc && b.end - acc.start + 1 <= maxLines && size(acc.start, b.end) <= maxChars) acc.end = b.end;
      else {
        if (acc) emit(acc.start, acc.end);
        acc = { ...b };
      }
    }
    if (acc) emit(acc.start, acc.end);
  }
  return out;
}

/** Index ranges [from, to] of lines on the same page and sheet. */
function segments(lines: readonly ExtractedLine[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let from = 0;
  for (let i = 1; i <= lines.length; i++) {
    const prev = lines[i - 1]!;
    const cur = lines[i];
    if (!cur || cur.page !== prev.page || cur.sheet !== prev.sheet) {
      out.push([from, i - 1]);
      from = i;
    }
  }
  return out;
}

/** Index ranges of the paragraphs (see `chunkExtracted`) within lines from..to. */
function blocks(kind: DocumentKind, lines: readonly ExtractedLine[], from: number, to: number): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  let cur: { start: number; end: number } | null = null;
  for (let i = from; i <= to; i++) {
    const l = lines[i]!;
    if (l.text.trim() === '') {
      if (cur) out.push(cur);
      cur = null;
      continue;
    }
    const prev = lines[i - 1];
    const breaks =
      LINE_UNITS.has(kind) ||
      (HEADED.has(kind) && HEADING.test(l.text)) ||
      // A gap in the numbering (HTML leaves out lines without text) is a blank line.
      (prev !== undefined && l.line > prev.line + 1);
    if (cur && breaks) {
      out.push(cur);
      cur = null;
    }
    if (!cur) cur = { start: i, end: i };
    else cur.end = i;
  }
  if (cur) out.push(cur);
  return out;
}

function chunkOf(lines: readonly ExtractedLine[], a: number, b: number): SourceChunk {
  const first = lines[a]!;
  const chunk: SourceChunk = {
    startLine: first.line,
    endLine: lines[b]!.line,
    text: lines
      .slice(a, b + 1)
      .map((l) => l.text)
      .join('\n'),
  };
  // Line numbers that are not simply consecutive (HTML) travel with the chunk, so a
  // citation of its third line names the file's line, not startLine + 2.
  const numbers = lines.slice(a, b + 1).map((l) => l.line);
  if (numbers.some((n, i) => n !== first.line + i)) chunk.lines = numbers;
  if (first.page !== undefined) chunk.page = first.page;
  if (first.sheet !== undefined) chunk.sheet = first.sheet;
  return chunk;
}
