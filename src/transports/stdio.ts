import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { App } from '../app.js';
import { buildServer } from '../mcp/server.js';

/**
 * Serves MCP over stdio: stdout carries protocol only; everything else goes to stderr.
 * Resolves when the client disconnects (stdin closes) or the process is told to stop.
 */
export async function serveStdio(app: App): Promise<void> {
  // One tenant per stdio process: every log record is the connected client's business.
  const server = buildServer(app, { resolveCaller: () => app.localCaller, logForwarding: 'all' });
  const transport = new StdioServerTransport();
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
