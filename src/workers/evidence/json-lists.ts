/**
 * Finding the transaction lists in a JSON document of any shape: `transactions`,
 * `payments`, `data.results`, a top-level array, `{account: {transactions}}`, several
 * statements each with a list. A list is an array of objects; it is a transaction list
 * when its objects name an amount (strong) or look like transactions without one (weak:
 * a list called `transactions`, or objects with a date and a party).
 */
import { readAmount } from './amount.js';
import { readCurrency } from './currency.js';
import { flatten, isPlainObject } from './flatten.js';
import { addAccount } from './model.js';
import { compact, matchName } from './synonyms.js';
import type { Direction } from './types.js';

export interface FoundList {
  /** JSON path of the array (`data.transactions`, `statements[1].entries`; `` for the root). */
  path: string;
  items: unknown[];
  kind: 'strong' | 'weak' | 'other';
  /** Field names seen in the sampled objects. */
  fields: string[];
  currency: string | null;
  direction: Direction | null;
}

const MAX_DEPTH = 12;
const SAMPLE = 50;
const TX_LISTS = new Set(['transactions', 'transaction', 'payments', 'entries', 'items', 'results', 'records', 'bookings', 'movements', 'operations', 'umsatze', 'umsaetze', 'buchungen', 'booked', 'pending', 'transfers', 'lines', 'statementlines', 'txs', 'ntry', 'txdtls', 'debits', 'credits', 'incoming', 'outgoing']);
const RESERVED = new Set(['documents', 'attachments', 'docs']);
const LIST_DIRECTION: Record<string, Direction> = {
  incoming: 'credit', inbound: 'credit', credits: 'credit', received: 'credit', deposits: 'credit', receipts: 'credit', moneyin: 'credit', inflows: 'credit',
  outgoing: 'debit', outbound: 'debit', debits: 'debit', sent: 'debit', withdrawals: 'debit', moneyout: 'debit', outflows: 'debit',
};
const CURRENCY_KEYS = new Set(['currency', 'ccy', 'currencycode', 'accountcurrency', 'wahrung', 'waehrung', 'devise']);
const ACCOUNT_KEYS = new Set(['account', 'iban', 'accountid', 'accountnumber', 'accountiban', 'konto', 'kontonummer']);

const lastKey = (path: string) => compact(path.replace(/\[\d+\]$/g, '').split('.').pop() ?? '');

/** Reads `account`/`iban` style fields of a container object into `accounts`. */
export function containerAccounts(obj: Record<string, unknown>, accounts: string[]): void {
  for (const [k, v] of Object.entries(obj)) {
    if (!ACCOUNT_KEYS.has(compact(k))) continue;
    if (typeof v === 'string' || typeof v === 'number') addAccount(accounts, String(v));
    else if (isPlainObject(v)) {
      const id = v.iban ?? v.IBAN ?? v.accountNumber ?? v.number ?? v.id ?? v.bban;
      if (typeof id === 'string' || typeof id === 'number') addAccount(accounts, String(id));
    }
  }
}

function containerCurrency(obj: Record<string, unknown>, inherited: string | null): string | null {
  for (const [k, v] of Object.entries(obj)) if (CURRENCY_KEYS.has(compact(k)) && typeof v === 'string') return readCurrency(v).code ?? inherited;
  const acct = obj.account;
  if (isPlainObject(acct)) for (const [k, v] of Object.entries(acct)) if (CURRENCY_KEYS.has(compact(k)) && typeof v === 'string') return readCurrency(v).code ?? inherited;
  return inherited;
}

/** Classifies an array of objects by its sampled fields. */
function classify(path: string, items: unknown[]): { kind: FoundList['kind']; fields: string[] } {
  const step = Math.max(1, Math.floor(items.length / SAMPLE));
  const sample: Array<Record<string, unknown>> = [];
  for (let i = 0; i < items.length && sample.length < SAMPLE; i += step) {
    const x = items[i];
    if (isPlainObject(x)) sample.push(flatten(x));
  }
  const fields = [...new Set(sample.flatMap((s) => Object.keys(s)))];
  const roles = new Set<string>();
  for (const f of fields) {
    const m = matchName(f);
    if (!m) continue;
    if (m.role === 'amount' || m.role === 'debit' || m.role === 'credit') {
      const values = sample.map((s) => s[f]).filter((v) => v !== null && v !== undefined && v !== '');
      const numeric = values.filter((v) => readAmount(v, null).value !== null).length;
      if (m.score < 3 && (!values.length || numeric / values.length < 0.5)) continue;
    }
    roles.add(m.role);
  }
  if (roles.has('amount') || roles.has('debit') || roles.has('credit')) return { kind: 'strong', fields };
  const txName = TX_LISTS.has(lastKey(path));
  const txShape = roles.has('date') && (roles.has('counterparty') || roles.has('description') || roles.has('reference'));
  return { kind: txName || txShape ? 'weak' : 'other', fields };
}

/**
 * Walks the document and returns every array of objects with its classification and
 * the currency/direction its containers imply. A transaction list's items are not
 * searched further (their nested arrays are parts, not more transactions).
 */
export function findLists(root: unknown, accounts: string[]): FoundList[] {
  const found: FoundList[] = [];
  /** Returns whether a transaction list was found at or below `v`. */
  const walk = (v: unknown, path: string, depth: number, currency: string | null, direction: Direction | null): boolean => {
    if (depth > MAX_DEPTH) return false;
    if (Array.isArray(v)) {
      const dir = LIST_DIRECTION[lastKey(path)] ?? direction;
      const objects = v.filter(isPlainObject).length;
      const listed = objects > 0 && objects >= v.filter((x) => x !== null).length / 2;
      const { kind, fields } = listed ? classify(path, v) : { kind: 'other' as const, fields: [] };
      if (kind !== 'other') {
        found.push({ path, items: v, kind, fields, currency, direction: dir });
        return true;
      }
      let below = false;
      v.forEach((x, i) => {
        below = walk(x, `${path}[${i}]`, depth + 1, currency, dir) || below;
      });
      // A list that holds transaction lists deeper down (statements → entries) is a container, not a finding.
      if (listed && !below) found.push({ path, items: v, kind, fields, currency, direction: dir });
      return below;
    }
    if (!isPlainObject(v)) return false;
    const cur = containerCurrency(v, currency);
    let below = false;
    for (const [k, x] of Object.entries(v)) {
      if ((RESERVED.has(compact(k)) && depth <= 2) || !(Array.isArray(x) || isPlainObject(x))) continue;
      below = walk(x, path ? `${path}.${k}` : k, depth + 1, cur, LIST_DIRECTION[compact(k)] ?? direction) || below;
    }
    // The object holding a statement's list names its account.
    if (below) containerAccounts(v, accounts);
    return below;
  };
  walk(root, '', 0, null, null);
  return found;
}

/** Resolves an override path (`data.transactions`, `statements[*].transactions`, `$` or `` for the root) to arrays with their paths. */
export function resolvePath(root: unknown, spec: string): Array<{ path: string; items: unknown[] }> {
  const parts = spec.replace(/^\$\.?/, '').split('.').filter(Boolean);
  let current: Array<{ path: string; v: unknown }> = [{ path: '', v: root }];
  for (const part of parts) {
    const m = /^([^[\]]*)((?:\[(?:\d+|\*)\])*)$/.exec(part);
    if (!m) return [];
    const next: Array<{ path: string; v: unknown }> = [];
    for (const c of current) {
      const key = m[1] as string;
      let items = [{ path: key ? (c.path ? `${c.path}.${key}` : key) : c.path, v: key ? (isPlainObject(c.v) ? c.v[key] : undefined) : c.v }];
      for (const idx of (m[2] ?? '').match(/\[(\d+|\*)\]/g) ?? []) {
        const i = idx.slice(1, -1);
        items = items.flatMap((it) => (!Array.isArray(it.v) ? [] : i === '*' ? it.v.map((x, j) => ({ path: `${it.path}[${j}]`, v: x })) : [{ path: `${it.path}[${i}]`, v: it.v[Number(i)] }]));
      }
      next.push(...items);
    }
    current = next;
  }
  return current.filter((c) => Array.isArray(c.v)).map((c) => ({ path: c.path, items: c.v as unknown[] }));
}
