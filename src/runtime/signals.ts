import { InvalidInputError, IllegalTransitionError } from '../domain/errors.js';
import type { Signal } from '../domain/task.js';
import { tenantKey } from '../store/keys.js';
import type { Caller, RuntimeDeps } from './deps.js';
import { makeEvent } from './event-factory.js';
import type { Investigations } from './investigations.js';
import { LIMITS, assertSignalName, jsonSize } from './limits.js';
import { signalView, taskView, waitView } from './views.js';

/** How long a repeated idempotency key is answered from the keyv cache. */
const IDEMPOTENCY_CACHE_MS = 7 * 86_400_000;

/**
 * `submit_signal` (and `longhaul signal`): stores the signal and, in the same store
 * step, resolves the waits for it and wakes their tasks. A repeated idempotency key
 * resolves once: the store's unique key on (investigation, idempotencyKey) is the
 * guarantee; the keyv entry only answers repeats without touching the tables.
 */
export class Signals {
  constructor(
    private readonly d: RuntimeDeps,
    private readonly investigations: Investigations,
  ) {}

  async submit(caller: Caller, input: { investigationId: string; signal: string; payload: unknown; idempotencyKey?: string | null }) {
    const inv = await this.investigations.load(caller, input.investigationId);
    const name = assertSignalName(input.signal);
    const key = input.idempotencyKey ?? null;
    if (key !== null && (key.length === 0 || key.length > LIMITS.idempotencyKey)) {
      throw new InvalidInputError(`idempotencyKey must be 1–${LIMITS.idempotencyKey} characters.`);
    }
    const bytes = jsonSize(input.payload, 'payload');
    if (bytes > LIMITS.signalPayloadBytes) {
      throw new InvalidInputError(`payload is ${bytes} bytes of JSON; the limit is ${LIMITS.signalPayloadBytes}. Store large data in a document source and send a reference.`);
    }
    const t = this.d.store.tenant(caller.tenantId);
    const cacheKey = key === null ? null : tenantKey(caller.tenantId, 'idem', 'signal', inv.id, hashKey(key));
    if (cacheKey) {
      const cached = await this.d.store.kv.get<{ signalId: string }>(cacheKey);
      if (cached) {
        const earlier = (await t.listSignals(inv.id, name)).find((s) => s.id === cached.signalId);
        if (earlier) return { investigationId: inv.id, duplicate: true, signal: signalView(earlier), resolvedWaits: [], wokenTasks: [] };
      }
    }
    if (inv.status !== 'open') {
      throw new IllegalTransitionError('investigation', inv.status, 'open', 'It is closed; a signal can no longer be delivered to it.');
    }
    const now = this.d.clock.now();
    const signal: Signal = {
      id: this.d.ids('sig'),
      tenantId: caller.tenantId,
      investigationId: inv.id,
      name,
      payload: input.payload ?? null,
      idempotencyKey: key,
      receivedAt: now,
      actorId: caller.actorId,
    };
    const deliver = async (sessionId: string | null) => {
      const event = makeEvent(this.d, {
        tenantId: caller.tenantId,
        actorId: caller.actorId,
        sessionId,
        investigationId: inv.id,
        role: 'system',
        kind: 'signal',
        text: `Signal "${name}" received (${bytes} bytes).`,
        data: { signalId: signal.id, name },
      });
      return t.deliverSignal({ signal, events: [event] });
    };
    const r = await this.investigations.touchIfLive(caller, inv.id, deliver);
    if (cacheKey) await this.d.store.kv.set(cacheKey, { signalId: r.signal.id }, IDEMPOTENCY_CACHE_MS);
    if (!r.duplicate) {
      await t.touchInvestigation(inv.id, now);
      this.d.feed.publish({ type: 'investigation', tenantId: caller.tenantId, id: inv.id });
      if (r.wokenTasks.length) this.d.feed.publish({ type: 'tasks', tenantId: caller.tenantId, investigationId: inv.id });
      if (r.resolvedWaits.length) this.d.logger.info('signal resolved waits', { tenantId: caller.tenantId, investigationId: inv.id, signal: name, waits: r.resolvedWaits.length });
    }
    return {
      investigationId: inv.id,
      duplicate: r.duplicate,
      signal: signalView(r.signal),
      resolvedWaits: r.resolvedWaits.map(waitView),
      wokenTasks: r.wokenTasks.map(taskView),
    };
  }
}

// Keys are caller-chosen free text: hash them so any string can live in a key part.
import { createHash } from 'node:crypto';
const hashKey = (k: string) => createHash('sha256').update(k).digest('hex').slice(0, 32);
