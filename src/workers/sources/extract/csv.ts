import { CsvError, parse } from 'csv-parse/sync';
import { decodeText } from './decode.js';
import { buildTable, textCell, type RawRow } from './table.js';
import type { Extracted, ExtractedLine } from './types.js';

/** Field delimiters tried, the first winning a tie (see {@link detectDelimiter}). */
const DELIMITERS = ['\t', ';', '|', ','] as const;

/** How much of the file the delimiter detection reads. */
const SNIFF_CHARS = 64 * 1024;
const SNIFF_RECORDS = 50;

/**
 * CSV and TSV through csv-parse. Lines keep the file's numbering: a row is rendered on
 * the line it starts on (`name: value; …`, see `buildTable`), the header on its own
 * line as its cells joined by `, `; lines inside multi-line quoted fields, blank lines
 * and rows of empty fields stay blank. Yields one table (`sheet: null`).
 * A file csv-parse rejects (an unclosed quote, …) → `ok: false`, `invalid CSV: <the
 * parser's message>` (which names the line it stopped on), followed by `(the record
 * starts on line N)` when the faulty record began earlier.
 */
export function extractCsv(bytes: Uint8Array): Extracted {
  const decoded = decodeText(bytes);
  if (!decoded.ok) return { ok: false, kind: 'csv', reason: decoded.reason };
  const text = decoded.text;
  const delimiter = detectDelimiter(text);

  let records: Array<{ record: string[]; raw: string }>;
  try {
    records = parse(text, {
      delimiter,
      // Each record's raw text, blank lines skipped before it included, so counting
      // their line breaks numbers the records; `info: true` would too, at twice the cost.
      raw: true,
      bom: true,
      relax_column_count: true,
      // A stray quote inside an unquoted field (`5" screen`) is common in exports and
      // harmless; an unclosed quoted field still fails.
      relax_quotes: true,
      skip_empty_lines: true,
    }) as unknown as typeof records; // csv-parse's types do not follow `raw`
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    return { ok: false, kind: 'csv', reason: `invalid CSV: ${err.message}${whereItStarts(err)}` };
  }

  let next = 1; // the line after the previous record
  const rows: RawRow[] = records.map((r) => {
    const line = next + (/^\n*/.exec(r.raw)?.[0].length ?? 0);
    next += breaks(r.raw);
    return { line, cells: r.record.map(textCell) };
  });
  const { table, rendered } = buildTable(null, rows);

  const lines: ExtractedLine[] = text.split('\n').map((_, i) => ({ text: '', line: i + 1 }));
  if (lines.length > 1 && text.endsWith('\n')) lines.pop();
  for (const r of rendered) {
    const slot = lines[r.line - 1];
    if (slot) slot.text = r.text;
  }
  return { ok: true, kind: 'csv', lines, tables: table.header.length ? [table] : [], notes: decoded.notes };
}

/**
 * csv-parse names the line it stopped on, which for an unclosed quote is the end of the
 * file; the record it was reading (its raw text) says where the trouble began.
 */
function whereItStarts(err: CsvError): string {
  const end = err['lines'];
  if (typeof end !== 'number') return '';
  const start = typeof err['raw'] === 'string' ? startLine(end, err['raw']) : end;
  if (start !== end) return ` (the record starts on line ${start})`;
  return /\bline \d/.test(err.message) ? '' : ` (line ${end})`;
}

/**
 * The line a record starts on, from the line csv-parse stopped on and the record's raw
 * text (blank lines skipped before it, then the record, line breaks in quoted fields
 * included).
 */
function startLine(endLine: number, raw: string): number {
  return endLine - breaks(raw.replace(/^\n+/, '').replace(/\n$/, ''));
}

function breaks(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Picks the delimiter among tab, `;`, `|` and `,`: the one that occurs, outside quotes,
 * the same non-zero number of times on the most of the first records. A tie goes to
 * the rarer character in prose (tab, then `;`, `|`, `,`), which is what a semicolon
 * file with decimal commas (`1,5;2,3`) needs. No candidate at all → `,` (one column).
 */
export function detectDelimiter(text: string): string {
  const counts = new Map<string, number[]>(DELIMITERS.map((d) => [d, []]));
  let row = new Map<string, number>();
  let blank = true;
  let quoted = false;
  let records = 0;
  const end = Math.min(text.length, SNIFF_CHARS);
  const close = () => {
    if (!blank) {
      for (const d of DELIMITERS) counts.get(d)!.push(row.get(d) ?? 0);
      records++;
    }
    row = new Map();
    blank = true;
  };
  for (let i = 0; i < end && records < SNIFF_RECORDS; i++) {
    const c = text[i]!;
    if (c === '\n' && !quoted) {
      close();
      continue;
    }
    blank = false;
    if (c === '"') quoted = !quoted;
    else if (!quoted && counts.has(c)) row.set(c, (row.get(c) ?? 0) + 1);
  }
  if (records < SNIFF_RECORDS) close();

  let best: string = ',';
  let bestScore = 0;
  for (const d of DELIMITERS) {
    const score = consistency(counts.get(d)!);
    if (score > bestScore) {
      best = d;
      bestScore = score;
    }
  }
  return best;
}

/** How many records hold the candidate as often as most records do (0 if it never occurs). */
function consistency(perRecord: readonly number[]): number {
  const freq = new Map<number, number>();
  for (const n of perRecord) if (n > 0) freq.set(n, (freq.get(n) ?? 0) + 1);
  return Math.max(0, ...freq.values());
}
