/**
 * Entity ⇄ row mapping: one column list per table gives the INSERT and UPDATE
 * statements and both conversions, so a field can't be written under one name and
 * read under another. `json` columns hold JSON text (`undefined` is stored as null);
 * `bool` columns hold 0/1; `auto` columns are assigned by SQLite and never written.
 */
import type { MemoryEvent } from '../../../domain/event.js';
import type { Investigation } from '../../../domain/investigation.js';
import type { ExtractionCheckpoint, MemoryRecord } from '../../../domain/record.js';
import type { InboxItem, Report } from '../../../domain/report.js';
import type { Session } from '../../../domain/session.js';
import type { Signal, Task, Wait } from '../../../domain/task.js';

interface Column {
  col: string;
  field: string;
  kind?: 'json' | 'bool' | 'auto';
}

export type Row = Record<string, unknown>;

export class Codec<T> {
  readonly insertSql: string;
  readonly updateSql: string;

  constructor(
    readonly table: string,
    private readonly columns: readonly Column[],
    keyFields: readonly string[] = ['tenantId', 'id'],
  ) {
    const writable = columns.filter((c) => c.kind !== 'auto');
    this.insertSql = `INSERT INTO ${table} (${writable.map((c) => c.col).join(', ')}) VALUES (${writable.map((c) => '@' + c.field).join(', ')})`;
    const keys = columns.filter((c) => keyFields.includes(c.field));
    this.updateSql = `UPDATE ${table} SET ${writable
      .filter((c) => !keyFields.includes(c.field))
      .map((c) => `${c.col} = @${c.field}`)
      .join(', ')} WHERE ${keys.map((c) => `${c.col} = @${c.field}`).join(' AND ')}`;
  }

  /** Named parameters for insertSql / updateSql. */
  params(entity: T): Row {
    const e = entity as unknown as Row;
    const out: Row = {};
    for (const c of this.columns) {
      if (c.kind === 'auto') continue;
      const v = e[c.field];
      out[c.field] = c.kind === 'json' ? JSON.stringify(v === undefined ? null : v) : c.kind === 'bool' ? (v ? 1 : 0) : v === undefined ? null : v;
    }
    return out;
  }

  /** The row that `params` writes (named by column), for reading back what was written. */
  toRow(params: Row): Row {
    const row: Row = {};
    for (const c of this.columns) row[c.col] = params[c.field];
    return row;
  }

  fromRow(row: Row): T {
    const out: Row = {};
    for (const c of this.columns) {
      const v = row[c.col];
      out[c.field] = c.kind === 'json' ? (v === null || v === undefined ? null : JSON.parse(v as string)) : c.kind === 'bool' ? v === 1 : v;
    }
    return out as T;
  }
}

const cols = (spec: string): Column[] =>
  spec
    .trim()
    .split(/\s+/)
    .map((s) => {
      const [col, kind] = s.split(':') as [string, Column['kind']?];
      return { col, field: col.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase()), kind };
    });

export const investigations = new Codec<Investigation>(
  'investigations',
  cols('tenant_id id actor_id subject objective status outcome summary deadline overdue_at created_at updated_at closed_at version'),
);

export const sessions = new Codec<Session>(
  'sessions',
  cols(
    'tenant_id id actor_id kind role investigation_id task_id status termination_reason started_at last_activity_at terminated_at idle_timeout_ms max_duration_ms inflight due_at version',
  ),
);

export const tasks = new Codec<Task>(
  'tasks',
  cols(
    'tenant_id id investigation_id role instructions status wait_for:json wake_reason run_at lease_owner lease_until attempts result:json error created_by created_at updated_at finished_at version',
  ),
);

export const waits = new Codec<Wait>('waits', cols('tenant_id id investigation_id task_id signal status created_at deadline resolved_at signal_id'));

export const signals = new Codec<Signal>('signals', cols('tenant_id id investigation_id name payload:json idempotency_key received_at actor_id'));

export const events = new Codec<MemoryEvent>(
  'events',
  cols('seq:auto tenant_id id session_id investigation_id actor_id role kind text data:json created_at expires_at'),
);

export const checkpoints = new Codec<ExtractionCheckpoint>('checkpoints', cols('tenant_id session_id through_seq last_run_at last_error due_at'), ['tenantId', 'sessionId']);

export const records = new Codec<MemoryRecord>(
  'records',
  cols(
    'tenant_id id namespace strategy text text_key topic_key status superseded_by source_event_ids:json session_id investigation_id actor_id created_at updated_at',
  ),
);

export const reports = new Codec<Report>('reports', cols('tenant_id id investigation_id task_id complete:bool title markdown created_at'));

export const inbox = new Codec<InboxItem>('inbox', cols('tenant_id id investigation_id kind title detail task_id report_id created_at'));
