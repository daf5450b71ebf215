import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServer, tempDir, type Running } from './harness.js';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

const CSV = 'Buchungstag;Empfänger;Betrag;Währung\n02.01.2026;Globex Holdings Ltd;25.000,00;EUR\n05.01.2026;Zürich Treuhand AG;9.800,50;CHF\n';
const XML =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">\n  <BkToCstmrStmt><Stmt><Id>HANSE-2026-01</Id></Stmt></BkToCstmrStmt>\n</Document>\n';
const EXTRA = { bank: 'Hanse Bank AG', period: '2026-01', accounts: ['DE44500105175407324931'] };
/** Binary with NULs and every byte value. */
const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131) % 256)), Buffer.from('\n%%EOF\n')]);

/**
 * Files delivered from a shell with `longhaul signal --file` (another process, on the
 * same data directory as a running server), then read back through the real SDK
 * client over stdio: names, sizes, SHA-256 and the bytes themselves.
 */
describe('signal files over stdio (end to end)', () => {
  const tmp = tempDir('longhaul-e2e-files-');
  const files = tempDir('longhaul-e2e-files-in-');
  const env = { LONGHAUL_DATA_DIR: tmp.dir };
  let server: Running;
  let id: string;
  const path = (name: string) => join(files.dir, name);

  beforeAll(async () => {
    writeFileSync(path('statement.csv'), CSV);
    writeFileSync(path('statement.xml'), XML);
    writeFileSync(path('extra.json'), JSON.stringify(EXTRA));
    writeFileSync(path('statement.pdf'), PDF);
    server = await startServer(tmp.dir);
    const r = await server.call('start_investigation', {
      subject: 'TechCorp',
      objective: 'Check the bank statements of TechCorp GmbH',
      tasks: [{ role: 'compliance', instructions: 'Check the bank statements once they arrive', waitFor: { signal: 'bank_data', timeout: '1h' } }],
    });
    id = r.investigation.investigationId;
  });
  afterAll(async () => {
    await server?.close().catch(() => undefined);
    tmp.cleanup();
    files.cleanup();
  });

  it('delivers the CSV and camt.053 files with JSON data; the server lists them with sizes and SHA-256', async () => {
    const sent = runCli(['signal', id, 'bank_data', '--file', path('statement.csv'), '--file', path('statement.xml'), '--data', path('extra.json'), '--key', 'hanse-2026-01'], env);
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/resolved 1 wait\(s\), woke 1 task\(s\)/);
    expect(sent.stdout).toContain(`statement.csv (text/csv) ${Buffer.byteLength(CSV)} B, sha256 ${sha256(CSV).slice(0, 12)}`);
    expect(sent.stdout).toContain(`statement.xml (application/xml) ${Buffer.byteLength(XML)} B, sha256 ${sha256(XML).slice(0, 12)}`);

    const state = await server.call('get_investigation', { investigationId: id });
    expect(state.signals).toHaveLength(1);
    const sig = state.signals[0];
    expect(JSON.parse(sig.payloadPreview)).toEqual(EXTRA);
    expect(sig.attachments).toEqual([
      { name: 'statement.csv', mediaType: 'text/csv', size: Buffer.byteLength(CSV), sha256: sha256(CSV), uri: `longhaul://investigations/${id}/signals/${sig.signalId}/attachments/0` },
      { name: 'statement.xml', mediaType: 'application/xml', size: Buffer.byteLength(XML), sha256: sha256(XML), uri: `longhaul://investigations/${id}/signals/${sig.signalId}/attachments/1` },
    ]);
    expect(state.waits[0]).toMatchObject({ status: 'resolved', signalId: sig.signalId });

    const csv = (await server.client.readResource({ uri: sig.attachments[0].uri })).contents[0] as { mimeType: string; text: string };
    expect(csv).toMatchObject({ mimeType: 'text/csv', text: CSV });
    const xml = (await server.client.readResource({ uri: sig.attachments[1].uri })).contents[0] as { mimeType: string; text: string };
    expect(xml).toMatchObject({ mimeType: 'application/xml', text: XML });
  });

  it('answers a repeated delivery with the same key with the earlier files, storing nothing', async () => {
    const again = runCli(['signal', id, 'bank_data', '--file', path('statement.pdf'), '--key', 'hanse-2026-01'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already delivered with this key/);
    expect(again.stdout).toMatch(/Files of the earlier delivery:\n {2}statement\.csv .*\n {2}statement\.xml /);
    expect((await server.call('get_investigation', { investigationId: id })).signals).toHaveLength(1);
  });

  it('takes --data - from standard input together with a binary --file, byte for byte', async () => {
    const sent = runCli(['signal', id, 'bank_data_pdf', '--data', '-', '--file', path('statement.pdf')], env, JSON.stringify({ via: 'stdin' }));
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain(`statement.pdf (application/pdf) 4 KiB, sha256 ${sha256(PDF).slice(0, 12)}`);
    const sig = (await server.call('get_investigation', { investigationId: id })).signals.find((s: any) => s.name === 'bank_data_pdf');
    expect(JSON.parse(sig.payloadPreview)).toEqual({ via: 'stdin' });
    expect(sig.attachments).toEqual([expect.objectContaining({ name: 'statement.pdf', mediaType: 'application/pdf', size: PDF.length, sha256: sha256(PDF) })]);
    const blob = (await server.client.readResource({ uri: sig.attachments[0].uri })).contents[0] as { mimeType: string; blob: string };
    expect(blob.mimeType).toBe('application/pdf');
    expect(Buffer.from(blob.blob, 'base64').equals(PDF)).toBe(true);
  });

  it('refuses a missing file by name, delivering nothing', async () => {
    const missing = path('no-such-statement.csv');
    const r = runCli(['signal', id, 'bank_data_missing', '--file', path('statement.csv'), '--file', missing], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--file ${missing}: cannot read it (ENOENT)`);
    expect(r.stdout).toBe('');
    const names = (await server.call('get_investigation', { investigationId: id })).signals.map((s: any) => s.name);
    expect(names).not.toContain('bank_data_missing');
  });
});
