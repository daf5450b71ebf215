import type { Response } from 'express';
import type { Change } from '../../domain/change.js';
import type { ChangeFeed } from '../../runtime/change-feed.js';
import type { Caller } from '../../runtime/deps.js';
import { principalKey } from './auth.js';
import { WEB_HEADERS } from './web-pages.js';

/** Event streams one principal may hold open (tabs); beyond, 429. */
export const MAX_STREAMS_PER_PRINCIPAL = 20;
/** A comment on every stream this often, so proxies keep it open and a revoked credential is noticed. */
export const STREAM_KEEPALIVE_MS = 15_000;

/**
 * The web page's live updates: server-sent events fed by the change feed, which hears
 * every process on the store (the CLI's `longhaul signal`, the webhook, another
 * instance). Each event says only that something changed (`event: change`, the change's
 * type); the page then re-reads through the JSON endpoints, so a stream carries no data
 * of its own and cannot leak any. Only the caller's tenant's changes are told.
 */
export class LiveStreams {
  private readonly open = new Map<string, Set<Response>>();

  constructor(private readonly feed: ChangeFeed) {}

  /** True when `caller` may open one more stream. */
  admits(caller: Caller): boolean {
    return (this.open.get(principalKey(caller))?.size ?? 0) < MAX_STREAMS_PER_PRINCIPAL;
  }

  /** Streams the changes `matches` picks to `res` until the client goes, or `stillValid()` turns false (checked at each keepalive). */
  start(res: Response, caller: Caller, matches: (c: Change) => boolean, stillValid: () => boolean): void {
    const key = principalKey(caller);
    const mine = this.open.get(key) ?? new Set<Response>();
    this.open.set(key, mine);
    mine.add(res);
    res.writeHead(200, { ...WEB_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', 'X-Accel-Buffering': 'no', Connection: 'keep-alive' });
    res.write('retry: 2000\n\n');
    let n = 0;
    const off = this.feed.subscribe((c) => {
      if (c.tenantId !== caller.tenantId || !matches(c)) return;
      res.write(`id: ${++n}\nevent: change\ndata: ${JSON.stringify({ type: c.type })}\n\n`);
    });
    const keepalive = setInterval(() => {
      if (!stillValid()) return void res.end();
      res.write(': keepalive\n\n');
    }, STREAM_KEEPALIVE_MS);
    keepalive.unref();
    res.once('close', () => {
      off();
      clearInterval(keepalive);
      mine.delete(res);
      if (mine.size === 0 && this.open.get(key) === mine) this.open.delete(key);
    });
  }

  /** Ends every stream (shutdown). */
  closeAll(): void {
    for (const set of this.open.values()) for (const r of set) r.end();
    this.open.clear();
  }
}
