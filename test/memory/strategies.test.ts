import { describe, expect, it } from 'vitest';
import type { MemoryEvent } from '../../src/domain/event.js';
import type { Session } from '../../src/domain/session.js';
import { extractFacts, factsNamespace } from '../../src/memory/strategies/facts.js';
import { extractPreferences } from '../../src/memory/strategies/preferences.js';
import { deterministicSummary, summarizeSession } from '../../src/memory/strategies/summary.js';
import { shoutingModel, T0 } from './helpers.js';

let seq = 0;
const ev = (kind: MemoryEvent['kind'], text: string, over: Partial<MemoryEvent> = {}): MemoryEvent => ({
  id: `evt_${String(++seq).padStart(30, '0')}`,
  tenantId: 'acme',
  seq,
  sessionId: 'ses_000000000000000000000000000001',
  investigationId: 'inv_000000000000000000000000000001',
  actorId: 'alice',
  role: 'agent',
  kind,
  text,
  data: null,
  createdAt: T0 + seq,
  expiresAt: T0 + 1e9,
  ...over,
});

const session: Session = {
  id: 'ses_000000000000000000000000000001',
  tenantId: 'acme',
  actorId: 'alice',
  kind: 'worker',
  role: 'retrieval',
  investigationId: 'inv_000000000000000000000000000001',
  taskId: 'tsk_000000000000000000000000000001',
  status: 'terminated',
  terminationReason: 'completed',
  startedAt: T0,
  lastActivityAt: T0 + 60_000,
  terminatedAt: T0 + 60_000,
  idleTimeoutMs: 900_000,
  maxDurationMs: 28_800_000,
  inflight: 0,
  dueAt: null,
  version: 3,
};

describe('facts strategy', () => {
  it('turns findings and facts into candidates in the investigation namespace, verbatim without a model', async () => {
    const events = [ev('message', 'hello'), ev('finding', '  TechCorp revenue   grew 12% in 2025. '), ev('fact', 'CEO is Jane Roe', { data: { key: 'CEO' } }), ev('decision', 'file it')];
    const c = await extractFacts(events, { session, model: null });
    expect(c.map((x) => [x.namespace, x.text, x.topicKey, x.event.id])).toEqual([
      ['investigations/inv_000000000000000000000000000001/facts', 'TechCorp revenue grew 12% in 2025.', null, events[1]!.id],
      ['investigations/inv_000000000000000000000000000001/facts', 'CEO is Jane Roe', 'ceo', events[2]!.id],
    ]);
  });

  it("puts a fact outside any investigation under the actor's facts", () => {
    expect(factsNamespace({ investigationId: null, actorId: 'bob@example.com' })).toBe('actors/bob@example.com/facts');
  });

  it('rewrites statements with a model, keeping the original when a line is missing', async () => {
    const model = shoutingModel();
    const c = await extractFacts([ev('finding', 'a b c'), ev('finding', 'd e f')], { session, model });
    expect(c.map((x) => x.text)).toEqual(['A B C', 'D E F']);
    expect(model.requests).toHaveLength(1);
  });
});

describe('preferences strategy', () => {
  it("files preference events under the actor's preferences with their topic key", async () => {
    const c = await extractPreferences([ev('preference', 'Reports in Markdown, please', { data: { key: 'Report format' } }), ev('finding', 'x')], { session, model: null });
    expect(c).toHaveLength(1);
    expect(c[0]).toMatchObject({ strategy: 'preferences', namespace: 'actors/alice/preferences', text: 'Reports in Markdown, please', topicKey: 'report-format' });
  });
});

describe('summary strategy', () => {
  const first = ev('finding', 'first finding');
  const second = ev('finding', 'second finding');
  const digest = {
    session,
    totalEvents: 9,
    sections: [
      { items: [second, first], total: 7 }, // newest first, as the store pages them
      { items: [ev('decision', 'escalate to compliance')], total: 1 },
      { items: [], total: 0 },
      { items: [ev('status', 'Task completed with 2 findings')], total: 1 },
      { items: [], total: 0 },
    ],
    recentMessages: [],
  };

  it('lists findings, decisions and outcomes with counts when there is no model', () => {
    const text = deterministicSummary(digest);
    expect(text).toBe(
      [
        'Session ses_000000000000000000000000000001: retrieval worker on task tsk_000000000000000000000000000001 of investigation inv_000000000000000000000000000001, actor alice; 9 events since 2026-01-01T00:00:00.000Z; terminated (completed) at 2026-01-01T00:01:00.000Z.',
        'Findings (7):',
        '- first finding',
        '- second finding',
        '- …and 5 earlier.',
        'Decisions (1):',
        '- escalate to compliance',
        'Outcomes (1):',
        '- Task completed with 2 findings',
      ].join('\n'),
    );
  });

  it('says so when nothing notable happened', () => {
    expect(deterministicSummary({ ...digest, sections: digest.sections.map(() => ({ items: [], total: 0 })) })).toMatch(/Nothing notable recorded yet/);
  });

  it('writes prose with a model, from the deterministic digest, and cites the listed events', async () => {
    const model = shoutingModel();
    const r = await summarizeSession(digest, model);
    expect(r.text).toBe('A SUMMARY IN PROSE.');
    expect(model.requests[0]!.prompt).toContain('escalate to compliance');
    expect(r.sourceEventIds).toHaveLength(4);
  });
});
