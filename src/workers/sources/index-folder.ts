import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Clock } from '../../domain/clock.js';
import type { Logger } from '../../logger.js';
import type { SourceDocument, SourceIndex, SourceStatus } from '../../store/source-index.js';
import type { FolderSourceSpec } from './config.js';
import { chunkExtracted, documentKind, extractDocument } from './extract/index.js';

/** The file a folder source's document is (its key is `file:{source}:{path}`). */
export const filePath = (d: Pick<SourceDocument, 'key' | 'source'>) => d.key.slice(`file:${d.source}:`.length);

/** Bounds, so a mis-pointed folder (a home directory) cannot stall a worker. */
export const MAX_SOURCE_FILES = 100_000;
export const MAX_SOURCE_BYTES = 32 * 1024 * 1024;

export interface FolderRefresh {
  files: number;
  indexed: number;
  unchanged: number;
  removed: number;
  skipped: number;
}

const MiB = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

/**
 * Brings one folder source's documents up to date: every file of a known kind is
 * stat-ed; only those whose mtime or size moved are read, and a file whose bytes hash
 * the same is only touched. A file that cannot be read (too large, a scan without
 * text, corrupt) is recorded as skipped with its reason — and not read again until it
 * changes. Files gone from the folder are dropped. Symbolic links, dot-files and
 * `node_modules` are skipped (no loops, no surprises).
 */
export async function refreshFolder(
  index: SourceIndex,
  spec: FolderSourceSpec,
  d: { clock: Clock; logger: Logger; signal?: AbortSignal },
): Promise<{ stats: FolderRefresh; status: SourceStatus }> {
  const started = d.clock.now();
  const stats: FolderRefresh = { files: 0, indexed: 0, unchanged: 0, removed: 0, skipped: 0 };
  const errors: string[] = [];
  const known = new Map((await index.listDocuments(spec.name)).map((f) => [f.key, f]));
  const seen = new Set<string>();
  const walked = await walk(spec.folder, (m) => errors.push(m));
  if (walked.links) errors.push(`${walked.links} symbolic link(s) not followed: a source folder is read without leaving it.`);
  if (walked.files.length > MAX_SOURCE_FILES) errors.push(`The folder holds more than ${MAX_SOURCE_FILES} documents; only the first ${MAX_SOURCE_FILES} (in path order) are indexed.`);
  for (const path of walked.files.slice(0, MAX_SOURCE_FILES)) {
    if (d.signal?.aborted) break;
    const kind = documentKind(path)!;
    // The source is part of the key: two sources over one folder (or nested folders) each keep their own copy.
    const key = `file:${spec.name}:${path}`;
    seen.add(key);
    stats.files++;
    const display = [spec.name, ...relative(spec.folder, path).split(sep)].join('/');
    const doc = (over: Partial<SourceDocument>): Omit<SourceDocument, 'chunks'> => ({
      key,
      source: spec.name,
      kind: 'file',
      display,
      signature: '',
      hash: null,
      indexedAt: d.clock.now(),
      status: 'indexed',
      error: null,
      ...over,
    });
    try {
      const st = await stat(path);
      const signature = `${st.mtimeMs}:${st.size}`;
      const prev = known.get(key);
      if (prev && prev.signature === signature && prev.display === display) {
        if (prev.status === 'skipped') stats.skipped++;
        else stats.unchanged++;
        continue;
      }
      if (st.size > MAX_SOURCE_BYTES) {
        await index.putDocument(doc({ signature, status: 'skipped', error: `larger than ${MiB(MAX_SOURCE_BYTES)} (${MiB(st.size)})` }), []);
        stats.skipped++;
        continue;
      }
      const raw = await readFile(path);
      const hash = createHash('sha256').update(raw).digest('hex');
      if (prev && prev.hash === hash && prev.status === 'indexed') {
        await index.touchDocument(doc({ signature, hash }));
        stats.unchanged++;
        continue;
      }
      const ex = await extractDocument(kind, new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength), { signal: d.signal });
      if (!ex.ok) {
        await index.putDocument(doc({ signature, hash, status: 'skipped', error: ex.reason }), []);
        stats.skipped++;
        continue;
      }
      await index.putDocument(doc({ signature, hash }), chunkExtracted(ex));
      stats.indexed++;
    } catch (e) {
      // Deleted or unreadable mid-walk: dropped below if gone, retried on the next refresh otherwise.
      seen.delete(key);
      stats.skipped++;
      errors.push(`${display}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  for (const key of known.keys()) {
    if (!seen.has(key) && !errors.some((e) => e.startsWith(known.get(key)!.display + ':'))) {
      await index.removeDocument(key);
      stats.removed++;
    }
  }
  const docs = await index.listDocuments(spec.name);
  const status: SourceStatus = {
    name: spec.name,
    kind: 'folder',
    location: spec.folder,
    refreshedAt: d.clock.now(),
    documents: docs.filter((x) => x.status === 'indexed').length,
    chunks: docs.reduce((n, x) => n + x.chunks, 0),
    skipped: docs.filter((x) => x.status === 'skipped').length,
    errors,
    durationMs: d.clock.now() - started,
  };
  await index.putStatus(status);
  if (stats.indexed || stats.removed) d.logger.info('folder indexed', { source: spec.name, ...stats });
  return { stats, status };
}

/** Every file of a known kind under `root`, in path order, and how many symbolic links were passed by. A folder that cannot be read is reported, not fatal. */
async function walk(root: string, report: (m: string) => void): Promise<{ files: string[]; links: number }> {
  const out: string[] = [];
  let links = 0;
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop()!;
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      report(`cannot read the folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? 1 : -1)); // popped in name order
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const p = join(dir, e.name);
      if (e.isSymbolicLink()) links++;
      else if (e.isDirectory()) stack.push(p);
      else if (e.isFile() && documentKind(p)) out.push(p);
    }
    if (out.length > MAX_SOURCE_FILES) break;
  }
  return { files: out, links };
}
