import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeOf } from '../../../src/transports/http/metrics.js';
import { connectHttp, serveTestApp, tokensFile, type HttpClient, type TestHttp } from './helpers.js';

/** The value of one sample line (`name{labels} value`), or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('GET /metrics on a loopback server without credentials', () => {
  let s: TestHttp;
  let c: HttpClient;
  let investigationId: string;
  beforeAll(async () => {
    s = await serveTestApp();
    c = await connectHttp(s.mcp);
    investigationId = (
      await c.call('start_investigation', {
        subject: 'TechCorp',
        objective: 'Check it',
        tasks: [{ role: 'compliance', instructions: 'Check the statements', waitFor: { signal: 'bank_data', timeout: '3d' } }],
      })
    ).investigation.investigationId;
    await c.call('record_event', { investigationId, role: 'user', text: 'The bank promised the statements by Friday.' });
    await c.callRaw('get_investigation', { investigationId: 'inv_not-an-id' });
    await fetch(`${s.http.url}/hooks/signals/${investigationId}/bank_data`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await s.t.app.scheduler.tick('lifecycle');
  });
  afterAll(async () => {
    await c?.close();
    await s?.close();
  });

  const scrape = async () => {
    const r = await fetch(`${s.http.url}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return r.text();
  };

  it('is open to local clients, in the Prometheus text format', async () => {
    const text = await scrape();
    expect(text).toContain('# TYPE longhaul_sessions gauge');
    expect(text).toContain('# TYPE longhaul_tool_call_duration_seconds histogram');
  });

  it('reports sessions and tasks by status, open investigations and the extraction backlog and lag', async () => {
    const text = await scrape();
    expect(sample(text, 'longhaul_sessions', { status: 'active' })! + sample(text, 'longhaul_sessions', { status: 'idle' })!).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'longhaul_sessions', { status: 'terminated' })).toBeDefined();
    expect(sample(text, 'longhaul_tasks', { status: 'pending' })).toBe(1); // woken by the signal
    expect(sample(text, 'longhaul_open_investigations')).toBe(1);
    expect(sample(text, 'longhaul_extraction_backlog_events')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'longhaul_extraction_backlog_sessions')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'longhaul_extraction_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'longhaul_mcp_sessions')).toBe(1);
  });

  it('times tool calls by tool and outcome', async () => {
    const text = await scrape();
    expect(sample(text, 'longhaul_tool_call_duration_seconds_count', { tool: 'start_investigation', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'longhaul_tool_call_duration_seconds_count', { tool: 'record_event', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'longhaul_tool_call_duration_seconds_count', { tool: 'get_investigation', outcome: 'error' })).toBe(1);
    expect(sample(text, 'longhaul_tool_call_duration_seconds_bucket', { tool: 'record_event', outcome: 'ok', le: '+Inf' })).toBe(1);
  });

  it('times scheduler passes by job', async () => {
    const text = await scrape();
    expect(sample(text, 'longhaul_sweep_duration_seconds_count', { job: 'lifecycle' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'longhaul_sweep_items_total', { job: 'lifecycle' })).toBeGreaterThanOrEqual(0);
  });

  it('counts HTTP responses by method, route template and status — never a path with an id', async () => {
    await fetch(`${s.http.url}/nothing-here`);
    const text = await scrape();
    expect(sample(text, 'longhaul_http_responses_total', { method: 'POST', route: '/mcp', status: '200' })).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'longhaul_http_responses_total', { method: 'POST', route: '/hooks/signals/:investigationId/:signal', status: '202' })).toBe(1);
    expect(sample(text, 'longhaul_http_responses_total', { method: 'GET', route: 'other', status: '404' })).toBe(1);
    expect(sample(text, 'longhaul_http_request_duration_seconds_count', { method: 'POST', route: '/mcp' })).toBeGreaterThanOrEqual(3);
    expect(text).not.toContain(investigationId);
  });

  it("includes the process's own metrics", async () => {
    const text = await scrape();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('reads the store counts at most once per interval, however often it is scraped', async () => {
    const store = s.t.app.store;
    const original = store.stats.bind(store);
    let reads = 0;
    (store as { stats: typeof store.stats }).stats = (now) => {
      reads++;
      return original(now);
    };
    try {
      await Promise.all([scrape(), scrape(), scrape()]);
      await scrape();
      expect(reads).toBe(0); // read by the earlier scrapes, less than 30 s ago
    } finally {
      (store as { stats: typeof store.stats }).stats = original;
    }
  });
});

describe('GET /metrics with credentials', () => {
  const file = tokensFile({ reader: { tenant: 'acme', actor: 'prometheus', scopes: ['read'] } });
  let s: TestHttp;
  beforeAll(async () => {
    s = await serveTestApp({ LONGHAUL_TOKENS_FILE: file.path });
  });
  afterAll(async () => {
    await s?.close();
    file.cleanup();
  });

  it('needs a token (any scope): 401 without one, 200 with a read token', async () => {
    const none = await fetch(`${s.http.url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const ok = await fetch(`${s.http.url}/metrics`, { headers: { authorization: `Bearer ${file.tokens.reader}` } });
    expect(ok.status).toBe(200);
    const text = await ok.text();
    expect(text).toContain('longhaul_sessions');
    expect(sample(text, 'longhaul_http_responses_total', { method: 'GET', route: '/metrics', status: '401' })).toBe(1);
  });

  it('stops observing the app when the server closes', async () => {
    const t = await serveTestApp();
    expect(t.t.app.observers.toolCalls.size).toBe(1);
    expect(t.t.app.observers.sweeps.size).toBe(1);
    await t.http.close();
    expect(t.t.app.observers.toolCalls.size).toBe(0);
    expect(t.t.app.observers.sweeps.size).toBe(0);
    await t.t.close();
  });
});

describe('routeOf', () => {
  it('maps paths to a fixed set of templates', () => {
    expect(routeOf('/mcp')).toBe('/mcp');
    expect(routeOf('/hooks/signals/inv_X/bank_data')).toBe('/hooks/signals/:investigationId/:signal');
    expect(routeOf('/.well-known/oauth-protected-resource/mcp')).toBe('/.well-known/*');
    expect(routeOf('/readyz')).toBe('/readyz');
    expect(routeOf('/inv_123')).toBe('other');
  });
});
