/**
 * One phase of the large-store archive test in a process of its own, so its peak RSS
 * (getrusage maxrss) is that phase's alone: `populate <db> <events>`, `export <db> <file>`,
 * `import <db> <file>`. Prints `{rows, maxRssMiB}` as JSON.
 */
import { FakeClock } from '../../src/domain/clock.js';
import { openSqliteStore } from '../../src/store/adapters/sqlite/index.js';
import { exportArchive } from '../../src/store/archive/export.js';
import { importArchive } from '../../src/store/archive/import.js';
import { DAY, fixtures, openInvestigation, T0 } from '../contract/fixtures.js';

const [, , phase, db, arg] = process.argv;
const clock = new FakeClock(T0);
const store = openSqliteStore({ path: db!, clock });
let rows = 0;
if (phase === 'populate') {
  const f = fixtures('big');
  const t = store.tenant('big');
  const n = Number(arg);
  const sessions = [];
  for (let i = 0; i < 10; i++) sessions.push((await openInvestigation(t, f, { events: 0 })).session);
  for (let done = 0; done < n; done += 1_000) {
    const s = sessions[(done / 1_000) % sessions.length]!;
    await t.appendEvents(
      Array.from({ length: Math.min(1_000, n - done) }, (_, i) =>
        f.event({ sessionId: s.id, investigationId: s.investigationId, kind: i % 3 === 0 ? 'finding' : 'message', text: `event ${done + i}: the ledger of account ${(done + i) % 997} shows a transfer`, data: { i: done + i }, expiresAt: T0 + 90 * DAY }),
      ),
    );
  }
  rows = (await store.stats(T0)).events;
} else if (phase === 'export') {
  rows = (await exportArchive(store, { out: arg!, clock })).rows;
} else if (phase === 'import') {
  rows = (await importArchive(store, arg!)).rows;
} else throw new Error(`unknown phase ${phase}`);
await store.close();
process.stdout.write(JSON.stringify({ rows, maxRssMiB: process.resourceUsage().maxRSS / 1024 }) + '\n');
