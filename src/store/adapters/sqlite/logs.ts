/**
 * The SQLite store's two logs, apart from its tenant tables: the change log that every
 * process on the file follows (migration 6 says why its seqs are safe to follow), and
 * the events of resumable HTTP streams (migration 7). Each method is one step on `Db`.
 */
import { isChange } from '../../../domain/change.js';
import { STREAM_EVENTS_PER_STREAM, type ChangeLogEntry, type ChangeLogInput, type StreamEvent } from '../../port.js';
import { assertStreamId, checkedChangeEntry, decodeStreamEventId, encodeStreamEventId, pageLimit } from '../common.js';
import { sqlCount, type Db } from './db.js';

export class SqliteChangeLog {
  constructor(private readonly db: Db) {}

  append(entries: readonly ChangeLogInput[]): number {
    const checked = entries.map(checkedChangeEntry);
    if (checked.length === 0) return this.db.read(() => 0);
    return this.db.write(() => {
      let seq = 0;
      for (const e of checked) {
        seq = Number(this.db.run('INSERT INTO change_log (tenant_id, origin, change, at) VALUES (?, ?, ?, ?)', e.change.tenantId, e.origin, JSON.stringify(e.change), e.at).lastInsertRowid);
      }
      return seq;
    });
  }

  after(seq: number, limit: number): ChangeLogEntry[] {
    const rows = this.db.read(() =>
      this.db.all<{ seq: number; origin: string; change: string; at: number }>(`SELECT seq, origin, change, at FROM change_log WHERE seq > ? ORDER BY seq LIMIT ${sqlCount(pageLimit(limit))}`, seq),
    );
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

  last(): number {
    // The highest seq ever handed out (AUTOINCREMENT keeps it in sqlite_sequence), not
    // max(seq): that drops when pruning empties the log, and the port promises the
    // highest seq appended so far, whatever has been pruned since.
    return this.db.read(() => this.db.get<{ seq: number }>(`SELECT seq FROM sqlite_sequence WHERE name = 'change_log'`)?.seq ?? 0);
  }

  deleteBefore(at: number, limit: number): number {
    return this.db.write(
      () => this.db.run(`DELETE FROM change_log WHERE seq IN (SELECT seq FROM change_log WHERE at < ? ORDER BY at, seq LIMIT ${sqlCount(pageLimit(limit))})`, at).changes,
    );
  }
}

export class SqliteStreamEvents {
  constructor(private readonly db: Db) {}

  append(input: { streamId: string; message: unknown; now: number; expiresAt: number }): string {
    const streamId = assertStreamId(input.streamId);
    const message = JSON.stringify(input.message ?? null);
    return this.db.write(() => {
      const pos = (this.db.get<{ pos: number | null }>('SELECT max(pos) AS pos FROM stream_events WHERE stream_id = ?', streamId)!.pos ?? 0) + 1;
      const seq = Number(
        this.db.run('INSERT INTO stream_events (stream_id, pos, message, created_at, expires_at) VALUES (?, ?, ?, ?, ?)', streamId, pos, message, input.now, input.expiresAt).lastInsertRowid,
      );
      // The cap, in the append's own step: usually deletes the one event that fell off.
      this.db.run('DELETE FROM stream_events WHERE stream_id = ? AND pos <= ?', streamId, pos - STREAM_EVENTS_PER_STREAM);
      return encodeStreamEventId(seq, streamId);
    });
  }

  after(eventId: string, limit: number): { streamId: string; events: StreamEvent[] } | null {
    const id = decodeStreamEventId(eventId);
    if (!id) return null;
    return this.db.read(() => {
      const from = this.db.get<{ pos: number }>('SELECT pos FROM stream_events WHERE seq = ? AND stream_id = ?', id.seq, id.streamId);
      if (!from) return null;
      const rows = this.db.all<{ seq: number; message: string }>(
        `SELECT seq, message FROM stream_events WHERE stream_id = ? AND pos > ? ORDER BY pos LIMIT ${sqlCount(pageLimit(limit))}`,
        id.streamId,
        from.pos,
      );
      return { streamId: id.streamId, events: rows.map((r) => ({ eventId: encodeStreamEventId(r.seq, id.streamId), message: JSON.parse(r.message) as unknown })) };
    });
  }

  deleteExpired(now: number, limit: number): number {
    return this.db.write(
      () =>
        this.db.run(`DELETE FROM stream_events WHERE seq IN (SELECT seq FROM stream_events WHERE expires_at <= ? ORDER BY expires_at, seq LIMIT ${sqlCount(pageLimit(limit))})`, now)
          .changes,
    );
  }
}
