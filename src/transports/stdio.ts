import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import type { App } from '../app.js';
import { buildServer } from '../mcp/server.js';
import { MAX_MESSAGE_BYTES, MessageSizeGuard } from './message-size-guard.js';

/**
 * The stdio server for `app`: its caller is the configured identity. Log forwarding is
 * the default (tenant): a record reaches the client only when it names the client's
 * tenant. The process is single-tenant in what it serves, but not in what it touches —
 * its sweeps act on every tenant sharing the data dir, and untagged operational
 * records may carry their ids.
 */
export function buildStdioServer(app: App): McpServer {
  return buildServer(app, { resolveCaller: () => app.localCaller });
}

/**
 * Serves MCP over stdio: stdout carries protocol only; everything else goes to stderr.
 * Resolves when the client disconnects (stdin closes) or the process is told to stop.
 */
export async function serveStdio(app: App): Promise<void> {
  const server = buildStdioServer(app);
  // A message over the limit is dropped and answered with an error (when its id can be
  // read), instead of ending the session as the SDK's reader would.
  const guard = new MessageSizeGuard(MAX_MESSAGE_BYTES, ({ bytes, id }) => {
    app.logger.warn('dropped a message over the size limit', { bytes, limit: MAX_MESSAGE_BYTES, id });
    if (id === null) return;
    const message = `The message is ${bytes} bytes; longhaul reads at most ${MAX_MESSAGE_BYTES} bytes a message over stdio, so it was dropped. Send large data in parts.`;
    transport.send({ jsonrpc: '2.0', id, error: { code: ErrorCode.InvalidRequest, message } }).catch(() => undefined);
  });
  process.stdin.pipe(guard);
  // The guard passes whole messages of at most MAX_MESSAGE_BYTES (plus the newline); the
  // SDK's reader gets room above that, so its own limit (which ends the session) never trips.
  const transport = new StdioServerTransport(guard, process.stdout, { maxBufferSize: 2 * (MAX_MESSAGE_BYTES + 1) });
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await server.connect(transport);
  await app.start();
  app.logger.info('serving MCP over stdio', { store: app.store.location, tenant: app.localCaller.tenantId, actor: app.localCaller.actorId });
  await closed;
  await server.close().catch(() => undefined);
}
