import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/domain/errors.js';
import {
  checkBase64,
  describeFiles,
  formatBytes,
  isTextMediaType,
  mediaTypeFor,
  prepareAttachments,
} from '../../src/runtime/attachments.js';
import { LIMITS } from '../../src/runtime/limits.js';
import { rehydrate } from '../../src/runtime/worker-context.js';
import { openSqliteStore } from '../../src/store/adapters/sqlite/index.js';
import type { StorePort } from '../../src/store/port.js';
import { fixtures, openInvestigation } from '../contract/fixtures.js';

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const refused = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidInputError);
    return (e as Error).message;
  }
  throw new Error('expected an InvalidInputError');
};

describe('signal attachments in the runtime', () => {
  describe('prepareAttachments', () => {
    it('decodes text and base64 in order, measuring and hashing the bytes', () => {
      const pdf = Buffer.from([0x25, 0x50, 0x44, 0x46, 0, 0, 0xff, 0x00, 0x80]);
      const files = prepareAttachments([
        { name: 'statement.csv', text: 'a;b\nZürich;1\n' },
        { name: 'statement.pdf', base64: pdf.toString('base64') },
        { name: 'report', mediaType: 'Text/Plain', text: '' },
      ]);
      expect(files.map((f) => f.meta)).toEqual([
        { index: 0, name: 'statement.csv', mediaType: 'text/csv', size: Buffer.byteLength('a;b\nZürich;1\n'), sha256: sha256('a;b\nZürich;1\n') },
        { index: 1, name: 'statement.pdf', mediaType: 'application/pdf', size: pdf.length, sha256: sha256(pdf) },
        { index: 2, name: 'report', mediaType: 'text/plain', size: 0, sha256: sha256('') },
      ]);
      expect(Buffer.from(files[1]!.content).equals(pdf)).toBe(true);
      expect(prepareAttachments(undefined)).toEqual([]);
      expect(prepareAttachments([])).toEqual([]);
    });

    it('refuses files within the per-file limit that are over the total together', () => {
      // Three files of 5 MiB less 2 bytes each: every one fits, the three do not.
      const almost = 'A'.repeat(((LIMITS.attachmentBytes - 2) / 3) * 4);
      const message = refused(() => prepareAttachments(['a', 'b', 'c'].map((n) => ({ name: `${n}.bin`, base64: almost }))));
      expect(message).toMatch(/^the 3 attachments come to 15 MiB \([\d,]+ bytes\) together/);
    });

    it('counts a file exactly at the limit as within it, one byte more as over', () => {
      expect(prepareAttachments([{ name: 'max.bin', base64: Buffer.alloc(LIMITS.attachmentBytes).toString('base64') }])[0]!.meta.size).toBe(LIMITS.attachmentBytes);
      expect(refused(() => prepareAttachments([{ name: 'over.bin', base64: Buffer.alloc(LIMITS.attachmentBytes + 1).toString('base64') }]))).toContain(
        'attachment "over.bin" is 5 MiB (5,242,881 bytes); the limit is 5 MiB per file',
      );
      const twoAtLimit = [0, 1].map((i) => ({ name: `${i}.bin`, base64: Buffer.alloc(LIMITS.attachmentBytes).toString('base64') }));
      expect(prepareAttachments(twoAtLimit)).toHaveLength(2);
      expect(refused(() => prepareAttachments([...twoAtLimit, { name: 'one-more.txt', text: 'x' }]))).toMatch(/10 MiB \(10,485,761 bytes\) together/);
    });
  });

  describe('strict base64', () => {
    it('accepts padded base64 with whitespace and line breaks', () => {
      expect(checkBase64('QUJD\r\nREVG\n', 'x')).toEqual({ clean: 'QUJDREVG', size: 6 });
      expect(checkBase64(' QQ== ', 'x')).toEqual({ clean: 'QQ==', size: 1 });
      expect(checkBase64('QUI=', 'x')).toEqual({ clean: 'QUI=', size: 2 });
      expect(checkBase64('', 'x')).toEqual({ clean: '', size: 0 });
    });
    it('refuses characters outside the alphabet, bad padding and damaged tails', () => {
      expect(refused(() => checkBase64('QU*D', 'x'))).toMatch(/character "\*" at position 2/);
      expect(refused(() => checkBase64('QUJ', 'x'))).toMatch(/not a multiple of 4/);
      expect(refused(() => checkBase64('Q===', 'x'))).toMatch(/"=" may only pad the end/);
      expect(refused(() => checkBase64('QQ==QQ==', 'x'))).toMatch(/"=" may only pad the end/);
      expect(refused(() => checkBase64('QUJ_', 'x'))).toMatch(/base64url is not accepted/);
      expect(refused(() => checkBase64('QR==', 'x'))).toMatch(/bits under the padding/);
      expect(refused(() => checkBase64('QUJ=', 'x'))).toMatch(/bits under the padding/);
    });
  });

  describe('names, media types and sizes', () => {
    it('infers media types from extensions, case-insensitively', () => {
      expect(mediaTypeFor('STATEMENT.CSV')).toBe('text/csv');
      expect(mediaTypeFor('MT940.sta')).toBe('text/plain');
      expect(mediaTypeFor('.csv')).toBe('application/octet-stream'); // a dot file, no extension
      expect(mediaTypeFor('archive.tar.gz')).toBe('application/octet-stream');
      expect(mediaTypeFor('trailing.')).toBe('application/octet-stream');
    });
    it('treats text/*, JSON and XML as text-like', () => {
      for (const t of ['text/csv', 'text/plain', 'application/json', 'application/xml', 'application/ld+json', 'application/atom+xml']) expect(isTextMediaType(t), t).toBe(true);
      for (const t of ['application/pdf', 'application/octet-stream', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet']) expect(isTextMediaType(t), t).toBe(false);
    });
    it('formats sizes in binary units', () => {
      expect([0, 812, 1024, 14_541, 5 * 1024 * 1024, 6_501_172].map(formatBytes)).toEqual(['0 B', '812 B', '1 KiB', '14.2 KiB', '5 MiB', '6.2 MiB']);
      expect(describeFiles([{ name: 'a.xml', size: 14_541 }, { name: 'b.csv', size: 10 }])).toBe('2 files: a.xml 14.2 KiB, b.csv 10 B');
      expect(describeFiles(Array.from({ length: 7 }, (_, i) => ({ name: `${i}.csv`, size: 1 })))).toBe('7 files: 0.csv 1 B, 1.csv 1 B, 2.csv 1 B, 3.csv 1 B, 4.csv 1 B, and 2 more');
    });
  });

  describe('when a worker wakes for a signal with files', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'longhaul-rehydrate-'));
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it.each([
      ['sqlite', () => openSqliteStore({ path: path.join(dir, 'store.db') })],
    ] as Array<[string, () => StorePort]>)('rehydrates the signals with their files’ metadata (%s store), and the bytes read back', async (_kind, open) => {
      const store = open();
      try {
        const f = fixtures('acme');
        const t = store.tenant('acme');
        const { inv } = await openInvestigation(t, f);
        const { task, wait } = f.waitingTask(inv.id, 'bank_data');
        await t.createTask({ task, wait, events: [] });
        const files = prepareAttachments([
          { name: 'statement.xml', text: '<Document/>' },
          { name: 'statement.pdf', base64: Buffer.from([1, 0, 2]).toString('base64') },
        ]);
        const signal = f.signal(inv.id, { attachments: files.map((x) => x.meta) });
        await t.deliverSignal({ signal, attachments: files, events: [] });
        const woken = (await t.getTask(task.id))!;
        const r = await rehydrate(t, woken, inv, null);
        expect(r.signals).toHaveLength(1);
        expect(r.signals[0]!.attachments.map((a) => [a.index, a.name, a.mediaType, a.size])).toEqual([
          [0, 'statement.xml', 'application/xml', 11],
          [1, 'statement.pdf', 'application/pdf', 3],
        ]);
        const pdf = await t.readSignalAttachment(r.signals[0]!.id, 1);
        expect(Array.from(pdf!.content)).toEqual([1, 0, 2]);
        expect(pdf!.meta.sha256).toBe(sha256(Buffer.from([1, 0, 2])));
      } finally {
        await store.close();
      }
    });
  });
});
