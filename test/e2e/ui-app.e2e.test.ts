import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHttp, type HttpClient } from '../transports/http/helpers.js';
import { launchChromium, SCREENSHOTS, serveHttp, type ServedHttp } from '../ui/browser.js';
import { BANK_DATA } from '../workers/helpers.js';
import { runCli, tempDir, waitFor } from './harness.js';

const SOURCES = fileURLToPath(new URL('../../fixtures/techcorp', import.meta.url));
const APP_URI = 'ui://longhaul/investigation';
const MCP_APP_MIME = 'text/html;profile=mcp-app';

/**
 * The MCP App of the built `serve --http`: listed and linked as the MCP Apps spec says,
 * and rendered in Chromium inside a minimal host page that speaks the app bridge with
 * ext-apps' AppBridge (test/ui/app-host.ts), its reads answered by the real SDK client.
 */
describe('the investigation MCP App (built serve --http, Chromium host)', { timeout: 60_000 }, () => {
  const tmp = tempDir('longhaul-e2e-ui-app-');
  const env = {
    LONGHAUL_DATA_DIR: tmp.dir,
    LONGHAUL_TOKENS_FILE: join(tmp.dir, 'tokens.json'),
    LONGHAUL_TENANT: 'acme',
    LONGHAUL_SOURCES: SOURCES,
    LONGHAUL_IDLE_TIMEOUT: '2s',
    LONGHAUL_SWEEP_INTERVAL: '1s',
    LONGHAUL_EXTRACTION_INTERVAL: '1s',
    LONGHAUL_TASK_LEASE: '5s',
  };
  let server: ServedHttp;
  let browser: Browser;
  let mcp: HttpClient;
  let page: Page;
  let app: FrameLocator;
  let id = '';
  let html = '';
  const problems: string[] = [];

  beforeAll(async () => {
    const t = runCli(['token', 'create', '--tenant', 'acme', '--actor', 'alice'], env);
    expect(t.code, t.stderr).toBe(0);
    [server, browser] = await Promise.all([serveHttp(env), launchChromium()]);
    mcp = await connectHttp(`${server.url}/mcp`, t.stdout.trim());
  }, 60_000);

  afterAll(async () => {
    await mcp?.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
    tmp.cleanup();
  });

  it('lists ui://longhaul/investigation with the MCP Apps MIME type and a CSP with no outside domains', async () => {
    const { resources } = await mcp.client.listResources();
    expect(resources.find((r) => r.uri === APP_URI)).toMatchObject({ uri: APP_URI, mimeType: MCP_APP_MIME, _meta: { ui: { csp: { connectDomains: [], resourceDomains: [] } } } });
    const read = await mcp.client.readResource({ uri: APP_URI });
    const content = read.contents[0] as { uri: string; mimeType: string; text: string; _meta?: { ui?: { csp?: Record<string, string[]> } } };
    expect(content).toMatchObject({ uri: APP_URI, mimeType: MCP_APP_MIME });
    expect(Object.values(content._meta?.ui?.csp ?? {}).flat()).toEqual([]);
    html = content.text;
    // Self-contained: no external script, style, font or fetch; its own CSP allows only its inline code by hash.
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-[^']+'; style-src 'sha256-[^']+'; img-src data:; connect-src 'none'/);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org)[a-z0-9.-]+\.[a-z]{2,}\/[^\s"'`]*\.(js|css|woff2?)/i);
  });

  it('is linked from get_investigation, resume_investigation and start_investigation (_meta.ui.resourceUri); other tools are unchanged', async () => {
    const { tools } = await mcp.client.listTools();
    const linked = tools.filter((x) => (x._meta as { ui?: { resourceUri?: string } } | undefined)?.ui?.resourceUri === APP_URI).map((x) => x.name);
    expect(linked.sort()).toEqual(['get_investigation', 'resume_investigation', 'start_investigation']);
    for (const x of tools.filter((x) => linked.includes(x.name))) expect(x._meta?.['ui/resourceUri']).toBe(APP_URI);
    expect(tools.find((x) => x.name === 'submit_signal')?._meta).toBeUndefined();
  });

  it('renders the TechCorp story inside the host: timeline by day and actor, tasks, the wait counting down', async () => {
    const started = await mcp.callRaw('start_investigation', {
      subject: 'TechCorp',
      objective: 'Check TechCorp GmbH for compliance risks before onboarding',
      tasks: [
        { role: 'retrieval', instructions: 'Search the internal sources for TechCorp, its suppliers and payments' },
        { role: 'compliance', instructions: "Check the bank's data against the AML policy and file a report", waitFor: { signal: 'bank_data', timeout: '3d' } },
      ],
    });
    id = (started.structuredContent as { investigation: { investigationId: string } }).investigation.investigationId;
    // A client without MCP Apps still gets today's text and structured content.
    expect((started.content[0] as { text: string }).text).toMatch(new RegExp(`^Opened investigation ${id} "TechCorp"`));
    await waitFor(async () => {
      const s = JSON.parse(((await mcp.client.readResource({ uri: `longhaul://investigations/${id}` })).contents[0] as { text: string }).text);
      return s.tasks.find((t: { role: string }) => t.role === 'retrieval')?.status === 'completed';
    }, 20_000, 'retrieval to complete');
    const got = await mcp.callRaw('get_investigation', { investigationId: id });
    expect((got.content[0] as { text: string }).text).toMatch(new RegExp(`^${id} "TechCorp": open\\.`));

    page = await hostPage(got);
    await app.locator('h1', { hasText: 'TechCorp' }).waitFor({ timeout: 15_000 });
    const tasks = await app.locator('section.tasks').textContent();
    expect(tasks).toMatch(/retrieval\s*completed[\s\S]*compliance\s*waiting/);
    expect(await app.getByRole('timer').first().textContent()).toMatch(/^2d 23h 5\dm$|^3d 00h 00m$/);
    const timeline = app.locator('section.timeline');
    // The same timeline as the server's: every event, newest first.
    const served = JSON.parse(((await mcp.client.readResource({ uri: `longhaul://investigations/${id}/timeline?limit=500` })).contents[0] as { text: string }).text) as { events: Array<{ text: string }>; total: number };
    const newestFirst = served.events.map((e) => e.text).reverse();
    await timeline.getByText(`showing ${served.total} of ${served.total} events`).waitFor();
    // A long day is paged: the newest events first, "Show N more" for the rest.
    expect(await timeline.locator('li.event p.text').allTextContents()).toEqual(newestFirst.slice(0, Math.min(12, newestFirst.length)));
    for (let i = 0; i < 20 && (await timeline.locator('button.more').count()) > 0; i++) await timeline.locator('button.more').first().click();
    expect(await timeline.locator('li.event p.text').allTextContents()).toEqual(newestFirst);
    const text = await timeline.textContent();
    expect(text).toMatch(/Supervisor \(alice\)/);
    expect(text).toMatch(/retrieval worker/);
    expect(text).toMatch(/compliance worker/);
    expect(text).toMatch(/\(techcorp\/vendors\.csv:\d+\)/);
  });

  it('refreshes through the bridge: the bank data arrives, the flags and report appear; it follows the host theme', async () => {
    const cli = runCli(['signal', id, 'bank_data', '--data', '-'], { ...env, LONGHAUL_ACTOR: 'bank-hook' }, JSON.stringify({ bank: 'Hanse Bank AG', ...BANK_DATA }));
    expect(cli.code, cli.stderr).toBe(0);
    await app.locator('section.signals li.signal', { hasText: '"bank_data"' }).waitFor({ timeout: 15_000 });
    await app.locator('section.flags li.flag').first().waitFor({ timeout: 30_000 });
    await app.locator('section.report', { hasText: 'Compliance report: TechCorp' }).waitFor({ timeout: 15_000 });
    expect((await app.locator('section.flags').textContent()) ?? '').toMatch(/Cited: techcorp\/\S+:\d+/);
    await app.locator('section.inbox li.inbox-item').first().waitFor({ timeout: 15_000 });

    expect(await app.locator('html').getAttribute('data-theme')).toBe('light');
    await page.evaluate(() => window.setHostTheme('dark'));
    await waitFor(async () => (await app.locator('html').getAttribute('data-theme')) === 'dark', 5_000, 'the dark theme');
    const bg = await app.locator('body').evaluate((b) => getComputedStyle(b).backgroundColor);
    expect(bg).not.toBe('rgb(255, 255, 255)');
    await page.evaluate(() => window.setHostTheme('light'));
    await waitFor(async () => (await app.locator('html').getAttribute('data-theme')) === 'light', 5_000, 'the light theme');
    // The README's picture: a fresh host showing the app as a chat would, after get_investigation.
    const fresh = await hostPage(await mcp.callRaw('get_investigation', { investigationId: id }));
    await app.locator('section.report', { hasText: 'Compliance report: TechCorp' }).waitFor({ timeout: 15_000 });
    await fresh.locator('#app').screenshot({ path: join(SCREENSHOTS, 'mcp-app.png') });
    await fresh.context().close();
    app = page.frameLocator('#app');
  });

  it('fits a narrow chat column (320 px) without sideways scrolling', async () => {
    await page.locator('#app').evaluate((f) => ((f as HTMLIFrameElement).style.width = '320px'));
    await app.locator('h1', { hasText: 'TechCorp' }).waitFor();
    const w = await app.locator('html').evaluate((d) => ({ scroll: d.scrollWidth, client: d.clientWidth }));
    expect(w.scroll).toBeLessThanOrEqual(w.client);
  });

  it('made no network request of its own and broke no CSP rule', () => {
    expect(problems).toEqual([]);
  });

  /** The host page in Chromium, showing the app for a tool result. */
  async function hostPage(result: Awaited<ReturnType<HttpClient['callRaw']>>): Promise<Page> {
    const hostJs = (
      await build({ entryPoints: [fileURLToPath(new URL('../ui/app-host.ts', import.meta.url))], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'warning' })
    ).outputFiles[0]!.text;
    const context = await browser.newContext({ viewport: { width: 520, height: 3000 } });
    const p = await context.newPage();
    p.on('console', (m) => {
      if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(m.text());
    });
    p.on('pageerror', (e) => problems.push(e.message));
    // Anything the app fetches itself would show here: it must reach the server only through the bridge.
    p.on('request', (r) => {
      if (!r.url().startsWith('about:') && !r.url().startsWith('data:')) problems.push(`request ${r.url()}`);
    });
    await p.exposeFunction('hostCall', async (method: string, params: any) => {
      if (method === 'resources/read') return mcp.client.readResource(params);
      if (method === 'tools/call') return mcp.client.callTool(params);
      throw new Error(`unexpected ${method}`);
    });
    await p.setContent(`<!doctype html><html><head><meta charset="utf-8"><title>host</title><style>body{margin:0;background:#eee}iframe{border:0;display:block;background:#fff}</style></head>
<body><iframe id="app" title="longhaul investigation" sandbox="allow-scripts"></iframe><script type="module">${hostJs.replace(/<\/script/gi, '<\\/script')}</script></body></html>`);
    await p.waitForFunction(() => typeof window.startHost === 'function');
    await p.evaluate(
      (input) => window.startHost(input),
      { html, toolName: 'get_investigation', toolArguments: { investigationId: id }, toolResult: result as Record<string, unknown>, theme: 'light' as const, timeZone: 'Europe/Berlin', width: 480 },
    );
    app = p.frameLocator('#app');
    return p;
  }
});
