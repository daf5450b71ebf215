/**
 * A separate process racing others for an investigation's signal slots (run by
 * sqlite-logs.test.ts with `node --import tsx`): opens the store file, waits until the
 * start time so every process begins together, delivers `n` signals with the limits,
 * and prints how many were stored and how many refused.
 * argv: <db file> <tenant> <investigationId> <n> <max count> <max bytes> <start at (ms)>
 */
import { systemClock } from '../../../src/domain/clock.js';
import { createIdGenerator } from '../../../src/domain/ids.js';
import { SignalLimitError } from '../../../src/domain/signal-limits.js';
import { openSqliteStore } from '../../../src/store/adapters/sqlite/index.js';

const [file, tenantId, investigationId, n, count, bytes, startAt] = process.argv.slice(2) as [string, string, string, string, string, string, string];
const store = openSqliteStore({ path: file, busyTimeoutMs: 10_000 });
const ids = createIdGenerator(systemClock);
const t = store.tenant(tenantId);
while (Date.now() < Number(startAt)) await new Promise((r) => setTimeout(r, 1));
let stored = 0;
let refused = 0;
for (let i = 0; i < Number(n); i++) {
  const signal = { id: ids('sig'), tenantId, investigationId, name: 'bank_data', payload: { i, pid: process.pid }, attachments: [], idempotencyKey: null, receivedAt: Date.now(), actorId: 'hook' };
  try {
    await t.deliverSignal({ signal, events: [], limits: { count: Number(count), bytes: Number(bytes) } });
    stored++;
  } catch (e) {
    if (!(e instanceof SignalLimitError)) throw e;
    refused++;
  }
}
await store.close();
process.stdout.write(JSON.stringify({ stored, refused }));
