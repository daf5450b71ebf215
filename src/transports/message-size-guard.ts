import { Transform, type TransformCallback } from 'node:stream';

/** The longest message longhaul reads from a stdio client: the SDK's own read limit (10 MiB). */
export const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

/** Bytes kept of each end of a dropped message, to recover its request id. */
const EDGE = 256;

export type RequestId = string | number;

export interface DroppedMessage {
  bytes: number;
  /** The JSON-RPC id, when it could be read off either end of the message. */
  id: RequestId | null;
}

/**
 * Sits between stdin and the SDK's stdio transport and passes the client's
 * newline-delimited messages through whole, except one longer than `maxBytes`: that is
 * dropped as it streams in (never buffered) and reported. The SDK's own reader would
 * instead close the transport, ending the server, on the first message over its limit.
 */
export class MessageSizeGuard extends Transform {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private dropping = false;
  private dropHead = Buffer.alloc(0);
  private dropTail = Buffer.alloc(0);

  constructor(
    private readonly maxBytes: number,
    private readonly onDropped: (m: DroppedMessage) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) {
        this.addPiece(chunk.subarray(start));
        break;
      }
      if (this.pendingBytes === 0 && !this.dropping && nl - start <= this.maxBytes) {
        // The common case: a whole message within this chunk, passed on as it is.
        this.push(chunk.subarray(start, nl + 1));
      } else {
        this.addPiece(chunk.subarray(start, nl));
        this.endOfMessage();
      }
      start = nl + 1;
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.dropping) this.endOfMessage();
    else if (this.pendingBytes > 0) this.push(Buffer.concat(this.pending));
    done();
  }

  private addPiece(piece: Buffer): void {
    if (piece.length === 0) return;
    this.pendingBytes += piece.length;
    if (!this.dropping && this.pendingBytes <= this.maxBytes) {
      this.pending.push(piece);
      return;
    }
    if (!this.dropping) {
      // From here on the message is dropped: keep its ends only.
      this.dropping = true;
      const all = Buffer.concat([...this.pending, piece]);
      this.pending = [];
      this.dropHead = Buffer.from(all.subarray(0, EDGE));
      this.dropTail = Buffer.from(all.subarray(-EDGE));
      return;
    }
    this.dropTail = Buffer.concat([this.dropTail, piece.subarray(-EDGE)]).subarray(-EDGE);
  }

  private endOfMessage(): void {
    if (this.dropping) {
      this.onDropped({ bytes: this.pendingBytes, id: requestIdAtEdges(this.dropHead.toString('utf8'), this.dropTail.toString('utf8')) });
    } else {
      this.pending.push(Buffer.from('\n'));
      this.push(Buffer.concat(this.pending));
    }
    this.pending = [];
    this.pendingBytes = 0;
    this.dropping = false;
    this.dropHead = Buffer.alloc(0);
    this.dropTail = Buffer.alloc(0);
  }
}

const ID = String.raw`(-?\d{1,15}|"(?:[^"\\]|\\.){0,128}")`;
/** `{"jsonrpc":"2.0","id":…` (or `{"id":…`): nothing nested comes before the id. */
const ID_AT_HEAD = new RegExp(String.raw`^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*` + ID + String.raw`(?=\s*[,}])`);
/** `…,"id":…}` at the very end, as the TypeScript SDK writes requests: the top-level id. */
const ID_AT_TAIL = new RegExp(String.raw`[,{]\s*"id"\s*:\s*` + ID + String.raw`\s*\}\s*$`);

/**
 * The JSON-RPC id of a message known only by its first and last bytes, when one end
 * shows it unambiguously as the top-level id; null otherwise. (An id nested in params
 * cannot match: at the head something precedes it, at the tail more braces follow it.)
 */
export function requestIdAtEdges(head: string, tail: string): RequestId | null {
  const m = ID_AT_HEAD.exec(head) ?? ID_AT_TAIL.exec(tail);
  if (!m) return null;
  try {
    const id: unknown = JSON.parse(m[1]!);
    return typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id)) ? id : null;
  } catch {
    return null;
  }
}
