import { createIdGenerator, type IdGenerator } from '../../../src/domain/ids.js';
import type { EventKind, EventRole, MemoryEvent } from '../../../src/domain/event.js';
import type { MemoryRecord, RecordStatus, Strategy } from '../../../src/domain/record.js';
import { textKey } from '../../../src/memory/text.js';

/** Fixed start of every fixture's timeline (2026-01-01); each fixture is one second later than the one before. */
export const FIXTURE_T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

/**
 * Builds events and records the way longhaul's store would hold them: real ids (ULID-like,
 * increasing), increasing seq and timestamps, the namespaces the strategies write.
 */
export class Fixtures {
  private t = FIXTURE_T0;
  private seq = 0;
  readonly ids: IdGenerator;

  constructor() {
    this.ids = createIdGenerator({ now: () => this.t });
  }

  /** The time the next fixture gets (advances one second per call). */
  tick(): number {
    this.t += 1_000;
    return this.t;
  }

  investigationId = (): string => this.ids('inv');
  sessionId = (): string => this.ids('ses');

  event(
    tenantId: string,
    over: Partial<Pick<MemoryEvent, 'sessionId' | 'investigationId' | 'actorId' | 'text' | 'data'>> & { role?: EventRole; kind?: EventKind } = {},
  ): MemoryEvent {
    const createdAt = this.tick();
    this.seq += 1;
    return {
      id: this.ids('evt'),
      tenantId,
      seq: this.seq,
      sessionId: over.sessionId === undefined ? this.ids('ses') : over.sessionId,
      investigationId: over.investigationId ?? null,
      actorId: over.actorId ?? 'alice',
      role: over.role ?? 'user',
      kind: over.kind ?? 'message',
      text: over.text ?? `event ${this.seq}`,
      data: over.data ?? null,
      createdAt,
      expiresAt: createdAt + 90 * DAY,
    };
  }

  record(
    tenantId: string,
    over: Partial<Pick<MemoryRecord, 'namespace' | 'text' | 'topicKey' | 'supersededBy' | 'sourceEventIds' | 'investigationId' | 'sessionId' | 'actorId'>> & {
      status?: RecordStatus;
      strategy?: Strategy;
    } = {},
  ): MemoryRecord {
    const createdAt = this.tick();
    const text = over.text ?? `record at ${createdAt}`;
    return {
      id: this.ids('rec'),
      tenantId,
      namespace: over.namespace ?? 'investigations/inv_00000000000000000000000000/facts',
      strategy: over.strategy ?? 'facts',
      text,
      textKey: textKey(text),
      topicKey: over.topicKey ?? null,
      status: over.status ?? 'active',
      supersededBy: over.supersededBy ?? null,
      sourceEventIds: over.sourceEventIds ?? [],
      sessionId: over.sessionId ?? null,
      investigationId: over.investigationId ?? null,
      actorId: over.actorId ?? null,
      createdAt,
      updatedAt: createdAt,
    };
  }
}
