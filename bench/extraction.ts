import { systemClock } from '../src/domain/clock.js';
import { createIdGenerator } from '../src/domain/ids.js';
import { nullLogger } from '../src/logger.js';
import { Memory } from '../src/memory/memory.js';
import { ChangeFeed } from '../src/runtime/change-feed.js';
import { ModelRegistry } from '../src/runtime/model.js';
import { extractionJob } from '../src/scheduler/extraction-job.js';
import { openSqliteStore } from '../src/store/adapters/sqlite/index.js';
import { TENANT, makeEvents, openInvestigation, vocabulary } from './preload.js';
import { rng } from './rng.js';

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

/** Extraction throughput: `total` unextracted events in 20 sessions, drained by the extraction job in-process. */
export async function extraction(path: string, total: number) {
  const store = openSqliteStore({ path, logger: nullLogger });
  const t = store.tenant(TENANT);
  const r = rng(9);
  const vocab = vocabulary();
  const perSession = total / 20;
  for (let s = 0; s < 20; s++) {
    const where = await openInvestigation(t, `Extraction ${s}`);
    for (let done = 0; done < perSession; done += 1_000) await t.appendEvents(makeEvents(Math.min(1_000, perSession - done), where, r, vocab));
  }
  const deps = { store, clock: systemClock, ids: createIdGenerator(systemClock), logger: nullLogger, feed: new ChangeFeed(), settings: { idleTimeoutMs: 900_000, maxSessionDurationMs: 28_800_000, eventRetentionMs: 90 * 86_400_000 } };
  const memory = new Memory(deps, ModelRegistry.none());
  const job = extractionJob(deps, memory, 60_000);
  let events = 0;
  const t0 = performance.now();
  for (;;) {
    const pass = await job.run();
    events += (pass.detail?.events as number) ?? 0;
    if (pass.processed === 0) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  const s = await store.stats(systemClock.now());
  await store.close();
  return { events, seconds: round(seconds, 2), eventsPerSecond: Math.round(events / seconds), records: s.records };
}


/** `node --import tsx bench/extraction.ts <db path> <events>`: one measurement in a fresh process, printed as JSON. */
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const [path, events] = process.argv.slice(2);
  process.stdout.write(JSON.stringify(await extraction(path!, Number(events))) + '\n');
}
