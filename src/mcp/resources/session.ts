import type { App } from '../../app.js';
import { assertId } from '../../domain/ids.js';
import type { Caller } from '../../runtime/deps.js';
import { defineResource, matchPrefix } from '../resource.js';
import { uris } from '../uris.js';
import { COMPLETE_RECENT, LIST_RECENT } from './limits.js';

export const recentSessions = (caller: Caller, app: App, limit: number) => app.runtime.recentSessions(caller, limit);

export async function completeSessionId(caller: Caller, prefix: string, app: App): Promise<string[]> {
  return matchPrefix((await recentSessions(caller, app, COMPLETE_RECENT)).map((s) => s.sessionId), prefix);
}

export const sessionResource = defineResource({
  name: 'session',
  title: 'Runtime session',
  description: 'A runtime session (JSON): status (active, idle, terminated), timestamps, idle timeout and maximum duration with their deadlines, termination reason, extraction progress.',
  uriTemplate: 'longhaul://sessions/{sessionId}',
  mimeType: 'application/json',
  async list(caller, app) {
    return (await recentSessions(caller, app, LIST_RECENT)).map((s) => ({
      uri: uris.session(s.sessionId),
      name: `${s.kind}${s.role ? ` ${s.role}` : ''} session ${s.sessionId}`,
      description: `${s.status}${s.terminationReason ? ` (${s.terminationReason})` : ''}${s.investigationId ? ` on ${s.investigationId}` : ''}`,
    }));
  },
  complete: { sessionId: completeSessionId },
  async read(caller, vars, _uri, app) {
    const id = assertId(vars.sessionId ?? '', 'ses', 'sessionId');
    return { json: await app.runtime.sessionState(caller, id) };
  },
});
