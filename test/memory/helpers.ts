import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/domain/clock.js';
import { createIdGenerator } from '../../src/domain/ids.js';
import { nullLogger } from '../../src/logger.js';
import { ChangeFeed } from '../../src/runtime/change-feed.js';
import type { Caller, RuntimeDeps } from '../../src/runtime/deps.js';
import { ModelRegistry, type CompletionRequest, type Model } from '../../src/runtime/model.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { createMemoryStore, openSqliteStore } from '../../src/store/adapters/sqlite/index.js';
import type { StorePort } from '../../src/store/port.js';

export const T0 = Date.UTC(2026, 0, 1);
export const SECOND = 1_000;
export const MINUTE = 60_000;
export const DAY = 86_400_000;

export const alice: Caller = { tenantId: 'acme', actorId: 'alice' };

/**
 * The adapters memory's behavioural tests run on. One: the SQLite file, as served. (The
 * in-memory store is the same adapter on `:memory:`; PostgreSQL is held to the same
 * port by the contract suite.)
 */
export const ADAPTERS: Array<{ name: string; open: () => Promise<{ store: StorePort; cleanup: () => Promise<void> }> }> = [
  {
    name: 'sqlite',
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'longhaul-memory-'));
      const store = openSqliteStore({ path: join(dir, 'longhaul.db'), logger: nullLogger });
      return {
        store,
        cleanup: async () => {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
];

export interface World {
  clock: FakeClock;
  store: StorePort;
  deps: RuntimeDeps;
  runtime: Runtime;
  models: ModelRegistry;
}

/** A runtime on `store` with a fake clock at T0 and the given model registry. */
export function world(store: StorePort = createMemoryStore(), models: ModelRegistry = ModelRegistry.none()): World {
  const clock = new FakeClock(T0);
  const deps: RuntimeDeps = {
    store,
    clock,
    ids: createIdGenerator(clock),
    logger: nullLogger,
    feed: new ChangeFeed(),
    settings: { idleTimeoutMs: 15 * MINUTE, maxSessionDurationMs: 8 * 60 * MINUTE, eventRetentionMs: 90 * DAY },
    models,
  };
  return { clock, store, deps, runtime: new Runtime(deps), models };
}

/** Opens an investigation (and its supervisor session) for alice. */
export async function investigation(w: World, subject = 'TechCorp') {
  const r = await w.runtime.investigations.start(alice, { subject, objective: `Check ${subject}'s filings against the bank data` });
  return { investigationId: r.investigation.investigationId, sessionId: r.sessionId };
}

/** Records an event in a session, a millisecond later than the previous one. */
export async function record(w: World, sessionId: string, kind: 'finding' | 'fact' | 'preference' | 'decision' | 'signal' | 'status' | 'message', text: string, data?: unknown) {
  w.clock.advance(1);
  return (await w.runtime.events.record(alice, { sessionId, role: 'agent', kind, text, ...(data === undefined ? {} : { data }) })).event;
}

/** A scripted model: answers with `answer(req)`, records every request. */
export class StubModel implements Model {
  readonly requests: CompletionRequest[] = [];
  constructor(
    readonly name: string,
    private readonly answer: (req: CompletionRequest) => string | Promise<string>,
  ) {}
  async complete(req: CompletionRequest): Promise<string> {
    this.requests.push(req);
    return this.answer(req);
  }
}

/** Renumbers the prompt's numbered lines, upper-cased: a deterministic "rewrite". */
export const shoutingModel = () =>
  new StubModel('stub:shout', (req) => {
    if (req.prompt.startsWith('Rewrite')) {
      return req.prompt
        .split('\n')
        .filter((l) => /^\d+\. /.test(l))
        .map((l) => l.toUpperCase())
        .join('\n');
    }
    return 'A SUMMARY IN PROSE.';
  });
