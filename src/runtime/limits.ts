import { parseDuration } from '../domain/duration.js';
import { InvalidInputError } from '../domain/errors.js';

/** Input limits, shared by the zod schemas and the runtime (which re-checks: the CLI calls it too). */
export const LIMITS = {
  subject: 200,
  objective: 4_000,
  instructions: 8_000,
  summary: 8_000,
  signalPayloadBytes: 256_000,
  /** Files one signal may carry. */
  signalAttachments: 20,
  /** Bytes of one attachment, decoded (5 MiB). */
  attachmentBytes: 5 * 1024 * 1024,
  /** Bytes of all attachments of one signal together, decoded (10 MiB). */
  signalAttachmentBytes: 10 * 1024 * 1024,
  /** Bytes of an attachment's file name, UTF-8. */
  attachmentName: 255,
  /** Characters of an attachment's media type. */
  mediaType: 127,
  idempotencyKey: 200,
  tasksPerStart: 20,
  listLimit: 100,
  query: 200,
} as const;

export const SIGNAL_NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
export const ROLE_NAME = /^[a-z][a-z0-9_-]{0,63}$/;

export function assertSignalName(name: string, what = 'signal'): string {
  if (typeof name !== 'string' || !SIGNAL_NAME.test(name) || name.includes('..')) {
    throw new InvalidInputError(
      `${what}: "${String(name).slice(0, 60)}" is not a valid signal name; use lower-case letters, digits, "_", "-" or "." (start with a letter or digit, no "..", ≤ 64), e.g. "bank_data".`,
      { value: name },
    );
  }
  return name;
}

export function assertRole(role: string): string {
  if (typeof role !== 'string' || !ROLE_NAME.test(role)) {
    throw new InvalidInputError(`role: "${String(role).slice(0, 60)}" is not a valid role; use lower-case letters, digits, "_" or "-" (e.g. "retrieval", "compliance").`, { value: role });
  }
  return role;
}

export function assertText(value: string, what: string, max: number): string {
  if (typeof value !== 'string' || value.trim().length === 0) throw new InvalidInputError(`${what} is empty; give a short non-empty text.`);
  if (value.length > max) throw new InvalidInputError(`${what} is ${value.length} characters; the limit is ${max}. Shorten it or put the detail in a recorded event.`);
  return value.trim();
}

/** How deep tool-supplied JSON (event data, signal payloads) may nest. */
export const MAX_JSON_DEPTH = 64;

/**
 * The size in bytes of a JSON value a caller supplied, after checking how deep it nests
 * (iteratively: a hostile 20,000-level value must not overflow the stack).
 */
export function jsonSize(value: unknown, what = 'data'): number {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) throw new InvalidInputError(`${what} nests deeper than ${MAX_JSON_DEPTH} levels; flatten it.`);
    for (const child of Object.values(v as Record<string, unknown>)) stack.push([child, depth + 1]);
  }
  return Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');
}

/** The longest a task may wait for a signal, or an investigation may run to its deadline. */
export const MAX_WAIT_MS = 5 * 365 * 86_400_000;

/** A timeout from a tool argument: a positive duration of at most five years. */
export function parseTimeout(value: string, what: string): number {
  const ms = parseDuration(value, what);
  if (ms <= 0) throw new InvalidInputError(`${what}: "${value}" must be longer than zero; a wait needs a deadline in the future.`);
  if (ms > MAX_WAIT_MS) throw new InvalidInputError(`${what}: "${value}" is longer than five years; give a realistic timeout such as "P3D".`);
  return ms;
}

/**
 * A deadline argument: a duration from now (`P3D`, `72h`) or an ISO 8601 timestamp.
 * A timestamp in the past is refused.
 */
export function parseDeadline(value: string, now: number, what = 'deadline'): number {
  const v = String(value).trim();
  if (/^\d{4}-\d{2}-\d{2}/.test(v)) {
    const t = Date.parse(v);
    if (Number.isNaN(t)) throw new InvalidInputError(`${what}: "${v}" is not a valid ISO 8601 timestamp.`);
    if (t <= now) throw new InvalidInputError(`${what}: ${v} is in the past; give a future timestamp or a duration such as "P3D".`);
    if (t - now > MAX_WAIT_MS) throw new InvalidInputError(`${what}: ${v} is more than five years away; give a realistic deadline.`);
    return t;
  }
  return now + parseTimeout(v, what);
}
