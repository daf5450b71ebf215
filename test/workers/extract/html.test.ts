import { describe, expect, it } from 'vitest';
import { extractDocument } from '../../../src/workers/sources/extract/index.js';
import { expectOk, utf8 } from './fixtures.js';

const page = [
  '<!doctype html>', // 1
  '<html><head><title>Globex &amp; Initech</title>', // 2
  '<style>', // 3
  'p { color: red }', // 4
  '</style>', // 5
  '<script>var hidden = "<p>not text</p>";</script>', // 6
  '</head><body>', // 7
  '<h1>Due diligence</h1>', // 8
  '<!-- a comment', // 9
  'over two lines -->', // 10
  '<p>Globex is based in <b>Hamburg</b> &mdash; since', // 11
  '2019 &lt;approx&gt;.</p>', // 12
  '<noscript>Enable JavaScript</noscript><template><p>later</p></template>', // 13
  '<ul><li>one</li><li>two&nbsp;items</li></ul>', // 14
  '<table><tr><td>Region</td><td>North</td></tr>', // 15
  '<tr><td>Revenue</td><td>&euro;1.2m</td></tr></table>', // 16
  'first<br>second', // 17
  '</body></html>', // 18
].join('\n');

describe('HTML extraction', () => {
  it('keeps the text a reader sees, each line at the line of the HTML file it comes from', async () => {
    const ex = await extractDocument('html', utf8(page));
    expectOk(ex);
    expect(ex.lines).toEqual([
      { text: '# Globex & Initech', line: 2 },
      { text: '# Due diligence', line: 8 },
      { text: 'Globex is based in Hamburg — since', line: 11 },
      { text: '2019 <approx>.', line: 12 },
      { text: 'one', line: 14 },
      { text: 'two items', line: 14 },
      { text: 'Region North', line: 15 },
      { text: 'Revenue €1.2m', line: 16 },
      { text: 'first', line: 17 },
      { text: 'second', line: 17 },
    ]);
    expect(ex.tables).toEqual([]);
  });

  it('drops scripts, styles, noscript, templates and comments', async () => {
    const ex = await extractDocument('html', utf8(page));
    expectOk(ex);
    const all = ex.lines.map((l) => l.text).join('\n');
    for (const hidden of ['color', 'hidden', 'not text', 'comment', 'Enable JavaScript', 'later']) expect(all).not.toContain(hidden);
  });

  it('splits text at a comment or tag that spans lines instead of gluing words', async () => {
    const ex = await extractDocument('html', utf8('<p>before<!--\n-->after <a\nhref="x">link</a></p>'));
    expectOk(ex);
    expect(ex.lines).toEqual([
      { text: 'before', line: 1 },
      { text: 'after', line: 2 },
      { text: 'link', line: 3 },
    ]);
  });

  it('reads a minified page as many lines of line 1, headings written as Markdown headings', async () => {
    const ex = await extractDocument('html', utf8('<div><h2>A</h2><p>b c</p><p>d</p></div>'));
    expectOk(ex);
    expect(ex.lines).toEqual([
      { text: '## A', line: 1 },
      { text: 'b c', line: 1 },
      { text: 'd', line: 1 },
    ]);
  });

  it('notes a page without visible text', async () => {
    const ex = await extractDocument('html', utf8('<html><head><script>x()</script></head><body>\n</body></html>'));
    expectOk(ex);
    expect(ex.lines).toEqual([]);
    expect(ex.notes).toEqual(['no text']);
  });
});
