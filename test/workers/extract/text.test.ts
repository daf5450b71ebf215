import { describe, expect, it } from 'vitest';
import { DOCUMENT_EXTENSIONS, documentKind, extractDocument } from '../../../src/workers/sources/extract/index.js';
import { expectOk, utf8 } from './fixtures.js';

describe('document kinds', () => {
  it('knows every supported extension, case-insensitively', () => {
    expect(Object.keys(DOCUMENT_EXTENSIONS).sort()).toEqual(
      ['.csv', '.docx', '.htm', '.html', '.json', '.markdown', '.md', '.pdf', '.text', '.tsv', '.txt', '.xlsx'],
    );
    expect(documentKind('notes/Plan.MD')).toBe('markdown');
    expect(documentKind('data/export.tsv')).toBe('csv');
    expect(documentKind('report.final.PDF')).toBe('pdf');
  });

  it('skips files it does not read, old binary Office formats included', () => {
    for (const path of ['a.doc', 'a.xls', 'a.png', 'Makefile', 'a.csv.bak', '.md']) expect(documentKind(path)).toBeNull();
  });
});

describe('plain text, Markdown and JSON extraction', () => {
  it('keeps every line as it is, numbered as in the file', async () => {
    const ex = await extractDocument('markdown', utf8('# Title\n\nFirst  paragraph\n  indented\n'));
    expectOk(ex);
    expect(ex.lines).toEqual([
      { text: '# Title', line: 1 },
      { text: '', line: 2 },
      { text: 'First  paragraph', line: 3 },
      { text: '  indented', line: 4 },
    ]);
    expect(ex.tables).toEqual([]);
    expect(ex.notes).toEqual([]);
  });

  it('drops a byte order mark and reads CRLF and lone CR line ends', async () => {
    const ex = await extractDocument('text', new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('one\r\ntwo\rthree')]));
    expectOk(ex);
    expect(ex.lines.map((l) => l.text)).toEqual(['one', 'two', 'three']);
  });

  it('keeps JSON line for line', async () => {
    const ex = await extractDocument('json', utf8('{\n  "name": "Globex",\n  "city": "Hamburg"\n}'));
    expectOk(ex);
    expect(ex.lines[2]).toEqual({ text: '  "city": "Hamburg"', line: 3 });
  });

  it('reads UTF-8 beyond ASCII as UTF-8', async () => {
    const ex = await extractDocument('text', utf8('Größe: 5 €\nnaïve café — 東京'));
    expectOk(ex);
    expect(ex.lines.map((l) => l.text)).toEqual(['Größe: 5 €', 'naïve café — 東京']);
    expect(ex.notes).toEqual([]);
  });

  it('reads Latin-1 text that is not UTF-8 as windows-1252, with a note', async () => {
    // "Größe: 5 €\ncafé’s" in windows-1252: ö = F6, ß = DF, € = 80, é = E9, ’ = 92.
    const bytes = new Uint8Array([0x47, 0x72, 0xf6, 0xdf, 0x65, 0x3a, 0x20, 0x35, 0x20, 0x80, 0x0a, 0x63, 0x61, 0x66, 0xe9, 0x92, 0x73]);
    const ex = await extractDocument('text', bytes);
    expectOk(ex);
    expect(ex.lines.map((l) => l.text)).toEqual(['Größe: 5 €', 'café’s']);
    expect(ex.notes).toEqual(['not UTF-8: decoded as windows-1252']);
  });

  it('reads UTF-16 text with a byte order mark', async () => {
    const body = 'Zeile eins\nZeile zwei';
    const bytes = new Uint8Array(2 + body.length * 2);
    bytes.set([0xff, 0xfe]);
    for (let i = 0; i < body.length; i++) bytes[2 + 2 * i] = body.charCodeAt(i);
    const ex = await extractDocument('text', bytes);
    expectOk(ex);
    expect(ex.lines.map((l) => l.text)).toEqual(['Zeile eins', 'Zeile zwei']);
    expect(ex.notes).toEqual(['decoded as UTF-16LE (byte order mark)']);
  });

  it('rejects a binary file renamed .txt, saying how much of it is control characters', async () => {
    const bytes = new Uint8Array(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 256; // every byte value, evenly: 29 of 256 are control bytes
    const ex = await extractDocument('text', bytes);
    expect(ex).toEqual({ ok: false, kind: 'text', reason: 'not text: 11% of the bytes are control characters' });
  });

  it('rejects text that holds a NUL byte', async () => {
    const ex = await extractDocument('markdown', new Uint8Array([...utf8('# Title\n'.repeat(20)), 0, ...utf8('more')]));
    expect(ex).toMatchObject({ ok: false, reason: 'not text: it holds NUL bytes (a binary file?)' });
  });

  it('reads an empty file as no text, not as a failure', async () => {
    const ex = await extractDocument('text', new Uint8Array());
    expectOk(ex);
    expect(ex.notes).toEqual(['no text']);
  });

  it('rejects with the reason of a signal aborted before it starts', async () => {
    const controller = new AbortController();
    controller.abort(new Error('shutting down'));
    await expect(extractDocument('text', utf8('x'), { signal: controller.signal })).rejects.toThrow('shutting down');
  });
});
