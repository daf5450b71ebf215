import type { MemoryEvent } from '../../domain/event.js';
import { lineOf } from '../../store/source-index.js';
import type { Transaction } from '../evidence/types.js';
import { cite, citationRef, clipSnippet, type Citation } from '../sources/citation.js';
import type { Sources } from '../sources/library.js';
import { cap, describeTx, plain, txRef, type Flag } from './flags.js';
import { normalizeName } from './names.js';
import { entrySource, type Screening } from './screening.js';
import type { ScreeningHit } from './watch-list-index.js';

/** Screened text is cut to this: a 5 MiB "payee" must not stall the worker (screening time grows with the words). */
const MAX_NAME = 200;
const MAX_DESCRIPTION = 500;
/** Chunks read for marker lines at most; more means the sources are full of them, and each counterparty is searched on its own. */
const MARKER_HITS = 1_000;

export type Screened = { flag: Flag | null; reason: string | null; kind: 'counterparty' | 'watch_list' };

/**
 * The watch-list rule for one transaction at a time. A payee is screened against the
 * lists (and source lines that list it beside a marker); the description is searched
 * for listed names too — it is where many exports put the payee, and a payment through
 * an intermediary names the real party there. A payee with no letters (`-`, `***`) is
 * no payee. Without a payee or a description, or without any list to screen against,
 * the transaction is unchecked for this rule, with the reason.
 */
export class WatchChecks {
  private readonly markers: MarkerLines;
  /** A statement names the same counterparties again and again: each is screened once. */
  private readonly screened = new Map<string, ScreeningHit | null>();
  private canScreen: boolean | null = null;

  constructor(
    private readonly screening: Screening,
    sources: Sources,
    markers: readonly string[],
    private readonly minScore: number,
  ) {
    this.markers = new MarkerLines(sources, markers);
  }

  async check(t: Transaction): Promise<Screened> {
    this.canScreen ??= this.screening.index.entries.length > 0 || (await this.markers.available());
    const ref = txRef(t);
    const payee = t.counterparty && normalizeName(t.counterparty.slice(0, MAX_NAME)).tokens.length ? t.counterparty.slice(0, MAX_NAME) : null;
    const description = t.description ? t.description.slice(0, MAX_DESCRIPTION) : null;
    if (!payee && !description) return { flag: null, reason: 'no counterparty recognised — not screened against the watch list', kind: 'counterparty' };
    if (!this.canScreen) return { flag: null, reason: 'no watch list is available (no list file or table, no watchList.names, no source line listing a party) — not screened', kind: 'watch_list' };
    if (payee) {
      let hit = this.screened.get(payee);
      if (hit === undefined) this.screened.set(payee, (hit = this.screening.index.screen(payee, this.minScore)[0] ?? null));
      if (hit) {
        return {
          reason: null,
          kind: 'watch_list',
          flag: {
            rule: 'watch_list',
            text: `${cap(describeTx(ref))}: the counterparty matches the watch-list entry "${plain(hit.entry.name)}" (similarity ${hit.score}; ${hit.why}).`,
            transaction: ref,
            evidence: t.location,
            citation: (hit.entry.citation as Citation | null) ?? null,
            ruleSource: entrySource(hit.entry),
          },
        };
      }
      const marker = await this.markers.find(payee);
      if (marker) {
        return { reason: null, kind: 'watch_list', flag: { rule: 'watch_list', text: `${cap(describeTx(ref))}: the counterparty is listed on a watch-list line of the sources.`, transaction: ref, evidence: t.location, citation: marker, ruleSource: citationRef(marker) } };
      }
    }
    if (description) {
      const named = this.screening.phrases.find(description)[0];
      if (named) {
        return {
          reason: null,
          kind: 'watch_list',
          flag: {
            rule: 'watch_list',
            text: `${cap(describeTx(ref))}: its description ("${plain(description, 120)}") names the watch-list entry "${plain(named.name)}".`,
            transaction: ref,
            evidence: t.location,
            citation: (named.citation as Citation | null) ?? null,
            ruleSource: entrySource(named),
          },
        };
      }
    }
    return { flag: null, reason: null, kind: 'watch_list' };
  }
}

/**
 * Source lines that list a party with a watch-list marker (`Globex Holdings Ltd, CY,
 * watch list`, `status: watch list`) — entries, never prose: "X is not on any watch
 * list" names X beside a marker too. They are read once per check and each
 * counterparty is looked up among them (whole words, after the screening's
 * normalisation): one search instead of one per counterparty. If the marker search is
 * saturated, each counterparty is searched.
 */
class MarkerLines {
  private lines: Array<{ citation: Citation; text: string }> | null = null;
  private saturated = false;
  private readonly cache = new Map<string, Citation | null>();
  private readonly lower: string[];

  constructor(
    private readonly sources: Sources,
    private readonly markers: readonly string[],
  ) {
    this.lower = markers.map((m) => m.toLowerCase());
  }

  /** True when the sources hold any line listing a party. */
  async available(): Promise<boolean> {
    if (!this.sources.configured) return false;
    if (!this.lines) await this.load();
    return this.saturated || this.lines!.length > 0;
  }

  private isEntryLine(line: string): boolean {
    const low = line.toLowerCase();
    return this.lower.some((m) => low.includes(m)) && isEntry(line, this.markers);
  }

  async find(counterparty: string): Promise<Citation | null> {
    const name = normalizeName(counterparty).text;
    if (!name || !(await this.available())) return null;
    if (this.cache.has(name)) return this.cache.get(name)!;
    const padded = ` ${name} `;
    const found = this.saturated
      ? (await this.sources.findLines(counterparty, (l) => this.isEntryLine(l) && ` ${normalizeName(l).text} `.includes(padded), 10))[0]
      : this.lines!.find((l) => l.text.includes(padded))?.citation;
    this.cache.set(name, found ?? null);
    return found ?? null;
  }

  private async load(): Promise<void> {
    const hits = await this.sources.hits(this.markers.join(' '), MARKER_HITS);
    this.saturated = hits.length >= MARKER_HITS;
    this.lines = [];
    for (const h of hits) {
      h.text.split('\n').forEach((l, i) => {
        if (!this.isEntryLine(l)) return;
        const line = lineOf(h, i);
        const citation: Citation = { source: h.source, file: h.display, startLine: line, endLine: line, page: h.page ?? null, sheet: h.sheet ?? null, row: h.row ? cite(h, '').row : null, snippet: clipSnippet(l.trim()), score: h.score };
        this.lines!.push({ citation, text: ` ${normalizeName(l).text} ` });
      });
    }
  }
}

/** A list entry (`status: watch list`, `…, watch list`), not prose that mentions the list. */
export const isEntry = (line: string, markers: readonly string[]) => markers.some((m) => entryPattern(m).test(line));
const entryPatterns = new Map<string, RegExp>();
const entryPattern = (m: string) => {
  let re = entryPatterns.get(m);
  if (!re) entryPatterns.set(m, (re = new RegExp(`[:,;]\\s*${m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'i')));
  return re;
};

/** Retrieval findings that are watch-list entries (`status: watch list`), not policy prose about the list. */
export function findingFlags(findings: readonly MemoryEvent[], markers: readonly string[], already: readonly Flag[]): Flag[] {
  const out: Flag[] = [];
  for (const f of findings) {
    const c = citationOf(f);
    if (!c || !isEntry(c.snippet, markers)) continue;
    const ref = citationRef(c);
    if ([...already, ...out].some((g) => g.citation && citationRef(g.citation) === ref)) continue;
    out.push({ rule: 'watch_list', text: `A retrieval finding names a watch-listed party: "${plain(c.snippet, 200)}".`, transaction: null, evidence: null, citation: c, ruleSource: ref });
  }
  return out;
}

/** The citation a retrieval finding event carries, if any. */
export function citationOf(e: MemoryEvent): Citation | null {
  const c = (e.data as { citation?: Citation } | null)?.citation;
  return c && typeof c.file === 'string' && typeof c.startLine === 'number' ? c : null;
}
