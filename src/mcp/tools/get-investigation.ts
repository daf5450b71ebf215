import { z } from 'zod';
import { eventSchema, investigationIdInput, investigationSchema, sessionSchema, signalSchema, taskSchema, waitSchema } from '../schemas.js';
import { investigationAppToolMeta } from '../../ui/app-resource.js';
import { defineTool } from '../tool.js';
import { READ, clip, taskLine } from './render.js';

export const getInvestigation = defineTool({
  name: 'get_investigation',
  title: 'Get an investigation',
  description:
    'Read the full state of an investigation: its tasks and their results, waits and deadlines, signals received, recent findings, sessions, and a link to the filed report. ' +
    'Read-only (it keeps your live session alive but never opens one). For what changed since you last looked, prefer resume_investigation.',
  input: { investigationId: investigationIdInput },
  output: {
    investigation: investigationSchema,
    tasks: z.array(taskSchema).describe('Tasks, oldest first: every open one, then the newest finished, at most 50 (instructions and large results clipped)'),
    waits: z.array(waitSchema).describe('Waits: every open one, then the newest, at most 50'),
    signals: z.array(signalSchema).describe('The newest signals received (at most 20), oldest first'),
    shown: z
      .object({
        tasks: z.string().describe('"showing X of Y tasks"'),
        waits: z.string().describe('"showing X of Y waits"'),
        signals: z.string().describe('"showing X of Y signals"'),
      })
      .describe('How much of each list is shown'),
    findings: z.array(eventSchema).describe('Recent finding events, newest first (at most 20, text clipped to 500 characters)'),
    findingsShown: z.string().describe('"showing X of Y findings"'),
    sessions: z.array(sessionSchema).describe('Recent sessions on it, newest first (capped)'),
    report: z
      .object({
        uri: z.string().describe('longhaul://investigations/{id}/report'),
        reportId: z.string().describe('Id of the latest report'),
        title: z.string().describe('Its title'),
        complete: z.boolean().describe('False for an escalation\'s incomplete report'),
        filedAt: z.string().describe('Filed at (ISO 8601)'),
        filings: z.number().int().describe('Reports filed so far'),
      })
      .nullable()
      .describe('The latest filed report, or null'),
  },
  annotations: READ,
  _meta: investigationAppToolMeta,
  handler: (caller, args, { app }) => app.runtime.investigations.get(caller, args.investigationId),
  render: (r) =>
    [
      `${r.investigation.investigationId} "${clip(r.investigation.subject, 100)}": ${r.investigation.status}${r.investigation.outcome ? ` (${r.investigation.outcome})` : ''}.`,
      r.tasks.length ? `Tasks:\n${r.tasks.map((t) => taskLine(t, r.waits)).join('\n')}` : 'No tasks.',
      `Signals: ${r.signals.length ? r.signals.map((s) => `"${s.name}"`).join(', ') : 'none'}. ${r.findingsShown}; ${r.shown.tasks}. Sessions: ${r.sessions.length}.`,
      r.report ? `Report: "${r.report.title}"${r.report.complete ? '' : ' (incomplete)'} — ${r.report.uri}` : 'No report filed.',
    ].join('\n'),
});
