/**
 * Rows of cells (a CSV or a sheet) → source records: finds the header line below any
 * preamble (account, period, currency lines banks put first), names the columns, and
 * reads the preamble's account and currency. Shared by the CSV and XLSX readers.
 */
import { readAmount } from './amount.js';
import { readCurrency } from './currency.js';
import { readDate } from './dates.js';
import { addAccount, asText, isBlank, type ReadHints, type SourceRecord } from './model.js';
import { mapSourceRecords } from './records.js';
import type { EvidenceMappingOverride, ParsedEvidence } from './types.js';
import { compact, matchName } from './synonyms.js';

export interface TableRead {
  records: SourceRecord[];
  fieldsSeen: string[];
  /** Index (0-based) of the header row in `rows`, or null when the table has none. */
  headerIndex: number | null;
  /** Whether the header names known fields (an amount or date among them). */
  headerNamed: boolean;
  notes: string[];
  accounts: string[];
  hints: ReadHints;
}

export interface TableOptions {
  /** 1-based line of row i in the file (CSV), or null (XLSX). */
  line: (i: number) => number | null;
  /** Locator of row i, `dataRow` being its 1-based position after the header. */
  locator: (i: number, dataRow: number) => string;
  /** What to call the header's position in notes (`line 4`, `row 4`). */
  where: (i: number) => string;
}

const HEADER_SCAN = 40;
const GERMAN = /betrag|buchungstag|wahrung|verwendungszweck|umsatz|empfanger|auftraggeber|valuta|soll|haben|begunstigter|buchungstext/;

const trimmedLength = (row: unknown[]) => {
  let n = row.length;
  while (n > 0 && isBlank(row[n - 1])) n--;
  return n;
};
const looksLikeData = (v: unknown) =>
  typeof v === 'number' || v instanceof Date || (typeof v === 'string' && /\d/.test(v) && (readAmount(v, null).value !== null || readDate(v, 'DMY') !== null || readDate(v, 'MDY') !== null));

/** Finds the header row: the first row naming ≥2 fields (one an amount or date) with at most one data-like cell; else the first full-width row of plain labels. */
function findHeader(rows: unknown[][]): { index: number | null; named: boolean } {
  const widths = new Map<number, number>();
  for (const r of rows) {
    const w = trimmedLength(r);
    if (w) widths.set(w, (widths.get(w) ?? 0) + 1);
  }
  const modal = [...widths.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]?.[0] ?? 0;
  const scan = Math.min(rows.length, HEADER_SCAN);
  for (let i = 0; i < scan; i++) {
    const cells = (rows[i] as unknown[]).filter((c) => !isBlank(c));
    if (cells.length < 2 || cells.length < modal * 0.5) continue;
    if (cells.filter(looksLikeData).length > 1) continue;
    const roles = new Set(cells.map((c) => (typeof c === 'string' ? matchName(c)?.role : undefined)).filter(Boolean));
    if (roles.size >= 2 && ['amount', 'debit', 'credit', 'date'].some((r) => roles.has(r as never))) return { index: i, named: true };
  }
  // No header names known fields: the header is the first full-width row of labels
  // above the data. Narrow preamble lines are passed over; a full-width line that is not
  // the header at worst becomes a transaction with problems — never a silently lost row.
  for (let i = 0; i < scan; i++) {
    const row = rows[i] as unknown[];
    if (trimmedLength(row) < modal * 0.8 || row.every(isBlank)) continue;
    return row.some((c) => !isBlank(c) && looksLikeData(c)) ? { index: null, named: false } : { index: i, named: false };
  }
  return { index: null, named: false };
}

/** Column names from the header cells: blanks become `column N`, repeats get ` (2)`. */
function columnNames(header: unknown[], width: number): string[] {
  const names: string[] = [];
  const used = new Map<string, number>();
  for (let i = 0; i < width; i++) {
    let name = asText(header[i]).trim().replace(/\s+/g, ' ') || `column ${i + 1}`;
    const n = (used.get(name) ?? 0) + 1;
    used.set(name, n);
    if (n > 1) name = `${name} (${n})`;
    names.push(name);
  }
  return names;
}

/** IBAN shape and ISO 13616 mod-97 check, so an account number in a preamble is not mistaken. */
export function isIban(s: string): boolean {
  const v = s.replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(v)) return false;
  const moved = v.slice(4) + v.slice(0, 4);
  let rem = 0;
  for (const ch of moved) {
    const code = ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of code) rem = (rem * 10 + Number(d)) % 97;
  }
  return rem === 1;
}

/** Account and currency named in preamble rows (`Konto;DE89 3704 …`, `Currency:,GBP`). */
function readPreamble(rows: unknown[][], accounts: string[], hints: ReadHints) {
  for (const row of rows) {
    const cells = row.map((c) => asText(c).trim()).filter(Boolean);
    cells.forEach((cell, i) => {
      const [label, inline] = cell.split(/:\s*/, 2).map((s) => s.trim());
      const value = inline || cells[i + 1] || '';
      const key = compact(label ?? '');
      for (const token of cell.match(/\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b/g) ?? []) if (isIban(token)) addAccount(accounts, token.replace(/\s+/g, ''));
      if (/^(konto|kontonummer|account|accountnumber|accountno|iban|bankaccount)$/.test(key) && value && /\d/.test(value) && !isIban(value)) addAccount(accounts, value);
      if (/^(wahrung|waehrung|currency|ccy|devise)$/.test(key) && value) hints.currency ??= readCurrency(value).code;
    });
  }
}

/**
 * Reads a table of cells into records. Rows after the header become records whose
 * fields are the column names; cells beyond the header keep a `column N` name so
 * nothing is dropped.
 */
export function readTable(rows: unknown[][], opts: TableOptions): TableRead {
  const notes: string[] = [];
  const accounts: string[] = [];
  const hints: ReadHints = {};
  const header = findHeader(rows);
  const start = header.index === null ? 0 : header.index + 1;
  let width = header.index === null ? 0 : trimmedLength(rows[header.index] as unknown[]);
  for (let i = start; i < rows.length; i++) width = Math.max(width, trimmedLength(rows[i] as unknown[]));
  const names = columnNames(header.index === null ? [] : (rows[header.index] as unknown[]), width);
  if (header.index === null) notes.push('no header row: columns named by position and read from their values');
  else {
    if (header.index > 0) notes.push(`header on ${opts.where(header.index)}`);
    if (!names.some((n) => matchName(n))) notes.push('the header names no known field');
    readPreamble(rows.slice(0, header.index), accounts, hints);
    const lost = rows.slice(0, header.index).filter((r) => trimmedLength(r) >= 3 && r.filter((c) => !isBlank(c) && looksLikeData(c)).length >= 2).length;
    if (lost) notes.push(`${lost} ${lost === 1 ? 'row' : 'rows'} with amounts or dates above the header not read as transactions`);
    if (names.some((n) => GERMAN.test(compact(n)))) hints.decimal = ',';
  }
  const records: SourceRecord[] = [];
  for (let i = start; i < rows.length; i++) {
    const row = rows[i] as unknown[];
    const fields: Record<string, unknown> = {};
    const n = Math.max(names.length, trimmedLength(row));
    for (let c = 0; c < n; c++) {
      const name = names[c] ?? `column ${c + 1}`;
      const v = row[c];
      fields[name] = typeof v === 'string' ? v.trim() : (v ?? null);
    }
    records.push({ locator: opts.locator(i, i - start + 1), line: opts.line(i), fields, defaultCurrency: hints.currency ?? null });
  }
  return { records, fieldsSeen: names, headerIndex: header.index, headerNamed: header.named, notes, accounts, hints };
}

/**
 * Maps a read table into `out`: transactions and mapping, or `unreadable` naming the
 * columns when none reads as an amount (nor debit/credit).
 */
export function tableToEvidence(out: ParsedEvidence, table: TableRead, override: EvidenceMappingOverride, hints: ReadHints, by?: 'rules' | 'model'): ParsedEvidence {
  for (const a of table.accounts) addAccount(out.accounts, a);
  out.notes.push(...table.notes);
  const mapped = mapSourceRecords(table.records, override, { signalId: out.signalId, attachment: out.attachment, hints: { ...hints, ...definedOnly(table.hints) }, by });
  const r = mapped.resolved;
  if (!r.amount && !r.debit && !r.credit) {
    out.unreadable = {
      reason: table.fieldsSeen.length ? `no column reads as an amount (nor debit/credit); columns: ${table.fieldsSeen.join(', ')}` : 'the table is empty',
      fieldsSeen: table.fieldsSeen,
    };
    return out;
  }
  out.mapping = mapped.mapping;
  out.transactions = mapped.transactions;
  out.notes.push(...mapped.notes);
  if (!table.records.length) out.notes.push('no data rows below the header');
  return out;
}

const definedOnly = (h: ReadHints): ReadHints => Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined && v !== null));
