import { iso } from '../../domain/clock.js';
import { defineResource } from '../resource.js';

/** Skipped files and tables listed at most (the counts are exact). */
const LISTED = 100;

/**
 * `longhaul://sources`: the caller's tenant's sources — each folder and database with
 * what is indexed (documents and passages, tables and rows), when it was last indexed,
 * the files it skipped and why, and what failed. Reading it starts a refresh in the
 * background when a source was never indexed.
 */
export const sourcesResource = defineResource({
  name: 'sources',
  title: 'Sources',
  description:
    "Your tenant's sources (JSON): each document folder and database the retrieval and compliance workers search — documents and passages or tables and rows indexed, " +
    'when it was last indexed, files skipped with the reason (a scanned PDF without text, a corrupt file), and errors (a folder that cannot be read, a table not found, a database that did not answer).',
  uriTemplate: 'longhaul://sources',
  mimeType: 'application/json',
  async list() {
    return [{ uri: 'longhaul://sources', name: 'Sources: what the workers search' }];
  },
  async read(caller, _vars, _uri, app) {
    const lib = app.sources.for(caller.tenantId);
    if (!lib.configured) {
      return { json: { configured: false, sources: [], note: 'No sources are configured for this tenant (LONGHAUL_SOURCES folders or LONGHAUL_SOURCES_FILE).' } };
    }
    const statuses = await lib.status();
    const refreshing = statuses.some((s) => s.refreshedAt === null);
    if (refreshing) lib.refresh().catch(() => undefined);
    const docs = await lib.documents();
    return {
      json: {
        configured: true,
        refreshing,
        sources: statuses.map((s) => {
          const mine = docs.filter((d) => d.source === s.name);
          const skipped = mine.filter((d) => d.status === 'skipped');
          return {
            name: s.name,
            kind: s.kind,
            location: s.location,
            lastIndexed: s.refreshedAt === null ? null : iso(s.refreshedAt),
            durationMs: s.durationMs,
            ...(s.kind === 'folder' ? { documents: s.documents, passages: s.chunks } : { tables: mine.map((d) => ({ table: d.display, rows: d.chunks, lastIndexed: iso(d.indexedAt) })), rows: s.chunks }),
            skipped: skipped.slice(0, LISTED).map((d) => ({ document: d.display, reason: d.error })),
            skippedCount: s.skipped,
            errors: s.errors,
          };
        }),
      },
    };
  },
});
