import type { MemoryRecord } from '../domain/record.js';
import type { RecordWrite, TenantStore } from '../store/port.js';
import { derivedRecordId } from './ids.js';
import type { Candidate } from './strategies/types.js';
import { nearDuplicateGroups, nearIdentical, textKey, words } from './text.js';

/** Token-set Jaccard at or above this (with the same numbers) is "the same statement" (a re-worded duplicate). */
export const NEAR_DUPLICATE = 0.9;
/**
 * Candidates checked for a near duplicate, oldest first. A candidate holds a whole group
 * of the text's longest words, so this many are rare outside repeated statements.
 */
const NEAR_CANDIDATES = 50;
/**
 * Below this many distinct words, a near-identical statement (Jaccard ≥ 0.9) can only
 * have the very same words — any one word more or less drops it under 0.9 — so it
 * differs by order alone ("A owes B" / "B owes A"), which often changes the meaning.
 * Such candidates skip the near-duplicate search; exact duplicates still merge by textKey.
 */
const NEAR_MIN_WORDS = Math.ceil(NEAR_DUPLICATE / (1 - NEAR_DUPLICATE) - 1e-9); // 9 at 0.9
/** Words per group in the near-duplicate lookup (besides any with digits): the longest few. */
const NEAR_GROUP_WORDS = 4;

export type Outcome = 'created' | 'merged' | 'superseded' | 'unchanged';

/**
 * Consolidation of one extraction batch, which never destroys:
 * - a candidate on the same topic (`data.key`) as an active record, with different
 *   text, becomes a new record and the old one is `superseded` (linked, still readable);
 * - a duplicate — same normalised text, or near-identical (Jaccard ≥ 0.9 on word sets
 *   and the same numbers) in the same namespace — adds its source event to the
 *   existing record;
 * - anything else is a new record whose id derives from its source event.
 *
 * It only reads the store and collects `writes`; the caller commits them with the
 * checkpoint in one atomic step. Records created earlier in the same batch are held
 * here, so duplicates within a batch consolidate too.
 */
export class Consolidator {
  readonly writes: RecordWrite[] = [];
  /** Namespaces that changed (for change notifications). */
  readonly namespaces = new Set<string>();
  private readonly created = new Map<string, MemoryRecord>();
  /** Word sets of records created in this batch. */
  private readonly createdWords = new Map<string, Set<string>>();
  /** Ids of records created in this batch, by (namespace, word): the in-batch near-duplicate lookup. */
  private readonly createdByWord = new Map<string, string[]>();
  private readonly byText = new Map<string, MemoryRecord>();
  private readonly byTopic = new Map<string, MemoryRecord>();
  /** Existing records superseded in this batch: no longer candidates for duplicates. */
  private readonly retired = new Set<string>();

  constructor(
    private readonly t: TenantStore,
    private readonly now: number,
  ) {}

  async add(c: Candidate): Promise<Outcome> {
    const key = textKey(c.text);
    if (key === '') return 'unchanged';
    const id = derivedRecordId(this.t.tenantId, c.strategy, c.namespace, c.event.id);
    // Already consolidated (a replay over the same event): nothing to do.
    if (this.created.has(id) || (await this.t.getRecord(id))) return 'unchanged';

    if (c.topicKey) {
      const current = this.byTopic.get(scope(c.namespace, c.topicKey)) ?? this.live(await this.t.findRecordByTopicKey(c.namespace, c.topicKey));
      if (current && current.textKey === key) return this.merge(current, c);
      if (current) {
        const next = this.create(id, c, key);
        this.supersede(current, next.id);
        return 'superseded';
      }
    }
    const same = this.byText.get(scope(c.namespace, key)) ?? this.live(await this.t.findRecordByTextKey(c.namespace, key));
    if (same) return this.merge(same, c);
    const near = await this.nearDuplicate(c.namespace, c.text);
    if (near) return this.merge(near, c);
    this.create(id, c, key);
    return 'created';
  }

  private live(r: MemoryRecord | null): MemoryRecord | null {
    return r && !this.retired.has(r.id) && r.status === 'active' ? r : null;
  }

  private create(id: string, c: Candidate, key: string): MemoryRecord {
    const r: MemoryRecord = {
      id,
      tenantId: this.t.tenantId,
      namespace: c.namespace,
      strategy: c.strategy,
      text: c.text,
      textKey: key,
      topicKey: c.topicKey,
      status: 'active',
      supersededBy: null,
      sourceEventIds: [c.event.id],
      sessionId: c.event.sessionId,
      investigationId: c.event.investigationId,
      actorId: c.event.actorId,
      createdAt: this.now,
      updatedAt: this.now,
    };
    this.writes.push({ op: 'create', record: r });
    this.created.set(id, r);
    const own = new Set(words(r.text));
    this.createdWords.set(id, own);
    for (const w of own) {
      const k = scope(r.namespace, w);
      const ids = this.createdByWord.get(k);
      if (ids) ids.push(id);
      else this.createdByWord.set(k, [id]);
    }
    this.byText.set(scope(r.namespace, key), r);
    if (r.topicKey) this.byTopic.set(scope(r.namespace, r.topicKey), r);
    this.namespaces.add(r.namespace);
    return r;
  }

  private merge(target: MemoryRecord, c: Candidate): Outcome {
    if (target.sourceEventIds.includes(c.event.id)) return 'unchanged';
    const pending = this.created.get(target.id);
    if (pending) pending.sourceEventIds.push(c.event.id); // not stored yet: its create write carries it
    else {
      this.writes.push({ op: 'add_sources', id: target.id, eventIds: [c.event.id], now: this.now });
      target.sourceEventIds = [...target.sourceEventIds, c.event.id];
      // Later candidates in this batch find it without another store read.
      this.byText.set(scope(target.namespace, target.textKey), target);
    }
    this.namespaces.add(target.namespace);
    return 'merged';
  }

  private supersede(old: MemoryRecord, by: string): void {
    const pending = this.created.get(old.id);
    if (pending) {
      // Created and replaced in the same batch: store it already superseded.
      pending.status = 'superseded';
      pending.supersededBy = by;
    } else {
      this.writes.push({ op: 'supersede', id: old.id, by, now: this.now });
      this.retired.add(old.id);
    }
    if (this.byText.get(scope(old.namespace, old.textKey)) === old) this.byText.delete(scope(old.namespace, old.textKey));
  }

  /**
   * A near-identical active record in exactly this namespace: first among records made
   * in this batch, then among the store's records that hold every word of one of the
   * groups any near duplicate must hold whole (nearDuplicateGroups) — an index lookup,
   * never a scan, and no ranking.
   */
  private async nearDuplicate(namespace: string, text: string): Promise<MemoryRecord | null> {
    const mine = new Set(words(text));
    if (mine.size < NEAR_MIN_WORDS) return null;
    const groups = nearDuplicateGroups(mine, NEAR_DUPLICATE, NEAR_GROUP_WORDS);
    // In this batch: the records holding a whole group, from the shortest of its words' lists.
    for (const group of groups) {
      const lists = group.map((w) => this.createdByWord.get(scope(namespace, w)) ?? []);
      const shortest = lists.reduce((a, b) => (b.length < a.length ? b : a));
      for (const id of shortest) {
        const r = this.created.get(id)!;
        const theirs = this.createdWords.get(id)!;
        if (r.status === 'active' && group.every((w) => theirs.has(w)) && nearIdentical(mine, theirs, NEAR_DUPLICATE)) return r;
      }
    }
    for (const found of await this.t.findRecordsWithWords(namespace, groups, NEAR_CANDIDATES)) {
      const r = this.live(found);
      if (r && r.namespace === namespace && nearIdentical(mine, new Set(words(r.text)), NEAR_DUPLICATE)) return r;
    }
    return null;
  }
}

const scope = (namespace: string, key: string) => `${namespace}\u0000${key}`;
