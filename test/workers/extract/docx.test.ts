import { describe, expect, it } from 'vitest';
import { extractDocument } from '../../../src/workers/sources/extract/index.js';
import { expectOk, sampleDocx, utf8, xlsxOf } from './fixtures.js';

describe('Word .docx extraction', () => {
  it('gives one line per non-empty paragraph, numbered from 1, table cells included', async () => {
    const ex = await extractDocument('docx', await sampleDocx());
    expectOk(ex);
    expect(ex.lines).toEqual([
      { text: 'Quarterly report', line: 1 },
      { text: 'Revenue grew twelve percent in the north.', line: 2 },
      { text: 'Costs stayed flat.', line: 3 },
      { text: 'Region', line: 4 },
      { text: 'Revenue', line: 5 },
      { text: 'North', line: 6 },
      { text: '1.2m', line: 7 },
      { text: 'Outlook', line: 8 },
      { text: 'We expect steady growth.', line: 9 },
    ]);
    expect(ex.tables).toEqual([]);
    expect(ex.notes).toEqual([]);
  });

  it('fails a zip that holds no Word document (a workbook) as corrupt', async () => {
    const workbook = await xlsxOf([{ sheet: 'S', data: [['a']] }]);
    const ex = await extractDocument('docx', workbook);
    expect(ex).toEqual({ ok: false, kind: 'docx', reason: 'corrupt or not a Word .docx file: Could not find the body element: are you sure this is a docx file?' });
  });

  it('fails a file that is not a zip as corrupt', async () => {
    const ex = await extractDocument('docx', utf8('just some text, renamed .docx'));
    expect(ex).toEqual({
      ok: false,
      kind: 'docx',
      reason: "corrupt or not a Word .docx file: Can't find end of central directory : is this a zip file ?",
    });
  });
});
