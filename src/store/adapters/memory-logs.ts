/**
 * The memory store's two logs — the change log and resumable-stream events — kept apart
 * from its tenant data. In one process there is no one else to follow the change log,
 * but the memory store must behave as the SQLite one does (the contract suite holds
 * both to it), so that code written against one works on the other.
 */
import { STREAM_EVENTS_PER_STREAM, type ChangeLogEntry, type ChangeLogInput, type StreamEvent } from '../port.js';
import { assertStreamId, checkedChangeEntry, decodeStreamEventId, encodeStreamEventId, pageLimit } from './common.js';

// Through JSON, as the SQLite log stores them: copies, never the caller's objects.
const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** The change log as an array in seq order; seqs are never reused, as on SQLite. */
export class MemoryChangeLog {
  private rows: ChangeLogEntry[] = [];
  private seq = 0;

  append(entries: readonly ChangeLogInput[]): number {
    const checked = entries.map(checkedChangeEntry);
    for (const e of checked) this.rows.push(copy({ seq: ++this.seq, origin: e.origin, change: e.change, at: e.at }));
    return checked.length ? this.seq : 0;
  }

  after(seq: number, limit: number): ChangeLogEntry[] {
    // Rows are in seq order: find the first past `seq` by bisection.
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rows[mid]!.seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return this.rows.slice(lo, lo + pageLimit(limit)).map(copy);
  }

  last(): number {
    return this.seq;
  }

  deleteBefore(at: number, limit: number): number {
    const n = pageLimit(limit);
    const keep: ChangeLogEntry[] = [];
    let deleted = 0;
    for (const r of this.rows) {
      if (deleted < n && r.at < at) deleted++;
      else keep.push(r);
    }
    this.rows = keep;
    return deleted;
  }
}

interface StoredStreamEvent {
  seq: number;
  /** JSON text: stored as SQLite stores it, so a caller's later mutation changes nothing. */
  message: string;
  expiresAt: number;
}

/** Resumable-stream events: per stream, its events in seq order (at most STREAM_EVENTS_PER_STREAM). */
export class MemoryStreamEvents {
  private readonly streams = new Map<string, StoredStreamEvent[]>();
  private seq = 0;

  append(input: { streamId: string; message: unknown; now: number; expiresAt: number }): string {
    const streamId = assertStreamId(input.streamId);
    const message = JSON.stringify(input.message ?? null);
    let events = this.streams.get(streamId);
    if (!events) this.streams.set(streamId, (events = []));
    const seq = ++this.seq;
    events.push({ seq, message, expiresAt: input.expiresAt });
    if (events.length > STREAM_EVENTS_PER_STREAM) events.splice(0, events.length - STREAM_EVENTS_PER_STREAM);
    return encodeStreamEventId(seq, streamId);
  }

  after(eventId: string, limit: number): { streamId: string; events: StreamEvent[] } | null {
    const id = decodeStreamEventId(eventId);
    const events = id && this.streams.get(id.streamId);
    if (!id || !events) return null;
    const at = events.findIndex((e) => e.seq === id.seq);
    if (at < 0) return null;
    return {
      streamId: id.streamId,
      events: events.slice(at + 1, at + 1 + pageLimit(limit)).map((e) => ({ eventId: encodeStreamEventId(e.seq, id.streamId), message: JSON.parse(e.message) as unknown })),
    };
  }

  deleteExpired(now: number, limit: number): number {
    // Oldest expiry first across streams, as the SQLite index reads them.
    const due = [...this.streams.entries()]
      .flatMap(([streamId, events]) => events.filter((e) => e.expiresAt <= now).map((e) => ({ streamId, e })))
      .sort((a, b) => a.e.expiresAt - b.e.expiresAt || a.e.seq - b.e.seq)
      .slice(0, pageLimit(limit));
    for (const { streamId, e } of due) {
      const events = this.streams.get(streamId)!;
      events.splice(events.indexOf(e), 1);
      if (events.length === 0) this.streams.delete(streamId);
    }
    return due.length;
  }
}
