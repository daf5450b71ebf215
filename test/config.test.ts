import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const base = { HOME: '/home/test' };

describe('config', () => {
  it('defaults every setting', () => {
    const c = loadConfig({ env: base });
    expect(c.dataDir).toBe('/home/test/.local/share/longhaul');
    expect(c.store).toEqual({ kind: 'sqlite', path: '/home/test/.local/share/longhaul/longhaul.db' });
    expect(c.tenant).toBe('local');
    expect(c.idleTimeoutMs).toBe(15 * 60_000);
    expect(c.maxSessionDurationMs).toBe(8 * 3_600_000);
    expect(c.sweepIntervalMs).toBe(30_000);
    expect(c.extractionIntervalMs).toBe(60_000);
    expect(c.eventRetentionMs).toBe(90 * 86_400_000);
    expect(c.model).toEqual({ kind: 'none' });
    expect(c.http).toEqual({ host: '127.0.0.1', port: 8787, tokensFile: null, allowedOrigins: [], publicUrl: null, rateLimit: { requests: 600, windowMs: 60_000 }, oauth: null });
    expect(c.tenantsFile).toBeNull();
    expect(c.signalLimits).toEqual({ count: 1000, bytes: 200 * 1024 * 1024 });
    expect(c.sourcesFile).toBeNull();
    expect(c.sourcesRefreshMs).toBe(5 * 60_000);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.http)).toBe(true);
  });

  it('reads the HTTP, OAuth and limit settings, and names the one at fault', () => {
    const c = loadConfig({
      env: { ...base, LONGHAUL_HTTP_RATE_LIMIT: '50/10s', LONGHAUL_OAUTH_ISSUER: 'https://auth.example.com/', LONGHAUL_OAUTH_AUDIENCE: 'longhaul', LONGHAUL_MAX_SIGNAL_BYTES: '1GiB', LONGHAUL_HTTP_PUBLIC_URL: 'https://lh.example.com/' },
    });
    expect(c.http.rateLimit).toEqual({ requests: 50, windowMs: 10_000 });
    expect(c.http.oauth).toEqual({ issuer: 'https://auth.example.com', audience: 'longhaul', jwksUrl: null, tenantClaim: 'tenant', actorClaim: 'sub', scopeClaim: 'scope' });
    expect(c.http.publicUrl).toBe('https://lh.example.com');
    expect(c.signalLimits.bytes).toBe(1024 ** 3);
    expect(() => loadConfig({ env: { ...base, LONGHAUL_HTTP_RATE_LIMIT: 'lots' } })).toThrow(/http-rate-limit \(LONGHAUL_HTTP_RATE_LIMIT="lots"\): "lots" must be requests per window/);
    expect(() => loadConfig({ env: { ...base, LONGHAUL_MAX_SIGNAL_BYTES: '12 parsecs' } })).toThrow(/max-signal-bytes/);
  });

  it('refuses an actor id reserved for worker roles', () => {
    expect(() => loadConfig({ env: { ...base, LONGHAUL_ACTOR: 'compliance-worker' } })).toThrow(/actor .*reserved for worker roles/);
  });

  it('uses XDG_DATA_HOME', () => {
    expect(loadConfig({ env: { ...base, XDG_DATA_HOME: '/xdg' } }).dataDir).toBe('/xdg/longhaul');
  });

  it('reads env, and flags override env', () => {
    const c = loadConfig({
      env: { ...base, LONGHAUL_IDLE_TIMEOUT: 'PT2S', LONGHAUL_STORE: 'sqlite:/tmp/x.db', LONGHAUL_SOURCES: '/a:/b', LONGHAUL_MODEL: 'openai:http://127.0.0.1:11434/v1' },
      flags: { 'sweep-interval': '1s', 'idle-timeout': '3s' },
    });
    expect(c.idleTimeoutMs).toBe(3000);
    expect(c.sweepIntervalMs).toBe(1000);
    expect(c.store).toEqual({ kind: 'sqlite', path: '/tmp/x.db' });
    expect(c.sources).toEqual(['/a', '/b']);
    expect(c.model).toEqual({ kind: 'openai', baseUrl: 'http://127.0.0.1:11434/v1', modelName: 'gpt-4o-mini', apiKey: null });
  });

  it.each([
    ['LONGHAUL_IDLE_TIMEOUT', '3 dayz', /idle-timeout \(LONGHAUL_IDLE_TIMEOUT="3 dayz"\): .*ISO 8601/],
    ['LONGHAUL_SWEEP_INTERVAL', '500ms', /sweep-interval .*at least 1s/],
    ['LONGHAUL_STORE', 'mongo://x', /store .*must be `sqlite`/],
    ['LONGHAUL_MODEL', 'gpt', /model .*must be `none`/],
    ['LONGHAUL_HTTP_PORT', '99999', /http-port/],
    ['LONGHAUL_TENANT', '../other', /tenant/],
  ])('refuses %s=%s naming the setting', (name, value, msg) => {
    expect(() => loadConfig({ env: { ...base, [name]: value } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { ...base, [name]: value } })).toThrow(msg);
  });

  it('refuses a max duration shorter than the idle timeout', () => {
    expect(() => loadConfig({ env: { ...base, LONGHAUL_IDLE_TIMEOUT: '2h', LONGHAUL_MAX_SESSION_DURATION: '1h' } })).toThrow(/max-session-duration/);
  });

  it('needs a memory id and region for agentcore memory, checks the id and the endpoint, and takes the extraction mode', () => {
    expect(() => loadConfig({ env: { ...base, LONGHAUL_MEMORY: 'agentcore' } })).toThrow(/LONGHAUL_AGENTCORE_MEMORY_ID/);
    expect(() => loadConfig({ env: { ...base, LONGHAUL_MEMORY: 'agentcore', LONGHAUL_AGENTCORE_MEMORY_ID: 'mem-1', AWS_REGION: 'eu-west-1' } })).toThrow(/agentcore-memory-id .*not an AgentCore Memory id/);
    const ok = { ...base, LONGHAUL_MEMORY: 'agentcore', LONGHAUL_AGENTCORE_MEMORY_ID: 'longhaul_memory-AbCdEf1234', AWS_REGION: 'eu-west-1' };
    expect(loadConfig({ env: ok }).memory).toEqual({ kind: 'agentcore', memoryId: 'longhaul_memory-AbCdEf1234', region: 'eu-west-1', extraction: 'longhaul', endpoint: null, rate: { session: 4, account: 20, records: 10 } });
    expect(loadConfig({ env: { ...ok, LONGHAUL_AGENTCORE_RATE_LIMIT: 'session=50,records=2.5' } }).memory).toMatchObject({ rate: { session: 50, records: 2.5 } });
    expect(() => loadConfig({ env: { ...ok, LONGHAUL_AGENTCORE_RATE_LIMIT: 'session=fast' } })).toThrow(/agentcore-rate-limit .*session=4,account=20,records=10/);
    expect(() => loadConfig({ env: { ...ok, LONGHAUL_AGENTCORE_RATE_LIMIT: 'session=0' } })).toThrow(/agentcore-rate-limit .*above 0/);
    expect(loadConfig({ env: { ...ok, LONGHAUL_AGENTCORE_EXTRACTION: 'agentcore', AWS_ENDPOINT_URL_BEDROCK_AGENTCORE: 'http://127.0.0.1:4566' } }).memory).toMatchObject({ extraction: 'agentcore', endpoint: 'http://127.0.0.1:4566' });
    expect(() => loadConfig({ env: { ...ok, LONGHAUL_AGENTCORE_EXTRACTION: 'aws' } })).toThrow(/agentcore-extraction/);
    expect(() => loadConfig({ env: { ...ok, AWS_ENDPOINT_URL_BEDROCK_AGENTCORE: 'ftp://x' } })).toThrow(/aws-endpoint-url-bedrock-agentcore/);
  });

  it('refuses durations past 100 years naming the setting', () => {
    expect(() => loadConfig({ env: { ...base, LONGHAUL_IDLE_TIMEOUT: '99999999999999999999d' } })).toThrow(/idle-timeout .*longer than 100 years/);
  });
  describe('several instances: PostgreSQL and Redis', () => {
    it('takes a postgres:// store, with ?schema= taken out of the URL', () => {
      const c = loadConfig({ env: { ...base, LONGHAUL_STORE: 'postgres://longhaul:secret@db.internal:5432/longhaul?schema=team_a&sslmode=require' } });
      expect(c.store).toEqual({ kind: 'postgres', url: 'postgres://longhaul:secret@db.internal:5432/longhaul?sslmode=require', schema: 'team_a' });
      expect(loadConfig({ env: { ...base, LONGHAUL_STORE: 'postgresql://db/x' } }).store).toEqual({ kind: 'postgres', url: 'postgresql://db/x' });
      expect(c.redis).toBeNull();
    });

    it('refuses a schema that is not a plain lower-case identifier', () => {
      expect(() => loadConfig({ env: { ...base, LONGHAUL_STORE: 'postgres://db/x?schema=a;drop' } })).toThrow(/\?schema= must be lower-case/);
      expect(() => loadConfig({ env: { ...base, LONGHAUL_STORE: 'postgres://db/x?schema=Public' } })).toThrow(/\?schema=/);
    });

    it('refuses Redis as the store, saying where it goes instead, and never shows a password', () => {
      let message = '';
      try {
        loadConfig({ env: { ...base, LONGHAUL_STORE: 'redis://:hunter2@cache:6379/0' } });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/Redis is not a store.*LONGHAUL_REDIS_URL/);
      expect(message).not.toContain('hunter2');
      expect(message).toContain('redis://:***@cache:6379/0');
    });

    it('reads LONGHAUL_REDIS_URL with its key prefix (default lh:)', () => {
      expect(loadConfig({ env: { ...base, LONGHAUL_REDIS_URL: 'redis://cache:6379/2' } }).redis).toEqual({ url: 'redis://cache:6379/2', prefix: 'lh:' });
      expect(loadConfig({ env: { ...base, LONGHAUL_REDIS_URL: 'rediss://cache:6380/0?prefix=team-a:' } }).redis).toEqual({ url: 'rediss://cache:6380/0', prefix: 'team-a:' });
      expect(() => loadConfig({ env: { ...base, LONGHAUL_REDIS_URL: 'http://cache' } })).toThrow(/redis-url .*redis:\/\//);
      expect(() => loadConfig({ env: { ...base, LONGHAUL_REDIS_URL: 'redis://cache?prefix=a*b' } })).toThrow(/\?prefix= must be/);
    });
  });
});
