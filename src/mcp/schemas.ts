import { z } from 'zod';
import { EVENT_KINDS, EVENT_ROLES, MAX_EVENT_TEXT, type EventKind, type EventRole } from '../domain/event.js';
import { LIMITS } from '../runtime/limits.js';

/**
 * Zod shapes of the JSON views the runtime returns (src/runtime/views.ts), used as tool
 * output schemas. Objects are closed (clients validate with `additionalProperties:
 * false`); only payloads that are open by nature (`result`, `data`) are `unknown`.
 * Timestamps are ISO 8601 strings; durations are short forms (`72h`, `15m`).
 */
const ts = (what: string) => z.string().describe(`${what} (ISO 8601)`);
const tsOrNull = (what: string) => z.string().nullable().describe(`${what} (ISO 8601), or null`);

export const investigationStatus = z.enum(['open', 'closed']);
export const investigationOutcome = z.enum(['completed', 'inconclusive', 'cancelled']);
export const taskStatus = z.enum(['pending', 'running', 'waiting', 'completed', 'failed', 'timed_out', 'cancelled']);
export const waitStatus = z.enum(['open', 'resolved', 'timed_out', 'cancelled']);
export const sessionStatus = z.enum(['active', 'idle', 'terminated']);
export const terminationReason = z.enum(['idle_timeout', 'max_duration', 'completed', 'cancelled']);
export const eventRole = z.enum(EVENT_ROLES as [EventRole, ...EventRole[]]);
export const eventKind = z.enum(EVENT_KINDS as [EventKind, ...EventKind[]]);

export const investigationSchema = z
  .object({
    investigationId: z.string().describe('Id of the investigation (inv_…)'),
    subject: z.string().describe('What is investigated'),
    objective: z.string().describe('What the investigation must establish'),
    status: investigationStatus.describe('open or closed'),
    outcome: investigationOutcome.nullable().describe('How it was closed; null while open'),
    summary: z.string().nullable().describe('Closing summary, if any'),
    openedBy: z.string().describe('Actor who opened it'),
    deadline: tsOrNull('Overall deadline'),
    overdueAt: tsOrNull('When it was found still open past its deadline (it stays open; see longhaul://inbox); null when not overdue'),
    createdAt: ts('Opened at'),
    updatedAt: ts('Last change'),
    closedAt: tsOrNull('Closed at'),
  })
  .describe('An investigation');

export const taskSchema = z
  .object({
    taskId: z.string().describe('Id of the task (tsk_…)'),
    uri: z.string().describe('The task resource (longhaul://investigations/{id}/tasks/{taskId}): the task with its full result'),
    role: z.string().describe('Worker role: retrieval, compliance or a custom role'),
    instructions: z.string().describe('What the worker was asked to do'),
    status: taskStatus.describe('pending, running, waiting, completed, failed, timed_out or cancelled'),
    waitFor: z
      .object({ signal: z.string().describe('Signal name waited for'), timeout: z.string().describe('Wait timeout, e.g. 72h') })
      .nullable()
      .describe('The wait requested at delegation, or null'),
    attempts: z.number().int().describe('Runs started so far'),
    result: z.unknown().describe("The worker's result (role-specific JSON), or null"),
    resultShortened: z
      .boolean()
      .describe('True when this view shortened a large result (long strings clipped, long lists cut to their first items); read `uri` for all of it'),
    error: z.string().nullable().describe('Why it failed, or null'),
    createdAt: ts('Created at'),
    updatedAt: ts('Last change'),
    finishedAt: tsOrNull('Finished at'),
  })
  .describe('A delegated task');

export const waitSchema = z
  .object({
    waitId: z.string().describe('Id of the wait (wait_…)'),
    taskId: z.string().describe('Task that waits'),
    signal: z.string().describe('Signal name it waits for'),
    status: waitStatus.describe('open, resolved, timed_out or cancelled'),
    deadline: ts('When the wait times out'),
    resolvedAt: tsOrNull('When it resolved or timed out'),
    signalId: z.string().nullable().describe('Signal that resolved it, or null'),
  })
  .describe("A task's durable wait for a signal");

export const signalSchema = z
  .object({
    signalId: z.string().describe('Id of the signal (sig_…)'),
    name: z.string().describe('Signal name, e.g. bank_data'),
    receivedAt: ts('Received at'),
    deliveredBy: z.string().describe('Actor who delivered it'),
    idempotencyKey: z.string().nullable().describe('Key it was delivered with, or null'),
    payloadBytes: z.number().int().describe('Size of the JSON payload'),
    payloadPreview: z.string().describe('The payload as JSON, cut at 500 characters'),
    attachments: z
      .array(
        z
          .object({
            name: z.string().describe('File name, e.g. statement.xml'),
            mediaType: z.string().describe('Media type, e.g. application/xml'),
            size: z.number().int().describe('Size in bytes'),
            sha256: z.string().describe('SHA-256 of the bytes (hex)'),
            uri: z.string().describe('The file itself: longhaul://investigations/{id}/signals/{signalId}/attachments/{index} (text, or a base64 blob for binary files)'),
          })
          .describe('A file delivered with the signal'),
      )
      .describe('Files delivered with the signal, in the order given (empty when none)'),
  })
  .describe('A signal delivered to an investigation');

export const sessionSchema = z
  .object({
    sessionId: z.string().describe('Id of the runtime session (ses_…)'),
    kind: z.enum(['supervisor', 'worker']).describe('supervisor (a person or agent directing the work) or worker'),
    role: z.string().nullable().describe('Worker role, or null for a supervisor session'),
    actorId: z.string().describe('Actor the session belongs to'),
    investigationId: z.string().nullable().describe('Investigation it works on, or null'),
    taskId: z.string().nullable().describe('Task a worker session runs, or null'),
    status: sessionStatus.describe('active (work in flight), idle or terminated'),
    terminationReason: terminationReason.nullable().describe('Why it terminated, or null'),
    startedAt: ts('Started at'),
    lastActivityAt: ts('Last activity; the idle timeout runs from here'),
    terminatedAt: tsOrNull('Terminated at'),
    idleTimeout: z.string().describe('Idle timeout, e.g. 15m'),
    maxDuration: z.string().describe('Maximum duration, e.g. 8h'),
    idleDeadline: tsOrNull('When the idle timeout would terminate it'),
    maxDeadline: ts('When the maximum duration ends it'),
  })
  .describe('A runtime session');

export const eventSchema = z
  .object({
    eventId: z.string().describe('Id of the event (evt_…)'),
    seq: z.number().int().describe('Order within the tenant'),
    sessionId: z.string().nullable().describe('Session it was recorded in, or null for investigation-level system events'),
    investigationId: z.string().nullable().describe('Investigation it belongs to, or null'),
    actorId: z.string().describe('Who recorded it'),
    role: eventRole.describe('user, assistant, tool, agent or system'),
    kind: eventKind.describe('message, finding, fact, preference, signal, status or decision'),
    text: z.string().describe('The text'),
    data: z.unknown().describe('Attached JSON, or null'),
    createdAt: ts('Recorded at'),
  })
  .describe('A short-term memory event');

export const briefingSchema = z
  .object({
    investigationId: z.string().describe('The investigation briefed'),
    since: tsOrNull('Start of the period briefed (end of your previous session); null means everything so far'),
    text: z.string().describe('The briefing, Markdown, at most about 1,500 tokens'),
    counts: z
      .object({
        tasksFinished: z.number().int().describe('Tasks finished in the period'),
        signals: z.number().int().describe('Signals received in the period'),
        timeouts: z.number().int().describe('Waits that timed out in the period'),
        reports: z.number().int().describe('Reports filed in the period'),
        openTasks: z.number().int().describe('Tasks still open'),
        openWaits: z.number().int().describe('Waits still open'),
        eventsTotal: z.number().int().describe('Events in the whole timeline'),
      })
      .describe('What the briefing covers, counted'),
  })
  .describe('What happened since your last session, what is open, what is known');

// ---- input pieces (limits mirror src/runtime/limits.ts; the runtime re-checks) ----

// The SDK appends " at <field path>" to these messages, hence no final period.
const tooLong = (what: string, max: number) => ({ error: `${what} is longer than ${max} characters (shorten it)` });
const empty = (what: string) => ({ error: `${what} is empty (give a short non-empty text)` });

export const ID_MAX = 64;
export const investigationIdInput = z
  .string()
  .min(1, empty('investigationId'))
  .max(ID_MAX, tooLong('investigationId', ID_MAX))
  .describe('Id of the investigation (inv_…), as returned by start_investigation or list_investigations');

export const roleInput = z
  .string()
  .min(1, empty('role'))
  .max(64, tooLong('role', 64))
  .describe('Worker role: "retrieval" (search the document sources and memory), "compliance" (check evidence against rules, file a report) or a custom lower-case role');

export const instructionsInput = z
  .string()
  .min(1, empty('instructions'))
  .max(LIMITS.instructions, tooLong('instructions', LIMITS.instructions))
  .describe(`What the worker should do, in plain language (≤ ${LIMITS.instructions} characters)`);

export const signalNameInput = (what = 'signal') =>
  z
    .string()
    .min(1, empty(what))
    .max(64, tooLong(what, 64))
    .describe('Signal name: lower-case letters, digits, "_", "-", "." (no ".."), e.g. "bank_data"');

export const waitForInput = z
  .object({
    signal: signalNameInput('waitFor.signal'),
    timeout: z
      .string()
      .min(1, empty('waitFor.timeout'))
      .max(64, tooLong('waitFor.timeout', 64))
      .describe('How long to wait before the task times out: ISO 8601 (P3D, PT72H) or short form (3d, 72h, 90s)'),
  })
  .describe('Make the task wait for a named signal (external data such as the bank\'s answer), up to a timeout');

export const eventTextInput = z
  .string()
  .min(1, empty('text'))
  .max(MAX_EVENT_TEXT, tooLong('text', MAX_EVENT_TEXT))
  .describe(`The event text (≤ ${MAX_EVENT_TEXT} characters)`);
