import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { InvalidInputError } from '../../domain/errors.js';
import type { ExtractionCheckpoint } from '../../domain/record.js';
import { assertTenantId } from '../keys.js';
import type { StorePort } from '../port.js';
import { emptyCounts, parseHeader, parseLine, type ArchiveHeader, type ArchiveTrailer, type AttachmentPart } from './format.js';
import { ARCHIVE_ROW_TYPES, type ArchiveRow, type ArchiveRowType } from './types.js';

const ROW_TYPE = /^\{"t":"([a-z_]+)",/;
const KNOWN = new Set<string>(ARCHIVE_ROW_TYPES);

/** Rows per import transaction. */
export const IMPORT_BATCH = 500;
/** Attachment bytes per import transaction before it is committed early. */
const BATCH_BYTES = 8 * 1024 * 1024;

export interface ImportSummary {
  header: ArchiveHeader;
  counts: Record<ArchiveRowType, number>;
  rows: number;
  /** Rows written now; the rest were already in the store (importing twice writes nothing). */
  inserted: number;
  skipped: number;
}

/** The archive's lines, decompressed, streamed (the file is never read whole). */
async function* lines(file: string): AsyncGenerator<string> {
  const input = createReadStream(file).pipe(createGunzip());
  const rl = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of rl) if (line !== '') yield line;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') throw new InvalidInputError(`Cannot read the archive ${file} (${code}).`);
    if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR') throw new InvalidInputError(`${file} is not a gzip-compressed longhaul archive, or it is damaged (${code}).`);
    throw e;
  } finally {
    rl.close();
    input.destroy();
  }
}

/**
 * Checks a whole archive without writing anything: its header (format and a version this
 * longhaul reads), every line's shape, the trailer's SHA-256 of the lines and its counts.
 * An import runs this first, so a truncated or altered file is refused before any row
 * is written.
 */
export async function verifyArchive(file: string): Promise<{ header: ArchiveHeader; trailer: ArchiveTrailer }> {
  const hash = createHash('sha256');
  const counts = emptyCounts();
  let header: ArchiveHeader | null = null;
  let trailer: ArchiveTrailer | null = null;
  let n = 0;
  for await (const text of lines(file)) {
    n++;
    if (trailer) throw new InvalidInputError(`archive line ${n}: data after the trailer; the file is damaged.`);
    if (n === 1) {
      header = parseHeader(text);
      hash.update(text + '\n');
      continue;
    }
    // Most lines are counted by their type alone (an export writes `{"t":"…",` first); the
    // import pass parses and checks every line anyway.
    const t = ROW_TYPE.exec(text)?.[1];
    if (t !== undefined && t !== 'attachment' && KNOWN.has(t)) {
      hash.update(text + '\n');
      counts[t as ArchiveRowType]++;
      continue;
    }
    const p = parseLine(text, n);
    if (p.kind === 'end') {
      trailer = p.trailer;
      continue;
    }
    hash.update(text + '\n');
    if (p.kind === 'row') counts[p.row.t]++;
    else if (p.part.part === 0) counts.attachment++;
  }
  if (!header) throw new InvalidInputError(`${file} is empty: not a longhaul archive.`);
  if (!trailer) throw new InvalidInputError(`${file} ends without its trailer: the archive is truncated (an export that did not finish?).`);
  if (trailer.lines !== n - 1 || trailer.sha256 !== hash.digest('hex')) throw new InvalidInputError(`${file} does not match its checksum: the archive was altered or damaged.`);
  for (const t of ARCHIVE_ROW_TYPES) {
    if ((trailer.counts[t] ?? 0) !== counts[t]) throw new InvalidInputError(`${file} says it holds ${trailer.counts[t] ?? 0} ${t} rows but holds ${counts[t]}: the archive is damaged.`);
  }
  return { header, trailer };
}

/**
 * `longhaul import`: verifies the archive (verifyArchive), then loads it into `store` in
 * batches of IMPORT_BATCH rows, each one transaction (StorePort.importRows), writing each
 * row only when absent — importing the same archive twice changes nothing. `tenants`
 * keeps only those tenants' rows.
 *
 * Event seqs are renumbered, not kept: a seq is store-wide (SQLite AUTOINCREMENT, a
 * PostgreSQL sequence) and readers follow it upward, so imported events take new seqs
 * from the target, in the archive's order — each tenant's (and session's) order is kept,
 * and seqs can never collide with events already there. Checkpoints come before the
 * events in an archive and are held (one per session) until the events are in: each
 * one's throughSeq becomes the new seq of the last event it had covered, so extraction
 * neither repeats nor skips an event.
 */
export async function importArchive(store: StorePort, file: string, opts: { tenants?: readonly string[] } = {}): Promise<ImportSummary> {
  for (const t of opts.tenants ?? []) assertTenantId(t);
  const { header } = await verifyArchive(file);
  const keep = opts.tenants ? new Set(opts.tenants) : null;
  const counts = emptyCounts();
  let inserted = 0;
  let rows = 0;

  const pending: ArchiveRow[] = [];
  let pendingBytes = 0;
  /** Held checkpoints by tenant + session, with the new seq they cover so far. */
  const checkpoints = new Map<string, { cp: ExtractionCheckpoint; through: number }>();
  let checkpointsWritten = false;
  const key = (tenantId: string, sessionId: string) => `${tenantId}\u0000${sessionId}`;

  const flush = async () => {
    if (pending.length === 0) return;
    const batch = pending.splice(0);
    pendingBytes = 0;
    const r = await store.importRows(batch);
    inserted += r.inserted;
    let i = 0;
    for (const row of batch) {
      if (row.t !== 'event') continue;
      const seq = r.eventSeqs[i++]!;
      const e = row.row;
      const held = e.sessionId === null ? undefined : checkpoints.get(key(e.tenantId, e.sessionId));
      if (held && e.seq <= held.cp.throughSeq) held.through = Math.max(held.through, seq);
    }
  };
  const add = async (row: ArchiveRow, bytes = 0) => {
    pending.push(row);
    pendingBytes += bytes;
    if (pending.length >= IMPORT_BATCH || pendingBytes >= BATCH_BYTES) await flush();
  };
  const writeCheckpoints = async () => {
    if (checkpointsWritten) return;
    checkpointsWritten = true;
    await flush();
    for (const { cp, through } of checkpoints.values()) await add({ t: 'checkpoint', row: { ...cp, throughSeq: through } });
    await flush();
    checkpoints.clear();
  };

  let file_: { part: AttachmentPart; chunks: Buffer[] } | null = null;
  let n = 0;
  for await (const text of lines(file)) {
    n++;
    if (n === 1) continue;
    const p = parseLine(text, n);
    if (p.kind === 'end') break;
    if (p.kind === 'part') {
      const part = p.part;
      if (keep && !keep.has(part.tenantId)) continue;
      if (part.part === 0) file_ = { part, chunks: [] };
      if (!file_ || file_.part.signalId !== part.signalId || file_.part.meta.index !== part.meta.index || part.part !== file_.chunks.length) {
        throw new InvalidInputError(`archive line ${n}: attachment parts out of order; the archive is damaged.`);
      }
      file_.chunks.push(Buffer.from(part.base64, 'base64'));
      if (file_.chunks.length === part.parts) {
        const content = Buffer.concat(file_.chunks);
        const { meta, tenantId, signalId } = file_.part;
        if (content.byteLength !== meta.size || createHash('sha256').update(content).digest('hex') !== meta.sha256) {
          throw new InvalidInputError(`archive line ${n}: attachment ${meta.name} of signal ${signalId} does not match its size or SHA-256; the archive is damaged.`);
        }
        file_ = null;
        counts.attachment++;
        rows++;
        await add({ t: 'attachment', row: { tenantId, signalId, meta, content: new Uint8Array(content.buffer, content.byteOffset, content.byteLength) } }, content.byteLength);
      }
      continue;
    }
    const row = p.row;
    if (keep && !keep.has(row.row.tenantId)) continue;
    counts[row.t]++;
    rows++;
    if (row.t === 'checkpoint') {
      checkpoints.set(key(row.row.tenantId, row.row.sessionId), { cp: row.row, through: 0 });
      continue;
    }
    // The checkpoints go in once the events are all in (the rows after them in the archive).
    if (row.t !== 'event' && ARCHIVE_ROW_TYPES.indexOf(row.t) > ARCHIVE_ROW_TYPES.indexOf('event')) await writeCheckpoints();
    await add(row);
  }
  await writeCheckpoints();
  await flush();
  return { header, counts, rows, inserted, skipped: rows - inserted };
}
