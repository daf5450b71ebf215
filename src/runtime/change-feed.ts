import { EventEmitter } from 'node:events';

/** What changed, for resource subscriptions (`notifications/resources/updated`). */
export type Change =
  | { type: 'investigation'; tenantId: string; id: string }
  /** Tasks of an investigation were created or became runnable: what workers follow. */
  | { type: 'tasks'; tenantId: string; investigationId: string }
  | { type: 'session'; tenantId: string; id: string }
  | { type: 'report'; tenantId: string; investigationId: string }
  | { type: 'inbox'; tenantId: string }
  | { type: 'memory'; tenantId: string; namespace: string };

/**
 * In-process change notifications. Runtime and scheduler publish after a committed
 * write; the MCP layer maps changes to resource URIs for subscribed clients.
 */
export class ChangeFeed {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  publish(change: Change): void {
    this.emitter.emit('change', change);
  }
  subscribe(fn: (change: Change) => void): () => void {
    this.emitter.on('change', fn);
    return () => this.emitter.off('change', fn);
  }
}
