import { z } from 'zod';
import { ID_MAX } from '../schemas.js';
import { defineTool } from '../tool.js';
import { erasureReceiptShape, hasAdminScope, renderReceipt } from './forget-actor.js';

export const forgetEvent = defineTool({
  name: 'forget_event',
  title: 'Erase one event and what came from it',
  description:
    'Erase one short-term event for good — a wrong or sensitive statement — with everything derived from it: records citing it lose it as a source ' +
    '(deleted when no source is left, re-derived from the others otherwise; the session summary is rewritten without it), and the search index forgets it. ' +
    'Cannot be undone. Allowed for the actor who recorded it, or a credential with the admin scope. Event ids are on the timeline and session event resources. ' +
    'Returns a receipt kept at longhaul://erasures/{erasureId} (never the erased text).',
  input: {
    eventId: z.string().min(1).max(ID_MAX).describe('Id of the event to erase (evt_…)'),
  },
  output: erasureReceiptShape,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  handler: (caller, args, { app, extra }) => app.runtime.erasure.forgetEvent({ caller, admin: hasAdminScope(extra) }, args.eventId),
  render: renderReceipt,
});
