import { z } from 'zod';
import { instructionsInput, investigationIdInput, roleInput, signalSchema, taskSchema, waitForInput, waitSchema } from '../schemas.js';
import { defineTool } from '../tool.js';
import { WRITE } from './render.js';

export const delegateTask = defineTool({
  name: 'delegate_task',
  title: 'Delegate a task',
  description:
    'Add a task to an open investigation for a worker role ("retrieval", "compliance" or a custom role). With waitFor, the task waits durably for a named signal ' +
    '(external data such as "bank_data") up to a timeout; if that signal was already delivered, the wait resolves at once. Runs in your supervisor session on the investigation.',
  input: {
    investigationId: investigationIdInput,
    role: roleInput,
    instructions: instructionsInput,
    waitFor: waitForInput.optional(),
  },
  output: {
    investigationId: z.string().describe('The investigation'),
    sessionId: z.string().describe('The supervisor session it was delegated in'),
    task: taskSchema,
    wait: waitSchema.nullable().describe('Its wait, or null'),
    resolvedBySignal: signalSchema.nullable().describe('The earlier signal that resolved the wait at once, or null'),
  },
  annotations: WRITE,
  handler: (caller, args, { app }) => app.runtime.investigations.delegate(caller, args),
  render: (r) => {
    const head = `Delegated ${r.task.role} task ${r.task.taskId} on ${r.investigationId}: ${r.task.status}.`;
    if (r.resolvedBySignal) return `${head} Its wait for "${r.resolvedBySignal.name}" resolved at once with signal ${r.resolvedBySignal.signalId} (delivered earlier).`;
    if (r.wait) return `${head} It waits for signal "${r.wait.signal}" until ${r.wait.deadline}.`;
    return head;
  },
});
