import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultFileName, dispositionFileName } from '../../../src/transports/http/webhook.js';
import { connectHttp, rawHttp, serveTestApp, tokensFile, type HttpClient, type TestHttp } from './helpers.js';

const CSV = 'date;amount;currency;payee\n2026-11-02;-12500.00;EUR;Northwind Trading\n2026-11-03;4300.00;EUR;TechCorp GmbH\n';
const WAITING = { role: 'compliance', instructions: 'Check the bank statements', waitFor: { signal: 'bank_data', timeout: '3d' } };

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('the signal webhook (POST /hooks/signals/{investigationId}/{signal})', () => {
  const file = tokensFile({
    alice: { tenant: 'acme', actor: 'alice' },
    carol: { tenant: 'acme', actor: 'carol', scopes: ['read'] },
    bob: { tenant: 'globex', actor: 'bob' },
  });
  let s: TestHttp;
  let alice: HttpClient;
  beforeAll(async () => {
    s = await serveTestApp({ LONGHAUL_TOKENS_FILE: file.path });
    alice = await connectHttp(s.mcp, file.tokens.alice);
  });
  afterAll(async () => {
    await alice?.close();
    await s?.close();
    file.cleanup();
  });

  const hook = (id: string, signal: string) => `${s.http.url}/hooks/signals/${id}/${signal}`;
  const deliver = (id: string, signal: string, body: string | Buffer | undefined, headers: Record<string, string> = {}, token: string | null = file.tokens.alice, query = '') =>
    fetch(hook(id, signal) + query, { method: 'POST', headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers }, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : new Uint8Array(body) }) });
  const open = async (tasks: unknown[] = [WAITING]) => (await alice.call('start_investigation', { subject: 'TechCorp', objective: 'Check TechCorp before onboarding', tasks })).investigation.investigationId as string;

  describe('with a JSON body', () => {
    it('delivers it as the payload, resolves the wait and wakes its task (202)', async () => {
      const id = await open();
      const r = await deliver(id, 'bank_data', JSON.stringify({ account: 'DE89 3704', balance: 120_000 }), { 'content-type': 'application/json; charset=utf-8' });
      expect(r.status).toBe(202);
      const body = await r.json();
      expect(body).toMatchObject({ investigationId: id, signal: 'bank_data', duplicate: false, attachments: [] });
      expect(body.signalId).toMatch(/^sig_/);
      expect(body.resolvedWaits).toHaveLength(1);
      expect(body.wokenTasks).toEqual([expect.objectContaining({ role: 'compliance', status: 'pending' })]);
      const state = await alice.call('get_investigation', { investigationId: id });
      const sig = state.signals.find((x: { signalId: string }) => x.signalId === body.signalId);
      expect(sig).toMatchObject({ name: 'bank_data', deliveredBy: 'alice' });
      expect(sig.payloadPreview).toContain('DE89 3704');
    });

    it('delivers a signal without data when the body is empty', async () => {
      const id = await open([]);
      const r = await deliver(id, 'documents_requested', undefined);
      expect(r.status).toBe(202);
      expect(await r.json()).toMatchObject({ payloadBytes: 4, attachments: [] });
    });
  });

  describe('with a file body', () => {
    it('stores a CSV body as one attachment named by Content-Disposition, bytes and SHA-256 intact', async () => {
      const id = await open();
      const r = await deliver(id, 'bank_data', CSV, { 'content-type': 'text/csv', 'content-disposition': 'attachment; filename="statement-2026-11.csv"' });
      expect(r.status).toBe(202);
      const body = await r.json();
      expect(body.resolvedWaits).toHaveLength(1);
      expect(body.attachments).toEqual([expect.objectContaining({ name: 'statement-2026-11.csv', mediaType: 'text/csv', size: Buffer.byteLength(CSV), sha256: sha256(CSV) })]);
      const read = await alice.client.readResource({ uri: body.attachments[0].uri });
      expect((read.contents[0] as { text: string }).text).toBe(CSV);
    });

    it('keeps binary bytes exactly (application/pdf), named from the query when no Content-Disposition is sent', async () => {
      const id = await open([]);
      const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.from([0, 255, 254, 128, 10, 13, 0])]);
      const r = await deliver(id, 'contract', pdf, { 'content-type': 'application/pdf' }, undefined, '?name=contract.pdf');
      expect(r.status).toBe(202);
      const [a] = (await r.json()).attachments;
      expect(a).toMatchObject({ name: 'contract.pdf', mediaType: 'application/pdf', size: pdf.length, sha256: sha256(pdf) });
      const read = await alice.client.readResource({ uri: a.uri });
      expect(Buffer.from((read.contents[0] as { blob: string }).blob, 'base64').equals(pdf)).toBe(true);
    });

    it('names an unnamed body after its type, and infers the type of application/octet-stream from the name', async () => {
      const id = await open([]);
      const xml = await (await deliver(id, 'camt', '<Document/>', { 'content-type': 'application/xml' })).json();
      expect(xml.attachments[0]).toMatchObject({ name: 'body.xml', mediaType: 'application/xml' });
      const octet = await (await deliver(id, 'csv', CSV, { 'content-type': 'application/octet-stream', 'content-disposition': "attachment; filename*=UTF-8''Kontoausz%C3%BCge.csv" })).json();
      expect(octet.attachments[0]).toMatchObject({ name: 'Kontoauszüge.csv', mediaType: 'text/csv' });
    });
  });

  describe('idempotency', () => {
    it('resolves once when the same delivery arrives twice with one Idempotency-Key', async () => {
      const id = await open();
      const headers = { 'content-type': 'text/csv', 'content-disposition': 'attachment; filename="statement.csv"', 'idempotency-key': 'bank-msg-4711' };
      const first = await (await deliver(id, 'bank_data', CSV, headers)).json();
      const again = await deliver(id, 'bank_data', CSV, headers);
      expect(again.status).toBe(202);
      const second = await again.json();
      expect(first).toMatchObject({ duplicate: false, resolvedWaits: [expect.anything()] });
      expect(second).toMatchObject({ duplicate: true, signalId: first.signalId, resolvedWaits: [], wokenTasks: [] });
      const state = await alice.call('get_investigation', { investigationId: id });
      expect(state.signals.filter((x: { name: string }) => x.name === 'bank_data')).toHaveLength(1);
    });
  });

  describe('refusals', () => {
    it('answers 401 without a credential, naming the protected-resource metadata', async () => {
      const r = await deliver('inv_x', 'bank_data', '{}', { 'content-type': 'application/json' }, null);
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toContain('resource_metadata=');
    });

    it('answers 403 insufficient_scope to a read-only token, and stores nothing', async () => {
      const id = await open([]);
      const r = await deliver(id, 'bank_data', '{"a":1}', { 'content-type': 'application/json' }, file.tokens.carol);
      expect(r.status).toBe(403);
      expect(await r.json()).toMatchObject({ error: 'insufficient_scope' });
      expect(r.headers.get('www-authenticate')).toContain('error="insufficient_scope", scope="write"');
      expect((await alice.call('get_investigation', { investigationId: id })).signals).toHaveLength(0);
    });

    it('answers 404 for an unknown investigation', async () => {
      const real = await open([]);
      const unknown = real.slice(0, -4) + (real.endsWith('ZZZZ') ? 'YYYY' : 'ZZZZ');
      const r = await deliver(unknown, 'bank_data', '{}', { 'content-type': 'application/json' });
      expect(r.status).toBe(404);
      expect(await r.json()).toMatchObject({ error: 'not_found' });
    });

    it('answers 409 for a closed investigation', async () => {
      const id = await open([]);
      await alice.call('close_investigation', { investigationId: id, outcome: 'cancelled' });
      const r = await deliver(id, 'bank_data', '{}', { 'content-type': 'application/json' });
      expect(r.status).toBe(409);
      expect((await r.json()).error_description).toMatch(/closed/);
    });

    it('answers 400 with the message for bad input: a signal name, JSON, a file name, an oversized payload', async () => {
      const id = await open([]);
      const badName = await deliver(id, 'Bank Data', '{}', { 'content-type': 'application/json' });
      expect(badName.status).toBe(400);
      expect((await badName.json()).error_description).toMatch(/not a valid signal name/);
      const badJson = await deliver(id, 'bank_data', '{"a":', { 'content-type': 'application/json' });
      expect(badJson.status).toBe(400);
      const badFile = await deliver(id, 'bank_data', CSV, { 'content-type': 'text/csv', 'content-disposition': 'attachment; filename=".."' });
      expect(badFile.status).toBe(400);
      const big = await deliver(id, 'bank_data', JSON.stringify({ text: 'x'.repeat(300_000) }), { 'content-type': 'application/json' });
      expect(big.status).toBe(400);
      expect((await big.json()).error_description).toMatch(/limit is 256000/);
    });

    it('answers 413 for a file body over 5 MiB and a JSON body over 1 MiB, 415 for form encodings', async () => {
      const id = await open([]);
      const file6 = await deliver(id, 'bank_data', Buffer.alloc(5 * 1024 * 1024 + 1, 65), { 'content-type': 'text/csv' });
      expect(file6.status).toBe(413);
      const json2 = await deliver(id, 'bank_data', `"${'x'.repeat(1024 * 1024)}"`, { 'content-type': 'application/json' });
      expect(json2.status).toBe(413);
      const form = await deliver(id, 'bank_data', 'a=1', { 'content-type': 'application/x-www-form-urlencoded' });
      expect(form.status).toBe(415);
      expect((await form.json()).error_description).toContain("-H 'Content-Type: text/csv'");
      // A body of exactly 5 MiB is one attachment's limit, and accepted.
      const five = await deliver(id, 'bank_data', Buffer.alloc(5 * 1024 * 1024, 65), { 'content-type': 'text/csv' });
      expect(five.status).toBe(202);
    });

    it('counts a chunked body as it streams and stops at the limit', async () => {
      const id = await open([]);
      const chunk = Buffer.alloc(1024 * 1024, 66);
      const r = await rawHttp(hook(id, 'bank_data'), {
        method: 'POST',
        headers: { authorization: `Bearer ${file.tokens.alice}`, 'content-type': 'text/csv', 'transfer-encoding': 'chunked' },
        chunks: Array.from({ length: 6 }, () => chunk),
      }).catch((e: Error) => ({ status: -1, body: e.message }));
      // 413, or the connection closed by the server while the client still writes.
      expect([413, -1]).toContain(r.status);
    });

    it('never takes a credential from the query string', async () => {
      const r = await fetch(`${hook('inv_x', 'bank_data')}?access_token=${file.tokens.alice}`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      expect(r.status).toBe(400);
    });

    it('refuses a foreign browser Origin (a page cannot deliver signals)', async () => {
      const id = await open([]);
      const r = await deliver(id, 'bank_data', 'x', { 'content-type': 'text/plain', origin: 'http://evil.example' });
      expect(r.status).toBe(403);
    });

    it('answers 405 to other methods', async () => {
      const r = await fetch(hook('inv_x', 'bank_data'), { headers: { authorization: `Bearer ${file.tokens.alice}` } });
      expect(r.status).toBe(405);
      expect(r.headers.get('allow')).toBe('POST');
    });
  });

  describe('tenant isolation', () => {
    it("never delivers to another tenant's investigation: 404, and nothing is stored", async () => {
      const id = await open();
      const r = await deliver(id, 'bank_data', CSV, { 'content-type': 'text/csv' }, file.tokens.bob);
      expect(r.status).toBe(404);
      const state = await alice.call('get_investigation', { investigationId: id });
      expect(state.signals).toHaveLength(0);
      expect(state.waits.every((w: { status: string }) => w.status === 'open')).toBe(true);
    });
  });

  it('writes access records without the token', () => {
    const hooks = s.access.filter((a) => a.path.startsWith('/hooks/'));
    expect(hooks.length).toBeGreaterThan(5);
    const text = JSON.stringify(s.access);
    for (const t of Object.values(file.tokens)) expect(text).not.toContain(t);
    expect(hooks.find((a) => a.status === 202)).toMatchObject({ tenant: 'acme', actor: 'alice' });
  });
});

describe('the signal webhook on a loopback server without credentials', () => {
  it('acts as the local identity', async () => {
    const s = await serveTestApp();
    const c = await connectHttp(s.mcp);
    try {
      const id = (await c.call('start_investigation', { subject: 'TechCorp', objective: 'Check it', tasks: [WAITING] })).investigation.investigationId;
      const r = await fetch(`${s.http.url}/hooks/signals/${id}/bank_data`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"ok":true}' });
      expect(r.status).toBe(202);
      expect((await r.json()).resolvedWaits).toHaveLength(1);
      const state = await c.call('get_investigation', { investigationId: id });
      expect(state.signals[0]).toMatchObject({ name: 'bank_data', deliveredBy: 'alice' });
    } finally {
      await c.close();
      await s.close();
    }
  });
});

describe('a loopback server without credentials behind a proxy', () => {
  it('refuses forwarded requests (they would act as the local identity), but answers health checks', async () => {
    const s = await serveTestApp();
    try {
      const viaProxy = { 'x-forwarded-for': '203.0.113.9', 'content-type': 'application/json' };
      const hook = await fetch(`${s.http.url}/hooks/signals/inv_x/bank_data`, { method: 'POST', headers: viaProxy, body: '{}' });
      expect(hook.status).toBe(403);
      expect((await hook.json()).error_description).toContain('LONGHAUL_TOKENS_FILE');
      const mcp = await fetch(s.mcp, { method: 'POST', headers: { ...viaProxy, forwarded: 'for=203.0.113.9' }, body: '{}' });
      expect(mcp.status).toBe(403);
      expect((await fetch(`${s.http.url}/metrics`, { headers: viaProxy })).status).toBe(403);
      expect((await fetch(`${s.http.url}/healthz`, { headers: viaProxy })).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});

describe('webhook helpers', () => {
  it('reads file names from Content-Disposition (RFC 6266, RFC 8187), dropping any path', () => {
    expect(dispositionFileName('attachment; filename="a b.csv"')).toBe('a b.csv');
    expect(dispositionFileName('attachment; filename=plain.xml')).toBe('plain.xml');
    expect(dispositionFileName('attachment; filename="x.csv"; filename*=UTF-8\'\'%E2%82%AC.csv')).toBe('€.csv');
    expect(dispositionFileName('attachment; filename="C:\\\\statements\\\\may.csv"')).toBe('may.csv');
    expect(dispositionFileName('attachment; filename="../../etc/passwd"')).toBe('passwd');
    expect(dispositionFileName('attachment; filename="q\\"uote.txt"')).toBe('q"uote.txt');
    expect(dispositionFileName('inline')).toBeNull();
    expect(dispositionFileName(undefined)).toBeNull();
  });

  it('names an unnamed body after its media type', () => {
    expect(defaultFileName('text/csv')).toBe('body.csv');
    expect(defaultFileName('application/pdf')).toBe('body.pdf');
    expect(defaultFileName('application/octet-stream')).toBe('body.bin');
    expect(defaultFileName('image/png')).toBe('body.png');
    expect(defaultFileName('application/vnd.ms-excel')).toBe('body.bin');
  });
});
