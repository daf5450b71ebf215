/**
 * Builds the documents the extraction tests read, with the same libraries people's
 * files come from in spirit (pdf-lib, docx, write-excel-file), so no binary fixture is
 * checked in and every expected line is visible in the test.
 */
import { Document, HeadingLevel, Packer, Paragraph, Table, TableCell, TableRow, TextRun } from 'docx';
import { PDFDocument, PDFHexString, StandardFonts, rgb } from 'pdf-lib';
import writeXlsxFile, { type Sheet } from 'write-excel-file/node';
import { expect } from 'vitest';
import type { SourceChunk } from '../../../src/store/source-index.js';
import type { Extracted } from '../../../src/workers/sources/extract/index.js';

/** A PDF whose page i holds `pages[i]`, one string per text line; `[]` leaves a page empty. */
export async function pdfWithPages(pages: ReadonlyArray<readonly string[]>): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const lines of pages) {
    const page = doc.addPage([600, 800]);
    lines.forEach((text, i) => page.drawText(text, { x: 50, y: 750 - 18 * i, size: 11, font }));
  }
  return doc.save();
}

/** A PDF with a drawn rectangle and no text at all, as a scan without OCR looks to a text extractor. */
export async function pdfWithoutText(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.addPage([600, 800]).drawRectangle({ x: 50, y: 50, width: 300, height: 200, color: rgb(0.2, 0.4, 0.8) });
  return doc.save();
}

/**
 * A PDF that asks for a password: a standard security handler whose check values match
 * no password (pdf-lib cannot encrypt, but pdf.js only needs the empty password to fail).
 */
export async function pdfWithPassword(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  doc.addPage([600, 800]).drawText('secret', { x: 50, y: 700, size: 11, font });
  const ctx = doc.context;
  const hex = (byte: string, n: number) => PDFHexString.of(byte.repeat(n));
  ctx.trailerInfo.Encrypt = ctx.register(ctx.obj({ Filter: 'Standard', V: 1, R: 2, Length: 40, P: -4, O: hex('11', 32), U: hex('22', 32) }));
  ctx.trailerInfo.ID = ctx.obj([hex('ab', 16), hex('ab', 16)]);
  return doc.save({ useObjectStreams: false });
}

/** A Word document: a heading, two paragraphs (one with bold and a tab), an empty paragraph, a 2×2 table, a closing heading and paragraph. */
export async function sampleDocx(): Promise<Uint8Array> {
  const doc = new Document({
    sections: [
      {
        children: [
          new Paragraph({ text: 'Quarterly report', heading: HeadingLevel.HEADING_1 }),
          new Paragraph({ children: [new TextRun('Revenue grew '), new TextRun({ text: 'twelve percent', bold: true }), new TextRun(' in the north.')] }),
          new Paragraph({ children: [new TextRun('Costs\tstayed flat.')] }),
          new Paragraph({ text: '' }),
          new Table({
            rows: [
              new TableRow({ children: [cell('Region'), cell('Revenue')] }),
              new TableRow({ children: [cell('North'), cell('1.2m')] }),
            ],
          }),
          new Paragraph({ text: 'Outlook', heading: HeadingLevel.HEADING_2 }),
          new Paragraph('We expect steady growth.'),
        ],
      },
    ],
  });
  return new Uint8Array(await Packer.toBuffer(doc));
}

/** A Word document of `n` numbered paragraphs of about 200 characters. */
export async function longDocx(n: number): Promise<Uint8Array> {
  const children = Array.from({ length: n }, (_, i) => new Paragraph(`Paragraph ${i + 1}: ${'the quick brown fox jumps over the lazy dog '.repeat(4)}`));
  return new Uint8Array(await Packer.toBuffer(new Document({ sections: [{ children }] })));
}

function cell(text: string): TableCell {
  return new TableCell({ children: [new Paragraph(text)] });
}

/** A workbook of the given sheets. */
export async function xlsxOf(sheets: Sheet<Buffer>[]): Promise<Uint8Array> {
  return new Uint8Array(await writeXlsxFile(sheets).toBuffer());
}

/**
 * Asserts the chunks cover every non-blank line exactly once, in order: each chunk is
 * a run of consecutive extracted lines (blank ones inside it included) whose texts
 * joined by `\n` are its text, whose first and last `line` are its bounds, and which
 * all sit on the chunk's page and sheet.
 */
export function expectChunksFollowLines(ex: Extracted & { ok: true }, chunks: readonly SourceChunk[]): void {
  let i = 0;
  for (const chunk of chunks) {
    while (i < ex.lines.length && ex.lines[i]!.text.trim() === '') i++;
    const count = chunk.text.split('\n').length;
    const run = ex.lines.slice(i, i + count);
    expect(run.map((l) => l.text).join('\n')).toBe(chunk.text);
    expect(chunk.startLine).toBe(run[0]!.line);
    expect(chunk.endLine).toBe(run[run.length - 1]!.line);
    for (const l of run) {
      expect(l.page ?? null).toBe(chunk.page ?? null);
      expect(l.sheet ?? null).toBe(chunk.sheet ?? null);
    }
    i += count;
  }
  expect(ex.lines.slice(i).every((l) => l.text.trim() === '')).toBe(true);
}

/** Narrows an extraction to success, failing the test with the reason otherwise. */
export function expectOk(ex: Extracted): asserts ex is Extracted & { ok: true } {
  if (!ex.ok) throw new Error(`expected ok, got: ${ex.reason}`);
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
