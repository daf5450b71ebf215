/**
 * The archive file: JSON Lines, gzip-compressed, versioned.
 *
 *   line 1     {"format":"longhaul-archive","version":1,"exportedAt":"…","tenants":null|[…],"source":{"kind":"sqlite"}}
 *   then       {"t":"investigation","row":{…}}   one line per row, in ARCHIVE_ROW_TYPES order
 *              {"t":"attachment","row":{"tenantId","signalId","meta":{…},"part":0,"parts":2,"base64":"…"}}
 *                 a file's bytes in base64, ATTACHMENT_CHUNK bytes per line (a 5 MiB file is 5 lines)
 *   last line  {"t":"end","counts":{"investigation":n,…},"lines":n,"sha256":"…"}
 *
 * Rows are the domain entities (camelCase, epoch-ms numbers), whatever store wrote them:
 * an archive from SQLite imports into PostgreSQL and back. `sha256` is over every line
 * before the trailer, each with its newline; `counts` counts rows (an attachment once,
 * however many lines it takes). A reader refuses a version it does not know.
 */
import { InvalidInputError } from '../../domain/errors.js';
import { ARCHIVE_ROW_TYPES, type ArchiveRow, type ArchiveRowType } from './types.js';

export const ARCHIVE_FORMAT = 'longhaul-archive';
/** The version this longhaul writes, and the only one it reads. */
export const ARCHIVE_VERSION = 1;
/** Bytes of an attachment per line (before base64). */
export const ATTACHMENT_CHUNK = 1024 * 1024;

export interface ArchiveHeader {
  format: typeof ARCHIVE_FORMAT;
  version: number;
  exportedAt: string;
  /** The tenants asked for; null: every tenant of the store. */
  tenants: string[] | null;
  source: { kind: 'sqlite' | 'postgres' };
}

export interface ArchiveTrailer {
  t: 'end';
  counts: Record<ArchiveRowType, number>;
  /** Lines before the trailer, header included. */
  lines: number;
  sha256: string;
}

/** One attachment line: a part of a file's bytes. */
export interface AttachmentPart {
  tenantId: string;
  signalId: string;
  meta: { index: number; name: string; mediaType: string; size: number; sha256: string };
  part: number;
  parts: number;
  base64: string;
}

export const emptyCounts = (): Record<ArchiveRowType, number> => Object.fromEntries(ARCHIVE_ROW_TYPES.map((t) => [t, 0])) as Record<ArchiveRowType, number>;

/** The lines of one row (several for a large attachment). */
export function* rowLines(r: ArchiveRow): Generator<string> {
  if (r.t !== 'attachment') {
    yield JSON.stringify(r);
    return;
  }
  const { tenantId, signalId, meta, content } = r.row;
  const parts = Math.max(1, Math.ceil(content.byteLength / ATTACHMENT_CHUNK));
  const bytes = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  for (let part = 0; part < parts; part++) {
    const row: AttachmentPart = { tenantId, signalId, meta, part, parts, base64: bytes.subarray(part * ATTACHMENT_CHUNK, (part + 1) * ATTACHMENT_CHUNK).toString('base64') };
    yield JSON.stringify({ t: 'attachment', row });
  }
}

const bad = (line: number, why: string) => new InvalidInputError(`archive line ${line}: ${why}; the file is not a longhaul archive or it is damaged.`);

/** The header of an archive (its first line), or a clear refusal. */
export function parseHeader(text: string): ArchiveHeader {
  let h: Partial<ArchiveHeader>;
  try {
    h = JSON.parse(text) as Partial<ArchiveHeader>;
  } catch {
    throw bad(1, 'not JSON');
  }
  if (!h || h.format !== ARCHIVE_FORMAT) throw bad(1, `not a ${ARCHIVE_FORMAT} header`);
  if (h.version !== ARCHIVE_VERSION) {
    throw new InvalidInputError(
      `This archive is version ${JSON.stringify(h.version)} of the longhaul archive format; this longhaul reads version ${ARCHIVE_VERSION} only. ` +
        (typeof h.version === 'number' && h.version > ARCHIVE_VERSION ? 'Import it with the longhaul that exported it, or a newer one.' : 'Export it again with this longhaul.'),
      { version: h.version },
    );
  }
  return h as ArchiveHeader;
}

/** A row line as parsed: a row, an attachment part, or the trailer. */
export type ParsedLine = { kind: 'row'; row: Exclude<ArchiveRow, { t: 'attachment' }> } | { kind: 'part'; part: AttachmentPart } | { kind: 'end'; trailer: ArchiveTrailer };

const KNOWN = new Set<string>(ARCHIVE_ROW_TYPES);

/** Parses a line after the header; a line that is none of the known shapes is refused with its number. */
export function parseLine(text: string, line: number): ParsedLine {
  let v: { t?: unknown; row?: unknown };
  try {
    v = JSON.parse(text) as { t?: unknown; row?: unknown };
  } catch {
    throw bad(line, 'not JSON');
  }
  if (!v || typeof v !== 'object') throw bad(line, 'not an object');
  if (v.t === 'end') {
    const t = v as unknown as ArchiveTrailer;
    if (typeof t.sha256 !== 'string' || typeof t.lines !== 'number' || !t.counts || typeof t.counts !== 'object') throw bad(line, 'a malformed trailer');
    return { kind: 'end', trailer: t };
  }
  if (typeof v.t !== 'string' || !KNOWN.has(v.t)) throw bad(line, `unknown row type ${JSON.stringify(v.t)}`);
  const row = v.row as Record<string, unknown> | null;
  if (!row || typeof row !== 'object' || typeof row.tenantId !== 'string') throw bad(line, `a ${v.t} row without its tenantId`);
  if (v.t === 'attachment') {
    const p = row as unknown as AttachmentPart;
    if (typeof p.signalId !== 'string' || typeof p.base64 !== 'string' || !Number.isInteger(p.part) || !Number.isInteger(p.parts) || !p.meta || typeof p.meta.sha256 !== 'string') {
      throw bad(line, 'a malformed attachment part');
    }
    return { kind: 'part', part: p };
  }
  const idField = v.t === 'checkpoint' ? 'sessionId' : v.t === 'signal_total' ? 'investigationId' : 'id';
  if (typeof row[idField] !== 'string') throw bad(line, `a ${v.t} row without its ${idField}`);
  return { kind: 'row', row: v as Exclude<ArchiveRow, { t: 'attachment' }> };
}
