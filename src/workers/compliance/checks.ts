import type { MemoryEvent } from '../../domain/event.js';
import type { Sources } from '../sources/library.js';
import { documentFlags } from './documents.js';
import type { Evidence } from './evidence.js';
import { describeTx, plain, RULE_ORDER, txRef, type Flag, type TxRef, type Unchecked, type UncheckedKind } from './flags.js';
import { maxRateAgeDays, type ComplianceRules } from './rules.js';
import type { Screening } from './screening.js';
import { aggregateFlags, compare } from './threshold-checks.js';
import { thresholdsInForce, type Threshold } from './thresholds.js';
import { findingFlags, WatchChecks } from './watch-checks.js';

export * from './flags.js';
export { citationOf } from './watch-checks.js';

export interface CheckResult {
  flags: Flag[];
  unchecked: Unchecked[];
  /** Transactions every rule was applied to. */
  checked: number;
  thresholds: Threshold[];
}

/**
 * Checks the evidence and the investigation's findings against the rules. Every
 * transaction ends flagged, checked, or listed as unchecked with the reason for each
 * rule that could not be applied — and anything left unchecked, any evidence item that
 * could not be read and any watch list that could not be looked at (or only in part)
 * raise a "needs review" or "evidence unreadable" flag, so a report is never clean
 * because something could not be looked at.
 */
export async function runChecks(rules: ComplianceRules, evidence: Evidence, findings: readonly MemoryEvent[], sources: Sources, screening: Screening | null): Promise<CheckResult> {
  const flags: Flag[] = [...unreadableFlags(evidence)];
  const unchecked: Unchecked[] = [];
  let checked = 0;
  const thresholds = rules.largeTransaction.enabled ? await thresholdsInForce(rules, sources) : [];
  const wl = rules.watchList;
  const watch = wl.enabled && screening ? new WatchChecks(screening, sources, wl.markers, wl.minScore) : null;
  const maxAge = maxRateAgeDays(rules);
  const base = rules.currency.base;
  /** Per currency without a usable rate, the transactions it left unchecked. */
  const noRate = new Map<string, Map<string, TxRef>>();

  for (const t of evidence.transactions) {
    const ref = txRef(t);
    /** Why each rule could not be applied, with its kind (kept side by side in the result). */
    const reasons = new Map<string, UncheckedKind>();
    for (const th of thresholds.filter((x) => x.kind === 'single')) {
      const r = compare(t, th, base, rules, maxAge);
      if (r.kind === 'unchecked') {
        reasons.set(r.reason, r.why);
        if (r.noRate) noRate.set(r.noRate, (noRate.get(r.noRate) ?? new Map()).set(ref.id, ref));
      } else if (r.kind === 'above') {
        flags.push({
          rule: 'large_transaction',
          text: `${capitalised(describeTx(ref))} is ${th.inclusive ? 'at or above' : 'above'} the ${th.label} threshold${r.note ? ` (${r.note})` : ''}.`,
          transaction: ref,
          evidence: t.location,
          citation: th.citation,
          ruleSource: th.source,
        });
      }
    }
    if (watch) {
      const w = await watch.check(t);
      if (w.flag) flags.push(w.flag);
      if (w.reason) reasons.set(w.reason, w.kind);
    }
    if (reasons.size) unchecked.push({ transaction: ref, reasons: [...reasons.keys()], kinds: [...reasons.values()] });
    else checked++;
  }

  for (const th of thresholds.filter((x) => x.kind === 'aggregate')) flags.push(...aggregateFlags(evidence.transactions, th, base, rules, maxAge));
  flags.push(...reviewFlags(noRate, unchecked, base));
  if (watch && screening) {
    for (const l of screening.lists.filter((x) => x.problem)) {
      flags.push({
        rule: 'needs_review',
        text: l.entries ? `Watch list "${l.ref}" was read only in part: ${l.problem}. Counterparties were not screened against the rest.` : `Watch list "${l.ref}" could not be read: ${l.problem}. Counterparties were not screened against it.`,
        transaction: null,
        evidence: null,
        citation: null,
        ruleSource: `watchList (${l.by})`,
      });
    }
    flags.push(...findingFlags(findings, wl.markers, flags));
  }
  if (rules.requiredDocuments.enabled) flags.push(...(await documentFlags(rules, evidence, sources)));
  // Grouped by rule, most serious first; within a rule, in evidence order (a stable sort).
  flags.sort((a, b) => RULE_ORDER.indexOf(a.rule) - RULE_ORDER.indexOf(b.rule));
  return { flags, unchecked, checked, thresholds };
}

const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Items no transaction could be read from; and evidence as a whole that yielded none. */
function unreadableFlags(evidence: Evidence): Flag[] {
  const out: Flag[] = [];
  for (const it of evidence.items) {
    if (!it.unreadable) continue;
    const seen = it.unreadable.fieldsSeen.slice(0, 20).map((f) => plain(f, 40));
    out.push({
      rule: 'evidence_unreadable',
      text: `Evidence unreadable: ${it.attachment ? `attachment "${plain(it.attachment)}"` : 'the JSON payload'} of ${it.signalId} — ${plain(it.unreadable.reason, 300)}${seen.length ? `; fields seen: ${seen.join(', ')}` : ''}. Map its fields with "evidenceMapping" in the rules file, or deliver it as CSV, camt.053 or JSON.`,
      transaction: null,
      evidence: { signalId: it.signalId, attachment: it.attachment, locator: it.format, line: null },
      citation: null,
      ruleSource: 'evidence intake',
    });
  }
  if (evidence.signals.length && !evidence.transactions.length && !out.length) {
    out.push({
      rule: 'evidence_unreadable',
      text: `Evidence unreadable: no transaction could be read from ${evidence.signals.map((s) => s.id).join(', ')} (${evidence.items.map((i) => `${plain(i.attachment ?? 'payload')}: ${i.format}`).join('; ') || 'nothing delivered'}). The transactions were not checked.`,
      transaction: null,
      evidence: null,
      citation: null,
      ruleSource: 'evidence intake',
    });
  }
  return out;
}

/** One "needs review" flag per currency without a usable rate, and one for everything else left unchecked. */
function reviewFlags(noRate: Map<string, Map<string, TxRef>>, unchecked: readonly Unchecked[], base: string): Flag[] {
  const out: Flag[] = [];
  for (const [currency, byId] of noRate) {
    const txs = [...byId.values()];
    out.push({
      rule: 'needs_review',
      text: `No usable ${currency}→${base} rate: ${txs.length} transaction(s) could not be compared with the thresholds (add a dated rate to currency.rates or currency.ratesFile). First: ${describeTx(txs[0]!)}. All are listed under "Unchecked".`,
      transaction: txs[0]!,
      evidence: txs[0]!.location,
      citation: null,
      ruleSource: 'rules file: currency',
    });
  }
  const other = unchecked.filter((u) => u.kinds.some((k) => k !== 'no_rate'));
  if (other.length) {
    const why = [...new Set(other.flatMap((u) => u.reasons.filter((_, i) => u.kinds[i] !== 'no_rate')))];
    out.push({
      rule: 'needs_review',
      text: `${other.length} transaction(s) could not be checked against every rule (${(why.length ? why : other.flatMap((u) => u.reasons)).slice(0, 4).join('; ')}). First: ${describeTx(other[0]!.transaction)}. All are listed under "Unchecked".`,
      transaction: other[0]!.transaction,
      evidence: other[0]!.transaction.location,
      citation: null,
      ruleSource: 'evidence intake',
    });
  }
  return out;
}
