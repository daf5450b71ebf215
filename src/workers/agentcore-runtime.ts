/**
 * Worker roles run as AWS Bedrock AgentCore Runtime agents. A role bound to a deployed
 * agent (`LONGHAUL_ROLE_<NAME>_AGENT_ARN`, or a tenant's `agents` in the tenants file)
 * is run by invoking the agent: longhaul still claims the task, opens the worker
 * session, rehydrates memory and applies the outcome; the agent only decides.
 *
 * Calls (data plane, `@aws-sdk/client-bedrock-agentcore`, signed for the ARN's region):
 * - `InvokeAgentRuntime` once per run: the runtime session is the worker session (a new
 *   one every run, so a run never lands in another run's microVM); the payload and the
 *   response contract are in agentcore-contract.ts. Throttling and 5xx are retried by
 *   the SDK (`maxAttempts`); what still fails is thrown, and the worker runtime retries
 *   the task with backoff until its attempts are spent, then fails it.
 * - `StopRuntimeSession` when longhaul is done with that worker session (`release`):
 *   after the run, whatever its outcome — no later run uses the session — and when the
 *   lifecycle sweep terminates a worker session whose run never ended (its process
 *   died). Best effort: a failure is a logged warning; AgentCore's own idle timeout
 *   ends the session anyway.
 *
 * `runtimeUserId` is not sent: it needs the extra `InvokeAgentRuntimeForUser`
 * permission and means an end user's OAuth identity; the tenant travels in the payload.
 */
import type { BedrockAgentCoreClient } from '@aws-sdk/client-bedrock-agentcore';
import type { Session } from '../domain/session.js';
import type { Logger } from '../logger.js';
import { agentPayload, agentRegion, outcomeOfResponse, readResponseBody, runtimeSessionIdFor, stopClientToken } from './agentcore-contract.js';
import { UnrecoverableError, type Role, type RoleContext, type RoleRegistry } from './role.js';

/** A client, or one per region (an agent is called in its ARN's region). */
export type AgentCoreClients = BedrockAgentCoreClient | ((region: string) => BedrockAgentCoreClient | Promise<BedrockAgentCoreClient>);

// Loaded on first use: a process with no role on AgentCore never pays for the SDK at start-up.
let sdk: Promise<typeof import('@aws-sdk/client-bedrock-agentcore')> | null = null;
const loadSdk = () => (sdk ??= import('@aws-sdk/client-bedrock-agentcore'));

export interface AgentCoreRoleOptions {
  /** The built-in role of the same name: it runs the tasks of tenants with no agent bound. */
  fallback?: Role;
  /** For StopRuntimeSession outcomes (runs log through their own context's logger). */
  logger?: Logger;
  /** Largest response read, in bytes; a larger one fails the task. Default 8 MiB. */
  maxResponseBytes?: number;
  /** Largest payload sent, in bytes; a larger one fails the task. Default 50 MB (AgentCore takes 100 MB). */
  maxPayloadBytes?: number;
}

/** A role that runs on an AgentCore agent for the tenants bound to one. */
export interface AgentCoreRole extends Role {
  /** The agent bound for a tenant now, or null (the fallback role runs, if any). */
  agentFor(tenantId: string): string | null;
  /** Stops the AgentCore runtime session of a worker session of this role (best effort; never throws). */
  release(session: Pick<Session, 'id' | 'tenantId'>): Promise<void>;
}

const DEFAULT_MAX_RESPONSE = 8 * 1024 * 1024;
const DEFAULT_MAX_PAYLOAD = 50_000_000;

/**
 * A role named `name` that, for a task of a tenant `resolveArn` binds to an agent,
 * invokes that agent with the task and its context and maps the response to the run's
 * outcome. For other tenants it runs `opts.fallback` (keeping the built-in role's
 * other members, e.g. compliance's `rulesFor`), or fails the task when there is none.
 */
export function agentCoreRole(name: string, resolveArn: (tenantId: string) => string | null, clients: AgentCoreClients, opts: AgentCoreRoleOptions = {}): AgentCoreRole {
  const fallback = opts.fallback;
  const clientFor = async (arn: string) => (typeof clients === 'function' ? clients(agentRegion(arn)) : clients);
  const maxResponse = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE;
  const maxPayload = opts.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD;

  async function invoke(ctx: RoleContext, arn: string) {
    const runtimeSessionId = runtimeSessionIdFor(ctx.session.id);
    const payload = Buffer.from(JSON.stringify(agentPayload(ctx)), 'utf8');
    if (payload.length > maxPayload) {
      throw new UnrecoverableError(`the ${name} task's context is ${payload.length} bytes, more than the ${maxPayload} longhaul sends to AgentCore agent ${arn}; deliver smaller signals.`);
    }
    ctx.logger.info('invoking AgentCore agent', { agentRuntimeArn: arn, runtimeSessionId, payloadBytes: payload.length });
    const { InvokeAgentRuntimeCommand } = await loadSdk();
    let out;
    try {
      out = await (await clientFor(arn)).send(
        new InvokeAgentRuntimeCommand({ agentRuntimeArn: arn, runtimeSessionId, contentType: 'application/json', accept: 'application/json, text/event-stream', payload }),
        { abortSignal: ctx.abort },
      );
    } catch (e) {
      if (ctx.abort.aborted) throw ctx.abort.reason;
      throw callError(e, 'InvokeAgentRuntime', arn);
    }
    let body: Buffer | null;
    try {
      body = await readBounded(out.response, maxResponse, ctx.abort);
    } catch (e) {
      if (ctx.abort.aborted) throw ctx.abort.reason;
      throw new Error(`AgentCore InvokeAgentRuntime on ${arn}: reading the response failed: ${(e as Error).message}`);
    }
    if (body === null) {
      // The agent's answer is not something a retry would change.
      return outcomeOfResponse({ kind: 'problem', problem: `its response is larger than the ${maxResponse} bytes longhaul reads (answer with a report, not the data)` }, ctx, arn);
    }
    ctx.logger.info('AgentCore agent answered', { agentRuntimeArn: arn, runtimeSessionId, contentType: out.contentType, bytes: body.length });
    return outcomeOfResponse(readResponseBody(out.contentType, body.toString('utf8')), ctx, arn);
  }

  return {
    ...fallback,
    name,
    description: fallback ? `${fallback.description} (On an AgentCore Runtime agent for tenants bound to one.)` : `Runs on an AWS Bedrock AgentCore Runtime agent (LONGHAUL_ROLE_${name.toUpperCase().replace(/-/g, '_')}_AGENT_ARN or the tenant's "agents").`,
    // The built-in role's deadline policy: a bound compliance task is woken at its
    // deadline too, and the agent is sent wake "deadline" to file its escalation.
    onDeadline: fallback?.onDeadline ?? 'time_out',
    agentFor: resolveArn,
    async run(ctx) {
      const arn = resolveArn(ctx.task.tenantId);
      if (arn) return invoke(ctx, arn);
      if (fallback) return fallback.run(ctx);
      throw new UnrecoverableError(
        `role "${name}" runs on an AgentCore agent, and tenant ${ctx.task.tenantId} has none bound: set LONGHAUL_ROLE_${name.toUpperCase().replace(/-/g, '_')}_AGENT_ARN or the tenant's "agents" in the tenants file.`,
      );
    },
    ...(fallback?.intake
      ? {
          async intake(ctx: RoleContext) {
            const arn = resolveArn(ctx.task.tenantId);
            // The agent is invoked once there is something to decide; the built-in
            // intake's notes (its rules, its checks) would not be the agent's.
            if (!arn) return fallback.intake!(ctx);
            const waitFor = ctx.task.waitFor;
            ctx.memory.record({
              kind: 'status',
              text: `The ${name} task ${ctx.task.id} runs on AgentCore agent ${arn}${waitFor ? ` once "${waitFor.signal}" arrives or its deadline passes` : ''}.`,
              data: { agentRuntimeArn: arn, taskId: ctx.task.id },
            });
          },
        }
      : { intake: undefined }),
    async release(session) {
      const arn = resolveArn(session.tenantId);
      if (!arn) return;
      const runtimeSessionId = runtimeSessionIdFor(session.id);
      const log = opts.logger?.child({ tenantId: session.tenantId, sessionId: session.id, agentRuntimeArn: arn, runtimeSessionId });
      try {
        const { StopRuntimeSessionCommand } = await loadSdk();
        await (await clientFor(arn)).send(new StopRuntimeSessionCommand({ agentRuntimeArn: arn, runtimeSessionId, clientToken: stopClientToken(runtimeSessionId) }));
        log?.info('AgentCore runtime session stopped');
      } catch (e) {
        const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        // Not found: it ended already (its own idle timeout, or another process stopped it).
        if (status === 404) log?.debug('AgentCore runtime session already ended', { error: (e as Error).message });
        else log?.warn('cannot stop the AgentCore runtime session; AgentCore ends it after its idle timeout', { error: (e as Error).message, status });
      }
    },
  };
}

/** Whether a role runs on AgentCore (for tenants bound to an agent). */
export function isAgentCoreRole(role: Role | undefined): role is AgentCoreRole {
  return !!role && typeof (role as Partial<AgentCoreRole>).release === 'function' && typeof (role as Partial<AgentCoreRole>).agentFor === 'function';
}

/**
 * The hook the worker runtime and the lifecycle sweep call when longhaul is done with a
 * worker session: stops its AgentCore runtime session when its role runs on an agent
 * for its tenant. Never throws.
 */
export function agentSessionReleaser(registry: RoleRegistry): (session: Pick<Session, 'id' | 'tenantId' | 'kind' | 'role'>) => Promise<void> {
  return async (session) => {
    if (session.kind !== 'worker' || !session.role) return;
    const role = registry.get(session.role);
    if (isAgentCoreRole(role)) await role.release(session);
  };
}

/**
 * One SDK client per region, made on first use: the default credential chain, the
 * endpoint from `AWS_ENDPOINT_URL_BEDROCK_AGENTCORE` when set (the SDK reads it itself,
 * from the service id "Bedrock AgentCore"), and `maxAttempts` tries for throttling and
 * 5xx (`AWS_MAX_ATTEMPTS` when given instead).
 */
export function agentCoreClients(opts: { maxAttempts?: number } = {}): (region: string) => Promise<BedrockAgentCoreClient> {
  const clients = new Map<string, Promise<BedrockAgentCoreClient>>();
  return (region) => {
    let c = clients.get(region);
    if (!c) {
      c = loadSdk().then(({ BedrockAgentCoreClient }) => new BedrockAgentCoreClient({ region, ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}) }));
      clients.set(region, c);
    }
    return c;
  };
}

/**
 * A failed call, classified by its HTTP status (never by message text): a request
 * AgentCore refuses (400 validation, 403 access, 404 no such agent) is not retried —
 * the task fails at once with the reason; throttling, 5xx, an agent that crashed (424)
 * and network errors are ordinary errors, retried with the task's backoff.
 */
function callError(e: unknown, op: string, arn: string): Error {
  const err = e as Error & { $metadata?: { httpStatusCode?: number; attempts?: number } };
  const status = err.$metadata?.httpStatusCode;
  const attempts = err.$metadata?.attempts;
  const detail = `${err.name ?? 'Error'}: ${err.message ?? String(e)}${status ? ` (HTTP ${status}${attempts ? `, ${attempts} attempt(s)` : ''})` : ''}`;
  const permanent = status !== undefined && status >= 400 && status < 500 && ![408, 409, 424, 429].includes(status);
  const msg = `AgentCore ${op} on ${arn} failed: ${detail}`;
  return permanent ? new UnrecoverableError(`${msg}. Not retried: check the agent ARN and this process's IAM permissions (bedrock-agentcore:${op}).`) : new Error(msg);
}

/** The whole response body, or null when it exceeds `max` bytes (the stream is then destroyed). */
async function readBounded(body: unknown, max: number, abort: AbortSignal): Promise<Buffer | null> {
  if (!body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
    if (abort.aborted) throw abort.reason;
    const b = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    n += b.length;
    if (n > max) {
      (body as { destroy?: () => void }).destroy?.();
      return null;
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks, n);
}
