import { assertId } from '../../domain/ids.js';
import { erasureUri } from '../../runtime/erasure.js';
import { defineResource, matchPrefix } from '../resource.js';

/** An erasure receipt: what forget_actor / forget_event / `longhaul erase` removed, never the content. */
export const erasureResource = defineResource({
  name: 'erasure-receipt',
  title: 'Erasure receipt',
  description:
    'The receipt of an erasure (forget_actor, forget_event, longhaul erase): what was asked (an actor or one event), by whom, when, and how many events and records ' +
    'were deleted or rewritten. It never holds any of the erased content.',
  uriTemplate: 'longhaul://erasures/{erasureId}',
  mimeType: 'application/json',
  async list(caller, app) {
    return (await app.runtime.erasure.receipts(caller, 20)).map((r) => ({
      uri: erasureUri(r.erasureId),
      name: `Erasure ${r.erasureId}`,
      description: `${r.subject.kind === 'actor' ? `actor ${r.subject.actorId}` : `event ${r.subject.eventId}`}, ${r.erasedAt}`,
    }));
  },
  complete: {
    async erasureId(caller, prefix, app) {
      return matchPrefix((await app.runtime.erasure.receipts(caller, 50)).map((r) => r.erasureId), prefix);
    },
  },
  async read(caller, vars, _uri, app) {
    return { json: await app.runtime.erasure.receipt(caller, assertId(vars.erasureId ?? '', 'era', 'erasureId')) };
  },
});
