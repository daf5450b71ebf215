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

export type ModelMode = Config['model']['kind'];

/** One tenant's model: its mode and, for `openai:`, the fixed model. */
export interface TenantModel {
  mode: ModelMode;
  fixed: Model | null;
}

/**
 * Where background work finds the model at run time. `openai:` models are fixed at
 * start-up; `sampling` depends on which MCP client is connected *now*, so the MCP
 * server attaches a live sampler when a client that declared `sampling` connects and
 * detaches it when the connection closes. Extraction and workers ask `current()` per run.
 *
 * The mode is per tenant: `LONGHAUL_MODEL` for every tenant, unless the tenants file
 * gives the tenant its own `model` (`tenants`).
 *
 * Sampling hands a client's model data to read, so it is keyed by tenant AND actor: a
 * client is only ever asked to work on data of the (tenant, actor) it connected as.
 * `current(tenantId, actorId)` returns the most recently connected usable sampler of
 * exactly that actor; with no actor (null), or no such client connected now, it returns
 * null and the caller takes its deterministic path — nothing waits for a client, and
 * nothing is sent to another actor's client instead.
 */
export class ModelRegistry {
  private readonly samplers: Array<{ model: Model; serves: (tenantId: string, actorId: string) => boolean }> = [];

  constructor(
    /** LONGHAUL_MODEL's mode: every tenant's, unless `tenants` gives it another. */
    readonly mode: ModelMode,
    private readonly fixed: Model | null = null,
    private readonly tenants: ReadonlyMap<string, TenantModel> = new Map(),
  ) {}

  /** A registry with no model: every strategy is deterministic. */
  static none(): ModelRegistry {
    return new ModelRegistry('none');
  }

  /** The mode in force for a tenant: its tenants-file `model`, else LONGHAUL_MODEL's. */
  modeFor(tenantId: string): ModelMode {
    return this.tenants.get(tenantId)?.mode ?? this.mode;
  }

  /** True when some tenant's model is `sampling`: the MCP server then offers its client's model. */
  get samples(): boolean {
    return this.mode === 'sampling' || [...this.tenants.values()].some((t) => t.mode === 'sampling');
  }

  /**
   * Attaches a connected client's sampler (ignored when no tenant samples). `serves`
   * says which (tenant, actor) pairs that client acts for: it is only ever handed their
   * data. Returns the detach function the server calls when the connection closes.
   */
  attachSampler(model: Model, serves: (tenantId: string, actorId: string) => boolean): () => void {
    if (!this.samples) return () => undefined;
    const entry = { model, serves };
    this.samplers.push(entry);
    return () => {
      const i = this.samplers.indexOf(entry);
      if (i >= 0) this.samplers.splice(i, 1);
    };
  }

  /**
   * The model to use right now for data of `tenantId` — and, in sampling mode, of
   * `actorId` (the actor whose session is extracted, or on whose behalf a worker runs) —
   * or null: take the deterministic path. A fixed (`openai:`) model serves every actor of
   * its tenant; a sampler only its own actor, so with sampling and no actor it is null.
   */
  current(tenantId: string, actorId: string | null = null): Model | null {
    const own = this.tenants.get(tenantId);
    const mode = own?.mode ?? this.mode;
    if (mode !== 'sampling') {
      const fixed = own ? own.fixed : this.fixed;
      return fixed && usable(fixed) ? fixed : null;
    }
    if (actorId === null) return null;
    for (let i = this.samplers.length - 1; i >= 0; i--) {
      const s = this.samplers[i]!;
      if (s.serves(tenantId, actorId) && usable(s.model)) return s.model;
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

/**
 * The registry for a config: what the composition root hands the runtime. `perTenant`:
 * the tenants-file models, each replacing `spec` for its tenant.
 */
export function createModelRegistry(spec: Config['model'], deps: ModelDeps, perTenant: ReadonlyMap<string, Config['model']> = new Map()): ModelRegistry {
  const tenants = new Map<string, TenantModel>();
  for (const [tenantId, own] of perTenant) tenants.set(tenantId, { mode: own.kind, fixed: createModel(own, deps) });
  return new ModelRegistry(spec.kind, createModel(spec, deps), tenants);
}
