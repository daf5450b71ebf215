import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError, type ReadResourceResult, type Resource } from '@modelcontextprotocol/sdk/types.js';
import type { App } from '../app.js';
import type { Caller } from '../runtime/deps.js';
import type { McpContext } from './context.js';
import { toMcpError } from './errors.js';
import { QueryTolerantUriTemplate } from './uri-template.js';

/** A resource the list callback offers (the template's metadata fills in the rest). */
export type ListedResource = Pick<Resource, 'uri' | 'name'> & Partial<Pick<Resource, 'title' | 'description' | 'mimeType'>>;

/**
 * What a resource read returns: a JSON value (served as application/json), text in the
 * template's MIME type (or its own `mimeType`), or binary content as a base64 `blob`.
 */
export type ResourceBody = { json: unknown } | { text: string; mimeType?: string } | { blob: string; mimeType: string };

/**
 * One resource template of DESIGN's `longhaul://` list: how to list the caller's
 * instances (bounded), complete its variables, and read one. Every callback gets the
 * caller resolved from the request, never from the URI.
 */
export interface ResourceDefinition {
  name: string;
  title: string;
  description: string;
  uriTemplate: string;
  mimeType: string;
  list(caller: Caller, app: App): Promise<ListedResource[]>;
  /**
   * Per URI variable: candidate values for a typed prefix (the caller's own ids only).
   * `resolved` holds the other variables the client already filled in.
   */
  complete?: Record<string, (caller: Caller, prefix: string, app: App, resolved: Record<string, string>) => Promise<string[]>>;
  read(caller: Caller, vars: Record<string, string>, uri: URL, app: App): Promise<ResourceBody>;
}

export const defineResource = (def: ResourceDefinition): ResourceDefinition => def;

/** Registers resource templates; read errors become MCP errors (not_found → -32002). */
export function registerResources(server: McpServer, defs: readonly ResourceDefinition[], ctx: McpContext): void {
  const { app } = ctx;
  for (const def of defs) {
    const complete: Record<string, (value: string, context?: { arguments?: Record<string, string> }) => Promise<string[]>> = {};
    for (const [variable, fn] of Object.entries(def.complete ?? {})) {
      complete[variable] = async (value, context) => {
        // Completion has no request `extra` in the SDK; the server scopes it (see context.ts).
        const caller = ctx.callerInScope();
        if (!caller) return [];
        try {
          return await fn(caller, value ?? '', app, context?.arguments ?? {});
        } catch (e) {
          app.logger.warn('resource completion failed', { tenantId: caller.tenantId, resource: def.name, error: e instanceof Error ? e.message : String(e) });
          return [];
        }
      };
    }
    const template = new ResourceTemplate(new QueryTolerantUriTemplate(def.uriTemplate), {
      list: async (extra) => {
        let caller: Caller;
        try {
          caller = ctx.resolveCaller(extra);
          const resources = await def.list(caller, app);
          return { resources: resources.map((r) => ({ mimeType: def.mimeType, ...r })) };
        } catch (e) {
          throw toMcpError(e, app.logger, `listing ${def.name}`);
        }
      },
      complete,
    });
    server.registerResource(def.name, template, { title: def.title, description: def.description, mimeType: def.mimeType }, async (uri, variables, extra): Promise<ReadResourceResult> => {
      const fields: Record<string, unknown> = { resource: def.name };
      try {
        const caller = ctx.resolveCaller(extra);
        fields.tenantId = caller.tenantId;
        const vars: Record<string, string> = {};
        for (const [k, v] of Object.entries(variables)) {
          if (typeof v !== 'string') throw new McpError(ErrorCode.InvalidParams, `${k} in ${uri.href} must be a single value.`);
          vars[k] = v; // ids are never percent-encoded; the id check rejects anything else
        }
        const body = await def.read(caller, vars, uri, app);
        if ('blob' in body) return { contents: [{ uri: uri.href, mimeType: body.mimeType, blob: body.blob }] };
        if ('json' in body) return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(body.json, null, 2) }] };
        return { contents: [{ uri: uri.href, mimeType: body.mimeType ?? def.mimeType, text: body.text }] };
      } catch (e) {
        throw toMcpError(e, app.logger, `reading ${uri.href}`, fields);
      }
    });
  }
}

/** Prefix match over recent ids, as completion callbacks return them. */
export const matchPrefix = (ids: readonly string[], prefix: string, max = 100): string[] => ids.filter((id) => id.startsWith(prefix)).slice(0, max);
