/**
 * With an external memory and longhaul's own extraction (LONGHAUL_MEMORY=agentcore,
 * LONGHAUL_AGENTCORE_EXTRACTION=longhaul), every `rec_…` record is written in the work
 * store first and reaches the memory through the outbox — so the store is the truth
 * about which of them exist. This wrapper makes the memory's reads agree with it at
 * once: a `rec_…` record read by id comes from the store (what consolidation wrote,
 * whether or not it has shipped yet), and lists and searches drop the `rec_…` records
 * the store no longer holds (forgotten or erased, while their deletion is still in the
 * outbox — seconds, or longer while AgentCore throttles). Records AgentCore extracted
 * itself (`mem-…`) are the memory's alone and pass through.
 */
import type { MemoryRecord, ScoredRecord } from '../../domain/record.js';
import type { StorePort, TenantStore } from '../../store/port.js';
import type { MemoryPort, TenantMemory } from '../port.js';

const isLonghaulRecord = (id: string) => id.startsWith('rec_');

export function withStoreTruth(memory: MemoryPort, store: StorePort): MemoryPort {
  const tenants = new Map<string, TenantMemory>();
  return {
    kind: memory.kind,
    get location() {
      return memory.location;
    },
    extraction: memory.extraction,
    usesOutbox: memory.usesOutbox,
    deliver: (entries) => memory.deliver(entries),
    close: () => memory.close(),
    tenant(tenantId) {
      let t = tenants.get(tenantId);
      if (!t) {
        if (tenants.size >= 10_000) tenants.clear();
        tenants.set(tenantId, (t = storeTruthTenant(memory.tenant(tenantId), store.tenant(tenantId))));
      }
      return t;
    },
  };
}

function storeTruthTenant(m: TenantMemory, s: TenantStore): TenantMemory {
  /** Which of these records the store still holds (the memory's own `mem-…` ones always count). */
  const kept = async <T>(items: readonly T[], record: (x: T) => MemoryRecord): Promise<T[]> => {
    const present = await Promise.all(items.map((x) => (isLonghaulRecord(record(x).id) ? s.getRecord(record(x).id).then((r) => r !== null) : true)));
    return items.filter((_, i) => present[i]);
  };
  return {
    tenantId: m.tenantId,
    getRecord: (id) => (isLonghaulRecord(id) ? s.getRecord(id) : m.getRecord(id)),
    async listRecords(q) {
      const page = await m.listRecords(q);
      const items = await kept(page.items, (r) => r);
      return { ...page, items, total: Math.max(items.length, page.total - (page.items.length - items.length)) };
    },
    async searchRecords(q) {
      return kept<ScoredRecord>(await m.searchRecords(q), (h) => h.record);
    },
    deleteRecord: (id) => m.deleteRecord(id),
    listEvents: (q) => m.listEvents(q),
    getEvent: (sessionId, eventId) => m.getEvent(sessionId, eventId),
    deleteEvent: (sessionId, eventId) => m.deleteEvent(sessionId, eventId),
  };
}
