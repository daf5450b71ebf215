import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import { FakeClock } from '../../../src/domain/clock.js';
import { createLogger } from '../../../src/logger.js';
import { HttpServedTenants, tokenFileTenants } from '../../../src/transports/http/served-tenants.js';
import { startHttpServer, type HttpServerHandle } from '../../../src/transports/http/server.js';
import { createToken } from '../../../src/transports/http/tokens-file.js';
import { connectHttp, tokensFile } from './helpers.js';

/**
 * `serve --http` runs the background work of the tenants its tokens file names. The file
 * changes while serving: a tenant given its first token then must get its worker tasks
 * and extraction run too, without a restart.
 */
describe('the tenants a serve --http process serves', () => {
  let app: App | undefined;
  let http: HttpServerHandle | undefined;
  const file = tokensFile({ alice: { tenant: 'acme', actor: 'alice' } });
  afterEach(async () => {
    await http?.close();
    await app?.close();
    file.cleanup();
  });

  it('grows when a tenant is given a token while serving: its retrieval task runs and its sessions are extracted', async () => {
    const config = loadConfig({ env: { HOME: '/tmp', LONGHAUL_STORE: 'memory', LONGHAUL_TENANT: 'acme', LONGHAUL_ACTOR: 'alice', LONGHAUL_HTTP_PORT: '0', LONGHAUL_TOKENS_FILE: file.path } });
    const served = new HttpServedTenants(config, tokenFileTenants(config));
    app = createApp(config, { clock: new FakeClock(), logger: createLogger({ level: 'error', write: () => {} }), servedTenants: served.current });
    http = await startHttpServer(app, { servedTenants: served, accessLog: () => {}, tokensPollMs: 3_600_000 });
    expect(app.servedTenants).toEqual(['acme']);

    const { token } = createToken(file.path, { tenant: 'globex', actor: 'bob', scopes: ['read', 'write'], createdAt: '2026-01-01T00:00:00.000Z' });
    const bob = await connectHttp(`${http.url}/mcp`, token);
    try {
      await bob.call('start_investigation', {
        subject: 'Initech',
        objective: 'Check Initech before onboarding',
        tasks: [{ role: 'retrieval', instructions: 'Search internal sources for Initech' }],
      });
    } finally {
      await bob.close();
    }
    expect(app.servedTenants).toEqual(['acme', 'globex']);
    // acme has no tasks: the one this claims is globex's.
    const run = await app.workers.runOnce();
    expect(run).toMatchObject({ outcome: 'completed' });
    // And its sessions' memory extraction.
    (app.clock as FakeClock).advance(3_600_000);
    const { extraction } = await app.scheduler.tick('extraction');
    expect(extraction!.processed).toBeGreaterThan(0);
  });
});
