import { iso } from '../../domain/clock.js';
import type { MemoryEvent } from '../../domain/event.js';
import type { Investigation } from '../../domain/investigation.js';
import type { MemoryRecord } from '../../domain/record.js';
import type { Task } from '../../domain/task.js';
import type { FieldMapping } from '../evidence/types.js';
import { clip } from '../prose.js';
import { citationRef } from '../sources/citation.js';
import { citationOf, describeTx, money, RULE_TITLES, whereIs, type CheckResult, type Flag } from './checks.js';
import { code, inline } from './markdown.js';
import type { Evidence } from './evidence.js';
import type { ComplianceRules } from './rules.js';
import type { Screening } from './screening.js';

export interface ReportInput {
  investigation: Investigation;
  task: Task;
  now: number;
  complete: boolean;
  signalName: string;
  deadline: number | null;
  sourcesConsulted: string[];
  findings: readonly MemoryEvent[];
  facts: readonly MemoryRecord[];
  evidence: Evidence;
  rules: ComplianceRules;
  screening: Screening | null;
  checks: CheckResult;
  conclusion: string;
  /** What an incomplete report lacks: one line each. */
  missing: string[];
}

/** Flags and unchecked transactions listed in the Markdown at most; the task result and the counts hold the rest. */
export const REPORT_LIST_LIMIT = 500;
const KiB = (n: number) => (n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`);
const MAPPED: Array<keyof FieldMapping> = ['date', 'amount', 'debit', 'credit', 'currency', 'direction', 'counterparty', 'counterpartyAccount', 'reference', 'description'];
const cell = (s: string) => inline(s);

/**
 * The report's Markdown: subject, sources consulted, evidence received (each file with
 * its size and SHA-256, its format and the field mapping used), the rules applied,
 * each flag with the transaction, where it sits in the evidence and the rule's source,
 * the transactions that could not be checked and why, the conclusion — and, for an
 * escalation, what is missing. Deterministic for the same input (the conclusion is the
 * only prose a model may write).
 */
export function renderReport(r: ReportInput): string {
  const inv = r.investigation;
  const out: string[] = [];
  out.push(`# ${r.complete ? 'Compliance report' : 'INCOMPLETE compliance report (escalation)'}: ${inline(inv.subject)}`);
  out.push('');
  out.push(`Investigation \`${inv.id}\` · task \`${r.task.id}\` · filed ${iso(r.now)} · ${r.complete ? 'complete' : '**incomplete**'}`);
  out.push('', '## Subject', '', `**${inline(inv.subject)}** — ${inline(inv.objective)}`, '', `Task: ${inline(r.task.instructions)}`);

  out.push('', '## Sources consulted', '');
  if (r.sourcesConsulted.length) {
    for (const f of r.sourcesConsulted.slice(0, 50)) out.push(`- ${code(f)}`);
    if (r.sourcesConsulted.length > 50) out.push(`- …and ${r.sourcesConsulted.length - 50} more`);
  } else out.push('- No sources are configured (LONGHAUL_SOURCES, LONGHAUL_SOURCES_FILE).');
  const cited = r.findings.filter((f) => citationOf(f));
  out.push(`- Retrieval findings on this investigation: ${r.findings.length}${cited.length ? ` (${cited.length} cited)` : ''}`);
  for (const f of cited.slice(0, 5)) {
    const c = citationOf(f)!;
    out.push(`  - ${code(citationRef(c))} — "${inline(clip(c.snippet, 160))}"`);
  }
  out.push(`- Long-term memory: ${r.facts.length} fact(s) on this investigation`);
  for (const f of r.facts.slice(0, 5)) out.push(`  - ${inline(clip(f.text, 160))} (${code(f.id)})`);

  evidenceSection(r, out);
  rulesSection(r, out);

  const { flags, unchecked } = r.checks;
  out.push('', `## Flags (${flags.length})`, '');
  if (!flags.length) out.push(r.complete ? `No rule raised a flag: ${r.checks.checked} transaction(s) checked against every rule.` : 'No flag could be raised from the sources alone; the evidence checks did not run.');
  flags.slice(0, REPORT_LIST_LIMIT).forEach((f, i) => renderFlag(out, f, i + 1));
  if (flags.length > REPORT_LIST_LIMIT) out.push(`${flags.length - REPORT_LIST_LIMIT} more flag(s) are in the task's result (longhaul://investigations/${inv.id}/tasks/${r.task.id}).`);

  if (r.evidence.signals.length) {
    out.push('', `## Unchecked (${unchecked.length})`, '');
    if (!unchecked.length) out.push(`None: every one of the ${r.evidence.transactions.length} transaction(s) was checked against every rule.`);
    else {
      out.push('| # | transaction | where | why it could not be checked |', '| --- | --- | --- | --- |');
      unchecked.slice(0, REPORT_LIST_LIMIT).forEach((u, i) => out.push(`| ${i + 1} | ${cell(describeTx(u.transaction))} | ${code(whereIs(u.transaction.location))} | ${cell(u.reasons.join('; '))} |`));
      if (unchecked.length > REPORT_LIST_LIMIT) out.push('', `${unchecked.length - REPORT_LIST_LIMIT} more unchecked transaction(s) are in the task's result.`);
    }
  }

  if (!r.complete) {
    out.push('', '## What is missing', '');
    for (const m of r.missing) out.push(`- ${m}`);
  }
  out.push('', '## Conclusion', '', r.conclusion, '');
  return out.join('\n');
}

function evidenceSection(r: ReportInput, out: string[]): void {
  out.push('', '## Evidence received', '');
  if (!r.evidence.signals.length) {
    out.push(`- None: signal \`${r.signalName}\` had not arrived${r.deadline ? ` by the deadline (${iso(r.deadline)})` : ''}.`);
    return;
  }
  for (const s of r.evidence.signals) {
    out.push(`- Signal \`${s.name}\` (\`${s.id}\`) received ${iso(s.receivedAt)} from ${s.actorId}.`);
    for (const it of r.evidence.items.filter((i) => i.signalId === s.id)) {
      const meta = it.attachmentMeta;
      const what = meta ? `Attachment ${code(it.attachment ?? meta.name)} (${inline(meta.mediaType)}, ${KiB(meta.size)}, SHA-256 ${code(meta.sha256)})` : 'JSON payload';
      const txs = it.transactions;
      const currencies = [...new Set(txs.map((t) => t.currency).filter(Boolean))];
      const sum = (d: 'debit' | 'credit') => txs.filter((t) => t.direction === d).reduce((n, t) => n + (t.amount ?? 0), 0);
      // Out and in apart: a total of both says nothing.
      const amounts = !txs.length
        ? ''
        : currencies.length === 1
          ? `: ${money(sum('debit'), currencies[0]!)} out, ${money(sum('credit'), currencies[0]!)} in${txs.some((t) => !t.direction) ? `, ${txs.filter((t) => !t.direction).length} of unknown direction` : ''}`
          : ` in ${currencies.length} currencies`;
      const held = it.unreadable
        ? `**unreadable** — ${it.unreadable.reason}`
        : !txs.length && it.documents.length
          ? `no transactions; documents: ${it.documents.map(code).join(', ')}`
          : `${txs.length} transaction(s)${amounts}`;
      out.push(`  - ${what}: ${it.format}; ${held}.`);
      if (it.mapping) {
        const fields = MAPPED.filter((k) => it.mapping![k]).map((k) => `${k} ← ${code(it.mapping![k]!)}`);
        out.push(`    - Field mapping (${it.mapping.by}${it.mapping.transactions ? `, list ${code(it.mapping.transactions)}` : ''}): ${fields.join(', ') || 'none'}.`);
      }
      if (it.notes.length) out.push(`    - Notes: ${inline(it.notes.join('; '))}.`);
    }
  }
  if (r.evidence.accounts.length) out.push(`- Account(s): ${r.evidence.accounts.map(code).join(', ')}`);
  out.push(`- Documents listed: ${r.evidence.documents?.length ? r.evidence.documents.map(code).join(', ') : 'none'}; documents attached: ${r.evidence.attachedFiles.length ? r.evidence.attachedFiles.map(code).join(', ') : 'none'}`);
}

function rulesSection(r: ReportInput, out: string[]): void {
  const { rules } = r;
  out.push('', '## Rules applied', '');
  if (rules.largeTransaction.enabled) {
    for (const t of r.checks.thresholds) out.push(`- ${t.kind === 'aggregate' ? 'Cumulative threshold' : 'Threshold'} ${t.label} — ${t.source}${t.citation && !t.source.includes(':') ? ` (policy: \`${citationRef(t.citation)}\`)` : ''}.`);
    const rates = rules.rateTable.currencies();
    out.push(
      rates.length
        ? `- Amounts compared in ${rules.currency.base} with dated rates for ${rates.join(', ')} (a rate older than ${rules.currency.maxRateAge} is not used).`
        : `- Amounts compared in ${rules.currency.base}; no exchange rates are configured, so amounts in other currencies cannot be compared.`,
    );
  }
  if (rules.watchList.enabled) {
    const s = r.screening;
    if (s) {
      for (const l of s.lists) out.push(`- Watch list ${code(l.ref)} (${l.by === 'rules' ? 'named in the rules' : 'found by its name'}): ${l.problem && !l.entries ? `**not read** — ${inline(l.problem)}` : `${l.entries} entr${l.entries === 1 ? 'y' : 'ies'}${l.problem ? ` (${inline(l.problem)})` : ''}`}.`);
      if (!s.lists.length) out.push(`- Watch list: no list file or table; ${s.canScreen ? 'source lines naming a counterparty with a watch-list marker are searched' : '**no watch list is available**, counterparties could not be screened'}.`);
      out.push(`- Names are matched after normalisation (case, punctuation, diacritics, legal suffixes) with token-set similarity ≥ ${rules.watchList.minScore}.`);
    }
  }
  if (rules.requiredDocuments.enabled && rules.requiredDocuments.documents.length) out.push(`- Required documents: ${rules.requiredDocuments.documents.map(code).join(', ')}.`);
  out.push(`- Transactions: ${r.evidence.transactions.length} read, ${r.checks.checked} checked against every rule, ${r.checks.unchecked.length} unchecked.`);
}

function renderFlag(out: string[], f: Flag, n: number): void {
  out.push(`${n}. **${RULE_TITLES[f.rule]}** — ${inline(f.text)}`);
  if (f.evidence) out.push(`   - Evidence: ${code(whereIs(f.evidence))}`);
  out.push(`   - Rule: ${inline(f.ruleSource)}`);
  if (f.citation) out.push(`   - Citation: ${code(citationRef(f.citation))} — "${inline(clip(f.citation.snippet, 200))}"`);
}

/** The deterministic conclusion: counts by rule and what to do next. */
export function plainConclusion(subject: string, flags: Flag[], complete: boolean, signalName: string): string {
  const counts = Object.entries(
    flags.reduce<Record<string, number>>((m, f) => ((m[RULE_TITLES[f.rule].toLowerCase()] = (m[RULE_TITLES[f.rule].toLowerCase()] ?? 0) + 1), m), {}),
  ).map(([k, v]) => `${v} ${k}`);
  if (!complete) {
    return (
      `The compliance check of ${subject} could not be completed: the evidence (\`${signalName}\`) did not arrive before the deadline. ` +
      `${flags.length ? `The sources alone already raise ${flags.length} flag(s) (${counts.join(', ')}). ` : ''}` +
      `A person should chase the evidence or decide without it; deliver it with \`submit_signal\` (or \`longhaul signal\`) and delegate a new compliance task.`
    );
  }
  if (!flags.length) return `No rule raised a flag for ${subject}. Recommendation: proceed, subject to the usual review.`;
  const has = (r: Flag['rule']) => flags.some((f) => f.rule === r);
  const steps = [
    has('watch_list') && 'approve (MLRO) or exit each watch-listed counterparty',
    has('large_transaction') && 'review each large transaction',
    has('missing_document') && 'obtain the missing documents',
    (has('needs_review') || has('evidence_unreadable')) && 'review the evidence that could not be checked (the "Unchecked" section and any unreadable item) — until then this report is not a clean bill',
  ].filter(Boolean);
  return `${flags.length} flag(s) for ${subject}: ${counts.join(', ')}. Recommendation: enhanced due diligence before proceeding: ${steps.join('; ')}.`;
}
