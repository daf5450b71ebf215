/**
 * The data-lifecycle commands of the built CLI against a running stdio server (its real
 * SDK client): an online backup and export while the server serves, an erasure from the
 * shell that the server's own tools then agree with, restore (verified, refusing to
 * replace a store without --force), and import into PostgreSQL.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/adapters/sqlite/migrations.js';
import { PG_URL, pgAdmin } from '../contract/postgres-helpers.js';
import { runCli, startServer, tempDir } from './harness.js';

const CANARY = 'periwinklecanary';
const admin = pgAdmin();
const schema = `lh_e2e_archive_${process.pid}`;

beforeAll(async () => {
  await admin.check();
  admin.track(schema);
});
afterAll(async () => {
  await admin.end();
});

describe('longhaul backup | export | erase | restore | import', () => {
  it('backs up and exports while serving, erases from the shell, restores verified, imports into PostgreSQL', async () => {
    const { dir, cleanup } = tempDir();
    const data = join(dir, 'data');
    const env = { LONGHAUL_DATA_DIR: data, LONGHAUL_TENANT: 'acme', LONGHAUL_ACTOR: 'dana' };
    const server = await startServer(data, env);
    try {
      const inv = (await server.call('start_investigation', { subject: 'Umbrella', objective: 'Check Umbrella' })).investigation.investigationId;
      await server.call('record_event', { investigationId: inv, role: 'user', kind: 'finding', text: `Umbrella paid ${CANARY} invoices twice` });
      await server.call('submit_signal', { investigationId: inv, signal: 'bank_data', payload: { rows: 2 }, attachments: [{ name: 'a.csv', mediaType: 'text/csv', text: 'x,y\n1,2\n' }] });

      // Online: the server keeps its file open (and writing) meanwhile.
      const backup = join(dir, 'backup');
      const b = runCli(['backup', backup], env);
      expect(b.stderr).toBe('');
      expect(b.code).toBe(0);
      expect(b.stdout).toMatch(/verified: checksum, integrity_check/);
      const manifest = JSON.parse(readFileSync(join(backup, 'manifest.json'), 'utf8'));
      expect(manifest).toMatchObject({ format: 'longhaul-backup', schemaVersion: MIGRATIONS.at(-1)!.version, counts: { investigations: 1, signal_attachments: 1 } });
      expect(manifest.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(runCli(['backup', backup], env).stderr).toMatch(/already holds a backup/);

      const archive = join(dir, 'acme.jsonl.gz');
      const x = runCli(['export', '--tenant', 'acme', '--out', archive], env);
      expect(x.code).toBe(0);
      expect(x.stderr).toMatch(/Exported \d+ rows \(investigation 1, session 1, signal 1, attachment 1/);

      // Erased from the shell: the running server's tools no longer find it.
      const e = runCli(['erase', '--tenant', 'acme', '--actor', 'dana'], env);
      expect(e.code).toBe(0);
      const receipt = JSON.parse(e.stdout);
      expect(receipt).toMatchObject({ subject: { kind: 'actor', actorId: 'dana' }, requestedBy: expect.stringMatching(/^cli:/) });
      expect(receipt.counts.events).toBeGreaterThanOrEqual(2);
      expect((await server.call('search_memory', { query: CANARY })).results).toEqual([]);
      expect(JSON.stringify(await server.readJson(`longhaul://investigations/${inv}/timeline`))).not.toContain(CANARY);
      expect(JSON.stringify(await server.readJson(receipt.uri))).toContain(receipt.erasureId);
      expect(runCli(['erase', '--tenant', 'acme'], env).stderr).toMatch(/exactly one of --actor/);
    } finally {
      await server.close();
    }

    // Restore: never over an existing store without --force; verified before anything is replaced.
    const backup = join(dir, 'backup');
    const restoredStore = join(dir, 'restored', 'longhaul.db');
    const restoreEnv = { LONGHAUL_STORE: `sqlite:${restoredStore}`, LONGHAUL_TENANT: 'acme' };
    expect(runCli(['restore', backup], restoreEnv).code).toBe(0);
    expect(existsSync(restoredStore)).toBe(true);
    const again = runCli(['restore', backup], restoreEnv);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists .* --force/);
    expect(runCli(['restore', backup, '--force'], restoreEnv).code).toBe(0);
    const status = runCli(['status', '--json'], restoreEnv);
    expect(JSON.parse(status.stdout)).toMatchObject({ openInvestigations: 1 });
    // A damaged backup is refused.
    const file = join(backup, 'longhaul.db');
    const bytes = readFileSync(file);
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
    writeFileSync(file, bytes);
    expect(runCli(['restore', backup, '--force'], restoreEnv).stderr).toMatch(/does not match the SHA-256/);

    // The archive taken before the erasure goes to PostgreSQL, twice: the second writes nothing.
    const pgEnv = { LONGHAUL_STORE: `${PG_URL}?schema=${schema}`, LONGHAUL_TENANT: 'acme' };
    const archive = join(dir, 'acme.jsonl.gz');
    const first = runCli(['import', archive], pgEnv);
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(/: (\d+) rows, \1 new, 0 already there/);
    expect(runCli(['import', archive], pgEnv).stdout).toMatch(/rows, 0 new, (\d+) already there/);
    cleanup();
  });
});
