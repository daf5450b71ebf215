import { iso } from '../domain/clock.js';
import type { MemoryRecord } from '../domain/record.js';

/** Characters of record text in a search hit or a listing; the whole text is one read away. */
export const PREVIEW_CHARS = 1_000;
/** Source event ids shown on a record view; the record read pages through all of them. */
const SOURCE_IDS_SHOWN = 20;

const preview = (text: string) => (text.length > PREVIEW_CHARS ? { text: text.slice(0, PREVIEW_CHARS - 1) + '…', truncated: true } : { text, truncated: false });

/** A record as listings and search return it: bounded text, counts, links. */
export const recordSummaryView = (r: MemoryRecord) => ({
  recordId: r.id,
  namespace: r.namespace,
  strategy: r.strategy,
  ...preview(r.text),
  status: r.status,
  supersededBy: r.supersededBy,
  sourceCount: r.sourceEventIds.length,
  createdAt: iso(r.createdAt),
  updatedAt: iso(r.updatedAt),
  uri: recordUri(r),
});
export type RecordSummaryView = ReturnType<typeof recordSummaryView>;

/** A record read on its own: full text, topic, where it came from. */
export const recordView = (r: MemoryRecord) => ({
  recordId: r.id,
  namespace: r.namespace,
  strategy: r.strategy,
  text: r.text,
  status: r.status,
  supersededBy: r.supersededBy,
  topicKey: r.topicKey,
  sourceCount: r.sourceEventIds.length,
  sourceEventIds: r.sourceEventIds.slice(0, SOURCE_IDS_SHOWN),
  sessionId: r.sessionId,
  investigationId: r.investigationId,
  actorId: r.actorId,
  createdAt: iso(r.createdAt),
  updatedAt: iso(r.updatedAt),
});
export type RecordView = ReturnType<typeof recordView>;

/** The resource URI that reads one record with its source events. */
export const recordUri = (r: Pick<MemoryRecord, 'id' | 'namespace'>) => `longhaul://memory/${r.namespace}?record=${r.id}`;
