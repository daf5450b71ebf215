/**
 * `npm run bench:floors`: what a crash-safe acknowledgement costs on this machine, part by
 * part, beside longhaul's record_event. Every reference mode of bench/reference-server.ts
 * and longhaul (an empty store) take turns in blocks of 500 calls, eight blocks each after
 * a warm-up, so all are measured under the same machine state. Prints each p50 and its
 * ratio to the floor (the `echo` mode) and writes bench/floors.json. Not a test.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../src/domain/clock.js';
import { ROOT, WARMUP, alternate, log, longhaul, percentile, referenceServer, round, time } from './harness.js';
import { REFERENCE_MODES } from './reference-modes.js';

const BLOCK = 500;
const CALLS = 8 * BLOCK;

const dir = mkdtempSync(join(tmpdir(), 'longhaul-floors-'));
try {
  log(`reference servers (${REFERENCE_MODES.join(', ')}) and longhaul, ${CALLS} calls each in alternating blocks of ${BLOCK}…`);
  const refs = [];
  for (const mode of REFERENCE_MODES) refs.push(await referenceServer(mode));
  const c = await longhaul(dir);
  const started = await c.call('start_investigation', { subject: 'Floors', objective: 'Measure record_event beside the reference servers.' });
  const investigationId = (started.structuredContent as { investigation: { investigationId: string } }).investigation.investigationId;
  const record = (i: number) => c.call('record_event', { investigationId, role: 'agent', kind: 'finding', text: `Finding ${i}: the filing was late.` });
  await time(WARMUP, record);
  const { ms, alongside } = await alternate(record, refs, CALLS, BLOCK);
  await c.close();
  for (const ref of refs) await ref.close();

  const floor = percentile(alongside[0]!, 50);
  const rows = [...REFERENCE_MODES.map((mode, j) => ({ server: mode, p50Ms: percentile(alongside[j]!, 50) })), { server: 'longhaul record_event', p50Ms: percentile(ms, 50) }].map((r) => ({
    server: r.server,
    p50Ms: round(r.p50Ms),
    vsFloor: round(r.p50Ms / floor, 2),
  }));
  process.stdout.write('\n' + rows.map((r) => `${r.server.padEnd(24)} ${r.p50Ms.toFixed(3).padStart(7)} ms  ${r.vsFloor.toFixed(2)}× floor`).join('\n') + '\n');
  writeFileSync(join(ROOT, 'bench/floors.json'), JSON.stringify({ when: new Date(systemClock.now()).toISOString(), node: process.version, cpu: cpus()[0]?.model ?? 'unknown', blockCalls: BLOCK, calls: CALLS, rows }, null, 2) + '\n');
  process.stdout.write('\nwrote bench/floors.json\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
