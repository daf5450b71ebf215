import type { Model } from '../../runtime/model.js';
import { clip } from '../text.js';
import { MAX_RECORD_TEXT } from './types.js';

/** Statements per model call: small enough that numbering survives, large enough to be cheap. */
const CHUNK = 25;

const SYSTEM =
  'You maintain the long-term memory of an investigation assistant. You rewrite notes into ' +
  'short, self-contained statements that will be read days later without context. Keep every ' +
  'name, number, date, amount and identifier exactly. Never add information that is not in the note.';

/**
 * Rewrites statements as self-contained prose with the model, `CHUNK` at a time.
 * The answer must be numbered lines (`1. …`); a line the model drops or garbles keeps
 * its original text, so a sloppy model degrades to the deterministic result. A model
 * that fails (throws) fails the whole run: extraction retries it later.
 */
export async function rewriteStatements(model: Model, kind: string, texts: readonly string[]): Promise<string[]> {
  const out = [...texts];
  for (let start = 0; start < texts.length; start += CHUNK) {
    const chunk = texts.slice(start, start + CHUNK);
    const prompt =
      `Rewrite each ${kind} below as one self-contained sentence. Answer with exactly ${chunk.length} ` +
      `numbered lines in the same order ("1. …"), nothing else.\n\n` +
      chunk.map((t, i) => `${i + 1}. ${clip(t, 1_500)}`).join('\n');
    const answer = await model.complete({ system: SYSTEM, prompt, maxTokens: Math.min(4_000, 120 * chunk.length) });
    for (const line of answer.split('\n')) {
      const m = /^\s*(\d+)[.)]\s+(.+)$/.exec(line);
      if (!m) continue;
      const i = Number(m[1]) - 1;
      if (i >= 0 && i < chunk.length && m[2]!.trim()) out[start + i] = clip(m[2]!, MAX_RECORD_TEXT);
    }
  }
  return out;
}
