/**
 * Entity ⇄ row mapping for PostgreSQL: one column list per table gives the INSERT and
 * UPDATE statements (positional parameters) and both conversions, so a field can't be
 * written under one name and read under another. `json` columns hold JSON text
 * (`undefined` is stored as null), `bool` columns booleans, `auto` columns are assigned
 * by the database and never written.
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
  private readonly writable: readonly Column[];
  private readonly updateOrder: readonly Column[];

  constructor(
    readonly table: string,
    private readonly columns: readonly Column[],
    keyFields: readonly string[] = ['tenantId', 'id'],
  ) {
    this.writable = columns.filter((c) => c.kind !== 'auto');
    this.insertSql = `INSERT INTO ${table} (${this.writable.map((c) => c.col).join(', ')}) VALUES (${this.writable.map((_, i) => `$${i + 1}`).join(', ')})`;
    const sets = this.writable.filter((c) => !keyFields.includes(c.field));
    const keys = this.writable.filter((c) => keyFields.includes(c.field));
    this.updateOrder = [...sets, ...keys];
    this.updateSql = `UPDATE ${table} SET ${sets.map((c, i) => `${c.col} = $${i + 1}`).join(', ')} WHERE ${keys.map((c, i) => `${c.col} = $${sets.length + i + 1}`).join(' AND ')}`;
  }

  /** Every column of the entity, for a SELECT list (`alias.` prefixed when given). */
  selectList(alias?: string): string {
    return this.columns.map((c) => (alias ? `${alias}.${c.col}` : c.col)).join(', ');
  }

  /** Column names written by insertSql, in parameter order. */
  get insertColumns(): string[] {
    return this.writable.map((c) => c.col);
  }

  private value(e: Row, c: Column): unknown {
    const v = e[c.field];
    return c.kind === 'json' ? JSON.stringify(v === undefined ? null : v) : c.kind === 'bool' ? !!v : v === undefined ? null : v;
  }

  /** Parameters of insertSql. */
  insertParams(entity: T): unknown[] {
    return this.writable.map((c) => this.value(entity as unknown as Row, c));
  }

  /** Parameters of updateSql. */
  updateParams(entity: T): unknown[] {
    return this.updateOrder.map((c) => this.value(entity as unknown as Row, c));
  }

  /** The entity as it reads back after a write (JSON round-tripped, undefined → null). */
  stored(entity: T): T {
    const row: Row = {};
    for (const c of this.columns) {
      if (c.kind === 'auto') {
        row[c.col] = (entity as unknown as Row)[c.field];
        continue;
      }
      const v = this.value(entity as unknown as Row, c);
      row[c.col] = v;
    }
    return this.fromRow(row);
  }

  fromRow(row: Row): T {
    const out: Row = {};
    for (const c of this.columns) {
      const v = row[c.col];
      out[c.field] = c.kind === 'json' ? (v === null || v === undefined ? null : JSON.parse(v as string)) : c.kind === 'bool' ? v === true : v === undefined ? null : v;
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
