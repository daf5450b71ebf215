import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SetLevelRequestSchema, type LoggingLevel } from '@modelcontextprotocol/sdk/types.js';
import type { App } from '../app.js';
import type { LogLevel } from '../logger.js';

const SEVERITY: Record<LoggingLevel, number> = { debug: 0, info: 1, notice: 2, warning: 3, error: 4, critical: 5, alert: 6, emergency: 7 };
const TO_MCP: Record<LogLevel, LoggingLevel> = { debug: 'debug', info: 'info', warn: 'warning', error: 'error' };

/** Which app log records a connection may see. */
export type LogForwarding =
  /** Only records tagged with a tenant this server has served (safe with several tenants). */
  | 'tenant'
  /** Also untagged operational records (scheduler, store): for single-tenant stdio. */
  | 'all';

/** JSON-safe copy of log fields: errors become {name, message} (never a stack). */
function jsonSafe(fields: Record<string, unknown>): Record<string, unknown> {
  try {
    return JSON.parse(
      JSON.stringify(fields, (k, v: unknown) => {
        if (k === 'stack') return undefined;
        if (v instanceof Error) return { name: v.name, message: v.message };
        if (typeof v === 'bigint') return v.toString();
        return v;
      }),
    ) as Record<string, unknown>;
  } catch {
    return { note: 'fields not serialisable' };
  }
}

/**
 * The MCP `logging` capability: forwards app log records to the client as
 * `notifications/message`, from initialisation until the connection closes.
 *
 * The level is kept here rather than by the SDK's Server (which forwards everything
 * until the client sends `logging/setLevel`): before the client chooses, the configured
 * log level applies, so debug chatter is not pushed at a client that never asked.
 *
 * Returns `{ start, stop }`: start on `initialized`, stop on close.
 */
export function attachLogging(
  server: McpServer,
  app: App,
  opts: { forwarding: LogForwarding; tenantsServed: ReadonlySet<string>; actedAs?: (tenantId: string, actorId: string) => boolean },
) {
  let level: LoggingLevel = TO_MCP[app.config.logLevel];
  let removeSink: (() => void) | null = null;

  server.server.setRequestHandler(SetLevelRequestSchema, async (req) => {
    level = req.params.level;
    return {};
  });

  return {
    start() {
      removeSink ??= app.logger.addSink((lvl, msg, fields) => {
        if (!server.isConnected()) return;
        const mcpLevel = TO_MCP[lvl];
        if (SEVERITY[mcpLevel] < SEVERITY[level]) return;
        const tenantId = fields.tenantId;
        if (typeof tenantId === 'string' ? !opts.tenantsServed.has(tenantId) : opts.forwarding !== 'all') return;
        // A record about one actor's doings (their private memory, their calls) reaches only
        // connections that acted as that actor; a tenant's other people see tenant-level records.
        const actorId = fields.actorId;
        if (typeof tenantId === 'string' && typeof actorId === 'string' && opts.actedAs && !opts.actedAs(tenantId, actorId)) return;
        server.server.sendLoggingMessage({ level: mcpLevel, logger: 'longhaul', data: { msg, ...jsonSafe(fields) } }).catch(() => {
          // The client went away; the sink is removed on close. Never log here (it would recurse).
        });
      });
    },
    stop() {
      removeSink?.();
      removeSink = null;
    },
  };
}
