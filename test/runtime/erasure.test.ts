/**
 * Erasure (src/runtime/erasure.ts) through the MCP surface: a real SDK Client on a real
 * server over an SQLite file. A canary phrase that only alice ever wrote is checked across
 * every tool, resource and prompt a client can reach, and in the database file's bytes
 * (FTS index, free pages and WAL included), before and after she is erased.
 */
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { FakeClock } from '../../src/domain/clock.js';
import { createLogger } from '../../src/logger.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { toolError } from '../mcp/helpers.js';
import { alice, CANARY, carol, connectAs, everything, forgetActorScenario } from './erasure-helpers.js';

let dir: string;
let app: App;
let clock: FakeClock;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lh-erasure-'));
  clock = new FakeClock();
  const config = loadConfig({ env: { HOME: dir, LONGHAUL_STORE: `sqlite:${join(dir, 'longhaul.db')}`, LONGHAUL_TENANT: 'acme', LONGHAUL_ACTOR: 'alice', LONGHAUL_LOG_LEVEL: 'warn' } });
  app = createApp(config, { clock, logger: createLogger({ level: 'error', write: () => {} }) });
});
afterEach(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every byte of the store's files (the database, its WAL and shared memory). */
const storeBytes = () =>
  readdirSync(dir)
    .filter((f) => f.startsWith('longhaul.db'))
    .map((f) => readFileSync(join(dir, f)).toString('latin1'))
    .join('');

describe('erasure', () => {
  describe('when alice asks to be forgotten (forget_actor)', () => {
    it('leaves no tool, resource, prompt or index returning her words; carol keeps her records with their remaining sources; a receipt stays', async () => {
      await forgetActorScenario(app, async () => storeBytes());
    });

    it('lets a credential with the admin scope erase another actor', async () => {
      const a = await connectAs(app, alice);
      const admin = await connectAs(app, carol, ['read', 'write', 'admin']);
      const plain = await connectAs(app, carol, ['read', 'write']);
      const inv = (await a.call('start_investigation', { subject: 'Globex', objective: 'Check Globex' })).investigation.investigationId;
      await a.call('record_event', { investigationId: inv, role: 'user', kind: 'finding', text: `Globex ${CANARY} wire` });
      expect(toolError(await plain.raw('forget_actor', { actorId: 'alice' })).code).toBe('unauthorized');
      const receipt = await admin.call('forget_actor', { actorId: 'alice' });
      expect(receipt.requestedBy).toBe('carol');
      expect(receipt.counts.events).toBeGreaterThanOrEqual(2);
      expect(await a.read(`longhaul://investigations/${inv}/timeline`)).not.toContain(CANARY);
    });
  });

  describe('hostile arguments', () => {
    it('get a clear error (never internal), and erase nothing', async () => {
      const a = await connectAs(app, alice);
      const inv = (await a.call('start_investigation', { subject: 'Hooli', objective: 'Check Hooli' })).investigation.investigationId;
      await a.call('record_event', { investigationId: inv, role: 'user', kind: 'finding', text: `Hooli ${CANARY}` });
      const hostile: unknown[] = ['', '..', '../bob', 'actors/alice', 'a'.repeat(300), 'evt_' + '0'.repeat(30), 'evt_../x', 'rec_' + 'Z'.repeat(30), 'era_' + '0'.repeat(30), null, 42, {}, ['alice'], '\u0000', 'bob'];
      for (const v of hostile) {
        for (const [tool, key] of [['forget_event', 'eventId'], ['forget_actor', 'actorId']] as const) {
          let res: CallToolResult | null = null;
          try {
            res = await a.raw(tool, { [key]: v });
          } catch (e) {
            // A schema refusal by the SDK (invalid params) is a clear protocol error.
            expect(String(e)).toMatch(/invalid|expected/i);
            continue;
          }
          expect(res.isError, `${tool} ${JSON.stringify(v)}`).toBe(true);
          expect(toolError(res).code, `${tool} ${JSON.stringify(v)}`).not.toBe('internal');
        }
      }
      await expect(a.read('longhaul://erasures/era_' + '0'.repeat(30))).rejects.toThrow(/No erasure receipt/);
      expect(await a.read(`longhaul://investigations/${inv}/timeline`)).toContain(CANARY);
    });
  });

  describe('when one wrong statement is erased (forget_event)', () => {
    it('removes the event and every record made from it only, and rewrites the summary without it', async () => {
      const a = await connectAs(app, alice);
      const c = await connectAs(app, carol);
      const inv = (await a.call('start_investigation', { subject: 'Initech', objective: 'Check Initech' })).investigation.investigationId;
      const wrong = await a.call('record_event', { investigationId: inv, role: 'user', kind: 'finding', text: `Initech is ${CANARY} insolvent` });
      await a.call('record_event', { investigationId: inv, role: 'user', kind: 'finding', text: 'Initech moved offices in March' });
      const sessionId = wrong.sessionId as string;
      await app.runtime.memory.extractSession('acme', sessionId);
      expect(await a.read(`longhaul://memory/sessions/${sessionId}`)).toContain(CANARY);

      // carol did not record it and has no admin scope.
      expect(toolError(await c.raw('forget_event', { eventId: wrong.event.eventId })).code).toBe('unauthorized');
      const receipt = await a.call('forget_event', { eventId: wrong.event.eventId });
      expect(receipt.subject).toEqual({ kind: 'event', eventId: wrong.event.eventId });
      expect(receipt.counts).toMatchObject({ events: 1, summariesRewritten: 1 });
      expect(receipt.counts.recordsDeleted).toBeGreaterThanOrEqual(1);

      const summary = await a.read(`longhaul://memory/sessions/${sessionId}`);
      expect(summary).not.toContain(CANARY);
      expect(summary).toContain('Initech moved offices in March');
      expect(await everything(a, inv, [sessionId])).not.toContain(CANARY);
      expect(storeBytes()).not.toContain(CANARY);
      expect(toolError(await a.raw('forget_event', { eventId: wrong.event.eventId })).code).toBe('not_found');
    });
  });
});
