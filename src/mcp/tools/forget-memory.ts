import { z } from 'zod';
import { ID_MAX } from '../schemas.js';
import { defineTool } from '../tool.js';
import { clip } from './render.js';

export const forgetMemory = defineTool({
  name: 'forget_memory',
  title: 'Forget a memory record',
  description:
    'Delete one long-term memory record for good — the only destructive memory tool. Use it when a person asks to forget something or a record is wrong. ' +
    'The events it came from are not touched (they expire on their own). Find record ids with search_memory. Shared records and your own actors/{you}/… records only.',
  input: {
    recordId: z.string().min(1).max(ID_MAX).describe('Id of the record to delete (rec_…), as search_memory returns it'),
  },
  output: {
    recordId: z.string().describe('The record deleted'),
    namespace: z.string().describe('The namespace it was in'),
    deleted: z.literal(true).describe('Always true: a missing record is an error (not_found)'),
    text: z.string().describe('What was forgotten (cut at 200 characters)'),
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  handler: (caller, args, { app }) => app.runtime.memory.forget(caller, args.recordId),
  render: (r) => `Forgot ${r.recordId} in ${r.namespace}: ${clip(r.text, 120)}`,
});
