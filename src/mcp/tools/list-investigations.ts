import { z } from 'zod';
import { LIMITS } from '../../runtime/limits.js';
import { COUNT_CAP } from '../../runtime/views.js';
import { investigationSchema, investigationStatus } from '../schemas.js';
import { defineTool } from '../tool.js';
import { READ, clip } from './render.js';

export const listInvestigations = defineTool({
  name: 'list_investigations',
  title: 'List investigations',
  description:
    'Find investigations of your tenant, newest first: filter by status (open, closed) and a text query on subject and objective; page with limit and the nextCursor of the previous page. ' +
    'Use it to find the investigationId to resume.',
  input: {
    status: investigationStatus.optional().describe('Only open or only closed investigations'),
    query: z
      .string()
      .max(LIMITS.query, { error: `query is longer than ${LIMITS.query} characters` })
      .optional()
      .describe('Case-insensitive text to find in subject or objective'),
    limit: z
      .number()
      .int({ error: 'limit must be a whole number' })
      .min(1, { error: 'limit must be at least 1' })
      .max(LIMITS.listLimit, { error: `limit must be at most ${LIMITS.listLimit}` })
      .optional()
      .describe(`Page size (1–${LIMITS.listLimit}, default 20)`),
    cursor: z.string().max(1_000).optional().describe('nextCursor from the previous page'),
  },
  output: {
    investigations: z.array(investigationSchema).describe('This page, newest first'),
    total: z.number().int().describe(`How many match in all, counted up to ${COUNT_CAP.toLocaleString('en-US')}: at that number there may be more ("showing" then says ${COUNT_CAP.toLocaleString('en-US')}+)`),
    nextCursor: z.string().nullable().describe('Cursor for the next page, or null on the last page'),
    showing: z.string().describe(`"showing X of Y investigations" (Y reads "${COUNT_CAP.toLocaleString('en-US')}+" when there are at least that many)`),
  },
  annotations: READ,
  handler: (caller, args, { app }) => app.runtime.investigations.list(caller, args),
  render: (r) =>
    [
      `${r.showing}${r.nextCursor ? ' (more: pass nextCursor)' : ''}.`,
      ...r.investigations.map((i) => `- ${i.investigationId} [${i.status}] ${clip(i.subject, 80)} — updated ${i.updatedAt}`),
    ].join('\n'),
});
