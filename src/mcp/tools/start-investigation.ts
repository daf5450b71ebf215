import { z } from 'zod';
import { LIMITS } from '../../runtime/limits.js';
import { investigationSchema, instructionsInput, roleInput, taskSchema, waitForInput, waitSchema } from '../schemas.js';
import { investigationAppToolMeta } from '../../ui/app-resource.js';
import { defineTool } from '../tool.js';
import { uris } from '../uris.js';
import { WRITE, taskLine } from './render.js';

export const startInvestigation = defineTool({
  name: 'start_investigation',
  title: 'Start an investigation',
  description:
    'Open a new long-running investigation (hours to weeks) about a subject, with a supervisor session for you, and optionally delegate its first tasks to worker roles ' +
    '("retrieval" searches the document sources and memory; "compliance" checks evidence and files a report, typically waiting for a signal such as "bank_data" with a timeout such as "3d"). ' +
    'Use it once per new subject; to continue existing work use resume_investigation (list_investigations finds it). ' +
    'The work continues after this chat ends: waits survive restarts and resolve when submit_signal delivers their signal.',
  input: {
    subject: z
      .string()
      .min(1, { error: 'subject is empty (name what is investigated, e.g. "TechCorp")' })
      .max(LIMITS.subject, { error: `subject is longer than ${LIMITS.subject} characters (keep it short; put detail in objective)` })
      .describe(`What is investigated, e.g. a company name (≤ ${LIMITS.subject} characters)`),
    objective: z
      .string()
      .min(1, { error: 'objective is empty (say what the investigation must establish)' })
      .max(LIMITS.objective, { error: `objective is longer than ${LIMITS.objective} characters (shorten it)` })
      .describe(`What the investigation must establish (≤ ${LIMITS.objective} characters)`),
    tasks: z
      .array(
        z
          .object({ role: roleInput, instructions: instructionsInput, waitFor: waitForInput.optional() })
          .describe('A task for a worker role'),
      )
      .max(LIMITS.tasksPerStart, { error: `tasks has more than ${LIMITS.tasksPerStart} items (delegate_task adds more later)` })
      .optional()
      .describe(`Tasks to delegate right away (≤ ${LIMITS.tasksPerStart}); delegate_task adds more later`),
    deadline: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe('Optional overall deadline: a duration from now (P14D, 14d) or a future ISO 8601 timestamp'),
  },
  output: {
    investigation: investigationSchema,
    sessionId: z.string().describe('Your supervisor session on it (ses_…); record_event can use it'),
    tasks: z.array(taskSchema).describe('The tasks created'),
    waits: z.array(waitSchema).describe('Their waits (a wait already resolved by an earlier signal shows as resolved)'),
  },
  annotations: WRITE,
  _meta: investigationAppToolMeta,
  handler: (caller, args, { app }) => app.runtime.investigations.start(caller, args),
  render: (r) =>
    [
      `Opened investigation ${r.investigation.investigationId} "${r.investigation.subject}" (supervisor session ${r.sessionId}).`,
      r.tasks.length ? `Tasks:\n${r.tasks.map((t) => taskLine(t, r.waits)).join('\n')}` : 'No tasks yet; use delegate_task.',
      `State: ${uris.investigation(r.investigation.investigationId)}`,
    ].join('\n'),
});
