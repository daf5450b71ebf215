import { memoryOf, type Caller, type RuntimeDeps } from './deps.js';
import { buildBriefing } from './briefing.js';
import { makeEvent } from './event-factory.js';
import { Erasure } from './erasure.js';
import { Events } from './events.js';
import { Investigations } from './investigations.js';
import { Memory } from '../memory/memory.js';
import { ModelRegistry } from './model.js';
import { Sessions } from './sessions.js';
import { Signals } from './signals.js';
import { sessionView } from './views.js';

/**
 * The runtime: everything tools, resources, the CLI and workers do to investigations,
 * sessions, tasks, signals and events. Built once by the composition root.
 */
export class Runtime {
  readonly sessions: Sessions;
  readonly investigations: Investigations;
  readonly signals: Signals;
  readonly events: Events;
  readonly memory: Memory;
  /** forget_actor, forget_event, `longhaul erase` (./erasure.ts). */
  readonly erasure: Erasure;

  constructor(readonly deps: RuntimeDeps) {
    this.sessions = new Sessions(deps);
    this.investigations = new Investigations(deps, this.sessions);
    this.signals = new Signals(deps, this.investigations);
    this.events = new Events(deps, this.investigations, this.sessions);
    this.erasure = new Erasure(deps);
    // With AgentCore's own extraction, longhaul's runs only move checkpoints (retention still expires events).
    this.memory = new Memory(deps, deps.models ?? ModelRegistry.none(), memoryOf(deps).extraction === 'agentcore' ? { derive: false } : {});
  }

  /**
   * `resume_investigation`: opens a new supervisor session (ending the caller's
   * previous live one, which never comes back) and briefs what happened since the
   * caller's previous session on it.
   */
  async resume(caller: Caller, investigationId: string) {
    const inv = await this.investigations.load(caller, investigationId);
    const t = this.deps.store.tenant(caller.tenantId);
    const previous = await t.listSessions({ investigationId: inv.id, actorId: caller.actorId, kind: 'supervisor', limit: 1 });
    const prev = previous[0] ?? null;
    if (prev && prev.status !== 'terminated') await this.sessions.terminate(caller, prev.id, 'completed');
    const since = prev ? prev.lastActivityAt : null;
    if (inv.status !== 'open') {
      const briefing = await buildBriefing(this.deps, caller, inv, since);
      return { investigationId: inv.id, sessionId: null, briefing };
    }
    const session = this.sessions.build(caller, { kind: 'supervisor', investigationId: inv.id });
    await t.createSession(session);
    try {
      const briefing = await buildBriefing(this.deps, caller, inv, since);
      await t.appendEvents([
        makeEvent(this.deps, {
          tenantId: caller.tenantId,
          actorId: caller.actorId,
          sessionId: session.id,
          investigationId: inv.id,
          role: 'system',
          kind: 'status',
          text: `Supervisor session resumed${prev ? ` after ${prev.id}` : ''}.`,
          data: { previousSessionId: prev?.id ?? null, briefingChars: briefing.text.length },
        }),
      ]);
      return { investigationId: inv.id, sessionId: session.id, briefing };
    } finally {
      await this.sessions.endWork(caller, session.id);
      this.deps.feed.publish({ type: 'investigation', tenantId: caller.tenantId, id: inv.id });
    }
  }

  /** The caller's tenant's most recent sessions (supervisor and worker), newest first: resource listing and id completion. */
  async recentSessions(caller: Caller, limit = 50) {
    const n = Math.min(Math.max(Math.floor(limit), 1), 100);
    return (await this.deps.store.tenant(caller.tenantId).listSessions({ limit: n })).map(sessionView);
  }

  /** The document behind `longhaul://sessions/{id}`. */
  async sessionState(caller: Caller, sessionId: string) {
    const s = await this.sessions.get(caller, sessionId);
    return { session: sessionView(s), extraction: await this.memory.extractionStatus(caller.tenantId, s.id) };
  }
}
