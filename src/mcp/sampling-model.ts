import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ModelError, type CompletionRequest, type Model, type ModelRegistry } from '../runtime/model.js';

/** A person may be asked to approve a sampling request; give them time, but not forever. */
export const SAMPLING_TIMEOUT_MS = 120_000;

/**
 * `LONGHAUL_MODEL=sampling`: the connected client's own model, through MCP
 * `sampling/createMessage`. Available only while the client is connected and declared
 * the `sampling` capability; otherwise strategies take their deterministic path.
 * A refusal, a timeout or a non-text answer is a ModelError (extraction retries later).
 * `allowed()`: whether the connection may sample at all right now (see attachSampling).
 */
export function createSamplingModel(server: McpServer, timeoutMs = SAMPLING_TIMEOUT_MS, allowed: () => boolean = () => true): Model {
  const client = () => server.server.getClientVersion()?.name ?? 'client';
  return {
    get name() {
      return `sampling:${client()}`;
    },
    available: () => allowed() && server.isConnected() && Boolean(server.server.getClientCapabilities()?.sampling),
    async complete(req: CompletionRequest): Promise<string> {
      if (!allowed()) throw new ModelError(`Sampling through ${client()} is no longer allowed (its credential was revoked, expired or cannot write).`);
      let result;
      try {
        result = await server.server.createMessage(
          {
            systemPrompt: req.system,
            messages: [{ role: 'user', content: { type: 'text', text: req.prompt } }],
            maxTokens: req.maxTokens,
            includeContext: 'none',
            temperature: 0.2,
          },
          { timeout: timeoutMs },
        );
      } catch (e) {
        throw new ModelError(`Sampling through ${client()} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
      const blocks = Array.isArray(result.content) ? result.content : [result.content];
      const text = blocks
        .filter((b): b is { type: 'text'; text: string } => b.type === 'text')
        .map((b) => b.text)
        .join('\n')
        .trim();
      if (!text) throw new ModelError(`Sampling through ${client()} returned no text (got ${blocks.map((b) => b.type).join(', ') || 'nothing'}).`);
      return text;
    },
  };
}

/**
 * Offers this connection's client as the model for background work: attached once the
 * client has initialised (its capabilities are known), detached when the connection
 * closes. `serves(tenantId, actorId)` says whose data the client may be handed: only
 * the (tenant, actor) pairs this connection has acted as — never another tenant's data,
 * nor another actor's of the same tenant (extraction of bob's session never reaches
 * alice's client). `allowed()` gates the whole connection, checked when it initialises
 * and on every use: HTTP allows only a credential with `write` (a client's answers
 * become memory records), and only while that credential is valid. Chains the server's
 * existing `oninitialized` / `onclose` handlers.
 */
export function attachSampling(
  server: McpServer,
  registry: ModelRegistry | undefined,
  serves: (tenantId: string, actorId: string) => boolean,
  allowed: () => boolean = () => true,
): void {
  if (!registry || !registry.samples) return;
  let detach: (() => void) | null = null;
  const previousInitialized = server.server.oninitialized;
  server.server.oninitialized = () => {
    if (server.server.getClientCapabilities()?.sampling && allowed()) {
      // Re-checked on every use: a credential revoked, expired or narrowed since no longer serves.
      detach = registry.attachSampler(createSamplingModel(server, SAMPLING_TIMEOUT_MS, allowed), (tenantId, actorId) => allowed() && serves(tenantId, actorId));
    }
    previousInitialized?.();
  };
  const previousClose = server.server.onclose;
  server.server.onclose = () => {
    detach?.();
    detach = null;
    previousClose?.();
  };
}
