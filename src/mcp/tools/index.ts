import type { AnyToolDefinition } from '../tool.js';
import { closeInvestigation } from './close-investigation.js';
import { delegateTask } from './delegate-task.js';
import { forgetActor } from './forget-actor.js';
import { forgetEvent } from './forget-event.js';
import { forgetMemory } from './forget-memory.js';
import { getInvestigation } from './get-investigation.js';
import { listInvestigations } from './list-investigations.js';
import { recordEvent } from './record-event.js';
import { resumeInvestigation } from './resume-investigation.js';
import { searchMemory } from './search-memory.js';
import { startInvestigation } from './start-investigation.js';
import { submitSignal } from './submit-signal.js';

/** Every tool the server offers, in the order `tools/list` shows them. Names are DESIGN's contract. */
export const tools: readonly AnyToolDefinition[] = [
  startInvestigation,
  delegateTask,
  submitSignal,
  resumeInvestigation,
  getInvestigation,
  listInvestigations,
  recordEvent,
  searchMemory,
  closeInvestigation,
  forgetMemory,
  forgetEvent,
  forgetActor,
];
