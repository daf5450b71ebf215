import { createRequire } from 'node:module';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { App } from '../app.js';
import type { Caller } from '../runtime/deps.js';
import { requestScope, type McpContext, type RequestExtra, type ResolveCaller } from './context.js';
import { attachLogging, type LogForwarding } from './logging.js';
import { registerPrompts } from './prompts/index.js';
import { registerResources } from './resource.js';
import { registerInvestigationApp } from '../ui/app-resource.js';
import { attachSampling } from './sampling-model.js';
import { resources } from './resources/index.js';
import { attachSubscriptions } from './subscriptions.js';
import { ERROR_META_KEY, registerTools } from './tool.js';
import { tools } from './tools/index.js';

/** The package version, read when the first server is built (no I/O on import). */
let version: string | undefined;
const packageVersion = () => (version ??= (createRequire(import.meta.url)('../../package.json') as { version: string }).version);

export const INSTRUCTIONS =
  'longhaul runs long-running investigations that outlive this chat: a supervisor (you) opens an investigation, delegates tasks to worker roles ' +
  '(retrieval searches documents and memory; compliance checks evidence and files a report), and tasks can wait days for external data delivered as signals. ' +
  'Work happens in runtime sessions that go idle and terminate on their own; state and memory persist. ' +
  'To begin new work call start_investigation. To continue existing work call list_investigations to find it, then resume_investigation for a briefing of what happened since your last session. ' +
  'Deliver external data with submit_signal; note findings and decisions with record_event; read state with get_investigation or the longhaul:// resources (subscribe to be told when they change).';

export interface BuildServerOptions {
  /** The caller of each request: stdio returns `app.localCaller`; HTTP reads `extra.authInfo`. */
  resolveCaller: ResolveCaller;
  /**
   * Which app log records reach the client over MCP logging. Default `tenant`: only
   * records tagged with a tenant this connection has acted for. Single-tenant stdio may
   * pass `all` to include untagged operational records (scheduler, store).
   */
  logForwarding?: LogForwarding;
  /**
   * Is the credential behind this connection still valid? While false nothing is pushed
   * to the client — resource notifications, log records, sampling requests. HTTP: the
   * session's token is still in the tokens file, its JWT before `exp`. Default: always (stdio).
   */
  credentialValid?: () => boolean;
  /**
   * May this connection's client serve as the model (LONGHAUL_MODEL=sampling)? Its
   * answers become memory records, so HTTP allows it only for a credential with `write`.
   * Default: always (stdio).
   */
  samplingAllowed?: () => boolean;
}

/** The tenants a connection acted for, as the logging bridge reads them: none while its credential is not valid. */
class TenantsWhileValid extends Set<string> {
  valid: () => boolean = () => true;
  override has(tenantId: string): boolean {
    return this.valid() && super.has(tenantId);
  }
}

/**
 * Builds one MCP server over the app: tools, resource templates (with completion and
 * subscriptions), logging. A factory with no side effects until a transport connects;
 * build one per connection. Transports that set `server.server.onclose` or
 * `oninitialized` must chain the handlers already set (this function sets both).
 */
/** One line for the log: the SDK reports a message that is not JSON-RPC as a zod issue dump. */
function protocolErrorText(e: Error): string {
  if (e instanceof SyntaxError) return `a message from the client is not JSON and was ignored (${e.message.slice(0, 120)})`;
  if (e.name === 'ZodError') return 'a message from the client is JSON but not a JSON-RPC message, and was ignored';
  return e.message.slice(0, 300);
}

export function buildServer(app: App, opts: BuildServerOptions): McpServer {
  const server = new McpServer(
    { name: 'longhaul', title: 'longhaul', version: packageVersion() },
    {
      capabilities: {
        tools: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
        logging: {},
        completions: {},
      },
      instructions: INSTRUCTIONS,
    },
  );

  const credentialValid = opts.credentialValid ?? (() => true);
  const tenantsServed = new TenantsWhileValid();
  tenantsServed.valid = credentialValid;
  // (tenant, actor) pairs this connection acted as: whose data its client may sample.
  const actorsServed = new Set<string>();
  const actorKey = (tenantId: string, actorId: string) => `${tenantId}\u0000${actorId}`;
  const ctx: McpContext = {
    app,
    resolveCaller(extra: RequestExtra): Caller {
      const caller = opts.resolveCaller(extra);
      tenantsServed.add(caller.tenantId);
      actorsServed.add(actorKey(caller.tenantId, caller.actorId));
      return caller;
    },
    callerInScope(): Caller | null {
      const extra = requestScope.getStore();
      if (!extra) return null;
      try {
        return ctx.resolveCaller(extra);
      } catch {
        return null;
      }
    },
  };

  // A message the SDK cannot read (not JSON, not JSON-RPC) is ignored; say so on stderr.
  server.server.onerror = (e) => app.logger.warn('MCP protocol error', { error: protocolErrorText(e) });
  registerTools(server, tools, ctx);
  registerResources(server, resources, ctx);
  // ui://longhaul/investigation: the investigation view as an MCP App, linked from the investigation tools' _meta.
  registerInvestigationApp(server);
  registerPrompts(server, ctx);
  scopeCompletions(server);
  codeProtocolToolErrors(server);
  refuseDotSegments(server);
  const stopSubscriptions = attachSubscriptions(server, ctx, credentialValid);
  const logging = attachLogging(server, app, { forwarding: opts.logForwarding ?? 'tenant', tenantsServed, actedAs: (tenantId, actorId) => actorsServed.has(actorKey(tenantId, actorId)) });
  // LONGHAUL_MODEL=sampling: offer this client's model to background extraction (issue 3).
  const samplingAllowed = opts.samplingAllowed ?? (() => true);
  attachSampling(server, app.deps.models, (tenantId, actorId) => actorsServed.has(actorKey(tenantId, actorId)), () => credentialValid() && samplingAllowed());

  const previousInitialized = server.server.oninitialized;
  server.server.oninitialized = () => {
    logging.start();
    previousInitialized?.();
  };
  const previousClose = server.server.onclose;
  server.server.onclose = () => {
    logging.stop();
    stopSubscriptions();
    previousClose?.();
  };
  return server;
}

type RawHandler = (request: unknown, extra: RequestExtra) => Promise<unknown>;

/**
 * The SDK calls completion callbacks without the request's `extra` (so without
 * `authInfo`: modelcontextprotocol/typescript-sdk#2029), yet completions must only offer
 * the caller's own ids. We run the SDK's `completion/complete` handler inside
 * `requestScope`, so callbacks can resolve the caller (McpContext.callerInScope). The
 * handler is reached through the Protocol's handler map, which has no public getter;
 * the MCP tests fail loudly if an SDK upgrade moves it.
 */
function scopeCompletions(server: McpServer): void {
  const handlers = (server.server as unknown as { _requestHandlers?: Map<string, RawHandler> })._requestHandlers;
  const original = handlers?.get('completion/complete');
  if (!handlers || !original) throw new Error('longhaul: the MCP SDK no longer exposes its completion handler; completion scoping needs updating.');
  handlers.set('completion/complete', (request, extra) => requestScope.run(extra, () => original(request, extra)));
}

/**
 * Tool errors that the SDK produces itself — zod input validation (an empty or oversize
 * subject, a wrong enum value), an unknown or disabled tool — arrive as bare `isError`
 * results without a code. Every error our handlers return carries `_meta[longhaul/error]`;
 * any error result without it came from the SDK's input checks, so it is given the
 * stable code `invalid_input` here (same shape as ours), keeping the SDK's sentence,
 * which names the field.
 */
function codeProtocolToolErrors(server: McpServer): void {
  const handlers = (server.server as unknown as { _requestHandlers?: Map<string, RawHandler> })._requestHandlers;
  const original = handlers?.get('tools/call');
  if (!handlers || !original) throw new Error('longhaul: the MCP SDK no longer exposes its tools/call handler; error coding needs updating.');
  handlers.set('tools/call', async (request, extra) => {
    const result = (await original(request, extra)) as CallToolResult;
    if (!result?.isError || (result._meta && ERROR_META_KEY in result._meta)) return result;
    const first = result.content?.[0];
    const raw = first && first.type === 'text' ? first.text : 'The tool call was refused.';
    const message = raw.replace(/^MCP error -?\d+: /, '');
    return {
      ...result,
      content: [{ type: 'text', text: `[invalid_input] ${message}` }],
      _meta: { ...(result._meta ?? {}), [ERROR_META_KEY]: { code: 'invalid_input', message } },
    };
  });
}

/**
 * URL parsing resolves `..`, `.` and their percent-encodings in a URI's path before any
 * resource handler sees it, so `longhaul://memory/investigations/../actors/x` would be
 * read as `actors/x`. Such URIs are refused outright, as tool arguments are.
 */
function refuseDotSegments(server: McpServer): void {
  const handlers = (server.server as unknown as { _requestHandlers?: Map<string, RawHandler> })._requestHandlers;
  const original = handlers?.get('resources/read');
  if (!handlers || !original) throw new Error('longhaul: the MCP SDK no longer exposes its resources/read handler; URI checks need updating.');
  handlers.set('resources/read', (request, extra) => {
    const uri = (request as { params?: { uri?: unknown } }).params?.uri;
    if (typeof uri === 'string') {
      const path = uri.split(/[?#]/, 1)[0]!;
      if (/(^|\/)(\.|%2e){1,2}(\/|$)/i.test(path) || /%2f|%5c/i.test(path)) {
        throw new McpError(ErrorCode.InvalidParams, `${uri.slice(0, 120)}: "." and ".." segments (plain or percent-encoded) are not allowed in longhaul:// URIs.`, { code: 'invalid_input' });
      }
    }
    return original(request, extra);
  });
}
