import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { InvalidInputError } from '../../src/domain/errors.js';
import { createLogger } from '../../src/logger.js';
import { CLI } from '../e2e/harness.js';
import { alice, connect, makeApp, toolError, type TestApp } from '../mcp/helpers.js';

const run = promisify(execFile);

/**
 * The per-investigation signal limits (LONGHAUL_MAX_SIGNALS, LONGHAUL_MAX_SIGNAL_BYTES)
 * as a client meets them: submit_signal through the real SDK client, and the CLI.
 */
describe('signal limits per investigation', () => {
  let t: TestApp;
  afterEach(async () => {
    await t.close();
  });

  const open = async (env: Record<string, string>) => {
    t = makeApp(env);
    const c = await connect(t.app);
    const id = (await c.call('start_investigation', { subject: 'TechCorp', objective: 'Collect the statements' })).investigation.investigationId as string;
    return { c, id };
  };

  it('refuses the signal past LONGHAUL_MAX_SIGNALS with a sentence naming the count, the limit and the setting', async () => {
    const { c, id } = await open({ LONGHAUL_MAX_SIGNALS: '3' });
    for (let i = 0; i < 3; i++) await c.call('submit_signal', { investigationId: id, signal: 'bank_data', payload: { i } });
    const e = toolError(await c.callRaw('submit_signal', { investigationId: id, signal: 'bank_data', payload: { i: 3 } }));
    expect(e.code).toBe('invalid_input');
    expect(e.text).toContain(`Investigation ${id} already holds 3 signals, the most one investigation may hold (3: LONGHAUL_MAX_SIGNALS`);
    expect(e.text).toContain('open a new investigation');
    const state = await c.call('get_investigation', { investigationId: id });
    expect(state.signals).toHaveLength(3);
    expect(state.shown.signals).toBe('showing 3 of 3 signals (the newest)');
  });

  it('refuses the signal whose payload and files would pass LONGHAUL_MAX_SIGNAL_BYTES, saying how much it holds and adds', async () => {
    const { c, id } = await open({ LONGHAUL_MAX_SIGNAL_BYTES: '4KiB' });
    await c.call('submit_signal', { investigationId: id, signal: 'bank_data', payload: { note: 'x'.repeat(1_000) } });
    const file = { name: 'statement.csv', mediaType: 'text/csv', text: 'date;amount\n'.padEnd(3_500, '1') };
    const e = toolError(await c.callRaw('submit_signal', { investigationId: id, signal: 'bank_data', attachments: [file] }));
    expect(e.code).toBe('invalid_input');
    expect(e.text).toMatch(new RegExp(`^\\[invalid_input\\] Investigation ${id} holds 1011 B of signal payloads and files; this signal \\(3\\.4 KiB\\) would take it past the limit of 4 KiB \\(LONGHAUL_MAX_SIGNAL_BYTES`));
    // A smaller one still fits.
    await c.call('submit_signal', { investigationId: id, signal: 'bank_data', attachments: [{ ...file, text: 'date;amount\n2026-01-02;10\n' }] });
  });

  it('answers a repeated idempotency key as a duplicate, not a refusal, when the investigation is full', async () => {
    const { c, id } = await open({ LONGHAUL_MAX_SIGNALS: '1' });
    const first = await c.call('submit_signal', { investigationId: id, signal: 'bank_data', payload: {}, idempotencyKey: 'mail-7' });
    const again = await c.call('submit_signal', { investigationId: id, signal: 'bank_data', payload: {}, idempotencyKey: 'mail-7' });
    expect(again).toMatchObject({ duplicate: true, signal: { signalId: first.signal.signalId } });
    // (The store answers a duplicate before it judges the limits too: the contract suite.) A new key is refused.
    expect(toolError(await c.callRaw('submit_signal', { investigationId: id, signal: 'bank_data', payload: {}, idempotencyKey: 'mail-8' })).code).toBe('invalid_input');
  });

  it('counts each investigation on its own', async () => {
    const { c, id } = await open({ LONGHAUL_MAX_SIGNALS: '1' });
    await c.call('submit_signal', { investigationId: id, signal: 'bank_data' });
    const other = (await c.call('start_investigation', { subject: 'Initech', objective: 'Collect' })).investigation.investigationId;
    await c.call('submit_signal', { investigationId: other, signal: 'bank_data' });
  });

  it('the runtime raises a plain InvalidInputError (the CLI and the webhook report it as it is)', async () => {
    t = makeApp({ LONGHAUL_MAX_SIGNALS: '1' });
    const r = await t.app.runtime.investigations.start(alice, { subject: 'TechCorp', objective: 'Collect' });
    const id = r.investigation.investigationId;
    await t.app.runtime.signals.submit(alice, { investigationId: id, signal: 'bank_data' });
    const e = await t.app.runtime.signals.submit(alice, { investigationId: id, signal: 'bank_data' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InvalidInputError);
    expect((e as InvalidInputError).details).toMatchObject({ setting: 'LONGHAUL_MAX_SIGNALS', limit: 'count', max: 1 });
  });
});

describe.skipIf(!existsSync(CLI))('`longhaul signal` past the limit (built CLI)', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('exits non-zero with the limit and the setting in its message', async () => {
    dir = mkdtempSync(join(tmpdir(), 'longhaul-limits-'));
    const env = { HOME: '/tmp', LONGHAUL_DATA_DIR: dir, LONGHAUL_TENANT: 'acme', LONGHAUL_ACTOR: 'alice', LONGHAUL_MAX_SIGNALS: '1', LONGHAUL_LOG_LEVEL: 'error' };
    const app = createApp(loadConfig({ env }), { logger: createLogger({ level: 'error', write: () => {} }) });
    const id = (await app.runtime.investigations.start(alice, { subject: 'TechCorp', objective: 'Collect' })).investigation.investigationId;
    await app.runtime.signals.submit(alice, { investigationId: id, signal: 'bank_data' });
    await app.close();
    const r = await run(process.execPath, [CLI, 'signal', id, 'bank_data'], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 }).catch((e: { code: number; stderr: string }) => e);
    expect((r as { code: number }).code).not.toBe(0);
    expect((r as { stderr: string }).stderr).toContain('already holds 1 signals');
    expect((r as { stderr: string }).stderr).toContain('LONGHAUL_MAX_SIGNALS');
  }, 30_000);
});
