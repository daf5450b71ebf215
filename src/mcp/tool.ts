import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { App } from '../app.js';
import { isLonghaulError, type ErrorCode } from '../domain/errors.js';
import type { Caller } from '../runtime/deps.js';
import type { McpContext, RequestExtra } from './context.js';

/** What a tool handler gets besides the caller and its arguments. */
export interface ToolContext {
  readonly app: App;
  readonly extra: RequestExtra;
}

/**
 * One tool: its model-facing definition (name, schemas, annotations) and a thin handler
 * that makes one runtime call and returns the JSON view. The view becomes
 * `structuredContent` (checked against `output`), `render` gives the short text.
 */
export interface ToolDefinition<I extends z.ZodRawShape, O extends z.ZodRawShape> {
  /** snake_case `verb_noun`, stable (DESIGN's tool table). */
  name: string;
  title: string;
  /** For the model: what it does, when to use it, what it returns. */
  description: string;
  input: I;
  output: O;
  annotations: Omit<ToolAnnotations, 'title'>;
  /** Tool `_meta` for clients, e.g. the MCP Apps link (`ui.resourceUri`) of the investigation tools. */
  _meta?: Readonly<Record<string, unknown>>;
  handler(caller: Caller, args: z.output<z.ZodObject<I>>, ctx: ToolContext): Promise<z.input<z.ZodObject<O>>>;
  render(result: z.output<z.ZodObject<O>>): string;
}

// Tools are heterogeneous in their shapes; the registry holds them type-erased.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyToolDefinition = ToolDefinition<any, any>;

/** Identity helper that infers the argument and result types of a tool. */
export function defineTool<I extends z.ZodRawShape, O extends z.ZodRawShape>(def: ToolDefinition<I, O>): ToolDefinition<I, O> {
  return def;
}

/**
 * `_meta` key carrying `{ code, message, details? }` on error results. Not in
 * `structuredContent`: SDK clients (1.32) validate any `structuredContent` — error
 * results included — against the tool's output schema, so an error object there would
 * turn a clean `isError` result into a client-side exception.
 */
export const ERROR_META_KEY = 'longhaul/error';

export interface ToolErrorInfo {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

function errorResult(info: ToolErrorInfo): CallToolResult {
  return {
    isError: true,
    content: [{ type: 'text', text: `[${info.code}] ${info.message}` }],
    _meta: { [ERROR_META_KEY]: { ...info } },
  };
}

/**
 * Maps a thrown error to a tool result. LonghaulErrors keep their code and sentence;
 * anything else is logged (message only: log records may be forwarded to clients) and
 * reported as `internal` with a generic sentence — never a stack.
 */
export function toolErrorResult(e: unknown, app: App, fields: Record<string, unknown>): CallToolResult {
  if (isLonghaulError(e)) return errorResult({ code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) });
  app.logger.error('tool failed', { ...fields, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  return errorResult({
    code: 'internal',
    message: `longhaul hit an unexpected error running ${String(fields.tool)}; it has been logged. Re-read the state (get_investigation) before retrying.`,
  });
}

/**
 * Told of every tool call when its result is ready: the tool, how long the handler took
 * (ms, output check included; the SDK's input validation and the transport excluded) and
 * whether the result is an error. `App.observers.toolCalls` holds them (HTTP /metrics).
 */
export type ToolCallObserver = (tool: string, ms: number, isError: boolean) => void;

/** Runs a tool call and tells the app's observers (none: nothing is measured). */
async function observed(app: App, tool: string, call: () => Promise<CallToolResult>): Promise<CallToolResult> {
  const observers = app.observers.toolCalls;
  if (observers.size === 0) return call();
  const started = performance.now();
  const result = await call();
  const ms = performance.now() - started;
  for (const observe of observers) {
    try {
      observe(tool, ms, result.isError === true);
    } catch {
      // An observer's failure never fails a call.
    }
  }
  return result;
}

/** Registers tools on a server; every call resolves its caller through `ctx`. */
export function registerTools(server: McpServer, tools: readonly AnyToolDefinition[], ctx: McpContext): void {
  for (const tool of tools) {
    const output = z.object(tool.output);
    server.registerTool(
      tool.name,
      { title: tool.title, description: tool.description, inputSchema: tool.input, outputSchema: tool.output, annotations: tool.annotations, ...(tool._meta ? { _meta: { ...tool._meta } } : {}) },
      (args: unknown, extra: RequestExtra): Promise<CallToolResult> => observed(ctx.app, tool.name, async () => {
        const fields: Record<string, unknown> = { tool: tool.name };
        try {
          const caller = ctx.resolveCaller(extra);
          fields.tenantId = caller.tenantId;
          const result = await tool.handler(caller, args as Parameters<typeof tool.handler>[1], { app: ctx.app, extra });
          // Parsing strips anything the runtime returns beyond the declared schema, so
          // clients that validate strictly keep working when a view grows.
          const parsed = output.safeParse(result);
          if (!parsed.success) {
            ctx.app.logger.error('tool result does not match its output schema', { ...fields, issues: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`) });
            return errorResult({ code: 'internal', message: `longhaul produced a malformed result for ${tool.name}; it has been logged.` });
          }
          return { content: [{ type: 'text', text: tool.render(parsed.data) }], structuredContent: parsed.data as Record<string, unknown> };
        } catch (e) {
          return toolErrorResult(e, ctx.app, fields);
        }
      }),
    );
  }
}
