import type { MemoryEvent } from '../../domain/event.js';
import type { EvidenceLocation, Transaction } from '../evidence/types.js';
import { cite, citationRef, clipSnippet, type Citation } from '../sources/citation.js';
import { lineOf } from '../../store/source-index.js';
import type { Sources } from '../sources/library.js';
import type { Evidence } from './evidence.js';
import { normalizeName } from './names.js';
import { convert } from './rates.js';
import { maxRateAgeDays, type ComplianceRules } from './rules.js';
import { entrySource, type Screening } from './screening.js';
import type { ScreeningHit } from './watch-list-index.js';
import { policyCitation, thresholdsInForce, type Threshold } from './thresholds.js';

export type FlagRule = 'large_transaction' | 'watch_list' | 'missing_document' | 'needs_review' | 'evidence_unreadable';

/** A transaction as flags and the report name it. */
export interface TxRef {
  id: string;
  date: string | null;
  counterparty: string | null;
  amount: number | null;
  currency: string | null;
  direction: Transaction['direction'];
  location: EvidenceLocation;
}

export interface Flag {
  rule: FlagRule;
  text: string;
  /** The transaction it concerns, when it concerns one. */
  transaction: TxRef | null;
  /** Where in the evidence (signal, attachment, row or entry), when it comes from the evidence. */
  evidence: EvidenceLocation | null;
  /** What the rule rests on: a policy line, a watch-list entry, a finding; null when only the rules file says so. */
  citation: Citation | null;
  /** The rule's source, written out: `rules file: largeTransaction (EUR 10,000)`, `docs/lists/watch.csv:4`. */
  ruleSource: string;
}

export interface Unchecked {
  transaction: TxRef;
  /** Why a rule could not be applied to it, one line per rule. */
  reasons: string[];
}

export interface CheckResult {
  flags: Flag[];
  unchecked: Unchecked[];
  /** Transactions every rule was applied to. */
  checked: number;
  thresholds: Threshold[];
}

/** The order flags are listed in: what makes the evidence unusable, then the rules by weight. */
export const RULE_ORDER: readonly FlagRule[] = ['evidence_unreadable', 'watch_list', 'large_transaction', 'missing_document', 'needs_review'];

export const RULE_TITLES: Record<FlagRule, string> = {
  large_transaction: 'Large transaction',
  watch_list: 'Watch list',
  missing_document: 'Missing document',
  needs_review: 'Needs review',
  evidence_unreadable: 'Evidence unreadable',
};

// One formatter: toLocaleString builds a new Intl.NumberFormat on every call (≈30 µs), and a statement has thousands of amounts.
const AMOUNT = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
export const money = (n: number, cur: string | null) => `${cur ? cur + ' ' : ''}${AMOUNT.format(n)}`;
export const txRef = (t: Transaction): TxRef => ({ id: t.id, date: t.date, counterparty: t.counterparty, amount: t.amount, currency: t.currency, direction: t.direction, location: t.location });
/** `USD 620,000.00 to Orion Shell Holdings Ltd on 2026-11-03`: a transaction in one phrase. */
export const describeTx = (t: TxRef) =>
  `${t.amount === null ? 'an unreadable amount' : money(t.amount, t.currency)}${t.counterparty ? ` ${t.direction === 'credit' ? 'from' : 'to'} ${t.counterparty}` : ''}${t.date ? ` on ${t.date}` : ''}`;
/** `sig_…` `statement.csv` `row 14`: where a transaction sits. */
export const whereIs = (l: EvidenceLocation) => `${l.signalId} ${l.attachment ?? 'payload'} ${l.locator}${l.line ? ` (line ${l.line})` : ''}`;

/**
 * Checks the evidence and the investigation's findings against the rules. Every
 * transaction ends flagged, checked, or listed as unchecked with the reason for each
 * rule that could not be applied — and anything left unchecked, any evidence item
 * that could not be read and any watch list that could not be looked at raise a
 * "needs review" or "evidence unreadable" flag, so a report is never clean because
 * nothing could be looked at.
 */
export async function runChecks(rules: ComplianceRules, evidence: Evidence, findings: readonly MemoryEvent[], sources: Sources, screening: Screening | null): Promise<CheckResult> {
  const flags: Flag[] = [];
  const unchecked: Unchecked[] = [];
  let checked = 0;
  const thresholds = rules.largeTransaction.enabled ? await thresholdsInForce(rules, sources) : [];
  const wl = rules.watchList;
  const maxAge = maxRateAgeDays(rules);
  const markers = new MarkerLines(sources, wl.markers);
  // A statement names the same counterparties again and again: each is screened once.
  const screened = new Map<string, ScreeningHit | null>();
  const noRate = new Map<string, Map<string, TxRef>>();
  const base = rules.currency.base;

  for (const it of evidence.items) {
    if (!it.unreadable) continue;
    flags.push({
      rule: 'evidence_unreadable',
      text: `Evidence unreadable: ${it.attachment ? `attachment "${it.attachment}"` : 'the JSON payload'} of ${it.signalId} — ${it.unreadable.reason}${it.unreadable.fieldsSeen.length ? `; fields seen: ${it.unreadable.fieldsSeen.slice(0, 20).join(', ')}` : ''}. Map its fields with "evidenceMapping" in the rules file, or deliver it as CSV, camt.053 or JSON.`,
      transaction: null,
      evidence: { signalId: it.signalId, attachment: it.attachment, locator: it.format, line: null },
      citation: null,
      ruleSource: 'evidence intake',
    });
  }
  if (evidence.signals.length && !evidence.transactions.length && !flags.length) {
    const seen = evidence.items.flatMap((i) => Object.keys(i.transactions[0]?.raw ?? {}));
    flags.push({
      rule: 'evidence_unreadable',
      text: `Evidence unreadable: no transaction could be read from ${evidence.signals.map((s) => s.id).join(', ')} (${evidence.items.map((i) => `${i.attachment ?? 'payload'}: ${i.format}`).join('; ') || 'nothing delivered'}${seen.length ? `; fields seen: ${seen.join(', ')}` : ''}). The transactions were not checked.`,
      transaction: null,
      evidence: null,
      citation: null,
      ruleSource: 'evidence intake',
    });
  }

  for (const t of evidence.transactions) {
    const ref = txRef(t);
    const reasons = new Set<string>();
    if (rules.largeTransaction.enabled) {
      for (const th of thresholds.filter((x) => x.kind === 'single')) {
        const r = compare(t, th, base, rules, maxAge);
        if (r.kind === 'unchecked') {
          reasons.add(r.reason);
          if (r.noRate) noRate.set(r.noRate, (noRate.get(r.noRate) ?? new Map()).set(ref.id, ref));
        } else if (r.kind === 'above') {
          flags.push({
            rule: 'large_transaction',
            text: `${cap(describeTx(ref))} is above the ${th.label} threshold${r.note ? ` (${r.note})` : ''}.`,
            transaction: ref,
            evidence: t.location,
            citation: th.citation,
            ruleSource: th.source,
          });
        }
      }
    }
    if (wl.enabled && screening) {
      if (!t.counterparty && t.description && screening.canScreen) {
        // No payee field: the payee is in the description (many exports put it there).
        const named = screening.phrases.find(t.description)[0];
        if (named) {
          flags.push({
            rule: 'watch_list',
            text: `${cap(describeTx(ref))}: its description ("${t.description.slice(0, 120)}") names the watch-list entry "${named.name}".`,
            transaction: ref,
            evidence: t.location,
            citation: (named.citation as Citation | null) ?? null,
            ruleSource: entrySource(named),
          });
        }
      } else if (!t.counterparty) reasons.add('no counterparty recognised — not screened against the watch list');
      else if (!screening.canScreen) reasons.add('no watch list is available (watchList.lists, watchList.names or sources) — not screened');
      else {
        let hit = screened.get(t.counterparty);
        if (hit === undefined) screened.set(t.counterparty, (hit = screening.index.screen(t.counterparty, wl.minScore)[0] ?? null));
        const marker = hit ? null : await markers.find(t.counterparty);
        if (hit) {
          flags.push({
            rule: 'watch_list',
            text: `${cap(describeTx(ref))}: the counterparty matches the watch-list entry "${hit.entry.name}" (similarity ${hit.score}; ${hit.why}).`,
            transaction: ref,
            evidence: t.location,
            citation: (hit.entry.citation as Citation | null) ?? null,
            ruleSource: entrySource(hit.entry),
          });
        } else if (marker) {
          flags.push({ rule: 'watch_list', text: `${cap(describeTx(ref))}: the counterparty is named on a watch-list line of the sources.`, transaction: ref, evidence: t.location, citation: marker, ruleSource: citationRef(marker) });
        }
      }
    }
    if (reasons.size) unchecked.push({ transaction: ref, reasons: [...reasons] });
    else checked++;
  }

  for (const th of thresholds.filter((x) => x.kind === 'aggregate')) flags.push(...aggregateFlags(evidence.transactions, th, base, rules, maxAge));

  for (const [currency, byId] of noRate) {
    const txs = [...byId.values()];
    flags.push({
      rule: 'needs_review',
      text: `${txs.length} transaction(s) in ${currency} could not be compared with the thresholds: no usable ${currency}→${base} rate (add a dated rate to currency.rates or currency.ratesFile). First: ${describeTx(txs[0]!)}. All are listed under "Unchecked".`,
      transaction: txs[0]!,
      evidence: txs[0]!.location,
      citation: null,
      ruleSource: 'rules file: currency',
    });
  }
  const otherUnchecked = unchecked.filter((u) => !u.reasons.every((r) => /rate/.test(r)));
  if (otherUnchecked.length) {
    flags.push({
      rule: 'needs_review',
      text: `${otherUnchecked.length} transaction(s) could not be checked against every rule (${[...new Set(otherUnchecked.flatMap((u) => u.reasons))].slice(0, 4).join('; ')}). First: ${describeTx(otherUnchecked[0]!.transaction)}. All are listed under "Unchecked".`,
      transaction: otherUnchecked[0]!.transaction,
      evidence: otherUnchecked[0]!.transaction.location,
      citation: null,
      ruleSource: 'evidence intake',
    });
  }
  if (wl.enabled && screening) {
    for (const l of screening.lists.filter((x) => x.problem && x.entries === 0)) {
      flags.push({ rule: 'needs_review', text: `Watch list "${l.ref}" could not be read: ${l.problem}. Counterparties were not screened against it.`, transaction: null, evidence: null, citation: null, ruleSource: `watchList (${l.by})` });
    }
    flags.push(...findingFlags(findings, wl.markers, flags));
  }
  if (rules.requiredDocuments.enabled) flags.push(...(await documentFlags(rules, evidence, sources)));
  // Grouped by rule, most serious first; within a rule, in evidence order (a stable sort).
  flags.sort((a, b) => RULE_ORDER.indexOf(a.rule) - RULE_ORDER.indexOf(b.rule));
  return { flags, unchecked, checked, thresholds };
}

type Comparison = { kind: 'above' | 'below'; note?: string } | { kind: 'unchecked'; reason: string; noRate?: string };

/** Compares a transaction with a threshold, converting both into the base currency at the transaction's date. */
function compare(t: Transaction, th: Threshold, base: string, rules: ComplianceRules, maxAgeDays: number): Comparison {
  if (t.amount === null) return { kind: 'unchecked', reason: `amount unreadable (${t.problems.find((p) => /amount/i.test(p)) ?? 'no amount field'}) — thresholds not applied` };
  if (!th.currency) return { kind: t.amount > th.amount ? 'above' : 'below' };
  if (!t.currency) return { kind: 'unchecked', reason: 'no currency — thresholds not applied' };
  if (t.currency === th.currency) return { kind: t.amount > th.amount ? 'above' : 'below' };
  const a = convert(rules.rateTable, t.amount, t.currency, t.date, { maxAgeDays });
  if (!a.ok) return { kind: 'unchecked', reason: `${a.reason} — thresholds not applied`, noRate: t.currency };
  const b = th.currency === base ? { ok: true as const, value: th.amount, rate: 1, rateDate: '' } : convert(rules.rateTable, th.amount, th.currency, t.date, { maxAgeDays });
  if (!b.ok) return { kind: 'unchecked', reason: `${b.reason} — the ${th.label} threshold not applied`, noRate: th.currency };
  const note = `${money(a.value, base)} at ${a.rate} ${t.currency}→${base}, rate of ${a.rateDate}${a.note ? `; ${a.note}` : ''}`;
  return { kind: a.value > b.value ? 'above' : 'below', note };
}

/** Cumulative thresholds ("payments to one counterparty above EUR 500,000 per month"): per counterparty and calendar month. */
function aggregateFlags(txs: readonly Transaction[], th: Threshold, base: string, rules: ComplianceRules, maxAgeDays: number): Flag[] {
  const groups = new Map<string, { sum: number; txs: Transaction[] }>();
  for (const t of txs) {
    if (t.amount === null || !t.counterparty || !t.currency) continue;
    const v = t.currency === base ? t.amount : convert(rules.rateTable, t.amount, t.currency, t.date, { maxAgeDays });
    const value = typeof v === 'number' ? v : v.ok ? v.value : null;
    if (value === null) continue;
    const key = `${normalizeName(t.counterparty).text}|${t.date?.slice(0, 7) ?? 'undated'}`;
    const g = groups.get(key) ?? { sum: 0, txs: [] };
    g.sum += value;
    g.txs.push(t);
    groups.set(key, g);
  }
  const limit = th.currency === base || !th.currency ? th.amount : (() => {
    const c = convert(rules.rateTable, th.amount, th.currency, null, { maxAgeDays: 36_500 });
    return c.ok ? c.value : Infinity;
  })();
  const out: Flag[] = [];
  for (const [key, g] of groups) {
    if (g.txs.length < 2 || g.sum <= limit) continue;
    const first = txRef(g.txs[0]!);
    out.push({
      rule: 'large_transaction',
      text: `${g.txs.length} payments ${first.direction === 'credit' ? 'from' : 'to'} ${first.counterparty} in ${key.split('|')[1]} add up to ${money(g.sum, base)}, above the cumulative ${th.label} threshold.`,
      transaction: first,
      evidence: first.location,
      citation: th.citation,
      ruleSource: th.source,
    });
  }
  return out;
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Chunks read for marker lines at most; more means the sources are full of them, and each counterparty is searched on its own. */
const MARKER_HITS = 1_000;

/**
 * Source lines that name a counterparty together with a watch-list marker (`Globex
 * Holdings Ltd, CY, watch list`), an entry line before prose. The lines holding a marker
 * are read once per check and each counterparty is looked up among them (whole words,
 * after the same normalisation as the screening) — one search instead of one per
 * counterparty. If the marker search is saturated, each counterparty is searched.
 */
class MarkerLines {
  private lines: Array<{ citation: Citation; text: string; entry: boolean }> | null = null;
  private saturated = false;
  private readonly cache = new Map<string, Citation | null>();
  private readonly lower: string[];

  constructor(
    private readonly sources: Sources,
    private readonly markers: readonly string[],
  ) {
    this.lower = markers.map((m) => m.toLowerCase());
  }

  private hasMarker(line: string): boolean {
    const low = line.toLowerCase();
    return this.lower.some((m) => low.includes(m));
  }

  async find(counterparty: string): Promise<Citation | null> {
    const name = normalizeName(counterparty).text;
    if (!name || !this.sources.configured) return null;
    if (this.cache.has(name)) return this.cache.get(name)!;
    const padded = ` ${name} `;
    let found: Array<{ citation: Citation; entry: boolean }>;
    if (!this.lines) await this.load();
    if (this.saturated) {
      found = (await this.sources.findLines(counterparty, (l) => this.hasMarker(l) && ` ${normalizeName(l).text} `.includes(padded), 10)).map((c) => ({ citation: c, entry: isEntry(c.snippet, this.markers) }));
    } else found = this.lines!.filter((l) => l.text.includes(padded));
    const best = found.find((f) => f.entry) ?? found[0];
    this.cache.set(name, best?.citation ?? null);
    return best?.citation ?? null;
  }

  private async load(): Promise<void> {
    const hits = await this.sources.hits(this.markers.join(' '), MARKER_HITS);
    this.saturated = hits.length >= MARKER_HITS;
    this.lines = [];
    for (const h of hits) {
      h.text.split('\n').forEach((l, i) => {
        if (!this.hasMarker(l)) return;
        const line = lineOf(h, i);
        const citation: Citation = { source: h.source, file: h.display, startLine: line, endLine: line, page: h.page ?? null, sheet: h.sheet ?? null, row: h.row ? cite(h, '').row : null, snippet: clipSnippet(l.trim()), score: h.score };
        this.lines!.push({ citation, text: ` ${normalizeName(l).text} `, entry: isEntry(l, this.markers) });
      });
    }
  }
}

/** A list entry (`status: watch list`), not prose that mentions the list. */
export const isEntry = (line: string, markers: readonly string[]) => markers.some((m) => entryPattern(m).test(line));
const entryPatterns = new Map<string, RegExp>();
const entryPattern = (m: string) => {
  let re = entryPatterns.get(m);
  if (!re) entryPatterns.set(m, (re = new RegExp(`[:,;]\\s*${m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'i')));
  return re;
};

/** Retrieval findings that are watch-list entries (`status: watch list`), not policy prose about the list. */
function findingFlags(findings: readonly MemoryEvent[], markers: readonly string[], already: readonly Flag[]): Flag[] {
  const out: Flag[] = [];
  for (const f of findings) {
    const c = citationOf(f);
    if (!c || !isEntry(c.snippet, markers)) continue;
    const ref = citationRef(c);
    if ([...already, ...out].some((g) => g.citation && citationRef(g.citation) === ref)) continue;
    out.push({ rule: 'watch_list', text: `A retrieval finding names a watch-listed party: "${c.snippet}".`, transaction: null, evidence: null, citation: c, ruleSource: ref });
  }
  return out;
}

const docKey = (d: string) =>
  d
    .toLowerCase()
    .replace(/\.[a-z0-9]{2,5}$/, '')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');

async function documentFlags(rules: ComplianceRules, evidence: Evidence, sources: Sources): Promise<Flag[]> {
  const rd = rules.requiredDocuments;
  // Without evidence there is nothing to check documents against: the escalation names it as missing.
  if (!rd.documents.length || !evidence.signals.length) return [];
  const have = (evidence.documents ?? []).map(docKey);
  const out: Flag[] = [];
  for (const doc of rd.documents) {
    const k = docKey(doc);
    if (have.some((h) => h === k || h.includes(k))) continue;
    const words = doc.replace(/[_-]+/g, ' ');
    const policy = await policyCitation(sources, `${rd.policyQuery} ${words}`, (l) => l.toLowerCase().includes(words.toLowerCase()) || l.includes(doc));
    out.push({
      rule: 'missing_document',
      text: evidence.documents === null ? `Required document "${doc}" cannot be confirmed: the evidence lists and attaches no documents.` : `Required document "${doc}" is neither listed in nor attached to the evidence.`,
      transaction: null,
      evidence: null,
      citation: policy,
      ruleSource: policy ? citationRef(policy) : 'rules file: requiredDocuments',
    });
  }
  return out;
}

/** The citation a retrieval finding event carries, if any. */
export function citationOf(e: MemoryEvent): Citation | null {
  const c = (e.data as { citation?: Citation } | null)?.citation;
  return c && typeof c.file === 'string' && typeof c.startLine === 'number' ? c : null;
}
