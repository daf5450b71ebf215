import type { EvidenceLocation, Transaction } from '../evidence/types.js';
import type { Citation } from '../sources/citation.js';

export type FlagRule = 'large_transaction' | 'watch_list' | 'missing_document' | 'needs_review' | 'evidence_unreadable';

/** A transaction as flags and the report name it. */
export interface TxRef {
  id: string;
  date: string | null;
  counterparty: string | null;
  amount: number | null;
  currency: string | null;
  direction: Transaction['direction'];
  location: EvidenceLocation;
}

export interface Flag {
  rule: FlagRule;
  text: string;
  /** The transaction it concerns, when it concerns one. */
  transaction: TxRef | null;
  /** Where in the evidence (signal, attachment, row or entry), when it comes from the evidence. */
  evidence: EvidenceLocation | null;
  /** What the rule rests on: a policy line, a watch-list entry, a finding; null when only the rules file says so. */
  citation: Citation | null;
  /** The rule's source, written out: `rules file: largeTransaction (EUR 10,000)`, `docs/lists/watch.csv:4`. */
  ruleSource: string;
}

/** Why a rule could not be applied: a missing rate is its own kind (it has its own flag per currency). */
export type UncheckedKind = 'no_rate' | 'amount' | 'currency' | 'counterparty' | 'watch_list';

export interface Unchecked {
  transaction: TxRef;
  /** Why a rule could not be applied to it, one line per rule. */
  reasons: string[];
  kinds: UncheckedKind[];
}

/** The order flags are listed in: what makes the evidence unusable, then the rules by weight. */
export const RULE_ORDER: readonly FlagRule[] = ['evidence_unreadable', 'watch_list', 'large_transaction', 'missing_document', 'needs_review'];

export const RULE_TITLES: Record<FlagRule, string> = {
  large_transaction: 'Large transaction',
  watch_list: 'Watch list',
  missing_document: 'Missing document',
  needs_review: 'Needs review',
  evidence_unreadable: 'Evidence unreadable',
};

// One formatter: toLocaleString builds a new Intl.NumberFormat on every call (≈30 µs), and a statement has thousands of amounts.
const AMOUNT = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
export const money = (n: number, cur: string | null) => `${cur ? cur + ' ' : ''}${AMOUNT.format(n)}`;

/**
 * Text from the evidence, fit to stand inside a sentence: one line (a name with line
 * breaks could start a Markdown heading or a table row in the report), control
 * characters dropped, at most `max` characters.
 */
export const plain = (s: string, max = 160) => {
  const one = s.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
  return one.length > max ? one.slice(0, max - 1) + '…' : one;
};

export const txRef = (t: Transaction): TxRef => ({
  id: t.id,
  date: t.date,
  counterparty: t.counterparty === null ? null : plain(t.counterparty, 200),
  amount: t.amount,
  currency: t.currency,
  direction: t.direction,
  location: t.location,
});
/** `USD 620,000.00 to Orion Shell Holdings Ltd on 2026-11-03`: a transaction in one phrase. */
export const describeTx = (t: TxRef) =>
  `${t.amount === null ? 'an unreadable amount' : money(t.amount, t.currency)}${t.counterparty ? ` ${t.direction === 'credit' ? 'from' : 'to'} ${t.counterparty}` : ''}${t.date ? ` on ${t.date}` : ''}`;
/** `sig_…` `statement.csv` `row 14`: where a transaction sits. */
export const whereIs = (l: EvidenceLocation) => `${l.signalId} ${l.attachment ?? 'payload'} ${l.locator}${l.line ? ` (line ${l.line})` : ''}`;
export const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
