import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { SourceIndex } from '../../store/source-index.js';
import type { SourceSpec } from './config.js';
import { SourceLibrary, type LibraryDeps, type Sources } from './library.js';

/**
 * The file of a tenant's source index: one per tenant, so no search can reach another
 * tenant's documents. The name keeps the tenant id readable and adds a hash of it, so
 * ids that differ only in case never share a file on a case-insensitive file system.
 */
export function sourceIndexFile(dir: string, tenantId: string): string {
  const tag = createHash('sha256').update(tenantId).digest('hex').slice(0, 10);
  return join(dir, 'sources', `${tenantId.replace(/[^A-Za-z0-9._-]/g, '_')}-${tag}.db`);
}

/**
 * Each tenant's sources, opened on first use: the specs configured for it over its own
 * index. The composition root passes `TenantSettings.sourcesFor` (src/tenants.ts): the
 * tenant's `sources` in LONGHAUL_TENANTS_FILE; else, for the stdio tenant only,
 * `LONGHAUL_SOURCES` and the sources file; any other tenant has none.
 */
export class TenantSources {
  private readonly libraries = new Map<string, SourceLibrary>();

  constructor(
    private readonly specsFor: (tenantId: string) => readonly SourceSpec[],
    private readonly openIndex: (tenantId: string) => SourceIndex,
    private readonly d: LibraryDeps,
  ) {}

  /** The tenant's sources (an empty library when none are configured for it). */
  for(tenantId: string): Sources {
    let lib = this.libraries.get(tenantId);
    if (!lib) this.libraries.set(tenantId, (lib = new SourceLibrary(this.openIndex(tenantId), this.specsFor(tenantId), this.d)));
    return lib;
  }

  /** Tenants that have sources configured and were opened in this process. */
  opened(): string[] {
    return [...this.libraries.keys()];
  }

  async close(): Promise<void> {
    for (const lib of this.libraries.values()) await lib.close();
    this.libraries.clear();
  }
}
