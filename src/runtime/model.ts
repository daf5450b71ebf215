import type { Config } from '../config.js';
import { LonghaulError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import { createOpenAIModel } from './model-openai.js';

/**
 * The model port: a text completion, nothing more. Strategies and workers never need
 * one — with no model they work deterministically — but with one they write prose.
 */
export interface Model {
  /** For logs and status: `openai:llama3`, `sampling:claude-desktop`. */
  readonly name: string;
  /**
   * False when the model cannot be used right now (sampling with no connected client
   * that declared the capability); callers then take their deterministic path.
   * Absent means always available.
   */
  available?(): boolean;
  complete(req: CompletionRequest): Promise<string>;
}

export interface CompletionRequest {
  system: string;
  prompt: string;
  maxTokens: number;
}

/**
 * A model call failed (HTTP error, timeout, refusal, empty answer). Extraction treats
 * it as "try again later": the checkpoint does not advance and the message shows in
 * the session's extraction status.
 */
export class ModelError extends LonghaulError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('internal', message, details);
  }
}

/**
 * Where background work finds the model at run time. `openai:` models are fixed at
 * start-up; `sampling` depends on which MCP client is connected *now*, so the MCP
 * server attaches a live sampler when a client that declared `sampling` connects and
 * detaches it when the connection closes. Extraction asks `current()` per run.
 */
export class ModelRegistry {
  private readonly samplers: Array<{ model: Model; servesTenant: (tenantId: string) => boolean }> = [];

  constructor(
    readonly mode: Config['model']['kind'],
    private readonly fixed: Model | null = null,
  ) {}

  /** A registry with no model: every strategy is deterministic. */
  static none(): ModelRegistry {
    return new ModelRegistry('none');
  }

  /**
   * Attaches a connected client's sampler (only in `sampling` mode; otherwise ignored).
   * `servesTenant` says which tenants' data may be sent to that client: a client must
   * never be handed another tenant's events to summarise. Returns the detach function
   * the server calls when the connection closes.
   */
  attachSampler(model: Model, servesTenant: (tenantId: string) => boolean): () => void {
    if (this.mode !== 'sampling') return () => undefined;
    const entry = { model, servesTenant };
    this.samplers.push(entry);
    return () => {
      const i = this.samplers.indexOf(entry);
      if (i >= 0) this.samplers.splice(i, 1);
    };
  }

  /**
   * The model to use right now for `tenantId`'s data, or null: take the deterministic
   * path. In sampling mode, the most recently connected usable client of that tenant.
   */
  current(tenantId: string): Model | null {
    if (this.mode !== 'sampling') return this.fixed && usable(this.fixed) ? this.fixed : null;
    for (let i = this.samplers.length - 1; i >= 0; i--) {
      const s = this.samplers[i]!;
      if (s.servesTenant(tenantId) && usable(s.model)) return s.model;
    }
    return null;
  }
}

const usable = (m: Model) => (m.available ? m.available() : true);

export interface ModelDeps {
  logger: Logger;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Per-call timeout for HTTP models. */
  timeoutMs?: number;
}

/**
 * Builds the configured fixed model: `none` → null (deterministic paths), `openai:` →
 * an OpenAI-compatible chat endpoint. `sampling` has no fixed model (null); its
 * samplers are attached to the registry by the MCP server.
 */
export function createModel(spec: Config['model'], deps: ModelDeps): Model | null {
  switch (spec.kind) {
    case 'none':
    case 'sampling':
      return null;
    case 'openai':
      return createOpenAIModel({ baseUrl: spec.baseUrl, modelName: spec.modelName, apiKey: spec.apiKey }, deps);
  }
}

/** The registry for a config: what the composition root hands the runtime. */
export function createModelRegistry(spec: Config['model'], deps: ModelDeps): ModelRegistry {
  return new ModelRegistry(spec.kind, createModel(spec, deps));
}
