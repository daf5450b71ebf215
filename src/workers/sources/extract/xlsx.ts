import readXlsxFile, { InvalidInputError } from 'read-excel-file/node';
import { buildTable, cell, type Cell } from './table.js';
import type { Extracted, ExtractedLine, ExtractedTable } from './types.js';

/**
 * Excel .xlsx through read-excel-file: every sheet, in workbook order, becomes a table
 * (header detected as for CSV, see `buildTable`) and its non-empty rows become lines
 * with `sheet` set and `line` = the row number in the sheet. Numbers are plain
 * (`0.1 + 0.2` reads `0.3`, Excel keeps 15 digits), dates ISO (`2024-03-01`, or
 * `2024-03-01T14:30:00` when they carry a time), booleans `TRUE`/`FALSE`. Formulas read
 * as the value Excel last computed. Empty sheets yield nothing.
 * Failures → `ok: false`: `an old binary Excel .xls file (save it as .xlsx)`, or
 * `corrupt or not an Excel .xlsx file: <reason>`. read-excel-file reads every sheet in
 * one go, so an aborted `signal` is honoured before reading and between sheets after.
 */
export async function extractXlsx(bytes: Uint8Array, opts: { signal?: AbortSignal } = {}): Promise<Extracted> {
  opts.signal?.throwIfAborted();
  let sheets: Awaited<ReturnType<typeof readXlsxFile>>;
  try {
    sheets = await readXlsxFile(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (err) {
    return { ok: false, kind: 'xlsx', reason: readFailure(err) };
  }
  const lines: ExtractedLine[] = [];
  const tables: ExtractedTable[] = [];
  for (const { sheet, data } of sheets) {
    opts.signal?.throwIfAborted();
    const rows = data.map((row, i) => ({ line: i + 1, cells: row.map((v) => toCell(v as unknown)) }));
    const { table, rendered } = buildTable(sheet, rows);
    if (table.header.length === 0) continue;
    tables.push(table);
    for (const r of rendered) lines.push({ text: r.text, line: r.line, sheet });
  }
  return { ok: true, kind: 'xlsx', lines, tables, notes: [] };
}

function readFailure(err: unknown): string {
  if (err instanceof InvalidInputError) {
    if (err.code === 'XLS_FILE_NOT_SUPPORTED') return 'an old binary Excel .xls file (save it as .xlsx)';
    if (err.code === 'NO_DATA') return 'corrupt or not an Excel .xlsx file: the file is empty';
  }
  const message = err instanceof Error ? err.message : String(err);
  return `corrupt or not an Excel .xlsx file: ${message.replace(/`/g, '')}`;
}

/** A cell as text; numbers, dates and booleans are values (they never make a header). */
function toCell(v: unknown): Cell {
  if (v === null || v === undefined) return { text: '', value: false };
  if (v instanceof Date) return { text: isoDate(v), value: true };
  if (typeof v === 'number') return { text: String(Number(v.toPrecision(15))), value: true };
  if (typeof v === 'boolean') return { text: v ? 'TRUE' : 'FALSE', value: true };
  return cell(String(v), false);
}

/**
 * Excel stores dates as fractions of days, so times come back a millisecond off
 * (`13:44:59.999`); rounding to the second gives what the sheet shows. A time-only
 * cell (Excel's day 0, 1899-12-30/31) reads as the time alone.
 */
function isoDate(d: Date): string {
  if (Number.isNaN(d.getTime())) return '';
  const t = new Date(Math.round(d.getTime() / 1000) * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
  const day = t.slice(0, 10);
  const time = t.slice(11, 19);
  if (d.getUTCFullYear() < 1900) return time;
  return time === '00:00:00' ? day : `${day}T${time}`;
}
