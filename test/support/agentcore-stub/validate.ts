/**
 * Request parsing and field validation shared by the route modules. Failures are the
 * service's ValidationException (400) with `reason` and `fieldList`, which the SDK
 * deserialises onto its typed `ValidationException`.
 */
import { StubError, type StubRequest, type StubResponse } from './types.js';

export function validationError(message: string, field?: string, reason = 'FieldValidationFailed'): StubError {
  return new StubError(400, 'ValidationException', message, {
    reason,
    ...(field ? { fieldList: [{ name: field, message }] } : {}),
  });
}

export function notFound(message: string): StubError {
  return new StubError(404, 'ResourceNotFoundException', message);
}

/** A restJson response: the SDK reads members from the JSON body (timestamps as epoch seconds). */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): StubResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

export function parseJsonBody(req: StubRequest): Record<string, unknown> {
  if (req.body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(req.body.toString('utf8'));
  } catch {
    throw validationError('Request body is not valid JSON', undefined, 'CannotParse');
  }
  if (!isObject(parsed)) throw validationError('Request body must be a JSON object', undefined, 'CannotParse');
  return parsed;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface StringRule {
  min?: number;
  max?: number;
  pattern?: RegExp;
}

/** A required string member with the model's length and pattern constraints. */
export function requireString(value: unknown, field: string, rule: StringRule = {}): string {
  if (value === undefined || value === null) throw validationError(`${field} is required`, field);
  return checkString(value, field, rule);
}

export function optionalString(value: unknown, field: string, rule: StringRule = {}): string | undefined {
  if (value === undefined || value === null) return undefined;
  return checkString(value, field, rule);
}

function checkString(value: unknown, field: string, rule: StringRule): string {
  if (typeof value !== 'string') throw validationError(`${field} must be a string`, field);
  // The service counts characters (code points), as Smithy's @length does.
  const length = [...value].length;
  if (rule.min !== undefined && length < rule.min) {
    throw validationError(`${field} must have length at least ${rule.min}`, field);
  }
  if (rule.max !== undefined && length > rule.max) {
    throw validationError(`${field} must have length at most ${rule.max}`, field);
  }
  if (rule.pattern && !rule.pattern.test(value)) {
    throw validationError(`${field} must satisfy pattern ${rule.pattern.source}`, field);
  }
  return value;
}

export function optionalInt(value: unknown, field: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw validationError(`${field} must be an integer`, field);
  if (value < min || value > max) throw validationError(`${field} must be between ${min} and ${max}`, field);
  return value;
}

/** A query-string integer (e.g. maxResults on a GET). */
export function queryInt(req: StubRequest, name: string, min: number, max: number): number | undefined {
  const raw = req.query.get(name);
  if (raw === null) return undefined;
  if (!/^-?\d+$/.test(raw)) throw validationError(`${name} must be an integer`, name);
  return optionalInt(Number(raw), name, min, max);
}

/** A JSON timestamp member: the SDK sends epoch seconds (fractional) for restJson. */
export function optionalTimestamp(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw validationError(`${field} must be a timestamp in epoch seconds`, field);
  }
  return Math.round(value * 1000);
}

export function optionalArray(value: unknown, field: string, min: number, max: number): unknown[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw validationError(`${field} must be a list`, field);
  if (value.length < min || value.length > max) {
    throw validationError(`${field} must have between ${min} and ${max} items`, field);
  }
  return value;
}

export function requireArray(value: unknown, field: string, min: number, max: number): unknown[] {
  if (value === undefined || value === null) throw validationError(`${field} is required`, field);
  return optionalArray(value, field, min, max) ?? [];
}

/** Epoch milliseconds → the JSON timestamp the SDK parses (epoch seconds). */
export const epochSeconds = (ms: number): number => ms / 1000;

/** Opaque, stable paging token: the offset into a deterministic ordering, bound to the query. */
export function encodeToken(offset: number, scope: string): string {
  return Buffer.from(JSON.stringify({ o: offset, s: scope })).toString('base64url');
}

export function decodeToken(token: string | undefined, scope: string): number {
  if (token === undefined) return 0;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (isObject(parsed) && typeof parsed.o === 'number' && parsed.s === scope && parsed.o >= 0) return parsed.o;
  } catch {
    // fall through
  }
  throw validationError('Invalid nextToken', 'nextToken');
}

/** JSON with sorted keys: two requests are "the same" when their canonical forms match. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
