export type Strategy = 'summary' | 'facts' | 'preferences' | 'report';
export type RecordStatus = 'active' | 'superseded';

/** Long-term memory: extracted text in a namespace, with the events it came from. */
export interface MemoryRecord {
  id: string;
  tenantId: string;
  namespace: string;
  strategy: Strategy;
  text: string;
  /** Normalised text key; duplicates consolidate on it. */
  textKey: string;
  /** Optional subject key: a newer record with the same key supersedes an older one. */
  topicKey: string | null;
  status: RecordStatus;
  supersededBy: string | null;
  sourceEventIds: string[];
  sessionId: string | null;
  investigationId: string | null;
  actorId: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface ScoredRecord {
  record: MemoryRecord;
  /** Higher is better. bm25 on SQLite, normalised to positive. */
  score: number;
}

/** Per-session extraction progress, visible on `longhaul://sessions/{id}`. */
export interface ExtractionCheckpoint {
  tenantId: string;
  sessionId: string;
  /** Highest event seq already extracted. */
  throughSeq: number;
  lastRunAt: number | null;
  lastError: string | null;
  /** Set when a session has new events or terminated; indexed for the extraction job. */
  dueAt: number | null;
}
