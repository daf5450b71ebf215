import { describe, expect, it } from 'vitest';
import { extractDocument } from '../../../src/workers/sources/extract/index.js';
import { expectOk, pdfWithoutText, pdfWithPages, pdfWithPassword, utf8 } from './fixtures.js';

describe('PDF extraction', () => {
  it('numbers lines within each page and notes the pages without text', async () => {
    const bytes = await pdfWithPages([
      ['Due diligence report', 'Globex Holdings, Hamburg'],
      [],
      ['Findings', 'The register lists two directors.', 'One resigned in 2022.'],
    ]);
    const ex = await extractDocument('pdf', bytes);
    expectOk(ex);
    expect(ex.lines).toEqual([
      { text: 'Due diligence report', line: 1, page: 1 },
      { text: 'Globex Holdings, Hamburg', line: 2, page: 1 },
      { text: 'Findings', line: 1, page: 3 },
      { text: 'The register lists two directors.', line: 2, page: 3 },
      { text: 'One resigned in 2022.', line: 3, page: 3 },
    ]);
    expect(ex.notes).toEqual(['pages without text: 2']);
  });

  it('leaves the caller’s bytes intact (pdf.js detaches the buffer it is given)', async () => {
    const bytes = await pdfWithPages([['hello']]);
    const length = bytes.byteLength;
    await extractDocument('pdf', bytes);
    expect(bytes.byteLength).toBe(length);
    expectOk(await extractDocument('pdf', bytes));
  });

  it('reads at most maxPages pages and says so', async () => {
    const bytes = await pdfWithPages([['one'], ['two'], ['three'], ['four']]);
    const ex = await extractDocument('pdf', bytes, { maxPages: 2 });
    expectOk(ex);
    expect(ex.lines.map((l) => l.page)).toEqual([1, 2]);
    expect(ex.notes).toEqual(['read the first 2 of 4 pages']);
  });

  it('fails a PDF without any text as one that needs OCR', async () => {
    const ex = await extractDocument('pdf', await pdfWithoutText());
    expect(ex).toEqual({ ok: false, kind: 'pdf', reason: 'no text layer (a scanned PDF? run OCR first)' });
  });

  it('fails a file with a PDF header but garbage after it as corrupt', async () => {
    const garbage = new Uint8Array(2048);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 31 + 7) % 251;
    const ex = await extractDocument('pdf', new Uint8Array([...utf8('%PDF-1.7\n'), ...garbage]));
    expect(ex).toEqual({ ok: false, kind: 'pdf', reason: 'corrupt PDF: Invalid PDF structure' });
  });

  it('fails a password-protected PDF as encrypted', async () => {
    const ex = await extractDocument('pdf', await pdfWithPassword());
    expect(ex).toEqual({ ok: false, kind: 'pdf', reason: 'encrypted PDF: a password is required' });
  });

  it('fails an empty file as corrupt', async () => {
    const ex = await extractDocument('pdf', new Uint8Array());
    expect(ex).toMatchObject({ ok: false, reason: expect.stringMatching(/^corrupt PDF: /) });
  });

  it('stops between pages when the signal is aborted', async () => {
    const bytes = await pdfWithPages([['one'], ['two']]);
    const controller = new AbortController();
    const reason = new Error('index closing');
    const pending = extractDocument('pdf', bytes, { signal: controller.signal });
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });
});
