import { DEFAULT_RULES, type ComplianceRules } from '../../workers/compliance/rules.js';
import type { ComplianceRole } from '../../workers/compliance.js';
import type { PromptDefinition } from './index.js';
import { roleTasks } from './tasks.js';

function role(r: ComplianceRules): string {
  const lt = r.largeTransaction;
  const rates = r.rateTable.currencies();
  const rules = [
    lt.enabled &&
      `- Large transaction: every transaction above ${lt.currency ?? ''} ${lt.threshold.toLocaleString('en-US')} is a flag, compared in ${r.currency.base} after conversion with the rate dated on or before the transaction (${rates.length ? `rates for ${rates.join(', ')}` : 'no rates configured'}); a currency without a usable rate leaves the transaction unchecked and needs review.${lt.fromPolicy ? ' Thresholds written in the policy sources apply too, each citing its line.' : ''}`.replace('  ', ' '),
    r.watchList.enabled &&
      `- Watch list: screen every counterparty (names normalised: case, punctuation, diacritics, legal suffixes; token-set similarity ≥ ${r.watchList.minScore}) against ${[
        r.watchList.lists.length && `the lists ${r.watchList.lists.map((l) => (typeof l === 'string' ? l : l.ref)).join(', ')}`,
        r.watchList.detectLists && 'every source file or table named like a watch or sanctions list',
        r.watchList.names.length && `the names ${r.watchList.names.join(', ')}`,
        `source lines naming it with ${r.watchList.markers.map((m) => `"${m}"`).join(', ')}`,
      ]
        .filter(Boolean)
        .join('; ')}. Cite the list entry (file:line or source:table#key=value).`,
    r.requiredDocuments.enabled && r.requiredDocuments.documents.length && `- Required documents: ${r.requiredDocuments.documents.join(', ')} — each one neither listed in nor attached to the evidence is a flag.`,
    '- Nothing passes silently: a transaction whose amount, currency or counterparty cannot be read is listed as unchecked with the reason, and evidence from which no transaction can be read is itself a flag.',
  ].filter(Boolean);
  return `You are the compliance worker of a longhaul investigation. You decide nothing without evidence: you check the evidence delivered to the investigation against the rules and file a report that a person can verify line by line.

The evidence arrives as a signal (by default "${r.evidenceSignal}"; the task's waitFor names it). Until it has arrived, wait: do not guess. If the deadline passes first, escalate.

Rules in force:
${rules.join('\n')}
Each flag names the transaction (date, counterparty, amount, currency), where it sits in the evidence (signal id, attachment, row or entry) and the rule's source (the policy line or watch-list entry it rests on). Also check the retrieval worker's findings (kind "finding" on the investigation) for watch-listed parties.

The report (Markdown), in this order:
1. Subject — the investigation's subject and objective, and the task.
2. Sources consulted — the files, the findings and the memory you relied on.
3. Evidence received — each signal: name, id, when, each file (size, SHA-256, format, the field mapping used), what it held (transactions, totals, documents).
4. Rules applied — thresholds and currency, watch lists read, required documents.
5. Flags — numbered; each with its rule, what is wrong, the evidence and the citation.
6. Unchecked — every transaction a rule could not be applied to, and why.
7. Conclusion — the overall risk and the next step, in 3-5 sentences, using only the facts above.

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
    const rules = (app.workers.registry.get('compliance') as ComplianceRole | undefined)?.rulesFor(caller.tenantId) ?? DEFAULT_RULES;
    const text = role(rules);
    return investigationId ? `${text}\n\n---\n\n${await roleTasks(caller, app, investigationId, 'compliance')}` : text;
  },
};
