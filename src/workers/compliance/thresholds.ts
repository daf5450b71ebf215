import { citationRef, type Citation } from '../sources/citation.js';
import type { Sources } from '../sources/library.js';
import { lineOf } from '../../store/source-index.js';
import { findPolicyThresholds } from './policy-thresholds.js';
import type { ComplianceRules } from './rules.js';

/** One amount a transaction must not exceed, and where that rule comes from. */
export interface Threshold {
  amount: number;
  /** Null: any currency, compared as written (a rules file without a currency). */
  currency: string | null;
  /** `single`: one payment; `aggregate`: payments to one counterparty in a month, added together. */
  kind: 'single' | 'aggregate';
  /** "EUR 15,000 or more", "at least": the amount itself is over it. The rules file's threshold is "above". */
  inclusive: boolean;
  /** `EUR 10,000` */
  label: string;
  /** `rules file: largeTransaction (EUR 10,000)` or the policy line `docs/policies/aml.md:17`. */
  source: string;
  /** The policy passage the flag cites. */
  citation: Citation | null;
}

const label = (amount: number, currency: string | null) => `${currency ? currency + ' ' : ''}${amount.toLocaleString('en-US', { maximumFractionDigits: 2 })}`;

/** Policy passages read for thresholds, at most. */
const POLICY_HITS = 20;

/**
 * The thresholds in force: the rules file's, citing the policy line that states it
 * when the sources hold one; and, with `largeTransaction.fromPolicy`, every threshold
 * the policy sources state in words ("any single payment above USD 100,000 requires
 * dual approval"), each citing its own line. Duplicates (the policy restating the
 * rules file's threshold) are kept once.
 */
export async function thresholdsInForce(rules: ComplianceRules, sources: Sources): Promise<Threshold[]> {
  const lt = rules.largeTransaction;
  const t = lt.threshold;
  // The policy line to cite states this very threshold (read as a threshold: "EUR 10,000", not "110,000").
  const states = (l: string) => findPolicyThresholds([{ text: l, citation: null }]).some((p) => p.amount === t && p.kind === 'single' && (!lt.currency || p.currency === lt.currency));
  const policy = await policyCitation(sources, `${lt.policyQuery} ${t}`, states);
  const out: Threshold[] = [{ amount: t, currency: lt.currency, kind: 'single', inclusive: false, label: label(t, lt.currency), source: `rules file: largeTransaction (${label(t, lt.currency)})`, citation: policy }];
  if (!lt.fromPolicy || !sources.configured) return out;
  const hits = await sources.hits(`${lt.policyQuery} payment transaction above over exceeding threshold approval`, POLICY_HITS);
  const lines = hits
    .filter((h) => !h.row)
    .flatMap((h) =>
      h.text.split('\n').map((text, i): { text: string; citation: Citation } => ({
        text,
        citation: { source: h.source, file: h.display, startLine: lineOf(h, i), endLine: lineOf(h, i), page: h.page ?? null, sheet: h.sheet ?? null, row: null, snippet: text.trim().slice(0, 240), score: h.score },
      })),
    );
  for (const p of findPolicyThresholds(lines)) {
    const c = p.citation as Citation;
    if (out.some((o) => o.amount === p.amount && o.currency === p.currency && o.kind === p.kind && o.inclusive === p.inclusive)) continue;
    out.push({ amount: p.amount, currency: p.currency, kind: p.kind, inclusive: p.inclusive, label: `${label(p.amount, p.currency)}${p.inclusive ? ' (or more)' : ''}`, source: citationRef(c), citation: c });
  }
  return out;
}

/**
 * The policy line a rule's flags cite: a line of the best passages for `query` that
 * states the rule (`prefer`: it holds the threshold, the document's name). Null when no
 * line does — a flag is better without a citation than with a passage that only shares
 * words with the rule.
 */
export async function policyCitation(sources: Sources, query: string, prefer: (line: string) => boolean): Promise<Citation | null> {
  if (!sources.configured) return null;
  return (await sources.findLines(query, prefer, 5))[0] ?? null;
}
