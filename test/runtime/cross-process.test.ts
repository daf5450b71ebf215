import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createRoleRegistry } from '../../src/workers/index.js';
import { completed, wait, type Role } from '../../src/workers/role.js';
import { CLI } from '../e2e/harness.js';
import { connect, type Connected } from '../mcp/helpers.js';

const run = promisify(execFile);
const caller = { tenantId: 'acme', actorId: 'alice' };

/** Waits for "go", then completes: a task only a signal can move on. */
const gated: Role = {
  name: 'gated',
  description: 'waits for the "go" signal, then completes',
  onDeadline: 'time_out',
  async run(ctx) {
    return ctx.signals.some((s) => s.name === 'go') ? completed({ went: true }, 'went') : wait('go', ctx.clock.now() + 3_600_000);
  },
};

const until = async <T>(fn: () => T | Promise<T>, ms: number, what: string): Promise<T> => {
  const end = performance.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/**
 * Two processes on one data dir, as a second server or the CLI would be: apps in this
 * test process on the same SQLite file (separate connections and change feeds, as
 * separate processes have), and the built CLI as a real child process. A change one
 * makes reaches the other's resource subscribers and worker runtime through the
 * store's change log within about a second.
 */
describe('notifications across processes on one SQLite file', () => {
  let dir: string;
  const apps: App[] = [];
  const clients: Connected[] = [];
  const env = () => ({ HOME: '/tmp', LONGHAUL_DATA_DIR: dir, LONGHAUL_TENANT: caller.tenantId, LONGHAUL_ACTOR: caller.actorId, LONGHAUL_LOG_LEVEL: 'error' });
  const make = () => {
    const app = createApp(loadConfig({ env: env() }), { logger: createLogger({ level: 'error', write: () => {} }), roles: createRoleRegistry({ custom: [gated] }) });
    apps.push(app);
    return app;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'longhaul-xproc-'));
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    for (const a of apps.splice(0)) await a.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** App A, started (following the log), with an investigation whose task waits for "go", and a subscribed client. */
  const subscribed = async () => {
    const a = make();
    await a.start();
    const r = await a.runtime.investigations.start(caller, { subject: 'TechCorp', objective: 'Wait for the go-ahead', tasks: [{ role: 'gated', instructions: 'Wait for go', waitFor: { signal: 'go', timeout: '1h' } }] });
    const id = r.investigation.investigationId;
    const uri = `longhaul://investigations/${id}`;
    const c = await connect(a, caller);
    clients.push(c);
    await c.client.subscribeResource({ uri });
    await new Promise((r) => setTimeout(r, 300));
    expect(c.updated).toEqual([]);
    // How A first heard of the investigation's next change: from its own publish, or
    // only through the change log (no local publish of it before).
    const publish = vi.spyOn(a.feed, 'publish');
    const firstHeard: Array<'local' | 'log'> = [];
    a.feed.subscribe((ch) => {
      if (ch.type !== 'investigation' || ch.id !== id || firstHeard.length) return;
      firstHeard.push(publish.mock.calls.some(([x]) => x.type === 'investigation' && x.id === id) ? 'local' : 'log');
    });
    return { a, id, uri, c, taskId: r.tasks[0]!.taskId as string, firstHeard };
  };

  it('a signal submitted through app B reaches a subscriber of app A within a second, and wakes A’s workers', async () => {
    const { a, id, uri, c, taskId, firstHeard } = await subscribed();
    const nudge = vi.spyOn(a.workers, 'nudge');
    const b = make(); // not started: B runs no workers and follows nothing
    const t0 = performance.now();
    await b.runtime.signals.submit(caller, { investigationId: id, signal: 'go', payload: { from: 'B' } });
    await until(() => c.updated.includes(uri), 2_000, 'the resource update on A');
    const heardMs = performance.now() - t0;
    expect(heardMs).toBeLessThan(1_000);
    expect(firstHeard).toEqual(['log']);
    // A's worker runtime heard the `tasks` change, claimed the woken task and ran it.
    const done = await until(async () => ((await a.store.tenant('acme').getTask(taskId))?.status === 'completed' ? performance.now() - t0 : 0), 3_000, 'the task to complete on A');
    expect(nudge).toHaveBeenCalled();
    expect(done).toBeLessThan(2_000);
    console.info(`cross-process (app B → app A): notification after ${heardMs.toFixed(0)} ms, task completed after ${done.toFixed(0)} ms`);
  });

  it('A hears its own changes once: its follower skips the rows it appended', async () => {
    const { a, id, uri, c } = await subscribed();
    const heard: string[] = [];
    a.feed.subscribe((ch) => ch.type === 'investigation' && ch.id === id && heard.push('A'));
    await a.runtime.signals.submit(caller, { investigationId: id, signal: 'note', payload: {} });
    expect(heard).toEqual(['A']);
    await a.feed.flush();
    await a.feed.follow();
    await new Promise((r) => setTimeout(r, 300));
    expect(heard).toEqual(['A']);
    expect(c.updated.filter((u) => u === uri).length).toBeGreaterThanOrEqual(1);
  });

  describe.skipIf(!existsSync(CLI))('with the built CLI (npm run build)', () => {
    it('`longhaul signal` from a shell reaches a subscriber in this process', async () => {
      const { a, id, uri, c, taskId, firstHeard } = await subscribed();
      const t0 = performance.now();
      const r = await run(process.execPath, [CLI, 'signal', id, 'go', '--key', 'cli-1'], { env: { PATH: process.env.PATH ?? '', ...env() }, timeout: 20_000 });
      const exited = performance.now();
      expect(r.stdout).toContain(`Delivered "go" to ${id}`);
      await until(() => c.updated.includes(uri), 2_000, 'the resource update after the CLI signal');
      const heard = performance.now();
      expect(heard - exited).toBeLessThan(1_000);
      expect(firstHeard).toEqual(['log']);
      // The CLI's `tasks` change woke A's workers, which ran the task.
      await until(async () => (await a.store.tenant('acme').getTask(taskId))?.status === 'completed', 3_000, 'the task to complete on A');
      console.info(`cross-process (CLI → app): CLI ran ${(exited - t0).toFixed(0)} ms; notification ${(heard - exited).toFixed(0)} ms after it exited`);
    }, 30_000);
  });
});
