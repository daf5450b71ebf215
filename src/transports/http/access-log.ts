import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { principalOf } from './auth.js';

/** One access-log record: never headers, query strings or bodies (they may carry credentials). */
export interface AccessRecord {
  method: string;
  path: string;
  status: number;
  ms: number;
  tenant?: string;
  actor?: string;
  session?: string;
  /** True when the client went away before the response was complete. */
  aborted?: boolean;
}

/**
 * Writes one JSON line per request when its response ends: method, path (without the
 * query), status, duration, and the tenant and actor once authenticated. Written with
 * its own writer, not the app logger, so access records never travel to MCP clients as
 * log notifications.
 */
export function accessLog(write: (record: AccessRecord) => void, now: () => number = () => performance.now()): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = now();
    let logged = false;
    const done = () => {
      if (logged) return;
      logged = true;
      const p = principalOf(req.auth);
      const session = req.headers['mcp-session-id'] ?? res.getHeader('mcp-session-id');
      write({
        method: req.method,
        path: req.originalUrl.split('?', 1)[0]!.slice(0, 200),
        status: res.statusCode,
        ms: Math.round((now() - started) * 10) / 10,
        ...(p ? { tenant: p.tenantId, actor: p.actorId } : {}),
        ...(typeof session === 'string' && /^[\w-]{1,64}$/.test(session) ? { session } : {}),
        ...(res.writableFinished ? {} : { aborted: true }),
      });
    };
    res.once('finish', done);
    res.once('close', done);
    next();
  };
}

/** The default writer: a JSON line on stderr, like the app's logs. */
export const stderrAccessLog = (r: AccessRecord): void => {
  process.stderr.write(JSON.stringify({ level: 'info', msg: 'http', ...r }) + '\n');
};
