import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { FakeClock } from '../src/domain/clock.js';
import { createLogger } from '../src/logger.js';
import type { Caller } from '../src/runtime/deps.js';
import { loadTenantSettings, parseRateLimit, servedTenantsFor, tenantsFileTenants } from '../src/tenants.js';
import { DEFAULT_RULES } from '../src/workers/compliance/rules.js';
import type { RetrievalResult } from '../src/workers/retrieval.js';

const acme: Caller = { tenantId: 'acme', actorId: 'alice' };
const globex: Caller = { tenantId: 'globex', actorId: 'gina' };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'longhaul-tenants-file-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const write = (rel: string, text: string) => {
  const path = join(dir, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
};
const tenantsFile = (tenants: unknown) => write('tenants.json', JSON.stringify({ tenants }));
const config = (env: Record<string, string> = {}) =>
  loadConfig({ env: { HOME: '/tmp', LONGHAUL_STORE: 'memory', LONGHAUL_DATA_DIR: dir, LONGHAUL_TENANT: 'local', LONGHAUL_ACTOR: 'me', ...env } });
const silent = () => createLogger({ level: 'error', write: () => {} });

describe('the tenants file (LONGHAUL_TENANTS_FILE)', () => {
  it("reads each tenant's sources, rules, model and limits, resolving relative paths against the file", () => {
    write('rules/acme.json', JSON.stringify({ largeTransaction: { threshold: 5000 } }));
    const file = tenantsFile({
      acme: {
        sources: [
          { name: 'docs', folder: 'acme/documents' },
          { name: 'crm', database: 'sqlite:acme/crm.db', tables: ['accounts'] },
        ],
        rulesFile: 'rules/acme.json',
        model: 'openai:http://llm.acme.internal:11434/v1/',
        modelName: 'llama3',
        apiKeyEnv: 'ACME_KEY',
        limits: { maxSignals: 20, maxSignalBytes: '5MiB', rateLimit: '60/1m' },
      },
      globex: { model: 'sampling' },
    });
    const t = loadTenantSettings(config({ LONGHAUL_TENANTS_FILE: file }), { ACME_KEY: 'sk-acme' });
    expect(t.ids()).toEqual(['acme', 'globex']);
    expect(t.sourcesFor('acme')).toEqual([
      { kind: 'folder', name: 'docs', folder: join(dir, 'acme/documents') },
      expect.objectContaining({ kind: 'database', name: 'crm', url: `sqlite:${join(dir, 'acme/crm.db')}`, tables: ['accounts'] }),
    ]);
    expect(t.entry('acme')?.rulesFile).toBe(join(dir, 'rules/acme.json'));
    expect(t.rulesFor('acme').largeTransaction.threshold).toBe(5000);
    expect(t.rulesFor('globex')).toBe(DEFAULT_RULES);
    expect(t.models()).toEqual(
      new Map([
        ['acme', { kind: 'openai', baseUrl: 'http://llm.acme.internal:11434/v1', modelName: 'llama3', apiKey: 'sk-acme' }],
        ['globex', { kind: 'sampling' }],
      ]),
    );
    expect(t.limitsFor('acme')).toEqual({ signals: { count: 20, bytes: 5 * 1024 ** 2 }, rateLimit: { requests: 60, windowMs: 60_000 } });
  });

  it('falls back field by field: the stdio tenant keeps LONGHAUL_SOURCES and LONGHAUL_RULES_FILE, other tenants get none and the defaults', () => {
    const rules = write('house-rules.json', JSON.stringify({ largeTransaction: { threshold: 7000 } }));
    const docs = join(dir, 'local-docs');
    mkdirSync(docs);
    const file = tenantsFile({ acme: { limits: { maxSignals: 5 } }, local: { rulesFile: 'house-rules.json' } });
    const c = config({ LONGHAUL_TENANTS_FILE: file, LONGHAUL_SOURCES: docs, LONGHAUL_RULES_FILE: rules, LONGHAUL_MAX_SIGNALS: '50', LONGHAUL_HTTP_RATE_LIMIT: '10/1s' });
    const t = loadTenantSettings(c);
    // local (the stdio tenant) has an entry without sources: it keeps LONGHAUL_SOURCES.
    expect(t.sourcesFor('local').map((s) => s.name)).toEqual(['local-docs']);
    // acme has an entry without sources, initech none at all: neither has sources.
    expect(t.sourcesFor('acme')).toEqual([]);
    expect(t.sourcesFor('initech')).toEqual([]);
    expect(t.rulesFor('local').largeTransaction.threshold).toBe(7000);
    expect(t.rulesFor('acme')).toBe(DEFAULT_RULES);
    expect(t.limitsFor('acme')).toEqual({ signals: { count: 5, bytes: c.signalLimits.bytes }, rateLimit: { requests: 10, windowMs: 1000 } });
    expect(t.limitsFor('initech')).toEqual({ signals: c.signalLimits, rateLimit: c.http.rateLimit });
    // Without a tenants file: only the stdio tenant has sources.
    const none = loadTenantSettings(config({ LONGHAUL_SOURCES: docs }));
    expect(none.ids()).toEqual([]);
    expect(none.sourcesFor('local')).toHaveLength(1);
    expect(none.sourcesFor('acme')).toEqual([]);
  });

  it('never sends the process-wide API key to an endpoint a tenant names', () => {
    const file = tenantsFile({ same: { model: 'openai:http://llm.internal/v1' }, other: { model: 'openai:http://elsewhere.example/v1' } });
    const t = loadTenantSettings(config({ LONGHAUL_TENANTS_FILE: file, LONGHAUL_MODEL: 'openai:http://llm.internal/v1', OPENAI_API_KEY: 'sk-house', LONGHAUL_MODEL_NAME: 'house' }));
    expect(t.models().get('same')).toEqual({ kind: 'openai', baseUrl: 'http://llm.internal/v1', modelName: 'house', apiKey: 'sk-house' });
    expect(t.models().get('other')).toEqual({ kind: 'openai', baseUrl: 'http://elsewhere.example/v1', modelName: 'house', apiKey: null });
  });

  it('names the file, the tenant and the field of a mistake, and the server does not start', () => {
    const bad = (tenants: unknown) => () => loadTenantSettings(config({ LONGHAUL_TENANTS_FILE: tenantsFile(tenants) }));
    expect(bad({ acme: { sources: [{ name: 'docs', folder: 'x' }, { name: 'erp', database: 'mysql://x', tables: ['a'] }] } })).toThrow(/tenants\.json.*\n.*tenants\.acme\.sources\[1\]\.database: must be postgres/);
    expect(bad({ acme: { sources: [{ name: 'docs', folder: 'a' }, { name: 'docs', folder: 'b' }] } })).toThrow(/tenants\.acme\.sources\[1\] is named "docs" like an earlier source/);
    expect(bad({ acme: { model: 'gpt' } })).toThrow(/tenants\.acme\.model: must be `none`, `sampling` or `openai:/);
    expect(bad({ acme: { limits: { maxSignals: 0 } } })).toThrow(/tenants\.acme\.limits\.maxSignals/);
    expect(bad({ acme: { limits: { maxSignalBytes: '12 parsecs' } } })).toThrow(/tenants\.acme\.limits\.maxSignalBytes: "12 parsecs" must be a size/);
    expect(bad({ acme: { limits: { rateLimit: 'lots' } } })).toThrow(/tenants\.acme\.limits\.rateLimit: "lots" must be requests per window/);
    expect(bad({ acme: { sourcs: [] } })).toThrow(/tenants\.acme: Unrecognized key.*sourcs/);
    expect(bad({ 'acme/../globex': {} })).toThrow(/is not a tenant id/);
    expect(bad({ acme: { rulesFile: 'missing.json' } })).toThrow(/tenants\.acme\.rulesFile: cannot read .*missing\.json \(ENOENT\)/);
    write('bad-rules.json', JSON.stringify({ largeTransaction: { threshold: 'lots' } }));
    expect(bad({ acme: { rulesFile: 'bad-rules.json' } })).toThrow(/tenants\.acme\.rulesFile: rules-file: .*bad-rules\.json has invalid rules:\n\s+largeTransaction\.threshold/);
    expect(bad({ acme: { model: 'openai:http://x/v1', apiKeyEnv: 'NOT_SET_ANYWHERE_42' } })).toThrow(/tenants\.acme\.apiKeyEnv: the environment variable NOT_SET_ANYWHERE_42 is not set/);
    expect(bad({ acme: { model: 'sampling', modelName: 'x' } })).toThrow(/modelName and apiKeyEnv go with/);
    expect(bad([1, 2])).toThrow(/must hold \{"tenants"/);
    expect(() => loadTenantSettings(config({ LONGHAUL_TENANTS_FILE: join(dir, 'nope.json') }))).toThrow(/tenants-file \(LONGHAUL_TENANTS_FILE=.*nope\.json\): cannot read it \(ENOENT\)/);
    write('tenants.json', '{"tenants": {');
    expect(() => loadTenantSettings(config({ LONGHAUL_TENANTS_FILE: join(dir, 'tenants.json') }))).toThrow(ConfigError);
    // createApp refuses it before opening anything.
    expect(() => createApp(config({ LONGHAUL_TENANTS_FILE: join(dir, 'tenants.json') }), { logger: silent() })).toThrow(/tenants-file: .*tenants\.json is not valid JSON/);
  });

  it("gives a tenant's background work its own model over LONGHAUL_MODEL", async () => {
    const file = tenantsFile({ acme: { model: 'sampling' }, globex: { model: 'openai:http://127.0.0.1:9/v1', modelName: 'globex-llm' }, initech: { model: 'none' } });
    const app = createApp(config({ LONGHAUL_TENANTS_FILE: file, LONGHAUL_MODEL: 'openai:http://127.0.0.1:9/v1', LONGHAUL_MODEL_NAME: 'house-llm' }), { logger: silent() });
    const models = app.deps.models!;
    expect([models.modeFor('acme'), models.modeFor('globex'), models.modeFor('initech'), models.modeFor('local')]).toEqual(['sampling', 'openai', 'none', 'openai']);
    expect(models.samples).toBe(true);
    expect(models.current('acme', 'alice')).toBeNull(); // sampling, and no client of alice connected
    expect(models.current('globex')?.name).toBe('openai:globex-llm');
    expect(models.current('initech')).toBeNull();
    expect(models.current('local')?.name).toBe('openai:house-llm');
    await app.close();
  });

  it('parses rate limits like LONGHAUL_HTTP_RATE_LIMIT', () => {
    expect(parseRateLimit('600/1m')).toEqual({ requests: 600, windowMs: 60_000 });
    expect(parseRateLimit('5 / PT10S')).toEqual({ requests: 5, windowMs: 10_000 });
    for (const v of ['0/1m', '10/500ms', '10', 'x/1m']) expect(parseRateLimit(v), v).toBeNull();
  });

  it('serves the stdio tenant and the tenants in the file', () => {
    const c = config({ LONGHAUL_TENANTS_FILE: tenantsFile({ acme: {}, globex: {} }) });
    expect(servedTenantsFor(c, loadTenantSettings(c))).toEqual(['acme', 'globex', 'local']);
    const app = createApp(c, { logger: silent() });
    expect(app.servedTenants).toEqual(['acme', 'globex', 'local']);
    expect(app.limitsFor('acme')).toEqual({ signals: c.signalLimits, rateLimit: c.http.rateLimit });
    expect(app.deps.limitsFor!('acme')).toEqual(app.limitsFor('acme'));
    const c2 = config({ LONGHAUL_TENANT: 'acme', LONGHAUL_TENANTS_FILE: tenantsFile({ acme: {}, globex: {} }) });
    expect(servedTenantsFor(c2, loadTenantSettings(c2))).toEqual(['acme', 'globex']);
    expect(servedTenantsFor(config(), loadTenantSettings(config()))).toEqual(['local']);
    // The ids alone, for a transport that decides servedTenants before createApp.
    expect(tenantsFileTenants(c)).toEqual(['acme', 'globex']);
    expect(tenantsFileTenants(config())).toEqual([]);
    return app.close();
  });
});

/**
 * One process serving two tenants from a tenants file, each with its own folder: every
 * retrieval searches only its own tenant's documents.
 */
for (const store of ['memory', 'sqlite'] as const) {
  describe(`two tenants of one tenants file in one app (${store} store)`, () => {
    let app: App;
    beforeEach(() => {
      write('acme/docs/vendors.md', '# Vendors\n\nTechCorp is paid through the Lisbon escrow account of Acme.\n');
      write('globex/docs/board.md', '# Board\n\nTechCorp owes Globex a confidential settlement negotiated in Zug.\n');
      const file = tenantsFile({
        acme: { sources: [{ name: 'acme-docs', folder: 'acme/docs' }] },
        globex: { sources: [{ name: 'globex-docs', folder: 'globex/docs' }] },
      });
      app = createApp(config({ LONGHAUL_STORE: store, LONGHAUL_TENANTS_FILE: file, LONGHAUL_IDLE_TIMEOUT: '15m' }), {
        clock: new FakeClock(Date.UTC(2026, 10, 3, 9)),
        logger: silent(),
      });
    });
    afterEach(() => app.close());

    const retrieve = async (caller: Caller) => {
      const r = await app.runtime.investigations.start(caller, {
        subject: 'TechCorp',
        objective: 'Check TechCorp before onboarding',
        tasks: [{ role: 'retrieval', instructions: 'Search internal sources for TechCorp settlement escrow account' }],
      });
      return r.investigation.investigationId;
    };

    it("never lets a tenant's retrieval find another tenant's documents", async () => {
      const a = await retrieve(acme);
      const g = await retrieve(globex);
      while (await app.workers.runOnce());
      const result = async (caller: Caller, id: string) => {
        const [task] = await app.store.tenant(caller.tenantId).listTasks(id);
        expect(task).toMatchObject({ status: 'completed' });
        return task!.result as RetrievalResult;
      };
      const ra = await result(acme, a);
      const rg = await result(globex, g);

      expect(ra.sources.map((s) => s.name)).toEqual(['acme-docs']);
      expect(ra.sourcesConsulted).toEqual(['acme-docs/vendors.md']);
      expect(ra.findings.map((f) => f.text).join('\n')).toMatch(/Lisbon escrow/);
      expect(JSON.stringify(ra)).not.toMatch(/Zug|confidential|globex-docs|board\.md/);

      expect(rg.sources.map((s) => s.name)).toEqual(['globex-docs']);
      expect(rg.sourcesConsulted).toEqual(['globex-docs/board.md']);
      expect(rg.findings.map((f) => f.text).join('\n')).toMatch(/settlement negotiated in Zug/);
      expect(JSON.stringify(rg)).not.toMatch(/Lisbon|Acme\.|acme-docs|vendors\.md/);

      // Neither's recorded findings (events of its investigation) cite the other's files.
      const timeline = async (caller: Caller, id: string) => JSON.stringify((await app.runtime.events.timeline(caller, id, { limit: 500 })).events);
      expect(await timeline(acme, a)).not.toMatch(/Zug|globex-docs/);
      expect(await timeline(globex, g)).not.toMatch(/Lisbon|acme-docs/);
      // The stdio tenant, not named in the file and without LONGHAUL_SOURCES, has none.
      expect(app.sources.for('local').configured).toBe(false);
    });
  });
}
