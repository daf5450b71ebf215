import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { FakeClock } from '../../src/domain/clock.js';
import { createLogger } from '../../src/logger.js';
import type { Caller } from '../../src/runtime/deps.js';
import { ModelRegistry, type Model } from '../../src/runtime/model.js';
import { FIXTURES } from '../workers/helpers.js';

const acme: Caller = { tenantId: 'acme', actorId: 'alice' };
const globex: Caller = { tenantId: 'globex', actorId: 'bob' };

/** A fixed model that notes whose data it is asked to work on. */
class SpyModels extends ModelRegistry {
  readonly asked = new Set<string>();
  constructor(name: string) {
    const model: Model = { name, complete: async () => 'prose' };
    super('openai', model);
  }
  override current(tenantId: string): Model | null {
    this.asked.add(tenantId);
    return super.current(tenantId);
  }
}

/**
 * Two apps configured as two stdio servers with different LONGHAUL_TENANT would be,
 * sharing one data dir (two connections in this one process, with a fake clock): each
 * runs only its own tenant's worker tasks and extraction — with its own sources, rules
 * and model — while the lifecycle, deadline and retention sweeps stay cross-tenant. Real
 * separate processes on one file: test/reliability/concurrency.test.ts.
 */
describe('two apps of different tenants on one SQLite file', () => {
  let dir: string;
  let clock: FakeClock;
  let apps: Record<'acme' | 'globex', { app: App; models: SpyModels }>;

  const make = (tenant: string, sources: string) => {
    const config = loadConfig({
      env: { HOME: '/tmp', LONGHAUL_STORE: 'sqlite', LONGHAUL_DATA_DIR: dir, LONGHAUL_TENANT: tenant, LONGHAUL_SOURCES: sources, LONGHAUL_IDLE_TIMEOUT: '15m' },
    });
    const models = new SpyModels(`openai:${tenant}-model`);
    return { app: createApp(config, { clock, models, logger: createLogger({ level: 'error', write: () => {} }) }), models };
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'longhaul-tenants-'));
    clock = new FakeClock(Date.UTC(2026, 10, 3, 9));
    apps = { acme: make('acme', FIXTURES), globex: make('globex', join(dir, 'globex-docs')) };
  });
  afterEach(async () => {
    await apps.acme.app.close();
    await apps.globex.app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (app: App, caller: Caller, n: number) =>
    app.runtime.investigations.start(caller, {
      subject: 'TechCorp',
      objective: 'Check TechCorp before onboarding',
      tasks: Array.from({ length: n }, () => ({ role: 'retrieval', instructions: 'Search internal sources for TechCorp' })),
    });

  it('serves the tenant of its config', () => {
    expect(apps.acme.app.servedTenants).toEqual(['acme']);
    expect(apps.globex.app.servedTenants).toEqual(['globex']);
    expect(apps.acme.app.store.location).toBe(apps.globex.app.store.location);
  });

  it("each claims and runs only its own tenant's tasks, with its own model", async () => {
    // globex's tasks are due first: a claim across tenants would take them.
    const g = await start(apps.globex.app, globex, 3);
    clock.advance(1);
    const a = await start(apps.acme.app, acme, 2);
    const { app: acmeApp } = apps.acme;
    const runs = [];
    for (let run = await acmeApp.workers.runOnce(); run; run = await acmeApp.workers.runOnce()) runs.push(run);
    expect(runs).toHaveLength(2);
    expect(runs.every((r) => r.outcome === 'completed')).toBe(true);
    expect((await acmeApp.store.tenant('acme').listTasks(a.investigation.investigationId)).map((t) => t.status)).toEqual(['completed', 'completed']);
    const globexTasks = await acmeApp.store.tenant('globex').listTasks(g.investigation.investigationId);
    expect(globexTasks.map((t) => [t.status, t.attempts])).toEqual([
      ['pending', 0],
      ['pending', 0],
      ['pending', 0],
    ]);
    expect(await acmeApp.workers.fill()).toBe(0);
    expect([...apps.acme.models.asked]).toEqual(['acme']);

    const { app: globexApp } = apps.globex;
    while (await globexApp.workers.runOnce());
    expect((await globexApp.store.tenant('globex').listTasks(g.investigation.investigationId)).map((t) => t.status)).toEqual(['completed', 'completed', 'completed']);
    expect([...apps.globex.models.asked]).toEqual(['globex']);
  });

  it("each extracts only its own tenant's sessions, and leaves the other's due", async () => {
    const g = await start(apps.globex.app, globex, 0);
    const a = await start(apps.acme.app, acme, 0);
    await apps.globex.app.runtime.events.record(globex, { investigationId: g.investigation.investigationId, role: 'user', kind: 'fact', text: 'Globex moved its treasury to Zug.' });
    await apps.acme.app.runtime.events.record(acme, { investigationId: a.investigation.investigationId, role: 'user', kind: 'fact', text: 'TechCorp banks with First Harbor.' });
    clock.advance(60_000);

    const acmePass = (await apps.acme.app.scheduler.tick('extraction')).extraction!;
    expect(acmePass.processed).toBe(1);
    expect([...apps.acme.models.asked]).toEqual(['acme']);
    expect((await apps.acme.app.store.dueExtractions(clock.now(), 10)).map((c) => [c.tenantId, c.sessionId])).toEqual([['globex', g.sessionId]]);
    expect(await apps.acme.app.store.tenant('globex').getCheckpoint(g.sessionId)).toMatchObject({ throughSeq: 0 });

    expect((await apps.globex.app.scheduler.tick('extraction')).extraction!.processed).toBe(1);
    expect([...apps.globex.models.asked]).toEqual(['globex']);
    expect(await apps.globex.app.store.dueExtractions(clock.now(), 10)).toEqual([]);
  });

  it("keeps the sweeps cross-tenant: one process's lifecycle sweep ends the other tenant's idle sessions", async () => {
    const g = await start(apps.globex.app, globex, 0);
    clock.advance(15 * 60_000);
    expect((await apps.acme.app.scheduler.tick('lifecycle')).lifecycle!.processed).toBe(1);
    expect(await apps.acme.app.store.tenant('globex').getSession(g.sessionId)).toMatchObject({ status: 'terminated', terminationReason: 'idle_timeout' });
  });
});
