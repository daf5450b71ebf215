import { InvalidInputError, NotFoundError } from '../../domain/errors.js';
import { assertId } from '../../domain/ids.js';
import { defineResource, matchPrefix } from '../resource.js';
import { completeInvestigationId } from './investigation.js';

/**
 * One task with its whole result. The investigation's state document shortens large
 * results (`resultShortened: true`) and links here through each task's `uri`.
 */
export const taskResource = defineResource({
  name: 'investigation-task',
  title: 'One task',
  description:
    "One delegated task (JSON): role, instructions, status, attempts, error and the worker's full result — e.g. every cited finding of a retrieval. " +
    'The investigation state shortens large results; this does not. Subscribe to hear when the task changes.',
  uriTemplate: 'longhaul://investigations/{investigationId}/tasks/{taskId}',
  mimeType: 'application/json',
  async list() {
    // Tasks are reached from the investigation state (each task's `uri`); listing every task of every investigation would not be bounded.
    return [];
  },
  complete: {
    investigationId: completeInvestigationId,
    async taskId(caller, prefix, app, resolved) {
      // A task id is completed within the investigation the client already chose.
      if (!resolved.investigationId) return [];
      // An unknown or malformed investigation id while the user types is no failure: nothing to offer.
      const ids = await app.runtime.investigations.taskIds(caller, resolved.investigationId).catch((e: unknown) => {
        if (e instanceof NotFoundError || e instanceof InvalidInputError) return [];
        throw e;
      });
      return matchPrefix(ids, prefix);
    },
  },
  async read(caller, vars, _uri, app) {
    const id = assertId(vars.investigationId ?? '', 'inv', 'investigationId');
    return { json: await app.runtime.investigations.task(caller, id, vars.taskId ?? '') };
  },
});
