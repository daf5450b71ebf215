/**
 * The contract between longhaul and a worker role deployed as an AWS Bedrock AgentCore
 * Runtime agent (src/workers/agentcore-runtime.ts does the calls): what an agent is
 * bound by (its runtime ARN), the runtime session a run uses, the JSON payload it is
 * sent, and the response it must give. No SDK here: config and tenants validate ARNs
 * with it, and tests read the contract without AWS.
 *
 * Response contract (`application/json`, or the last such object among the `data:`
 * items of a `text/event-stream`):
 *
 * ```json
 * {"status": "completed" | "waiting" | "failed" | "timed_out",
 *  "result"?: any, "summary"?: "one line",
 *  "findings"?: [{"text": "…", "citations"?: ["docs/a.md:3"]}],
 *  "report"?: {"title": "…", "markdown": "…", "complete"?: true},
 *  "waitFor"?: {"signal": "bank_data", "timeout": "72h" | 259200000},
 *  "error"?: "why it failed", "missing"?: ["what never came"],
 *  "events"?: [{"kind": "fact" | "decision" | "message" | "status" | "preference" | "finding", "text": "…"}]}
 * ```
 *
 * `waiting` needs `waitFor`; `timed_out` (the escalation after a `deadline` wake) needs
 * `report`. Any other body is text: it completes the task with that text as its summary.
 * A body that is JSON with a `status` but breaks the contract fails the task with the
 * reasons; it is never taken as a success.
 */
import { z } from 'zod';
import { iso, type Clock } from '../domain/clock.js';
import { parseDuration } from '../domain/duration.js';
import { EVENT_KINDS, MAX_EVENT_TEXT, type EventKind, type MemoryEvent } from '../domain/event.js';
import type { MemoryRecord } from '../domain/record.js';
import { SIGNAL_NAME } from '../runtime/limits.js';
import { completed, failed, timedOut, wait, type Outcome, type ReportDraft, type RoleContext } from './role.js';

/** `arn:aws:bedrock-agentcore:<region>:<account>:runtime/<id>` (also the aws-cn and aws-us-gov partitions). */
export const AGENT_RUNTIME_ARN = /^arn:aws(?:-cn|-us-gov)?:bedrock-agentcore:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):runtime\/([A-Za-z0-9][A-Za-z0-9_-]{0,127})$/;

export const AGENT_ARN_HELP = 'expected an AgentCore Runtime ARN such as arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/compliance_agent-AbCdEf1234';

/** Null when `v` is an AgentCore Runtime ARN; else a sentence saying what is wrong. */
export function agentRuntimeArnProblem(v: unknown): string | null {
  if (typeof v !== 'string' || !v) return `an empty value; ${AGENT_ARN_HELP}`;
  if (AGENT_RUNTIME_ARN.test(v)) return null;
  return `"${v.slice(0, 200)}" is not an AgentCore Runtime ARN; ${AGENT_ARN_HELP}`;
}

/** The region an agent runs in (from its ARN): requests for it are signed for and sent to that region. */
export function agentRegion(arn: string): string {
  const m = AGENT_RUNTIME_ARN.exec(arn);
  if (!m) throw new Error(agentRuntimeArnProblem(arn)!);
  return m[1]!;
}

/**
 * The AgentCore runtime session of a worker session: deterministic, so every process
 * (and a retried request) names the same microVM. AgentCore wants 33–256 characters;
 * longhaul's session ids (`ses_` + 30) already are, and pass through unchanged (DESIGN
 * "AgentCore compatibility"). A shorter id (a test's fixed ids) is padded.
 */
export function runtimeSessionIdFor(sessionId: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(sessionId) || sessionId.length > 256) throw new Error(`session id "${sessionId.slice(0, 60)}" cannot name an AgentCore runtime session`);
  let id = sessionId;
  if (id.length < 33) id = `${id}-longhaul-worker-session`;
  while (id.length < 33) id += '0';
  return id;
}

/**
 * StopRuntimeSession's idempotency token for a runtime session: the same from every
 * process, so two stops of one session are one request to AgentCore. Its pattern
 * allows letters, digits and inner hyphens only (33–256).
 */
export function stopClientToken(runtimeSessionId: string): string {
  return `stop-${runtimeSessionId.replace(/[^A-Za-z0-9]+/g, '-')}`.slice(0, 256).replace(/-+$/, '');
}

const recordView = (r: MemoryRecord) => ({ id: r.id, namespace: r.namespace, text: r.text, createdAt: iso(r.createdAt) });
const eventView = (e: MemoryEvent) => ({ id: e.id, sessionId: e.sessionId, actorId: e.actorId, role: e.role, kind: e.kind, text: e.text, data: e.data ?? null, createdAt: iso(e.createdAt) });

/**
 * The JSON an agent is invoked with: the task, why it woke, the investigation, the
 * signals delivered for it (their attachments as metadata: name, type, size, SHA-256 —
 * never bytes) and the memory a built-in role gets (RoleMemory's bounds: at most 20
 * facts, 50 recent events, 20 findings). `tenantId` is sent because one deployed agent
 * may serve several tenants (an env binding applies to all of them): the agent needs it
 * to keep its own state, and any AgentCore Memory it uses, per tenant — as longhaul
 * does with actorId = tenant.
 */
export function agentPayload(ctx: RoleContext) {
  const { task, investigation: inv } = ctx;
  return {
    longhaul: 1 as const,
    tenantId: task.tenantId,
    sessionId: ctx.session.id,
    now: iso(ctx.clock.now()),
    task: {
      id: task.id,
      role: task.role,
      instructions: task.instructions,
      attempt: ctx.attempt,
      wake: ctx.wake,
      waitFor: task.waitFor ? { signal: task.waitFor.signal, timeoutMs: task.waitFor.timeoutMs } : null,
      createdBy: task.createdBy,
      createdAt: iso(task.createdAt),
    },
    investigation: { id: inv.id, subject: inv.subject, objective: inv.objective, deadline: inv.deadline === null ? null : iso(inv.deadline) },
    waits: ctx.waits.map((w) => ({ id: w.id, signal: w.signal, status: w.status, deadline: iso(w.deadline), signalId: w.signalId })),
    signals: ctx.signals.map((s) => ({
      id: s.id,
      name: s.name,
      payload: s.payload ?? null,
      receivedAt: iso(s.receivedAt),
      actorId: s.actorId,
      attachments: s.attachments.map((a) => ({ index: a.index, name: a.name, mediaType: a.mediaType, size: a.size, sha256: a.sha256 })),
    })),
    memory: {
      summaries: ctx.memory.summaries.map(recordView),
      facts: ctx.memory.facts.map(recordView),
      openWaits: ctx.memory.openWaits.map((w) => ({ id: w.id, taskId: w.taskId, signal: w.signal, deadline: iso(w.deadline) })),
      recentEvents: ctx.memory.recentEvents.map(eventView),
      findings: ctx.memory.findings.map(eventView),
    },
  };
}

export type AgentPayload = ReturnType<typeof agentPayload>;

const Text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const RECORDABLE = EVENT_KINDS.filter((k) => k !== 'signal') as [EventKind, ...EventKind[]];

/** The agent response contract (see the module comment). Unknown keys are refused, so a misspelt field is an error, not a silent default. */
export const AgentResponse = z
  .object({
    status: z.enum(['completed', 'waiting', 'failed', 'timed_out']),
    result: z.unknown().optional(),
    summary: Text(8_000).optional(),
    error: Text(2_000).optional(),
    findings: z
      .array(z.object({ text: Text(MAX_EVENT_TEXT), citations: z.array(Text(1_000)).max(100).optional() }).strict())
      .max(200)
      .optional(),
    report: z.object({ title: Text(200), markdown: Text(2_000_000), complete: z.boolean().optional() }).strict().optional(),
    waitFor: z
      .object({
        signal: z.string().regex(SIGNAL_NAME, 'must be a signal name (lower-case letters, digits, "_", "-", "."), e.g. "bank_data"'),
        timeout: z.union([z.number().int().positive('must be positive milliseconds'), z.string()]),
      })
      .strict()
      .optional(),
    missing: z.array(Text(1_000)).max(100).optional(),
    events: z
      .array(z.object({ kind: z.enum(RECORDABLE), text: Text(MAX_EVENT_TEXT) }).strict())
      .max(200)
      .optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.status === 'waiting' && !r.waitFor) ctx.addIssue({ code: 'custom', path: ['waitFor'], message: 'is required with status "waiting"' });
    if (r.status !== 'waiting' && r.waitFor) ctx.addIssue({ code: 'custom', path: ['waitFor'], message: `goes only with status "waiting" (status is "${r.status}")` });
    if (r.status === 'timed_out' && !r.report) ctx.addIssue({ code: 'custom', path: ['report'], message: 'is required with status "timed_out" (the escalation report)' });
  });

export type AgentResponse = z.infer<typeof AgentResponse>;

/** What a response body says: a contract object, or text. `problem` when it says nothing usable. */
export type ReadResponse = { kind: 'json'; value: unknown } | { kind: 'text'; text: string } | { kind: 'problem'; problem: string };

/** The `data:` items of a `text/event-stream` body, in order (multi-line data joined by "\n"). */
export function sseData(body: string): string[] {
  const items: string[] = [];
  let cur: string[] | null = null;
  for (const line of body.split(/\r\n|\r|\n/)) {
    if (line === '') {
      if (cur) items.push(cur.join('\n'));
      cur = null;
      continue;
    }
    if (line.startsWith(':')) continue;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    if (field !== 'data') continue;
    let value = i < 0 ? '' : line.slice(i + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    (cur ??= []).push(value);
  }
  if (cur) items.push(cur.join('\n'));
  return items;
}

const hasStatus = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v) && 'status' in v;

function tryJson(s: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(s) };
  } catch {
    return { ok: false };
  }
}

/**
 * Reads a response body by its content type. `application/json`: one JSON value (a
 * JSON string is text). `text/event-stream`: the last `data:` item that is a JSON
 * object with a `status` is the response; otherwise the items are joined — JSON
 * strings by their value, other text as sent, JSON objects without a `status`
 * (progress events) left out — and the joined text is read again (an agent may stream
 * its JSON in pieces). Anything else: text, or JSON when it parses as a contract object.
 */
export function readResponseBody(contentType: string | undefined, body: string): ReadResponse {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'text/event-stream') {
    const items = sseData(body);
    let last: unknown = undefined;
    const text: string[] = [];
    for (const item of items) {
      const j = tryJson(item);
      if (!j.ok) text.push(item);
      else if (typeof j.value === 'string') text.push(j.value);
      else if (hasStatus(j.value)) last = j.value;
    }
    if (last !== undefined) return { kind: 'json', value: last };
    return readText(text.join(''), 'the event stream');
  }
  if (type === 'application/json') {
    const j = tryJson(body);
    if (!j.ok) return body.trim() ? { kind: 'problem', problem: `the agent answered application/json that is not JSON: ${clip(body.trim(), 200)}` } : { kind: 'problem', problem: 'the agent answered with an empty body' };
    return typeof j.value === 'string' ? readText(j.value, 'the response') : { kind: 'json', value: j.value };
  }
  return readText(body, 'the response');
}

function readText(text: string, what: string): ReadResponse {
  const t = text.trim();
  if (!t) return { kind: 'problem', problem: `the agent answered with nothing (${what} was empty)` };
  if (t.startsWith('{')) {
    const j = tryJson(t);
    if (j.ok && hasStatus(j.value)) return { kind: 'json', value: j.value };
  }
  return { kind: 'text', text: t };
}

const clip = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

/** Why a value breaks the response contract, one reason per field, for the task's error. */
export function contractProblems(error: z.ZodError): string {
  return error.issues
    .slice(0, 10)
    .map((i) => `${i.path.length ? i.path.join('.') : '(response)'}: ${i.message}`)
    .join('; ');
}

/**
 * The role outcome of a response. Findings and events are recorded in the run's
 * worker session (written with the outcome). A response that breaks the contract is a
 * `failed` outcome naming what was wrong.
 */
export function outcomeOfResponse(read: ReadResponse, ctx: Pick<RoleContext, 'memory' | 'clock'>, agent: string): Outcome {
  if (read.kind === 'problem') return failed(`AgentCore agent ${agent}: ${read.problem}.`);
  if (read.kind === 'text') return completed(null, read.text);
  if (!read.value || typeof read.value !== 'object' || Array.isArray(read.value)) {
    return failed(`AgentCore agent ${agent} answered JSON that is not a response object (expected {"status": "completed" | "waiting" | "failed" | "timed_out", …}).`);
  }
  const r = AgentResponse.safeParse(read.value);
  if (!r.success) return failed(`AgentCore agent ${agent} answered a response that breaks the contract: ${contractProblems(r.error)}.`);
  const v = r.data;
  let deadline = 0;
  if (v.waitFor) {
    let ms: number;
    try {
      ms = typeof v.waitFor.timeout === 'number' ? v.waitFor.timeout : parseDuration(v.waitFor.timeout, 'waitFor.timeout');
    } catch (e) {
      return failed(`AgentCore agent ${agent} answered a response that breaks the contract: waitFor.timeout: ${(e as Error).message}`);
    }
    deadline = ctx.clock.now() + ms;
  }
  for (const f of v.findings ?? []) ctx.memory.record({ kind: 'finding', text: f.text, data: f.citations?.length ? { citations: f.citations } : undefined });
  for (const e of v.events ?? []) ctx.memory.record({ kind: e.kind, text: e.text });
  const draft = (complete: boolean): ReportDraft | undefined =>
    v.report && { title: v.report.title, markdown: v.report.markdown, complete: v.report.complete ?? complete, summary: v.summary ?? v.report.title };
  switch (v.status) {
    case 'completed':
      return completed(v.result ?? null, v.summary ?? v.report?.title ?? 'The agent completed the task.', draft(true));
    case 'waiting':
      return wait(v.waitFor!.signal, deadline, v.summary);
    case 'failed':
      return failed(v.error ?? v.summary ?? 'The agent reported that the task failed, without a reason.', draft(false));
    case 'timed_out':
      return timedOut(draft(false)!, v.missing ?? []);
  }
}
