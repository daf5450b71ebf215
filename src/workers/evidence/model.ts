/**
 * Internal shapes shared by the readers: a source record (one row or object, its
 * fields flattened) and the mapping resolved for a set of records.
 */
import type { Decimal } from './amount.js';
import type { DateOrder } from './dates.js';
import type { Direction, FieldMapping, ParsedEvidence } from './types.js';

/** One row/object of tabular evidence, before mapping. */
export interface SourceRecord {
  locator: string;
  line: number | null;
  /** Field name (CSV header, flattened JSON path) → value as read (string, number, boolean, Date, null). */
  fields: Record<string, unknown>;
  /** Currency named by the record's container (statement, list, file preamble); used when the row names none. */
  defaultCurrency?: string | null;
  /** Direction implied by the container (a list named `outgoing`); used when the row gives none. */
  defaultDirection?: Direction | null;
}

/** A party/account field that may depend on the direction: `debit` names the payee's field, `credit` the payer's. */
export interface Sided {
  any: string | null;
  debit: string | null;
  credit: string | null;
}

/** The mapping decided for a set of records, with the conventions read from the data. */
export interface ResolvedMapping {
  date: string | null;
  /** Value-date field read when the booking date is empty (Berlin Group `pending` entries have only `valueDate`). */
  dateFallback: string | null;
  amount: string | null;
  debit: string | null;
  credit: string | null;
  currency: string | null;
  direction: string | null;
  reference: string | null;
  description: string | null;
  counterparty: Sided;
  counterpartyAccount: Sided;
  decimal: Decimal | null;
  dateOrder: DateOrder;
  /** Currency named by the amount column's header (`Betrag (EUR)`). */
  headerCurrency: string | null;
  /** Amount is in minor units (`amountInCents`): divide by 10^minor. */
  minorUnits: boolean;
  by: FieldMapping['by'];
  notes: string[];
}

/** Hints from the container that help decide ambiguous conventions. */
export interface ReadHints {
  /** Decimal separator suggested by the container (a `;`-delimited file suggests `,`). */
  decimal?: Decimal | null;
  /** Currency the container names (statement, preamble), for date-order and `$` decisions. */
  currency?: string | null;
}

/** A fresh result for one item. */
export function emptyResult(signalId: string, attachment: string | null, format: ParsedEvidence['format']): ParsedEvidence {
  return { signalId, attachment, format, mapping: null, transactions: [], documents: [], accounts: [], unreadable: null, notes: [] };
}

/** `${signalId}:${attachment ?? 'payload'}:${locator}` — the id contract of types.ts. */
export const transactionId = (signalId: string, attachment: string | null, locator: string): string => `${signalId}:${attachment ?? 'payload'}:${locator}`;

/** Values that count as "nothing there". */
export const isBlank = (v: unknown): boolean => v === null || v === undefined || (typeof v === 'string' && v.trim() === '');

/** A cell/value as the string shown in `raw` and used for text fields. */
export function asText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? '' : v.toISOString().slice(0, 10);
  return typeof v === 'string' ? v : String(v);
}

/** Pushes an IBAN-like / account identifier once. */
export function addAccount(list: string[], account: string | null | undefined): void {
  const a = account?.trim();
  if (a && !list.includes(a)) list.push(a);
}
