import { describe, expect, it } from 'vitest';
import { chunkExtracted, extractDocument, type DocumentKind, type Extracted } from '../../../src/workers/sources/extract/index.js';
import { expectChunksFollowLines, expectOk, longDocx, pdfWithPages, sampleDocx, utf8, xlsxOf } from './fixtures.js';

async function extracted(kind: DocumentKind, bytes: Uint8Array): Promise<Extracted & { ok: true }> {
  const ex = await extractDocument(kind, bytes);
  expectOk(ex);
  return ex;
}

const markdown = [
  '# Title',
  '',
  'para one',
  'still one',
  '',
  '## Next',
  ...Array.from({ length: 30 }, (_, i) => `row ${i}`),
  '',
  'short closing paragraph',
  '',
  '',
].join('\n');

describe('chunking extracted documents', () => {
  describe('of plain text and Markdown', () => {
    it('merges paragraphs while they fit, starts a chunk at a heading and cuts long paragraphs into windows', async () => {
      const ex = await extracted('markdown', utf8(markdown));
      const chunks = chunkExtracted(ex);
      expect(chunks.map((c) => [c.startLine, c.endLine])).toEqual([
        [1, 4],
        [6, 17],
        [18, 29],
        [30, 36],
        [38, 38],
      ]);
      expectChunksFollowLines(ex, chunks);
    });

    it('keeps chunks within maxChars, a single longer line standing alone', async () => {
      const long = 'x'.repeat(500);
      const ex = await extracted('text', utf8(['a', 'b', long, 'c', '', 'y'.repeat(2_000), '', 'z'].join('\n')));
      const chunks = chunkExtracted(ex, { maxChars: 300 });
      expect(chunks.map((c) => [c.startLine, c.endLine])).toEqual([
        [1, 2],
        [3, 3],
        [4, 4],
        [6, 6],
        [8, 8],
      ]);
      expectChunksFollowLines(ex, chunks);
    });
  });

  it('never lets a passage span two PDF pages', async () => {
    const ex = await extracted('pdf', await pdfWithPages([['a1', 'a2', 'a3'], ['b1', 'b2'], [], ['d1']]));
    const chunks = chunkExtracted(ex);
    expect(chunks.map((c) => [c.page, c.startLine, c.endLine, c.text])).toEqual([
      [1, 1, 3, 'a1\na2\na3'],
      [2, 1, 2, 'b1\nb2'],
      [4, 1, 1, 'd1'],
    ]);
    expectChunksFollowLines(ex, chunks);
  });

  it('windows a long PDF page by maxLines', async () => {
    const ex = await extracted('pdf', await pdfWithPages([Array.from({ length: 30 }, (_, i) => `line ${i + 1}`)]));
    const chunks = chunkExtracted(ex, { maxLines: 10 });
    expect(chunks.map((c) => [c.startLine, c.endLine])).toEqual([
      [1, 10],
      [11, 20],
      [21, 30],
    ]);
  });

  it('never lets a passage span two sheets, and never splits a row', async () => {
    const rows = (n: number) => Array.from({ length: n }, (_, i) => [`item ${i}`, i]);
    const ex = await extracted(
      'xlsx',
      await xlsxOf([
        { sheet: 'A', data: [['Item', 'Qty'], ...rows(5)] },
        { sheet: 'B', data: [['Item', 'Qty'], ...rows(2)] },
      ]),
    );
    const chunks = chunkExtracted(ex, { maxLines: 4 });
    expect(chunks.map((c) => [c.sheet, c.startLine, c.endLine])).toEqual([
      ['A', 1, 4],
      ['A', 5, 6],
      ['B', 1, 3],
    ]);
    expectChunksFollowLines(ex, chunks);
  });

  it('keeps a CSV row whole, with the blank lines of its multi-line fields', async () => {
    const csv = 'id,notes\n1,"multi\nline"\n2,short\n3,"' + 'long '.repeat(100) + '"\n4,end\n';
    const ex = await extracted('csv', utf8(csv));
    const chunks = chunkExtracted(ex, { maxChars: 200 });
    expect(chunks.map((c) => [c.startLine, c.endLine])).toEqual([
      [1, 4],
      [5, 5],
      [6, 6],
    ]);
    expect(chunks[0]!.text).toBe('id, notes\nid: 1; notes: multi line\n\nid: 2; notes: short');
    expectChunksFollowLines(ex, chunks);
  });

  it('merges Word paragraphs into passages of at most maxLines', async () => {
    const ex = await extracted('docx', await longDocx(30));
    const chunks = chunkExtracted(ex, { maxLines: 12, maxChars: 100_000 });
    expect(chunks.map((c) => [c.startLine, c.endLine])).toEqual([
      [1, 12],
      [13, 24],
      [25, 30],
    ]);
    expectChunksFollowLines(ex, chunks);
  });

  it('treats HTML lines separated by lines without text as separate paragraphs', async () => {
    // One paragraph of three lines would be cut after two; two paragraphs are cut between them.
    const ex = await extracted('html', utf8('<h1>A</h1>\n\n<p>b</p>\n<p>c</p>'));
    const chunks = chunkExtracted(ex, { maxLines: 2 });
    expect(chunks.map((c) => [c.startLine, c.endLine, c.text])).toEqual([
      [1, 1, '# A'],
      [3, 4, 'b\nc'],
    ]);
  });

  it('gives chunks that are exactly their lines, for every format', async () => {
    const samples: Array<[DocumentKind, Uint8Array]> = [
      ['markdown', utf8(markdown)],
      ['csv', utf8('a;b\n1;"x\ny"\n\n2;z\n')],
      ['html', utf8('<title>T</title>\n<p>one<br>two</p>\n<div>three\nfour</div>')],
      ['pdf', await pdfWithPages([['p1'], [], Array.from({ length: 20 }, (_, i) => `l${i}`)])],
      ['docx', await sampleDocx()],
      ['xlsx', await xlsxOf([{ sheet: 'S', data: [['h'], ['v']] }, { sheet: 'T', data: [['k', 'n'], ['x', 1]] }])],
    ];
    for (const [kind, bytes] of samples) {
      const ex = await extracted(kind, bytes);
      const chunks = chunkExtracted(ex, { maxLines: 5, maxChars: 80 });
      expect(chunks.length).toBeGreaterThan(0);
      expectChunksFollowLines(ex, chunks);
    }
  });
});
