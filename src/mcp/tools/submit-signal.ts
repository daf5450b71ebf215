import { z } from 'zod';
import { formatBytes } from '../../runtime/attachments.js';
import { LIMITS } from '../../runtime/limits.js';
import { investigationIdInput, signalNameInput, signalSchema, taskSchema, waitSchema } from '../schemas.js';
import { defineTool } from '../tool.js';
import { WRITE } from './render.js';

const PER_FILE = formatBytes(LIMITS.attachmentBytes);
const PER_SIGNAL = formatBytes(LIMITS.signalAttachmentBytes);

// The SDK appends " at <field path>" to these messages, hence no final period.
const attachmentInput = z
  .object({
    name: z
      .string()
      .min(1, { error: 'attachment name is empty (give a file name such as statement.csv)' })
      .max(LIMITS.attachmentName, { error: `attachment name is longer than ${LIMITS.attachmentName} characters` })
      .describe('File name without a path, e.g. "statement.xml"; its extension sets the default mediaType'),
    mediaType: z
      .string()
      .max(LIMITS.mediaType, { error: `mediaType is longer than ${LIMITS.mediaType} characters` })
      .optional()
      .describe('Media type as type/subtype, e.g. "text/csv", "application/xml", "application/pdf"; omit it to infer it from the name (.csv, .tsv, .json, .xml, .pdf, .docx, .xlsx, .sta/.mt940/.940, .txt, .md)'),
    text: z.string().optional().describe('The content as text (stored as UTF-8): CSV, XML (camt.053), MT940, JSON. Give text or base64, not both'),
    base64: z.string().optional().describe('The content as standard padded base64 (line breaks allowed): binary files such as PDF or XLSX. Give base64 or text, not both'),
  })
  .superRefine((a, ctx) => {
    const hasText = a.text !== undefined;
    const hasBase64 = a.base64 !== undefined;
    if (hasText && hasBase64) {
      ctx.addIssue({ code: 'custom', message: `attachment "${a.name}" gives both text and base64; give exactly one (text for UTF-8 content, base64 for binary files)` });
    } else if (!hasText && !hasBase64) {
      ctx.addIssue({ code: 'custom', message: `attachment "${a.name}" has no content; give text (UTF-8 content such as CSV or XML) or base64 (binary files such as PDF)` });
    }
  })
  .describe('One file: a name, an optional media type, and its content as text or base64');

export const submitSignal = defineTool({
  name: 'submit_signal',
  title: 'Submit a signal',
  description:
    'Deliver external data to an investigation by name (e.g. "bank_data" with the bank\'s answer as JSON, and/or the statements as files). It is stored, resolves every open wait for that name and wakes their tasks; ' +
    'a signal that arrives before any task waits for it is kept and resolves the wait when it is created. ' +
    `Files go in attachments (CSV, camt.053 XML, MT940, PDF…; at most ${LIMITS.signalAttachments}, ${PER_FILE} each, ${PER_SIGNAL} together); each is stored with the signal, with its size and SHA-256, and readable at its uri. ` +
    'Over stdio one message is at most 10 MiB, so keep the base64 of one call under about 7 MiB; `longhaul signal … --file` delivers larger sets from a shell. ' +
    'Pass an idempotencyKey when the delivery may be retried: a repeated key resolves once and returns duplicate: true.',
  input: {
    investigationId: investigationIdInput,
    signal: signalNameInput(),
    payload: z
      .unknown()
      .optional()
      .describe(`The data, any JSON value (≤ ${LIMITS.signalPayloadBytes} bytes as JSON); omit it (null) when the files carry the data or the signal itself is the news`),
    attachments: z
      .array(attachmentInput)
      .max(LIMITS.signalAttachments, { error: (iss) => `${Array.isArray(iss.input) ? iss.input.length : 'too many'} attachments given; the limit is ${LIMITS.signalAttachments} per signal (deliver the rest in another signal)` })
      .optional()
      .describe(`Files delivered with the signal, in order (≤ ${LIMITS.signalAttachments}; ≤ ${PER_FILE} each and ${PER_SIGNAL} together, decoded)`),
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
  render: (r) => {
    const files = r.signal.attachments.length
      ? ` Files: ${r.signal.attachments.map((a) => `${a.name} (${a.mediaType}, ${formatBytes(a.size)}, sha256 ${a.sha256.slice(0, 12)}…) at ${a.uri}`).join('; ')}.`
      : '';
    return r.duplicate
      ? `Signal "${r.signal.name}" was already delivered with this idempotencyKey (${r.signal.signalId}); nothing changed.${files}`
      : `Signal "${r.signal.name}" stored as ${r.signal.signalId} on ${r.investigationId} (${r.signal.payloadBytes} bytes of JSON${r.signal.attachments.length ? `, ${r.signal.attachments.length} file(s)` : ''}).${files} ` +
          (r.resolvedWaits.length
            ? `Resolved ${r.resolvedWaits.length} wait(s); woke ${r.wokenTasks.map((t) => `${t.role} ${t.taskId}`).join(', ') || 'no tasks'}.`
            : 'No task waits for it yet; it will resolve a matching wait when one is created.');
  },
});
