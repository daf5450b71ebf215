import { assertId } from '../../domain/ids.js';
import { defineResource } from '../resource.js';
import { uris } from '../uris.js';
import { pageQuery } from '../uri-template.js';
import { LIST_RECENT } from './limits.js';
import { completeSessionId, recentSessions } from './session.js';

export const sessionEventsResource = defineResource({
  name: 'session-events',
  title: 'Session events',
  description: 'The short-term memory events of one session, in order (JSON, paged: ?limit=&cursor=, with total, "showing X of Y events" and nextCursor).',
  uriTemplate: 'longhaul://sessions/{sessionId}/events',
  mimeType: 'application/json',
  async list(caller, app) {
    return (await recentSessions(caller, app, LIST_RECENT)).map((s) => ({ uri: uris.sessionEvents(s.sessionId), name: `Events of session ${s.sessionId}` }));
  },
  complete: { sessionId: completeSessionId },
  async read(caller, vars, uri, app) {
    const id = assertId(vars.sessionId ?? '', 'ses', 'sessionId');
    return { json: await app.runtime.events.sessionEvents(caller, id, pageQuery(uri)) };
  },
});
