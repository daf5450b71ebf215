/**
 * SWIFT MT940 statements (and MT942 interim reports) via @centrapay/swift-parser. One
 * transaction per `:61:` line; its `:86:` gives the counterparty ({@link readDetails86}).
 * A file the parser rejects is `unreadable` with its message and the tags seen.
 */
import swift, { type SwiftTransaction } from '@centrapay/swift-parser';
import { addAccount, emptyResult, transactionId } from './model.js';
import { readDetails86 } from './mt940-details.js';
import { lineIndex, normaliseNewlines } from './text.js';
import type { ParsedEvidence, Transaction } from './types.js';

/** Whether text looks like MT940/MT942: a `:20:` tag and a statement line or balance tag. */
export function isMt940(text: string): boolean {
  return /^:20:/m.test(text) && /^:(61|60[FM]|62[FM]|25|13D):/m.test(text);
}

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/**
 * The booking date: `:61:` carries MMDD only and the parser gives it the value date's
 * year, which is wrong across a year end (value 2026-12-31, booked 01-02).
 */
function bookingDate(t: SwiftTransaction): string {
  if (!(t.entryDate instanceof Date)) return isoDay(t.date);
  const e = new Date(t.entryDate);
  const days = (e.getTime() - t.date.getTime()) / 86400000;
  if (days > 180) e.setUTCFullYear(e.getUTCFullYear() - 1);
  else if (days < -180) e.setUTCFullYear(e.getUTCFullYear() + 1);
  return isoDay(e);
}

/** Reads an MT940/MT942 text into transactions. */
export function parseMt940(raw: string, signalId: string, attachment: string | null): ParsedEvidence {
  const out = emptyResult(signalId, attachment, 'mt940');
  const text = normaliseNewlines(raw);
  // Bank headers before the first message (`0000 01INGBNL2AXXXX…`, `940`) trip the parser; skip to it.
  const start = text.search(/^(:20:|\{1:)/m);
  const body = start > 0 ? text.slice(start) : text;
  const skipped = start > 0 ? text.slice(0, start).split('\n').filter((l) => l.trim()).length : 0;
  if (skipped) out.notes.push(`${skipped} header ${skipped === 1 ? 'line' : 'lines'} before the first :20: ignored`);
  const mt942 = /^:13D:/m.test(body) && !/^:60[FM]:/m.test(body);
  if (mt942) out.notes.push('MT942 interim report');
  let statements: ReturnType<typeof swift.parse>;
  try {
    statements = swift.parse({ type: mt942 ? 'mt942' : 'mt940', data: body });
  } catch (e) {
    const tags = [...new Set(body.match(/^:\w{2,3}:/gm) ?? [])];
    out.unreadable = { reason: `MT940 could not be parsed: ${(e as Error).message}`, fieldsSeen: tags };
    return out;
  }
  const lineOf = lineIndex(text);
  const lines61: number[] = [];
  for (const m of body.matchAll(/^:61:/gm)) lines61.push(lineOf((start > 0 ? start : 0) + (m.index ?? 0)));
  const total = statements.reduce((n, s) => n + s.transactions.length, 0);
  const useLines = lines61.length === total;
  let k = 0;
  statements.forEach((s, si) => {
    addAccount(out.accounts, s.accountIdentification);
    s.transactions.forEach((t, ti) => {
      const locator = `statement ${si + 1}, :61: #${ti + 1}`;
      out.transactions.push(toTransaction(t, s.currency || t.currency, locator, useLines ? (lines61[k] ?? null) : null, signalId, attachment));
      k++;
    });
  });
  if (!statements.length) out.unreadable = { reason: 'MT940 holds no statement (no :20: block)', fieldsSeen: [...new Set(body.match(/^:\w{2,3}:/gm) ?? [])] };
  out.mapping = {
    date: ':61: entry date (else value date)', amount: ':61: amount', debit: null, credit: null, currency: ':60F: currency', direction: ':61: D/C mark',
    counterparty: ':86: /NAME/, /BENM/, /ORDP/, ?32+?33', counterpartyAccount: ':86: ?31, /IBAN/, /CNTP/', reference: ':86: EREF (else :61: reference)',
    description: ':86: SVWZ/?20-?29, /REMI/, free text', transactions: 'statement[*] :61:', by: 'format',
  };
  return out;
}

function toTransaction(t: SwiftTransaction, currency: string | undefined, locator: string, line: number | null, signalId: string, attachment: string | null): Transaction {
  const d = readDetails86(t.details ?? '');
  const value = t.amount.toNumber();
  const problems: string[] = [];
  if (!currency) problems.push('no currency');
  if (!d.counterparty) problems.push(d.structured ? 'no counterparty in :86: (no name subfield)' : 'no counterparty in :86:');
  const ownRef = t.reference && t.reference !== 'NONREF' ? t.reference : null;
  const raw: Record<string, string> = {
    valueDate: isoDay(t.date),
    entryDate: t.entryDate instanceof Date ? bookingDate(t) : '',
    amount: t.amount.toFixed(),
    reversal: String(t.isReversal),
    transactionType: t.transactionType ?? '',
    reference: t.reference ?? '',
    bankReference: t.bankReference ?? '',
    ':86:': t.details ?? '',
  };
  for (const [k, v] of Object.entries(d.fields)) raw[`:86:${k}`] = v;
  return {
    id: transactionId(signalId, attachment, locator),
    location: { signalId, attachment, locator, line },
    date: bookingDate(t),
    amount: Math.abs(value),
    currency: currency || null,
    direction: value < 0 ? 'debit' : value > 0 ? 'credit' : null,
    counterparty: d.counterparty,
    counterpartyAccount: d.counterpartyAccount,
    reference: d.reference ?? ownRef ?? (t.bankReference || null),
    description: d.description,
    raw,
    problems,
  };
}
