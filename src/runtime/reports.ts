import { iso } from '../domain/clock.js';
import { LonghaulError } from '../domain/errors.js';
import { assertId } from '../domain/ids.js';
import type { Report } from '../domain/report.js';
import type { Caller, RuntimeDeps } from './deps.js';
import type { Investigations } from './investigations.js';
import { COUNT_CAP, showing } from './views.js';

export const reportUri = (investigationId: string) => `longhaul://investigations/${investigationId}/report`;
export const filingUri = (investigationId: string, reportId: string) => `longhaul://investigations/${investigationId}/reports/${reportId}`;

/** Inbox pages: at most this many items each. */
export const INBOX_PAGE = 50;

/** Earlier filings the latest report links (newest first); beyond, it says how many more there are. */
export const FILINGS_LINKED = 50;

/** Filings `list` returns at most (newest first). */
export const FILINGS_LISTED = 100;

/**
 * Filed reports and the inbox, as the resources read them. A new filing never
 * replaces an earlier one: the latest is `…/report`, and every filing stays readable
 * at `…/reports/{reportId}`.
 */
export class Reports {
  constructor(
    private readonly d: RuntimeDeps,
    private readonly investigations: Investigations,
  ) {}

  /** The latest filing's Markdown, followed by links to the earlier filings. */
  async latestMarkdown(caller: Caller, investigationId: string): Promise<string> {
    const inv = await this.investigations.load(caller, investigationId);
    const t = this.d.store.tenant(caller.tenantId);
    const [reports, counts] = await Promise.all([t.listReports(inv.id, { limit: FILINGS_LINKED + 1 }), t.countInvestigation(inv.id)]);
    const [latest, ...earlier] = reports;
    if (!latest) {
      throw new LonghaulError(
        'not_found',
        `No report has been filed on investigation ${inv.id} yet. A compliance task files one when its evidence arrives or its deadline passes; get_investigation shows the open tasks and waits.`,
        { kind: 'report', investigationId: inv.id },
      );
    }
    return withFilings(latest, earlier, Math.max(earlier.length, counts.reports - 1));
  }

  /** One filing, by id (earlier filings stay readable). */
  async filingMarkdown(caller: Caller, investigationId: string, reportId: string): Promise<string> {
    const inv = await this.investigations.load(caller, investigationId);
    assertId(reportId, 'rpt', 'reportId');
    const r = await this.d.store.tenant(caller.tenantId).getReport(reportId);
    if (!r || r.investigationId !== inv.id) {
      throw new LonghaulError('not_found', `No report ${reportId} was filed on investigation ${inv.id}; ${reportUri(inv.id)} links every filing.`, { kind: 'report', id: reportId });
    }
    return r.markdown;
  }

  /** The filings of an investigation, newest first, at most `limit` (default FILINGS_LISTED; for listings and completion). */
  async list(caller: Caller, investigationId: string, limit = FILINGS_LISTED) {
    const inv = await this.investigations.load(caller, investigationId);
    const reports = await this.d.store.tenant(caller.tenantId).listReports(inv.id, { limit: Math.min(limit, FILINGS_LISTED) });
    return reports.map((r) => ({ reportId: r.id, title: r.title, complete: r.complete, filedAt: iso(r.createdAt), uri: filingUri(inv.id, r.id) }));
  }

  /**
   * `longhaul://inbox`: what needs a person across the caller's tenant — escalations,
   * reports awaiting review, failed tasks — newest first, a page at a time; counted up
   * to COUNT_CAP (then `total` is the cap and "showing" says "1,000+").
   */
  async inbox(caller: Caller, page: { cursor?: string | null; limit?: number } = {}) {
    const limit = Math.min(Math.max(page.limit ?? INBOX_PAGE, 1), INBOX_PAGE);
    const t = this.d.store.tenant(caller.tenantId);
    const p = await t.listInbox({ limit, cursor: page.cursor ?? null, totalCap: COUNT_CAP });
    const subjects = new Map<string, string>();
    for (const id of new Set(p.items.map((i) => i.investigationId))) {
      const inv = await t.getInvestigation(id);
      if (inv) subjects.set(id, inv.subject);
    }
    return {
      items: p.items.map((i) => ({
        itemId: i.id,
        kind: i.kind,
        title: i.title,
        detail: i.detail,
        investigationId: i.investigationId,
        subject: subjects.get(i.investigationId) ?? null,
        taskId: i.taskId,
        reportId: i.reportId,
        reportUri: i.reportId ? filingUri(i.investigationId, i.reportId) : null,
        investigationUri: `longhaul://investigations/${i.investigationId}`,
        createdAt: iso(i.createdAt),
      })),
      total: p.total,
      nextCursor: p.nextCursor,
      nextPage: p.nextCursor ? `longhaul://inbox?cursor=${encodeURIComponent(p.nextCursor)}${page.limit ? `&limit=${limit}` : ''}` : null,
      showing: showing(p.items.length, p.total, 'inbox items (newest first)', p.totalCapped),
    };
  }
}

/** The latest filing, then links to the earlier ones listed (`total` earlier filings in all). */
function withFilings(latest: Report, earlier: Report[], total: number): string {
  if (!earlier.length) return latest.markdown;
  const shown = earlier.slice(0, FILINGS_LINKED);
  const lines = [
    latest.markdown.trimEnd(),
    '',
    '---',
    '',
    `## Earlier filings (${total})`,
    '',
    ...shown.map((r) => `- [${r.title}](${filingUri(r.investigationId, r.id)}) — filed ${iso(r.createdAt)}${r.complete ? '' : ' (incomplete)'}`),
    ...(total > shown.length ? [`- …and ${total - shown.length} older filing(s): showing ${shown.length} of ${total} earlier filings (the newest).`] : []),
    '',
  ];
  return lines.join('\n');
}
