import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { iso, type Clock } from '../../domain/clock.js';
import type { StorePort } from '../port.js';
import { ARCHIVE_FORMAT, ARCHIVE_VERSION, emptyCounts, rowLines, type ArchiveHeader, type ArchiveTrailer } from './format.js';
import type { ArchiveRowType } from './types.js';

/** Characters handed to the compressor at a time. */
const CHUNK = 64 * 1024;

export interface ExportSummary {
  counts: Record<ArchiveRowType, number>;
  rows: number;
  lines: number;
  /** Bytes written (compressed). */
  bytes: number;
  sha256: string;
}

/**
 * `longhaul export`: streams every durable row of `tenants` (all when absent) from one
 * consistent snapshot of `store` (StorePort.exportRows) into a gzip JSON Lines archive
 * (./format.ts) at `out` (a path, or a stream such as stdout). Memory stays bounded
 * however large the store: rows flow through with the stream's backpressure, one at a
 * time. Works while the server runs.
 */
export async function exportArchive(store: StorePort, opts: { out: string | Writable; tenants?: readonly string[]; clock: Clock }): Promise<ExportSummary> {
  const header: ArchiveHeader = {
    format: ARCHIVE_FORMAT,
    version: ARCHIVE_VERSION,
    exportedAt: iso(opts.clock.now()),
    tenants: opts.tenants ? [...opts.tenants] : null,
    source: { kind: store.kind },
  };
  const counts = emptyCounts();
  const hash = createHash('sha256');
  let lines = 0;
  let rows = 0;
  let sha256 = '';
  // Lines are handed on in chunks of about CHUNK characters: a stream chunk per line
  // costs more than the line.
  async function* text(): AsyncGenerator<string> {
    let buffered = '';
    const emit = (line: string) => {
      const s = line + '\n';
      hash.update(s);
      lines++;
      buffered += s;
    };
    emit(JSON.stringify(header));
    for await (const r of store.exportRows(opts.tenants ? { tenants: opts.tenants } : {})) {
      counts[r.t]++;
      rows++;
      for (const line of rowLines(r)) emit(line);
      if (buffered.length >= CHUNK) {
        yield buffered;
        buffered = '';
      }
    }
    sha256 = hash.digest('hex');
    const trailer: ArchiveTrailer = { t: 'end', counts, lines, sha256 };
    yield buffered + JSON.stringify(trailer) + '\n';
  }
  let bytes = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  const sink = typeof opts.out === 'string' ? createWriteStream(opts.out) : opts.out;
  await pipeline(Readable.from(text(), { objectMode: false }), createGzip(), counted, sink);
  return { counts, rows, lines: lines + 1, bytes, sha256 };
}
