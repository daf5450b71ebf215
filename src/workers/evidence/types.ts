/**
 * The evidence model: what the compliance worker reads out of a signal — its JSON
 * payload and each attached file (CSV, camt.052/053/054 XML, MT940, JSON) — as
 * transactions with the field mapping that was used, and what could not be read.
 *
 * "Nothing silently passes": a transaction whose amount, currency or counterparty
 * could not be read still appears, with `problems` naming why; an item from which no
 * transaction could be read although it should hold some is `unreadable`, with the
 * fields that were seen.
 */

/** Where a transaction sits in the evidence: enough for a person to find it again. */
export interface EvidenceLocation {
  signalId: string;
  /** The attachment's file name, or null for the signal's JSON payload. */
  attachment: string | null;
  /**
   * Human-readable position within the item: `row 14` (CSV data row, 1-based),
   * `row 14` / `Umsätze, row 14` (XLSX: the row number the spreadsheet shows; the sheet
   * is named when it is not the first), `transactions[3]` (JSON path; `[3]` for a
   * top-level array, `$` for a payload that is one transaction), `Stmt[0].Ntry[4]`
   * (camt; `.TxDtls[1]` for a part of a batch entry), `statement 1, :61: #3` (MT940).
   */
  locator: string;
  /** 1-based line in the attachment where the entry starts, when the format has lines (CSV, MT940, XML). */
  line: number | null;
}

/** debit: money left the account (the counterparty is the payee); credit: money came in (the counterparty paid). */
export type Direction = 'debit' | 'credit';

export interface Transaction {
  /** Unique within the evidence: `${signalId}:${attachment ?? 'payload'}:${locator}`. */
  id: string;
  location: EvidenceLocation;
  /** ISO date `YYYY-MM-DD` (booking date, else value date), or null when none could be read. */
  date: string | null;
  /** Absolute amount in `currency` units (sign moves into `direction`); null when unreadable. */
  amount: number | null;
  /** ISO 4217 code, upper-case (`€` → EUR, `$` → USD only when unambiguous), or null. */
  currency: string | null;
  direction: Direction | null;
  /** The other party's name (payee for a debit, payer for a credit), or null. */
  counterparty: string | null;
  /** The other party's IBAN / account / BIC when given. */
  counterpartyAccount: string | null;
  reference: string | null;
  description: string | null;
  /** The item's fields as read, flattened (`creditor.name`), values as strings — shown in the report. */
  raw: Record<string, string>;
  /** Why a field could not be read (`amount "12,3x" is not a number`, `no counterparty field`); empty when all read. */
  problems: string[];
}

export type EvidenceFormat = 'json' | 'csv' | 'xlsx' | 'camt.052' | 'camt.053' | 'camt.054' | 'mt940' | 'document' | 'unknown';

export type MappedField = 'date' | 'amount' | 'debit' | 'credit' | 'currency' | 'direction' | 'counterparty' | 'counterpartyAccount' | 'reference' | 'description';

/**
 * Which source field was read as what: column headers (CSV), flattened JSON paths
 * relative to a transaction (`creditor.name`), or the format's own elements
 * (`Ntry/Amt`, `:61:`). Null: not present. `counterparty` and `counterpartyAccount`
 * may read `payeeField|payerField` (`creditorName|debtorName`) when the party depends on
 * the direction: the first is read for a debit, the second for a credit.
 */
export type FieldMapping = Record<MappedField, string | null> & {
  /** Where the list of transactions is (JSON path such as `data.transactions`, `Stmt[*].Ntry`), or null for a table. */
  transactions: string | null;
  /** How the mapping was chosen: fixed by the format (camt, MT940), inferred from names and values, given by the rules file, or proposed by a model and validated. */
  by: 'format' | 'inferred' | 'rules' | 'model';
};

/**
 * A mapping from the rules file (`evidenceMapping`) or a model: any subset; the rest is
 * inferred. Field names as in {@link FieldMapping} (`a|b` for payee|payer fields);
 * `transactions` is a JSON path such as `data.transactions` or `statements[*].entries`.
 */
export type EvidenceMappingOverride = Partial<Record<MappedField, string>> & {
  transactions?: string;
  /** Decimal separator when it cannot be told from the data. */
  decimal?: ',' | '.';
  /** Day/month order for ambiguous dates such as 03/04/2026. */
  dateOrder?: 'DMY' | 'MDY' | 'YMD';
};

/** One piece of evidence to read: a signal's payload or one of its attachments. */
export interface EvidenceItem {
  signalId: string;
  kind: 'payload' | 'attachment';
  /** Attachment file name (null for the payload). */
  name: string | null;
  /** Attachment media type as delivered (may be generic: application/octet-stream). */
  mediaType: string | null;
  /** The payload (kind payload). */
  payload?: unknown;
  /** The attachment's bytes (kind attachment). */
  content?: Uint8Array;
}

export interface ParsedEvidence {
  signalId: string;
  attachment: string | null;
  format: EvidenceFormat;
  /** The mapping used; null when no transaction list was found. */
  mapping: FieldMapping | null;
  transactions: Transaction[];
  /** Documents the item lists (JSON `documents: [...]`); a document attachment (PDF, DOCX) lists its own name. */
  documents: string[];
  /** Account identifiers the item names (IBAN of the statement, `account` field). */
  accounts: string[];
  /**
   * Set when this item should hold transactions but none could be read (a CSV whose
   * columns map to nothing, XML that is not camt, JSON whose arrays hold no amounts):
   * what was seen, so the report can say "evidence unreadable: fields seen …".
   */
  unreadable: { reason: string; fieldsSeen: string[] } | null;
  /** Non-fatal notes for the report: `decimal comma`, `delimiter ";"`, `3 empty rows skipped`, `header on line 4`. */
  notes: string[];
}
