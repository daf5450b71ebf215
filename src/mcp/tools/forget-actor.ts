import { z } from 'zod';
import type { RequestExtra } from '../context.js';
import { ID_MAX } from '../schemas.js';
import { defineTool } from '../tool.js';

/** The `admin` scope of an HTTP credential (stdio callers have none: they erase only their own data). */
export const hasAdminScope = (extra: RequestExtra): boolean => extra.authInfo?.scopes?.includes('admin') === true;

const count = (what: string) => z.number().int().min(0).describe(what);

/** An erasure receipt as forget_actor and forget_event return it (no erased content, ever). */
export const erasureReceiptShape = {
  erasureId: z.string().describe('Id of the receipt (era_…)'),
  uri: z.string().describe('Where the receipt stays readable: longhaul://erasures/{erasureId}'),
  subject: z
    .object({
      kind: z.enum(['actor', 'event']).describe('What was erased: an actor and everything of theirs, or one event'),
      actorId: z.string().optional().describe('The actor erased (kind actor)'),
      eventId: z.string().optional().describe('The event erased (kind event)'),
    })
    .describe('What the erasure was asked to remove'),
  requestedBy: z.string().describe('Who asked for it (an actor id, or cli:<user> from the command line)'),
  erasedAt: z.string().describe('When (ISO 8601)'),
  counts: z
    .object({
      events: count('Events deleted from the store'),
      recordsDeleted: count('Memory records deleted (no source left, or private to the actor)'),
      recordsRevised: count('Records kept with their other sources, erased sources dropped and text re-derived where it came from an erased event'),
      summariesRewritten: count('Session summaries rewritten from the events that remain'),
      changeLogRows: count('Change-log rows naming what was erased'),
      kvEntries: count('Cached entries naming what was erased'),
      memoryEvents: count('Events deleted from the external memory (AgentCore); 0 with the built-in memory'),
      memoryRecords: count('Records deleted from the external memory (AgentCore)'),
    })
    .describe('How much was removed or rewritten'),
};

export const renderReceipt = (r: { erasureId: string; counts: Record<string, number>; uri: string }) =>
  `Erased: ${r.counts.events} events, ${r.counts.recordsDeleted} records deleted, ${r.counts.recordsRevised} revised, ${r.counts.summariesRewritten} summaries rewritten. Receipt ${r.erasureId} (${r.uri}).`;

export const forgetActor = defineTool({
  name: 'forget_actor',
  title: 'Erase an actor everywhere',
  description:
    'Erase everything about one person (an actor leaving, a data-subject request): their events, their private memory (actors/{actorId}/…), ' +
    'and what was derived from their events — records lose those sources (a record left with none is deleted; one with other sources is re-derived from them, ' +
    'summaries rewritten without the erased events) — in the store, the search index and an external memory alike. Cannot be undone. ' +
    'Allowed for the actor themself, or a credential with the admin scope. Returns a receipt (counts, when, by whom; never the erased content), kept at longhaul://erasures/{erasureId}. ' +
    'Investigations, tasks, signals and reports stay: they are the team\'s work.',
  input: {
    actorId: z.string().min(1).max(ID_MAX).describe('The actor to erase: yourself, or anyone with the admin scope'),
  },
  output: erasureReceiptShape,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  handler: (caller, args, { app, extra }) => app.runtime.erasure.forgetActor({ caller, admin: hasAdminScope(extra) }, args.actorId),
  render: renderReceipt,
});
