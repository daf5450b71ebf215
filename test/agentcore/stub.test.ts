import {
  BatchCreateMemoryRecordsCommand,
  BatchDeleteMemoryRecordsCommand,
  BatchUpdateMemoryRecordsCommand,
  BedrockAgentCoreClient,
  CreateEventCommand,
  DeleteEventCommand,
  DeleteMemoryRecordCommand,
  GetEventCommand,
  GetMemoryRecordCommand,
  InvokeAgentRuntimeCommand,
  ListEventsCommand,
  ListMemoryRecordsCommand,
  RetrieveMemoryRecordsCommand,
  StopRuntimeSessionCommand,
  type BedrockAgentCoreClientConfig,
  type CreateEventCommandInput,
} from '@aws-sdk/client-bedrock-agentcore';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../src/domain/clock.js';
import { startAgentCoreStub, type AgentCoreStub, type AgentCoreStubOptions } from '../support/agentcore-stub/index.js';

const AGENT_ARN = 'arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/longhaul_worker-AbCdE12345';
const SESSION_A = 'session-a-0000000000000000000000000001';

let stub: AgentCoreStub | undefined;
const clients: BedrockAgentCoreClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await stub?.close();
  stub = undefined;
});

async function start(opts: AgentCoreStubOptions = {}): Promise<AgentCoreStub> {
  stub = await startAgentCoreStub(opts);
  return stub;
}

function client(s: AgentCoreStub, extra: Partial<BedrockAgentCoreClientConfig> = {}): BedrockAgentCoreClient {
  const c = new BedrockAgentCoreClient({
    endpoint: s.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    ...extra,
  });
  clients.push(c);
  return c;
}

/** Resolves to the rejection of `p` (fails the test if `p` resolves). */
type SdkError = Error & { $metadata: { httpStatusCode?: number; attempts?: number }; reason?: string };
async function rejection(p: Promise<unknown>): Promise<SdkError> {
  try {
    await p;
  } catch (err) {
    return err as SdkError;
  }
  throw new Error('expected the call to fail');
}

const encode = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));

describe('agentcore stub: runtime', () => {
  const echoAgent = {
    arn: AGENT_ARN,
    handler: (payload: unknown, ctx: { runtimeSessionId: string; qualifier?: string; runtimeUserId?: string }) => {
      const p = payload as { prompt?: string; stream?: boolean; fail?: boolean };
      if (p.fail) throw new Error('agent crashed');
      if (p.stream) return { stream: [`one ${p.prompt}`, 'two'] };
      return { echo: p.prompt, session: ctx.runtimeSessionId, qualifier: ctx.qualifier ?? null, user: ctx.runtimeUserId ?? null };
    },
  };

  it('invokes an agent with a JSON payload and returns application/json with the session id', async () => {
    const s = await start({ agents: [echoAgent] });
    const out = await client(s).send(
      new InvokeAgentRuntimeCommand({
        agentRuntimeArn: AGENT_ARN,
        runtimeSessionId: SESSION_A,
        qualifier: 'DEFAULT',
        runtimeUserId: 'alice',
        contentType: 'application/json',
        payload: encode({ prompt: 'hello' }),
      }),
    );
    expect(out.contentType).toBe('application/json');
    expect(out.runtimeSessionId).toBe(SESSION_A);
    expect(out.statusCode).toBe(200);
    const body = JSON.parse(await out.response!.transformToString());
    expect(body).toEqual({ echo: 'hello', session: SESSION_A, qualifier: 'DEFAULT', user: 'alice' });
    expect(s.runtimeSessions.get(SESSION_A)).toEqual({
      agentArn: AGENT_ARN,
      invocations: 1,
      stopped: false,
      payloads: [{ prompt: 'hello' }],
    });
    expect(s.calls.map((c) => [c.op, c.status])).toEqual([['InvokeAgentRuntime', 200]]);
  });

  it('streams text/event-stream with one data line per item', async () => {
    const s = await start({ agents: [echoAgent] });
    const out = await client(s).send(
      new InvokeAgentRuntimeCommand({ agentRuntimeArn: AGENT_ARN, runtimeSessionId: SESSION_A, payload: encode({ prompt: 'x', stream: true }) }),
    );
    expect(out.contentType).toBe('text/event-stream');
    expect(await out.response!.transformToString()).toBe('data: one x\n\ndata: two\n\n');
  });

  it('uses the session id the SDK generates when none is given, and returns it', async () => {
    const s = await start({ agents: [echoAgent] });
    const out = await client(s).send(new InvokeAgentRuntimeCommand({ agentRuntimeArn: AGENT_ARN, payload: encode({ prompt: 'x' }) }));
    await out.response!.transformToString();
    expect(out.runtimeSessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.runtimeSessions.has(out.runtimeSessionId!)).toBe(true);
  });

  it('generates a session id for a raw HTTP call without the header', async () => {
    const s = await start({ agents: [echoAgent] });
    const res = await fetch(`${s.url}/runtimes/${encodeURIComponent(AGENT_ARN)}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'raw' }),
    });
    expect(res.status).toBe(200);
    const id = res.headers.get('x-amzn-bedrock-agentcore-runtime-session-id');
    expect(id?.length).toBeGreaterThanOrEqual(33);
    expect(((await res.json()) as { session: string }).session).toBe(id);
  });

  it('rejects a session id shorter than 33 or longer than 256 characters', async () => {
    const s = await start({ agents: [echoAgent] });
    const c = client(s);
    for (const runtimeSessionId of ['x'.repeat(32), 'x'.repeat(257)]) {
      const err = await rejection(c.send(new InvokeAgentRuntimeCommand({ agentRuntimeArn: AGENT_ARN, runtimeSessionId, payload: encode({}) })));
      expect(err.name).toBe('ValidationException');
      expect(err.$metadata.httpStatusCode).toBe(400);
    }
    const ok = await c.send(new InvokeAgentRuntimeCommand({ agentRuntimeArn: AGENT_ARN, runtimeSessionId: 'x'.repeat(33), payload: encode({}) }));
    await ok.response!.transformToString();
    expect(ok.runtimeSessionId).toBe('x'.repeat(33));
  });

  it('answers ResourceNotFoundException for an unknown agent ARN', async () => {
    const s = await start({ agents: [echoAgent] });
    const err = await rejection(
      client(s).send(new InvokeAgentRuntimeCommand({ agentRuntimeArn: `${AGENT_ARN}x`, runtimeSessionId: SESSION_A, payload: encode({}) })),
    );
    expect(err.name).toBe('ResourceNotFoundException');
    expect(err.$metadata.httpStatusCode).toBe(404);
  });

  it('accepts an agent runtime id with accountId instead of the ARN, and requires the accountId', async () => {
    const s = await start({ agents: [echoAgent] });
    const c = client(s);
    const out = await c.send(
      new InvokeAgentRuntimeCommand({ agentRuntimeArn: 'longhaul_worker-AbCdE12345', accountId: '123456789012', runtimeSessionId: SESSION_A, payload: encode({ prompt: 'id' }) }),
    );
    expect(JSON.parse(await out.response!.transformToString()).echo).toBe('id');
    const noAccount = await rejection(
      c.send(new InvokeAgentRuntimeCommand({ agentRuntimeArn: 'longhaul_worker-AbCdE12345', runtimeSessionId: SESSION_A, payload: encode({}) })),
    );
    expect(noAccount.name).toBe('ValidationException');
    const otherAccount = await rejection(
      c.send(new InvokeAgentRuntimeCommand({ agentRuntimeArn: 'longhaul_worker-AbCdE12345', accountId: '000000000000', runtimeSessionId: SESSION_A, payload: encode({}) })),
    );
    expect(otherAccount.name).toBe('ResourceNotFoundException');
  });

  it('reports an agent that throws as RuntimeClientError', async () => {
    const s = await start({ agents: [echoAgent] });
    const err = await rejection(
      client(s).send(new InvokeAgentRuntimeCommand({ agentRuntimeArn: AGENT_ARN, runtimeSessionId: SESSION_A, payload: encode({ fail: true }) })),
    );
    expect(err.name).toBe('RuntimeClientError');
    expect(err.message).toContain('agent crashed');
    expect(err.$metadata.httpStatusCode).toBe(424);
    expect(s.calls).toHaveLength(1); // not retried: the agent's failure is not transient
  });

  it('stops a session; stopping again or an unknown session is ResourceNotFoundException; a new invocation starts afresh', async () => {
    const s = await start({ agents: [echoAgent] });
    const c = client(s);
    const first = await c.send(new InvokeAgentRuntimeCommand({ agentRuntimeArn: AGENT_ARN, runtimeSessionId: SESSION_A, payload: encode({ prompt: 'a' }) }));
    await first.response!.transformToString();

    const stopped = await c.send(new StopRuntimeSessionCommand({ agentRuntimeArn: AGENT_ARN, runtimeSessionId: SESSION_A }));
    expect(stopped.runtimeSessionId).toBe(SESSION_A);
    expect(stopped.statusCode).toBe(200);
    expect(s.runtimeSessions.get(SESSION_A)?.stopped).toBe(true);

    const again = await rejection(c.send(new StopRuntimeSessionCommand({ agentRuntimeArn: AGENT_ARN, runtimeSessionId: SESSION_A })));
    expect(again.name).toBe('ResourceNotFoundException');
    const unknown = await rejection(
      c.send(new StopRuntimeSessionCommand({ agentRuntimeArn: AGENT_ARN, runtimeSessionId: 'never-started-000000000000000000000000' })),
    );
    expect(unknown.name).toBe('ResourceNotFoundException');

    const next = await c.send(new InvokeAgentRuntimeCommand({ agentRuntimeArn: AGENT_ARN, runtimeSessionId: SESSION_A, payload: encode({ prompt: 'b' }) }));
    await next.response!.transformToString();
    expect(s.runtimeSessions.get(SESSION_A)).toEqual({ agentArn: AGENT_ARN, invocations: 1, stopped: false, payloads: [{ prompt: 'b' }] });
  });

  it('repeats a stop with the same client token as a success', async () => {
    const s = await start({ agents: [echoAgent] });
    const c = client(s);
    const out = await c.send(new InvokeAgentRuntimeCommand({ agentRuntimeArn: AGENT_ARN, runtimeSessionId: SESSION_A, payload: encode({}) }));
    await out.response!.transformToString();
    const clientToken = 'stop-token-00000000000000000000000001';
    await c.send(new StopRuntimeSessionCommand({ agentRuntimeArn: AGENT_ARN, runtimeSessionId: SESSION_A, clientToken }));
    const repeat = await c.send(new StopRuntimeSessionCommand({ agentRuntimeArn: AGENT_ARN, runtimeSessionId: SESSION_A, clientToken }));
    expect(repeat.$metadata.httpStatusCode).toBe(200);
  });

  it('injects faults on runtime calls: a 429 is retried by the SDK as ThrottlingException', async () => {
    const s = await start({ agents: [echoAgent] });
    s.inject({ op: 'InvokeAgentRuntime', status: 429 });
    const out = await client(s).send(
      new InvokeAgentRuntimeCommand({ agentRuntimeArn: AGENT_ARN, runtimeSessionId: SESSION_A, payload: encode({ prompt: 'r' }) }),
    );
    expect(JSON.parse(await out.response!.transformToString()).echo).toBe('r');
    expect(out.$metadata.attempts).toBe(2);
    expect(s.calls.map((c) => [c.op, c.status])).toEqual([
      ['InvokeAgentRuntime', 429],
      ['InvokeAgentRuntime', 200],
    ]);

    s.inject({ status: 429 });
    const err = await rejection(
      client(s, { maxAttempts: 1 }).send(new InvokeAgentRuntimeCommand({ agentRuntimeArn: AGENT_ARN, runtimeSessionId: SESSION_A, payload: encode({}) })),
    );
    expect(err.name).toBe('ThrottlingException');
    expect(err.$metadata.httpStatusCode).toBe(429);
  });
});

const MEMORY_ID = 'longhaul_mem-AbCdE12345';
const OTHER_MEMORY_ID = 'other_mem-ZyXwV98765';
const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);
const STRATEGIES = [
  { id: 'semantic-1', type: 'SEMANTIC' as const, namespaces: ['/facts/{actorId}'] },
  { id: 'prefs-1', type: 'USER_PREFERENCE' as const, namespaces: ['/prefs/{actorId}'] },
  { id: 'summary-1', type: 'SUMMARIZATION' as const, namespaces: ['/summaries/{actorId}/{sessionId}'] },
  { id: 'episodes-1', type: 'EPISODIC' as const, namespaces: ['/episodes/{actorId}/{memoryStrategyId}/{sessionId}'] },
];

function text(role: 'USER' | 'ASSISTANT' | 'TOOL' | 'OTHER', t: string) {
  return { conversational: { role, content: { text: t } } };
}

async function memoryStub(extra: AgentCoreStubOptions = {}, clock = new FakeClock(T0)) {
  const s = await start({
    memories: [
      { id: MEMORY_ID, strategies: STRATEGIES },
      { id: OTHER_MEMORY_ID, eventExpiryDays: 7 },
    ],
    now: () => clock.now(),
    ...extra,
  });
  return { s, c: client(s), clock };
}

function event(over: Partial<CreateEventCommandInput> = {}): CreateEventCommandInput {
  return {
    memoryId: MEMORY_ID,
    actorId: 'tenant-a',
    sessionId: 'session-1',
    eventTimestamp: new Date(T0),
    payload: [text('USER', 'hello there')],
    ...over,
  };
}

describe('agentcore stub: memory events', () => {
  it('creates an event (201) and reads it back with GetEvent', async () => {
    const { s, c } = await memoryStub();
    const created = await c.send(
      new CreateEventCommand(event({ eventTimestamp: new Date(T0 + 1500), metadata: { user: { stringValue: 'alice@example.com' } } })),
    );
    expect(created.$metadata.httpStatusCode).toBe(201);
    const e = created.event!;
    expect(e.eventId).toMatch(/^[0-9]+#[a-fA-F0-9]+$/);
    expect(e.memoryId).toBe(MEMORY_ID);
    expect(e.eventTimestamp).toEqual(new Date(T0 + 1000)); // whole seconds, as the service keeps them
    expect(e.payload).toEqual([text('USER', 'hello there')]);
    expect(e.metadata).toEqual({ user: { stringValue: 'alice@example.com' } });

    const got = await c.send(new GetEventCommand({ memoryId: MEMORY_ID, actorId: 'tenant-a', sessionId: 'session-1', eventId: e.eventId! }));
    expect(got.event).toEqual(e);
    expect(s.events(MEMORY_ID)).toHaveLength(1);
    expect(s.events(MEMORY_ID)[0]).toMatchObject({ actorId: 'tenant-a', sessionId: 'session-1', eventTimestamp: T0 + 1000 });
  });

  it('accepts blob and json payloads and actor ids with ":" and "/"', async () => {
    const { c } = await memoryStub();
    const out = await c.send(
      new CreateEventCommand(event({ actorId: 'tenant:acme/user-1', payload: [{ blob: { state: [1, 2] } }, { json: { content: { k: 'v' } } }] })),
    );
    expect(out.event?.payload).toEqual([{ blob: { state: [1, 2] } }, { json: { content: { k: 'v' } } }]);
  });

  it.each([
    ['an actorId starting with "-"', event({ actorId: '-tenant' })],
    ['an actorId of 256 characters', event({ actorId: 'a'.repeat(256) })],
    ['a sessionId with "/"', event({ sessionId: 'a/b' })],
    ['a sessionId of 101 characters', event({ sessionId: 's'.repeat(101) })],
    ['no sessionId', event({ sessionId: undefined })],
    ['101 payload items', event({ payload: Array.from({ length: 101 }, () => text('USER', 'x')) })],
    ['an unknown role', event({ payload: [{ conversational: { role: 'SYSTEM' as 'USER', content: { text: 'x' } } }] })],
    ['an empty text', event({ payload: [text('USER', '')] })],
    ['a text of 100,001 characters', event({ payload: [text('USER', 'x'.repeat(100_001))] })],
    ['16 metadata entries', event({ metadata: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, { stringValue: 'v' }])) })],
    ['a metadata value with "!"', event({ metadata: { k: { stringValue: 'no!' } } })],
    ['a metadata value of 257 characters', event({ metadata: { k: { stringValue: 'v'.repeat(257) } } })],
    ['no eventTimestamp', event({ eventTimestamp: undefined })],
    ['a malformed memoryId', event({ memoryId: 'short' })],
  ])('rejects %s with ValidationException', async (_name, input) => {
    const { s, c } = await memoryStub();
    const err = await rejection(c.send(new CreateEventCommand(input)));
    expect(err.name).toBe('ValidationException');
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(err.reason).toBe('FieldValidationFailed');
    expect(s.events(MEMORY_ID)).toEqual([]);
  });

  it('answers ResourceNotFoundException for a memory that does not exist', async () => {
    const { c } = await memoryStub();
    const err = await rejection(c.send(new CreateEventCommand(event({ memoryId: 'missing_mem-0123456789' }))));
    expect(err.name).toBe('ResourceNotFoundException');
    expect(err.$metadata.httpStatusCode).toBe(404);
  });

  it('is idempotent on clientToken: the same request returns the same event, a different one is refused', async () => {
    const { s, c } = await memoryStub();
    const first = await c.send(new CreateEventCommand(event({ clientToken: 'token-1' })));
    const again = await c.send(new CreateEventCommand(event({ clientToken: 'token-1' })));
    expect(again.event?.eventId).toBe(first.event?.eventId);
    expect(s.events(MEMORY_ID)).toHaveLength(1);
    expect(s.events(MEMORY_ID)[0]?.clientToken).toBe('token-1');

    const err = await rejection(c.send(new CreateEventCommand(event({ clientToken: 'token-1', payload: [text('USER', 'changed')] }))));
    expect(err.name).toBe('ValidationException');
    expect(err.reason).toBe('IdempotentParameterMismatchException');
    expect(s.events(MEMORY_ID)).toHaveLength(1);

    // Without a token the SDK generates one per call, so two sends are two events.
    await c.send(new CreateEventCommand(event()));
    await c.send(new CreateEventCommand(event()));
    expect(s.events(MEMORY_ID)).toHaveLength(3);
  });

  it('lists events newest first, page by page, with or without payloads', async () => {
    const { c } = await memoryStub();
    for (let i = 0; i < 5; i++) {
      await c.send(new CreateEventCommand(event({ eventTimestamp: new Date(T0 + i * 1000), payload: [text('USER', `message ${i}`)] })));
    }
    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await c.send(
        new ListEventsCommand({ memoryId: MEMORY_ID, actorId: 'tenant-a', sessionId: 'session-1', maxResults: 2, nextToken }),
      );
      pages += 1;
      expect(page.events!.length).toBeLessThanOrEqual(2);
      for (const e of page.events!) seen.push((e.payload![0] as { conversational: { content: { text: string } } }).conversational.content.text);
      nextToken = page.nextToken;
    } while (nextToken);
    expect(pages).toBe(3);
    expect(seen).toEqual(['message 4', 'message 3', 'message 2', 'message 1', 'message 0']);

    const bare = await c.send(new ListEventsCommand({ memoryId: MEMORY_ID, actorId: 'tenant-a', sessionId: 'session-1', includePayloads: false }));
    expect(bare.events).toHaveLength(5);
    expect(bare.events!.every((e) => e.payload?.length === 0)).toBe(true);
  });

  it('validates maxResults (1–100) and nextToken', async () => {
    const { c } = await memoryStub();
    for (const maxResults of [0, 101]) {
      const err = await rejection(c.send(new ListEventsCommand({ memoryId: MEMORY_ID, actorId: 'tenant-a', sessionId: 'session-1', maxResults })));
      expect(err.name).toBe('ValidationException');
    }
    const err = await rejection(
      c.send(new ListEventsCommand({ memoryId: MEMORY_ID, actorId: 'tenant-a', sessionId: 'session-1', nextToken: 'not-a-token' })),
    );
    expect(err.name).toBe('ValidationException');
  });

  it('filters listed events on metadata (EQUALS_TO, EXISTS, NOT_EXISTS)', async () => {
    const { c } = await memoryStub();
    await c.send(new CreateEventCommand(event({ metadata: { kind: { stringValue: 'signal' } }, payload: [text('USER', 'a')] })));
    await c.send(new CreateEventCommand(event({ metadata: { kind: { stringValue: 'note' } }, payload: [text('USER', 'b')] })));
    await c.send(new CreateEventCommand(event({ payload: [text('USER', 'c')] })));
    const list = async (eventMetadata: NonNullable<NonNullable<ConstructorParameters<typeof ListEventsCommand>[0]['filter']>['eventMetadata']>) =>
      (await c.send(new ListEventsCommand({ memoryId: MEMORY_ID, actorId: 'tenant-a', sessionId: 'session-1', filter: { eventMetadata } }))).events!.map(
        (e) => (e.payload![0] as { conversational: { content: { text: string } } }).conversational.content.text,
      );
    expect(await list([{ left: { metadataKey: 'kind' }, operator: 'EQUALS_TO', right: { metadataValue: { stringValue: 'signal' } } }])).toEqual(['a']);
    expect((await list([{ left: { metadataKey: 'kind' }, operator: 'EXISTS' }])).sort()).toEqual(['a', 'b']);
    expect(await list([{ left: { metadataKey: 'kind' }, operator: 'NOT_EXISTS' }])).toEqual(['c']);
  });

  it("keeps actors apart: another actor's event id is not found, listing or deleting it fails", async () => {
    const { s, c } = await memoryStub();
    const { event: e } = await c.send(new CreateEventCommand(event()));
    const key = { memoryId: MEMORY_ID, sessionId: 'session-1', eventId: e!.eventId! };
    const get = await rejection(c.send(new GetEventCommand({ ...key, actorId: 'tenant-b' })));
    expect(get.name).toBe('ResourceNotFoundException');
    const del = await rejection(c.send(new DeleteEventCommand({ ...key, actorId: 'tenant-b' })));
    expect(del.name).toBe('ResourceNotFoundException');
    const listed = await c.send(new ListEventsCommand({ memoryId: MEMORY_ID, actorId: 'tenant-b', sessionId: 'session-1' }));
    expect(listed.events).toEqual([]);
    const otherSession = await rejection(c.send(new GetEventCommand({ ...key, actorId: 'tenant-a', sessionId: 'session-2' })));
    expect(otherSession.name).toBe('ResourceNotFoundException');

    const deleted = await c.send(new DeleteEventCommand({ ...key, actorId: 'tenant-a' }));
    expect(deleted.eventId).toBe(e!.eventId);
    expect(s.events(MEMORY_ID)).toEqual([]);
    const gone = await rejection(c.send(new GetEventCommand({ ...key, actorId: 'tenant-a' })));
    expect(gone.name).toBe('ResourceNotFoundException');
  });

  it("keeps memories apart and hides events older than the memory's expiry", async () => {
    const { s, c, clock } = await memoryStub();
    const { event: e } = await c.send(new CreateEventCommand(event({ memoryId: OTHER_MEMORY_ID })));
    expect(s.events(MEMORY_ID)).toEqual([]);
    const wrongMemory = await rejection(
      c.send(new GetEventCommand({ memoryId: MEMORY_ID, actorId: 'tenant-a', sessionId: 'session-1', eventId: e!.eventId! })),
    );
    expect(wrongMemory.name).toBe('ResourceNotFoundException');

    clock.advance(6 * 86_400_000);
    const key = { memoryId: OTHER_MEMORY_ID, actorId: 'tenant-a', sessionId: 'session-1' };
    expect((await c.send(new ListEventsCommand(key))).events).toHaveLength(1);
    clock.advance(2 * 86_400_000); // 8 days: past the 7-day expiry
    expect((await c.send(new ListEventsCommand(key))).events).toEqual([]);
    const expired = await rejection(c.send(new GetEventCommand({ ...key, eventId: e!.eventId! })));
    expect(expired.name).toBe('ResourceNotFoundException');
    expect(s.events(OTHER_MEMORY_ID)).toEqual([]);
  });

  it('throttles CreateEvent above the per-(actor, session) rate with ThrottledException', async () => {
    const { s } = await memoryStub({ createEventRate: 2 });
    const once = client(s, { maxAttempts: 1 });
    await once.send(new CreateEventCommand(event()));
    await once.send(new CreateEventCommand(event()));
    const err = await rejection(once.send(new CreateEventCommand(event())));
    expect(err.name).toBe('ThrottledException');
    expect(err.$metadata.httpStatusCode).toBe(429);
    await once.send(new CreateEventCommand(event({ sessionId: 'session-2' }))); // another session has its own budget
    expect(s.events(MEMORY_ID)).toHaveLength(3);
  });
});

describe('agentcore stub: fault injection', () => {
  it('a 429 is retried by the SDK and the retry (same clientToken) stores one event', async () => {
    const { s, c } = await memoryStub();
    s.inject({ op: 'CreateEvent', status: 429 });
    const out = await c.send(new CreateEventCommand(event()));
    expect(out.$metadata.attempts).toBe(2);
    expect(s.calls.map((x) => [x.op, x.status])).toEqual([
      ['CreateEvent', 429],
      ['CreateEvent', 201],
    ]);
    expect(s.events(MEMORY_ID)).toHaveLength(1);
  });

  it('with maxAttempts 1 the throttling surfaces as ThrottledException', async () => {
    const { s } = await memoryStub();
    s.inject({ status: 429 });
    const err = await rejection(client(s, { maxAttempts: 1 }).send(new CreateEventCommand(event())));
    expect(err.name).toBe('ThrottledException');
    expect(err.$metadata.httpStatusCode).toBe(429);
    expect(err.$metadata.attempts).toBe(1);
    expect(s.events(MEMORY_ID)).toEqual([]);
  });

  it('500 is ServiceException and 503 is retried; a reset socket is retried too', async () => {
    const { s, c } = await memoryStub();
    s.inject({ op: 'ListEvents', status: 500, count: 2 });
    const err = await rejection(
      client(s, { maxAttempts: 2 }).send(new ListEventsCommand({ memoryId: MEMORY_ID, actorId: 'tenant-a', sessionId: 'session-1' })),
    );
    expect(err.name).toBe('ServiceException');
    expect(err.$metadata.httpStatusCode).toBe(500);
    expect(err.$metadata.attempts).toBe(2);

    s.inject({ op: 'ListEvents', status: 503 });
    const ok = await c.send(new ListEventsCommand({ memoryId: MEMORY_ID, actorId: 'tenant-a', sessionId: 'session-1' }));
    expect(ok.$metadata.attempts).toBe(2);

    s.inject({ op: 'CreateEvent', status: 'reset' });
    const created = await c.send(new CreateEventCommand(event()));
    expect(created.$metadata.attempts).toBe(2);
    expect(s.calls.filter((x) => x.op === 'CreateEvent').map((x) => x.status)).toEqual([0, 201]);
  });

  it('only the named operation is failed', async () => {
    const { s, c } = await memoryStub();
    s.inject({ op: 'GetEvent', status: 500 });
    await c.send(new CreateEventCommand(event()));
    expect(s.calls.map((x) => x.status)).toEqual([201]);
  });
});

const NS = '/custom/tenant-a';
const recordInput = (requestIdentifier: string, t: string, over: Record<string, unknown> = {}) => ({
  requestIdentifier,
  namespaces: [NS],
  content: { text: t },
  timestamp: new Date(T0),
  memoryStrategyId: 'semantic-1',
  ...over,
});

describe('agentcore stub: memory records', () => {
  it('batch-creates records, reporting per-record failures, and reads them back', async () => {
    const { s, c } = await memoryStub();
    const out = await c.send(
      new BatchCreateMemoryRecordsCommand({
        memoryId: MEMORY_ID,
        records: [
          recordInput('r1', 'TechCorp files its annual report in March', { metadata: { source: { stringValue: 'filing' } } }),
          recordInput('r2', 'The bank data is due on Friday'),
          recordInput('r1', 'duplicate request identifier'),
          recordInput('r3', 'unknown strategy', { memoryStrategyId: 'nope' }),
        ],
      }),
    );
    expect(out.$metadata.httpStatusCode).toBe(201);
    expect(out.successfulRecords!.map((r) => [r.requestIdentifier, r.status])).toEqual([
      ['r1', 'SUCCEEDED'],
      ['r2', 'SUCCEEDED'],
    ]);
    expect(out.failedRecords!.map((r) => [r.requestIdentifier, r.status, r.errorCode])).toEqual([
      ['r1', 'FAILED', 400],
      ['r3', 'FAILED', 404],
    ]);
    const id = out.successfulRecords![0]!.memoryRecordId!;
    expect(id).toMatch(/^mem-[a-zA-Z0-9-_]{36,46}$/);
    const got = await c.send(new GetMemoryRecordCommand({ memoryId: MEMORY_ID, memoryRecordId: id }));
    expect(got.memoryRecord).toMatchObject({
      memoryRecordId: id,
      content: { text: 'TechCorp files its annual report in March' },
      memoryStrategyId: 'semantic-1',
      namespaces: [NS],
      createdAt: new Date(T0),
      metadata: { source: { stringValue: 'filing' } },
    });
    expect(s.records(MEMORY_ID)).toHaveLength(2);
  });

  it('honours the batch clientToken', async () => {
    const { s, c } = await memoryStub();
    const input = { memoryId: MEMORY_ID, clientToken: 'batch-token-1', records: [recordInput('r1', 'one')] };
    const a = await c.send(new BatchCreateMemoryRecordsCommand(input));
    const b = await c.send(new BatchCreateMemoryRecordsCommand(input));
    expect(b.successfulRecords).toEqual(a.successfulRecords);
    expect(s.records(MEMORY_ID)).toHaveLength(1);
    const err = await rejection(c.send(new BatchCreateMemoryRecordsCommand({ ...input, records: [recordInput('r1', 'two')] })));
    expect(err.name).toBe('ValidationException');
    expect(err.reason).toBe('IdempotentParameterMismatchException');
  });

  it.each([
    ['two namespaces', recordInput('r1', 'x', { namespaces: ['/a', '/b'] })],
    ['an empty text', recordInput('r1', '')],
    ['a text of 16,001 characters', recordInput('r1', 'x'.repeat(16_001))],
    ['a bad requestIdentifier', recordInput('r 1', 'x')],
    ['21 metadata entries', recordInput('r1', 'x', { metadata: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, { numberValue: i }])) })],
  ])('rejects a batch with %s as ValidationException', async (_name, record) => {
    const { s, c } = await memoryStub();
    const err = await rejection(c.send(new BatchCreateMemoryRecordsCommand({ memoryId: MEMORY_ID, records: [record as never] })));
    expect(err.name).toBe('ValidationException');
    expect(s.records(MEMORY_ID)).toEqual([]);
  });

  it('lists records under a namespace prefix, by strategy and metadata, page by page', async () => {
    const { c } = await memoryStub();
    await c.send(
      new BatchCreateMemoryRecordsCommand({
        memoryId: MEMORY_ID,
        records: [
          recordInput('a', 'alpha', { timestamp: new Date(T0 + 1000), metadata: { tier: { numberValue: 1 } } }),
          recordInput('b', 'beta', { timestamp: new Date(T0 + 2000), metadata: { tier: { numberValue: 5 } } }),
          recordInput('c', 'gamma', { timestamp: new Date(T0 + 3000), memoryStrategyId: 'prefs-1' }),
          recordInput('d', 'delta', { namespaces: ['/custom/tenant-b'] }),
        ],
      }),
    );
    const texts: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await c.send(new ListMemoryRecordsCommand({ memoryId: MEMORY_ID, namespace: NS, maxResults: 1, nextToken }));
      texts.push(...page.memoryRecordSummaries!.map((r) => r.content!.text!));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(texts).toEqual(['gamma', 'beta', 'alpha']); // newest first; tenant-b's record is outside the prefix

    const all = await c.send(new ListMemoryRecordsCommand({ memoryId: MEMORY_ID, namespace: '/custom' }));
    expect(all.memoryRecordSummaries).toHaveLength(4);
    const byStrategy = await c.send(new ListMemoryRecordsCommand({ memoryId: MEMORY_ID, namespace: NS, memoryStrategyId: 'prefs-1' }));
    expect(byStrategy.memoryRecordSummaries!.map((r) => r.content!.text)).toEqual(['gamma']);
    const byMetadata = await c.send(
      new ListMemoryRecordsCommand({
        memoryId: MEMORY_ID,
        namespace: NS,
        metadataFilters: [{ left: { metadataKey: 'tier' }, operator: 'GREATER_THAN', right: { metadataValue: { numberValue: 2 } } }],
      }),
    );
    expect(byMetadata.memoryRecordSummaries!.map((r) => r.content!.text)).toEqual(['beta']);
    const noScope = await rejection(c.send(new ListMemoryRecordsCommand({ memoryId: MEMORY_ID })));
    expect(noScope.name).toBe('ValidationException');
  });

  it('updates and deletes records, singly and in batches', async () => {
    const { s, c } = await memoryStub();
    const created = await c.send(
      new BatchCreateMemoryRecordsCommand({ memoryId: MEMORY_ID, records: [recordInput('a', 'old text'), recordInput('b', 'second')] }),
    );
    const [a, b] = created.successfulRecords!.map((r) => r.memoryRecordId!);
    const missing = `mem-${'0'.repeat(36)}`;
    const updated = await c.send(
      new BatchUpdateMemoryRecordsCommand({
        memoryId: MEMORY_ID,
        records: [
          { memoryRecordId: a!, timestamp: new Date(T0 + 5000), content: { text: 'new text' }, namespaces: ['/custom/moved'] },
          { memoryRecordId: missing, timestamp: new Date(T0) },
        ],
      }),
    );
    expect(updated.successfulRecords!.map((r) => [r.memoryRecordId, r.status])).toEqual([[a, 'SUCCEEDED']]);
    expect(updated.failedRecords!.map((r) => [r.memoryRecordId, r.errorCode])).toEqual([[missing, 404]]);
    const got = await c.send(new GetMemoryRecordCommand({ memoryId: MEMORY_ID, memoryRecordId: a! }));
    expect(got.memoryRecord).toMatchObject({ content: { text: 'new text' }, namespaces: ['/custom/moved'] });

    const deleted = await c.send(new DeleteMemoryRecordCommand({ memoryId: MEMORY_ID, memoryRecordId: a! }));
    expect(deleted.memoryRecordId).toBe(a);
    const gone = await rejection(c.send(new GetMemoryRecordCommand({ memoryId: MEMORY_ID, memoryRecordId: a! })));
    expect(gone.name).toBe('ResourceNotFoundException');
    const again = await rejection(c.send(new DeleteMemoryRecordCommand({ memoryId: MEMORY_ID, memoryRecordId: a! })));
    expect(again.name).toBe('ResourceNotFoundException');

    const batch = await c.send(
      new BatchDeleteMemoryRecordsCommand({ memoryId: MEMORY_ID, records: [{ memoryRecordId: b! }, { memoryRecordId: a! }] }),
    );
    expect(batch.successfulRecords!.map((r) => r.memoryRecordId)).toEqual([b]);
    expect(batch.failedRecords!.map((r) => [r.memoryRecordId, r.status, r.errorCode])).toEqual([[a, 'FAILED', 404]]);
    expect(s.records(MEMORY_ID)).toEqual([]);
    const badId = await rejection(c.send(new GetMemoryRecordCommand({ memoryId: MEMORY_ID, memoryRecordId: 'mem-short' })));
    expect(badId.name).toBe('ValidationException');
  });

  it('retrieves by lexical relevance within topK, and validates topK, the query and the scope', async () => {
    const { c } = await memoryStub();
    await c.send(
      new BatchCreateMemoryRecordsCommand({
        memoryId: MEMORY_ID,
        records: [
          recordInput('a', 'TechCorp annual report filed in March'),
          recordInput('b', 'TechCorp bank data arrives Friday'),
          recordInput('c', 'Unrelated note about lunch'),
          recordInput('d', 'TechCorp bank data for another tenant', { namespaces: ['/custom/tenant-b'] }),
        ],
      }),
    );
    const retrieve = (searchCriteria: { searchQuery: string; topK?: number }) =>
      c.send(new RetrieveMemoryRecordsCommand({ memoryId: MEMORY_ID, namespace: NS, searchCriteria }));
    const hits = await retrieve({ searchQuery: 'TechCorp bank data' });
    expect(hits.memoryRecordSummaries!.map((r) => [r.content!.text, r.score])).toEqual([
      ['TechCorp bank data arrives Friday', 1],
      ['TechCorp annual report filed in March', 1 / 3],
    ]);
    const top1 = await retrieve({ searchQuery: 'TechCorp bank data', topK: 1 });
    expect(top1.memoryRecordSummaries).toHaveLength(1);

    for (const topK of [0, 101]) {
      const err = await rejection(retrieve({ searchQuery: 'TechCorp', topK }));
      expect(err.name).toBe('ValidationException');
      expect(err.$metadata.httpStatusCode).toBe(400);
    }
    expect((await rejection(retrieve({ searchQuery: '' }))).name).toBe('ValidationException');
    expect((await rejection(retrieve({ searchQuery: 'q'.repeat(10_001) }))).name).toBe('ValidationException');
    const noScope = await rejection(c.send(new RetrieveMemoryRecordsCommand({ memoryId: MEMORY_ID, searchCriteria: { searchQuery: 'TechCorp' } })));
    expect(noScope.name).toBe('ValidationException');
    const unknown = await rejection(
      c.send(new RetrieveMemoryRecordsCommand({ memoryId: 'missing_mem-0123456789', namespace: NS, searchCriteria: { searchQuery: 'x' } })),
    );
    expect(unknown.name).toBe('ResourceNotFoundException');
  });
});

describe('agentcore stub: extraction', () => {
  const talk = async (c: BedrockAgentCoreClient, actorId: string, sessionId: string, second: number, payload: CreateEventCommandInput['payload'], extra: Partial<CreateEventCommandInput> = {}) =>
    c.send(new CreateEventCommand(event({ actorId, sessionId, eventTimestamp: new Date(T0 + second * 1000), payload, ...extra })));

  it('runs each strategy over new events into its namespaces, deterministically', async () => {
    const { s, c } = await memoryStub();
    await talk(c, 'tenant-a', 'session-1', 1, [text('USER', 'I prefer reports in PDF'), text('ASSISTANT', 'Noted: PDF reports')]);
    await talk(c, 'tenant-a', 'session-1', 2, [text('USER', 'The bank data arrives on Friday')]);
    await talk(c, 'tenant-a', 'session-1', 3, [{ blob: { internal: true } }]);
    await talk(c, 'tenant-a', 'session-1', 4, [text('USER', 'I always skip this')], { extractionMode: 'SKIP' });
    await talk(c, 'tenant-b', 'session-9', 5, [text('USER', 'I never work on Sundays')]);
    expect(s.records(MEMORY_ID)).toEqual([]);

    await s.extract();
    const view = () =>
      s
        .records(MEMORY_ID)
        .map((r) => [r.memoryStrategyId, r.namespaces[0], r.text])
        .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
    expect(view()).toEqual(
      [
        ['episodes-1', '/episodes/tenant-a/episodes-1/session-1', 'Episode session-1: I prefer reports in PDF Noted: PDF reports The bank data arrives on Friday'],
        ['episodes-1', '/episodes/tenant-b/episodes-1/session-9', 'Episode session-9: I never work on Sundays'],
        ['prefs-1', '/prefs/tenant-a', 'I prefer reports in PDF'],
        ['prefs-1', '/prefs/tenant-b', 'I never work on Sundays'],
        ['semantic-1', '/facts/tenant-a', 'I prefer reports in PDF'],
        ['semantic-1', '/facts/tenant-a', 'Noted: PDF reports'],
        ['semantic-1', '/facts/tenant-a', 'The bank data arrives on Friday'],
        ['semantic-1', '/facts/tenant-b', 'I never work on Sundays'],
        ['summary-1', '/summaries/tenant-a/session-1', 'USER: I prefer reports in PDF\nASSISTANT: Noted: PDF reports\nUSER: The bank data arrives on Friday'],
        ['summary-1', '/summaries/tenant-b/session-9', 'USER: I never work on Sundays'],
      ].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
    );

    // Found by RetrieveMemoryRecords under the actor's namespace, not under another actor's.
    const prefs = await c.send(
      new RetrieveMemoryRecordsCommand({ memoryId: MEMORY_ID, namespace: '/prefs/tenant-a', searchCriteria: { searchQuery: 'PDF reports' } }),
    );
    expect(prefs.memoryRecordSummaries!.map((r) => [r.content!.text, r.memoryStrategyId])).toEqual([['I prefer reports in PDF', 'prefs-1']]);
    const facts = await c.send(
      new RetrieveMemoryRecordsCommand({
        memoryId: MEMORY_ID,
        namespace: '/facts/tenant-b',
        searchCriteria: { searchQuery: 'bank data Friday', memoryStrategyId: 'semantic-1' },
      }),
    );
    expect(facts.memoryRecordSummaries).toEqual([]);

    // A second run with nothing new changes nothing; a new message updates the summary in place.
    await s.extract();
    expect(s.records(MEMORY_ID)).toHaveLength(10);
    const summaryBefore = s.records(MEMORY_ID).find((r) => r.namespaces[0] === '/summaries/tenant-a/session-1')!;
    await talk(c, 'tenant-a', 'session-1', 6, [text('ASSISTANT', 'Report filed')]);
    await s.extract();
    const summaryAfter = s.records(MEMORY_ID).find((r) => r.namespaces[0] === '/summaries/tenant-a/session-1')!;
    expect(summaryAfter.memoryRecordId).toBe(summaryBefore.memoryRecordId);
    expect(summaryAfter.text.endsWith('ASSISTANT: Report filed')).toBe(true);
    expect(s.records(MEMORY_ID)).toHaveLength(11); // plus one SEMANTIC record
  });

  it('extracts by itself extractAfterMs after a CreateEvent', async () => {
    const { s, c } = await memoryStub({ extractAfterMs: 5 });
    await talk(c, 'tenant-a', 'session-1', 1, [text('USER', 'The audit starts Monday')]);
    await vi.waitFor(() => expect(s.records(MEMORY_ID).map((r) => r.memoryStrategyId).sort()).toEqual(['episodes-1', 'semantic-1', 'summary-1']));
  });
});

describe('agentcore stub: configuration', () => {
  it('refuses memory ids and expiries the service would never issue', async () => {
    await expect(startAgentCoreStub({ memories: [{ id: 'mem-1' }] })).rejects.toThrow(/pattern/);
    await expect(startAgentCoreStub({ memories: [{ id: MEMORY_ID, eventExpiryDays: 6 }] })).rejects.toThrow(/7–365/);
  });

  it('names every call by its SDK operation', async () => {
    const { s, c } = await memoryStub();
    const { event: e } = await c.send(new CreateEventCommand(event()));
    const key = { memoryId: MEMORY_ID, actorId: 'tenant-a', sessionId: 'session-1' };
    await c.send(new ListEventsCommand(key));
    await c.send(new GetEventCommand({ ...key, eventId: e!.eventId! }));
    await c.send(new DeleteEventCommand({ ...key, eventId: e!.eventId! }));
    const { successfulRecords } = await c.send(new BatchCreateMemoryRecordsCommand({ memoryId: MEMORY_ID, records: [recordInput('a', 'x')] }));
    const id = successfulRecords![0]!.memoryRecordId!;
    await c.send(new ListMemoryRecordsCommand({ memoryId: MEMORY_ID, namespace: NS }));
    await c.send(new RetrieveMemoryRecordsCommand({ memoryId: MEMORY_ID, namespace: NS, searchCriteria: { searchQuery: 'x' } }));
    await c.send(new GetMemoryRecordCommand({ memoryId: MEMORY_ID, memoryRecordId: id }));
    await c.send(new BatchUpdateMemoryRecordsCommand({ memoryId: MEMORY_ID, records: [{ memoryRecordId: id, timestamp: new Date(T0) }] }));
    await c.send(new BatchDeleteMemoryRecordsCommand({ memoryId: MEMORY_ID, records: [{ memoryRecordId: id }] }));
    await rejection(c.send(new DeleteMemoryRecordCommand({ memoryId: MEMORY_ID, memoryRecordId: id })));
    expect(s.calls.map((x) => `${x.op} ${x.status}`)).toEqual([
      'CreateEvent 201',
      'ListEvents 200',
      'GetEvent 200',
      'DeleteEvent 200',
      'BatchCreateMemoryRecords 201',
      'ListMemoryRecords 200',
      'RetrieveMemoryRecords 200',
      'GetMemoryRecord 200',
      'BatchUpdateMemoryRecords 200',
      'BatchDeleteMemoryRecords 200',
      'DeleteMemoryRecord 404',
    ]);
  });
});
