import { Lru } from '../../lru.js';
import { DEFAULT_NAME_THRESHOLD, freeTokens, judgeNames, normalizeName, tokensAlike, type NormalizedName } from './names.js';
import type { WatchListEntry } from './watch-list.js';

/** One watch-list entry a screened name matches. */
export interface ScreeningHit {
  entry: WatchListEntry;
  score: number;
  why: string;
}

/**
 * The longest token the deletion neighbourhood covers. Two tokens are typo-alike only
 * if fuzz.ratio ≥ 88, i.e. their indel distance d ≤ (n + m) / 8; reaching their
 * longest common subsequence then takes at most ⌊2n/9⌋ deletions from a token of n
 * letters — 1 up to 8 letters, 2 up to 13. Longer tokens would need 3+ deletions and
 * hundreds of variants each, so they are compared directly (they are few).
 */
const MAX_NEIGHBOURHOOD = 13;

/** Every string `t` becomes by deleting up to `k` of its characters, itself included. */
function deletions(t: string, k: number, out: Set<string> = new Set()): Set<string> {
  out.add(t);
  if (k === 0) return out;
  for (let i = 0; i < t.length; i++) {
    const d = t.slice(0, i) + t.slice(i + 1);
    if (!out.has(d)) deletions(d, k - 1, out);
  }
  return out;
}
const maxDeletions = (n: number) => Math.floor((2 * n) / 9);

/**
 * A watch list ready for fast screening. Gives exactly the matches of running
 * `matchName` against every entry, while judging only a few candidates per name:
 *
 * - An inverted index maps each token to the entries holding it, and a deletion
 *   neighbourhood (SymSpell style) finds the listed tokens typo-alike to a screened
 *   token without comparing it to the whole vocabulary. A screened token thus pairs
 *   with a set of listed tokens; together they are the tokens the name can pair.
 * - A match needs the shorter name's every token paired (see `matchName`). If the
 *   screened name is the shorter, the entry holds a pair of each of its tokens, so
 *   the postings of its rarest token's pairs hold every such entry. If the entry is
 *   the shorter, all its tokens are pairable, its rarest one among them: each entry
 *   is filed once more under its rarest token, and only the files of pairable tokens
 *   are read. Frequent words (`holdings`, `trading`) are thus never walked for
 *   entries that have a rarer word.
 * - Each candidate is then checked by counting, on its few token ids, what the word
 *   checks of `matchName` need (every token of the shorter pairable, at most one
 *   distinctive extra), and only the survivors are judged by `matchName`'s rules.
 *
 * Immutable after construction apart from scratch arrays and a cache of typo
 * look-ups; `screen` is synchronous, so calls never interleave.
 */
export class WatchListIndex {
  readonly entries: readonly WatchListEntry[];
  private readonly vocabulary = new Map<string, number>();
  private readonly words: string[] = [];
  /** Per token id: the entries holding it. */
  private readonly postings: number[][] = [];
  /** Per token id: the entries whose rarest token it is. */
  private readonly rarestOf: number[][] = [];
  private readonly neighbours = new Map<string, number[]>();
  /** Every token id by length, for the long tokens the neighbourhood leaves out. */
  private readonly byLength = new Map<number, number[]>();
  /** Entry i's distinct tokens: ids × 2, + 1 when distinctive, at `tokens[start[i]] … tokens[start[i + 1] - 1]`. */
  private readonly tokens: Int32Array;
  private readonly start: Int32Array;
  private readonly distinctiveCount: Int32Array;
  private readonly typoCache = new Lru<string, number[]>(20_000);
  /** Which screening last considered an entry: each is judged once per screening. */
  private readonly seen: Int32Array;
  private serial = 0;

  constructor(entries: readonly WatchListEntry[]) {
    this.entries = entries;
    const n = entries.length;
    this.start = new Int32Array(n + 1);
    this.distinctiveCount = new Int32Array(n);
    this.seen = new Int32Array(n);
    const flat: number[] = [];
    entries.forEach((e, i) => {
      this.start[i] = flat.length;
      const free = freeTokens(e.normalized);
      for (const t of new Set(e.normalized.tokens)) {
        const distinctive = !free.has(t);
        const id = this.tokenId(t);
        if (distinctive) this.distinctiveCount[i]! += 1;
        this.postings[id]!.push(i);
        flat.push(id * 2 + (distinctive ? 1 : 0));
      }
    });
    this.start[n] = flat.length;
    this.tokens = Int32Array.from(flat);
    for (let i = 0; i < n; i++) {
      let rarest = -1;
      for (let k = this.start[i]!; k < this.start[i + 1]!; k++) {
        const id = this.tokens[k]! >> 1;
        if (rarest < 0 || this.postings[id]!.length < this.postings[rarest]!.length) rarest = id;
      }
      if (rarest >= 0) this.rarestOf[rarest]!.push(i);
    }
  }

  private tokenId(t: string): number {
    let id = this.vocabulary.get(t);
    if (id !== undefined) return id;
    id = this.words.length;
    this.vocabulary.set(t, id);
    this.words.push(t);
    this.postings.push([]);
    this.rarestOf.push([]);
    const bucket = this.byLength.get(t.length) ?? [];
    bucket.push(id);
    this.byLength.set(t.length, bucket);
    if (t.length <= MAX_NEIGHBOURHOOD) {
      for (const d of deletions(t, maxDeletions(t.length))) {
        const list = this.neighbours.get(d);
        if (list) list.push(id);
        else this.neighbours.set(d, [id]);
      }
    }
    return id;
  }

  /** Ids of the listed tokens equal or typo-alike to `t`. */
  private pairedTokens(t: string): number[] {
    const cached = this.typoCache.get(t);
    if (cached) return cached;
    const found = new Set<number>();
    const exact = this.vocabulary.get(t);
    if (exact !== undefined) found.add(exact);
    const consider = (id: number) => {
      if (!found.has(id) && tokensAlike(t, this.words[id]!)) found.add(id);
    };
    if (t.length <= MAX_NEIGHBOURHOOD) {
      for (const d of deletions(t, maxDeletions(t.length))) for (const id of this.neighbours.get(d) ?? []) consider(id);
    }
    // Pairs beyond the neighbourhood: lengths within 7/9 … 9/7 of each other, one of them long.
    const lo = Math.ceil((7 * t.length) / 9);
    const hi = Math.floor((9 * t.length) / 7);
    for (let len = lo; len <= hi; len++) {
      if (t.length <= MAX_NEIGHBOURHOOD && len <= MAX_NEIGHBOURHOOD) continue;
      for (const id of this.byLength.get(len) ?? []) consider(id);
    }
    const ids = [...found];
    this.typoCache.set(t, ids);
    return ids;
  }

  /**
   * The entries `name` matches (as {@link matchName} with `threshold`, default 90),
   * best score first, ties in list order.
   */
  screen(name: string | NormalizedName, threshold = DEFAULT_NAME_THRESHOLD): ScreeningHit[] {
    const query = typeof name === 'string' ? normalizeName(name) : name;
    const queryFree = freeTokens(query);
    const pairable = [...new Set(query.tokens)].map((t) => {
      const ids = this.pairedTokens(t);
      let size = 0;
      for (const id of ids) size += this.postings[id]!.length;
      return { ids: new Set(ids), distinctive: !queryFree.has(t), size };
    });
    if (!pairable.length) return [];
    const queryDistinctive = pairable.filter((q) => q.distinctive).length;
    const anyPairable = new Set(pairable.flatMap((q) => [...q.ids]));

    if (this.serial >= 2 ** 30) {
      this.seen.fill(0);
      this.serial = 0;
    }
    const serial = ++this.serial;
    const hits: Array<ScreeningHit & { at: number }> = [];
    const consider = (e: number) => {
      if (this.seen[e] === serial) return;
      this.seen[e] = serial;
      if (!this.mayMatch(e, pairable, queryDistinctive, anyPairable)) return;
      const entry = this.entries[e]!;
      const m = judgeNames(query, entry.normalized, threshold, false);
      if (m.matched) hits.push({ entry, score: m.score, why: m.why, at: e });
    };
    // The screened name is the shorter: candidates hold a pair of its rarest token.
    const rarest = pairable.reduce((a, b) => (b.size < a.size ? b : a));
    for (const id of rarest.ids) for (const e of this.postings[id]!) consider(e);
    // The entry is the shorter: its rarest token is pairable.
    for (const id of anyPairable) for (const e of this.rarestOf[id]!) consider(e);

    hits.sort((a, b) => b.score - a.score || a.at - b.at);
    return hits.map(({ entry, score, why }) => ({ entry, score, why }));
  }

  /**
   * The word checks of `matchName`, counted on token ids, for either name as the
   * shorter: all its tokens pairable, and the other's distinctive tokens without a
   * pair no more than allowed. Necessary for a match, not sufficient: pairing is
   * one-to-one and the tie-break on equal length is left to `judgeNames`.
   */
  private mayMatch(e: number, pairable: ReadonlyArray<{ ids: ReadonlySet<number>; distinctive: boolean }>, queryDistinctive: number, anyPairable: ReadonlySet<number>): boolean {
    const from = this.start[e]!;
    const to = this.start[e + 1]!;
    let entryPaired = 0;
    let entryPairedDistinctive = 0;
    for (let k = from; k < to; k++) {
      if (!anyPairable.has(this.tokens[k]! >> 1)) continue;
      entryPaired += 1;
      entryPairedDistinctive += this.tokens[k]! & 1;
    }
    let queryPaired = 0;
    let queryPairedDistinctive = 0;
    for (const q of pairable) {
      let paired = false;
      for (let k = from; k < to && !paired; k++) paired = q.ids.has(this.tokens[k]! >> 1);
      if (!paired) continue;
      queryPaired += 1;
      if (q.distinctive) queryPairedDistinctive += 1;
    }
    const queryAll = queryPaired === pairable.length;
    const entryAll = entryPaired === to - from;
    const entryDistinctive = this.distinctiveCount[e]!;
    const entryShorter = entryAll && (entryDistinctive === 0 ? queryAll : queryDistinctive - queryPairedDistinctive <= (entryDistinctive >= 3 ? 1 : 0));
    const queryShorter = queryAll && (queryDistinctive === 0 ? entryAll : entryDistinctive - entryPairedDistinctive <= (queryDistinctive >= 3 ? 1 : 0));
    return entryShorter || queryShorter;
  }
}
