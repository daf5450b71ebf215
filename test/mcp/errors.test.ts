import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LonghaulError } from '../../src/domain/errors.js';
import { MAX_EVENT_TEXT } from '../../src/domain/event.js';
import { LIMITS } from '../../src/runtime/limits.js';
import { TECHCORP, alice, bob, connect, makeApp, toolError, type Connected, type TestApp } from './helpers.js';

/**
 * Bad input gets `isError` with a sentence (and, for errors the runtime raises, a
 * stable code in `_meta` and `[code]` in the text); the server stays up and nothing
 * already written is lost.
 */
describe('MCP tools: bad input', () => {
  let t: TestApp;
  let c: Connected;
  let id: string;
  let before: any;
  beforeEach(async () => {
    t = makeApp();
    c = await connect(t.app, alice);
    const s = await c.call('start_investigation', TECHCORP);
    id = s.investigation.investigationId;
    await c.call('record_event', { investigationId: id, role: 'assistant', text: 'Day 0.' });
    before = await c.call('get_investigation', { investigationId: id });
  });
  afterEach(async () => {
    // The server is still up and nothing already written was lost.
    const after = await c.call('get_investigation', { investigationId: id });
    expect(after.investigation).toEqual(before.investigation);
    expect(after.tasks).toEqual(before.tasks);
    expect(after.waits).toEqual(before.waits);
    expect(after.signals).toEqual(before.signals);
    const timeline = await c.readJson(`longhaul://investigations/${id}/timeline`);
    expect(timeline.events.map((e: any) => e.text)).toContain('Day 0.');
    await c.close();
    await t.close();
  });

  const expectInvestigationCount = async (n: number) => expect((await c.call('list_investigations', {})).total).toBe(n);

  describe('schema violations (found by the SDK, naming the field, coded invalid_input)', () => {
    it('refuses an empty subject', async () => {
      const e = toolError(await c.callRaw('start_investigation', { ...TECHCORP, subject: '' }));
      expect(e.code).toBe('invalid_input');
      expect(e.text).toMatch(/^\[invalid_input\] /);
      expect(e.text).toMatch(/subject is empty/);
      expect(e.text).toMatch(/at subject/);
      await expectInvestigationCount(1);
    });

    it('refuses an oversize subject', async () => {
      const e = toolError(await c.callRaw('start_investigation', { ...TECHCORP, subject: 'x'.repeat(LIMITS.subject + 1) }));
      expect(e.code).toBe('invalid_input');
      expect(e.text).toMatch(new RegExp(`subject is longer than ${LIMITS.subject} characters`));
      await expectInvestigationCount(1);
    });

    it('refuses record_event text over the limit', async () => {
      const e = toolError(await c.callRaw('record_event', { investigationId: id, role: 'assistant', text: 'x'.repeat(MAX_EVENT_TEXT + 1) }));
      expect(e.code).toBe('invalid_input');
      expect(e.text).toMatch(new RegExp(`text is longer than ${MAX_EVENT_TEXT} characters`));
    });

    it('refuses an unknown role, a missing field and a wrong type', async () => {
      expect(toolError(await c.callRaw('record_event', { investigationId: id, role: 'robot', text: 'x' })).text).toMatch(/role/);
      expect(toolError(await c.callRaw('record_event', { investigationId: id, role: 'robot', text: 'x' })).code).toBe('invalid_input');
      expect(toolError(await c.callRaw('delegate_task', { investigationId: id, role: 'retrieval' })).text).toMatch(/instructions/);
      expect(toolError(await c.callRaw('list_investigations', { limit: 'ten' })).text).toMatch(/limit/);
      expect(toolError(await c.callRaw('close_investigation', { investigationId: id, outcome: 'done' })).text).toMatch(/outcome/);
    });
  });

  describe('errors the runtime raises (with a stable code)', () => {
    it('refuses a blank subject with invalid_input', async () => {
      const e = toolError(await c.callRaw('start_investigation', { ...TECHCORP, subject: '   ' }));
      expect(e.code).toBe('invalid_input');
      expect(e.text).toMatch(/^\[invalid_input\] subject is empty/);
      await expectInvestigationCount(1);
    });

    it('answers an unknown investigation id with not_found', async () => {
      const unknown = 'inv_' + '0'.repeat(30);
      for (const [tool, args] of [
        ['get_investigation', { investigationId: unknown }],
        ['resume_investigation', { investigationId: unknown }],
        ['delegate_task', { investigationId: unknown, role: 'retrieval', instructions: 'x' }],
        ['submit_signal', { investigationId: unknown, signal: 'bank_data', payload: {} }],
        ['record_event', { investigationId: unknown, role: 'user', text: 'x' }],
        ['close_investigation', { investigationId: unknown, outcome: 'completed' }],
      ] as const) {
        const e = toolError(await c.callRaw(tool, args));
        expect(e.code, tool).toBe('not_found');
        expect(e.text).toMatch(/^\[not_found\] No investigation with id "inv_0+" exists/);
      }
    });

    it('refuses a malformed investigation id with invalid_input', async () => {
      const e = toolError(await c.callRaw('get_investigation', { investigationId: '../inv_x' }));
      expect(e.code).toBe('invalid_input');
      expect(e.text).toMatch(/investigationId/);
    });

    it('refuses a malformed duration in waitFor.timeout, naming it', async () => {
      const a = toolError(await c.callRaw('delegate_task', { investigationId: id, role: 'compliance', instructions: 'x', waitFor: { signal: 'bank_data', timeout: '3 dayz' } }));
      expect(a.code).toBe('invalid_input');
      expect(a.text).toMatch(/waitFor\.timeout: "3 dayz" is not a duration/);
      const b = toolError(await c.callRaw('start_investigation', { ...TECHCORP, tasks: [{ role: 'compliance', instructions: 'x', waitFor: { signal: 'bank_data', timeout: '3 dayz' } }] }));
      expect(b.code).toBe('invalid_input');
      expect(b.text).toMatch(/tasks\[0\]\.waitFor\.timeout/);
      await expectInvestigationCount(1);
    });

    it('refuses a zero timeout and a deadline in the past', async () => {
      const a = toolError(await c.callRaw('delegate_task', { investigationId: id, role: 'compliance', instructions: 'x', waitFor: { signal: 'bank_data', timeout: '0s' } }));
      expect(a.code).toBe('invalid_input');
      expect(a.text).toMatch(/must be longer than zero/);
      const b = toolError(await c.callRaw('start_investigation', { ...TECHCORP, deadline: '2001-01-01T00:00:00Z' }));
      expect(b.code).toBe('invalid_input');
      expect(b.text).toMatch(/deadline: 2001-01-01T00:00:00Z is in the past/);
      const z = toolError(await c.callRaw('start_investigation', { ...TECHCORP, deadline: '0s' }));
      expect(z.code).toBe('invalid_input');
      await expectInvestigationCount(1);
    });

    it('refuses absurdly long timeouts and deadlines before writing anything (they would not fit a date)', async () => {
      for (const timeout of ['99999999999999999999d', '9999999999999999w', 'P2000D']) {
        const a = toolError(await c.callRaw('delegate_task', { investigationId: id, role: 'compliance', instructions: 'x', waitFor: { signal: 'bank_data', timeout } }));
        expect(a.code, timeout).toBe('invalid_input');
        expect(a.text).toMatch(/longer than (100|five) years/);
      }
      for (const deadline of ['9999999999999999w', '2999-01-01T00:00:00Z']) {
        const b = toolError(await c.callRaw('start_investigation', { ...TECHCORP, deadline }));
        expect(b.code, deadline).toBe('invalid_input');
      }
      await expectInvestigationCount(1);
      expect((await c.call('list_investigations', {})).total).toBe(1);
    });

    it('refuses a role no worker runs (the task would sit pending for ever), naming the roles there are', async () => {
      const e = toolError(await c.callRaw('delegate_task', { investigationId: id, role: 'retreival', instructions: 'Search the sources' }));
      expect(e.code).toBe('invalid_input');
      expect(e.text).toMatch(/role: "retreival" is not a role this server runs; use one of "retrieval", "compliance"/);
      const s = toolError(await c.callRaw('start_investigation', { ...TECHCORP, tasks: [{ role: 'kyc', instructions: 'x' }] }));
      expect(s.text).toMatch(/tasks\[0\]\.role: "kyc" is not a role this server runs/);
      await expectInvestigationCount(1);
    });

    it('refuses an idempotency key reused for a different signal (the new data would be dropped)', async () => {
      await c.call('submit_signal', { investigationId: id, signal: 'registry_extract', payload: { ok: 1 }, idempotencyKey: 'mail-7' });
      const e = toolError(await c.callRaw('submit_signal', { investigationId: id, signal: 'bank_data', payload: { ok: 2 }, idempotencyKey: 'mail-7' }));
      expect(e.code).toBe('conflict');
      expect(e.text).toMatch(/already used on this investigation for signal "registry_extract"/);
      before = await c.call('get_investigation', { investigationId: id });
    });

    it('refuses JSON nested deeper than 64 levels in event data and signal payloads', async () => {
      let deep: unknown = 'bottom';
      for (let i = 0; i < 20_000; i++) deep = { d: deep };
      const a = toolError(await c.callRaw('record_event', { investigationId: id, role: 'tool', text: 'deep', data: deep }));
      expect(a.code).toBe('invalid_input');
      expect(a.text).toMatch(/data nests deeper than 64 levels/);
      const b = toolError(await c.callRaw('submit_signal', { investigationId: id, signal: 'bank_data', payload: deep }));
      expect(b.code).toBe('invalid_input');
      expect(b.text).toMatch(/payload nests deeper than 64 levels/);
    });

    it.each(['..', 'bank..data', '*', 'bank_*', '%2e%2e', 'a/b', '../x', 'Bank Data'])('refuses the signal name %j', async (name) => {
      const a = toolError(await c.callRaw('submit_signal', { investigationId: id, signal: name, payload: {} }));
      expect(a.code).toBe('invalid_input');
      expect(a.text).toMatch(/is not a valid signal name/);
      const b = toolError(await c.callRaw('delegate_task', { investigationId: id, role: 'compliance', instructions: 'x', waitFor: { signal: name, timeout: '1h' } }));
      expect(b.code).toBe('invalid_input');
      expect(b.text).toMatch(/waitFor\.signal/);
    });

    it('refuses record_event without a session or an investigation', async () => {
      const e = toolError(await c.callRaw('record_event', { role: 'user', text: 'x' }));
      expect(e.code).toBe('invalid_input');
      expect(e.text).toMatch(/sessionId .* or investigationId/);
    });

    it('refuses work on a closed investigation with illegal_transition', async () => {
      const other = (await c.call('start_investigation', { subject: 'Initech', objective: 'o' })).investigation.investigationId;
      await c.call('close_investigation', { investigationId: other, outcome: 'completed' });
      const e = toolError(await c.callRaw('delegate_task', { investigationId: other, role: 'retrieval', instructions: 'x' }));
      expect(e.code).toBe('illegal_transition');
      expect(toolError(await c.callRaw('close_investigation', { investigationId: other, outcome: 'completed' })).code).toBe('illegal_transition');
      expect(toolError(await c.callRaw('submit_signal', { investigationId: other, signal: 'x', payload: null })).code).toBe('illegal_transition');
    });
  });

  describe('another tenant', () => {
    let b: Connected;
    beforeEach(async () => {
      b = await connect(t.app, bob);
    });
    afterEach(() => b.close());

    it("gets not_found for tenant A's investigation through every tool", async () => {
      for (const [tool, args] of [
        ['get_investigation', { investigationId: id }],
        ['resume_investigation', { investigationId: id }],
        ['delegate_task', { investigationId: id, role: 'retrieval', instructions: 'x' }],
        ['submit_signal', { investigationId: id, signal: 'bank_data', payload: { stolen: false } }],
        ['record_event', { investigationId: id, role: 'user', text: 'x' }],
        ['record_event', { sessionId: before.sessions[0].sessionId, role: 'user', text: 'x' }],
        ['close_investigation', { investigationId: id, outcome: 'cancelled' }],
      ] as const) {
        const e = toolError(await b.callRaw(tool, args));
        expect(e.code, tool).toBe('not_found');
      }
      expect((await b.call('list_investigations', {})).total).toBe(0);
    });

    it("gets a resource-not-found error for tenant A's resources, and cannot subscribe to them", async () => {
      for (const uri of [
        `longhaul://investigations/${id}`,
        `longhaul://investigations/${id}/timeline`,
        `longhaul://sessions/${before.sessions[0].sessionId}`,
        `longhaul://sessions/${before.sessions[0].sessionId}/events`,
        `longhaul://investigations/${id}/tasks/${before.tasks[0].taskId}`,
      ]) {
        const err = await b.client.readResource({ uri }).catch((e: unknown) => e);
        expect(err, uri).toBeInstanceOf(McpError);
        expect((err as McpError).code).toBe(-32002);
        expect((err as McpError).message).toMatch(/No (investigation|session) with id/);
        const sub = await b.client.subscribeResource({ uri }).catch((e: unknown) => e);
        expect(sub, uri).toBeInstanceOf(McpError);
      }
    });
  });

  describe('subscriptions to URIs that are not longhaul://', () => {
    it('accepts a URI of another scheme (it never changes, so it is never notified) and refuses one that is no URI', async () => {
      expect(await c.client.subscribeResource({ uri: 'test://watched-resource' })).toEqual({});
      expect(await c.client.unsubscribeResource({ uri: 'test://watched-resource' })).toEqual({});
      const bad = await c.client.subscribeResource({ uri: 'watched resource' }).catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(McpError);
      expect((bad as McpError).message).toMatch(/is not a resource URI/);
      const typo = await c.client.subscribeResource({ uri: 'longhaul://investigation/x' }).catch((e: unknown) => e);
      expect((typo as McpError).message).toMatch(/is not a longhaul:\/\/ resource URI/);
    });
  });

  describe('unexpected failures', () => {
    it('reports an internal error without leaking its message or stack, logs it, and stays up', async () => {
      const original = t.app.runtime.investigations.list.bind(t.app.runtime.investigations);
      t.app.runtime.investigations.list = async () => {
        throw new TypeError('secret detail at /srv/longhaul/db.ts:42');
      };
      const e = toolError(await c.callRaw('list_investigations', {}));
      t.app.runtime.investigations.list = original;
      expect(e.code).toBe('internal');
      expect(e.text).toMatch(/^\[internal\] longhaul hit an unexpected error running list_investigations/);
      expect(e.text).not.toMatch(/secret|db\.ts/);
      expect(t.logs.some((l) => l.includes('"tool failed"') && l.includes('secret detail'))).toBe(true);
      expect((await c.call('list_investigations', {})).total).toBe(1);
    });

    it('maps a caller that cannot be resolved to its error code', async () => {
      const anon = await connect(t.app, () => {
        throw new LonghaulError('unauthorized', 'No credentials were presented.');
      });
      const e = toolError(await anon.callRaw('list_investigations', {}));
      expect(e.code).toBe('unauthorized');
      expect(e.text).toBe('[unauthorized] No credentials were presented.');
      await anon.close();
    });
  });
});
