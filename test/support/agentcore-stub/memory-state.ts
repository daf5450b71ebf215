/** The stub's per-memory state, shared by the event and record routes. */
import type { ExtractableEvent } from './extract.js';
import type { RecordMetadataValue } from './memory-shapes.js';
import type { StubEvent, StubStrategyConfig } from './memory.js';

export interface StoredEvent extends Omit<StubEvent, 'metadata'>, ExtractableEvent {
  metadata?: Record<string, { stringValue: string }>;
  branch?: { name: string; rootEventId?: string };
  skipExtraction: boolean;
  extracted: boolean;
}
export interface StoredRecord {
  memoryRecordId: string;
  namespaces: string[];
  text: string;
  memoryStrategyId?: string;
  metadata?: Record<string, RecordMetadataValue>;
  createdAt: number;
  seq: number;
}
export interface MemoryState {
  id: string;
  expiryMs: number;
  strategies: StubStrategyConfig[];
  events: StoredEvent[];
  records: Map<string, StoredRecord>;
  /** Extraction key → record id, so per-session strategies update their record in place. */
  extractedKeys: Map<string, string>;
  eventTokens: Map<string, { fingerprint: string; event: StoredEvent }>;
  batchTokens: Map<string, { fingerprint: string; response: unknown }>;
  /** CreateEvent arrival times (monotonic ms) per actor and session, for the rate limit. */
  arrivals: Map<string, number[]>;
}
