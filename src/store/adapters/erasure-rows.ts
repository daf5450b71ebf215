/**
 * The `erasures` table (SQLite migration 10, PostgreSQL migration 4) ⇄ ErasureReceipt,
 * the same on both adapters: one column list, one conversion each way.
 */
import { EMPTY_ERASURE_COUNTS, type ErasureCounts, type ErasureReceipt } from '../../domain/erasure.js';

export const ERASURE_COLUMNS = ['tenant_id', 'id', 'subject_kind', 'subject_id', 'requested_by', 'counts', 'created_at'] as const;

/** The receipt's values in ERASURE_COLUMNS order (counts as JSON text). */
export function erasureValues(r: ErasureReceipt): unknown[] {
  const subjectId = r.subject.kind === 'actor' ? r.subject.actorId : r.subject.eventId;
  return [r.tenantId, r.id, r.subject.kind, subjectId, r.requestedBy, JSON.stringify(r.counts), r.createdAt];
}

export function erasureFromRow(row: Record<string, unknown>): ErasureReceipt {
  const kind = row.subject_kind as 'actor' | 'event';
  const subjectId = String(row.subject_id);
  const counts = { ...EMPTY_ERASURE_COUNTS, ...(JSON.parse(String(row.counts)) as Partial<ErasureCounts>) };
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    subject: kind === 'actor' ? { kind, actorId: subjectId } : { kind: 'event', eventId: subjectId },
    requestedBy: String(row.requested_by),
    createdAt: Number(row.created_at),
    counts,
  };
}
