/**
 * The PostgreSQL store's memory outbox (migration 3; the contract is on StorePort in
 * src/store/port.ts). Tenant steps add entries in their own transaction or statement
 * with ENQUEUE_IF_ON, which writes only while the schema's `memory_outbox` setting is
 * on — judged in that same statement, so a process that started before another turned
 * the outbox on still writes it, and a store without the outbox pays one index probe.
 */
import type { OutboxEntry } from '../../../memory/port.js';
import type { OutboxKind, OutboxStats, StorePort } from '../../port.js';
import { DELETION_WAITS_FOR_FLIGHT, OUTBOX_ERROR_MAX, outboxClientToken, pageLimit } from '../common.js';
import type { Conn, PgDb } from './db.js';
import * as C from './rows.js';

const SETTING = 'memory_outbox';
/** The condition every enqueue carries. */
export const OUTBOX_ON = `EXISTS (SELECT 1 FROM store_settings WHERE key = '${SETTING}')`;

/** Adds entries for refs ($3::text[]) of kind $2 for tenant $1 at $4, when the outbox is on. */
const ENQUEUE_IF_ON = `INSERT INTO memory_outbox (tenant_id, kind, ref_id, next_attempt_at, created_at)
  SELECT $1::text, $2::text, r.id, $4::bigint, $4::bigint FROM unnest($3::text[]) WITH ORDINALITY r(id, n) WHERE ${OUTBOX_ON} ORDER BY r.n`;

export async function enqueueIfOn(c: Conn | PgDb, tenantId: string, kind: OutboxKind, refIds: readonly string[], now: number): Promise<void> {
  if (refIds.length > 0) await c.run(ENQUEUE_IF_ON, [tenantId, kind, refIds, now]);
}

interface OutboxRow {
  id: string | number;
  tenant_id: string;
  kind: OutboxKind;
  ref_id: string;
  detail: string | null;
  attempts: number;
  created_at: string | number;
}

export class PgOutbox {
  constructor(private readonly db: PgDb) {}

  async isOn(): Promise<boolean> {
    return (await this.db.query(`SELECT 1 FROM store_settings WHERE key = $1`, [SETTING], { idempotent: true })).length > 0;
  }

  async enable(): Promise<void> {
    await this.db.run(`INSERT INTO store_settings (key, value) VALUES ($1, 'on') ON CONFLICT (key) DO NOTHING`, [SETTING]);
  }

  async claim(now: number, owner: string, leaseMs: number, limit: number): Promise<OutboxEntry[]> {
    const n = pageLimit(limit);
    if (n === 0) return [];
    return this.db.write(async (c) => {
      // SKIP LOCKED: two shippers claiming at once take different entries, neither waits.
      const rows = await c.all<OutboxRow>(
        `SELECT id, tenant_id, kind, ref_id, detail, attempts, created_at FROM memory_outbox o
         WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1 OR lease_owner = $2) AND ${DELETION_WAITS_FOR_FLIGHT('$1')}
         ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED`,
        [now, owner, n],
      );
      rows.sort((a, b) => Number(a.id) - Number(b.id));
      const gone: number[] = [];
      const out: OutboxEntry[] = [];
      const events = await this.byId(c, 'events', rows.filter((r) => r.kind === 'event'));
      const records = await this.byId(c, 'records', rows.filter((r) => r.kind === 'record'));
      for (const r of rows) {
        const id = Number(r.id);
        const base = { id, tenantId: r.tenant_id, clientToken: outboxClientToken(r.kind, r.ref_id, id), attempts: r.attempts, createdAt: Number(r.created_at) };
        const key = `${r.tenant_id}\u0000${r.ref_id}`;
        if (r.kind === 'delete_record') out.push({ ...base, op: { op: 'delete_record', recordId: r.ref_id } });
        else if (r.kind === 'delete_event') out.push({ ...base, op: { op: 'delete_event', sessionId: r.detail ?? '', eventId: r.ref_id } });
        else if (r.kind === 'event' && events.has(key)) out.push({ ...base, op: { op: 'event', event: C.events.fromRow(events.get(key)!) } });
        else if (r.kind === 'record' && records.has(key)) out.push({ ...base, op: { op: 'records', records: [C.records.fromRow(records.get(key)!)] } });
        else gone.push(id); // its event or record is gone (expired, forgotten): nothing left to ship
      }
      if (gone.length > 0) await c.run('DELETE FROM memory_outbox WHERE id = ANY($1::bigint[])', [gone]);
      if (out.length > 0) await c.run('UPDATE memory_outbox SET lease_owner = $1, lease_until = $2 WHERE id = ANY($3::bigint[])', [owner, now + leaseMs, out.map((e) => e.id)]);
      return out;
    });
  }

  /** The rows of `table` the outbox rows point at, by tenant and id. */
  private async byId(c: Conn, table: 'events' | 'records', rows: OutboxRow[]): Promise<Map<string, Record<string, unknown>>> {
    const found = new Map<string, Record<string, unknown>>();
    if (rows.length === 0) return found;
    const cols = table === 'records' ? C.records.selectList() : '*';
    const got = await c.all(`SELECT ${cols} FROM ${table} WHERE (tenant_id, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`, [
      rows.map((r) => r.tenant_id),
      rows.map((r) => r.ref_id),
    ]);
    for (const row of got) found.set(`${row.tenant_id as string}\u0000${row.id as string}`, row);
    return found;
  }

  async settle(input: Parameters<StorePort['settleOutbox']>[0]): Promise<void> {
    await this.db.write(async (c) => {
      if (input.delivered.length > 0) await c.run('DELETE FROM memory_outbox WHERE id = ANY($1::bigint[]) AND lease_owner = $2', [[...input.delivered], input.owner]);
      for (const f of input.failed) {
        await c.run(
          'UPDATE memory_outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, lease_owner = NULL, lease_until = NULL WHERE id = $3 AND lease_owner = $4',
          [f.error.slice(0, OUTBOX_ERROR_MAX), f.retryAt, f.id, input.owner],
        );
      }
      for (const x of input.deferred ?? []) {
        await c.run('UPDATE memory_outbox SET next_attempt_at = $1, lease_owner = NULL, lease_until = NULL WHERE id = $2 AND lease_owner = $3', [x.retryAt, x.id, input.owner]);
      }
      if (input.released?.length) await c.run('UPDATE memory_outbox SET lease_owner = NULL, lease_until = NULL WHERE id = ANY($1::bigint[]) AND lease_owner = $2', [[...input.released], input.owner]);
    });
  }

  async stats(): Promise<OutboxStats> {
    return this.db.read(async (c) => {
      const s = (await c.get<{ pending: number; parked: number; oldest: string | null; on_: boolean }>(
        `SELECT count(*) FILTER (WHERE next_attempt_at IS NOT NULL)::int AS pending, count(*) FILTER (WHERE next_attempt_at IS NULL)::int AS parked,
                min(created_at) FILTER (WHERE next_attempt_at IS NOT NULL) AS oldest, ${OUTBOX_ON} AS on_ FROM memory_outbox`,
      ))!;
      const errors = (
        await c.all<{ id: string; tenant_id: string; kind: OutboxKind; attempts: number; last_error: string; next_attempt_at: string | null }>(
          'SELECT id, tenant_id, kind, attempts, last_error, next_attempt_at FROM memory_outbox WHERE last_error IS NOT NULL ORDER BY id DESC LIMIT 5',
        )
      ).map((r) => ({ id: Number(r.id), tenantId: r.tenant_id, kind: r.kind, attempts: r.attempts, error: r.last_error, parked: r.next_attempt_at === null }));
      return { enabled: s.on_, pending: s.pending, parked: s.parked, oldestPendingAt: s.oldest === null ? null : Number(s.oldest), errors };
    });
  }
}
