import { cpSync, mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/domain/clock.js';
import { nullLogger } from '../../src/logger.js';
import { createMemorySourceIndex } from '../../src/store/adapters/source-index-memory.js';
import { createSqliteSourceIndex } from '../../src/store/adapters/source-index-sqlite.js';
import type { SourceIndex } from '../../src/store/source-index.js';
import { citationRef, SourceLibrary } from '../../src/workers/sources/library.js';
import { chunkLines, toLines } from '../../src/workers/sources/text.js';

export const FIXTURES = new URL('../../fixtures/techcorp', import.meta.url).pathname;

describe('source text conversion', () => {
  it('labels CSV rows with their columns, line for line (quoted commas and line breaks included)', () => {
    const lines = toLines('csv', 'name,status,notes\nGlobex Holdings Ltd,watch list,"a, b"\nInitech,approved,"two\nlines"\n');
    expect(lines[0]).toBe('name, status, notes');
    expect(lines[1]).toBe('name: Globex Holdings Ltd; status: watch list; notes: a, b');
    expect(lines[2]).toBe('name: Initech; status: approved; notes: two\nlines');
    expect(lines).toHaveLength(5);
  });

  it('strips HTML tags, scripts and comments but keeps line numbers and decodes entities', () => {
    const html = '<html>\n<script>\nvar x = 1;\n</script>\n<p>Globex &amp; Initech</p>\n<!-- hidden\nstuff -->\n<p>Hamburg</p>';
    const lines = toLines('html', html);
    expect(lines[4]).toBe('Globex & Initech');
    expect(lines[7]).toBe('Hamburg');
    expect(lines.join(' ')).not.toMatch(/var x|hidden/);
  });

  it('chunks paragraphs with their line ranges and cuts long ones into windows', () => {
    const lines = ['# Title', '', 'para one', 'still one', '', '## Next', ...Array.from({ length: 30 }, (_, i) => `row ${i}`)];
    const chunks = chunkLines(lines, 12, 1_200);
    expect(chunks[0]).toMatchObject({ startLine: 1, endLine: 4 });
    expect(chunks.every((c) => c.endLine - c.startLine < 12)).toBe(true);
    expect(chunks.at(-1)!.endLine).toBe(lines.length);
    for (const c of chunks) expect(c.text).toBe(lines.slice(c.startLine - 1, c.endLine).join('\n'));
  });
});

for (const [name, make] of [
  ['memory', () => createMemorySourceIndex()],
  ['sqlite', () => createSqliteSourceIndex(':memory:')],
] as const) {
  describe(`source library over the ${name} index`, () => {
    let dir: string;
    let index: SourceIndex;
    let lib: SourceLibrary;
    const clock = new FakeClock();
    beforeEach(() => {
      dir = join(mkdtempSync(join(tmpdir(), 'longhaul-sources-')), 'techcorp');
      cpSync(FIXTURES, dir, { recursive: true });
      index = make();
      lib = new SourceLibrary(index, [dir], { clock, logger: nullLogger });
    });
    afterEach(async () => {
      await index.close();
      rmSync(join(dir, '..'), { recursive: true, force: true });
    });

    it('indexes Markdown, text, JSON, CSV and HTML, and cites the matching line', async () => {
      const stats = await lib.refresh();
      expect(stats).toMatchObject({ files: 6, indexed: 6, removed: 0 });
      const hits = await lib.search('Globex Holdings watch list', 5);
      const csv = hits.find((h) => h.file === 'techcorp/vendors.csv');
      expect(csv).toMatchObject({ startLine: 3, endLine: 3 });
      expect(csv!.snippet).toContain('Globex Holdings Ltd');
      expect(citationRef(csv!)).toBe('techcorp/vendors.csv:3');
      const html = await lib.search('Hamburg payment terminals', 3);
      expect(html[0]!.file).toBe('techcorp/techcorp-profile.html');
      expect(html[0]!.snippet).not.toContain('<');
    });

    it('re-indexes only files that changed, and drops deleted ones', async () => {
      await lib.refresh();
      expect(await lib.refresh()).toMatchObject({ indexed: 0, unchanged: 6 });
      // Touched but identical: hashed, not re-chunked.
      const later = new Date(Date.now() + 5_000);
      utimesSync(join(dir, 'contracts.json'), later, later);
      expect(await lib.refresh()).toMatchObject({ indexed: 0, unchanged: 6 });
      writeFileSync(join(dir, 'vendors.csv'), 'name,status\nAcme Widgets,watch list\n');
      unlinkSync(join(dir, 'techcorp-profile.html'));
      expect(await lib.refresh()).toMatchObject({ files: 5, indexed: 1, removed: 1 });
      expect((await lib.search('Hamburg', 5)).map((h) => h.file)).not.toContain('techcorp/techcorp-profile.html');
      expect((await lib.search('Acme Widgets', 1))[0]).toMatchObject({ file: 'techcorp/vendors.csv', startLine: 2 });
      // Query syntax is inert: only words reach the engine.
      expect((await lib.search('"Globex" OR * NEAR( notes:x', 3)).length).toBeGreaterThan(0);
    });

    it('finds exact lines that pass a test', async () => {
      await lib.refresh();
      const lines = await lib.findLines('Globex Holdings', (l) => l.includes('watch list') && l.includes('Globex'));
      expect(lines.map(citationRef)).toEqual(expect.arrayContaining(['techcorp/vendors.csv:3', 'techcorp/meeting-notes/2026-11-03-techcorp-kickoff.md:11']));
    });
  });
}
