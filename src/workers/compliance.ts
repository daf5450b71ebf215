import { iso } from '../domain/clock.js';
import type { MemoryRecord } from '../domain/record.js';
import { readEvidence, runChecks, RULE_TITLES, type Flag } from './compliance-checks.js';
import { plainConclusion, renderReport } from './compliance-report.js';
import { DEFAULT_RULES, defaultWaitMs, type ComplianceRules } from './compliance-rules.js';
import { clip, withModel } from './prose.js';
import { completed, timedOut, wait, type Outcome, type ReportDraft, type Role, type RoleContext } from './role.js';
import { citationRef } from './sources/library.js';

/**
 * The `compliance` role. It needs the evidence named by its wait (signal `bank_data`
 * by default):
 * - evidence delivered → checks it and the investigation's findings against the rules
 *   and files a complete report (completed);
 * - the wait's deadline passed first → files an *incomplete* report naming what is
 *   missing, and the task ends `timed_out` with an inbox item (an escalation);
 * - otherwise → waits for the signal until the deadline (from the task's creation).
 *
 * Evidence wins over the deadline: data that arrived late, but before the worker ran,
 * is still checked. The decision reads the stored waits and signals, not only the wake
 * reason, so a re-run after a lease expiry decides the same way (idempotent).
 */
/** The compliance role, with the rules it checks (the `compliance` prompt shows them). */
export type ComplianceRole = Role & { readonly rules: ComplianceRules };

export function createComplianceRole(rules: ComplianceRules = DEFAULT_RULES): ComplianceRole {
  return {
    name: 'compliance',
    rules,
    description: `Waits for the evidence (signal "${rules.evidenceSignal}" by default), checks it against the rules, files a cited report; escalates at the deadline.`,
    onDeadline: 'escalate',
    async run(ctx) {
      const signalName = ctx.task.waitFor?.signal ?? rules.evidenceSignal;
      const evidence = ctx.signals.filter((s) => s.name === signalName);
      const deadline = ctx.task.createdAt + (ctx.task.waitFor?.timeoutMs ?? defaultWaitMs(rules));
      const expired = ctx.wake === 'deadline' || ctx.waits.some((w) => w.signal === signalName && w.status === 'timed_out') || ctx.clock.now() >= deadline;
      if (evidence.length) return file(ctx, rules, { complete: true, signalName, deadline });
      if (expired) return file(ctx, rules, { complete: false, signalName, deadline });
      return wait(signalName, deadline, `Compliance needs "${signalName}" to check ${ctx.investigation.subject}; waiting until ${iso(deadline)}.`);
    },
    async intake(ctx) {
      const signalName = ctx.task.waitFor?.signal ?? rules.evidenceSignal;
      const open = ctx.waits.find((w) => w.status === 'open');
      const r = rules;
      const checks = [
        r.largeTransaction.enabled && `transactions above ${r.largeTransaction.currency ?? ''} ${r.largeTransaction.threshold.toLocaleString('en-US')}`.replace('  ', ' '),
        r.watchList.enabled && 'counterparties on the watch list in the sources',
        r.requiredDocuments.enabled && r.requiredDocuments.documents.length && `required documents (${r.requiredDocuments.documents.join(', ')})`,
      ].filter(Boolean);
      ctx.memory.record({
        kind: 'fact',
        text: `Compliance on ${ctx.investigation.subject} waits for "${signalName}"${open ? ` until ${iso(open.deadline)}` : ''}; it will check ${checks.join('; ')}.`,
        data: { taskId: ctx.task.id, signal: signalName, deadline: open?.deadline ?? null },
      });
      if (!ctx.sources.roots.length || !r.watchList.enabled) return;
      await ctx.sources.refresh();
      // Day-0 notes: watch-list entries the sources hold, so the wake run (days later,
      // in a new session) remembers them even before it searches again.
      // Entries, not rules: numbered policy clauses and headings that mention the list are skipped.
      const isEntry = (l: string) => !/^\s*(#|\d+(\.\d+)*\.?\s)/.test(l) && r.watchList.markers.some((m) => l.toLowerCase().includes(m.toLowerCase()));
      const marked = await ctx.sources.findLines(r.watchList.markers.join(' '), isEntry, 10);
      for (const c of marked.slice(0, 5)) {
        ctx.memory.record({
          kind: 'fact',
          text: `Watch-list entry in the sources: "${clip(c.snippet, 200)}" (${citationRef(c)})`,
          data: { taskId: ctx.task.id, citation: c },
        });
      }
    },
  };
}

async function file(ctx: RoleContext, rules: ComplianceRules, o: { complete: boolean; signalName: string; deadline: number }): Promise<Outcome> {
  if (ctx.sources.roots.length) await ctx.sources.refresh();
  const evidence = readEvidence(o.complete ? ctx.signals.filter((s) => s.name === o.signalName) : []);
  const findings = ctx.memory.findings;
  const flags = await runChecks(rules, evidence, findings, ctx.sources);
  await ctx.heartbeat();
  const missing = o.complete
    ? []
    : [
        `Signal \`${o.signalName}\` — not received by the deadline (${iso(o.deadline)}).`,
        `Checks that need it did not run: ${[
          rules.largeTransaction.enabled && 'large transactions',
          rules.watchList.enabled && "the evidence's counterparties against the watch list",
          rules.requiredDocuments.enabled && 'required documents',
        ]
          .filter(Boolean)
          .join(', ')}.`,
      ];
  const plain = plainConclusion(ctx.investigation.subject, flags, o.complete, o.signalName);
  const prose = await withModel(
    ctx,
    {
      system:
        'You are a compliance officer. Write the conclusion of a compliance report in 3-5 sentences: the overall risk, what each flag means (refer to flags by number), and the recommended next step. Use only the facts given.',
      prompt: `Subject: ${ctx.investigation.subject}\nObjective: ${ctx.investigation.objective}\nReport complete: ${o.complete}\n${o.complete ? '' : `Missing: ${missing.join(' ')}\n`}Flags:\n${
        flags.map((f, i) => `${i + 1}. ${RULE_TITLES[f.rule]}: ${f.text}`).join('\n') || '(none)'
      }`,
      maxTokens: 400,
    },
    plain,
  );
  const consulted = (await ctx.sources.files()).map((f) => f.display);
  const markdown = renderReport({
    investigation: ctx.investigation,
    task: ctx.task,
    now: ctx.clock.now(),
    complete: o.complete,
    signalName: o.signalName,
    deadline: o.deadline,
    sourcesConsulted: consulted,
    findings,
    facts: factsFirst(ctx.memory.facts, flags),
    evidence,
    flags,
    conclusion: prose.text,
    missing,
  });
  const summary = o.complete
    ? `${flags.length} flag(s) on ${ctx.investigation.subject}${flags.length ? `: ${flagCounts(flags)}` : ''}.`
    : `Escalation: "${o.signalName}" did not arrive by ${iso(o.deadline)}; incomplete report filed.`;
  const report: ReportDraft = {
    title: `${o.complete ? 'Compliance report' : 'Incomplete compliance report'}: ${ctx.investigation.subject}`,
    markdown,
    complete: o.complete,
    summary,
  };
  for (const f of flags) {
    ctx.memory.record({
      kind: 'finding',
      text: `Compliance flag (${RULE_TITLES[f.rule]}): ${f.text}${f.citation ? ` (${citationRef(f.citation)})` : ''}`,
      data: { taskId: ctx.task.id, rule: f.rule, evidence: f.evidence, citation: f.citation },
    });
  }
  const result = { summary, complete: o.complete, flags, evidenceSignals: evidence.signals.map((s) => s.id), conclusionBy: prose.by };
  return o.complete ? completed(result, summary, report) : timedOut(report, missing);
}

/** Remembered facts that bear on a flag (they name its counterparty or its citation) first: the Day-0 context that matters. */
function factsFirst(facts: readonly MemoryRecord[], flags: Flag[]): MemoryRecord[] {
  const keys = flags.flatMap((f) => [f.citation ? citationRef(f.citation) : '', ...(f.text.match(/to ([^,.]+?) on|Counterparty (.+?) is/)?.slice(1) ?? [])]).filter(Boolean).map((k) => k!.toLowerCase());
  const bears = (r: MemoryRecord) => keys.some((k) => r.text.toLowerCase().includes(k));
  return [...facts.filter(bears), ...facts.filter((r) => !bears(r))];
}

function flagCounts(flags: Flag[]): string {
  const m = new Map<string, number>();
  for (const f of flags) m.set(RULE_TITLES[f.rule].toLowerCase(), (m.get(RULE_TITLES[f.rule].toLowerCase()) ?? 0) + 1);
  return [...m].map(([k, v]) => `${v} ${k}`).join(', ');
}
