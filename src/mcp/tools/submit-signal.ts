import { z } from 'zod';
import { LIMITS } from '../../runtime/limits.js';
import { investigationIdInput, signalNameInput, signalSchema, taskSchema, waitSchema } from '../schemas.js';
import { defineTool } from '../tool.js';
import { WRITE } from './render.js';

export const submitSignal = defineTool({
  name: 'submit_signal',
  title: 'Submit a signal',
  description:
    'Deliver external data to an investigation by name (e.g. "bank_data" with the bank\'s answer as JSON). It is stored, resolves every open wait for that name and wakes their tasks; ' +
    'a signal that arrives before any task waits for it is kept and resolves the wait when it is created. Pass an idempotencyKey when the delivery may be retried: a repeated key resolves once and returns duplicate: true.',
  input: {
    investigationId: investigationIdInput,
    signal: signalNameInput(),
    payload: z.unknown().describe(`The data, any JSON value (≤ ${LIMITS.signalPayloadBytes} bytes as JSON); null when the signal itself is the news`),
    idempotencyKey: z
      .string()
      .min(1, { error: 'idempotencyKey is empty (omit it or give 1–200 characters)' })
      .max(LIMITS.idempotencyKey, { error: `idempotencyKey is longer than ${LIMITS.idempotencyKey} characters` })
      .optional()
      .describe('Optional key making retries safe: a second submission with the same key on this investigation changes nothing'),
  },
  output: {
    investigationId: z.string().describe('The investigation'),
    duplicate: z.boolean().describe('True when this idempotencyKey was already used: nothing new was stored'),
    signal: signalSchema,
    resolvedWaits: z.array(waitSchema).describe('Waits this signal resolved'),
    wokenTasks: z.array(taskSchema).describe('Tasks it woke (now pending)'),
  },
  annotations: WRITE,
  handler: (caller, args, { app }) => app.runtime.signals.submit(caller, args),
  render: (r) =>
    r.duplicate
      ? `Signal "${r.signal.name}" was already delivered with this idempotencyKey (${r.signal.signalId}); nothing changed.`
      : `Signal "${r.signal.name}" stored as ${r.signal.signalId} on ${r.investigationId} (${r.signal.payloadBytes} bytes). ` +
        (r.resolvedWaits.length
          ? `Resolved ${r.resolvedWaits.length} wait(s); woke ${r.wokenTasks.map((t) => `${t.role} ${t.taskId}`).join(', ') || 'no tasks'}.`
          : 'No task waits for it yet; it will resolve a matching wait when one is created.'),
});
