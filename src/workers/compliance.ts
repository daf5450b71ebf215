import { iso } from '../domain/clock.js';
import type { MemoryRecord } from '../domain/record.js';
import { runChecks, RULE_TITLES, type CheckResult, type Flag } from './compliance/checks.js';
import { readEvidence, type Evidence } from './compliance/evidence.js';
import { plainConclusion, renderReport } from './compliance/report.js';
import { DEFAULT_RULES, defaultWaitMs, type ComplianceRules } from './compliance/rules.js';
import { normalizeName } from './compliance/names.js';
import { loadScreening, type Screening } from './compliance/screening.js';
import { clip, withModel } from './prose.js';
import { completed, timedOut, wait, type Outcome, type ReportDraft, type Role, type RoleContext } from './role.js';
import { citationRef } from './sources/citation.js';

/** Flags recorded as memory events at most (the report and the task result hold all of them). */
const MAX_FLAG_EVENTS = 50;
/** Flags and unchecked transactions kept in the task result at most (with their totals). */
const MAX_RESULT_ITEMS = 2_000;

/** The compliance role, with the rules it checks for each tenant (the `compliance` prompt shows them). */
export type ComplianceRole = Role & { rulesFor(tenantId: string): ComplianceRules };

/**
 * The `compliance` role. It needs the evidence named by its wait (signal `bank_data`
 * by default):
 * - evidence delivered → reads it (JSON payloads and attached files: CSV, camt.053,
 *   MT940, JSON…), checks every transaction and the investigation's findings against
 *   the tenant's rules and files a complete report (completed);
 * - the wait's deadline passed first → files an *incomplete* report naming what is
 *   missing, and the task ends `timed_out` with an inbox item (an escalation);
 * - otherwise → waits for the signal until the deadline (from the task's creation).
 *
 * Evidence wins over the deadline: data that arrived late, but before the worker ran,
 * is still checked. The decision reads the stored waits and signals, not only the wake
 * reason, so a re-run after a lease expiry decides the same way (idempotent).
 */
export function createComplianceRole(rulesFor: (tenantId: string) => ComplianceRules = () => DEFAULT_RULES): ComplianceRole {
  return {
    name: 'compliance',
    rulesFor,
    description: `Waits for the evidence (signal "${DEFAULT_RULES.evidenceSignal}" by default), checks every transaction against the rules, files a cited report; escalates at the deadline.`,
    onDeadline: 'escalate',
    async run(ctx) {
      const rules = rulesFor(ctx.task.tenantId);
      const signalName = ctx.task.waitFor?.signal ?? rules.evidenceSignal;
      const evidence = ctx.signals.filter((s) => s.name === signalName);
      const deadline = ctx.task.createdAt + (ctx.task.waitFor?.timeoutMs ?? defaultWaitMs(rules));
      const expired = ctx.wake === 'deadline' || ctx.waits.some((w) => w.signal === signalName && w.status === 'timed_out') || ctx.clock.now() >= deadline;
      if (evidence.length) return file(ctx, rules, { complete: true, signalName, deadline });
      if (expired) return file(ctx, rules, { complete: false, signalName, deadline });
      return wait(signalName, deadline, `Compliance needs "${signalName}" to check ${ctx.investigation.subject}; waiting until ${iso(deadline)}.`);
    },
    async intake(ctx) {
      const rules = rulesFor(ctx.task.tenantId);
      const signalName = ctx.task.waitFor?.signal ?? rules.evidenceSignal;
      const open = ctx.waits.find((w) => w.status === 'open');
      const r = rules;
      const checks = [
        r.largeTransaction.enabled && `transactions above ${r.largeTransaction.currency ?? ''} ${r.largeTransaction.threshold.toLocaleString('en-US')}`.replace('  ', ' '),
        r.watchList.enabled && 'counterparties against the watch lists',
        r.requiredDocuments.enabled && r.requiredDocuments.documents.length && `required documents (${r.requiredDocuments.documents.join(', ')})`,
      ].filter(Boolean);
      ctx.memory.record({
        kind: 'fact',
        text: `Compliance on ${ctx.investigation.subject} waits for "${signalName}"${open ? ` until ${iso(open.deadline)}` : ''}; it will check ${checks.join('; ')}.`,
        data: { taskId: ctx.task.id, signal: signalName, deadline: open?.deadline ?? null },
      });
      if (!ctx.sources.configured || !r.watchList.enabled) return;
      await ctx.sources.refresh({ heartbeat: () => ctx.heartbeat() });
      // Day-0 notes: watch-list entries the sources hold, so the wake run (days later,
      // in a new session) remembers them even before it searches again.
      // Entries, not rules: numbered policy clauses and headings that mention the list are skipped.
      const isEntry = (l: string) => !/^\s*(#|\d+(\.\d+)*\.?\s)/.test(l) && r.watchList.markers.some((m) => l.toLowerCase().includes(m.toLowerCase()));
      const marked = await ctx.sources.findLines(r.watchList.markers.join(' '), isEntry, 10);
      for (const c of marked.slice(0, 5)) {
        ctx.memory.record({ kind: 'fact', text: `Watch-list entry in the sources: "${clip(c.snippet, 200)}" (${citationRef(c)})`, data: { taskId: ctx.task.id, citation: c } });
      }
    },
  };
}

async function file(ctx: RoleContext, rules: ComplianceRules, o: { complete: boolean; signalName: string; deadline: number }): Promise<Outcome> {
  if (ctx.sources.configured) await ctx.sources.refresh({ heartbeat: () => ctx.heartbeat(), signal: ctx.abort });
  const evidence: Evidence = await readEvidence(ctx, o.complete ? ctx.signals.filter((s) => s.name === o.signalName) : [], rules.evidenceMapping);
  await ctx.heartbeat();
  const screening: Screening | null = rules.watchList.enabled ? await loadScreening(rules, ctx.sources) : null;
  const findings = ctx.memory.findings;
  const checks: CheckResult = await runChecks(rules, evidence, findings, ctx.sources, screening);
  const flags = checks.flags;
  await ctx.heartbeat();
  const missing = o.complete
    ? []
    : [
        `Signal \`${o.signalName}\` — not received by the deadline (${iso(o.deadline)}).`,
        `Checks that need it did not run: ${[
          rules.largeTransaction.enabled && 'large transactions',
          rules.watchList.enabled && "the evidence's counterparties against the watch lists",
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
      prompt: `Subject: ${ctx.investigation.subject}\nObjective: ${ctx.investigation.objective}\nReport complete: ${o.complete}\n${o.complete ? '' : `Missing: ${missing.join(' ')}\n`}Transactions: ${evidence.transactions.length} read, ${checks.checked} checked, ${checks.unchecked.length} unchecked\nFlags:\n${
        flags.slice(0, 100).map((f, i) => `${i + 1}. ${RULE_TITLES[f.rule]}: ${f.text}`).join('\n') || '(none)'
      }`,
      maxTokens: 400,
    },
    plain,
  );
  const consulted = (await ctx.sources.documents()).filter((x) => x.status === 'indexed').map((x) => x.display);
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
    rules,
    screening,
    checks,
    conclusion: prose.text,
    missing,
  });
  const summary = o.complete
    ? `${flags.length} flag(s) on ${ctx.investigation.subject}${flags.length ? `: ${flagCounts(flags)}` : ''}; ${evidence.transactions.length} transaction(s) read, ${checks.unchecked.length} unchecked.`
    : `Escalation: "${o.signalName}" did not arrive by ${iso(o.deadline)}; incomplete report filed.`;
  const report: ReportDraft = {
    title: `${o.complete ? 'Compliance report' : 'Incomplete compliance report'}: ${ctx.investigation.subject}`,
    markdown,
    complete: o.complete,
    summary,
  };
  for (const f of flags.slice(0, MAX_FLAG_EVENTS)) {
    ctx.memory.record({
      kind: 'finding',
      text: `Compliance flag (${RULE_TITLES[f.rule]}): ${f.text}${f.citation ? ` (${citationRef(f.citation)})` : ''}`,
      data: { taskId: ctx.task.id, rule: f.rule, transaction: f.transaction, evidence: f.evidence, citation: f.citation, ruleSource: f.ruleSource },
    });
  }
  const result = {
    summary,
    complete: o.complete,
    transactions: { read: evidence.transactions.length, checked: checks.checked, unchecked: checks.unchecked.length },
    flagCount: flags.length,
    flags: flags.slice(0, MAX_RESULT_ITEMS),
    unchecked: checks.unchecked.slice(0, MAX_RESULT_ITEMS),
    evidence: evidence.items.map((i) => ({ signalId: i.signalId, attachment: i.attachment, format: i.format, transactions: i.transactions.length, mapping: i.mapping, unreadable: i.unreadable, notes: i.notes })),
    watchLists: screening?.lists ?? [],
    evidenceSignals: evidence.signals.map((s) => s.id),
    conclusionBy: prose.by,
  };
  return o.complete ? completed(result, summary, report) : timedOut(report, missing);
}

/** Remembered facts that bear on a flag (they name its counterparty or its citation) first: the Day-0 context that matters. */
function factsFirst(facts: readonly MemoryRecord[], flags: Flag[]): MemoryRecord[] {
  const keys = [...new Set(flags.flatMap((f) => [f.citation ? normalizeName(citationRef(f.citation)).text : '', normalizeName(f.transaction?.counterparty ?? '').text]).filter(Boolean))].slice(0, 200);
  const bears = (r: MemoryRecord) => {
    const text = normalizeName(r.text).text;
    return keys.some((k) => text.includes(k));
  };
  return [...facts.filter(bears), ...facts.filter((r) => !bears(r))];
}

function flagCounts(flags: Flag[]): string {
  const m = new Map<string, number>();
  for (const f of flags) m.set(RULE_TITLES[f.rule].toLowerCase(), (m.get(RULE_TITLES[f.rule].toLowerCase()) ?? 0) + 1);
  return [...m].map(([k, v]) => `${v} ${k}`).join(', ');
}
