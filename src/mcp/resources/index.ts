import type { ResourceDefinition } from '../resource.js';
import { investigationResource } from './investigation.js';
import { memoryResource } from './memory.js';
import { sessionEventsResource } from './session-events.js';
import { sessionResource } from './session.js';
import { timelineResource } from './timeline.js';

/**
 * Every resource template, in the order `resources/templates/list` shows them. The
 * SDK matches a URI against templates in this order; none of these overlap.
 */
export const resources: readonly ResourceDefinition[] = [investigationResource, timelineResource, sessionResource, sessionEventsResource, memoryResource];
