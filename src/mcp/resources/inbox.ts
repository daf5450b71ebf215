import { pageQuery } from '../uri-template.js';
import { defineResource } from '../resource.js';

/** `longhaul://inbox`: what needs a person; subscribable; later pages with `?cursor=` (its nextPage). */
export const inboxResource = defineResource({
  name: 'inbox',
  title: 'Inbox',
  description:
    'What needs a person, across your investigations, newest first (JSON): escalations (a wait passed its deadline; an incomplete report was filed), ' +
    'reports awaiting review, failed tasks, and investigations still open past their deadline — each with its investigation and report links. Paged: ?limit=&cursor= (at most 50; nextPage is the next URI). Subscribe to hear of new items.',
  uriTemplate: 'longhaul://inbox',
  mimeType: 'application/json',
  async list() {
    return [{ uri: 'longhaul://inbox', name: 'Inbox: what needs a person' }];
  },
  async read(caller, _vars, uri, app) {
    return { json: await app.reports.inbox(caller, pageQuery(uri)) };
  },
});
