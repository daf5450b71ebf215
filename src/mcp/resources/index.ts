import type { ResourceDefinition } from '../resource.js';
import { erasureResource } from './erasure.js';
import { inboxResource } from './inbox.js';
import { investigationResource } from './investigation.js';
import { memoryResource } from './memory.js';
import { reportFilingResource, reportResource } from './report.js';
import { sessionEventsResource } from './session-events.js';
import { sessionResource } from './session.js';
import { sourcesResource } from './sources.js';
import { signalAttachmentResource } from './signal-attachment.js';
import { taskResource } from './task.js';
import { timelineResource } from './timeline.js';

/**
 * Every resource template, in the order `resources/templates/list` shows them. The
 * SDK matches a URI against templates in this order; none of these overlap.
 */
export const resources: readonly ResourceDefinition[] = [
  investigationResource,
  timelineResource,
  reportResource,
  reportFilingResource,
  taskResource,
  signalAttachmentResource,
  sessionResource,
  sessionEventsResource,
  memoryResource,
  inboxResource,
  sourcesResource,
  erasureResource,
];
