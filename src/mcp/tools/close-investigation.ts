import { z } from 'zod';
import { LIMITS } from '../../runtime/limits.js';
import { investigationIdInput, investigationOutcome, investigationSchema } from '../schemas.js';
import { defineTool } from '../tool.js';

export const closeInvestigation = defineTool({
  name: 'close_investigation',
  title: 'Close an investigation',
  description:
    'End an investigation for good: cancels its open tasks and waits, terminates its sessions, and records the outcome (completed, inconclusive or cancelled) with an optional summary. ' +
    'It cannot be reopened, and signals can no longer be delivered to it. Use it only when the work is done or abandoned.',
  input: {
    investigationId: investigationIdInput,
    outcome: investigationOutcome.describe('completed (objective met), inconclusive (done without an answer) or cancelled (abandoned)'),
    summary: z
      .string()
      .min(1, { error: 'summary is empty (omit it or say what was concluded)' })
      .max(LIMITS.summary, { error: `summary is longer than ${LIMITS.summary} characters (shorten it)` })
      .optional()
      .describe(`What was concluded (≤ ${LIMITS.summary} characters)`),
  },
  output: {
    investigation: investigationSchema,
    cancelledTasks: z.array(z.string()).describe('Ids of the tasks cancelled'),
    terminatedSessions: z.array(z.string()).describe('Ids of the sessions terminated'),
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  handler: (caller, args, { app }) => app.runtime.investigations.close(caller, args),
  render: (r) =>
    `Closed ${r.investigation.investigationId} (${r.investigation.outcome}). Cancelled ${r.cancelledTasks.length} task(s), terminated ${r.terminatedSessions.length} session(s).`,
});
