import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, relative, sep } from 'node:path';
import type { Clock } from '../../domain/clock.js';
import type { Logger } from '../../logger.js';
import type { SourceFile, SourceHit, SourceIndex } from '../../store/source-index.js';
import { chunkLines, SOURCE_EXTENSIONS, toLines } from './text.js';

/** A cited passage: what a finding or a compliance flag points at. */
export interface Citation {
  /** `techcorp/vendors.csv`: the folder's name and the path below it. */
  file: string;
  startLine: number;
  endLine: number;
  snippet: string;
  score: number;
}

/** What roles see of the document sources. */
export interface Sources {
  /** The configured folders (absolute). Empty when LONGHAUL_SOURCES is unset. */
  readonly roots: readonly string[];
  /** Brings the index up to date with the folders (changed files re-indexed, deleted ones dropped). */
  refresh(): Promise<RefreshStats>;
  /** Ranked passages for a query, each narrowed to the lines that match best. */
  search(query: string, topK?: number): Promise<Citation[]>;
  /**
   * Every line of the best-matching passages (at most `topK` passages) for which
   * `test` holds, each cited on its own: for checks that need a precise line (a
   * counterparty named next to "watch list"), not just a relevant passage.
   */
  findLines(query: string, test: (line: string) => boolean, topK?: number): Promise<Citation[]>;
  /** The files in the index: "sources consulted". */
  files(): Promise<SourceFile[]>;
}

export interface RefreshStats {
  files: number;
  indexed: number;
  unchanged: number;
  removed: number;
  skipped: number;
}

/** Bounds, so a mis-pointed folder (a home directory) cannot stall a worker. */
export const MAX_SOURCE_FILES = 5_000;
export const MAX_SOURCE_BYTES = 2_000_000;
const SNIPPET_CHARS = 240;

/**
 * The indexer and searcher over `LONGHAUL_SOURCES`. Refreshing stats every file and
 * re-reads only those whose mtime or size moved; a file whose bytes hash the same is
 * only touched. Concurrent refreshes share one pass. Symbolic links, dot-files and
 * `node_modules` are skipped (no loops, no surprises).
 */
export class SourceLibrary implements Sources {
  private inflight: Promise<RefreshStats> | null = null;

  constructor(
    private readonly index: SourceIndex,
    readonly roots: readonly string[],
    private readonly d: { clock: Clock; logger: Logger },
  ) {}

  refresh(): Promise<RefreshStats> {
    if (!this.inflight) this.inflight = this.refreshOnce().finally(() => (this.inflight = null));
    return this.inflight;
  }

  async files(): Promise<SourceFile[]> {
    return this.index.listFiles();
  }

  async search(query: string, topK = 8): Promise<Citation[]> {
    const hits = await this.index.search(query, topK);
    return hits.map((h) => cite(h, query));
  }

  async findLines(query: string, test: (line: string) => boolean, topK = 10): Promise<Citation[]> {
    const out: Citation[] = [];
    for (const h of await this.index.search(query, topK)) {
      h.text.split('\n').forEach((l, i) => {
        if (test(l)) out.push({ file: h.display, startLine: h.startLine + i, endLine: h.startLine + i, snippet: clip(l.trim()), score: h.score });
      });
    }
    return out;
  }

  private async refreshOnce(): Promise<RefreshStats> {
    const stats: RefreshStats = { files: 0, indexed: 0, unchanged: 0, removed: 0, skipped: 0 };
    const known = new Map((await this.index.listFiles()).map((f) => [f.path, f]));
    const seen = new Set<string>();
    for (const root of this.roots) {
      for await (const path of walk(root, this.d.logger)) {
        if (seen.size >= MAX_SOURCE_FILES) {
          this.d.logger.warn('source folders hold too many files; the rest are not indexed', { limit: MAX_SOURCE_FILES });
          break;
        }
        const kind = SOURCE_EXTENSIONS[extname(path).toLowerCase()];
        if (!kind || seen.has(path)) continue;
        seen.add(path);
        stats.files++;
        try {
          const st = await stat(path);
          if (st.size > MAX_SOURCE_BYTES) {
            stats.skipped++;
            continue;
          }
          const prev = known.get(path);
          if (prev && prev.mtimeMs === st.mtimeMs && prev.size === st.size && prev.root === root) {
            stats.unchanged++;
            continue;
          }
          const raw = await readFile(path);
          const hash = createHash('sha256').update(raw).digest('hex');
          const sig = { path, root, display: displayName(root, path), mtimeMs: st.mtimeMs, size: st.size, hash, indexedAt: this.d.clock.now() };
          if (prev && prev.hash === hash) {
            await this.index.touchFile(sig);
            stats.unchanged++;
            continue;
          }
          await this.index.putFile(sig, chunkLines(toLines(kind, raw.toString('utf8'))));
          stats.indexed++;
        } catch (e) {
          // A file deleted or unreadable mid-walk: skip it; it is dropped below if gone.
          stats.skipped++;
          seen.delete(path);
          this.d.logger.debug('source file skipped', { path, error: (e as Error).message });
        }
      }
    }
    for (const path of known.keys()) {
      if (!seen.has(path)) {
        await this.index.removeFile(path);
        stats.removed++;
      }
    }
    if (stats.indexed || stats.removed) this.d.logger.info('sources indexed', { ...stats });
    return stats;
  }
}

async function* walk(root: string, logger: Logger): AsyncGenerator<string> {
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop()!;
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      logger.warn('cannot read a source folder', { folder: dir, error: (e as Error).message });
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? 1 : -1)); // popped in name order
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile()) yield p;
    }
  }
}

const displayName = (root: string, path: string) => [basename(root), ...relative(root, path).split(sep)].join('/');

/**
 * Narrows a hit to its best line (the one holding the most query words) so a
 * citation points at a line, not a paragraph; the snippet is that line.
 */
export function cite(h: SourceHit, query: string): Citation {
  const words = [...new Set((query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length > 1))];
  const lines = h.text.split('\n');
  let best = -1;
  let bestScore = 0;
  lines.forEach((l, i) => {
    const low = l.toLowerCase();
    const s = words.reduce((n, w) => n + (low.includes(w) ? 1 : 0), 0);
    if (s > bestScore) {
      best = i;
      bestScore = s;
    }
  });
  if (best < 0) {
    const snippet = lines.find((l) => l.trim())?.trim() ?? '';
    return { file: h.display, startLine: h.startLine, endLine: h.endLine, snippet: clip(snippet), score: h.score };
  }
  return { file: h.display, startLine: h.startLine + best, endLine: h.startLine + best, snippet: clip(lines[best]!.trim()), score: h.score };
}

const clip = (s: string) => (s.length > SNIPPET_CHARS ? s.slice(0, SNIPPET_CHARS - 1) + '…' : s);

/** `techcorp/vendors.csv:7` or `…:7-9`. */
export const citationRef = (c: Pick<Citation, 'file' | 'startLine' | 'endLine'>) =>
  `${c.file}:${c.startLine}${c.endLine !== c.startLine ? `-${c.endLine}` : ''}`;
