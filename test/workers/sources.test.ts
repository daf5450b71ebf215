import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { FakeClock } from '../../src/domain/clock.js';
import { nullLogger } from '../../src/logger.js';
import { openSourceDatabase } from '../../src/store/adapters/source-db.js';
import { createSqliteSourceIndex } from '../../src/store/adapters/source-index-sqlite.js';
import { citationRef } from '../../src/workers/sources/citation.js';
import { parseSourcesFile, sourceSpecs, type SourceSpec } from '../../src/workers/sources/config.js';
import { SourceLibrary } from '../../src/workers/sources/library.js';
import { sourceIndexFile, TenantSources } from '../../src/workers/sources/registry.js';
import { docxOf, pdfOf } from './documents.js';

export const FIXTURES = new URL('../../fixtures/techcorp', import.meta.url).pathname;

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'longhaul-sources-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const clock = new FakeClock(Date.UTC(2026, 10, 3));
const library = (specs: SourceSpec[]) => new SourceLibrary(createSqliteSourceIndex(':memory:'), specs, { clock, logger: nullLogger, openDatabase: (s) => openSourceDatabase(s) });

describe('sources file', () => {
  it('reads folders and databases, resolving relative paths against the file', () => {
    const specs = parseSourcesFile(
      JSON.stringify({
        sources: [
          { name: 'docs', folder: 'documents' },
          { name: 'erp', database: 'postgres://readonly@db.internal:5432/erp', tables: ['vendors', 'public.payments'], columns: { vendors: ['name', 'notes'] }, maxRows: 1000, statementTimeout: '5s' },
          { name: 'crm', database: 'sqlite:crm.db', tables: ['accounts'] },
        ],
      }),
      '/srv/acme/sources.json',
    );
    expect(specs[0]).toEqual({ kind: 'folder', name: 'docs', folder: '/srv/acme/documents' });
    expect(specs[1]).toMatchObject({ kind: 'database', name: 'erp', tables: ['vendors', 'public.payments'], columns: { vendors: ['name', 'notes'] }, maxRowsPerTable: 1000, statementTimeoutMs: 5000 });
    expect(specs[2]).toMatchObject({ url: 'sqlite:/srv/acme/crm.db' });
  });

  it('names the entry and field of a mistake', () => {
    const bad = (sources: unknown[]) => () => parseSourcesFile(JSON.stringify({ sources }), 'sources.json');
    expect(bad([{ name: 'erp', database: 'mysql://x', tables: ['a'] }])).toThrow(/sources\[0\]\.database: must be postgres/);
    expect(bad([{ name: 'erp', database: 'sqlite:x.db', tables: ['a; DROP TABLE a'] }])).toThrow(/sources\[0\]\.tables\.0/);
    expect(bad([{ name: 'erp', database: 'sqlite:x.db', tables: ['a'], columns: { b: ['x'] } }])).toThrow(/names table "b" in columns or keys/);
    expect(bad([{ name: '../etc', folder: '/x' }])).toThrow(ConfigError);
    expect(() => parseSourcesFile('{"sources": 3}', 'sources.json')).toThrow(/must hold \{"sources"/);
  });

  it('gives LONGHAUL_SOURCES folders their base names, kept unique', () => {
    const specs = sourceSpecs(['/a/docs', '/b/docs', '/c/My Files'], null);
    expect(specs.map((s) => s.name)).toEqual(['docs', 'docs-2', 'My_Files']);
  });
});

describe('a folder source', () => {
  let dir: string;
  let lib: SourceLibrary;
  beforeEach(async () => {
    dir = join(tempDir(), 'techcorp');
    cpSync(FIXTURES, dir, { recursive: true });
    mkdirSync(join(dir, 'board'));
    writeFileSync(join(dir, 'board', 'minutes.pdf'), await pdfOf([['TechCorp board minutes'], ['Item 4. The board approved a payment of USD 620,000 to Orion Shell Holdings.', 'Dana Whitfield abstained.']]));
    writeFileSync(join(dir, 'board', 'memo.docx'), await docxOf(['Memo on suppliers', 'TechCorp routes supplier payments through Globex Holdings Ltd in Cyprus.']));
    writeFileSync(join(dir, 'board', 'scan.pdf'), await pdfOf([[], []]));
    writeFileSync(join(dir, 'board', 'broken.docx'), 'PK this is not a zip');
    lib = library([{ kind: 'folder', name: 'techcorp', folder: dir }]);
  });
  afterEach(() => lib.close());

  it('indexes Markdown, text, JSON, CSV, HTML, PDF and Word, and cites lines and pages', async () => {
    const r = await lib.refresh();
    expect(r.sources[0]).toMatchObject({ name: 'techcorp', kind: 'folder', documents: 8, skipped: 2, errors: [] });
    const csv = (await lib.search('Globex Holdings watch list', 5)).find((h) => h.file === 'techcorp/vendors.csv');
    expect(csv && citationRef(csv)).toBe('techcorp/vendors.csv:3');
    const pdf = (await lib.search('Orion Shell Holdings', 3)).find((h) => h.file === 'techcorp/board/minutes.pdf');
    expect(pdf && citationRef(pdf)).toBe('techcorp/board/minutes.pdf:p2');
    expect(pdf!.snippet).toContain('USD 620,000');
    const docx = (await lib.search('Globex Cyprus supplier payments', 3)).find((h) => h.file === 'techcorp/board/memo.docx');
    expect(docx && citationRef(docx)).toBe('techcorp/board/memo.docx:2');
    const html = await lib.search('Hamburg payment terminals', 3);
    expect(html[0]!.file).toBe('techcorp/techcorp-profile.html');
    expect(html[0]!.snippet).not.toContain('<');
  });

  it('lists files it cannot read as skipped, with the reason, in its status', async () => {
    await lib.refresh();
    const skipped = (await lib.documents()).filter((d) => d.status === 'skipped');
    expect(skipped.map((d) => d.display).sort()).toEqual(['techcorp/board/broken.docx', 'techcorp/board/scan.pdf']);
    expect(skipped.find((d) => d.display.endsWith('scan.pdf'))!.error).toMatch(/no text layer/);
    expect(skipped.find((d) => d.display.endsWith('broken.docx'))!.error).toMatch(/docx/i);
    const [status] = await lib.status();
    expect(status).toMatchObject({ skipped: 2, refreshedAt: clock.now() });
  });

  it('re-indexes only files that changed, and drops deleted ones', async () => {
    await lib.refresh();
    expect((await lib.refresh()).indexed).toBe(0);
    // Touched but identical: hashed, not re-read.
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(dir, 'contracts.json'), later, later);
    expect((await lib.refresh()).indexed).toBe(0);
    writeFileSync(join(dir, 'vendors.csv'), 'name,status\nAcme Widgets,watch list\n');
    unlinkSync(join(dir, 'techcorp-profile.html'));
    expect((await lib.refresh()).indexed).toBe(1);
    expect((await lib.search('Hamburg', 5)).map((h) => h.file)).not.toContain('techcorp/techcorp-profile.html');
    expect(citationRef((await lib.search('Acme Widgets', 1))[0]!)).toBe('techcorp/vendors.csv:2');
    // Query syntax is inert: only words reach the engine.
    expect((await lib.search('"Globex" OR * NEAR( notes:x', 3)).length).toBeGreaterThan(0);
  });

  it('finds exact lines that pass a test', async () => {
    await lib.refresh();
    const lines = await lib.findLines('Globex Holdings', (l) => l.includes('watch list') && l.includes('Globex'));
    expect(lines.map(citationRef)).toEqual(expect.arrayContaining(['techcorp/vendors.csv:3', 'techcorp/meeting-notes/2026-11-03-techcorp-kickoff.md:11']));
  });

  it('keeps two sources over one folder apart, and settles', async () => {
    const both = library([
      { kind: 'folder', name: 'one', folder: dir },
      { kind: 'folder', name: 'two', folder: join(dir, 'policies') },
    ]);
    const first = await both.refresh();
    expect(first.sources.map((x) => [x.name, x.documents])).toEqual([
      ['one', 8],
      ['two', 2],
    ]);
    expect((await both.refresh()).indexed).toBe(0);
    const files = (await both.search('beneficial ownership declaration', 5)).map((c) => c.file);
    expect(files).toEqual(expect.arrayContaining(['one/policies/aml-policy.md', 'two/aml-policy.md']));
    await both.close();
  });

  it('does not follow symbolic links out of a folder, and says so', async () => {
    symlinkSync('/etc', join(dir, 'etc-link'));
    const r = await lib.refresh();
    expect(r.sources[0]!.errors).toEqual([expect.stringMatching(/1 symbolic link\(s\) not followed/)]);
  });

  it('reports a folder that cannot be read instead of failing', async () => {
    const missing = library([{ kind: 'folder', name: 'gone', folder: join(dir, 'nope') }]);
    const r = await missing.refresh();
    expect(r.sources[0]!.errors[0]).toMatch(/cannot read the folder .*nope: ENOENT/);
    await missing.close();
  });
});

describe('a SQLite database source', () => {
  let file: string;
  let lib: SourceLibrary;
  beforeEach(() => {
    file = join(tempDir(), 'crm.db');
    const db = new Database(file);
    db.exec(`CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT, notes TEXT, revenue INTEGER);
             INSERT INTO accounts VALUES (1, 'TechCorp GmbH', 'Prospective client; payment terminals, Hamburg', 12000000),
                                         (2, 'Orion Shell Holdings Ltd', 'Offshore vehicle, no staff; paid by TechCorp', NULL),
                                         (3, 'Initech Services', 'IT contractor', 800000);`);
    db.close();
    lib = library([{ kind: 'database', name: 'crm', url: `sqlite:${file}`, tables: ['accounts', 'missing_table'], maxAgeMs: 3_600_000 }]);
  });
  afterEach(() => lib.close());

  it('indexes the text columns of allow-listed rows and cites a row by its key, with its fields', async () => {
    const r = await lib.refresh();
    expect(r.sources[0]).toMatchObject({ kind: 'database', documents: 1, chunks: 3, skipped: 1 });
    expect(r.sources[0]!.errors[0]).toMatch(/missing_table.*not found/);
    const [hit] = await lib.search('Orion Shell offshore', 1);
    expect(citationRef(hit!)).toBe('crm:accounts#id=2');
    expect(hit!.row!.fields).toEqual({ name: 'Orion Shell Holdings Ltd', notes: 'Offshore vehicle, no staff; paid by TechCorp' });
    expect(await lib.countMatches('TechCorp')).toEqual({ passages: 0, rows: 2 });
  });

  it('re-reads a table when its rows change: new and changed rows indexed, deleted ones dropped', async () => {
    await lib.refresh();
    const db = new Database(file);
    db.exec(`UPDATE accounts SET notes = 'Sanctioned in 2026' WHERE id = 3; DELETE FROM accounts WHERE id = 1; INSERT INTO accounts VALUES (4, 'Globex Holdings Ltd', 'Cyprus procurement', 1);`);
    db.close();
    const later = new Date(Date.now() + 5_000);
    utimesSync(file, later, later);
    await lib.refresh();
    expect((await lib.search('Sanctioned', 1)).map(citationRef)).toEqual(['crm:accounts#id=3']);
    expect((await lib.search('Globex', 1)).map(citationRef)).toEqual(['crm:accounts#id=4']);
    expect(await lib.search('Hamburg terminals', 5)).toEqual([]);
    expect((await lib.status())[0]).toMatchObject({ chunks: 3 });
  });

  it('keeps the rows it has when the database cannot be read, and says why', async () => {
    await lib.refresh();
    rmSync(file);
    const r = await lib.refresh();
    expect(r.sources[0]!.errors.join(' ')).toMatch(/accounts/);
    expect((await lib.search('Orion', 1)).map(citationRef)).toEqual(['crm:accounts#id=2']);
  });

  it('indexes one row per key of a view whose key repeats, and says how many were left out', async () => {
    const db = new Database(file);
    db.exec("CREATE VIEW by_country AS SELECT 'DE' AS country, name FROM accounts WHERE id = 1 UNION ALL SELECT 'CY', name FROM accounts WHERE id = 2 UNION ALL SELECT 'CY', 'Globex Holdings Ltd';");
    db.close();
    const view = library([{ kind: 'database', name: 'crm', url: `sqlite:${file}`, tables: ['by_country'], keys: { by_country: 'country' }, maxAgeMs: 3_600_000 }]);
    const r = await view.refresh();
    expect(r.sources[0]).toMatchObject({ chunks: 2, errors: [expect.stringMatching(/by_country: 1 row\(s\) share their "country" with an earlier row/)] });
    await view.close();
  });

  it('reads a whole allow-listed table fresh for a check, and nothing else', async () => {
    const t = await lib.read('crm:accounts');
    expect(t).toMatchObject({ kind: 'table', keyColumn: 'id', truncated: false });
    expect(t!.kind === 'table' && t!.rows.map((r) => r.key.value)).toEqual(['1', '2', '3']);
    expect(await lib.read('crm:sqlite_master')).toBeNull();
    expect(await lib.read('other:accounts')).toBeNull();
  });
});

describe('sources per tenant', () => {
  it('gives each tenant its own index file and only its own sources', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.md'), 'Acme secret: Orion Shell Holdings is our supplier.\n');
    const specs: Record<string, SourceSpec[]> = { acme: [{ kind: 'folder', name: 'docs', folder: dir }] };
    const files: string[] = [];
    const tenants = new TenantSources(
      (t) => specs[t] ?? [],
      (t) => {
        files.push(sourceIndexFile(join(dir, 'data'), t));
        return createSqliteSourceIndex(files.at(-1)!);
      },
      { clock, logger: nullLogger },
    );
    await tenants.for('acme').refresh();
    expect((await tenants.for('acme').search('Orion', 1)).length).toBe(1);
    expect(tenants.for('globex').configured).toBe(false);
    expect(await tenants.for('globex').search('Orion', 5)).toEqual([]);
    expect(await tenants.for('globex').refresh()).toEqual({ sources: [], indexed: 0 });
    expect(new Set(files).size).toBe(2);
    expect(sourceIndexFile('/d', 'Acme')).not.toBe(sourceIndexFile('/d', 'acme'));
    await tenants.close();
  });
});
