/**
 * `longhaul backup <dir>` / `longhaul restore <dir>` for the embedded store: SQLite's
 * online backup API (better-sqlite3 `db.backup`), which copies a consistent image of the
 * file page by page while other connections keep writing, plus a manifest that lets a
 * restore — on this machine or another — check what it got before it replaces anything.
 *
 *   <dir>/longhaul.db      the copy
 *   <dir>/manifest.json    {format, sha256, size, schemaVersion, createdAt, source, counts}
 */
import { createHash } from 'node:crypto';
import { copyFileSync, createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { iso, type Clock } from '../../../domain/clock.js';
import { ConflictError, InvalidInputError } from '../../../domain/errors.js';
import { mapSqliteError } from './db.js';
import { MIGRATIONS } from './migrations.js';

export const BACKUP_FILE = 'longhaul.db';
export const MANIFEST_FILE = 'manifest.json';
const MANIFEST_FORMAT = 'longhaul-backup';

/** Tables counted in the manifest (and checked again after copying). */
const COUNTED = ['investigations', 'sessions', 'tasks', 'waits', 'signals', 'signal_attachments', 'events', 'checkpoints', 'records', 'reports', 'inbox', 'erasures'] as const;

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  file: typeof BACKUP_FILE;
  sha256: string;
  size: number;
  schemaVersion: number;
  createdAt: string;
  source: string;
  counts: Record<string, number>;
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Opens a copy read-only and checks it: integrity_check, the schema version, the row counts. */
function inspect(file: string): { schemaVersion: number; counts: Record<string, number> } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const integrity = db.pragma('integrity_check') as Array<{ integrity_check: string }>;
    if (integrity.length !== 1 || integrity[0]!.integrity_check !== 'ok') {
      throw new InvalidInputError(`${file} fails PRAGMA integrity_check (${integrity.slice(0, 3).map((r) => r.integrity_check).join('; ')}): the copy is damaged.`);
    }
    const schemaVersion = Number(db.pragma('user_version', { simple: true }));
    const counts: Record<string, number> = {};
    for (const t of COUNTED) {
      const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(t);
      counts[t] = exists ? (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n : 0;
    }
    return { schemaVersion, counts };
  } finally {
    db.close();
  }
}

/**
 * Backs up the store file `source` into `dir` (created; an existing backup there is
 * refused) while the server may be running, then verifies the copy: its checksum as
 * written, integrity_check, and its counts. Returns the manifest.
 */
export async function backupSqlite(source: string, dir: string, clock: Clock): Promise<BackupManifest> {
  const from = resolve(source);
  if (!existsSync(from)) throw new InvalidInputError(`There is no store at ${from} to back up.`);
  mkdirSync(dir, { recursive: true });
  const target = join(dir, BACKUP_FILE);
  if (existsSync(target) || existsSync(join(dir, MANIFEST_FILE))) throw new ConflictError(`${dir} already holds a backup; choose an empty directory.`);
  const db = new Database(from, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    await db.backup(target);
  } catch (e) {
    rmSync(target, { force: true });
    throw mapSqliteError(e, from);
  } finally {
    db.close();
  }
  const { schemaVersion, counts } = inspect(target);
  const manifest: BackupManifest = {
    format: MANIFEST_FORMAT,
    file: BACKUP_FILE,
    sha256: await sha256Of(target),
    size: statSync(target).size,
    schemaVersion,
    createdAt: iso(clock.now()),
    source: from,
    counts,
  };
  writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  await verifyBackup(dir);
  return manifest;
}

/** Checks a backup directory: the manifest, the file's size and SHA-256, integrity_check, the schema and the counts. */
export async function verifyBackup(dir: string): Promise<BackupManifest> {
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as BackupManifest;
  } catch (e) {
    throw new InvalidInputError(`${dir} holds no readable ${MANIFEST_FILE} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): not a longhaul backup.`);
  }
  if (manifest.format !== MANIFEST_FORMAT) throw new InvalidInputError(`${join(dir, MANIFEST_FILE)} is not a longhaul backup manifest.`);
  const file = join(dir, BACKUP_FILE);
  if (!existsSync(file)) throw new InvalidInputError(`${file} is missing: the backup is incomplete.`);
  if (statSync(file).size !== manifest.size || (await sha256Of(file)) !== manifest.sha256) {
    throw new InvalidInputError(`${file} does not match the SHA-256 in its manifest: the backup was altered or damaged; nothing was restored.`);
  }
  const { schemaVersion, counts } = inspect(file);
  if (schemaVersion !== manifest.schemaVersion) throw new InvalidInputError(`${file} is at schema ${schemaVersion}, its manifest says ${manifest.schemaVersion}.`);
  const latest = Math.max(...MIGRATIONS.map((m) => m.version));
  if (schemaVersion > latest) throw new InvalidInputError(`The backup is at schema ${schemaVersion}, newer than this longhaul knows (${latest}); restore it with a newer longhaul.`);
  for (const [t, n] of Object.entries(manifest.counts)) {
    if (counts[t] !== n) throw new InvalidInputError(`${file} holds ${counts[t]} ${t} rows, its manifest says ${n}: the backup is damaged.`);
  }
  return manifest;
}

/**
 * Restores the backup in `dir` to the store file `target` after verifying it. An
 * existing store is replaced only with `force` (stop the server first: a process that
 * has the old file open keeps writing to it). The copy goes to a temporary file first and
 * is renamed over the store, and the old store's WAL and shared-memory files are removed
 * (a stale WAL would be replayed over the restored file).
 */
export async function restoreSqlite(dir: string, target: string, opts: { force?: boolean } = {}): Promise<BackupManifest> {
  const manifest = await verifyBackup(dir);
  const to = resolve(target);
  if (existsSync(to) && !opts.force) {
    throw new ConflictError(`A store already exists at ${to}; restoring would replace it. Stop the server and run restore again with --force to replace it.`);
  }
  mkdirSync(resolve(to, '..'), { recursive: true });
  const tmp = `${to}.restore-${process.pid}`;
  copyFileSync(join(dir, BACKUP_FILE), tmp);
  if ((await sha256Of(tmp)) !== manifest.sha256) {
    rmSync(tmp, { force: true });
    throw new InvalidInputError(`The copy of the backup at ${tmp} does not match its SHA-256; nothing was restored (is the disk full?).`);
  }
  rmSync(`${to}-wal`, { force: true });
  rmSync(`${to}-shm`, { force: true });
  renameSync(tmp, to);
  inspect(to);
  return manifest;
}
