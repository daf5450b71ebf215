import { assertId } from '../../domain/ids.js';
import { defineResource } from '../resource.js';
import { uris } from '../uris.js';
import { pageQuery } from '../uri-template.js';
import { completeInvestigationId } from './investigation.js';
import { LIST_RECENT } from './limits.js';

export const timelineResource = defineResource({
  name: 'investigation-timeline',
  title: 'Investigation timeline',
  description:
    'The events of all sessions of an investigation, in order (JSON, paged: ?limit=&cursor=, with total, "showing X of Y events" and nextCursor). ' +
    'The newest events are summarised by resume_investigation.',
  uriTemplate: 'longhaul://investigations/{investigationId}/timeline',
  mimeType: 'application/json',
  async list(caller, app) {
    const page = await app.runtime.investigations.list(caller, { limit: LIST_RECENT });
    return page.investigations.map((i) => ({ uri: uris.timeline(i.investigationId), name: `Timeline of ${i.subject} (${i.investigationId})` }));
  },
  complete: { investigationId: completeInvestigationId },
  async read(caller, vars, uri, app) {
    const id = assertId(vars.investigationId ?? '', 'inv', 'investigationId');
    return { json: await app.runtime.events.timeline(caller, id, pageQuery(uri)) };
  },
});
