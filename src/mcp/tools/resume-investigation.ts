import { z } from 'zod';
import { briefingSchema, investigationIdInput } from '../schemas.js';
import { investigationAppToolMeta } from '../../ui/app-resource.js';
import { defineTool } from '../tool.js';

export const resumeInvestigation = defineTool({
  name: 'resume_investigation',
  title: 'Resume an investigation',
  description:
    'Continue an investigation in a new chat: opens a new supervisor session (your previous one ends; sessions never come back) and returns a briefing of what happened since your last session — ' +
    'tasks finished, signals received, waits that timed out, reports filed — plus open tasks and waits and the long-term memory that matters. Use it first whenever you pick up existing work.',
  input: { investigationId: investigationIdInput },
  output: {
    investigationId: z.string().describe('The investigation'),
    sessionId: z.string().nullable().describe('Your new supervisor session, or null when the investigation is closed'),
    briefing: briefingSchema,
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  _meta: investigationAppToolMeta,
  handler: (caller, args, { app }) => app.runtime.resume(caller, args.investigationId),
  render: (r) => (r.sessionId ? `Supervisor session ${r.sessionId}.\n\n` : 'The investigation is closed; no session opened.\n\n') + r.briefing.text,
});
