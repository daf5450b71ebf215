/**
 * The memory port on the work store itself (LONGHAUL_MEMORY=store, the default): memory
 * lives in LONGHAUL_STORE, written by the store's own steps (events by every work step
 * that appends them, records by extraction's commits), so this adapter only reads,
 * forgets and deletes — and never ships anything (no outbox).
 */
import { InvalidInputError } from '../../domain/errors.js';
import type { StorePort, TenantStore } from '../../store/port.js';
import { memorySessionOf, type MemoryPort, type TenantMemory } from '../port.js';

const cache = new WeakMap<StorePort, MemoryPort>();

/** The store's memory port (one per store). */
export function storeMemory(store: StorePort): MemoryPort {
  let m = cache.get(store);
  if (!m) {
    const tenants = new Map<string, TenantMemory>();
    m = {
      kind: 'store',
      get location() {
        return store.location;
      },
      extraction: 'longhaul',
      usesOutbox: false,
      tenant(tenantId: string) {
        let t = tenants.get(tenantId);
        if (!t) tenants.set(tenantId, (t = new StoreTenantMemory(store.tenant(tenantId))));
        return t;
      },
      async deliver() {
        throw new InvalidInputError('The store memory has no outbox: its events and records are written by the store itself.');
      },
      // The store is closed by its owner (the app), not through its memory.
      async close() {},
    };
    cache.set(store, m);
  }
  return m;
}

/** An investigation's memory session is the investigation itself (memorySessionOf). */
const isInvestigation = (sessionId: string) => sessionId.startsWith('inv_');

class StoreTenantMemory implements TenantMemory {
  readonly tenantId: string;
  constructor(private readonly t: TenantStore) {
    this.tenantId = t.tenantId;
  }
  getRecord(id: string) {
    return this.t.getRecord(id);
  }
  listRecords(q: Parameters<TenantMemory['listRecords']>[0]) {
    return this.t.listRecords(q);
  }
  searchRecords(q: Parameters<TenantMemory['searchRecords']>[0]) {
    return this.t.searchRecords(q);
  }
  deleteRecord(id: string) {
    return this.t.deleteRecord(id);
  }
  listEvents(q: { sessionId: string; limit: number; cursor?: string | null }) {
    return this.t.listEvents({ ...(isInvestigation(q.sessionId) ? { investigationId: q.sessionId } : { sessionId: q.sessionId }), limit: q.limit, cursor: q.cursor ?? null });
  }
  async getEvent(sessionId: string, eventId: string) {
    const [e] = await this.t.getEvents([eventId]);
    return e && memorySessionOf(e) === sessionId ? e : null;
  }
  async deleteEvent(sessionId: string, eventId: string) {
    return (await this.getEvent(sessionId, eventId)) !== null && this.t.deleteEvent(eventId);
  }
}
