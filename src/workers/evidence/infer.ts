/**
 * Infers which field is which from names ({@link matchName}) and values: a field named
 * like an amount is kept when its values are numbers (or when its name is exact — then
 * unreadable cells become per-row problems, not a silent drop); without a named
 * amount/date/currency, a column whose values all read as one is taken. An override
 * (rules file `evidenceMapping`, or a model's proposal) wins for the fields it names.
 */
import { decideDecimal, readAmount } from './amount.js';
import { readCurrency } from './currency.js';
import { decideDateOrder, readDate } from './dates.js';
import { isBlank, type ReadHints, type ResolvedMapping, type Sided, type SourceRecord } from './model.js';
import { compact, matchName, words, readDirectionWord, type NameMatch } from './synonyms.js';
import type { EvidenceMappingOverride, FieldMapping, MappedField } from './types.js';

const SAMPLE = 400;

/** Up to SAMPLE non-blank values per field, spread over the records (head and tail both count). */
function sampleValues(records: SourceRecord[], fields: string[]): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>(fields.map((f) => [f, []]));
  const step = Math.max(1, Math.floor(records.length / SAMPLE));
  for (let i = 0; i < records.length; i += step) {
    const r = records[i] as SourceRecord;
    for (const f of fields) {
      const v = r.fields[f];
      if (!isBlank(v)) out.get(f)?.push(v);
    }
  }
  return out;
}

const fraction = (values: unknown[], ok: (v: unknown) => boolean) => (values.length ? values.filter(ok).length / values.length : 1);
const isAmount = (v: unknown) => readAmount(v, null).value !== null;
const isDate = (v: unknown) => readDate(v, 'DMY') !== null || readDate(v, 'MDY') !== null;
const isCurrency = (v: unknown) => typeof v === 'string' && readCurrency(v).code !== null;
const isText = (v: unknown) => typeof v === 'string' && !isAmount(v);
const isDirection = (v: unknown) => readDirectionWord(v) !== null;
/** Monetary-looking: `12,50`, `-3.00`, `1.234,56`, or a non-integer number — not ids or counts. */
const looksMonetary = (v: unknown) => (typeof v === 'number' ? !Number.isInteger(v) : typeof v === 'string' && /[.,]\d{2}\s*-?$|^[-(]/.test(v.trim()) && isAmount(v));

/** Whether a field's values fit the role its name suggests. */
function fits(role: MappedField, values: unknown[]): number {
  switch (role) {
    case 'amount':
    case 'debit':
    case 'credit':
      return fraction(values, isAmount);
    case 'date':
      return fraction(values, isDate);
    case 'currency':
      return fraction(values, isCurrency);
    case 'direction':
      return fraction(values, isDirection);
    case 'counterparty':
      return fraction(values, isText);
    default:
      return 1;
  }
}

interface Candidate extends NameMatch {
  field: string;
  index: number;
  fit: number;
}

/**
 * Resolves the mapping for records whose fields are `fieldsSeen`. Never throws; the
 * notes say what was assumed (decimal separator, day/month order, fields the override
 * names that the data lacks).
 */
export function inferMapping(records: SourceRecord[], fieldsSeen: string[], override: EvidenceMappingOverride = {}, hints: ReadHints = {}, by?: 'rules' | 'model'): ResolvedMapping {
  const values = sampleValues(records, fieldsSeen);
  const vals = (f: string | null) => (f ? (values.get(f) ?? []) : []);
  const candidates: Candidate[] = [];
  fieldsSeen.forEach((field, index) => {
    let m = matchName(field);
    if (!m) return;
    const v = vals(field);
    // `Debit`/`Credit`/`type` columns holding D/C words are the direction indicator.
    if ((m.role === 'debit' || m.role === 'credit') && v.length && fraction(v, isDirection) > 0.5 && fraction(v, isAmount) < 0.5) m = { ...m, role: 'direction', rank: 1 };
    const fit = fits(m.role, v);
    // A name found inside a longer one, or a weak synonym, must be borne out by its values.
    if ((m.score < 3 || m.role === 'direction') && fit < 0.5 && m.role !== 'reference' && m.role !== 'description' && m.role !== 'counterpartyAccount') return;
    candidates.push({ ...m, field, index, fit });
  });
  const best = (role: MappedField, side?: 'debit' | 'credit' | null) =>
    candidates
      .filter((c) => c.role === role && (side === undefined || c.side === side))
      .sort((a, b) => Number(b.fit >= 0.5) - Number(a.fit >= 0.5) || b.score - a.score || a.rank - b.rank || a.index - b.index)[0]?.field ?? null;
  const sided = (role: MappedField): Sided => ({ any: best(role, null), debit: best(role, 'debit'), credit: best(role, 'credit') });

  const used = new Set<string>();
  const take = (f: string | null) => (f && !used.has(f) ? (used.add(f), f) : null);
  const m: ResolvedMapping = {
    amount: take(best('amount')),
    dateFallback: null,
    debit: null,
    credit: null,
    date: null,
    currency: null,
    direction: null,
    reference: null,
    description: null,
    counterparty: { any: null, debit: null, credit: null },
    counterpartyAccount: { any: null, debit: null, credit: null },
    decimal: null,
    dateOrder: 'DMY',
    headerCurrency: null,
    minorUnits: false,
    by: 'inferred',
    notes: [],
  };
  m.debit = take(best('debit'));
  m.credit = take(best('credit'));
  for (const role of ['date', 'currency', 'direction', 'reference', 'description'] as const) m[role] = take(best(role));
  const valueDate = candidates.find((c) => c.role === 'date' && c.rank === 3 && c.fit >= 0.5 && !used.has(c.field));
  if (m.date && valueDate) m.dateFallback = take(valueDate.field);
  const cp = sided('counterparty');
  m.counterparty = { any: take(cp.any), debit: take(cp.debit), credit: take(cp.credit) };
  const ca = sided('counterpartyAccount');
  m.counterpartyAccount = { any: take(ca.any), debit: take(ca.debit), credit: take(ca.credit) };
  fallbackByValues(m, fieldsSeen, vals, used);
  applyOverride(m, override, fieldsSeen, by);

  const amountCells = [m.amount, m.debit, m.credit].flatMap((f) => (f ? records.map((r) => r.fields[f]) : []));
  const dec = decideDecimal(amountCells, override.decimal, hints.decimal ?? null);
  m.decimal = dec.decimal;
  if (dec.note) m.notes.push(dec.note);
  m.headerCurrency = headerCurrency(m.amount ?? m.debit ?? m.credit);
  const currencyValues = vals(m.currency);
  const usd = [hints.currency, m.headerCurrency, ...currencyValues.slice(0, 20).map((v) => (typeof v === 'string' ? readCurrency(v).code : null))].includes('USD') || amountCells.slice(0, 50).some((c) => typeof c === 'string' && c.includes('$'));
  const order = decideDateOrder(m.date ? records.map((r) => r.fields[m.date as string]) : [], override.dateOrder, usd);
  m.dateOrder = order.order;
  if (order.note) m.notes.push(order.note);
  m.minorUnits = !!m.amount && /cents|minor|pence|inminor/.test(compact(m.amount));
  if (m.minorUnits) m.notes.push(`"${m.amount}" is in minor units (cents): divided by 100 (or the currency's minor units)`);
  return m;
}

/** Value-type fallbacks for files whose headers name nothing (headerless exports, foreign languages). */
function fallbackByValues(m: ResolvedMapping, fields: string[], vals: (f: string) => unknown[], used: Set<string>) {
  const free = fields.filter((f) => !used.has(f) && !f.includes('[') && !/\b(id|ref|reference|number|nr|no|code|balance|saldo|kontostand|phone|zip|postal)\b/.test(words(f)));
  const pick = (ok: (v: unknown[]) => boolean) => free.find((f) => !used.has(f) && vals(f).length > 0 && ok(vals(f))) ?? null;
  if (!m.amount && !m.debit && !m.credit) {
    const f = pick((v) => fraction(v, isAmount) >= 0.9 && fraction(v, looksMonetary) >= 0.5);
    if (f) {
      m.amount = f;
      used.add(f);
      m.notes.push(`amount read from "${f}" (its values are amounts; the name does not say)`);
    }
  }
  if (!m.date) {
    const f = pick((v) => fraction(v, (x) => (typeof x === 'string' && /\d/.test(x) && isDate(x)) || x instanceof Date) >= 0.9);
    if (f) {
      m.date = f;
      used.add(f);
      m.notes.push(`date read from "${f}" (its values are dates)`);
    }
  }
  if (!m.currency) {
    const f = pick((v) => fraction(v, (x) => typeof x === 'string' && /^[A-Za-z]{3}$/.test(x.trim()) && isCurrency(x)) >= 0.9);
    if (f) {
      m.currency = f;
      used.add(f);
    }
  }
}

const ROLES: MappedField[] = ['date', 'amount', 'debit', 'credit', 'currency', 'direction', 'counterparty', 'counterpartyAccount', 'reference', 'description'];

/** `a|b` in an override names the payee field (debit) and the payer field (credit). */
function parseSided(spec: string): Sided {
  const [d, c] = spec.split('|').map((s) => s.trim());
  return c === undefined ? { any: d || null, debit: null, credit: null } : { any: null, debit: d || null, credit: c || null };
}

function applyOverride(m: ResolvedMapping, o: EvidenceMappingOverride, fields: string[], by?: 'rules' | 'model') {
  const named = ROLES.filter((r) => typeof o[r] === 'string' && o[r]);
  if (named.length || o.transactions || o.decimal || o.dateOrder) m.by = by ?? 'rules';
  else if (by) m.by = by;
  const known = new Set(fields);
  if (named.includes('date')) m.dateFallback = null;
  for (const role of named) {
    const spec = o[role] as string;
    if (role === 'counterparty' || role === 'counterpartyAccount') m[role] = parseSided(spec);
    else m[role] = spec;
    for (const f of spec.split('|').map((s) => s.trim()).filter(Boolean)) if (!known.has(f)) m.notes.push(`the mapping names "${f}" for ${role}, but the data has no such field`);
  }
  // A named amount column replaces inferred debit/credit columns and vice versa.
  if (named.includes('amount') && !named.includes('debit') && !named.includes('credit')) m.debit = m.credit = null;
  if ((named.includes('debit') || named.includes('credit')) && !named.includes('amount')) m.amount = null;
}

/** `Betrag (EUR)`, `Amount GBP`, `Amount (€)` → the currency the header names. */
function headerCurrency(field: string | null): string | null {
  if (!field) return null;
  for (const token of field.match(/\b[A-Z]{3}\b|US\$|[€£]/g) ?? []) {
    const c = readCurrency(token);
    if (c.code && !c.assumedDollar) return c.code;
  }
  return null;
}

/** The mapping as shown in `ParsedEvidence.mapping`. */
export function shownMapping(m: ResolvedMapping, transactions: string | null): FieldMapping {
  const side = (s: Sided) => (s.debit && s.credit ? `${s.debit}|${s.credit}` : (s.any ?? s.debit ?? s.credit));
  return {
    date: m.date, amount: m.amount, debit: m.debit, credit: m.credit, currency: m.currency, direction: m.direction,
    counterparty: side(m.counterparty), counterpartyAccount: side(m.counterpartyAccount), reference: m.reference, description: m.description,
    transactions, by: m.by,
  };
}
