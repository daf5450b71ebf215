/**
 * longhaul export / import (src/store/archive/): archives move every kind of row between
 * the embedded SQLite store and PostgreSQL (a real server, a schema per store) and back,
 * field by field; an export taken while writes go on is one consistent snapshot; an
 * import is idempotent and refuses archives it cannot trust.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/adapters/postgres/index.js';
import { openSqliteStore } from '../../src/store/adapters/sqlite/index.js';
import { exportArchive } from '../../src/store/archive/export.js';
import { importArchive, verifyArchive } from '../../src/store/archive/import.js';
import type { StorePort } from '../../src/store/port.js';
import { fixtures, openInvestigation, T0 } from '../contract/fixtures.js';
import { PG_URL, pgAdmin } from '../contract/postgres-helpers.js';
import { clock, comparable, fill, rowsOf } from './archive-helpers.js';

const admin = pgAdmin();
const dir = mkdtempSync(join(tmpdir(), 'lh-archive-'));
const open: StorePort[] = [];
let made = 0;

const sqlite = (name: string) => {
  const s = openSqliteStore({ path: join(dir, `${name}.db`), clock });
  open.push(s);
  return s;
};
const postgres = () => {
  const schema = `lh_archive_${process.pid}_${made++}`;
  admin.track(schema);
  const s = openPostgresStore({ url: PG_URL, schema, poolMax: 4, clock });
  open.push(s);
  return s;
};

beforeAll(async () => {
  await admin.check();
});
afterAll(async () => {
  for (const s of open) await s.close().catch(() => undefined);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
});

describe('longhaul export | import', () => {
  describe('a round trip SQLite → PostgreSQL → SQLite', () => {
    it('keeps every row of every kind, field by field: attachments, sources, checkpoints included', async () => {
      const a = sqlite('round-a');
      // The target already holds another tenant's events, so imported seqs cannot be the source's.
      const pg = postgres();
      const other = fixtures('other');
      await openInvestigation(pg.tenant('other'), other, { events: 5 });
      const filled = await fill(a, 'acme');
      await fill(a, 'globex');
      const source = comparable(await rowsOf(a));
      for (const t of ['investigation', 'session', 'task', 'wait', 'signal', 'attachment', 'signal_total', 'checkpoint', 'event', 'record', 'report', 'inbox', 'erasure']) {
        expect(source[t]?.length ?? 0, `rows of ${t}`).toBeGreaterThan(0);
      }

      const first = join(dir, 'round-1.jsonl.gz');
      const exported = await exportArchive(a, { out: first, clock });
      expect(exported.counts.attachment).toBe(4);
      // Header, rows, trailer — and the 1.3 MB file of each tenant takes two lines.
      expect(exported.lines).toBe(1 + exported.rows + 2 + 1);
      const into = await importArchive(pg, first);
      expect(into.inserted).toBe(exported.rows);
      expect(comparable(await rowsOf(pg, ['acme', 'globex']))).toEqual(source);

      const second = join(dir, 'round-2.jsonl.gz');
      await exportArchive(pg, { out: second, clock, tenants: ['acme', 'globex'] });
      const b = sqlite('round-b');
      await importArchive(b, second);
      expect(comparable(await rowsOf(b))).toEqual(source);

      // What the stores build themselves is rebuilt: search, attachments, limits, extraction.
      for (const s of [pg, b]) {
        const t = s.tenant('acme');
        const hits = await t.searchRecords({ query: 'ledger transfers', topK: 5 });
        expect(hits.map((h) => h.record.text)).toContain('acme ledger shows transfers of 9,400 EUR');
        const file = await t.readSignalAttachment(filled.sig.signal.id, 1);
        expect(Buffer.from(file!.content).equals(Buffer.from(filled.sig.attachments[1]!.content))).toBe(true);
        const counts = await t.countInvestigation(filled.a.inv.id);
        expect(counts.signals).toBe(2);
        expect(counts.signalBytes).toBe((await a.tenant('acme').countInvestigation(filled.a.inv.id)).signalBytes);
        // The checkpoint covers the same two extracted events: the one after it is still due.
        const cp = await t.getCheckpoint(filled.a.session.id);
        const after = await t.listEvents({ sessionId: filled.a.session.id, afterSeq: cp!.throughSeq, limit: 10 });
        expect(after.items.map((e) => e.text)).toEqual(['later message, not extracted yet']);
      }
    });

    it('moves one tenant only when asked (--tenant), and nothing of the others', async () => {
      const a = sqlite('tenant-a');
      await fill(a, 'acme');
      await fill(a, 'globex');
      const file = join(dir, 'tenant.jsonl.gz');
      await exportArchive(a, { out: file, clock, tenants: ['globex'] });
      const pg = postgres();
      await importArchive(pg, file);
      const rows = await rowsOf(pg);
      expect(new Set(rows.map((r) => r.row.tenantId))).toEqual(new Set(['globex']));
      expect(comparable(rows)).toEqual(comparable(await rowsOf(a, ['globex'])));
    });
  });

  describe('importing twice', () => {
    it('writes nothing the second time, on either store', async () => {
      const a = sqlite('twice-a');
      await fill(a, 'acme');
      const file = join(dir, 'twice.jsonl.gz');
      await exportArchive(a, { out: file, clock });
      for (const target of [postgres(), sqlite('twice-b')]) {
        const once = await importArchive(target, file);
        const before = comparable(await rowsOf(target));
        const again = await importArchive(target, file);
        expect(again.inserted).toBe(0);
        expect(again.skipped).toBe(once.rows);
        expect(comparable(await rowsOf(target))).toEqual(before);
        expect((await target.stats(T0)).events).toBe(before.event!.length);
      }
    });
  });

  describe('an archive it cannot trust', () => {
    const lines = (file: string) => gunzipSync(readFileSync(file)).toString('utf8').split('\n').filter(Boolean);
    const write = (file: string, ls: string[]) => writeFileSync(file, gzipSync(ls.join('\n') + '\n'));

    it('refuses an unknown version with a clear message, and writes nothing', async () => {
      const a = sqlite('version-a');
      await fill(a, 'acme');
      const file = join(dir, 'version.jsonl.gz');
      await exportArchive(a, { out: file, clock });
      const ls = lines(file);
      const header = JSON.parse(ls[0]!) as Record<string, unknown>;
      write(file, [JSON.stringify({ ...header, version: 2 }), ...ls.slice(1)]);
      const target = sqlite('version-b');
      await expect(importArchive(target, file)).rejects.toThrow(/version 2 of the longhaul archive format; this longhaul reads version 1 only/);
      expect(await rowsOf(target)).toEqual([]);
    });

    it('refuses an altered or truncated archive before writing a row', async () => {
      const a = sqlite('damaged-a');
      await fill(a, 'acme');
      const file = join(dir, 'damaged.jsonl.gz');
      await exportArchive(a, { out: file, clock });
      const ls = lines(file);
      const altered = ls.map((l) => l.replace('9,400 EUR', '9,500 EUR'));
      write(file, altered);
      const target = sqlite('damaged-b');
      await expect(importArchive(target, file)).rejects.toThrow(/does not match its checksum/);
      write(file, ls.slice(0, -1));
      await expect(importArchive(target, file)).rejects.toThrow(/truncated/);
      writeFileSync(file, 'not gzip at all');
      await expect(verifyArchive(file)).rejects.toThrow(/not a gzip-compressed longhaul archive/);
      expect(await rowsOf(target)).toEqual([]);
    });
  });

  describe('an export taken while writes continue', () => {
    for (const kind of ['sqlite', 'postgres'] as const) {
      it(`is one snapshot on ${kind}: no task without its wait, no wait without its task`, async () => {
        const store = kind === 'sqlite' ? sqlite('busy') : postgres();
        const f = fixtures('busy');
        const t = store.tenant('busy');
        const { inv } = await openInvestigation(t, f);
        let stop = false;
        let written = 0;
        const writer = (async () => {
          while (!stop) {
            const w = f.waitingTask(inv.id, `sig_${written}`);
            await t.createTask({ task: w.task, wait: w.wait, events: [f.event({ investigationId: inv.id, text: `task ${written}` })] });
            written++;
            await new Promise((r) => setImmediate(r));
          }
        })();
        // Let the writer get going, then export in the middle of it.
        while (written < 20) await new Promise((r) => setTimeout(r, 5));
        const file = join(dir, `busy-${kind}.jsonl.gz`);
        const rows: string[] = [];
        await exportArchive(store, { out: file, clock });
        const atEnd = written;
        stop = true;
        await writer;
        for (const l of gunzipSync(readFileSync(file)).toString('utf8').split('\n').filter(Boolean)) rows.push(l);
        const parsed = rows.slice(1, -1).map((l) => JSON.parse(l) as { t: string; row: { id: string; taskId?: string } });
        const tasks = new Set(parsed.filter((r) => r.t === 'task').map((r) => r.row.id));
        const waitsOf = new Set(parsed.filter((r) => r.t === 'wait').map((r) => r.row.taskId));
        const events = parsed.filter((r) => r.t === 'event').length;
        expect(tasks.size).toBeGreaterThanOrEqual(20);
        expect([...tasks].filter((id) => !waitsOf.has(id))).toEqual([]);
        expect([...waitsOf].filter((id) => !tasks.has(id!))).toEqual([]);
        // One event per task (and the investigation's request): the same snapshot.
        expect(events).toBe(tasks.size + 1);
        // Writes went on during the export (the snapshot did not block them).
        expect(written).toBeGreaterThanOrEqual(atEnd);
        await verifyArchive(file);
      });
    }
  });
});
