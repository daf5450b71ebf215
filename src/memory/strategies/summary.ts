import { iso } from '../../domain/clock.js';
import type { EventKind, MemoryEvent } from '../../domain/event.js';
import type { Session } from '../../domain/session.js';
import type { Model } from '../../runtime/model.js';
import { clip } from '../text.js';
import { MAX_RECORD_TEXT } from './types.js';

/** The sections a summary lists, in order, with the event kinds each draws on. */
export const SUMMARY_SECTIONS = [
  { title: 'Findings', kinds: ['finding', 'fact'] },
  { title: 'Decisions', kinds: ['decision'] },
  { title: 'Signals', kinds: ['signal'] },
  { title: 'Outcomes', kinds: ['status'] },
  // Counted, never quoted: a summary is shared by the tenant's actors, while preferences
  // are the actor's private memory (actors/{actorId}/preferences).
  { title: 'Preferences', kinds: ['preference'], private: true },
] as const satisfies ReadonlyArray<{ title: string; kinds: readonly EventKind[]; private?: boolean }>;

const isPrivate = (section: (typeof SUMMARY_SECTIONS)[number]) => 'private' in section && section.private;

/** Lines per section and characters per line: a summary stays a summary whatever the session's size. */
export const SUMMARY_ITEMS = 5;
const ITEM_CHARS = 160;

/** What the summary is built from: read by extraction, bounded (newest items of each section). */
export interface SessionDigest {
  session: Session;
  totalEvents: number;
  /** Per section (same order as SUMMARY_SECTIONS): the newest items (newest first) and how many there are. */
  sections: Array<{ items: MemoryEvent[]; total: number }>;
  /** The newest conversational events, newest first — context for a model only. */
  recentMessages: MemoryEvent[];
}

const SYSTEM =
  'You maintain the long-term memory of an investigation assistant. Summarise a work session ' +
  'in at most 150 words of plain prose: what was looked at, what was found, what was decided, ' +
  'which signals arrived and how it ended. Keep every name, number, date and id exactly. ' +
  'Do not invent anything that is not in the notes.';

/**
 * `summary`: one record per session (`sessions/{id}/summary`), refreshed as the session
 * grows and when it terminates. Deterministic: a header (who, which investigation,
 * how many events, when, how it ended) and the findings, decisions, signals and outcomes
 * it recorded — newest items, with counts — and how many preferences (never their text:
 * the summary is shared in the tenant, preferences are the actor's own). With a model: prose written
 * from that digest and the latest messages. Returns the text and the events it cites.
 */
export async function summarizeSession(d: SessionDigest, model: Model | null): Promise<{ text: string; sourceEventIds: string[] }> {
  const digest = deterministicSummary(d);
  const sourceEventIds = d.sections.flatMap((s, i) => (SUMMARY_SECTIONS[i] && isPrivate(SUMMARY_SECTIONS[i]) ? [] : s.items.map((e) => e.id)));
  if (!model) return { text: digest, sourceEventIds };
  const messages = [...d.recentMessages].reverse().map((e) => `- ${e.role}: ${clip(e.text, 300)}`);
  const prompt = `Session notes:\n${digest}${messages.length ? `\n\nLatest messages (oldest first):\n${messages.join('\n')}` : ''}\n\nWrite the summary.`;
  const text = await model.complete({ system: SYSTEM, prompt, maxTokens: 400 });
  return { text: clip(text, MAX_RECORD_TEXT), sourceEventIds };
}

export function deterministicSummary(d: SessionDigest): string {
  const s = d.session;
  const who = s.kind === 'worker' ? `${s.role ?? 'worker'} worker${s.taskId ? ` on task ${s.taskId}` : ''}` : 'supervisor';
  const where = s.investigationId ? ` of investigation ${s.investigationId}` : '';
  const end = s.status === 'terminated' ? `terminated (${s.terminationReason ?? 'unknown'}) at ${iso(s.terminatedAt ?? s.lastActivityAt)}` : `${s.status}, last activity ${iso(s.lastActivityAt)}`;
  const lines = [`Session ${s.id}: ${who}${where}, actor ${s.actorId}; ${d.totalEvents} event${d.totalEvents === 1 ? '' : 's'} since ${iso(s.startedAt)}; ${end}.`];
  SUMMARY_SECTIONS.forEach((section, i) => {
    const got = d.sections[i];
    if (!got || got.total === 0) return;
    if (isPrivate(section)) {
      lines.push(`${section.title}: ${got.total} recorded, kept in the actor's private memory.`);
      return;
    }
    lines.push(`${section.title} (${got.total}):`);
    // Stored newest first; a summary reads in order.
    for (const e of [...got.items].reverse()) lines.push(`- ${clip(e.text, ITEM_CHARS)}`);
    if (got.total > got.items.length) lines.push(`- …and ${got.total - got.items.length} earlier.`);
  });
  if (lines.length === 1) lines.push('Nothing notable recorded yet (no findings, decisions, signals or outcomes).');
  const text = lines.join('\n');
  return text.length > MAX_RECORD_TEXT ? text.slice(0, MAX_RECORD_TEXT - 1) + '…' : text;
}
