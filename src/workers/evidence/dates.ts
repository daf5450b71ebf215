/**
 * Dates as banks write them: ISO (with or without time), `DD.MM.YYYY`, `DD/MM/YYYY`,
 * `MM/DD/YYYY`, `YYYYMMDD`, `03 Nov 2026`, `Nov 3, 2026`, `3. März 2026`, spreadsheet
 * Date cells and epoch timestamps. Day/month order is a column decision
 * ({@link decideDateOrder}); one cell alone never guesses it.
 */

export type DateOrder = 'DMY' | 'MDY' | 'YMD';

const MONTHS: Record<string, number> = {
  jan: 1, january: 1, januar: 1, janvier: 1, jän: 1, jaen: 1,
  feb: 2, february: 2, februar: 2, fév: 2, fev: 2, février: 2,
  mar: 3, march: 3, mär: 3, mrz: 3, märz: 3, maerz: 3, mars: 3,
  apr: 4, april: 4, avr: 4, avril: 4,
  may: 5, mai: 5,
  jun: 6, june: 6, juni: 6, juin: 6,
  jul: 7, july: 7, juli: 7, juil: 7, juillet: 7,
  aug: 8, august: 8, aoû: 8, août: 8,
  sep: 9, sept: 9, september: 9, septembre: 9,
  oct: 10, october: 10, okt: 10, oktober: 10, octobre: 10,
  nov: 11, november: 11, novembre: 11,
  dec: 12, december: 12, dez: 12, dezember: 12, déc: 12, décembre: 12,
};

function iso(y: number, m: number, d: number): string | null {
  if (m < 1 || m > 12 || d < 1 || y < 1900 || y > 2199) return null;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  if (d > days) return null;
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

const fullYear = (y: string) => (y.length === 2 ? 2000 + Number(y) - (Number(y) >= 70 ? 100 : 0) : Number(y));

/** `a/b/yyyy`-like cells whose order needs deciding. */
const NUMERIC = /^(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})(?:[ T,].*)?$/;

/**
 * Reads one date cell as ISO `YYYY-MM-DD`, or null. Timestamps keep the date as
 * written (`2026-11-03T23:30:00-05:00` → 2026-11-03: the bank's booking day).
 * Numbers are epoch seconds/milliseconds only when `epoch` is set (a field named as a date).
 */
export function readDate(cell: unknown, order: DateOrder, epoch = false): string | null {
  if (cell instanceof Date) return Number.isNaN(cell.getTime()) ? null : cell.toISOString().slice(0, 10);
  if (typeof cell === 'number') {
    if (!epoch || !Number.isFinite(cell)) return null;
    if (cell >= 19000101 && cell <= 21991231 && Number.isInteger(cell)) return readDate(String(cell), order);
    // A spreadsheet serial day (days since 1899-12-30), as an unformatted date cell reads.
    if (cell > 10000 && cell < 100000) return new Date(Date.UTC(1899, 11, 30) + Math.floor(cell) * 86400000).toISOString().slice(0, 10);
    const ms = cell > 1e11 ? cell : cell * 1000;
    return ms > 0 ? new Date(ms).toISOString().slice(0, 10) : null;
  }
  if (typeof cell !== 'string') return null;
  const s = cell.trim();
  let m = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:$|[T ])/.exec(s);
  if (m) return iso(Number(m[1]), Number(m[2]), Number(m[3]));
  m = /^(\d{4})(\d{2})(\d{2})$/.exec(s);
  if (m) return iso(Number(m[1]), Number(m[2]), Number(m[3]));
  m = NUMERIC.exec(s);
  if (m) {
    const a = Number(m[1]);
    const b = Number(m[3]);
    const y = fullYear(m[4] as string);
    if (order === 'MDY') return iso(y, a, b);
    return iso(y, b, a);
  }
  // `03 Nov 2026`, `3-Nov-26`, `3. März 2026`, `03.Nov.2026`
  m = /^(\d{1,2})\.?[\s./-]*([A-Za-zÀ-ÿ]{3,9})\.?[\s./-]*(\d{4}|\d{2})\b/.exec(s);
  if (m) {
    const month = MONTHS[(m[2] as string).toLowerCase()];
    return month ? iso(fullYear(m[3] as string), month, Number(m[1])) : null;
  }
  // `Nov 3, 2026`, `November 03 2026`
  m = /^([A-Za-zÀ-ÿ]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})\b/.exec(s);
  if (m) {
    const month = MONTHS[(m[1] as string).toLowerCase()];
    return month ? iso(Number(m[3]), month, Number(m[2])) : null;
  }
  return null;
}

export interface DateOrderDecision {
  order: DateOrder;
  note: string | null;
}

/**
 * Decides day/month order for a column: a cell whose first part is above 12 proves
 * DMY, second part above 12 proves MDY; the override wins; otherwise `.` separators
 * mean DMY (a European convention with no US use), and `/`/`-` dates default to DMY
 * unless `usHint` (USD amounts) — an assumption the note names.
 */
export function decideDateOrder(cells: Iterable<unknown>, override: DateOrder | undefined, usHint: boolean): DateOrderDecision {
  let dmy = 0;
  let mdy = 0;
  let ambiguous = 0;
  let dotted = 0;
  for (const c of cells) {
    if (typeof c !== 'string') continue;
    const m = NUMERIC.exec(c.trim());
    if (!m) continue;
    const a = Number(m[1]);
    const b = Number(m[3]);
    if (a > 12 && b <= 12) dmy++;
    else if (b > 12 && a <= 12) mdy++;
    else if (a !== b) ambiguous++;
    if (m[2] === '.') dotted++;
  }
  if (override) return { order: override, note: dmy + mdy + ambiguous ? `dates read as ${override} (from the mapping)` : null };
  if (dmy && mdy) return { order: dmy >= mdy ? 'DMY' : 'MDY', note: `dates mix day-first and month-first (${dmy} vs ${mdy} cells); read as ${dmy >= mdy ? 'DMY' : 'MDY'}` };
  if (dmy) return { order: 'DMY', note: null };
  if (mdy) return { order: 'MDY', note: 'dates are month-first (MM/DD/YYYY)' };
  if (!ambiguous || dotted) return { order: 'DMY', note: null };
  return usHint
    ? { order: 'MDY', note: 'ambiguous dates such as 03/04 read as month-first (MM/DD/YYYY) because amounts are in USD' }
    : { order: 'DMY', note: 'ambiguous dates such as 03/04 read as day-first (DD/MM/YYYY): no day above 12 seen' };
}
