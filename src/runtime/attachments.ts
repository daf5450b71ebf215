import { createHash } from 'node:crypto';
import { InvalidInputError } from '../domain/errors.js';
import type { SignalAttachment } from '../domain/task.js';
import { LIMITS } from './limits.js';

/**
 * Files delivered with a signal (`submit_signal`'s `attachments`, `longhaul signal
 * --file`): checked, decoded, measured and hashed once here, before the store writes
 * them with the signal.
 */

/** One file as a caller gives it: exactly one of `text` (UTF-8 content) or `base64`. */
export interface AttachmentInput {
  name: string;
  mediaType?: string | null;
  text?: string | null;
  base64?: string | null;
}

/** A checked file, ready for TenantStore.deliverSignal. */
export interface PreparedAttachment {
  meta: SignalAttachment;
  content: Uint8Array;
}

/** Media types inferred from a file name's extension when the caller gives none. */
export const MEDIA_TYPE_BY_EXTENSION: Readonly<Record<string, string>> = {
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  json: 'application/json',
  xml: 'application/xml',
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  // SWIFT MT940 statements: plain text in a tagged format.
  sta: 'text/plain',
  mt940: 'text/plain',
  '940': 'text/plain',
  txt: 'text/plain',
  md: 'text/markdown',
};
export const DEFAULT_MEDIA_TYPE = 'application/octet-stream';

/** The media type a file name implies (by its extension, case-insensitive), else application/octet-stream. */
export function mediaTypeFor(name: string): string {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1) return DEFAULT_MEDIA_TYPE;
  return MEDIA_TYPE_BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? DEFAULT_MEDIA_TYPE;
}

/** Text-like media types: served as text when the bytes are valid UTF-8. */
export function isTextMediaType(mediaType: string): boolean {
  return /^text\//.test(mediaType) || /^application\/(json|xml|[^/]+\+(json|xml))$/.test(mediaType);
}

/** "812 B", "14.2 KiB", "6.2 MiB" (binary units, one decimal, none when whole). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const [v, unit] = n < 1024 * 1024 ? [n / 1024, 'KiB'] : [n / (1024 * 1024), 'MiB'];
  const s = v.toFixed(1);
  return `${s.endsWith('.0') ? s.slice(0, -2) : s} ${unit}`;
}

const exact = (n: number) => `${n.toLocaleString('en-US')} bytes`;

/** "2 files: statement.xml 14.2 KiB, statement.csv 1.1 KiB" (the first five named). */
export function describeFiles(files: readonly Pick<SignalAttachment, 'name' | 'size'>[], shown = 5): string {
  const head = files.slice(0, shown).map((f) => `${f.name} ${formatBytes(f.size)}`);
  const more = files.length > shown ? `, and ${files.length - shown} more` : '';
  return `${files.length} file${files.length === 1 ? '' : 's'}: ${head.join(', ')}${more}`;
}

// C0 and C1 controls, DEL, line/paragraph separators and the bidirectional overrides
// that can disguise an extension ("invoice‮fdp.exe").
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** A plain file name: no path, no control characters, not `.`/`..`, ≤ 255 bytes of UTF-8. */
export function assertAttachmentName(name: unknown, what: string): string {
  const shown = typeof name === 'string' ? JSON.stringify(name.length > 80 ? name.slice(0, 80) + '…' : name) : String(name);
  const why =
    typeof name !== 'string' || name.trim() === ''
      ? 'it is empty'
      : /[/\\]/.test(name)
        ? 'it contains "/" or "\\" (a path, not a name)'
        : CONTROL.test(name)
          ? 'it contains control or text-direction characters'
          : name === '.' || name === '..'
            ? '"." and ".." are not file names'
            : Buffer.byteLength(name, 'utf8') > LIMITS.attachmentName
              ? `it is ${Buffer.byteLength(name, 'utf8')} bytes long; the limit is ${LIMITS.attachmentName}`
              : null;
  if (why) throw new InvalidInputError(`${what} ${shown} is not a plain file name: ${why}. Give a name such as "statement.csv".`, { value: typeof name === 'string' ? name.slice(0, 300) : null });
  return name as string;
}

// RFC 6838 restricted names: type "/" subtype, no parameters.
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/** A `type/subtype` media type (≤ 127 characters, no parameters), lower-cased. */
export function assertMediaType(value: string, what: string): string {
  const v = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (v.length > LIMITS.mediaType || !MEDIA_TYPE.test(v)) {
    throw new InvalidInputError(
      `${what} ${JSON.stringify(String(value).slice(0, 80))} is not a media type; give type/subtype such as "text/csv" or "application/pdf" (≤ ${LIMITS.mediaType} characters, no parameters), or omit it to infer it from the file name.`,
      { value: String(value).slice(0, 200) },
    );
  }
  return v;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;
const WHITESPACE = /[\t\n\f\r ]+/g;

/**
 * Strict base64 (RFC 4648 §4, padded), checked without decoding: whitespace and line
 * breaks are ignored; any other character outside the alphabet, a length that is not a
 * multiple of 4, `=` anywhere but at the end, and non-zero bits under the padding are
 * refused. Returns the cleaned text and the size it decodes to.
 */
export function checkBase64(value: string, what: string): { clean: string; size: number } {
  const s = value.replace(WHITESPACE, '');
  if (!B64_BODY.test(s)) {
    let at = -1;
    for (let i = 0; i < value.length && at < 0; i++) {
      const ch = value[i]!;
      if (!B64.includes(ch) && !'\t\n\f\r ='.includes(ch)) at = i;
    }
    const bad = at >= 0 ? value[at]! : '=';
    const reason =
      at >= 0
        ? `character ${JSON.stringify(bad)} at position ${at} is outside the base64 alphabet (A–Z, a–z, 0–9, "+", "/"${bad === '-' || bad === '_' ? '; base64url is not accepted: use standard base64' : ''})`
        : '"=" may only pad the end (at most two)';
    throw new InvalidInputError(`${what} is not valid base64: ${reason}.`);
  }
  if (s.length % 4 !== 0) {
    throw new InvalidInputError(`${what} is not valid base64: ${s.length} characters (whitespace aside) is not a multiple of 4; the padding ("=") is missing or the data was cut off.`);
  }
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  if (pad > 0) {
    const last = B64.indexOf(s[s.length - pad - 1]!);
    if ((pad === 2 && (last & 0x0f) !== 0) || (pad === 1 && (last & 0x03) !== 0)) {
      throw new InvalidInputError(`${what} is not valid base64: the bits under the padding are not zero (the data is damaged or was not made by a base64 encoder).`);
    }
  }
  return { clean: s, size: (s.length / 4) * 3 - pad };
}

const PER_FILE = `the limit is ${formatBytes(LIMITS.attachmentBytes)} per file (${formatBytes(LIMITS.signalAttachmentBytes)} for all files of one signal)`;

/** The error for one file over the per-file limit (also raised by the CLI before it reads a file). */
export function attachmentTooLargeError(name: string, size: number): InvalidInputError {
  return new InvalidInputError(
    `attachment "${name}" is ${formatBytes(size)} (${exact(size)}); ${PER_FILE}. Split it into smaller files (e.g. one statement per month) and deliver them as separate attachments or signals.`,
    { name, size, limit: LIMITS.attachmentBytes },
  );
}

/** The error for files over the per-signal total. */
export function attachmentsTooLargeError(files: readonly { name: string; size: number }[]): InvalidInputError {
  const total = files.reduce((n, f) => n + f.size, 0);
  const largest = [...files].sort((a, b) => b.size - a.size).slice(0, 3);
  return new InvalidInputError(
    `the ${files.length} attachments come to ${formatBytes(total)} (${exact(total)}) together, the largest ${largest.map((f) => `"${f.name}" ${formatBytes(f.size)}`).join(', ')}; ` +
      `the limit is ${formatBytes(LIMITS.signalAttachmentBytes)} per signal (${formatBytes(LIMITS.attachmentBytes)} per file). Deliver them in several signals. ` +
      `Over MCP stdio one message is at most 10 MiB, so keep one call's base64 under about 7 MiB in all; \`longhaul signal <investigationId> <signal> --file <path>\` delivers files from a shell without that overhead.`,
    { total, limit: LIMITS.signalAttachmentBytes },
  );
}

/**
 * Checks, decodes, measures and hashes a signal's files, in the order given. Throws
 * InvalidInputError naming the file and the limit: more than LIMITS.signalAttachments
 * files, one over LIMITS.attachmentBytes, all over LIMITS.signalAttachmentBytes, a
 * bad name or media type, both or neither of `text`/`base64`, or bad base64. The media
 * type defaults to the one the extension implies (mediaTypeFor). Every check, sizes
 * included, runs before anything is decoded.
 */
export function prepareAttachments(inputs: readonly AttachmentInput[] | null | undefined): PreparedAttachment[] {
  if (inputs === null || inputs === undefined) return [];
  if (!Array.isArray(inputs)) throw new InvalidInputError('attachments must be a list of files ({name, mediaType?, text | base64}).');
  if (inputs.length > LIMITS.signalAttachments) {
    throw new InvalidInputError(
      `${inputs.length} attachments given; the limit is ${LIMITS.signalAttachments} per signal. Deliver the rest in another signal.`,
      { count: inputs.length, limit: LIMITS.signalAttachments },
    );
  }
  const checked = inputs.map((input: AttachmentInput, index) => {
    const at = `attachments[${index}]`;
    if (input === null || typeof input !== 'object') throw new InvalidInputError(`${at} must be an object {name, mediaType?, text | base64}.`);
    const name = assertAttachmentName(input.name, `${at}.name`);
    const mediaType = input.mediaType === undefined || input.mediaType === null ? mediaTypeFor(name) : assertMediaType(input.mediaType, `${at}.mediaType`);
    const hasText = typeof input.text === 'string';
    const hasBase64 = typeof input.base64 === 'string';
    if (hasText === hasBase64) {
      throw new InvalidInputError(
        hasText
          ? `attachment "${name}" (${at}) gives both text and base64; give exactly one: text for UTF-8 content (CSV, XML, JSON, MT940), base64 for binary files (PDF, XLSX).`
          : `attachment "${name}" (${at}) has no content; give text (UTF-8 content such as CSV, XML, JSON, MT940) or base64 (binary files such as PDF, XLSX).`,
      );
    }
    const body = hasText ? { text: input.text!, size: Buffer.byteLength(input.text!, 'utf8') } : checkBase64(input.base64!, `attachment "${name}" (${at}.base64)`);
    if (body.size > LIMITS.attachmentBytes) throw attachmentTooLargeError(name, body.size);
    return { index, name, mediaType, body };
  });
  if (checked.reduce((n, c) => n + c.body.size, 0) > LIMITS.signalAttachmentBytes) throw attachmentsTooLargeError(checked.map((c) => ({ name: c.name, size: c.body.size })));
  return checked.map(({ index, name, mediaType, body }) => {
    const content: Uint8Array = 'text' in body ? Buffer.from(body.text, 'utf8') : Buffer.from(body.clean, 'base64');
    return { meta: { index, name, mediaType, size: content.byteLength, sha256: createHash('sha256').update(content).digest('hex') }, content };
  });
}
