import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError, SubscribeRequestSchema, UnsubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { assertId } from '../domain/ids.js';
import { namespaceHasPrefix, namespaceVisibleTo } from '../domain/namespace.js';
import { scopedPrefix } from '../memory/scope.js';
import type { Caller } from '../runtime/deps.js';
import type { Change } from '../runtime/change-feed.js';
import type { McpContext } from './context.js';
import { toMcpError } from './errors.js';
import { parseLonghaulUri, type UriTarget } from './uris.js';

/** Subscriptions one server instance (one MCP session) holds at most. */
export const MAX_SUBSCRIPTIONS_PER_SESSION = 1_000;

interface Subscription {
  /** The URI notifications name: the one the client last subscribed to this target with. */
  uri: string;
  tenantId: string;
  /** Memory notifications skip other actors' private namespaces (src/memory/scope.ts). */
  actorId: string;
  target: UriTarget;
}

/** Does a change alter the document behind a subscribed URI? */
function affects(change: Change, t: UriTarget): boolean {
  switch (change.type) {
    case 'investigation':
      // A task's changes come as its investigation's change (coarse: any change of the investigation notifies its task URIs).
      return (t.kind === 'investigation' || t.kind === 'timeline' || t.kind === 'task') && t.investigationId === change.id;
    case 'session':
      return (t.kind === 'session' || t.kind === 'session_events') && t.sessionId === change.id;
    case 'report':
      return t.kind === 'report' && t.investigationId === change.investigationId;
    case 'inbox':
      return t.kind === 'inbox';
    case 'memory':
      return t.kind === 'memory' && (t.prefix === '' || namespaceHasPrefix(change.namespace, t.prefix));
    case 'tasks':
      // Workers follow these; resource documents change through the `investigation` change sent alongside.
      return false;
  }
}

/**
 * `resources/subscribe` / `unsubscribe` for one server instance. Subscriptions are kept
 * per (tenant, target): URIs that name the same document (a query string or a trailing
 * slash aside) are one subscription, so variants of one URI cannot multiply the
 * notifications a change fans out to; at most `maxSubscriptions` (beyond: an error
 * naming the limit). The change feed is followed only while something is subscribed, a
 * change notifies only subscriptions of its own tenant, and nothing is sent while
 * `deliver()` is false (HTTP: the session's credential was revoked or expired).
 * Notifications raised by one operation (begin work, end work, the investigation
 * touched) are coalesced into one `notifications/resources/updated` per URI.
 *
 * Returns the cleanup to run when the server closes.
 */
export function attachSubscriptions(server: McpServer, ctx: McpContext, deliver: () => boolean = () => true, maxSubscriptions = MAX_SUBSCRIPTIONS_PER_SESSION): () => void {
  const { app } = ctx;
  const subs = new Map<string, Subscription>();
  const key = (tenantId: string, target: UriTarget) => `${tenantId}\u0000${JSON.stringify(target)}`;
  let unfollow: (() => void) | null = null;
  let pending = new Set<string>();
  let flush: NodeJS.Immediate | null = null;

  const send = () => {
    flush = null;
    const uris = pending;
    pending = new Set();
    if (!server.isConnected() || !deliver()) return;
    for (const uri of uris) {
      server.server.sendResourceUpdated({ uri }).catch((e: unknown) => {
        app.logger.debug('resource update notification not sent', { uri, error: e instanceof Error ? e.message : String(e) });
      });
    }
  };

  const onChange = (change: Change) => {
    if (!deliver()) return;
    for (const s of subs.values()) {
      if (s.tenantId !== change.tenantId || !affects(change, s.target)) continue;
      if (change.type === 'memory' && !namespaceVisibleTo(s.actorId, change.namespace)) continue;
      pending.add(s.uri);
    }
    if (pending.size && !flush) flush = setImmediate(send);
  };

  /**
   * Refuses longhaul:// URIs that name nothing, or an investigation/session the caller
   * cannot see. A URI of another scheme is not this server's: subscribing to it is
   * accepted (as the spec's subscribe/unsubscribe flow expects) and it never changes,
   * so it is never notified; null says so.
   */
  const check = async (caller: Caller, uri: string): Promise<UriTarget | null> => {
    if (!/^longhaul:/i.test(uri)) {
      if (!/^[a-z][a-z0-9+.-]*:/i.test(uri) || uri.length > 2_048) throw new McpError(ErrorCode.InvalidParams, `"${uri.slice(0, 200)}" is not a resource URI (see resources/templates/list).`);
      return null;
    }
    const target = parseLonghaulUri(uri);
    if (!target) throw new McpError(ErrorCode.InvalidParams, `"${uri.slice(0, 200)}" is not a longhaul:// resource URI (see resources/templates/list).`);
    if (target.kind === 'task') await app.runtime.investigations.task(caller, target.investigationId, target.taskId);
    else if (target.kind === 'signal_attachment') await app.runtime.signals.attachmentMeta(caller, target.investigationId, target.signalId, target.index);
    else if ('investigationId' in target) await app.runtime.investigations.load(caller, target.investigationId);
    if ('sessionId' in target) await app.runtime.sessions.get(caller, assertId(target.sessionId, 'ses', 'sessionId'));
    // Another actor's private memory cannot be followed either (not_found, as when read).
    if (target.kind === 'memory' && target.prefix) scopedPrefix(caller.actorId, target.prefix, 'memory namespace');
    return target;
  };

  server.server.setRequestHandler(SubscribeRequestSchema, async (req, extra) => {
    try {
      const caller = ctx.resolveCaller(extra);
      const target = await check(caller, req.params.uri);
      if (!target) return {};
      const k = key(caller.tenantId, target);
      if (!subs.has(k) && subs.size >= maxSubscriptions) {
        throw new McpError(ErrorCode.InvalidParams, `This session already holds ${maxSubscriptions} subscriptions, the most allowed; unsubscribe from some (resources/unsubscribe) before subscribing to more.`, {
          code: 'invalid_input',
        });
      }
      subs.set(k, { uri: req.params.uri, tenantId: caller.tenantId, actorId: caller.actorId, target });
      unfollow ??= app.feed.subscribe(onChange);
      return {};
    } catch (e) {
      throw toMcpError(e, app.logger, 'resources/subscribe');
    }
  });

  server.server.setRequestHandler(UnsubscribeRequestSchema, async (req, extra) => {
    try {
      const caller = ctx.resolveCaller(extra);
      const target = /^longhaul:/i.test(req.params.uri) ? parseLonghaulUri(req.params.uri) : null;
      if (target) subs.delete(key(caller.tenantId, target));
      if (subs.size === 0 && unfollow) {
        unfollow();
        unfollow = null;
      }
      return {};
    } catch (e) {
      throw toMcpError(e, app.logger, 'resources/unsubscribe');
    }
  });

  return () => {
    subs.clear();
    unfollow?.();
    unfollow = null;
    if (flush) clearImmediate(flush);
    flush = null;
    pending.clear();
  };
}
