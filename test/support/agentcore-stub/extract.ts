/**
 * Deterministic stand-ins for AgentCore Memory's long-term strategies and semantic search.
 * The service runs a model over events in the background; the stub applies fixed rules so
 * tests can assert on exactly which records appear, under which namespaces.
 */

export type StrategyType = 'SEMANTIC' | 'SUMMARIZATION' | 'USER_PREFERENCE' | 'EPISODIC';

export interface ExtractableEvent {
  actorId: string;
  sessionId: string;
  eventTimestamp: number;
  seq: number;
  payload: unknown[];
  namespaceVariables?: Record<string, string>;
}

export interface ExtractedRecord {
  /** Stable per (strategy, template, key): an update of the same key replaces the record's text. */
  key: string;
  namespace: string;
  text: string;
}

/** Summaries and episodes are cut to this many characters (well inside the 16,000 content limit). */
export const SUMMARY_MAX_CHARS = 4000;
const PREFERENCE = /\b(prefer|prefers|preferred|always|never)\b/i;

export function conversationalTexts(payload: unknown[]): Array<{ role: string; text: string }> {
  const out: Array<{ role: string; text: string }> = [];
  for (const item of payload) {
    const c = (item as { conversational?: { role?: unknown; content?: { text?: unknown } } }).conversational;
    if (c && typeof c.role === 'string' && typeof c.content?.text === 'string') out.push({ role: c.role, text: c.content.text });
  }
  return out;
}

/** Fills a namespace template's `{actorId}`, `{sessionId}`, `{memoryStrategyId}` and the event's namespace variables. */
export function fillNamespace(template: string, strategyId: string, e: ExtractableEvent): string {
  const vars: Record<string, string> = {
    ...e.namespaceVariables,
    actorId: e.actorId,
    sessionId: e.sessionId,
    memoryStrategyId: strategyId,
    strategyId,
  };
  return template.replace(/\{([a-zA-Z0-9_]+)\}/g, (whole, name: string) => vars[name] ?? whole);
}

const truncate = (s: string): string => (s.length > SUMMARY_MAX_CHARS ? `${s.slice(0, SUMMARY_MAX_CHARS - 1)}…` : s);

/**
 * The records one strategy derives. `fresh` are the events not yet extracted (chronological);
 * `sessionHistory` gives every live event of a session, for the strategies that rewrite a
 * per-session record in place.
 *
 * - SEMANTIC: one record per conversational text, content = the text.
 * - USER_PREFERENCE: one record per USER text saying "prefer", "always" or "never".
 * - SUMMARIZATION: one record per (actor, session): "ROLE: text" lines, truncated.
 * - EPISODIC: one record per (actor, session): "Episode <sessionId>: " + the texts, truncated.
 *
 * A strategy with several namespace templates writes one record per template, because a
 * record holds at most one namespace.
 */
export function runStrategy(
  strategy: { id: string; type: StrategyType; namespaces: string[] },
  fresh: ExtractableEvent[],
  sessionHistory: (actorId: string, sessionId: string) => ExtractableEvent[],
): ExtractedRecord[] {
  const out: ExtractedRecord[] = [];
  const emit = (e: ExtractableEvent, key: string, text: string): void => {
    strategy.namespaces.forEach((template, t) => {
      out.push({ key: `${strategy.id}|${t}|${key}`, namespace: fillNamespace(template, strategy.id, e), text });
    });
  };
  if (strategy.type === 'SEMANTIC' || strategy.type === 'USER_PREFERENCE') {
    for (const e of fresh) {
      conversationalTexts(e.payload).forEach(({ role, text }, i) => {
        if (strategy.type === 'USER_PREFERENCE' && !(role === 'USER' && PREFERENCE.test(text))) return;
        emit(e, `event:${e.seq}:${i}`, text);
      });
    }
    return out;
  }
  const sessions = new Map<string, ExtractableEvent>();
  for (const e of fresh) sessions.set(JSON.stringify([e.actorId, e.sessionId]), e);
  for (const e of sessions.values()) {
    const lines = sessionHistory(e.actorId, e.sessionId).flatMap((h) => conversationalTexts(h.payload));
    if (lines.length === 0) continue;
    const text =
      strategy.type === 'SUMMARIZATION'
        ? lines.map((l) => `${l.role}: ${l.text}`).join('\n')
        : `Episode ${e.sessionId}: ${lines.map((l) => l.text).join(' ')}`;
    emit(e, `session:${JSON.stringify([e.actorId, e.sessionId])}`, truncate(text));
  }
  return out;
}

const STOPWORDS = new Set(['a', 'an', 'and', 'are', 'as', 'at', 'be', 'by', 'for', 'from', 'in', 'is', 'it', 'of', 'on', 'or', 'the', 'to', 'was', 'what', 'with']);

function terms(text: string): Set<string> {
  return new Set(
    text
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter((t) => t.length > 0 && !STOPWORDS.has(t)),
  );
}

/**
 * Lexical relevance in [0, 1]: the share of the query's distinct terms found in the text.
 * It stands in for the service's semantic (embedding) search, deterministically, so tests
 * can say which record ranks first.
 */
export function relevance(query: string, text: string): number {
  const q = terms(query);
  if (q.size === 0) return 0;
  const d = terms(text);
  let hit = 0;
  for (const t of q) if (d.has(t)) hit += 1;
  return hit / q.size;
}
