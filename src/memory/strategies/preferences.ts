import { namespaces } from '../../domain/namespace.js';
import { clip, topicKey } from '../text.js';
import { rewriteStatements } from './prose.js';
import { MAX_RECORD_TEXT, type Candidate, type EventStrategy } from './types.js';

/**
 * `preferences`: every `preference` event becomes a candidate in
 * `actors/{actorId}/preferences` — they follow the actor across investigations.
 * Deterministic: the text as written; with a model: one self-contained sentence.
 * `data.key` (e.g. "report-format") names the topic: a newer preference on the same
 * key supersedes the older one, which stays readable.
 */
export const extractPreferences: EventStrategy = async (events, ctx) => {
  const picked = events.filter((e) => e.kind === 'preference');
  if (picked.length === 0) return [];
  let texts = picked.map((e) => clip(e.text, MAX_RECORD_TEXT));
  if (ctx.model) texts = await rewriteStatements(ctx.model, 'preference', texts);
  return picked.map(
    (e, i): Candidate => ({
      strategy: 'preferences',
      namespace: namespaces.actorPreferences(e.actorId),
      text: texts[i]!,
      topicKey: topicKey((e.data as { key?: unknown } | null)?.key),
      event: e,
    }),
  );
};
