import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docxOf, pdfOf } from '../workers/documents.js';
import { camt053, EVALUATION, RATES, WATCH_LIST_CSV } from '../workers/statements.js';
import { runCli, startServer, tempDir, waitFor, type Running } from './harness.js';

const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * The TechCorp story on data nobody here wrote, through the built server over stdio:
 * retrieval searches a folder of PDF, Word, CSV and Markdown files and two PostgreSQL
 * tables named in a sources file; the bank's camt.053 statement, a PDF and a Word file
 * arrive from a shell with `longhaul signal --file`; compliance converts currencies with
 * the rules file's dated rates, screens against the watch list kept as a CSV, applies a
 * threshold written in the policy, and files a report that cites all of it.
 */
describe('the TechCorp story on real formats (end to end)', () => {
  const tmp = tempDir('longhaul-e2e-real-');
  const schema = `lh_e2e_${process.pid}_${Date.now().toString(36)}`;
  const files = {
    statement: join(tmp.dir, 'in', 'camt053-2026-11.xml'),
    certificate: join(tmp.dir, 'in', 'Certificate of Incorporation.pdf'),
    ownership: join(tmp.dir, 'in', 'beneficial_ownership.docx'),
  };
  let env: Record<string, string>;
  let server: Running;
  let db: pg.Client;
  let id: string;
  let complianceTaskId: string;

  beforeAll(async () => {
    const docs = join(tmp.dir, 'documents');
    mkdirSync(join(docs, 'lists'), { recursive: true });
    mkdirSync(join(docs, 'policies'), { recursive: true });
    mkdirSync(join(tmp.dir, 'in'));
    writeFileSync(join(docs, 'board-minutes.pdf'), await pdfOf([['TechCorp board minutes, October 2026'], ['Item 4. The board approved payments by TechCorp of USD 620,000 to Orion Shell Holdings, an offshore supplier.', 'No tender was run.']]));
    writeFileSync(join(docs, 'supplier-memo.docx'), await docxOf(['Supplier memo', 'TechCorp routes its offshore supplier payments through Orion Shell Holdings in Cyprus.']));
    writeFileSync(join(docs, 'lists', 'watch-list.csv'), WATCH_LIST_CSV);
    writeFileSync(join(docs, 'policies', 'payments-policy.md'), '# Payments policy\n\nAny single payment above USD 100,000 requires dual approval by the CFO.\n');
    db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
    await db.query(`CREATE SCHEMA ${schema}`);
    await db.query(`CREATE TABLE ${schema}.payments (id integer PRIMARY KEY, payer text, payee text, amount numeric, currency text, memo text)`);
    await db.query(`INSERT INTO ${schema}.payments VALUES (41, 'TechCorp GmbH', 'Orion Shell Holdings Ltd', 620000, 'USD', 'offshore supplier payment, consulting'), (42, 'Initech', 'Wayne Freight', 900, 'EUR', 'freight')`);
    await db.query(`CREATE TABLE ${schema}.vendors (vendor_no text PRIMARY KEY, name text, notes text)`);
    await db.query(`INSERT INTO ${schema}.vendors VALUES ('V-7', 'Orion Shell Holdings Ltd', 'Onboarded 2026-05 without due diligence; TechCorp supplier')`);
    writeFileSync(
      join(tmp.dir, 'sources.json'),
      JSON.stringify({ sources: [{ name: 'docs', folder: 'documents' }, { name: 'erp', database: PG_URL, tables: [`${schema}.payments`, `${schema}.vendors`], columns: { [`${schema}.payments`]: ['payer', 'payee', 'currency', 'memo'] } }] }),
    );
    writeFileSync(join(tmp.dir, 'rules.json'), JSON.stringify({ currency: { base: 'EUR', rates: RATES }, largeTransaction: { fromPolicy: true } }));
    writeFileSync(files.statement, camt053([...EVALUATION.slice(0, 4), { date: '2026-11-21', amount: 2_500_000, currency: 'JPY', party: 'Tokyo Parts KK', memo: 'Parts', planted: false }]));
    writeFileSync(files.certificate, await pdfOf([['Certificate of incorporation', 'TechCorp GmbH, Hamburg, HRB 123456']]));
    writeFileSync(files.ownership, await docxOf(['Beneficial ownership declaration', 'Dana Whitfield holds 40 percent.']));
    env = {
      LONGHAUL_IDLE_TIMEOUT: '2s',
      LONGHAUL_SWEEP_INTERVAL: '1s',
      LONGHAUL_EXTRACTION_INTERVAL: '1s',
      LONGHAUL_SOURCES_FILE: join(tmp.dir, 'sources.json'),
      LONGHAUL_RULES_FILE: join(tmp.dir, 'rules.json'),
    };
    server = await startServer(tmp.dir, env);
  });
  afterAll(async () => {
    await server?.close().catch(() => undefined);
    await db?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await db?.end().catch(() => undefined);
    tmp.cleanup();
  });

  const state = (investigationId: string) => server.readJson(`longhaul://investigations/${investigationId}`);

  it('retrieval finds the passages and rows that answer the task in PDFs, Word files and PostgreSQL tables', async () => {
    const r = await server.call('start_investigation', {
      subject: 'TechCorp',
      objective: 'Check TechCorp GmbH for compliance risks before onboarding',
      tasks: [
        { role: 'retrieval', instructions: 'Search the internal documents and databases for payments by TechCorp to offshore suppliers' },
        { role: 'compliance', instructions: "Check the bank's statement against the policy and file a report", waitFor: { signal: 'bank_data', timeout: '60s' } },
      ],
    });
    id = r.investigation.investigationId;
    complianceTaskId = r.tasks.find((t: any) => t.role === 'compliance').taskId;
    const done = await waitFor(async () => {
      const s = await state(id);
      return s.tasks.find((t: any) => t.role === 'retrieval').status === 'completed' && s;
    }, 20_000, 'retrieval to complete');
    const task = await server.readJson(done.tasks.find((t: any) => t.role === 'retrieval').uri);
    const result = task.result;
    const ref = (c: any) => (c.row ? `${c.file}#${c.row.column}=${c.row.value}` : c.page ? `${c.file}:p${c.page}` : `${c.file}:${c.startLine}`);
    const refs = result.findings.filter((f: any) => f.citation).map((f: any) => ref(f.citation));
    expect(refs).toEqual(expect.arrayContaining(['docs/board-minutes.pdf:p2', 'docs/supplier-memo.docx:2', `erp:${schema}.payments#id=41`]));
    expect(result.findings.find((f: any) => f.kind === 'row' && f.citation.row.value === '41').citation.row.fields).toMatchObject({ payee: 'Orion Shell Holdings Ltd', currency: 'USD' });
    for (const f of result.findings) expect(f.text).not.toMatch(/^(#|TechCorp board minutes|Supplier memo)/);
    expect(result.sources).toEqual([
      expect.objectContaining({ name: 'docs', kind: 'folder', documents: 4, errors: [] }),
      expect.objectContaining({ name: 'erp', kind: 'database', location: 'postgres://postgres@127.0.0.1:5432/test', documents: 2, indexed: 3, errors: [] }),
    ]);
    expect(result.matched.rows).toBe(2);
  });

  it('the bank statement, a PDF and a Word file arrive from a shell with longhaul signal --file', () => {
    const sent = runCli(['signal', id, 'bank_data', '--file', files.statement, '--file', files.certificate, '--file', files.ownership], { LONGHAUL_DATA_DIR: tmp.dir, ...env });
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/camt053-2026-11\.xml/);
    expect(sent.stdout).toMatch(/resolved 1 wait\(s\), woke 1 task\(s\)/);
  });

  it('compliance files a report that converts, screens, applies the policy threshold and lists what it could not check', async () => {
    await waitFor(async () => (await state(id)).tasks.find((t: any) => t.taskId === complianceTaskId).status === 'completed', 20_000, 'compliance to complete');
    const md = ((await server.client.readResource({ uri: `longhaul://investigations/${id}/report` })).contents[0] as { text: string }).text;
    const sha = createHash('sha256').update(readFileSync(files.statement)).digest('hex');
    expect(md).toMatch(new RegExp(`Attachment \`camt053-2026-11\\.xml\` \\(application/xml, [\\d.]+ KiB, SHA-256 \`${sha}\`\\): camt\\.053; 5 transaction\\(s\\)`));
    expect(md).toMatch(/Watch list `docs\/lists\/watch-list.csv` \(found by its name\): 4 entries/);
    // Both USD 620,000 payments to the watch-listed payee, under other spellings, with the list entry cited.
    const watch = md.match(/\*\*Watch list\*\* — USD 620,000\.00 to [^\n]+\n[^\n]+\n\s+- Rule: docs\/lists\/watch-list\.csv:2/g) ?? [];
    expect(watch).toHaveLength(2);
    expect(md).toMatch(/\*\*Large transaction\*\* — USD 620,000\.00 to ORION SHELL HOLDINGS LIMITED on 2026-11-03 is above the EUR 10,000 threshold \(EUR 569,780\.00 at 0\.919 USD→EUR, rate of 2026-11-01\)/);
    expect(md).toMatch(/\*\*Large transaction\*\* — USD 620,000\.00 to ORION SHELL HOLDINGS LIMITED on 2026-11-03 is above the USD 100,000 threshold\.\n[^\n]+\n\s+- Rule: docs\/policies\/payments-policy\.md:3/);
    // No rate for JPY: unchecked, with the reason, and a flag that says so.
    expect(md).toMatch(/\*\*Needs review\*\* — No usable JPY→EUR rate: 1 transaction\(s\) could not be compared/);
    expect(md).toMatch(/## Unchecked \(1\)[\s\S]*JPY 2,500,000\.00 to Tokyo Parts KK on 2026-11-21 \| `sig_\w+ camt053-2026-11\.xml Stmt\[0\]\.Ntry\[4\][^`]*` \| no rate for JPY/);
    // The statement, the certificate and the declaration satisfy the required documents.
    expect(md).not.toMatch(/Missing document/);
  });

  it('longhaul://sources and longhaul status show what is indexed', async () => {
    const r = await server.readJson('longhaul://sources');
    expect(r.sources.map((s: any) => [s.name, s.kind, s.kind === 'folder' ? s.documents : s.rows])).toEqual([
      ['docs', 'folder', 4],
      ['erp', 'database', 3],
    ]);
    const status = runCli(['status'], { LONGHAUL_DATA_DIR: tmp.dir, ...env });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/sources \(tenant local\): 2\n\s+docs \(folder, .*documents\): 4 documents, \d+ passages; last indexed 20\d\d-/);
    expect(status.stdout).toMatch(/erp \(database, postgres:\/\/postgres@127\.0\.0\.1:5432\/test\): 2 tables, 3 rows; last indexed/);
    expect(server.stderr()).not.toMatch(/unexpected error|TypeError|ReferenceError|worker run crashed/);
  });
});
