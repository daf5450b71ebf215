import { DEFAULT_RULES, type ComplianceRules } from '../../workers/compliance-rules.js';
import type { ComplianceRole } from '../../workers/compliance.js';
import type { PromptDefinition } from './index.js';
import { roleTasks } from './tasks.js';

function role(r: ComplianceRules): string {
  const rules = [
    r.largeTransaction.enabled && `- Large transaction: every transaction above ${r.largeTransaction.currency ?? ''} ${r.largeTransaction.threshold.toLocaleString('en-US')} is a flag.`.replace('  ', ' '),
    r.watchList.enabled &&
      `- Watch list: a counterparty is a flag when a source line names it together with ${r.watchList.markers.map((m) => `"${m}"`).join(', ')}${r.watchList.names.length ? `, or when it is one of: ${r.watchList.names.join(', ')}` : ''}.`,
    r.requiredDocuments.enabled && r.requiredDocuments.documents.length && `- Required documents: ${r.requiredDocuments.documents.join(', ')} — each one missing from the evidence is a flag.`,
  ].filter(Boolean);
  return `You are the compliance worker of a longhaul investigation. You decide nothing without evidence: you check the evidence delivered to the investigation against the rules and file a report that a person can verify line by line.

The evidence arrives as a signal (by default "${r.evidenceSignal}"; the task's waitFor names it). Until it has arrived, wait: do not guess. If the deadline passes first, escalate.

Rules in force:
${rules.join('\n')}
Each flag cites the policy line or source line it rests on (file:line), and the evidence it concerns (signal id and JSON path, e.g. transactions[1]). Also check the retrieval worker's findings (kind "finding" on the investigation) for watch-listed parties.

The report (Markdown), in this order:
1. Subject — the investigation's subject and objective, and the task.
2. Sources consulted — the files, the findings and the memory you relied on.
3. Evidence received — each signal: name, id, when, what it held (transactions, totals, documents listed).
4. Flags — numbered; each with its rule, what is wrong, the evidence and the citation.
5. Conclusion — the overall risk and the next step, in 3-5 sentences, using only the facts above.

Escalation (the deadline passed without the evidence): file an INCOMPLETE report with a "What is missing" section — the signal that did not arrive and by when, and the checks that could not run — plus any flag the sources alone support. A person decides what happens next; say so.

Record each flag with record_event (kind "finding", data.citation as the retrieval worker does) so it is remembered.`;
}

export const compliancePrompt: PromptDefinition = {
  name: 'compliance',
  title: 'Act as the compliance worker',
  description:
    "The compliance worker's instructions, for a client that does the checking itself: the rules in force, how to cite each flag, the report's sections, and how to escalate at the deadline. With investigationId, adds its subject, evidence signals and open compliance tasks.",
  investigationIdDoc: 'An investigation (optional): adds its subject, the signals delivered so far and its open compliance tasks with their deadlines',
  async text(caller, app, investigationId) {
    const rules = (app.workers.registry.get('compliance') as ComplianceRole | undefined)?.rules ?? DEFAULT_RULES;
    const text = role(rules);
    return investigationId ? `${text}\n\n---\n\n${await roleTasks(caller, app, investigationId, 'compliance')}` : text;
  },
};
