import { iso } from '../domain/clock.js';
import type { MemoryEvent } from '../domain/event.js';
import type { Investigation } from '../domain/investigation.js';
import type { MemoryRecord } from '../domain/record.js';
import type { Task } from '../domain/task.js';
import { citationOf, RULE_TITLES, type Evidence, type Flag } from './compliance-checks.js';
import { clip } from './prose.js';
import { citationRef } from './sources/library.js';

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
  flags: Flag[];
  conclusion: string;
  /** What an incomplete report lacks: one line each. */
  missing: string[];
}

const money = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 2 });

/**
 * The report's Markdown: subject, sources consulted, evidence received, each flag with
 * its citation, conclusion — and, for an escalation, what is missing. Deterministic
 * for the same input (the conclusion is the only prose a model may write).
 */
export function renderReport(r: ReportInput): string {
  const inv = r.investigation;
  const out: string[] = [];
  out.push(`# ${r.complete ? 'Compliance report' : 'INCOMPLETE compliance report (escalation)'}: ${inv.subject}`);
  out.push('');
  out.push(`Investigation \`${inv.id}\` · task \`${r.task.id}\` · filed ${iso(r.now)} · ${r.complete ? 'complete' : '**incomplete**'}`);
  out.push('', '## Subject', '', `**${inv.subject}** — ${inv.objective}`, '', `Task: ${r.task.instructions}`);

  out.push('', '## Sources consulted', '');
  if (r.sourcesConsulted.length) for (const f of r.sourcesConsulted) out.push(`- \`${f}\``);
  else out.push('- No document sources are configured (LONGHAUL_SOURCES).');
  const cited = r.findings.filter((f) => citationOf(f));
  out.push(`- Retrieval findings on this investigation: ${r.findings.length}${cited.length ? ` (${cited.length} cited)` : ''}`);
  for (const f of cited.slice(0, 5)) {
    const c = citationOf(f)!;
    out.push(`  - \`${citationRef(c)}\` — "${clip(c.snippet, 160)}"`);
  }
  out.push(`- Long-term memory: ${r.facts.length} fact(s) on this investigation`);
  for (const f of r.facts.slice(0, 5)) out.push(`  - ${clip(f.text, 160)} (\`${f.id}\`)`);

  out.push('', '## Evidence received', '');
  if (!r.evidence.signals.length) {
    out.push(`- None: signal \`${r.signalName}\` had not arrived${r.deadline ? ` by the deadline (${iso(r.deadline)})` : ''}.`);
  }
  for (const s of r.evidence.signals) {
    const txs = r.evidence.transactions.filter((t) => t.signalId === s.id);
    const total = txs.reduce((n, t) => n + t.amount, 0);
    const currencies = [...new Set(txs.map((t) => t.currency).filter(Boolean))];
    const cur = currencies.length === 1 ? `${currencies[0]} ` : '';
    out.push(`- Signal \`${s.name}\` (\`${s.id}\`) received ${iso(s.receivedAt)} from ${s.actorId}: ${txs.length} transaction(s)${txs.length ? `, ${cur}${money(total)} in total` : ''}.`);
  }
  if (r.evidence.accounts.length) out.push(`- Account(s): ${r.evidence.accounts.map((a) => `\`${a}\``).join(', ')}`);
  if (r.evidence.signals.length) out.push(`- Documents listed: ${r.evidence.documents === null ? 'none' : r.evidence.documents.map((d) => `\`${d}\``).join(', ') || 'none'}`);

  out.push('', `## Flags (${r.flags.length})`, '');
  if (!r.flags.length) out.push(r.complete ? 'No rule raised a flag.' : 'No flag could be raised from the sources alone; the evidence checks did not run.');
  r.flags.forEach((f, i) => {
    out.push(`${i + 1}. **${RULE_TITLES[f.rule]}** — ${f.text}`);
    if (f.evidence) out.push(`   - Evidence: \`${f.evidence.signalId}\` \`${f.evidence.path}\``);
    out.push(f.citation ? `   - Citation: \`${citationRef(f.citation)}\` — "${clip(f.citation.snippet, 200)}"` : '   - Citation: none found in the sources.');
  });

  if (!r.complete) {
    out.push('', '## What is missing', '');
    for (const m of r.missing) out.push(`- ${m}`);
  }
  out.push('', '## Conclusion', '', r.conclusion, '');
  return out.join('\n');
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
  return (
    `${flags.length} flag(s) for ${subject}: ${counts.join(', ')}. ` +
    `Recommendation: enhanced due diligence before proceeding — resolve each flag above (approval for watch-listed counterparties, review of large transactions, the missing documents).`
  );
}
