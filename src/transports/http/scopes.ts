import type { AnyToolDefinition } from '../../mcp/tool.js';

/**
 * The scopes the HTTP perimeter checks. A credential may also hold `admin` (tokens-file
 * KNOWN_SCOPES): it grants nothing here; forget_actor and forget_event check it to erase
 * another actor's data.
 */
export type Scope = 'read' | 'write';

export interface ScopeNeed {
  scope: Scope;
  /** What needs it, for the error message: `tools/call start_investigation`. */
  what: string;
}

/**
 * The scope a POSTed JSON-RPC body needs, decided before the transport sees it: a
 * `tools/call` of a tool that is not annotated `readOnlyHint` needs `write`; everything
 * else (read-only tools, resources, prompts, completion, subscriptions, logging, ping,
 * notifications, responses to our requests) needs `read`. A batch needs the most any of
 * its messages needs. A `tools/call` of an unknown tool needs `read` only: the server
 * answers it with an error and runs nothing.
 */
export function scopeNeeded(body: unknown, readOnly: ReadonlyMap<string, boolean>): ScopeNeed {
  const messages = Array.isArray(body) ? body : [body];
  for (const m of messages) {
    if (!m || typeof m !== 'object') continue;
    const { method, params } = m as { method?: unknown; params?: { name?: unknown } };
    if (method !== 'tools/call') continue;
    const name = params && typeof params === 'object' ? params.name : undefined;
    if (typeof name === 'string' && readOnly.get(name) === false) return { scope: 'write', what: `tools/call ${name}` };
  }
  return { scope: 'read', what: 'this request' };
}

/** Tool name → whether it is read-only (its `readOnlyHint`), from the registry. */
export const readOnlyTools = (tools: readonly AnyToolDefinition[]): ReadonlyMap<string, boolean> =>
  new Map(tools.map((t) => [t.name, t.annotations.readOnlyHint === true]));
