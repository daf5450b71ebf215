import type { Request, RequestHandler, Response } from 'express';
import getRawBody from 'raw-body';
import type { App } from '../../app.js';
import { isLonghaulError } from '../../domain/errors.js';
import type { Logger } from '../../logger.js';
import { formatBytes, type AttachmentInput } from '../../runtime/attachments.js';
import { LIMITS } from '../../runtime/limits.js';
import { hasScope, principalOf } from './auth.js';

/**
 * The signal webhook: `POST /hooks/signals/{investigationId}/{signal}` delivers a signal
 * from a system that can make an HTTP request (a bank's notification, a mail hook, a
 * form), as `submit_signal` and `longhaul signal` do, with the same checks and limits.
 *
 * - Credentials as on `/mcp` (a bearer token of the tokens file, an OAuth JWT, or the
 *   local identity on an unauthenticated loopback server) holding `write`; the signal
 *   goes to the credential's tenant only (another tenant's investigation is 404).
 * - The body: `application/json` is the signal's payload (≤ 1 MiB read; the payload
 *   limit, 256,000 bytes, answers 400). Any other type is one file, stored with its
 *   exact bytes, size and SHA-256: named by `Content-Disposition: attachment;
 *   filename="…"` (a path in it is dropped), else the `name` query parameter, else
 *   `body.<extension of the type>`; its media type is the Content-Type's (for
 *   `application/octet-stream`, the one the name's extension implies). A file body may be
 *   5 MiB, the limit of one attachment; beyond, 413 before more is read. An empty body
 *   delivers the signal without data. Form encodings and multipart are refused (415): the
 *   file is the body.
 * - `Idempotency-Key` is `submit_signal`'s idempotencyKey: a repeated delivery answers
 *   202 with `duplicate: true` and the first signal's id, and resolves nothing again.
 *
 * Answers 202 with the signal id, what it resolved and woke; errors as
 * `{error, error_description}` with 400 (bad input), 401, 403 (no `write`), 404 (no such
 * investigation for this tenant), 409 (closed), 413, 415, 503 (store unavailable).
 */

/** The route, for server.ts (Express path syntax). */
export const SIGNAL_HOOK_PATH = '/hooks/signals/:investigationId/:signal';
/** A JSON body: the payload (LIMITS.signalPayloadBytes) with room for whitespace, like /mcp's bodies. */
export const HOOK_JSON_BYTES = 1024 * 1024;
/** A file body: one attachment (5 MiB). */
export const HOOK_FILE_BYTES = LIMITS.attachmentBytes;

/** File extensions for the default name `body.<ext>`, by media type. */
const EXTENSION_BY_TYPE: Readonly<Record<string, string>> = {
  'text/csv': 'csv',
  'text/tab-separated-values': 'tsv',
  'application/xml': 'xml',
  'text/xml': 'xml',
  'application/pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'text/plain': 'txt',
  'text/markdown': 'md',
  'text/html': 'html',
  'application/octet-stream': 'bin',
};

/** `body.csv` for text/csv; a short plain subtype as it is (image/png → png); else `bin`. */
export function defaultFileName(mediaType: string): string {
  const known = EXTENSION_BY_TYPE[mediaType];
  if (known) return `body.${known}`;
  const sub = mediaType.split('/')[1] ?? '';
  return `body.${/^[a-z0-9]{1,8}$/.test(sub) ? sub : 'bin'}`;
}

/**
 * The file name of a Content-Disposition header (RFC 6266): `filename*` (RFC 8187,
 * UTF-8) over `filename`; any directory part dropped. Null when it names none.
 */
export function dispositionFileName(header: string | undefined): string | null {
  if (!header) return null;
  let name: string | null = null;
  const extended = /(?:^|;)\s*filename\*\s*=\s*([^;]*)/i.exec(header);
  if (extended) {
    const m = /^\s*utf-8'[^']*'(.+?)\s*$/i.exec(extended[1]!);
    if (m) {
      try {
        name = decodeURIComponent(m[1]!);
      } catch {
        name = null;
      }
    }
  }
  if (name === null) {
    const plain = /(?:^|;)\s*filename\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/i.exec(header);
    if (plain) {
      const v = plain[1]!.trim();
      name = v.startsWith('"') ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v;
    }
  }
  if (name === null) return null;
  // Senders may send a path (C:\statements\may.csv); only the last part is the name (RFC 6266 §4.3).
  const base = name.split(/[/\\]/).pop()!.trim();
  return base === '' ? null : base;
}

interface BodyType {
  mediaType: string;
  json: boolean;
}

/** The body's media type (lower-case, no parameters), or an error sentence for a type that is not accepted. */
function bodyType(req: Request): BodyType | { status: 415; message: string } {
  const raw = req.headers['content-type'];
  const mediaType = (raw ?? 'application/octet-stream').split(';', 1)[0]!.trim().toLowerCase();
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity') {
    return { status: 415, message: `Content-Encoding "${encoding.slice(0, 40)}" is not accepted: send the body uncompressed (the file is stored as received, with its SHA-256).` };
  }
  if (mediaType.startsWith('multipart/') || mediaType === 'application/x-www-form-urlencoded') {
    return {
      status: 415,
      message:
        `A ${mediaType} body is not accepted: send the file itself as the body with its own Content-Type (e.g. curl -H 'Content-Type: text/csv' -H 'Content-Disposition: attachment; filename="statement.csv"' --data-binary @statement.csv …), ` +
        'or JSON data as application/json. (curl --data-binary without a Content-Type sends application/x-www-form-urlencoded.)',
    };
  }
  return { mediaType, json: mediaType === 'application/json' };
}

function hookError(res: Response, status: number, error: string, description: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.status(status).set({ 'Cache-Control': 'no-store', ...headers }).json({ error, error_description: description });
}

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  invalid_input: 400,
  unauthorized: 401,
  not_found: 404,
  illegal_transition: 409,
  conflict: 409,
  storage_unavailable: 503,
};

async function readBody(req: Request, limit: number): Promise<Buffer> {
  return getRawBody(req, { limit, length: req.headers['content-length'] });
}

export interface SignalWebhookDeps {
  app: App;
  /** The protected-resource metadata URL, for WWW-Authenticate on 403 (null without credentials). */
  resourceMetadataUrl: string | null;
  logger: Logger;
}

/** The webhook's handler, after the perimeter and authentication (server.ts). */
export function signalWebhook(d: SignalWebhookDeps): RequestHandler {
  return async (req: Request, res: Response) => {
    if (req.method !== 'POST') return hookError(res, 405, 'method_not_allowed', 'Deliver a signal with POST.', { Allow: 'POST' });
    const principal = principalOf(req.auth);
    if (!principal) return hookError(res, 401, 'invalid_token', 'No verified credential: send Authorization: Bearer <token>.');
    if (!hasScope(principal, 'write')) {
      const description = 'delivering a signal needs the write scope';
      return hookError(res, 403, 'insufficient_scope', `Forbidden: ${description}; this credential has ${principal.scopes.length ? principal.scopes.join(', ') : 'no scopes'}.`, {
        'WWW-Authenticate': `Bearer error="insufficient_scope", scope="write", error_description="${description}"${d.resourceMetadataUrl ? `, resource_metadata="${d.resourceMetadataUrl}"` : ''}`,
      });
    }
    const investigationId = String(req.params.investigationId ?? '');
    const signal = String(req.params.signal ?? '');
    const type = bodyType(req);
    if ('status' in type) return hookError(res, type.status, 'unsupported_media_type', type.message);

    const limit = type.json ? HOOK_JSON_BYTES : HOOK_FILE_BYTES;
    let body: Buffer;
    try {
      body = await readBody(req, limit);
    } catch (e) {
      const kind = (e as { type?: string }).type;
      if (kind === 'entity.too.large') {
        // The rest of the body is not worth reading: close the connection after answering.
        const what = type.json ? `a JSON body may be ${formatBytes(limit)} (the payload itself ${LIMITS.signalPayloadBytes.toLocaleString('en-US')} bytes)` : `a file body may be ${formatBytes(limit)}, the limit of one attachment`;
        return hookError(res, 413, 'payload_too_large', `The body is too large: ${what}. Split the file (e.g. one statement per month) and deliver the parts as separate signals, or use \`longhaul signal … --file\`.`, { Connection: 'close' });
      }
      return hookError(res, 400, 'invalid_request', kind === 'request.size.invalid' ? 'The body is shorter or longer than its Content-Length.' : 'The body could not be read.');
    }

    const input: { investigationId: string; signal: string; payload?: unknown; attachments?: AttachmentInput[]; idempotencyKey?: string } = { investigationId, signal };
    if (body.length > 0 && type.json) {
      try {
        input.payload = JSON.parse(body.toString('utf8'));
      } catch {
        return hookError(res, 400, 'invalid_input', 'The body is not valid JSON (Content-Type: application/json is the signal\'s payload; send a file with its own type).');
      }
    } else if (body.length > 0) {
      const query = req.query.name;
      if (query !== undefined && typeof query !== 'string') return hookError(res, 400, 'invalid_input', 'Give the name query parameter once.');
      const given = dispositionFileName(req.headers['content-disposition']) ?? query ?? null;
      const name = given ?? defaultFileName(type.mediaType);
      // application/octet-stream says nothing: the name's extension says more (statement.csv → text/csv).
      const mediaType = type.mediaType === 'application/octet-stream' && given !== null ? undefined : type.mediaType;
      input.attachments = [{ name, ...(mediaType ? { mediaType } : {}), base64: body.toString('base64') }];
    }
    const key = req.headers['idempotency-key'];
    if (typeof key === 'string') input.idempotencyKey = key;

    try {
      const caller = { tenantId: principal.tenantId, actorId: principal.actorId };
      const r = await d.app.runtime.signals.submit(caller, input);
      res
        .status(202)
        .set('Cache-Control', 'no-store')
        .json({
          signalId: r.signal.signalId,
          investigationId: r.investigationId,
          signal: r.signal.name,
          duplicate: r.duplicate,
          receivedAt: r.signal.receivedAt,
          payloadBytes: r.signal.payloadBytes,
          attachments: r.signal.attachments,
          resolvedWaits: r.resolvedWaits.map((w) => ({ waitId: w.waitId, taskId: w.taskId })),
          wokenTasks: r.wokenTasks.map((t) => ({ taskId: t.taskId, role: t.role, status: t.status })),
        });
    } catch (e) {
      if (isLonghaulError(e)) {
        const status = STATUS_BY_CODE[e.code] ?? 500;
        if (status !== 500) return hookError(res, status, e.code, e.message, status === 503 ? { 'Retry-After': '5' } : {});
      }
      d.logger.error('signal webhook failed', { tenantId: principal.tenantId, investigationId, signal, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
      return hookError(res, 500, 'internal', 'longhaul hit an unexpected error delivering the signal; it has been logged. Retry with the same Idempotency-Key: a delivery that was stored resolves once.');
    }
  };
}
