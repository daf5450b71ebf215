import { assertId } from '../../domain/ids.js';
import { reportUri } from '../../runtime/reports.js';
import { defineResource, matchPrefix } from '../resource.js';
import { completeInvestigationId } from './investigation.js';
import { LIST_RECENT } from './limits.js';

/** The latest filed report of an investigation; subscribers hear of each new filing. */
export const reportResource = defineResource({
  name: 'investigation-report',
  title: 'Investigation report',
  description:
    'The latest report filed on an investigation (Markdown): subject, sources consulted, evidence received, each flag with its citation (file:line), conclusion — ' +
    'or, for an escalation, an INCOMPLETE report naming what is missing. Earlier filings are linked at the end and stay readable. Subscribe to hear of a new filing.',
  uriTemplate: 'longhaul://investigations/{investigationId}/report',
  mimeType: 'text/markdown',
  async list(caller, app) {
    const page = await app.runtime.investigations.list(caller, { limit: LIST_RECENT });
    const out = [];
    for (const i of page.investigations) {
      const [latest] = await app.reports.list(caller, i.investigationId);
      if (latest) out.push({ uri: reportUri(i.investigationId), name: `Report on ${i.subject} (${i.investigationId})`, description: `${latest.title}, filed ${latest.filedAt}` });
    }
    return out;
  },
  complete: { investigationId: completeInvestigationId },
  async read(caller, vars, _uri, app) {
    const id = assertId(vars.investigationId ?? '', 'inv', 'investigationId');
    return { text: await app.reports.latestMarkdown(caller, id) };
  },
});

/** One filing by id: an earlier report stays readable after a new one is filed. */
export const reportFilingResource = defineResource({
  name: 'investigation-report-filing',
  title: 'One report filing',
  description: 'One report filed on an investigation, by id (Markdown). The latest report links every earlier filing here.',
  uriTemplate: 'longhaul://investigations/{investigationId}/reports/{reportId}',
  mimeType: 'text/markdown',
  async list() {
    // Filings are reached from the latest report's links; listing every filing of every investigation would not be bounded.
    return [];
  },
  complete: {
    investigationId: completeInvestigationId,
    async reportId(caller, prefix, app) {
      const page = await app.runtime.investigations.list(caller, { limit: 10 });
      const ids: string[] = [];
      for (const i of page.investigations) ids.push(...(await app.reports.list(caller, i.investigationId)).map((r) => r.reportId));
      return matchPrefix(ids, prefix);
    },
  },
  async read(caller, vars, _uri, app) {
    const id = assertId(vars.investigationId ?? '', 'inv', 'investigationId');
    return { text: await app.reports.filingMarkdown(caller, id, vars.reportId ?? '') };
  },
});
