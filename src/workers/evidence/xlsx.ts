/**
 * XLSX workbooks via read-excel-file: every sheet whose header maps an amount is read
 * (a workbook may hold one sheet per account), with the CSV reader's header search and
 * inference; the mapping shown is the first such sheet's. Locators use the sheet's
 * own row numbers (what the spreadsheet shows), prefixed by the sheet name when it is
 * not the first sheet.
 */
import readXlsxFile from 'read-excel-file/node';
import { inferMapping } from './infer.js';
import { emptyResult } from './model.js';
import { readTable, tableToEvidence, type TableRead } from './table.js';
import type { EvidenceMappingOverride, ParsedEvidence } from './types.js';

/** Every sheet read as a table, in workbook order. Throws when the workbook cannot be opened. */
export async function xlsxTables(bytes: Uint8Array): Promise<Array<{ sheet: string; table: TableRead }>> {
  const sheets = await readXlsxFile(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return sheets.map((s, k) => {
    const prefix = k === 0 ? '' : `${s.sheet}, `;
    const rows = s.data as unknown as unknown[][];
    return {
      sheet: s.sheet,
      table: readTable(rows, { line: () => null, locator: (i) => `${prefix}row ${i + 1}`, where: (i) => `${prefix}row ${i + 1}` }),
    };
  });
}

/** Whether a table's columns (with the override) read an amount. */
function readsAmount(t: TableRead, override: EvidenceMappingOverride): boolean {
  const m = inferMapping(t.records.slice(0, 200), t.fieldsSeen, override);
  return !!(m.amount || m.debit || m.credit);
}

/**
 * Reads an XLSX attachment: each sheet that maps an amount column; when none does,
 * `unreadable` with the first non-empty sheet's columns.
 */
export async function parseXlsx(bytes: Uint8Array, signalId: string, attachment: string | null, override: EvidenceMappingOverride, by?: 'rules' | 'model'): Promise<ParsedEvidence> {
  const out = emptyResult(signalId, attachment, 'xlsx');
  let tables: Awaited<ReturnType<typeof xlsxTables>>;
  try {
    tables = await xlsxTables(bytes);
  } catch (e) {
    out.unreadable = { reason: `XLSX could not be read: ${(e as Error).message}`, fieldsSeen: [] };
    return out;
  }
  const reading = tables.filter((t) => readsAmount(t.table, override));
  if (!reading.length) {
    const first = tables.find((t) => t.table.records.length || t.table.fieldsSeen.length);
    if (!first) {
      out.unreadable = { reason: 'the workbook has no data', fieldsSeen: tables.map((t) => `sheet ${t.sheet}`) };
      return out;
    }
    return tableToEvidence(out, first.table, override, {}, by);
  }
  if (tables.length > 1) out.notes.push(`read sheet(s) ${reading.map((t) => `"${t.sheet}"`).join(', ')} of ${tables.length}`);
  for (const t of reading) {
    const one = tableToEvidence(emptyResult(signalId, attachment, 'xlsx'), t.table, override, {}, by);
    out.mapping ??= one.mapping;
    out.transactions.push(...one.transactions);
    for (const a of one.accounts) if (!out.accounts.includes(a)) out.accounts.push(a);
    out.notes.push(...one.notes.map((n) => (reading.length > 1 ? `${t.sheet}: ${n}` : n)));
  }
  return out;
}
