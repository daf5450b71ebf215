import type { SourceChunk } from '../../store/source-index.js';

/** File kinds the indexer reads, by extension. Anything else in a source folder is skipped. */
export const SOURCE_EXTENSIONS: Record<string, 'text' | 'csv' | 'html'> = {
  '.md': 'text',
  '.markdown': 'text',
  '.txt': 'text',
  '.text': 'text',
  '.json': 'text',
  '.csv': 'csv',
  '.html': 'html',
  '.htm': 'html',
};

/**
 * Converts a file to searchable text **line for line**: line i of the result is line i
 * of the file, so a citation's line range points at the file a person opens.
 * Markdown, text and JSON are kept as they are; CSV rows become `column: value; …`
 * (a row found by search then says what each value means); HTML loses its tags,
 * scripts, styles and comments but keeps its line breaks.
 */
export function toLines(kind: 'text' | 'csv' | 'html', raw: string): string[] {
  const text = raw.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  if (kind === 'csv') return csvLines(text);
  if (kind === 'html') return htmlLines(text);
  return text.split('\n');
}

function csvLines(text: string): string[] {
  const lines = text.split('\n');
  const out = lines.map(() => '');
  const records = parseCsv(text);
  const header = records[0]?.fields.map((h) => h.trim()) ?? [];
  records.forEach((r, i) => {
    if (i === 0) {
      out[r.line] = header.join(', ');
      return;
    }
    if (r.fields.every((f) => f.trim() === '')) return;
    out[r.line] = r.fields.map((f, j) => `${header[j] || `column ${j + 1}`}: ${f.trim()}`).join('; ');
  });
  return out;
}

/** RFC 4180 CSV with quoted fields (which may hold commas, quotes and line breaks). */
function parseCsv(text: string): Array<{ line: number; fields: string[] }> {
  const records: Array<{ line: number; fields: string[] }> = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n') {
      fields.push(field);
      records.push({ line: start, fields });
      fields = [];
      field = '';
      line++;
      start = line;
    } else field += c;
  }
  if (field !== '' || fields.length) {
    fields.push(field);
    records.push({ line: start, fields });
  }
  return records;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', ndash: '–', mdash: '—', euro: '€' };

function htmlLines(text: string): string[] {
  // Blank out what is not prose, keeping its newlines so line numbers survive.
  const keepBreaks = (m: string) => m.replace(/[^\n]/g, '');
  const stripped = text
    .replace(/<!--[\s\S]*?-->/g, keepBreaks)
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, keepBreaks)
    .replace(/<[^>]*>/g, (m) => keepBreaks(m) || ' ');
  return stripped.split('\n').map((l) =>
    l
      .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
        if (e[0] === '#') {
          const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
          return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : m;
        }
        return ENTITIES[e.toLowerCase()] ?? m;
      })
      .replace(/[ \t]+/g, ' ')
      .trim(),
  );
}

/** Chunk bounds: small enough that a hit is a passage, not a file. */
export const CHUNK_MAX_LINES = 12;
export const CHUNK_MAX_CHARS = 1_200;

/**
 * Splits lines into passages: paragraphs (blank-line separated; a Markdown heading
 * starts a new one) merged while they fit, long paragraphs cut into windows. Blank
 * lines are never a chunk of their own.
 */
export function chunkLines(lines: readonly string[], maxLines = CHUNK_MAX_LINES, maxChars = CHUNK_MAX_CHARS): SourceChunk[] {
  const blocks: Array<{ start: number; end: number }> = [];
  let cur: { start: number; end: number } | null = null;
  lines.forEach((l, i) => {
    const blank = l.trim() === '';
    if (blank) {
      if (cur) blocks.push(cur);
      cur = null;
      return;
    }
    if (cur && /^#{1,6}\s/.test(l)) {
      blocks.push(cur);
      cur = null;
    }
    if (!cur) cur = { start: i, end: i };
    else cur.end = i;
  });
  if (cur) blocks.push(cur);

  const out: SourceChunk[] = [];
  const size = (a: number, b: number) => lines.slice(a, b + 1).reduce((n, l) => n + l.length + 1, 0);
  const emit = (a: number, b: number) => {
    const slice = lines.slice(a, b + 1);
    if (slice.some((l) => l.trim())) out.push({ startLine: a + 1, endLine: b + 1, text: slice.join('\n') });
  };
  let acc: { start: number; end: number } | null = null;
  for (const b of blocks) {
    const lineCount = b.end - b.start + 1;
    if (lineCount > maxLines || size(b.start, b.end) > maxChars) {
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
    if (acc && acc.end - acc.start + 1 + lineCount + 1 <= maxLines && size(acc.start, b.end) <= maxChars) acc.end = b.end;
    else {
      if (acc) emit(acc.start, acc.end);
      acc = { ...b };
    }
  }
  if (acc) emit(acc.start, acc.end);
  return out;
}
