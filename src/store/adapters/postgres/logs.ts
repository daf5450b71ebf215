/**
 * The PostgreSQL store's two logs, apart from its tenant tables: the change log that
 * every process on the database follows, and the events of resumable HTTP streams.
 *
 * Why a follower never skips a change committed late: a plain sequence would let a
 * transaction that drew seq 5 commit after one that drew 6 (sequences are not
 * transactional), and a follower that read 6 would never look below it again. Here
 * seqs come from the single row of change_log_head, incremented by the appending
 * transaction itself. Its row lock is held until that transaction ends, so a second
 * append waits, then (READ COMMITTED re-reads the updated row) continues from the first
 * one's last seq — and only once the first is committed and visible to every new
 * snapshot (PostgreSQL marks a transaction committed before it releases its locks). So
 * rows become visible in seq order: once a reader sees seq n, every row below n is
 * committed, or rolled back and never will be. lastChangeSeq reads the head's committed
 * value: an append still in flight is not counted, and a follower starting there hears
 * of it when it commits. The head only grows, so a seq is never handed out twice, not
 * even after pruning.
 */
import { isChange } from '../../../domain/change.js';
import { STREAM_EVENTS_PER_STREAM, type ChangeLogEntry, type ChangeLogInput, type StreamEvent } from '../../port.js';
import { assertStreamId, checkedChangeEntry, decodeStreamEventId, encodeStreamEventId, pageLimit } from '../common.js';
import { lockKey, type PgDb } from './db.js';

export class PgChangeLog {
  constructor(private readonly db: PgDb) {}

  async append(entries: readonly ChangeLogInput[]): Promise<number> {
    const checked = entries.map(checkedChangeEntry);
    if (checked.length === 0) {
      await this.db.query('SELECT 1', [], { idempotent: true });
      return 0;
    }
    return this.db.write(async (c) => {
      const head = (await c.get<{ seq: number }>('UPDATE change_log_head SET seq = seq + $1 WHERE id = 1 RETURNING seq', [checked.length]))!.seq;
      const first = head - checked.length + 1;
      await c.run(
        `INSERT INTO change_log (seq, tenant_id, origin, change, at)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[])`,
        [checked.map((_, i) => first + i), checked.map((e) => e.change.tenantId), checked.map((e) => e.origin), checked.map((e) => JSON.stringify(e.change)), checked.map((e) => e.at)],
      );
      return head;
    });
  }

  async after(seq: number, limit: number): Promise<ChangeLogEntry[]> {
    const n = pageLimit(limit);
    const rows = await this.db.query<{ seq: number; origin: string; change: string; at: number }>('SELECT seq, origin, change, at FROM change_log WHERE seq > $1 ORDER BY seq LIMIT $2', [seq, n], {
      idempotent: true,
    });
    const out: ChangeLogEntry[] = [];
    for (const r of rows) {
      // Another process (another version, even) wrote these: an unreadable row is skipped.
      let change: unknown;
      try {
        change = JSON.parse(r.change);
      } catch {
        continue;
      }
      if (isChange(change)) out.push({ seq: r.seq, origin: r.origin, change, at: r.at });
    }
    return out;
  }

  async last(): Promise<number> {
    return (await this.db.query<{ seq: number }>('SELECT seq FROM change_log_head WHERE id = 1', [], { idempotent: true }))[0]?.seq ?? 0;
  }

  async deleteBefore(at: number, limit: number): Promise<number> {
    return this.db.run('DELETE FROM change_log WHERE seq IN (SELECT seq FROM change_log WHERE at < $1 ORDER BY at, seq LIMIT $2)', [at, pageLimit(limit)]);
  }
}

export class PgStreamEvents {
  constructor(private readonly db: PgDb) {}

  async append(input: { streamId: string; message: unknown; now: number; expiresAt: number }): Promise<string> {
    const streamId = assertStreamId(input.streamId);
    const message = JSON.stringify(input.message ?? null);
    return this.db.write(async (c) => {
      // Appends to one stream take turns (until commit): pos is max + 1 without a race,
      // and the seq drawn after the lock orders the stream's ids as its positions.
      await c.run('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey(this.db.schema, `stream:${streamId}`)]);
      const pos = ((await c.get<{ pos: number | null }>('SELECT max(pos) AS pos FROM stream_events WHERE stream_id = $1', [streamId]))!.pos ?? 0) + 1;
      const seq = (await c.get<{ seq: number }>(
        'INSERT INTO stream_events (stream_id, pos, message, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING seq',
        [streamId, pos, message, input.now, input.expiresAt],
      ))!.seq;
      // The cap, in the append's own step: usually deletes the one event that fell off.
      await c.run('DELETE FROM stream_events WHERE stream_id = $1 AND pos <= $2', [streamId, pos - STREAM_EVENTS_PER_STREAM]);
      return encodeStreamEventId(seq, streamId);
    });
  }

  async after(eventId: string, limit: number): Promise<{ streamId: string; events: StreamEvent[] } | null> {
    const id = decodeStreamEventId(eventId);
    if (!id) {
      await this.db.query('SELECT 1', [], { idempotent: true });
      return null;
    }
    // One row per event after the start (a single row of NULLs when none), none at all
    // when the start event is unknown or pruned.
    const rows = await this.db.query<{ seq: number | null; message: string | null }>(
      `SELECT e.seq, e.message FROM (SELECT pos FROM stream_events WHERE seq = $1 AND stream_id = $2) s
       LEFT JOIN LATERAL (SELECT seq, pos, message FROM stream_events WHERE stream_id = $2 AND pos > s.pos ORDER BY pos LIMIT $3) e ON true
       ORDER BY e.pos`,
      [id.seq, id.streamId, pageLimit(limit)],
      { idempotent: true },
    );
    if (rows.length === 0) return null;
    const events = rows.filter((r) => r.seq !== null).map((r) => ({ eventId: encodeStreamEventId(r.seq!, id.streamId), message: JSON.parse(r.message!) as unknown }));
    return { streamId: id.streamId, events };
  }

  async deleteExpired(now: number, limit: number): Promise<number> {
    return this.db.run('DELETE FROM stream_events WHERE seq IN (SELECT seq FROM stream_events WHERE expires_at <= $1 ORDER BY expires_at, seq LIMIT $2)', [now, pageLimit(limit)]);
  }
}
