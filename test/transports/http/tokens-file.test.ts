import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import { tools } from '../../../src/mcp/tools/index.js';
import { HttpTokenVerifier, hasScope } from '../../../src/transports/http/auth.js';
import { readOnlyTools, scopeNeeded } from '../../../src/transports/http/scopes.js';
import { createToken, hashPrefix, hashToken, listTokens, revokeToken, TokensFile } from '../../../src/transports/http/tokens-file.js';

describe('the tokens file', () => {
  let dir: string;
  let path: string;
  const logs: string[] = [];
  const logger = createLogger({ write: (l) => logs.push(l) });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'longhaul-tokens-'));
    path = join(dir, 'sub', 'tokens.json');
    logs.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const create = (tenant = 'acme', actor = 'alice', scopes = ['read', 'write']) => createToken(path, { tenant, actor, scopes, createdAt: '2026-01-01T00:00:00.000Z' });

  it('creates the file (mode 0600) with the hash of a new lh_ token, never the token', () => {
    const { token, entry } = create();
    expect(token).toMatch(/^lh_[A-Za-z0-9_-]{43}$/);
    expect(entry.sha256).toBe(hashToken(token));
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain(token);
    expect(JSON.parse(text)).toEqual({ tokens: [{ sha256: entry.sha256, tenant: 'acme', actor: 'alice', scopes: ['read', 'write'], createdAt: '2026-01-01T00:00:00.000Z' }] });
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('appends, lists and revokes by hash prefix, keeping what it does not know', () => {
    const a = create();
    const b = create('globex', 'bob', ['read']);
    const doc = JSON.parse(readFileSync(path, 'utf8'));
    doc.comment = 'kept';
    writeFileSync(path, JSON.stringify(doc));
    expect(listTokens(path).map((t) => [t.tenant, t.actor, t.scopes])).toEqual([
      ['acme', 'alice', ['read', 'write']],
      ['globex', 'bob', ['read']],
    ]);
    const gone = revokeToken(path, hashPrefix(a.entry.sha256));
    expect(gone.actor).toBe('alice');
    expect(listTokens(path).map((t) => t.sha256)).toEqual([b.entry.sha256]);
    expect(JSON.parse(readFileSync(path, 'utf8')).comment).toBe('kept');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('refuses bad input with sentences', () => {
    expect(() => create('acme', 'alice', ['root'])).toThrow(/"root" is not a scope/);
    expect(() => create('bad tenant')).toThrow(/--tenant/);
    expect(() => create('acme', '../x')).toThrow(/--actor/);
    // Worker roles' ids: a token for one could record into every worker session of the tenant.
    expect(() => create('acme', 'compliance-worker')).toThrow(/reserved for worker roles/);
    create();
    expect(() => revokeToken(path, 'abc')).toThrow(/at least 6 hex digits/);
    expect(() => revokeToken(path, 'ffffffffff')).toThrow(/No token/);
  });

  it('refuses an ambiguous prefix', () => {
    // Two entries sharing a prefix (hand-written hashes).
    create();
    writeFileSync(path, JSON.stringify({ tokens: [{ sha256: 'ab'.repeat(32), tenant: 'a', actor: 'a', scopes: [] }, { sha256: 'ababab' + 'cd'.repeat(29), tenant: 'a', actor: 'b', scopes: [] }] }));
    expect(() => revokeToken(path, 'ababab')).toThrow(/matches 2 tokens/);
  });

  describe('as the server reads it', () => {
    it('verifies tokens by their hash and picks up changes on the next check', () => {
      const a = create();
      const f = new TokensFile(path, logger);
      expect(f.load()).toHaveLength(1);
      expect(f.verify(a.token)?.actor).toBe('alice');
      expect(f.verify('lh_other')).toBeNull();
      const b = create('acme', 'bob');
      expect(f.verify(b.token)?.actor).toBe('bob');
      revokeToken(path, a.entry.sha256.slice(0, 8));
      expect(f.verify(a.token)).toBeNull();
    });

    it('fails closed while the file is invalid or missing, and recovers', () => {
      const a = create();
      const f = new TokensFile(path, logger);
      f.load();
      writeFileSync(path, '{"tokens": [');
      expect(f.verify(a.token)).toBeNull();
      expect(logs.join('\n')).toContain('the tokens file is invalid');
      rmSync(path);
      expect(f.verify(a.token)).toBeNull();
      create('acme', 'carol');
      const doc = JSON.parse(readFileSync(path, 'utf8'));
      doc.tokens.push({ sha256: a.entry.sha256, tenant: 'acme', actor: 'alice', scopes: ['read'] });
      writeFileSync(path, JSON.stringify(doc));
      expect(f.verify(a.token)?.scopes).toEqual(['read']);
    });

    it('refuses to start on a missing or invalid file, naming it', () => {
      expect(() => new TokensFile(path, logger).load()).toThrow(/does not exist.*longhaul token create/);
      create();
      writeFileSync(path, JSON.stringify({ tokens: [{ sha256: 'xyz', tenant: 'acme', actor: 'alice', scopes: [] }] }));
      expect(() => new TokensFile(path, logger).load()).toThrow(/tokens\.0\.sha256/);
    });

    it('hands the SDK auth info with the principal, never the token', async () => {
      const a = create();
      const f = new TokensFile(path, logger);
      f.load();
      const info = await new HttpTokenVerifier(f, null, () => 1000).verifyAccessToken(a.token);
      expect(info.extra).toEqual({ tenantId: 'acme', actorId: 'alice', scopes: ['read', 'write'], tokenHash: a.entry.sha256, via: 'token' });
      expect(JSON.stringify(info)).not.toContain(a.token);
      expect(info.expiresAt).toBeGreaterThan(1000);
      await expect(new HttpTokenVerifier(f, null, () => 1000).verifyAccessToken('lh_nope')).rejects.toThrow(/not valid/);
    });
  });
});

describe('scopes', () => {
  const readOnly = readOnlyTools(tools);
  const call = (name: string) => ({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: {} } });

  it('needs write for tools that are not read-only, read for everything else', () => {
    expect(scopeNeeded(call('start_investigation'), readOnly)).toEqual({ scope: 'write', what: 'tools/call start_investigation' });
    expect(scopeNeeded(call('get_investigation'), readOnly).scope).toBe('read');
    expect(scopeNeeded(call('no_such_tool'), readOnly).scope).toBe('read');
    for (const method of ['resources/read', 'resources/subscribe', 'prompts/get', 'completion/complete', 'logging/setLevel', 'ping', 'tools/list']) {
      expect(scopeNeeded({ jsonrpc: '2.0', id: 1, method, params: {} }, readOnly).scope, method).toBe('read');
    }
    expect(scopeNeeded([call('list_investigations'), call('close_investigation')], readOnly).scope).toBe('write');
  });

  it('follows the registry: every tool without readOnlyHint needs write', () => {
    for (const t of tools) expect(scopeNeeded(call(t.name), readOnly).scope, t.name).toBe(t.annotations.readOnlyHint ? 'read' : 'write');
  });

  it('lets write imply read', () => {
    const p = (scopes: string[]) => ({ tenantId: 't', actorId: 'a', scopes, tokenHash: null, via: 'token' as const });
    expect(hasScope(p(['write']), 'read')).toBe(true);
    expect(hasScope(p(['read']), 'write')).toBe(false);
    expect(hasScope(p([]), 'read')).toBe(false);
  });
});
