/**
 * CSV bank exports, parsed with csv-parse. The delimiter (`,` `;` tab `|`) is chosen by
 * counting it outside quotes over the first records: the one that splits most records
 * into the same number of fields wins, so decimal commas in a `;` file, or a preamble,
 * do not mislead it.
 */
import { parse } from 'csv-parse/sync';
import { emptyResult, type ReadHints } from './model.js';
import { readTable, tableToEvidence, type TableRead } from './table.js';
import { normaliseNewlines } from './text.js';
import type { EvidenceMappingOverride, ParsedEvidence } from './types.js';

const CANDIDATES = [',', ';', '\t', '|'] as const;
export type Delimiter = (typeof CANDIDATES)[number];

export interface DelimiterGuess {
  delimiter: Delimiter;
  /** Records (of the sample) split into the modal number of fields by it. */
  consistent: number;
  /** Fields per record minus one, in the modal case. */
  modal: number;
  /** Non-empty records sampled. */
  sampled: number;
}

/** Counts candidate delimiters outside double quotes per record over the first `limit` records. */
export function guessDelimiter(text: string, limit = 200): DelimiterGuess {
  const counts: number[][] = [];
  let current = [0, 0, 0, 0];
  let inQuote = false;
  let nonEmpty = false;
  for (let i = 0; i < text.length && counts.length < limit; i++) {
    const ch = text[i];
    if (ch === '"') inQuote = !inQuote;
    else if (!inQuote && (ch === '\n' || ch === '\r')) {
      if (nonEmpty) counts.push(current);
      current = [0, 0, 0, 0];
      nonEmpty = false;
    } else if (!inQuote) {
      const k = CANDIDATES.indexOf(ch as Delimiter);
      if (k !== -1) current[k] = (current[k] ?? 0) + 1;
      if (ch !== ' ' && ch !== '\t') nonEmpty = true;
    }
  }
  if (nonEmpty) counts.push(current);
  let best: DelimiterGuess = { delimiter: ',', consistent: 0, modal: 0, sampled: counts.length };
  let bestScore = 0;
  CANDIDATES.forEach((delimiter, k) => {
    const freq = new Map<number, number>();
    for (const c of counts) if ((c[k] ?? 0) > 0) freq.set(c[k] as number, (freq.get(c[k] as number) ?? 0) + 1);
    const [modal, consistent] = [...freq.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0] ?? [0, 0];
    const score = consistent * modal;
    if (score > bestScore) {
      bestScore = score;
      best = { delimiter, consistent, modal, sampled: counts.length };
    }
  });
  return best;
}

/** Whether text is a table rather than prose: most sampled records split alike, at least two of them. */
export function looksTabular(text: string): boolean {
  const g = guessDelimiter(text, 60);
  return g.modal >= 1 && g.consistent >= 2 && g.consistent >= g.sampled * 0.6;
}

interface CsvRows {
  rows: string[][];
  lines: number[];
  delimiter: Delimiter;
  notes: string[];
}

/** Parses CSV text into rows with the 1-based line each starts on. Throws csv-parse's error when even unquoted parsing fails. */
export function csvRows(raw: string): CsvRows {
  const text = normaliseNewlines(raw);
  const { delimiter } = guessDelimiter(text);
  const notes = [`delimiter "${delimiter === '\t' ? '\\t' : delimiter}"`];
  const opts = { delimiter, relax_column_count: true, relax_quotes: true, skip_empty_lines: false, bom: true, trim: true } as const;
  let rows: string[][];
  try {
    rows = parse(text, opts);
  } catch (e) {
    // An unbalanced quote (`5" disk`) poisons the rest of the file; read it without quoting and say so.
    rows = parse(text, { ...opts, quote: false });
    notes.push(`quotes ignored: ${(e as Error).message}`);
  }
  // Every record (blank lines included) takes one line plus the line breaks quoted inside
  // its fields; counting them is cheaper than csv-parse's per-record info objects.
  const lines: number[] = [];
  let line = 1;
  for (const record of rows) {
    lines.push(line);
    line++;
    for (const field of record) for (let i = field.indexOf('\n'); i !== -1; i = field.indexOf('\n', i + 1)) line++;
  }
  return { rows, lines, delimiter, notes };
}

/** The CSV as a table of source records (header found, columns named). */
export function csvTable(text: string): { table: TableRead; delimiter: Delimiter; notes: string[] } {
  const { rows, lines, delimiter, notes } = csvRows(text);
  const table = readTable(rows, {
    line: (i) => lines[i] ?? null,
    locator: (_i, dataRow) => `row ${dataRow}`,
    where: (i) => `line ${lines[i] ?? i + 1}`,
  });
  return { table, delimiter, notes };
}

/**
 * Reads a CSV attachment. Transactions come from the rows below the header; a file
 * whose columns name no amount is `unreadable` with the columns it has.
 */
export function parseCsv(text: string, signalId: string, attachment: string | null, override: EvidenceMappingOverride, by?: 'rules' | 'model'): ParsedEvidence {
  const out = emptyResult(signalId, attachment, 'csv');
  let read: ReturnType<typeof csvTable>;
  try {
    read = csvTable(text);
  } catch (e) {
    out.unreadable = { reason: `CSV could not be parsed: ${(e as Error).message}`, fieldsSeen: [] };
    return out;
  }
  out.notes.push(...read.notes);
  // A `;`-separated file is the European convention, where the comma is the decimal mark.
  const hints: ReadHints = read.delimiter === ';' ? { decimal: ',' } : {};
  return tableToEvidence(out, read.table, override, hints, by);
}
