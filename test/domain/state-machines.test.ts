import { describe, expect, it } from 'vitest';
import { IllegalTransitionError } from '../../src/domain/errors.js';
import { assertInvestigationTransition } from '../../src/domain/investigation.js';
import { assertSessionTransition, canTransitionSession, lifecycleVerdict, sessionDueAt, type Session } from '../../src/domain/session.js';
import { assertTaskTransition, canTransitionTask, isTerminalTask, type TaskStatus } from '../../src/domain/task.js';

const session = (over: Partial<Session> = {}): Session => ({
  id: 'ses_1',
  tenantId: 't',
  actorId: 'a',
  kind: 'supervisor',
  role: null,
  investigationId: null,
  taskId: null,
  status: 'idle',
  terminationReason: null,
  startedAt: 0,
  lastActivityAt: 0,
  terminatedAt: null,
  idleTimeoutMs: 15 * 60_000,
  maxDurationMs: 8 * 3_600_000,
  inflight: 0,
  dueAt: null,
  version: 1,
  ...over,
});

describe('session lifecycle', () => {
  it('moves active → idle → active and ends terminated', () => {
    expect(canTransitionSession('active', 'idle')).toBe(true);
    expect(canTransitionSession('idle', 'active')).toBe(true);
    expect(canTransitionSession('idle', 'terminated', 'idle_timeout')).toBe(true);
    expect(canTransitionSession('active', 'terminated', 'max_duration')).toBe(true);
    expect(canTransitionSession('active', 'terminated', 'completed')).toBe(true);
  });

  it('only times out for idleness from idle', () => {
    expect(canTransitionSession('active', 'terminated', 'idle_timeout')).toBe(false);
  });

  it('never comes back from terminated, and the error names from and to', () => {
    for (const to of ['active', 'idle'] as const) {
      expect(() => assertSessionTransition('terminated', to)).toThrow(IllegalTransitionError);
    }
    expect(() => assertSessionTransition('terminated', 'active')).toThrow(/from "terminated" to "active".*never comes back/);
  });

  it('requires a reason to terminate', () => {
    expect(canTransitionSession('idle', 'terminated')).toBe(false);
  });

  it('is due at the earlier of idle timeout and max duration', () => {
    expect(sessionDueAt(session({ lastActivityAt: 1000 }))).toBe(1000 + 15 * 60_000);
    expect(sessionDueAt(session({ startedAt: 0, lastActivityAt: 8 * 3_600_000 - 1 }))).toBe(8 * 3_600_000);
    expect(sessionDueAt(session({ status: 'terminated' }))).toBeNull();
  });

  it('judges idle timeout, max duration, or nothing', () => {
    expect(lifecycleVerdict(session({ lastActivityAt: 0 }), 15 * 60_000 - 1)).toBeNull();
    expect(lifecycleVerdict(session({ lastActivityAt: 0 }), 15 * 60_000)).toBe('idle_timeout');
    expect(lifecycleVerdict(session({ lastActivityAt: 8 * 3_600_000 - 5 }), 8 * 3_600_000)).toBe('max_duration');
    expect(lifecycleVerdict(session({ status: 'terminated' }), 10 ** 12)).toBeNull();
  });
});

describe('task state machine', () => {
  const all: TaskStatus[] = ['pending', 'running', 'waiting', 'completed', 'failed', 'timed_out', 'cancelled'];
  it('has four terminal states with no way out', () => {
    for (const from of all.filter(isTerminalTask)) {
      for (const to of all) expect(canTransitionTask(from, to)).toBe(false);
    }
    expect(all.filter(isTerminalTask)).toEqual(['completed', 'failed', 'timed_out', 'cancelled']);
  });
  it('runs, waits, wakes and finishes', () => {
    expect(canTransitionTask('pending', 'running')).toBe(true);
    expect(canTransitionTask('running', 'waiting')).toBe(true);
    expect(canTransitionTask('waiting', 'pending')).toBe(true);
    expect(canTransitionTask('waiting', 'timed_out')).toBe(true);
    expect(canTransitionTask('running', 'completed')).toBe(true);
    expect(canTransitionTask('waiting', 'completed')).toBe(false);
  });
  it('names the illegal move', () => {
    expect(() => assertTaskTransition('completed', 'running')).toThrow(/task cannot go from "completed" to "running"/);
  });
});

describe('investigation state machine', () => {
  it('closes once', () => {
    expect(() => assertInvestigationTransition('open', 'closed')).not.toThrow();
    expect(() => assertInvestigationTransition('closed', 'closed')).toThrow(IllegalTransitionError);
  });
});
