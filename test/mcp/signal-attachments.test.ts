import { createHash } from 'node:crypto';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/runtime/limits.js';
import { TECHCORP, alice, bob, connect, makeApp, toolError, type Connected, type TestApp } from './helpers.js';

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const TEMPLATE = 'longhaul://investigations/{investigationId}/signals/{signalId}/attachments/{index}';

const CSV = 'date;counterparty;amount;currency\n2026-01-02;Globex Holdings Ltd;25000.00;EUR\n2026-01-05;Zürich Treuhand AG;9800,50;CHF\n';
const CAMT = '<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt/></Document>\n';
/** A "PDF" with NUL bytes and every byte value: binary content must survive byte for byte. */
const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 37) % 256)), Buffer.from([0, 0, 0, 0xff])]);

/**
 * Files delivered with a signal, through the real SDK client: submitted as text or
 * base64, listed on the signal with size and SHA-256, read back whole from their own
 * resource (text or blob), tenant-scoped, idempotent, and refused with a clear
 * sentence (an isError result, not a crash) when malformed or over a limit.
 */
describe('MCP: signals with attachments', () => {
  let t: TestApp;
  let c: Connected;
  let id: string;
  let complianceTaskId: string;
  beforeEach(async () => {
    t = makeApp();
    c = await connect(t.app, alice);
    const s = await c.call('start_investigation', TECHCORP);
    id = s.investigation.investigationId;
    complianceTaskId = s.tasks.find((x: any) => x.role === 'compliance').taskId;
  });
  afterEach(async () => {
    await c.close();
    await t.close();
  });

  const submit = (args: Record<string, unknown>) => c.callRaw('submit_signal', { investigationId: id, signal: 'bank_data', ...args });
  const stateSignals = async () => (await c.call('get_investigation', { investigationId: id })).signals;

  describe('when the bank sends its statements as files', () => {
    it('stores text and base64 files with the signal, each listed with media type, size, SHA-256 and uri', async () => {
      const raw = await submit({
        payload: { bank: 'Hanse Bank AG' },
        attachments: [
          { name: 'statement.csv', text: CSV },
          { name: 'statement.xml', text: CAMT },
          { name: 'statement.pdf', base64: PDF.toString('base64') },
        ],
      });
      expect(raw.isError).toBeFalsy();
      const r = raw.structuredContent as any;
      const sig = r.signal;
      expect(sig.attachments).toEqual([
        { name: 'statement.csv', mediaType: 'text/csv', size: Buffer.byteLength(CSV), sha256: sha256(CSV), uri: `longhaul://investigations/${id}/signals/${sig.signalId}/attachments/0` },
        { name: 'statement.xml', mediaType: 'application/xml', size: Buffer.byteLength(CAMT), sha256: sha256(CAMT), uri: `longhaul://investigations/${id}/signals/${sig.signalId}/attachments/1` },
        { name: 'statement.pdf', mediaType: 'application/pdf', size: PDF.length, sha256: sha256(PDF), uri: `longhaul://investigations/${id}/signals/${sig.signalId}/attachments/2` },
      ]);
      // The wait for bank_data resolved as for any signal.
      expect(r.wokenTasks.map((x: any) => x.taskId)).toEqual([complianceTaskId]);
      // The text rendering names each file with its size and the start of its SHA-256.
      const text = (raw.content[0] as { text: string }).text;
      expect(text).toContain('3 file(s)');
      for (const a of sig.attachments) expect(text).toContain(`${a.name} (${a.mediaType}`);
      expect(text).toContain(`sha256 ${sha256(PDF).slice(0, 12)}`);
      expect(text).toMatch(/statement\.pdf \(application\/pdf, 2 KiB/);
      // The signal view in the state document carries the same metadata.
      expect((await stateSignals())[0].attachments).toEqual(sig.attachments);
      // The timeline's signal event says what came.
      const timeline = await c.readJson(`longhaul://investigations/${id}/timeline`);
      const event = timeline.events.find((e: any) => e.kind === 'signal');
      expect(event.text).toMatch(/^Signal "bank_data" received \(\d+ bytes of JSON, 3 files: statement\.csv \d+ B, statement\.xml \d+ B, statement\.pdf 2 KiB\)\.$/);
      expect(event.data.attachments.map((a: any) => a.sha256)).toEqual(sig.attachments.map((a: any) => a.sha256));
    });

    it('serves each file whole from its resource: text for UTF-8 text-like files, a base64 blob otherwise', async () => {
      const latin1 = Buffer.from('Betrag;Empfänger\n100;Müller\n', 'latin1'); // declared text/csv, but not UTF-8
      const r = await c.call('submit_signal', {
        investigationId: id,
        signal: 'bank_data',
        attachments: [
          { name: 'statement.csv', text: CSV },
          { name: 'statement.pdf', base64: PDF.toString('base64') },
          { name: 'export.csv', mediaType: 'text/csv', base64: latin1.toString('base64') },
          { name: 'camt.053', mediaType: 'Application/XML', text: CAMT },
        ],
      });
      const [csv, pdf, legacy, camt] = r.signal.attachments;
      expect(camt.mediaType).toBe('application/xml');

      const csvRead = (await c.client.readResource({ uri: csv.uri })).contents[0] as any;
      expect(csvRead).toEqual({ uri: csv.uri, mimeType: 'text/csv', text: CSV });
      const camtRead = (await c.client.readResource({ uri: camt.uri })).contents[0] as any;
      expect(camtRead).toMatchObject({ mimeType: 'application/xml', text: CAMT });

      const pdfRead = (await c.client.readResource({ uri: pdf.uri })).contents[0] as any;
      expect(pdfRead.mimeType).toBe('application/pdf');
      expect(pdfRead.text).toBeUndefined();
      const pdfBytes = Buffer.from(pdfRead.blob, 'base64');
      expect(pdfBytes.equals(PDF)).toBe(true);
      expect(sha256(pdfBytes)).toBe(pdf.sha256);

      const legacyRead = (await c.client.readResource({ uri: legacy.uri })).contents[0] as any;
      expect(legacyRead.mimeType).toBe('text/csv');
      expect(Buffer.from(legacyRead.blob, 'base64').equals(latin1)).toBe(true);
    });

    it('accepts a signal of files only (payload omitted, null), and an empty file', async () => {
      const r = await c.call('submit_signal', { investigationId: id, signal: 'bank_data', attachments: [{ name: 'nothing.txt', text: '' }, { name: 'empty.bin', base64: '' }] });
      expect(r.signal.payloadPreview).toBe('null');
      expect(r.signal.attachments.map((a: any) => [a.name, a.mediaType, a.size, a.sha256])).toEqual([
        ['nothing.txt', 'text/plain', 0, sha256('')],
        ['empty.bin', 'application/octet-stream', 0, sha256('')],
      ]);
      expect(r.wokenTasks).toHaveLength(1);
      expect((await c.client.readResource({ uri: r.signal.attachments[0].uri })).contents[0]).toMatchObject({ text: '' });
      expect((await c.client.readResource({ uri: r.signal.attachments[1].uri })).contents[0]).toMatchObject({ blob: '' });
    });

    it('accepts base64 broken into lines, as mail and PEM-style encoders write it', async () => {
      const wrapped = PDF.toString('base64').replace(/.{76}/g, '$&\r\n') + '\n';
      const r = await c.call('submit_signal', { investigationId: id, signal: 'bank_data', attachments: [{ name: 'statement.pdf', base64: wrapped }] });
      expect(r.signal.attachments[0]).toMatchObject({ size: PDF.length, sha256: sha256(PDF) });
    });

    it('infers media types from the extension (MT940 as text/plain)', async () => {
      const names = ['a.csv', 'b.tsv', 'c.json', 'd.XML', 'e.pdf', 'f.docx', 'g.xlsx', 'h.sta', 'i.mt940', 'j.940', 'k.txt', 'l.md', 'm.zip', 'noext'];
      const r = await c.call('submit_signal', { investigationId: id, signal: 'bank_data', attachments: names.map((name) => ({ name, text: 'x' })) });
      expect(Object.fromEntries(r.signal.attachments.map((a: any) => [a.name, a.mediaType]))).toEqual({
        'a.csv': 'text/csv',
        'b.tsv': 'text/tab-separated-values',
        'c.json': 'application/json',
        'd.XML': 'application/xml',
        'e.pdf': 'application/pdf',
        'f.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        'g.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        'h.sta': 'text/plain',
        'i.mt940': 'text/plain',
        'j.940': 'text/plain',
        'k.txt': 'text/plain',
        'l.md': 'text/markdown',
        'm.zip': 'application/octet-stream',
        noext: 'application/octet-stream',
      });
    });

    it('delivers once on a repeated idempotencyKey: the earlier files, nothing new stored', async () => {
      const first = await c.call('submit_signal', { investigationId: id, signal: 'bank_data', idempotencyKey: 'hanse-2026-01', attachments: [{ name: 'statement.csv', text: CSV }] });
      const again = await c.call('submit_signal', {
        investigationId: id,
        signal: 'bank_data',
        idempotencyKey: 'hanse-2026-01',
        attachments: [{ name: 'other.csv', text: 'x;y\n' }, { name: 'more.pdf', base64: PDF.toString('base64') }],
      });
      expect(again.duplicate).toBe(true);
      expect(again.signal).toEqual(first.signal);
      expect(again.signal.attachments.map((a: any) => a.name)).toEqual(['statement.csv']);
      const signals = await stateSignals();
      expect(signals).toHaveLength(1);
      expect(signals[0].attachments).toEqual(first.signal.attachments);
      // Also when the keyv shortcut is gone: the store's own idempotency answers.
      await (t.app.store.kv as unknown as { clear(): Promise<void> }).clear();
      const third = await c.call('submit_signal', { investigationId: id, signal: 'bank_data', idempotencyKey: 'hanse-2026-01', attachments: [{ name: 'x.csv', text: 'x' }] });
      expect(third).toMatchObject({ duplicate: true, signal: first.signal });
      expect(await stateSignals()).toHaveLength(1);
    });

    it('completes signal ids and file positions within the chosen investigation', async () => {
      const r = await c.call('submit_signal', { investigationId: id, signal: 'bank_data', attachments: [{ name: 'a.csv', text: 'a' }, { name: 'b.csv', text: 'b' }] });
      await c.call('submit_signal', { investigationId: id, signal: 'note', payload: { text: 'no files' } });
      const ref = { type: 'ref/resource' as const, uri: TEMPLATE };
      const ids = await c.client.complete({ ref, argument: { name: 'signalId', value: 'sig_' }, context: { arguments: { investigationId: id } } });
      expect(ids.completion.values).toEqual([r.signal.signalId]);
      const idx = await c.client.complete({ ref, argument: { name: 'index', value: '' }, context: { arguments: { investigationId: id, signalId: r.signal.signalId } } });
      expect(idx.completion.values).toEqual(['0', '1']);
      const unknown = await c.client.complete({ ref, argument: { name: 'signalId', value: '' }, context: { arguments: { investigationId: 'inv_nope' } } });
      expect(unknown.completion.values).toEqual([]);
    });

    it('accepts a subscription to a file (it never changes) and refuses one to a file that does not exist', async () => {
      const r = await c.call('submit_signal', { investigationId: id, signal: 'bank_data', attachments: [{ name: 'a.csv', text: 'a' }] });
      await c.client.subscribeResource({ uri: r.signal.attachments[0].uri });
      const missing = await c.client.subscribeResource({ uri: r.signal.attachments[0].uri.replace(/\/0$/, '/1') }).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(McpError);
    });

    it('answers a read of a file that does not exist with resource-not-found', async () => {
      const r = await c.call('submit_signal', { investigationId: id, signal: 'bank_data', attachments: [{ name: 'a.csv', text: 'a' }] });
      const base = `longhaul://investigations/${id}/signals/${r.signal.signalId}/attachments`;
      for (const uri of [`${base}/1`, `longhaul://investigations/${id}/signals/sig_${'0'.repeat(30)}/attachments/0`]) {
        const err = await c.client.readResource({ uri }).catch((e: unknown) => e);
        expect(err, uri).toBeInstanceOf(McpError);
        expect((err as McpError).code, uri).toBe(-32002);
        expect((err as McpError).message).toMatch(/No signal attachment/);
      }
      for (const uri of [`${base}/x`, `${base}/01`, `longhaul://investigations/${id}/signals/nope/attachments/0`]) {
        const err = await c.client.readResource({ uri }).catch((e: unknown) => e);
        expect(err, uri).toBeInstanceOf(McpError);
        expect((err as McpError).code, uri).toBe(-32602);
      }
    });
  });

  describe('when another tenant knows the URI', () => {
    it('cannot read the file, subscribe to it, or complete its ids', async () => {
      const r = await c.call('submit_signal', { investigationId: id, signal: 'bank_data', attachments: [{ name: 'statement.pdf', base64: PDF.toString('base64') }] });
      const uri = r.signal.attachments[0].uri;
      const b = await connect(t.app, bob);
      try {
        const err = await b.client.readResource({ uri }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(McpError);
        expect((err as McpError).code).toBe(-32002);
        expect((err as McpError).message).not.toContain('statement.pdf');
        expect(await b.client.subscribeResource({ uri }).catch((e: unknown) => e)).toBeInstanceOf(McpError);
        const ids = await b.client.complete({ ref: { type: 'ref/resource', uri: TEMPLATE }, argument: { name: 'signalId', value: '' }, context: { arguments: { investigationId: id } } });
        expect(ids.completion.values).toEqual([]);
      } finally {
        await b.close();
      }
      // Alice still reads it.
      expect(Buffer.from(((await c.client.readResource({ uri })).contents[0] as any).blob, 'base64').equals(PDF)).toBe(true);
    });
  });

  describe('when the files are malformed or too large', () => {
    // Every refusal is an isError result with a sentence; nothing is stored and the server stays up.
    afterEach(async () => {
      expect(await stateSignals()).toEqual([]);
      expect((await c.call('get_investigation', { investigationId: id })).tasks.find((x: any) => x.taskId === complianceTaskId).status).toBe('waiting');
    });

    it('refuses a file with both text and base64, or neither', async () => {
      const both = toolError(await submit({ attachments: [{ name: 'statement.csv', text: CSV, base64: 'AAAA' }] }));
      expect(both.code).toBe('invalid_input');
      expect(both.text).toMatch(/attachment "statement\.csv" gives both text and base64; give exactly one/);
      const neither = toolError(await submit({ attachments: [{ name: 'statement.csv' }] }));
      expect(neither.code).toBe('invalid_input');
      expect(neither.text).toMatch(/attachment "statement\.csv" has no content; give text .* or base64/);
    });

    it('refuses base64 that is not strict base64', async () => {
      const cases: Array<[string, RegExp]> = [
        ['QUJD$EFG', /character "\$" at position 4 is outside the base64 alphabet/],
        ['QUJDRA', /6 characters .* not a multiple of 4; the padding \("="\) is missing/],
        ['QU=JDRA=', /"=" may only pad the end/],
        ['QUJD-_==', /base64url is not accepted/],
        ['QR==', /bits under the padding are not zero/],
      ];
      for (const [base64, expected] of cases) {
        const e = toolError(await submit({ attachments: [{ name: 'statement.pdf', base64 }] }));
        expect(e.code, base64).toBe('invalid_input');
        expect(e.text, base64).toMatch(/attachment "statement\.pdf" \(attachments\[0\]\.base64\) is not valid base64/);
        expect(e.text, base64).toMatch(expected);
      }
    });

    it('refuses names that are not plain file names', async () => {
      const cases: Array<[string, RegExp]> = [
        ['../x', /contains "\/" or "\\"/],
        ['statements/jan.csv', /contains "\/" or "\\"/],
        ['C:\\exports\\jan.csv', /contains "\/" or "\\"/],
        ['..', /"\." and "\.\." are not file names/],
        ['.', /"\." and "\.\." are not file names/],
        ['jan\n.csv', /control or text-direction characters/],
        ['invoice\u202Efdp.exe', /control or text-direction characters/],
        ['é'.repeat(200), /it is 400 bytes long; the limit is 255/],
        ['   ', /it is empty/],
      ];
      for (const [name, expected] of cases) {
        const e = toolError(await submit({ attachments: [{ name, text: 'x' }] }));
        expect(e.code, name).toBe('invalid_input');
        expect(e.text, name).toMatch(/attachments\[0\]\.name .* is not a plain file name/);
        expect(e.text, name).toMatch(expected);
      }
    });

    it('refuses a media type that is not type/subtype', async () => {
      for (const mediaType of ['csv', 'text/csv; charset=utf-8', 'text/', '/csv', 'text/c sv']) {
        const e = toolError(await submit({ attachments: [{ name: 'a.csv', mediaType, text: 'x' }] }));
        expect(e.code, mediaType).toBe('invalid_input');
        expect(e.text, mediaType).toMatch(/attachments\[0\]\.mediaType .* is not a media type; give type\/subtype/);
      }
    });

    it(`refuses more than ${LIMITS.signalAttachments} files, saying how many`, async () => {
      const files = Array.from({ length: LIMITS.signalAttachments + 1 }, (_, i) => ({ name: `part-${i}.csv`, text: 'a;b\n' }));
      const e = toolError(await submit({ attachments: files }));
      expect(e.code).toBe('invalid_input');
      expect(e.text).toMatch(/21 attachments given; the limit is 20 per signal/);
    });

    it('refuses a file over 5 MiB, naming the file, its size and the limits', async () => {
      const big = Buffer.alloc(LIMITS.attachmentBytes + 1, 0x41);
      for (const attachment of [
        { name: 'statement.xml', base64: big.toString('base64') },
        { name: 'statement.xml', text: big.toString('latin1') },
      ]) {
        const e = toolError(await submit({ attachments: [{ name: 'ok.csv', text: 'a' }, attachment] }));
        expect(e.code).toBe('invalid_input');
        expect(e.text).toContain('attachment "statement.xml" is 5 MiB (5,242,881 bytes); the limit is 5 MiB per file (10 MiB for all files of one signal). Split it');
      }
    });

    it('refuses files over 10 MiB together, naming the total and the largest', async () => {
      const four = Buffer.alloc(4 * 1024 * 1024, 0x42).toString('base64');
      const e = toolError(await submit({ attachments: ['jan.xml', 'feb.xml', 'mar.xml'].map((name) => ({ name, base64: four })) }));
      expect(e.code).toBe('invalid_input');
      expect(e.text).toMatch(/the 3 attachments come to 12 MiB \(12,582,912 bytes\) together, the largest "jan\.xml" 4 MiB, .*; the limit is 10 MiB per signal \(5 MiB per file\)\. Deliver them in several signals/);
      expect(e.text).toMatch(/Over MCP stdio one message is at most 10 MiB, so keep one call's base64 under about 7 MiB/);
      expect(e.text).toContain('longhaul signal <investigationId> <signal> --file <path>');
    });
  });
});
