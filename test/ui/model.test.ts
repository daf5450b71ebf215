import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { citationText, countdown, dayKey, flagsOf, groupByDay, inboxFor, investigationIdOf, ruleTitle, whoActed } from '../../src/ui/model.js';

const ev = (seq: number, createdAt: string) => ({ seq, createdAt });

describe('the investigation view model', () => {
  describe('who acted on an event', () => {
    const sessions = new Map([
      ['ses_sup', { kind: 'supervisor' }],
      ['ses_other', { kind: 'worker' }],
    ]);
    it('names a signal, the scheduler, a worker role, the supervisor and anyone else', () => {
      expect(whoActed({ kind: 'signal', actorId: 'bank-hook', sessionId: null }, sessions)).toEqual({ kind: 'signal', label: 'Signal (from bank-hook)' });
      expect(whoActed({ kind: 'status', actorId: 'longhaul', sessionId: null }, sessions)).toEqual({ kind: 'scheduler', label: 'Scheduler' });
      expect(whoActed({ kind: 'finding', actorId: 'retrieval-worker', sessionId: 'ses_w' }, sessions)).toEqual({ kind: 'worker', label: 'retrieval worker' });
      expect(whoActed({ kind: 'message', actorId: 'alice', sessionId: 'ses_sup' }, sessions)).toEqual({ kind: 'supervisor', label: 'Supervisor (alice)' });
      expect(whoActed({ kind: 'message', actorId: 'bob', sessionId: 'ses_other' }, sessions)).toEqual({ kind: 'person', label: 'bob' });
    });
    it('does not take an actor called longhaul inside a session for the scheduler', () => {
      expect(whoActed({ kind: 'message', actorId: 'longhaul', sessionId: 'ses_sup' }, sessions).kind).toBe('supervisor');
    });
  });

  describe('grouping by day', () => {
    it('puts events newest first under their calendar day in the viewer\'s time zone', () => {
      const events = [ev(1, '2026-12-01T22:30:00.000Z'), ev(2, '2026-12-01T23:30:00.000Z'), ev(3, '2026-12-04T08:00:00.000Z')];
      expect(groupByDay(events, 'UTC').map((g) => [g.day, g.events.map((e) => e.seq)])).toEqual([
        ['2026-12-04', [3]],
        ['2026-12-01', [2, 1]],
      ]);
      // In Berlin (UTC+1) 23:30Z is already the next day.
      expect(groupByDay(events, 'Europe/Berlin').map((g) => [g.day, g.events.map((e) => e.seq)])).toEqual([
        ['2026-12-04', [3]],
        ['2026-12-02', [2]],
        ['2026-12-01', [1]],
      ]);
      expect(dayKey('2026-12-01T23:30:00.000Z', 'America/New_York')).toBe('2026-12-01');
    });
  });

  describe('countdown', () => {
    const t0 = Date.UTC(2026, 11, 1, 12, 0, 0);
    it('shows days, hours and minutes far out, seconds close in, and how overdue after', () => {
      expect(countdown(t0 + 3 * 86_400_000, t0)).toBe('3d 00h 00m');
      expect(countdown(t0 + 3 * 86_400_000 - 1_000, t0)).toBe('2d 23h 59m');
      expect(countdown(t0 + 3_725_000, t0)).toBe('1h 02m 05s');
      expect(countdown(t0 + 65_000, t0)).toBe('1m 05s');
      expect(countdown(t0 + 9_000, t0)).toBe('9s');
      expect(countdown(t0 - 3_660_000, t0)).toBe('overdue by 1h 01m 00s');
    });
  });

  describe('citations and flags', () => {
    it('writes citations as the sources do', () => {
      expect(citationText({ file: 'docs/aml.md', startLine: 12, endLine: 12 })).toBe('docs/aml.md:12');
      expect(citationText({ file: 'docs/aml.md', startLine: 12, endLine: 14 })).toBe('docs/aml.md:12-14');
      expect(citationText({ file: 'docs/minutes.pdf', startLine: 1, endLine: 1, page: 3 })).toBe('docs/minutes.pdf:p3');
      expect(citationText({ file: 'lists/watch.xlsx', startLine: 4, endLine: 4, sheet: 'Sanctions' })).toBe('lists/watch.xlsx:Sanctions!4');
      expect(citationText({ file: 'erp:vendors', startLine: 0, endLine: 0, row: { column: 'id', value: '42' } })).toBe('erp:vendors#id=42');
      expect(citationText(null)).toBeNull();
      expect(citationText({ path: 'x' })).toBeNull();
    });
    it('takes the flags from compliance results, with their citation, snippet and rule source', () => {
      const tasks = [
        { taskId: 'tsk_r', result: { findings: [] } },
        {
          taskId: 'tsk_c',
          result: {
            flags: [
              { rule: 'largeTransaction', text: 'EUR 25,000 to Globex', citation: { file: 'techcorp/policies/aml-policy.md', startLine: 17, endLine: 17, snippet: '3.1 Transactions above EUR 10,000' }, ruleSource: 'techcorp/policies/aml-policy.md:17' },
              { rule: 'missingDocument', text: 'No certificate', citation: null, ruleSource: 'rules file: requiredDocuments' },
            ],
          },
        },
        { taskId: 'tsk_w', result: null },
      ];
      expect(flagsOf(tasks)).toEqual([
        { taskId: 'tsk_c', rule: 'largeTransaction', text: 'EUR 25,000 to Globex', citation: 'techcorp/policies/aml-policy.md:17', snippet: '3.1 Transactions above EUR 10,000', ruleSource: 'techcorp/policies/aml-policy.md:17' },
        { taskId: 'tsk_c', rule: 'missingDocument', text: 'No certificate', citation: null, snippet: null, ruleSource: 'rules file: requiredDocuments' },
      ]);
      expect(ruleTitle('largeTransaction')).toBe('Large transaction');
      expect(ruleTitle('watch_list')).toBe('Watch list');
    });
  });

  it('keeps the inbox items of one investigation, and finds the investigation a tool result names', () => {
    const items = [{ investigationId: 'inv_a' }, { investigationId: 'inv_b' }, { investigationId: 'inv_a' }] as unknown as Parameters<typeof inboxFor>[0];
    expect(inboxFor(items, 'inv_a')).toHaveLength(2);
    expect(investigationIdOf({ investigation: { investigationId: 'inv_01ABC' } })).toBe('inv_01ABC');
    expect(investigationIdOf({ investigationId: 'inv_01ABC', sessionId: null })).toBe('inv_01ABC');
    expect(investigationIdOf({ investigationId: 'inv_<script>' })).toBeNull();
    expect(investigationIdOf(null)).toBeNull();
  });
});

describe('the built MCP App bundle (npm run build)', () => {
  const html = readFileSync(new URL('../../dist/ui/investigation-app.html', import.meta.url), 'utf8');
  const sha = (s: string) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;
  it('allows exactly its own inline script and style by hash, and nothing from the network', () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '';
    const script = /<script type="module">([\s\S]*)<\/script>/.exec(html)?.[1] ?? '';
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    expect(script.length).toBeGreaterThan(1000);
    expect(csp).toBe(`default-src 'none'; script-src ${sha(script)}; style-src ${sha(style)}; img-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'`);
    // One inline script and one style: no second script a hash would not cover, no external file.
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toMatch(/<script[^>]*\ssrc=|<link\s/);
  });
});
