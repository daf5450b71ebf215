/**
 * The SQLite store's memory outbox (migration 9; the contract is on StorePort in
 * src/store/port.ts). Entries are written by the tenant steps that append events or
 * change records, inside their own transaction (`enqueue`), and only while the store's
 * `memory_outbox` setting is on — read in that same transaction, so a process that
 * opened the file before another turned the outbox on still writes it.
 */
import type { Clock } from '../../../domain/clock.js';
import type { OutboxEntry } from '../../../memory/port.js';
import type { OutboxKind, OutboxStats, StorePort } from '../../port.js';
import { DELETION_WAITS_FOR_FLIGHT, OUTBOX_ERROR_MAX, outboxClientToken, pageLimit } from '../common.js';
import { sqlCount, type Db } from './db.js';
import * as C from './rows.js';

const SETTING = 'memory_outbox';

interface OutboxRow {
  id: number;
  tenant_id: string;
  kind: OutboxKind;
  ref_id: string;
  detail: string | null;
  attempts: number;
  created_at: number;
}

export class SqliteOutbox {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** The setting, read in the caller's step (a write transaction when enqueueing). */
  isOn(): boolean {
    return this.db.get('SELECT 1 AS on_ FROM store_settings WHERE key = ?', SETTING) !== undefined;
  }

  enable(): void {
    this.db.write(() => this.db.run(`INSERT INTO store_settings (key, value) VALUES (?, 'on') ON CONFLICT (key) DO NOTHING`, SETTING));
  }

  /** Inside a write step: one entry per ref, when the outbox is on. */
  enqueue(tenantId: string, kind: OutboxKind, refIds: readonly string[], detail: string | null = null): void {
    if (refIds.length === 0 || !this.isOn()) return;
    const now = this.clock.now();
    for (const ref of refIds) {
      this.db.run('INSERT INTO memory_outbox (tenant_id, kind, ref_id, detail, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?)', tenantId, kind, ref, detail, now, now);
    }
  }

  /** Inside a write step: an event is deleted — drop what would still ship it (unless in flight), and queue its deletion from the memory. */
  eventDeleted(tenantId: string, eventId: string, memorySession: string): void {
    this.db.run(`DELETE FROM memory_outbox WHERE tenant_id = ? AND kind = 'event' AND ref_id = ? AND (lease_until IS NULL OR lease_until <= ?)`, tenantId, eventId, this.clock.now());
    this.enqueue(tenantId, 'delete_event', [eventId], memorySession);
  }

  claim(now: number, owner: string, leaseMs: number, limit: number): OutboxEntry[] {
    const n = pageLimit(limit);
    if (n === 0) return [];
    return this.db.write(() => {
      const rows = this.db.all<OutboxRow>(
        `SELECT id, tenant_id, kind, ref_id, detail, attempts, created_at FROM memory_outbox o
         WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ? OR lease_owner = ?) AND ${DELETION_WAITS_FOR_FLIGHT('?')}
         ORDER BY next_attempt_at, id LIMIT ${sqlCount(n)}`,
        now,
        now,
        owner,
        now,
      );
      const out: OutboxEntry[] = [];
      for (const r of rows.sort((a, b) => a.id - b.id)) {
        const entry = this.materialize(r);
        if (!entry) {
          // Its event or record is gone (expired, forgotten): nothing left to ship.
          this.db.run('DELETE FROM memory_outbox WHERE id = ?', r.id);
          continue;
        }
        this.db.run('UPDATE memory_outbox SET lease_owner = ?, lease_until = ? WHERE id = ?', owner, now + leaseMs, r.id);
        out.push(entry);
      }
      return out;
    });
  }

  private materialize(r: OutboxRow): OutboxEntry | null {
    const base = { id: r.id, tenantId: r.tenant_id, clientToken: outboxClientToken(r.kind, r.ref_id, r.id), attempts: r.attempts, createdAt: r.created_at };
    if (r.kind === 'delete_record') return { ...base, op: { op: 'delete_record', recordId: r.ref_id } };
    if (r.kind === 'delete_event') return { ...base, op: { op: 'delete_event', sessionId: r.detail ?? '', eventId: r.ref_id } };
    if (r.kind === 'event') {
      const row = this.db.get('SELECT * FROM events WHERE tenant_id = ? AND id = ?', r.tenant_id, r.ref_id);
      return row ? { ...base, op: { op: 'event', event: C.events.fromRow(row) } } : null;
    }
    const row = this.db.get('SELECT * FROM records WHERE tenant_id = ? AND id = ?', r.tenant_id, r.ref_id);
    return row ? { ...base, op: { op: 'records', records: [C.records.fromRow(row)] } } : null;
  }

  settle(input: Parameters<StorePort['settleOutbox']>[0]): void {
    this.db.write(() => {
      for (const id of input.delivered) this.db.run('DELETE FROM memory_outbox WHERE id = ? AND lease_owner = ?', id, input.owner);
      for (const f of input.failed) {
        this.db.run(
          'UPDATE memory_outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?',
          f.error.slice(0, OUTBOX_ERROR_MAX),
          f.retryAt,
          f.id,
          input.owner,
        );
      }
      for (const x of input.deferred ?? []) this.db.run('UPDATE memory_outbox SET next_attempt_at = ?, lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?', x.retryAt, x.id, input.owner);
      for (const id of input.released ?? []) this.db.run('UPDATE memory_outbox SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?', id, input.owner);
    });
  }

  stats(): OutboxStats {
    return this.db.read(() => {
      const c = this.db.get<{ pending: number; parked: number; oldest: number | null }>(
        `SELECT count(*) FILTER (WHERE next_attempt_at IS NOT NULL) AS pending, count(*) FILTER (WHERE next_attempt_at IS NULL) AS parked,
                min(created_at) FILTER (WHERE next_attempt_at IS NOT NULL) AS oldest FROM memory_outbox`,
      )!;
      const errors = this.db
        .all<{ id: number; tenant_id: string; kind: OutboxKind; attempts: number; last_error: string; next_attempt_at: number | null }>(
          'SELECT id, tenant_id, kind, attempts, last_error, next_attempt_at FROM memory_outbox WHERE last_error IS NOT NULL ORDER BY id DESC LIMIT 5',
        )
        .map((r) => ({ id: r.id, tenantId: r.tenant_id, kind: r.kind, attempts: r.attempts, error: r.last_error, parked: r.next_attempt_at === null }));
      return { enabled: this.isOn(), pending: c.pending, parked: c.parked, oldestPendingAt: c.oldest, errors };
    });
  }
}
