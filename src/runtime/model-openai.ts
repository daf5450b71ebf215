import { ModelError, type CompletionRequest, type Model, type ModelDeps } from './model.js';

/** A minute is generous for a local model writing a paragraph; a hung server must not stall extraction forever. */
export const DEFAULT_MODEL_TIMEOUT_MS = 60_000;
/** Error bodies are quoted in messages (and so in session status); keep them short. */
const MAX_ERROR_BODY = 300;

/**
 * Any OpenAI-compatible `/chat/completions` endpoint (OpenAI, Ollama, vLLM, LM Studio,
 * llama.cpp server) through the global `fetch`. `baseUrl` is what follows `openai:` in
 * LONGHAUL_MODEL, e.g. `http://127.0.0.1:11434/v1`. Every failure is a ModelError that
 * names the endpoint and what went wrong — never the API key.
 */
export function createOpenAIModel(opts: { baseUrl: string; modelName: string; apiKey: string | null }, deps: ModelDeps): Model {
  const url = `${opts.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const doFetch = deps.fetch ?? fetch;
  const timeoutMs = deps.timeoutMs ?? DEFAULT_MODEL_TIMEOUT_MS;
  const where = `model ${opts.modelName} at ${url}`;
  return {
    name: `openai:${opts.modelName}`,
    async complete(req: CompletionRequest): Promise<string> {
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
      if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
      const body = JSON.stringify({
        model: opts.modelName,
        messages: [
          { role: 'system', content: req.system },
          { role: 'user', content: req.prompt },
        ],
        max_tokens: req.maxTokens,
        temperature: 0.2,
        stream: false,
      });
      let res: Response;
      try {
        res = await doFetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
      } catch (e) {
        const err = e as Error;
        if (err.name === 'TimeoutError' || err.name === 'AbortError') throw new ModelError(`The ${where} did not answer within ${timeoutMs} ms.`, { url });
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        throw new ModelError(`Cannot reach the ${where}: ${cause?.code ?? cause?.message ?? err.message}.`, { url });
      }
      const text = await res.text().catch(() => '');
      if (!res.ok) {
        throw new ModelError(`The ${where} answered HTTP ${res.status}${text ? `: ${clip(text)}` : ''}.`, { url, status: res.status });
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new ModelError(`The ${where} answered with something that is not JSON: ${clip(text)}.`, { url });
      }
      const content = (json as { choices?: Array<{ message?: { content?: unknown } }> }).choices?.[0]?.message?.content;
      if (typeof content !== 'string' || content.trim() === '') {
        throw new ModelError(`The ${where} answered without a message (expected choices[0].message.content).`, { url });
      }
      return content.trim();
    },
  };
}

const clip = (s: string) => {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > MAX_ERROR_BODY ? one.slice(0, MAX_ERROR_BODY - 1) + '…' : one;
};
