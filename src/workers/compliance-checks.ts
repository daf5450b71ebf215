import type { MemoryEvent } from '../domain/event.js';
import type { Signal } from '../domain/task.js';
import type { ComplianceRules } from './compliance-rules.js';
import type { Citation, Sources } from './sources/library.js';

/** One transaction of the evidence, with where it came from. */
export interface EvidenceTransaction {
  signalId: string;
  path: string;
  amount: number;
  currency: string | null;
  counterparty: string | null;
  date: string | null;
}

export interface Evidence {
  signals: Signal[];
  transactions: EvidenceTransaction[];
  /** Null when no signal listed documents at all. */
  documents: string[] | null;
  accounts: string[];
}

export type FlagRule = 'large_transaction' | 'watch_list' | 'missing_document';

export interface Flag {
  rule: FlagRule;
  text: string;
  /** Where in the evidence (signal id and JSON path), when the flag comes from it. */
  evidence: { signalId: string; path: string } | null;
  /** The source passage the flag rests on (policy line, watch-list entry, finding). */
  citation: Citation | null;
}

/**
 * Reads evidence payloads leniently: `transactions` (or `payments`) with `amount`
 * (number or numeric string), `currency`, `counterparty` (or `payee`, `beneficiary`,
 * `name`), `date`; `documents` as strings or `{type|name}` objects.
 */
export function readEvidence(signals: readonly Signal[]): Evidence {
  const ev: Evidence = { signals: [...signals], transactions: [], documents: null, accounts: [] };
  for (const s of signals) {
    const p = (s.payload && typeof s.payload === 'object' ? s.payload : {}) as Record<string, unknown>;
    const currency = typeof p.currency === 'string' ? p.currency : null;
    if (typeof p.account === 'string') ev.accounts.push(p.account);
    const list = Array.isArray(p.transactions) ? p.transactions : Array.isArray(p.payments) ? p.payments : [];
    const key = Array.isArray(p.transactions) ? 'transactions' : 'payments';
    list.forEach((t, i) => {
      if (!t || typeof t !== 'object') return;
      const o = t as Record<string, unknown>;
      const amount = typeof o.amount === 'number' ? o.amount : typeof o.amount === 'string' ? Number(o.amount.replace(/[,\s]/g, '')) : NaN;
      if (!Number.isFinite(amount)) return;
      const cp = [o.counterparty, o.payee, o.beneficiary, o.name].find((x) => typeof x === 'string') as string | undefined;
      ev.transactions.push({
        signalId: s.id,
        path: `${key}[${i}]`,
        amount,
        currency: typeof o.currency === 'string' ? o.currency : currency,
        counterparty: cp ?? null,
        date: typeof o.date === 'string' ? o.date : null,
      });
    });
    if (Array.isArray(p.documents)) {
      ev.documents ??= [];
      for (const d of p.documents) {
        const name = typeof d === 'string' ? d : d && typeof d === 'object' ? ((d as Record<string, unknown>).type ?? (d as Record<string, unknown>).name) : null;
        if (typeof name === 'string') ev.documents.push(name);
      }
    }
  }
  return ev;
}

const LEGAL = /\b(ltd|limited|inc|incorporated|llc|gmbh|ag|sa|s\.a|plc|corp|corporation|co|bv|nv|sarl|srl)\b\.?/g;
/** A name reduced for matching: lower-case words without legal suffixes (`Globex Holdings Ltd.` → `globex holdings`). */
export const normName = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .replace(LEGAL, ' ')
    .replace(/\s+/g, ' ')
    .trim();

const hasMarker = (line: string, markers: readonly string[]) => {
  const low = line.toLowerCase();
  return markers.some((m) => low.includes(m.toLowerCase()));
};

const isEntry = (line: string, markers: readonly string[]) => markers.some((m) => new RegExp(`[:,;]\\s*${m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'i').test(line));

const money = (n: number, cur: string | null) => `${cur ? cur + ' ' : ''}${n.toLocaleString('en-US', { maximumFractionDigits: 2 })}`;

/** The policy line a rule's flags cite: the best line of the best passage that holds `prefer`, else its best line. */
async function policyCitation(sources: Sources, query: string, prefer: (line: string) => boolean): Promise<Citation | null> {
  const preferred = await sources.findLines(query, prefer, 5);
  if (preferred[0]) return preferred[0];
  return (await sources.search(query, 1))[0] ?? null;
}

/**
 * Checks evidence and the investigation's findings against the rules. Returns the
 * flags in rule order; every flag cites a source line when the sources hold one.
 */
export async function runChecks(rules: ComplianceRules, evidence: Evidence, findings: readonly MemoryEvent[], sources: Sources): Promise<Flag[]> {
  const flags: Flag[] = [];
  const lt = rules.largeTransaction;
  if (lt.enabled) {
    const t = lt.threshold;
    const variants = [String(t), t.toLocaleString('en-US'), t.toLocaleString('de-DE')];
    const policy = await policyCitation(sources, `${lt.policyQuery} ${t}`, (l) => variants.some((v) => l.includes(v)));
    for (const x of evidence.transactions) {
      const sameCurrency = !lt.currency || !x.currency || x.currency.toUpperCase() === lt.currency.toUpperCase();
      if (!sameCurrency || x.amount <= t) continue;
      flags.push({
        rule: 'large_transaction',
        text: `${money(x.amount, x.currency)}${x.counterparty ? ` to ${x.counterparty}` : ''}${x.date ? ` on ${x.date}` : ''} is above the ${money(t, lt.currency)} threshold.`,
        evidence: { signalId: x.signalId, path: x.path },
        citation: policy,
      });
    }
  }
  const wl = rules.watchList;
  if (wl.enabled) {
    const listed = new Set(wl.names.map(normName));
    const seen = new Set<string>();
    for (const x of evidence.transactions) {
      if (!x.counterparty) continue;
      const name = normName(x.counterparty);
      if (!name || seen.has(name)) continue;
      seen.add(name);
      const lines = (await sources.findLines(x.counterparty, (l) => normName(l).includes(name) && hasMarker(l, wl.markers), 10))
        // A list entry (`status: watch list`) is the better citation than prose that mentions the list.
        .sort((a, b) => Number(isEntry(b.snippet, wl.markers)) - Number(isEntry(a.snippet, wl.markers)));
      if (lines.length || listed.has(name)) {
        flags.push({
          rule: 'watch_list',
          text: `Counterparty ${x.counterparty} is on the watch list${lines.length ? '' : ' (rules file)'}.`,
          evidence: { signalId: x.signalId, path: `${x.path}.counterparty` },
          citation: lines[0] ?? null,
        });
      }
    }
    // Findings of the retrieval worker that are watch-list entries (`status: watch list`),
    // not prose about the list (a policy clause that mentions it flags nobody).
    for (const f of findings) {
      const c = citationOf(f);
      if (!c || !isEntry(c.snippet, wl.markers)) continue;
      if (flags.some((g) => g.citation && g.citation.file === c.file && g.citation.startLine === c.startLine)) continue;
      flags.push({ rule: 'watch_list', text: `A retrieval finding names a watch-listed party: "${c.snippet}".`, evidence: null, citation: c });
    }
  }
  const rd = rules.requiredDocuments;
  // Without evidence there is nothing to check documents against: the escalation names it as missing.
  if (rd.enabled && rd.documents.length && evidence.signals.length) {
    const have = new Set((evidence.documents ?? []).map(docKey));
    for (const doc of rd.documents) {
      if (have.has(docKey(doc))) continue;
      const words = doc.replace(/[_-]+/g, ' ');
      const policy = await policyCitation(sources, `${rd.policyQuery} ${words}`, (l) => l.toLowerCase().includes(words.toLowerCase()) || l.includes(doc));
      flags.push({
        rule: 'missing_document',
        text: evidence.documents === null ? `Required document "${doc}" cannot be confirmed: the evidence lists no documents.` : `Required document "${doc}" is missing from the evidence.`,
        evidence: null,
        citation: policy,
      });
    }
  }
  return flags;
}

const docKey = (d: string) => d.toLowerCase().replace(/[\s_-]+/g, '_');

/** The citation a retrieval finding event carries, if any. */
export function citationOf(e: MemoryEvent): Citation | null {
  const c = (e.data as { citation?: Citation } | null)?.citation;
  return c && typeof c.file === 'string' && typeof c.startLine === 'number' ? c : null;
}

export const RULE_TITLES: Record<FlagRule, string> = {
  large_transaction: 'Large transaction',
  watch_list: 'Watch list',
  missing_document: 'Missing document',
};
