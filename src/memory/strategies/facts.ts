import type { MemoryEvent } from '../../domain/event.js';
import { namespaces } from '../../domain/namespace.js';
import { clip, topicKey } from '../text.js';
import { rewriteStatements } from './prose.js';
import { MAX_RECORD_TEXT, type Candidate, type EventStrategy } from './types.js';

/** Event kinds the facts strategy reads. */
export const FACT_KINDS = ['finding', 'fact'] as const;

/** Where a fact from this event lives: its investigation's facts, else its actor's. */
export const factsNamespace = (e: Pick<MemoryEvent, 'investigationId' | 'actorId'>) =>
  e.investigationId ? namespaces.investigationFacts(e.investigationId) : namespaces.actorFacts(e.actorId);

/**
 * `facts`: every `finding` and `fact` event becomes a candidate statement in
 * `investigations/{id}/facts` (or `actors/{actorId}/facts` outside an investigation).
 * Deterministic: the event's text as written. With a model: rewritten as a
 * self-contained sentence. `data.key`, when given, names the topic (a later fact on the
 * same key supersedes the earlier one).
 */
export const extractFacts: EventStrategy = async (events, ctx) => {
  const picked = events.filter((e) => (FACT_KINDS as readonly string[]).includes(e.kind));
  if (picked.length === 0) return [];
  let texts = picked.map((e) => clip(e.text, MAX_RECORD_TEXT));
  if (ctx.model) texts = await rewriteStatements(ctx.model, 'finding', texts);
  return picked.map(
    (e, i): Candidate => ({
      strategy: 'facts',
      namespace: factsNamespace(e),
      text: texts[i]!,
      topicKey: topicKey((e.data as { key?: unknown } | null)?.key),
      event: e,
    }),
  );
};
