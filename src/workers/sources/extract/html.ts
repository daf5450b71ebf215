import { Parser } from 'htmlparser2';
import { decodeText } from './decode.js';
import type { Extracted, ExtractedLine } from './types.js';

/** Elements whose content is not prose a reader sees. */
const SKIPPED = new Set(['script', 'style', 'noscript', 'template']);

/** Elements that end a line of text where they open and close. */
const BLOCKS = new Set([
  'address', 'article', 'aside', 'blockquote', 'br', 'caption', 'dd', 'details', 'div', 'dl', 'dt',
  'fieldset', 'figcaption', 'figure', 'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header',
  'hr', 'legend', 'li', 'main', 'nav', 'ol', 'option', 'p', 'pre', 'section', 'summary', 'table',
  'tbody', 'tfoot', 'thead', 'title', 'tr', 'ul',
]);

/** Headings and the title, with their Markdown level. */
const HEADINGS: Record<string, number> = { title: 1, h1: 1, h2: 2, h3: 3, h4: 4, h5: 5, h6: 6 };

/** Table cells sit on their row's line, kept apart by a space. */
const CELLS = new Set(['td', 'th']);

/**
 * HTML through htmlparser2: the text a reader sees, each line carrying the line of the
 * HTML file it comes from. Scripts, styles, `noscript`, `template` and comments are
 * dropped; entities are decoded; whitespace is collapsed. A line ends at a block
 * element (p, div, li, h1–h6, tr, br, title, …) and wherever the source text moves to
 * another file line, so several lines may share a line number (`<p>a</p><p>b</p>`)
 * and lines without text are absent (`line` skips them). The title and headings are
 * written as Markdown headings (`# Title`, `## Section`), so passages start there and
 * a heading is never taken for prose.
 */
export function extractHtml(bytes: Uint8Array): Extracted {
  const decoded = decodeText(bytes);
  if (!decoded.ok) return { ok: false, kind: 'html', reason: decoded.reason };
  const source = decoded.text;
  const lineOf = lineLocator(source);

  const lines: ExtractedLine[] = [];
  let pending = '';
  let pendingLine = 0;
  let skipping = 0;
  // Inside a heading (h1–h6, title): its line is written as a Markdown heading, so the
  // chunker starts a passage there and retrieval never takes it for a finding.
  let heading = 0;
  const flush = () => {
    const text = pending.replace(/\s+/g, ' ').trim();
    if (text) lines.push({ text: heading ? `${'#'.repeat(heading)} ${text}` : text, line: pendingLine });
    pending = '';
  };
  const append = (text: string, line: number) => {
    if (!/\S/.test(text)) {
      if (pending) pending += ' ';
      return;
    }
    // Text that starts on another file line than the pending text ends it: a tag or
    // comment spanning lines sits between them.
    if (pending.trim() && line !== pendingLine) flush();
    if (!pending.trim()) pendingLine = line;
    pending += text;
  };

  const parser: Parser = new Parser(
    {
      onopentag(name) {
        if (SKIPPED.has(name)) skipping++;
        else if (BLOCKS.has(name)) {
          flush();
          const h = HEADINGS[name];
          if (h) heading = h;
        }
        else if (CELLS.has(name)) pending += ' ';
      },
      onclosetag(name) {
        if (SKIPPED.has(name)) skipping = Math.max(0, skipping - 1);
        else if (BLOCKS.has(name)) {
          flush();
          if (HEADINGS[name]) heading = 0;
        }
      },
      ontext(data) {
        if (skipping) return;
        // `startIndex` is where this text starts in the source; the parser hands out
        // raw slices (entities arrive separately), so its line breaks are the file's.
        let line = lineOf(parser.startIndex);
        const parts = data.split('\n');
        parts.forEach((part, k) => {
          if (k > 0) {
            flush();
            line++;
          }
          append(part, line);
        });
      },
    },
    { decodeEntities: true },
  );
  parser.write(source);
  parser.end();
  flush();
  return { ok: true, kind: 'html', lines, tables: [], notes: decoded.notes };
}

/**
 * Offset → 1-based line. The parser reports offsets in increasing order, so a cursor
 * that only moves forward is enough (and falls back to a search when asked to go back).
 */
function lineLocator(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  let cursor = 0;
  return (offset) => {
    if (offset < starts[cursor]!) cursor = 0;
    while (cursor + 1 < starts.length && starts[cursor + 1]! <= offset) cursor++;
    return cursor + 1;
  };
}
