import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alice, bob, connect, makeApp, type TestApp } from './helpers.js';

describe('longhaul://sources', () => {
  let dir: string;
  let t: TestApp;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'longhaul-sources-resource-'));
    const docs = join(dir, 'docs');
    const db = new Database(join(dir, 'crm.db'));
    db.exec("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO accounts VALUES (1, 'TechCorp GmbH'), (2, 'Globex Holdings Ltd');");
    db.close();
    mkdirSync(docs);
    writeFileSync(join(docs, 'notes.md'), '# Notes\n\nTechCorp pays Globex.\n');
    writeFileSync(join(docs, 'scan.pdf'), '%PDF-1.4 not really a pdf');
    writeFileSync(
      join(dir, 'sources.json'),
      JSON.stringify({ sources: [{ name: 'docs', folder: 'docs' }, { name: 'crm', database: 'sqlite:crm.db', tables: ['accounts', 'ghosts'] }] }),
    );
    t = makeApp({ LONGHAUL_SOURCES_FILE: join(dir, 'sources.json') });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("shows the caller's tenant's sources: what is indexed, what was skipped and why, what failed", async () => {
    const c = await connect(t.app, alice);
    await t.app.sources.for(alice.tenantId).refresh();
    const r = await c.readJson('longhaul://sources');
    expect(r).toMatchObject({ configured: true, refreshing: false });
    expect(r.sources).toEqual([
      expect.objectContaining({ name: 'docs', kind: 'folder', location: join(dir, 'docs'), documents: 1, passages: 1, skippedCount: 1, skipped: [{ document: 'docs/scan.pdf', reason: expect.stringMatching(/corrupt PDF/) }], errors: [] }),
      expect.objectContaining({ name: 'crm', kind: 'database', location: `sqlite:${join(dir, 'crm.db')}`, rows: 2, tables: [expect.objectContaining({ table: 'crm:accounts', rows: 2 })], errors: [expect.stringMatching(/ghosts.*not found/)] }),
    ]);
    expect(r.sources[0].lastIndexed).toMatch(/^\d{4}-\d\d-\d\dT/);
    await c.close();
  });

  it('shows another tenant none of them', async () => {
    const c = await connect(t.app, bob);
    expect(await c.readJson('longhaul://sources')).toMatchObject({ configured: false, sources: [] });
    await c.close();
  });
});
