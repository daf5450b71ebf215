import { parseNamespace } from '../domain/namespace.js';
import { signalAttachmentUri, taskUri } from '../runtime/views.js';

/** Builders for the `longhaul://` URIs of DESIGN's resource list. */
export const uris = {
  investigation: (id: string) => `longhaul://investigations/${id}`,
  timeline: (id: string) => `longhaul://investigations/${id}/timeline`,
  report: (id: string) => `longhaul://investigations/${id}/report`,
  task: taskUri,
  signalAttachment: signalAttachmentUri,
  session: (id: string) => `longhaul://sessions/${id}`,
  sessionEvents: (id: string) => `longhaul://sessions/${id}/events`,
  memory: (namespace: string) => `longhaul://memory/${namespace}`,
  inbox: () => 'longhaul://inbox',
};

/** What a `longhaul://` URI names, for subscriptions. */
export type UriTarget =
  | { kind: 'investigation' | 'timeline' | 'report'; investigationId: string }
  /** One filing: it never changes once filed, so a subscription is accepted and never notified. */
  | { kind: 'report_filing'; investigationId: string; reportId: string }
  | { kind: 'task'; investigationId: string; taskId: string }
  /** A delivered file never changes, so a subscription is accepted and never notified. */
  | { kind: 'signal_attachment'; investigationId: string; signalId: string; index: string }
  | { kind: 'session' | 'session_events'; sessionId: string }
  | { kind: 'inbox' }
  /** `prefix` is '' for the whole tenant's memory. */
  | { kind: 'memory'; prefix: string };

const INVESTIGATION = /^longhaul:\/\/investigations\/([^/?#]+)(?:\/(timeline|report))?\/?$/;
const REPORT_FILING = /^longhaul:\/\/investigations\/([^/?#]+)\/reports\/([^/?#]+)\/?$/;
const TASK = /^longhaul:\/\/investigations\/([^/?#]+)\/tasks\/([^/?#]+)\/?$/;
const SIGNAL_ATTACHMENT = /^longhaul:\/\/investigations\/([^/?#]+)\/signals\/([^/?#]+)\/attachments\/([^/?#]+)\/?$/;
const SESSION = /^longhaul:\/\/sessions\/([^/?#]+)(?:\/(events))?\/?$/;
const MEMORY = /^longhaul:\/\/memory(?:\/(.*))?$/;

/**
 * Parses a `longhaul://` URI (a query string, if any, is ignored), or returns null when
 * it names none of the resources. Throws InvalidInputError for a malformed memory
 * namespace (`..`, wildcards, …). Ids are checked by whoever loads them.
 */
export function parseLonghaulUri(uri: string): UriTarget | null {
  const base = uri.split(/[?#]/, 1)[0] ?? '';
  let m = INVESTIGATION.exec(base);
  if (m) {
    const kind = m[2] === 'timeline' ? 'timeline' : m[2] === 'report' ? 'report' : 'investigation';
    return { kind, investigationId: m[1]! };
  }
  m = REPORT_FILING.exec(base);
  if (m) return { kind: 'report_filing', investigationId: m[1]!, reportId: m[2]! };
  m = TASK.exec(base);
  if (m) return { kind: 'task', investigationId: m[1]!, taskId: m[2]! };
  m = SIGNAL_ATTACHMENT.exec(base);
  if (m) return { kind: 'signal_attachment', investigationId: m[1]!, signalId: m[2]!, index: m[3]! };
  m = SESSION.exec(base);
  if (m) return m[2] ? { kind: 'session_events', sessionId: m[1]! } : { kind: 'session', sessionId: m[1]! };
  if (base === 'longhaul://inbox' || base === 'longhaul://inbox/') return { kind: 'inbox' };
  m = MEMORY.exec(base);
  if (m) {
    const raw = m[1] ?? '';
    if (raw === '' || raw === '/') return { kind: 'memory', prefix: '' };
    return { kind: 'memory', prefix: parseNamespace(raw, 'memory namespace') };
  }
  return null;
}
