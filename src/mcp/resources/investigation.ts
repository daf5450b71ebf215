import { assertId } from '../../domain/ids.js';
import type { App } from '../../app.js';
import type { Caller } from '../../runtime/deps.js';
import { defineResource, matchPrefix } from '../resource.js';
import { uris } from '../uris.js';
import { COMPLETE_RECENT, LIST_RECENT } from './limits.js';

/** Completion of investigation ids: the caller's tenant's most recent investigations. */
export async function completeInvestigationId(caller: Caller, prefix: string, app: App): Promise<string[]> {
  const page = await app.runtime.investigations.list(caller, { limit: COMPLETE_RECENT });
  return matchPrefix(page.investigations.map((i) => i.investigationId), prefix);
}

export const investigationResource = defineResource({
  name: 'investigation',
  title: 'Investigation state',
  description: 'The full state of an investigation (JSON): tasks, waits, signals, recent findings, sessions and the report link — what get_investigation returns.',
  uriTemplate: 'longhaul://investigations/{investigationId}',
  mimeType: 'application/json',
  async list(caller, app) {
    const page = await app.runtime.investigations.list(caller, { limit: LIST_RECENT });
    return page.investigations.map((i) => ({
      uri: uris.investigation(i.investigationId),
      name: `${i.subject} (${i.investigationId})`,
      description: `${i.status} investigation: ${i.objective.length > 140 ? i.objective.slice(0, 139) + '…' : i.objective}`,
    }));
  },
  complete: { investigationId: completeInvestigationId },
  async read(caller, vars, _uri, app) {
    const id = assertId(vars.investigationId ?? '', 'inv', 'investigationId');
    // A resource read is passive: unlike get_investigation it does not touch the caller's session.
    const inv = await app.runtime.investigations.load(caller, id);
    return { json: await app.runtime.investigations.state(caller, inv) };
  },
});
