import { describe, expect, it } from 'vitest';
import { parseEvidenceItem } from '../../../src/workers/evidence/index.js';
import { attachment, parseFixture } from './helpers.js';

describe('evidence: documents and content that is not transaction data', () => {
  it.each([
    ['contract.pdf', new TextEncoder().encode('%PDF-1.7\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n')],
    ['scan.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d])],
    ['photo.jpg', new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46])],
    ['letter.docx', new Uint8Array([0x50, 0x4b, 0x03, 0x04, ...new TextEncoder().encode('....word/document.xml....')])],
  ])('lists %s as a document, not as unreadable data', async (name, bytes) => {
    const r = await parseEvidenceItem(attachment(name, bytes, 'application/octet-stream'));
    expect(r).toMatchObject({ format: 'document', documents: [name], transactions: [], unreadable: null });
  });

  it('lists a plain-prose text attachment as a document', async () => {
    const r = await parseFixture('letter.txt');
    expect(r).toMatchObject({ format: 'document', documents: ['letter.txt'], unreadable: null });
  });

  it('is unreadable, naming the columns, for a CSV whose columns map to nothing', async () => {
    const r = await parseFixture('foo-bar.csv');
    expect(r).toMatchObject({ format: 'csv', transactions: [], mapping: null });
    expect(r.unreadable).toEqual({ reason: 'no column reads as an amount (nor debit/credit); columns: foo, bar', fieldsSeen: ['foo', 'bar'] });
  });

  it('is unreadable for garbage bytes, with their signature', async () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => (i * 73 + 11) % 256);
    const r = await parseEvidenceItem(attachment('data.bin', bytes));
    expect(r.transactions).toEqual([]);
    expect(r.unreadable?.reason).toMatch(/^unrecognised binary content \(first bytes [0-9a-f ]+\)$/);
  });

  it('is unreadable for an empty attachment and for a legacy .xls', async () => {
    expect((await parseEvidenceItem(attachment('empty.csv', ''))).unreadable?.reason).toBe('the attachment is empty');
    const xls = new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]);
    expect((await parseEvidenceItem(attachment('old.xls', xls))).unreadable?.reason).toMatch(/legacy Excel/);
  });

  it('never throws, even for an item without content', async () => {
    const r = await parseEvidenceItem({ signalId: 'sig-1', kind: 'attachment', name: 'lost.csv', mediaType: 'text/csv' });
    expect(r.unreadable?.reason).toBe('the attachment has no content');
  });
});
