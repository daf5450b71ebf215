import { readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../config.js';
import { parseDuration } from '../../domain/duration.js';
import type { DatabaseSourceSpec } from '../../store/source-database.js';

/** A folder of documents, searched recursively. */
export interface FolderSourceSpec {
  kind: 'folder';
  name: string;
  folder: string;
}

/** An allow-listed set of tables in a SQL database; `maxAgeMs`: re-read a table without a fingerprint (a view) this often. */
export type DbSourceSpec = { kind: 'database'; maxAgeMs: number } & DatabaseSourceSpec;

export type SourceSpec = FolderSourceSpec | DbSourceSpec;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const TABLE = /^[A-Za-z_][A-Za-z0-9_$]{0,62}(\.[A-Za-z_][A-Za-z0-9_$]{0,62})?$/;
const COLUMN = /^[A-Za-z_][A-Za-z0-9_$ ]{0,62}$/;
const KEY = /^[A-Za-z_][A-Za-z0-9_$ ]{0,62}(,\s*[A-Za-z_][A-Za-z0-9_$ ]{0,62}){0,7}$/;

const durationMs = (what: string) =>
  z.string().transform((v, ctx) => {
    try {
      const ms = parseDuration(v, what);
      if (ms > 0) return ms;
    } catch {
      /* reported below */
    }
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a positive duration such as "15s" or "PT1H"` });
    return z.NEVER;
  });

const Folder = z.object({ name: z.string().regex(NAME, 'must be letters, digits, ".", "_" or "-" (≤ 64)'), folder: z.string().min(1) }).strict();
const Db = z
  .object({
    name: z.string().regex(NAME, 'must be letters, digits, ".", "_" or "-" (≤ 64)'),
    database: z.string().refine((u) => /^postgres(ql)?:\/\//.test(u) || u.startsWith('sqlite:'), 'must be postgres://… or sqlite:/path/file.db'),
    tables: z.array(z.string().regex(TABLE, 'must be a table or view name, optionally schema-qualified (public.vendors)')).min(1, 'list at least one table or view'),
    columns: z.record(z.string(), z.array(z.string().regex(COLUMN, 'must be a column name')).min(1)).optional(),
    keys: z.record(z.string(), z.string().regex(KEY, 'must be a column name, or several separated by commas for a composite key')).optional(),
    maxRows: z.number().int().positive().max(50_000_000).optional(),
    statementTimeout: durationMs('statementTimeout').optional(),
    maxAge: durationMs('maxAge').optional(),
  })
  .strict();
const File = z.object({ sources: z.array(z.unknown()) }).strict();

/** Views and tables without a fingerprint are re-read at most this often by default. */
export const DEFAULT_MAX_AGE_MS = 3_600_000;

/**
 * Parses a sources file (DESIGN "Sources"): folders and allow-listed database tables.
 * Relative folders and SQLite paths resolve against the file's directory. Errors name
 * the file, the entry and the field; the server never starts on a bad file.
 */
export function parseSourcesFile(json: string, where: string): SourceSpec[] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new ConfigError(`sources-file: ${where} is not valid JSON (${(e as Error).message}).`);
  }
  const top = File.safeParse(raw);
  if (!top.success) throw new ConfigError(`sources-file: ${where} must hold {"sources": [...]} (see README "Sources").`);
  return parseSourceEntries(top.data.sources, { baseDir: dirname(resolve(where)), where: `sources-file: ${where}`, path: 'sources' });
}

/**
 * Parses the entries of a `sources` list — of a sources file, or of one tenant in the
 * tenants file. Relative folders and SQLite paths resolve against `baseDir` (the folder
 * of the file they came from). Errors start with `where` (the setting and file) and
 * name the entry by `path` (`sources[2]`, `tenants.acme.sources[2]`) and the field.
 * Names are unique within the list.
 */
export function parseSourceEntries(entries: readonly unknown[], ctx: { baseDir: string; where: string; path: string }): SourceSpec[] {
  const { baseDir: base, where } = ctx;
  const out: SourceSpec[] = [];
  entries.forEach((entry, i) => {
    const at = `${ctx.path}[${i}]`;
    const isDb = !!entry && typeof entry === 'object' && 'database' in entry;
    const r = isDb ? Db.safeParse(entry) : Folder.safeParse(entry);
    if (!r.success) {
      const lines = r.error.issues.map((x) => `${at}${x.path.length ? '.' + x.path.join('.') : ''}: ${x.message}`);
      throw new ConfigError(`${where} has an invalid entry (each is {"name", "folder"} or {"name", "database", "tables"}):\n  ${lines.join('\n  ')}`);
    }
    if (out.some((s) => s.name === r.data.name)) throw new ConfigError(`${where}: ${at} is named "${r.data.name}" like an earlier source; each needs its own name.`);
    if ('folder' in r.data) out.push({ kind: 'folder', name: r.data.name, folder: resolve(base, r.data.folder) });
    else {
      const d = r.data as z.infer<typeof Db>;
      for (const t of Object.keys({ ...d.columns, ...d.keys })) {
        if (!d.tables.includes(t)) throw new ConfigError(`${where}: ${at} names table "${t}" in columns or keys, but it is not in "tables".`);
      }
      const url = d.database.startsWith('sqlite:') && !isAbsolute(d.database.slice(7)) ? `sqlite:${resolve(base, d.database.slice(7))}` : d.database;
      out.push({
        kind: 'database',
        name: d.name,
        url,
        tables: d.tables,
        columns: d.columns,
        keys: d.keys,
        maxRowsPerTable: d.maxRows,
        statementTimeoutMs: d.statementTimeout,
        maxAgeMs: d.maxAge ?? DEFAULT_MAX_AGE_MS,
      });
    }
  });
  return out;
}

/**
 * A tenant's sources: the `LONGHAUL_SOURCES` folders (each named after its base name)
 * and the sources file's entries. Names are unique: a folder whose base name is taken
 * gets `-2`, `-3`…; a sources-file name used twice is an error.
 */
export function sourceSpecs(folders: readonly string[], sourcesFile: string | null): SourceSpec[] {
  const fromFile = sourcesFile ? parseSourcesFile(readSourcesFile(sourcesFile), sourcesFile) : [];
  const names = new Set(fromFile.map((s) => s.name));
  const out: SourceSpec[] = [];
  for (const folder of folders) {
    const stem = basename(folder).replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[^A-Za-z0-9]+/, '') || 'docs';
    let name = stem.slice(0, 60);
    for (let n = 2; names.has(name); n++) name = `${stem.slice(0, 56)}-${n}`;
    names.add(name);
    out.push({ kind: 'folder', name, folder });
  }
  return [...out, ...fromFile];
}

function readSourcesFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`sources-file (LONGHAUL_SOURCES_FILE=${path}): cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  }
}
