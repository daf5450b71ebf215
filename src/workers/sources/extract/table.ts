import type { ExtractedTable } from './types.js';

/**
 * What CSV files and spreadsheet sheets share once parsed: rows of cells → a header,
 * labelled data rows, and one searchable line per row (`column: value; …`), so a row
 * found by search says what each of its values means.
 */

/** One cell: its text on one line, and whether it is a value (number, date, boolean) rather than a label. */
export interface Cell {
  text: string;
  value: boolean;
}

/** A cell from its raw text: trimmed, inner line breaks and their indentation become one space. */
export function cell(text: string, value: boolean): Cell {
  const t = text.trim();
  return { text: t.includes('\n') ? t.replace(/\s*\n\s*/g, ' ') : t, value };
}

/** A row as parsed (cells made with {@link cell}), with the 1-based line (CSV) or row number (sheet) it starts on. */
export interface RawRow {
  line: number;
  cells: Cell[];
}

/** How far down the header detection looks. */
const SAMPLE_ROWS = 20;

/**
 * Builds a table from parsed rows. Rows whose cells are all empty are dropped. The first
 * remaining row is the header unless it looks like data (see {@link hasHeader}); header
 * cells are trimmed, an empty one becomes `column N`, a repeated one `name (2)` (so no
 * field overwrites another). Fields beyond the header are `column N`.
 * `rendered` holds one line per kept row: the header's cells joined by `, `; a data row
 * as `name: value; …` (empty values left out), or
 * its values joined by `; ` when the table has no header.
 */
export function buildTable(sheet: string | null, raw: readonly RawRow[]): { table: ExtractedTable; rendered: Array<{ line: number; text: string }> } {
  const rows = raw.filter((r) => r.cells.some((c) => c.text !== ''));
  const rendered: Array<{ line: number; text: string }> = [];
  const first = rows[0];
  if (!first) return { table: { sheet, header: [], rows: [] }, rendered };

  const headed = hasHeader(first.cells, rows.slice(1, 1 + SAMPLE_ROWS));
  const width = rows.reduce((w, r) => Math.max(w, r.cells.length), 0);
  const header = headed ? headerNames(first.cells.map((c) => c.text)) : Array.from({ length: width }, (_, j) => `column ${j + 1}`);
  if (headed) rendered.push({ line: first.line, text: first.cells.map((c) => c.text).filter(Boolean).join(', ') });

  const data = headed ? rows.slice(1) : rows;
  const tableRows = data.map((r) => {
    const entries: Array<[string, string]> = [];
    const labelled: string[] = [];
    const n = Math.max(header.length, r.cells.length);
    for (let j = 0; j < n; j++) {
      const name = header[j] ?? `column ${j + 1}`;
      const text = r.cells[j]?.text ?? '';
      entries.push([name, text]);
      if (text !== '') labelled.push(headed ? `${name}: ${text}` : text);
    }
    rendered.push({ line: r.line, text: labelled.join('; ') });
    // fromEntries defines own properties, so a column named `__proto__` stays a field.
    return { line: r.line, fields: Object.fromEntries(entries) };
  });
  return { table: { sheet, header, rows: tableRows }, rendered };
}

/**
 * Whether the first row is a header, in the spirit of Python's `csv.Sniffer.has_header`:
 * each column whose sampled values are all values (numbers, dates) votes for a header
 * when the first row's cell there is a label and against when it is a value too.
 * Columns of labels do not vote, and a tie means a header (most files have one).
 * Known miss: a header of years over numeric columns (`region, 2023, 2024`) reads as data.
 */
export function hasHeader(first: readonly Cell[], sample: ReadonlyArray<{ cells: readonly Cell[] }>): boolean {
  let votes = 0;
  first.forEach((cell, j) => {
    if (cell.text === '') return;
    const below = sample.map((r) => r.cells[j]).filter((c): c is Cell => !!c && c.text !== '');
    if (below.length === 0 || !below.every((c) => c.value)) return;
    votes += cell.value ? -1 : 1;
  });
  return votes >= 0;
}

function headerNames(cells: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return cells.map((c, j) => {
    const base = c || `column ${j + 1}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base} (${n})`;
  });
}

/** CSV cells are all text; these are the ones that read as values rather than labels. */
const NUMBER = /^[-+(]?[$€£¥]?\s?(?:\d{1,3}(?:[,.' ]\d{3})+|\d+)(?:[.,]\d+)?(?:[eE][-+]?\d+)?\)?\s?%?$/;
const DATE = /^(?:\d{4}-\d{1,2}-\d{1,2}(?:[ T][\d:.]+Z?)?|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})$/;

/** A CSV cell: a value when it reads as a number or a date. */
export function textCell(text: string): Cell {
  const c = cell(text, false);
  c.value = c.text !== '' && (NUMBER.test(c.text) || DATE.test(c.text));
  return c;
}
