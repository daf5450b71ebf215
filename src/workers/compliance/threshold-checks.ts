import type { Transaction } from '../evidence/types.js';
import { money, txRef, type Flag } from './flags.js';
import { normalizeName } from './names.js';
import { convert } from './rates.js';
import type { ComplianceRules } from './rules.js';
import type { Threshold } from './thresholds.js';

export type Comparison = { kind: 'above' | 'below'; note?: string } | { kind: 'unchecked'; reason: string; why: 'amount' | 'currency' | 'no_rate'; noRate?: string };

const over = (value: number, limit: number, th: Threshold) => (th.inclusive ? value >= limit : value > limit);

/**
 * Compares a transaction with a threshold, converting both into the base currency at
 * the transaction's date ("or more" thresholds include the amount itself). A missing
 * amount, currency or rate leaves it unchecked, with the reason and its kind.
 */
export function compare(t: Transaction, th: Threshold, base: string, rules: ComplianceRules, maxAgeDays: number): Comparison {
  if (t.amount === null) return { kind: 'unchecked', why: 'amount', reason: `amount unreadable (${t.problems.find((p) => /amount/i.test(p)) ?? 'no amount field'}) — thresholds not applied` };
  if (!th.currency) return { kind: over(t.amount, th.amount, th) ? 'above' : 'below' };
  if (!t.currency) return { kind: 'unchecked', why: 'currency', reason: 'no currency — thresholds not applied' };
  if (t.currency === th.currency) return { kind: over(t.amount, th.amount, th) ? 'above' : 'below' };
  const a = t.currency === base ? { ok: true as const, value: t.amount, rate: 1, rateDate: '', note: undefined } : convert(rules.rateTable, t.amount, t.currency, t.date, { maxAgeDays });
  if (!a.ok) return { kind: 'unchecked', why: 'no_rate', reason: `${a.reason} — thresholds not applied`, noRate: t.currency };
  const b = th.currency === base ? { ok: true as const, value: th.amount } : convert(rules.rateTable, th.amount, th.currency, t.date, { maxAgeDays });
  if (!b.ok) return { kind: 'unchecked', why: 'no_rate', reason: `${b.reason} — the ${th.label} threshold not applied`, noRate: th.currency };
  // Only a conversion that happened is worth saying (a EUR amount against a USD threshold converts the threshold).
  const note =
    t.currency === base
      ? `the threshold is ${money(b.value, base)} on ${t.date ?? 'the latest rate'}`
      : `${money(a.value, base)} at ${a.rate} ${t.currency}→${base}, rate of ${a.rateDate}${a.note ? `; ${a.note}` : ''}`;
  return { kind: over(a.value, b.value, th) ? 'above' : 'below', note };
}

/**
 * Cumulative thresholds ("payments to one counterparty above EUR 500,000 per month"):
 * the payments out to one counterparty in one calendar month, converted and added up
 * (money coming in is not a payment to it).
 */
export function aggregateFlags(txs: readonly Transaction[], th: Threshold, base: string, rules: ComplianceRules, maxAgeDays: number): Flag[] {
  const groups = new Map<string, { sum: number; txs: Transaction[] }>();
  for (const t of txs) {
    if (t.amount === null || !t.counterparty || !t.currency || t.direction === 'credit') continue;
    const v = t.currency === base ? t.amount : convert(rules.rateTable, t.amount, t.currency, t.date, { maxAgeDays });
    const value = typeof v === 'number' ? v : v.ok ? v.value : null;
    if (value === null) continue;
    const key = `${normalizeName(t.counterparty).text}|${t.date?.slice(0, 7) ?? 'undated'}`;
    const g = groups.get(key) ?? { sum: 0, txs: [] };
    g.sum += value;
    g.txs.push(t);
    groups.set(key, g);
  }
  const limit =
    th.currency === base || !th.currency
      ? th.amount
      : (() => {
          const c = convert(rules.rateTable, th.amount, th.currency, null, { maxAgeDays: 36_500 });
          return c.ok ? c.value : Infinity;
        })();
  const out: Flag[] = [];
  for (const [key, g] of groups) {
    if (g.txs.length < 2 || !over(g.sum, limit, th)) continue;
    const first = txRef(g.txs[0]!);
    out.push({
      rule: 'large_transaction',
      text: `${g.txs.length} payments to ${first.counterparty} in ${key.split('|')[1]} add up to ${money(g.sum, base)}, above the cumulative ${th.label} threshold.`,
      transaction: first,
      evidence: first.location,
      citation: th.citation,
      ruleSource: th.source,
    });
  }
  return out;
}
