import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHttp, type HttpClient } from '../transports/http/helpers.js';
import { launchChromium, SCREENSHOTS, serveHttp, type ServedHttp } from '../ui/browser.js';
import { BANK_DATA } from '../workers/helpers.js';
import { runCli, tempDir, waitFor } from './harness.js';

const SOURCES = fileURLToPath(new URL('../../fixtures/techcorp', import.meta.url));
const CSV = 'Buchungstag;Empfänger;Betrag;Währung\n11.10.2026;Globex Holdings Ltd;25.000,00;EUR\n';

/**
 * The web page of the built `serve --http`, in real headless Chromium: the TechCorp
 * story, a signal from a shell arriving live, tenant isolation, the page's own actions,
 * and the keyboard alone.
 */
describe('the investigation web page (built serve --http, Chromium)', { timeout: 60_000 }, () => {
  const tmp = tempDir('longhaul-e2e-ui-web-');
  const files = tempDir('longhaul-e2e-ui-files-');
  const tokensFile = join(tmp.dir, 'tokens.json');
  const env = {
    LONGHAUL_DATA_DIR: tmp.dir,
    LONGHAUL_TOKENS_FILE: tokensFile,
    // The served tenant whose sources LONGHAUL_SOURCES are (other tenants have none), and the CLI's identity.
    LONGHAUL_TENANT: 'acme',
    LONGHAUL_SOURCES: SOURCES,
    LONGHAUL_IDLE_TIMEOUT: '2s',
    LONGHAUL_SWEEP_INTERVAL: '1s',
    LONGHAUL_EXTRACTION_INTERVAL: '1s',
    LONGHAUL_TASK_LEASE: '5s',
  };
  const tokens = { alice: '', bob: '', carol: '' };
  let server: ServedHttp;
  let browser: Browser;
  let mcp: HttpClient;
  let id = '';
  const problems: string[] = [];

  const token = (tenant: string, actor: string, scopes?: string) => {
    const r = runCli(['token', 'create', '--tenant', tenant, '--actor', actor, ...(scopes ? ['--scopes', scopes] : [])], env);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.trim();
  };

  async function signedIn(who: string, viewport = { width: 1280, height: 900 }): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport, timezoneId: 'Europe/Berlin', locale: 'en-GB' });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${server.url}/`);
    expect(new URL(page.url()).pathname).toBe('/signin');
    await page.fill('#token', who);
    await page.click('button[type=submit]');
    await page.waitForURL(`${server.url}/`);
    return { context, page };
  }

  const api = (path: string, who: string) => fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${who}` } });

  beforeAll(async () => {
    tokens.alice = token('acme', 'alice');
    tokens.bob = token('acme', 'bob', 'read');
    tokens.carol = token('globex', 'carol');
    writeFileSync(join(files.dir, 'statement.csv'), CSV);
    writeFileSync(join(files.dir, 'bank.json'), JSON.stringify({ bank: 'Hanse Bank AG', ...BANK_DATA }));
    [server, browser] = await Promise.all([serveHttp(env), launchChromium()]);
    mcp = await connectHttp(`${server.url}/mcp`, tokens.alice);
    const r = await mcp.call('start_investigation', {
      subject: 'TechCorp',
      objective: 'Check TechCorp GmbH for compliance risks before onboarding',
      tasks: [
        { role: 'retrieval', instructions: 'Search the internal sources for TechCorp, its suppliers and payments' },
        { role: 'compliance', instructions: "Check the bank's data against the AML policy and file a report", waitFor: { signal: 'bank_data', timeout: '3d' } },
      ],
    });
    id = r.investigation.investigationId;
    await waitFor(async () => {
      const s = JSON.parse(((await mcp.client.readResource({ uri: `longhaul://investigations/${id}` })).contents[0] as { text: string }).text);
      return s.tasks.find((t: { role: string }) => t.role === 'retrieval')?.status === 'completed';
    }, 20_000, 'retrieval to complete');
  }, 90_000);

  afterAll(async () => {
    await mcp?.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
    tmp.cleanup();
    files.cleanup();
  });

  let page: Page;
  let context: BrowserContext;

  it('shows the TechCorp story: tasks, the wait with its countdown, the timeline by day and actor', async () => {
    ({ context, page } = await signedIn(tokens.alice));
    const link = page.getByRole('region', { name: "Your tenant's investigations" }).getByRole('link', { name: 'TechCorp' });
    await link.waitFor();
    await link.click();
    await page.waitForURL(`${server.url}/investigations/${id}`);
    await page.locator('h1', { hasText: 'TechCorp' }).waitFor();
    const tasks = page.locator('section.tasks');
    await expect(tasks.textContent()).resolves.toMatch(/retrieval\s*completed[\s\S]*compliance\s*waiting/);
    const wait = page.locator('section.waits li.wait').first();
    await expect(wait.textContent()).resolves.toContain('"bank_data" for the compliance task');
    // A live countdown: about three days left, ticking.
    const timer = wait.getByRole('timer');
    const before = await timer.textContent();
    expect(before).toMatch(/^2d 23h 5\dm$|^3d 00h 00m$/);
    const timeline = page.locator('section.timeline');
    // A long day is paged (newest first); open all of it with "Show more".
    for (let i = 0; i < 20 && (await timeline.locator('button.more').count()) > 0; i++) await timeline.locator('button.more').first().click();
    await expect(timeline.textContent()).resolves.toMatch(/Supervisor \(alice\)/);
    await expect(timeline.textContent()).resolves.toMatch(/retrieval worker/);
    await expect(timeline.textContent()).resolves.toMatch(/compliance worker/);
    // Day 0's findings, each with its citation.
    await expect(timeline.textContent()).resolves.toMatch(/\(techcorp\/vendors\.csv:\d+\)/);
    // Grouped by day, each time in the viewer's zone with the ISO value on hover.
    expect(await timeline.locator('h3 time').count()).toBeGreaterThanOrEqual(1);
    const t = timeline.locator('li.event time').first();
    expect(await t.getAttribute('title')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(await t.getAttribute('datetime')).toBe(await t.getAttribute('title'));
  });

  it('shows a signal delivered with `longhaul signal` from a shell within seconds, without a reload; then the flags and the report', async () => {
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    // The CLI acts as the configured identity (LONGHAUL_TENANT acme, actor bank-hook), on the same data directory.
    const sent = runCli(['signal', id, 'bank_data', '--data', join(files.dir, 'bank.json'), '--file', join(files.dir, 'statement.csv')], { ...env, LONGHAUL_ACTOR: 'bank-hook' });
    expect(sent.code, sent.stderr).toBe(0);
    await page.locator('section.signals li.signal', { hasText: '"bank_data"' }).waitFor({ timeout: 10_000 });
    await expect(page.locator('section.signals').textContent()).resolves.toContain('statement.csv (text/csv');
    await page.locator('section.timeline li.event.signal').first().waitFor({ timeout: 10_000 });
    // The compliance worker wakes, checks the bank data and files its report: flags with citations.
    await page.locator('section.flags li.flag').first().waitFor({ timeout: 30_000 });
    await page.locator('section.report', { hasText: 'Compliance report: TechCorp' }).waitFor({ timeout: 10_000 });
    const flags = await page.locator('section.flags li.flag').allTextContents();
    expect(flags.join('\n')).toContain('Globex Holdings');
    // Each flag says what it rests on: a cited passage or row, else the rule's source.
    const grounds = await page.locator('section.flags li.flag .citation').allTextContents();
    expect(grounds).toHaveLength(flags.length);
    for (const g of grounds) expect(g).toMatch(/^(Cited: \S+|Rule: .+)/);
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    await page.locator('section.inbox li.inbox-item').first().waitFor({ timeout: 10_000 });
    await page.setViewportSize({ width: 1280, height: 1500 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SCREENSHOTS, 'web-investigation.png'), fullPage: false });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('reads at 320 px wide without sideways scrolling', async () => {
    await page.setViewportSize({ width: 320, height: 800 });
    await page.locator('h1', { hasText: 'TechCorp' }).waitFor();
    const widths = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
      // What sticks out, to name it when this fails.
      wide: [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5).slice(0, 5).map((e) => `${e.tagName}.${e.className}`),
    }));
    expect(widths.scroll, widths.wide.join(', ')).toBeLessThanOrEqual(widths.client);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("another tenant's token sees nothing of it, on the page or the endpoints", async () => {
    const list = (await (await api('/api/investigations', tokens.carol)).json()) as { investigations: unknown[]; total: number };
    expect(list).toMatchObject({ investigations: [], total: 0 });
    expect((await api(`/api/investigations/${id}`, tokens.carol)).status).toBe(404);
    expect((await api(`/api/investigations/${id}/stream`, tokens.carol)).status).toBe(404);
    const inbox = (await (await api('/api/inbox', tokens.carol)).json()) as { items: unknown[] };
    expect(inbox.items).toEqual([]);
    const closeTry = await fetch(`${server.url}/api/investigations/${id}/close`, { method: 'POST', headers: { authorization: `Bearer ${tokens.carol}`, 'content-type': 'application/json' }, body: JSON.stringify({ outcome: 'cancelled' }) });
    expect(closeTry.status).toBe(404);
    const other = await signedIn(tokens.carol);
    try {
      await other.page.locator('#investigations p.shown').waitFor();
      expect(await other.page.locator('body').textContent()).not.toContain('TechCorp');
      await other.page.goto(`${server.url}/investigations/${id}`);
      await other.page.getByRole('alert').waitFor();
      expect(await other.page.getByRole('alert').textContent()).toMatch(/No investigation/);
      expect(await other.page.locator('body').textContent()).not.toContain('TechCorp');
    } finally {
      await other.context.close();
    }
    // Without credentials: the page sends people to sign in, the endpoints answer 401.
    expect((await fetch(`${server.url}/api/investigations`)).status).toBe(401);
    expect((await fetch(`${server.url}/investigations/${id}`, { redirect: 'manual' })).headers.get('location')).toBe(`/signin?next=${encodeURIComponent(`/investigations/${id}`)}`);
  });

  it('refuses writes without the write scope, and cross-site or token-less form posts', async () => {
    const bobClose = await fetch(`${server.url}/api/investigations/${id}/close`, { method: 'POST', headers: { authorization: `Bearer ${tokens.bob}`, 'content-type': 'application/json' }, body: JSON.stringify({ outcome: 'cancelled' }) });
    expect(bobClose.status).toBe(403);
    // The signed-in cookie alone is not enough: a write needs this site's Origin and the page's CSRF token.
    const cookies = await context.cookies(server.url);
    const cookie = cookies.find((c) => c.name === 'longhaul_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(cookie.value).not.toContain(tokens.alice);
    const forged = await fetch(`${server.url}/api/investigations/${id}/close`, { method: 'POST', headers: { cookie: `longhaul_session=${cookie.value}`, origin: 'https://evil.example', 'content-type': 'application/json' }, body: JSON.stringify({ outcome: 'cancelled' }) });
    expect(forged.status).toBe(403);
    const noToken = await fetch(`${server.url}/api/investigations/${id}/close`, { method: 'POST', headers: { cookie: `longhaul_session=${cookie.value}`, origin: server.url, 'content-type': 'application/json' }, body: JSON.stringify({ outcome: 'cancelled' }) });
    expect(noToken.status).toBe(403);
    expect(((await (await api(`/api/investigations/${id}`, tokens.alice)).json()) as { state: { investigation: { status: string } } }).state.investigation.status).toBe('open');
  });

  it("delivers a signal's file from the page only after confirmation", async () => {
    await page.locator('#signal-name').fill('bank_statement_extra');
    await page.locator('#signal-file').setInputFiles({ name: 'extra.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) });
    await page.getByRole('button', { name: 'Deliver…' }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog.textContent()).resolves.toContain('"extra.csv"');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('#action-result', { hasText: 'Not delivered.' }).waitFor();
    await page.getByRole('button', { name: 'Deliver…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Deliver' }).click();
    await page.locator('#action-result', { hasText: 'Delivered "extra.csv" as "bank_statement_extra".' }).waitFor();
    await page.locator('section.signals li.signal', { hasText: '"bank_statement_extra"' }).waitFor({ timeout: 10_000 });
    const state = (await (await api(`/api/investigations/${id}`, tokens.alice)).json()) as { state: { signals: Array<{ name: string; deliveredBy: string; attachments: Array<{ name: string; size: number }> }> } };
    expect(state.state.signals.find((s) => s.name === 'bank_statement_extra')).toMatchObject({ deliveredBy: 'alice', attachments: [{ name: 'extra.csv', size: Buffer.byteLength(CSV) }] });
    await context.close();
  });

  it('works with the keyboard alone: sign in, open the investigation, read the report, close it with confirmation', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1024, height: 800 } });
    const p = await ctx.newPage();
    try {
      await p.goto(`${server.url}/`);
      await p.keyboard.type(tokens.alice); // the token field has the focus
      await p.keyboard.press('Enter');
      await p.waitForURL(`${server.url}/`);
      await p.getByRole('region', { name: "Your tenant's investigations" }).getByRole('link', { name: 'TechCorp' }).waitFor();
      const tabTo = async (matches: (el: { tag: string; text: string; id: string }) => boolean, what: string) => {
        for (let i = 0; i < 80; i++) {
          await p.keyboard.press('Tab');
          const el = await p.evaluate(() => {
            const a = document.activeElement as HTMLElement | null;
            return { tag: a?.tagName.toLowerCase() ?? '', text: (a?.textContent ?? '').trim(), id: a?.id ?? '' };
          });
          if (matches(el)) return;
        }
        throw new Error(`Tab never reached ${what}`);
      };
      await p.keyboard.press('Tab');
      expect(await p.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
      await tabTo((e) => e.tag === 'a' && e.text === 'TechCorp', 'the investigation link');
      await p.keyboard.press('Enter');
      await p.waitForURL(`${server.url}/investigations/${id}`);
      await p.locator('section.report').waitFor();
      await tabTo((e) => e.tag === 'summary' && e.text === 'Read the report', 'the report');
      await p.keyboard.press('Enter');
      expect(await p.locator('section.report details').evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
      await tabTo((e) => e.id === 'close-outcome', 'the outcome');
      await p.keyboard.press('Tab');
      await p.keyboard.type('Checked; flags reviewed by alice.');
      await tabTo((e) => e.tag === 'button' && e.text === 'Close…', 'the close button');
      await p.keyboard.press('Enter');
      const dialog = p.getByRole('dialog');
      await dialog.waitFor();
      expect(await p.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
      await p.keyboard.press('Tab');
      expect(await p.evaluate(() => document.activeElement?.textContent)).toBe('Close it');
      await p.keyboard.press('Enter');
      await p.locator('#action-result', { hasText: 'Closed (completed).' }).waitFor();
      await p.locator('h1 .badge', { hasText: 'closed' }).waitFor({ timeout: 10_000 });
      const after = (await (await api(`/api/investigations/${id}`, tokens.alice)).json()) as { state: { investigation: { status: string; outcome: string; summary: string } } };
      expect(after.state.investigation).toMatchObject({ status: 'closed', outcome: 'completed', summary: 'Checked; flags reviewed by alice.' });
    } finally {
      await ctx.close();
    }
  });

  it('broke no Content-Security-Policy rule and threw no script error', () => {
    expect(problems.filter((m) => !/status of 40[134]/.test(m))).toEqual([]);
  });
});
