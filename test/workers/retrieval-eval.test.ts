import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRetrievalRole, type RetrievalResult } from '../../src/workers/retrieval.js';
import { citationRef } from '../../src/workers/sources/citation.js';
import { docxOf, pdfOf } from './documents.js';
import { investigation, roleContext, task, techcorpSources } from './helpers.js';

/**
 * Retrieval on a planted corpus: eight passages that answer "payments by TechCorp to
 * offshore suppliers" hidden among documents that name TechCorp for other reasons
 * (titles, HR, product news), documents about other companies' suppliers, and noise —
 * in Markdown, text, HTML, CSV, PDF, Word and a database table. The figure the issue
 * note quotes is how many planted passages land in the top 10.
 */
const PLANTED = [
  'docs/finance/q3-review.md:7',
  'docs/finance/q3-review.md:9',
  'docs/board/minutes-oct.pdf:p2',
  'docs/legal/supplier-memo.docx:3',
  'docs/email/cfo-thread.txt:6',
  'docs/vendors.csv:4',
  'docs/intranet/procurement.html:9',
  'erp:payments#id=903',
];

describe('retrieval on a planted corpus', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'longhaul-retrieval-eval-'));
    const d = (p: string) => {
      mkdirSync(join(dir, 'docs', p), { recursive: true });
      return join(dir, 'docs', p);
    };
    writeFileSync(
      join(d('finance'), 'q3-review.md'),
      [
        '# TechCorp Q3 financial review',
        '',
        '## Summary',
        '',
        'Revenue grew 12 percent on terminal sales in Germany and Austria.',
        '',
        'In September TechCorp paid EUR 410,000 to Orion Shell Holdings, an offshore supplier registered in Cyprus, for unspecified consulting.',
        '',
        'A further payment by TechCorp of USD 620,000 went to the same offshore supplier through a Maltese bank in October.',
        '',
        'Headcount rose to 214.',
      ].join('\n'),
    );
    writeFileSync(join(d('board'), 'minutes-oct.pdf'), await pdfOf([['TechCorp board minutes, October 2026', 'Present: the full board.'], ['Item 4. The board asked why TechCorp payments to offshore suppliers doubled this year.', 'The CFO will report in November.']]));
    writeFileSync(join(d('legal'), 'supplier-memo.docx'), await docxOf(['Supplier memo', 'Prepared by Legal for the TechCorp audit committee.', 'TechCorp wires its offshore supplier payments through Orion Shell Holdings to avoid local withholding tax.']));
    writeFileSync(
      join(d('email'), 'cfo-thread.txt'),
      ['From: Dana Whitfield', 'To: Tom Becker', 'Subject: TechCorp', '', 'Tom,', 'Please hold the TechCorp payments to the offshore suppliers until the audit is done.', 'Dana'].join('\n'),
    );
    writeFileSync(
      join(dir, 'docs', 'vendors.csv'),
      ['name,country,relationship,notes', 'Initech Services,US,TechCorp IT contractor,', 'Umbrella Logistics BV,NL,TechCorp logistics partner,', 'Orion Shell Holdings Ltd,CY,TechCorp offshore supplier,"Receives TechCorp payments monthly"', 'Wayne Freight,US,Northwind vendor,'].join('\n'),
    );
    writeFileSync(
      join(d('intranet'), 'procurement.html'),
      ['<html>', '<head><title>TechCorp procurement</title></head>', '<body>', '<h1>Procurement at TechCorp</h1>', '<p>Purchase orders above EUR 5,000 need two signatures.</p>', '<h2>Suppliers</h2>', '<p>Our domestic suppliers are paid within 30 days.</p>', '', '<p>Offshore suppliers receive TechCorp payments in advance, by wire, without a purchase order.</p>', '</body>', '</html>'].join('\n'),
    );
    // Distractors: TechCorp without payments to offshore suppliers, other companies' offshore suppliers, noise.
    writeFileSync(join(d('hr'), 'handbook.md'), '# TechCorp employee handbook\n\nTechCorp employees get 30 days of leave.\n\nTechCorp reimburses travel within 14 days.\n');
    writeFileSync(join(d('news'), 'launch.md'), '# TechCorp launches T9 terminal\n\nTechCorp announced its T9 payment terminal for small retailers.\n\nThe terminal supports contactless payments.\n');
    writeFileSync(join(d('news'), 'globex.md'), '# Globex annual report\n\nGlobex pays its offshore suppliers in Panama through a Swiss bank.\n\nGlobex payments rose sharply.\n');
    writeFileSync(join(d('board'), 'agenda.pdf'), await pdfOf([['TechCorp board agenda', 'Item 1. Minutes of the last meeting.', 'Item 2. Budget.', 'Item 3. Any other business.']]));
    writeFileSync(join(d('legal'), 'nda.docx'), await docxOf(['Non-disclosure agreement', 'This agreement between TechCorp GmbH and Initech Services covers confidential information.']));
    for (let i = 0; i < 30; i++) writeFileSync(join(d('misc'), `note-${i}.md`), `# Note ${i}\n\nThe canteen menu for week ${i} offers soup and salad.\n\nParking is free on Fridays.\n`);
    const db = new Database(join(dir, 'erp.db'));
    db.exec(`CREATE TABLE payments (id INTEGER PRIMARY KEY, payer TEXT, payee TEXT, memo TEXT);
             INSERT INTO payments VALUES (901, 'Initech', 'Wayne Freight', 'freight'), (902, 'TechCorp GmbH', 'Hamburg Office Supplies', 'paper, domestic'),
                                         (903, 'TechCorp GmbH', 'Orion Shell Holdings Ltd', 'offshore supplier payment, consulting');`);
    db.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('puts the planted passages in the top 10', async () => {
    const sources = await techcorpSources([join(dir, 'docs')], [{ kind: 'database', name: 'erp', url: `sqlite:${join(dir, 'erp.db')}`, tables: ['payments'], maxAgeMs: 3_600_000 }]);
    const inv = investigation({ subject: 'TechCorp', objective: 'Check TechCorp before onboarding' });
    const t = task(inv, { role: 'retrieval', instructions: 'Find payments by TechCorp to offshore suppliers', waitFor: null });
    const { ctx } = await roleContext({ inv, task: t, sources });
    const result = ((await createRetrievalRole().run(ctx)) as { result: RetrievalResult }).result;
    await sources.close();
    const top = result.findings.filter((f) => f.citation).slice(0, 10).map((f) => citationRef(f.citation!));
    const found = PLANTED.filter((p) => top.includes(p));
    console.log(`retrieval evaluation: ${found.length} of ${PLANTED.length} planted passages in the top 10; top 10: ${top.join(', ')}`);
    expect(found.length).toBeGreaterThanOrEqual(7);
    // The planted passages come first: no distractor outranks one of them.
    const firstOther = top.findIndex((r) => !PLANTED.includes(r));
    expect(firstOther === -1 ? top.length : firstOther).toBeGreaterThanOrEqual(found.length);
    // Never a title or a heading, never a fragment.
    for (const f of result.findings) expect(f.text).not.toMatch(/^(#|TechCorp Q3 financial review|Supplier memo|Subject: )/);
  });
});
