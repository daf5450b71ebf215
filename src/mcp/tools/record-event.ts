import { z } from 'zod';
import { MAX_EVENT_DATA_BYTES } from '../../domain/event.js';
import { eventKind, eventRole, eventSchema, eventTextInput, ID_MAX } from '../schemas.js';
import { defineTool } from '../tool.js';
import { WRITE, clip } from './render.js';

export const recordEvent = defineTool({
  name: 'record_event',
  title: 'Record an event',
  description:
    'Append to short-term memory: a message, finding, fact, preference, decision or status, with optional JSON data. Give investigationId (records in your live supervisor session on it, opening one if needed) ' +
    'or sessionId (a session you hold). Findings and facts are later extracted into long-term memory of the investigation; preferences into yours.',
  input: {
    sessionId: z.string().min(1).max(ID_MAX).optional().describe('A live session (ses_…) to record in; give this or investigationId'),
    investigationId: z.string().min(1).max(ID_MAX).optional().describe('Investigation (inv_…) to record on, in your supervisor session; give this or sessionId'),
    role: eventRole.describe('Who speaks: user, assistant, tool, agent or system'),
    kind: eventKind.optional().describe('message (default), finding, fact, preference, signal, status or decision'),
    text: eventTextInput,
    data: z.unknown().optional().describe(`Optional JSON detail (≤ ${MAX_EVENT_DATA_BYTES} bytes), e.g. a citation {file, location, snippet}`),
  },
  output: {
    event: eventSchema,
    sessionId: z.string().describe('The session it was recorded in'),
  },
  annotations: WRITE,
  handler: (caller, args, { app }) => app.runtime.events.record(caller, args),
  render: (r) => `Recorded ${r.event.kind} ${r.event.eventId} (#${r.event.seq}) in session ${r.sessionId}: ${clip(r.event.text, 120)}`,
});
