import type { RoleContext } from './role.js';

/**
 * Asks the model for prose, falling back to the deterministic text when there is no
 * model, the model fails, or the run is being stopped. A model is never required:
 * its failure is logged and the role carries on.
 */
export async function withModel(
  ctx: Pick<RoleContext, 'model' | 'logger' | 'abort'>,
  req: { system: string; prompt: string; maxTokens: number },
  fallback: string,
): Promise<{ text: string; by: string }> {
  if (!ctx.model || ctx.abort.aborted) return { text: fallback, by: 'deterministic' };
  try {
    const text = (await ctx.model.complete(req)).trim();
    if (!text) return { text: fallback, by: 'deterministic' };
    return { text, by: ctx.model.name };
  } catch (e) {
    ctx.logger.warn('model unavailable; writing deterministic prose', { model: ctx.model.name, error: (e as Error).message });
    return { text: fallback, by: 'deterministic' };
  }
}

const STOP = new Set(
  'a an and any are as at be by check for from has have in into is it its of on or our search should that the their them then these this to was we were what when which who will with within about all also find look sources source internal documents document notes mention mentions report file'.split(
    ' ',
  ),
);

/** The content words of a text (for queries): lower-case, no stop words, de-duplicated, at most `max`. */
export function keywords(text: string, max = 12): string[] {
  const out: string[] = [];
  for (const w of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    if (w.length < 3 || STOP.has(w) || out.includes(w)) continue;
    out.push(w);
    if (out.length >= max) break;
  }
  return out;
}

export const clip = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + '…' : s);
