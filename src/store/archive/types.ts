/**
 * What an archive holds, row by row, as the store port exports and imports it
 * (StorePort.exportRows / importRows): domain entities, adapter-neutral. The file format
 * around them (header, base64 chunks of attachments, trailer) is ./format.ts.
 */
import type { ErasureReceipt } from '../../domain/erasure.js';
import type { MemoryEvent } from '../../domain/event.js';
import type { Investigation } from '../../domain/investigation.js';
import type { ExtractionCheckpoint, MemoryRecord } from '../../domain/record.js';
import type { InboxItem, Report } from '../../domain/report.js';
import type { Session } from '../../domain/session.js';
import type { Signal, SignalAttachment, Task, Wait } from '../../domain/task.js';

/** One attachment of a signal with its bytes (at most the attachment limit, 5 MiB). */
export interface AttachmentRow {
  tenantId: string;
  signalId: string;
  meta: SignalAttachment;
  content: Uint8Array;
}

/** What an investigation's signals hold (count and bytes), as deliverSignal keeps it. */
export interface SignalTotalRow {
  tenantId: string;
  investigationId: string;
  count: number;
  bytes: number;
}

export type ArchiveRow =
  | { t: 'investigation'; row: Investigation }
  | { t: 'session'; row: Session }
  | { t: 'task'; row: Task }
  | { t: 'wait'; row: Wait }
  | { t: 'signal'; row: Signal }
  | { t: 'attachment'; row: AttachmentRow }
  | { t: 'signal_total'; row: SignalTotalRow }
  /** Before the events: an import translates throughSeq to the seqs the events get (see ./import.ts). */
  | { t: 'checkpoint'; row: ExtractionCheckpoint }
  | { t: 'event'; row: MemoryEvent }
  | { t: 'record'; row: MemoryRecord }
  | { t: 'report'; row: Report }
  | { t: 'inbox'; row: InboxItem }
  | { t: 'erasure'; row: ErasureReceipt };

export type ArchiveRowType = ArchiveRow['t'];

/** Every row type, in the order an export writes them (dependency order: an import never meets a row before what it points at). */
export const ARCHIVE_ROW_TYPES: readonly ArchiveRowType[] = [
  'investigation',
  'session',
  'task',
  'wait',
  'signal',
  'attachment',
  'signal_total',
  'checkpoint',
  'event',
  'record',
  'report',
  'inbox',
  'erasure',
];

/**
 * What one importRows batch wrote: how many rows were new (the rest already existed and
 * were left as they were), and for every event row of the batch, in order, the seq it has
 * in this store (new, or the one it already had).
 */
export interface ImportBatchResult {
  inserted: number;
  skipped: number;
  eventSeqs: number[];
}
