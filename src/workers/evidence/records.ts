/**
 * Source records → transactions, with one resolved mapping. Every non-empty record
 * that is not a total/balance line becomes a Transaction — an unreadable amount,
 * unknown currency or missing party shows as `problems`, never as a dropped row.
 */
import { readAmount } from './amount.js';
import { minorUnits, readCurrency } from './currency.js';
import { readDate } from './dates.js';
import { inferMapping, shownMapping } from './infer.js';
import { asText, isBlank, transactionId, type ReadHints, type ResolvedMapping, type Sided, type SourceRecord } from './model.js';
import { readDirectionWord } from './synonyms.js';
import type { Direction, EvidenceMappingOverride, FieldMapping, Transaction } from './types.js';

export interface MapContext {
  signalId: string;
  attachment: string | null;
  /** Where the list is (JSON path), shown in the mapping; null for a table. */
  transactionsPath?: string | null;
  hints?: ReadHints;
  /** Who proposed the override: the rules file (default) or a model. */
  by?: 'rules' | 'model';
}

export interface MapOutcome {
  transactions: Transaction[];
  mapping: FieldMapping;
  resolved: ResolvedMapping;
  notes: string[];
  skippedEmpty: number;
  skippedTotals: number;
}

/** Every field name seen across the records, in first-seen order. */
export function fieldsOf(records: SourceRecord[]): string[] {
  const seen = new Set<string>();
  for (const r of records) for (const k of Object.keys(r.fields)) seen.add(k);
  return [...seen];
}

/**
 * Maps records to transactions: the override names fields, the rest is inferred
 * ({@link inferMapping}); empty records and total/balance lines are skipped and counted
 * in `notes`.
 */
export function mapSourceRecords(records: SourceRecord[], override: EvidenceMappingOverride, ctx: MapContext): MapOutcome {
  const m = inferMapping(records, fieldsOf(records), override, ctx.hints, ctx.by);
  const notes = [...m.notes];
  const rows = records.map((r) => ({ r, amount: readRowAmount(r, m) }));
  const hasNegatives = rows.some((x) => (x.amount.value ?? 0) < 0 && !x.amount.fromColumns);
  const transactions: Transaction[] = [];
  let skippedEmpty = 0;
  let skippedTotals = 0;
  const skippedShown: string[] = [];
  let unknownDirection = 0;
  let usedFallback = 0;
  let assumedDollar = false;
  for (const { r, amount } of rows) {
    const f = r.fields;
    if (Object.values(f).every(isBlank)) {
      skippedEmpty++;
      continue;
    }
    if (isTotalRow(r, m)) {
      skippedTotals++;
      // Said with their text, so a person can tell a closing balance from a payment that was misread as one.
      if (skippedShown.length < 5) skippedShown.push(`${r.locator}: "${Object.values(f).filter((v) => !isBlank(v)).map(asText).join('; ').slice(0, 100)}"`);
      continue;
    }
    const problems = [...amount.problems];
    const cur = readRowCurrency(r, m, amount.currency, amount.assumedDollar, problems);
    assumedDollar ||= cur.assumedDollar;
    let value = amount.value;
    if (value !== null && m.minorUnits) value = value / 10 ** minorUnits(cur.code ?? 'EUR');

    const indicator = m.direction && !isBlank(f[m.direction]) ? readDirectionWord(f[m.direction]) : null;
    let direction: Direction | null = indicator ?? amount.direction;
    if (!direction && value !== null && value < 0) direction = 'debit';
    if (!direction && value !== null && value > 0 && hasNegatives) direction = 'credit';
    direction ??= r.defaultDirection ?? sideOf(f, m.counterparty);
    if (!direction) unknownDirection++;

    const counterparty = pick(f, m.counterparty, direction);
    if (!m.counterparty.any && !m.counterparty.debit && !m.counterparty.credit) problems.push('no counterparty field');
    else if (!counterparty) problems.push('counterparty is empty');

    let date: string | null = null;
    const dateField = m.date && isBlank(f[m.date]) && m.dateFallback && !isBlank(f[m.dateFallback]) ? m.dateFallback : m.date;
    if (dateField !== m.date) usedFallback++;
    if (!dateField) problems.push('no date field');
    else if (isBlank(f[dateField])) problems.push('no date');
    else if (!(date = readDate(f[dateField], m.dateOrder, true))) problems.push(`date "${asText(f[dateField]).trim()}" is not a date`);

    transactions.push({
      id: transactionId(ctx.signalId, ctx.attachment, r.locator),
      location: { signalId: ctx.signalId, attachment: ctx.attachment, locator: r.locator, line: r.line },
      date,
      amount: value === null ? null : Math.abs(value),
      currency: cur.code,
      direction,
      counterparty,
      counterpartyAccount: pick(f, m.counterpartyAccount, direction),
      reference: text(f, m.reference),
      description: text(f, m.description),
      raw: rawOf(f),
      problems,
    });
  }
  if (skippedEmpty) notes.push(`${skippedEmpty} empty ${skippedEmpty === 1 ? 'row' : 'rows'} skipped`);
  if (skippedTotals) notes.push(`${skippedTotals} total/balance ${skippedTotals === 1 ? 'row' : 'rows'} skipped (${skippedShown.join(', ')}${skippedTotals > skippedShown.length ? ', …' : ''})`);
  if (unknownDirection) notes.push(`direction unknown for ${unknownDirection} ${unknownDirection === 1 ? 'row' : 'rows'} (unsigned amount, no debit/credit indicator)`);
  if (usedFallback) notes.push(`"${m.dateFallback}" read as the date where "${m.date}" is empty (${usedFallback} ${usedFallback === 1 ? 'row' : 'rows'})`);
  if (assumedDollar) notes.push('"$" read as USD (no other currency hint)');
  return { transactions, mapping: shownMapping(m, ctx.transactionsPath ?? null), resolved: m, notes, skippedEmpty, skippedTotals };
}

interface RowAmount {
  value: number | null;
  currency: string | null;
  assumedDollar: boolean;
  direction: Direction | null;
  /** Read from separate debit/credit columns (their sign is not a direction). */
  fromColumns: boolean;
  problems: string[];
}

/** The row's signed amount: the amount column, else separate debit/credit columns. */
function readRowAmount(r: SourceRecord, m: ResolvedMapping): RowAmount {
  const out: RowAmount = { value: null, currency: null, assumedDollar: false, direction: null, fromColumns: false, problems: [] };
  const f = r.fields;
  if (m.amount && !isBlank(f[m.amount])) {
    const a = readAmount(f[m.amount], m.decimal);
    if (a.problem) out.problems.push(a.problem);
    return { ...out, value: a.value, currency: a.currency, assumedDollar: a.assumedDollar };
  }
  if (!m.debit && !m.credit) {
    out.problems.push(m.amount ? 'amount is empty' : 'no amount field');
    return out;
  }
  out.fromColumns = true;
  const side = (field: string | null, label: string) => {
    if (!field || isBlank(f[field])) return null;
    const a = readAmount(f[field], m.decimal);
    if (a.problem) out.problems.push(`${label} ${a.problem}`);
    if (a.currency) out.currency = a.currency;
    out.assumedDollar ||= a.assumedDollar;
    return a.value === null ? NaN : Math.abs(a.value);
  };
  const d = side(m.debit, 'debit');
  const c = side(m.credit, 'credit');
  if (d === null && c === null) {
    out.problems.push('amount is empty');
    return out;
  }
  if (Number.isNaN(d) || Number.isNaN(c)) return out;
  const dv = d ?? 0;
  const cv = c ?? 0;
  if (dv && cv) out.problems.push(`both debit "${asText(f[m.debit as string]).trim()}" and credit "${asText(f[m.credit as string]).trim()}" given; the net is used`);
  const net = cv - dv;
  out.value = Math.abs(net);
  out.direction = net < 0 ? 'debit' : net > 0 ? 'credit' : dv ? 'debit' : cv ? 'credit' : null;
  return out;
}

function readRowCurrency(r: SourceRecord, m: ResolvedMapping, cellCurrency: string | null, cellAssumed: boolean, problems: string[]) {
  const f = r.fields;
  const fallback = m.headerCurrency ?? r.defaultCurrency ?? null;
  if (m.currency && !isBlank(f[m.currency])) {
    const c = readCurrency(asText(f[m.currency]));
    if (!c.code) {
      problems.push(`currency "${asText(f[m.currency]).trim()}" is not a known currency`);
      return { code: null, assumedDollar: false };
    }
    if (c.assumedDollar && fallback) return { code: fallback, assumedDollar: false };
    return c;
  }
  if (cellCurrency && !(cellAssumed && fallback)) return { code: cellCurrency, assumedDollar: cellAssumed };
  if (fallback) return { code: fallback, assumedDollar: false };
  problems.push('no currency');
  return { code: null, assumedDollar: false };
}

const text = (f: Record<string, unknown>, field: string | null): string | null => (field && !isBlank(f[field]) ? asText(f[field]).trim() : null);

/** The party/account for the row's direction: the payee's field for a debit, the payer's for a credit. */
function pick(f: Record<string, unknown>, s: Sided, direction: Direction | null): string | null {
  const order = direction === 'debit' ? [s.debit, s.any] : direction === 'credit' ? [s.credit, s.any] : [s.any, s.debit, s.credit];
  // With only one side named (`to` alone), that field is the only party there is.
  if (direction && !(s.debit && s.credit)) order.push(s.debit, s.credit);
  for (const field of order) {
    const v = text(f, field ?? null);
    if (v) return v;
  }
  return null;
}

/** Direction implied by which party field a row fills (`to` only → a payment out). */
function sideOf(f: Record<string, unknown>, s: Sided): Direction | null {
  const d = !!text(f, s.debit);
  const c = !!text(f, s.credit);
  return d && !c ? 'debit' : c && !d ? 'credit' : null;
}

function rawOf(f: Record<string, unknown>): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) raw[k] = asText(v);
  return raw;
}

const BALANCE = /^(?:(?:opening|closing|starting|ending|final|initial|new|old|previous|current|ledger|book|available|alter|neuer)\s+)?(balance|saldo|kontostand|anfangssaldo|endsaldo|schlusssaldo|startsaldo|balance brought forward|balance carried forward|brought forward|carried forward)\b(.*)$/i;
const TOTAL = /^(total|totals|sum|summe|gesamt|gesamtsumme|zwischensumme|subtotal|umsatzsumme|grand total)\b(.*)$/i;
const TAIL_WORDS = new Set(['am', 'um', 'uhr', 'on', 'at', 'per', 'as', 'of', 'vom', 'zum', 'in', 'for', 'the', 'debits', 'credits', 'debit', 'credit', 'soll', 'haben', 'amount', 'balance', 'brought', 'carried', 'forward', 'period', 'zeitraum', 'statement', 'transactions', 'umsatze', 'umsätze', 'payments', 'receipts', 'paid', 'out', 'and']);
const tailOk = (rest: string) => rest.split(/[^a-zäöüß]+/i).every((w) => w.length <= 3 || TAIL_WORDS.has(w.toLowerCase()));

/**
 * A totals or balance line (`Total`, `Opening balance`, `Anfangssaldo`, `Saldo am
 * 30.11.2026`), not a transaction. A balance phrase skips the row in any text cell but
 * the party's (a payee may be called "Saldo"); `Total`/`Summe` only in the first cell,
 * the description or the date, and only when the row has no date — a payee may be
 * called "Total".
 */
function isTotalRow(r: SourceRecord, m: ResolvedMapping): boolean {
  const f = r.fields;
  const party = new Set([m.counterparty.any, m.counterparty.debit, m.counterparty.credit]);
  // A row with a date and a counterparty is a payment, whatever its memo says ("Balance due",
  // "Final balance"): it is never skipped, so it is checked or listed as unchecked.
  const named = [...party].some((k) => !!k && !isBlank(f[k]));
  if (named && m.date && readDate(f[m.date], m.dateOrder, true) !== null) return false;
  const balance = Object.entries(f).some(([k, v]) => typeof v === 'string' && !party.has(k) && isLabel(BALANCE, v));
  if (balance) return true;
  if (m.date && readDate(f[m.date], m.dateOrder, true) !== null) return false;
  const first = Object.values(f).find((v) => !isBlank(v));
  return [first, m.description && f[m.description], m.date && f[m.date]].some((v) => typeof v === 'string' && isLabel(TOTAL, v));
}

function isLabel(re: RegExp, cell: string): boolean {
  const m = re.exec(cell.trim());
  return !!m && tailOk(m[2] ?? '');
}

/** Builds the Transaction for an entry that is not an object at all (a bare string in a list). */
export function bareTransaction(ctx: MapContext, locator: string, value: unknown): Transaction {
  return {
    id: transactionId(ctx.signalId, ctx.attachment, locator),
    location: { signalId: ctx.signalId, attachment: ctx.attachment, locator, line: null },
    date: null, amount: null, currency: null, direction: null, counterparty: null, counterpartyAccount: null, reference: null,
    description: asText(value),
    raw: { value: asText(value) },
    problems: [`entry is not an object: ${JSON.stringify(value)?.slice(0, 80)}`],
  };
}
