import { readFile, stat } from 'node:fs/promises';
import type { Clock } from '../../domain/clock.js';
import type { Logger } from '../../logger.js';
import type { SourceDatabase, SourceRow } from '../../store/source-database.js';
import { lineOf, type SourceDocument, type SourceHit, type SourceIndex, type SourceStatus } from '../../store/source-index.js';
import { cite, clipSnippet, type Citation } from './citation.js';
import type { DbSourceSpec, SourceSpec } from './config.js';
import { extractDocument, documentKind } from './extract/index.js';
import type { ExtractedLine, ExtractedTable } from './extract/types.js';
import { refreshDatabase } from './index-database.js';
import { filePath, MAX_SOURCE_BYTES, refreshFolder } from './index-folder.js';

export { citationRef, type Citation } from './citation.js';

/** What one refresh did, per source. */
export interface RefreshReport {
  sources: SourceStatus[];
  /** Files or tables (re)indexed in this refresh. */
  indexed: number;
}

/** A whole document or table read for a check (a watch list): its tables and lines, or its rows. */
export type SourceContent =
  | { kind: 'file'; document: SourceDocument; tables: ExtractedTable[]; lines: ExtractedLine[] }
  | { kind: 'table'; source: string; table: string; keyColumn: string; rows: SourceRow[]; truncated: boolean };

/** What roles see of a tenant's sources: its folders and database tables, through one index. */
export interface Sources {
  /** True when any source is configured for this tenant. */
  readonly configured: boolean;
  readonly specs: readonly SourceSpec[];
  /** Brings the index up to date with the sources (changed files and tables re-read, removed ones dropped). */
  refresh(opts?: { heartbeat?: () => Promise<void>; signal?: AbortSignal }): Promise<RefreshReport>;
  /** Ranked hits (passages of files and rows of tables), raw, for callers that pick their own passage. */
  hits(query: string, topK: number, opts?: { sources?: readonly string[] }): Promise<SourceHit[]>;
  /** Ranked hits, each cited: a passage narrowed to its best line, or a row with its fields. */
  search(query: string, topK?: number): Promise<Citation[]>;
  /** How many passages and rows match any of the words — with `all`, every content word — each counted up to `cap`. */
  countMatches(query: string, cap?: number, opts?: { all?: boolean }): Promise<{ passages: number; rows: number }>;
  /**
   * Every line of the best-matching passages (at most `topK`) for which `test` holds,
   * each cited on its own: for checks that need a precise line, not just a passage.
   */
  findLines(query: string, test: (line: string) => boolean, topK?: number): Promise<Citation[]>;
  /** The last refresh of each source: what is indexed, what was skipped, what failed. */
  status(): Promise<SourceStatus[]>;
  /** Every document and table indexed ("sources consulted"), skipped files included with their reason. */
  documents(): Promise<SourceDocument[]>;
  /**
   * A whole file of a folder source (by its display path, `lists/watch.csv`) or an
   * allow-listed table (`erp:sanctions`), read fresh from the source, at most
   * `maxRows` rows. Null when no configured source holds it.
   */
  read(ref: string, maxRows?: number): Promise<SourceContent | null>;
  close(): Promise<void>;
}

export interface LibraryDeps {
  clock: Clock;
  logger: Logger;
  /** Opens a database source (the composition root passes the adapters' factory). */
  openDatabase?: (spec: DbSourceSpec) => SourceDatabase;
}

/**
 * One tenant's sources: indexes its folders and allow-listed tables into its own
 * source index and searches them. Concurrent refreshes share one pass.
 */
export class SourceLibrary implements Sources {
  private inflight: Promise<RefreshReport> | null = null;
  private readonly databases = new Map<string, SourceDatabase>();
  /** Aborts a refresh in flight when the library closes (the process stops). */
  private readonly closing = new AbortController();

  constructor(
    private readonly index: SourceIndex,
    readonly specs: readonly SourceSpec[],
    private readonly d: LibraryDeps,
  ) {}

  get configured(): boolean {
    return this.specs.length > 0;
  }

  refresh(opts: { heartbeat?: () => Promise<void>; signal?: AbortSignal } = {}): Promise<RefreshReport> {
    if (!this.inflight) {
      const signal = opts.signal ? AbortSignal.any([opts.signal, this.closing.signal]) : this.closing.signal;
      this.inflight = this.refreshOnce({ ...opts, signal }).finally(() => (this.inflight = null));
    }
    return this.inflight;
  }

  async hits(query: string, topK: number, opts?: { sources?: readonly string[] }): Promise<SourceHit[]> {
    if (!this.configured) return [];
    return this.index.search(query, topK, opts);
  }

  async search(query: string, topK = 8): Promise<Citation[]> {
    return (await this.hits(query, topK)).map((h) => cite(h, query));
  }

  async countMatches(query: string, cap = 1_000, opts: { all?: boolean } = {}): Promise<{ passages: number; rows: number }> {
    if (!this.configured) return { passages: 0, rows: 0 };
    return this.index.countMatches(query, cap, opts);
  }

  async findLines(query: string, test: (line: string) => boolean, topK = 10): Promise<Citation[]> {
    const out: Citation[] = [];
    for (const h of await this.hits(query, topK)) {
      if (h.row) {
        const c = cite(h, query);
        if (test(c.snippet)) out.push(c);
        continue;
      }
      h.text.split('\n').forEach((l, i) => {
        if (!test(l)) return;
        const line = lineOf(h, i);
        out.push({ source: h.source, file: h.display, startLine: line, endLine: line, page: h.page ?? null, sheet: h.sheet ?? null, row: null, snippet: clipSnippet(l.trim()), score: h.score });
      });
    }
    return out;
  }

  async status(): Promise<SourceStatus[]> {
    if (!this.configured) return [];
    const known = new Map((await this.index.listStatus()).map((s) => [s.name, s]));
    return this.specs.map(
      (s) =>
        known.get(s.name) ?? {
          name: s.name,
          kind: s.kind,
          location: s.kind === 'folder' ? s.folder : this.db(s).displayUrl,
          refreshedAt: null,
          documents: 0,
          chunks: 0,
          skipped: 0,
          errors: [],
          durationMs: null,
        },
    );
  }

  async documents(): Promise<SourceDocument[]> {
    if (!this.configured) return [];
    return this.index.listDocuments();
  }

  async read(ref: string, maxRows = 100_000): Promise<SourceContent | null> {
    const table = /^([^:/]+):(.+)$/.exec(ref);
    if (table) {
      const spec = this.specs.find((s): s is DbSourceSpec => s.kind === 'database' && s.name === table[1] && s.tables.includes(table[2]!));
      if (!spec) return null;
      const db = this.db(spec);
      const check = (await db.describe()).find((c) => c.table === table[2]);
      if (!check) return null;
      if (!check.ok) throw new Error(`${ref}: ${check.error}`);
      const rows: SourceRow[] = [];
      for await (const batch of db.scan(check.table, { batchSize: 5_000, maxRows })) rows.push(...batch);
      return { kind: 'table', source: spec.name, table: check.table, keyColumn: check.description.keyColumn, rows, truncated: rows.length >= maxRows };
    }
    const document = (await this.documents()).find((x) => x.kind === 'file' && x.display === ref);
    if (!document) return null;
    const path = filePath(document);
    const kind = documentKind(path);
    if (!kind) return null;
    const size = (await stat(path)).size;
    if (size > MAX_SOURCE_BYTES) throw new Error(`${ref}: larger than ${MAX_SOURCE_BYTES / 1024 / 1024} MiB (${Math.round(size / 1024 / 1024)} MiB); it is not read whole`);
    const raw = await readFile(path);
    const ex = await extractDocument(kind, new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
    if (!ex.ok) throw new Error(`${ref}: ${ex.reason}`);
    return { kind: 'file', document, tables: ex.tables, lines: ex.lines };
  }

  async close(): Promise<void> {
    this.closing.abort();
    await this.inflight?.catch(() => undefined);
    for (const db of this.databases.values()) await db.close().catch(() => undefined);
    this.databases.clear();
    await this.index.close();
  }

  private db(spec: DbSourceSpec): SourceDatabase {
    let db = this.databases.get(spec.name);
    if (!db) {
      if (!this.d.openDatabase) throw new Error(`database sources are not available in this process (source "${spec.name}").`);
      this.databases.set(spec.name, (db = this.d.openDatabase(spec)));
    }
    return db;
  }

  private async refreshOnce(opts: { heartbeat?: () => Promise<void>; signal?: AbortSignal }): Promise<RefreshReport> {
    if (!this.configured) return { sources: [], indexed: 0 };
    const sources: SourceStatus[] = [];
    let indexed = 0;
    const names = new Set(this.specs.map((s) => s.name));
    for (const old of await this.index.listStatus()) if (!names.has(old.name)) await this.index.removeSource(old.name);
    for (const spec of this.specs) {
      if (opts.signal?.aborted) break;
      const d = { clock: this.d.clock, logger: this.d.logger, signal: opts.signal, heartbeat: opts.heartbeat };
      if (spec.kind === 'folder') {
        const r = await refreshFolder(this.index, spec, d);
        indexed += r.stats.indexed;
        sources.push(r.status);
      } else {
        const r = await refreshDatabase(this.index, this.db(spec), spec, d);
        indexed += r.stats.read;
        sources.push(r.status);
      }
      await opts.heartbeat?.();
    }
    return { sources, indexed };
  }
}

