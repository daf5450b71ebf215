/**
 * A large store through export and import with bounded memory: the peak RSS of each
 * phase (its own process) barely moves when the store grows five-fold (20,000 → 100,000
 * events). A design that held the rows would grow with them. The 1,000,000-event figures
 * (rows/s, peak RSS) come from `npm run bench:archive`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const CHILD = fileURLToPath(new URL('./archive-child.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lh-archive-large-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function phase(...args: string[]): { rows: number; maxRssMiB: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD, ...args], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${args[0]} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { rows: number; maxRssMiB: number };
}

function roundTrip(events: number) {
  const source = join(dir, `source-${events}.db`);
  const file = join(dir, `archive-${events}.jsonl.gz`);
  expect(phase('populate', source, String(events)).rows).toBe(events);
  const exported = phase('export', source, file);
  const imported = phase('import', join(dir, `target-${events}.db`), file);
  // Investigations, sessions, checkpoints and the events.
  expect(exported.rows).toBeGreaterThan(events);
  expect(imported.rows).toBe(exported.rows);
  return { exported, imported };
}

describe('a large store', () => {
  it('exports and imports 100,000 events within the memory of 20,000 (streamed, bounded)', { timeout: 120_000 }, () => {
    const small = roundTrip(20_000);
    const large = roundTrip(100_000);
    expect(large.exported.maxRssMiB - small.exported.maxRssMiB).toBeLessThan(40);
    expect(large.imported.maxRssMiB - small.imported.maxRssMiB).toBeLessThan(40);
    expect(large.exported.maxRssMiB).toBeLessThan(300);
    expect(large.imported.maxRssMiB).toBeLessThan(300);
  });
});
