/**
 * `npm run bench:sources`: the workers on data at scale, in-process, on the real
 * adapters (a SQLite source index file, a PostgreSQL table on the local server):
 *   - indexing throughput of a folder of 10,000 documents (Markdown, PDF, Word), and an
 *     unchanged re-index (stat only);
 *   - indexing throughput of a 1,000,000-row PostgreSQL table, an unchanged re-index
 *     (fingerprint only) and a re-index after 1,000 rows changed;
 *   - retrieval latency with both in one index: the retrieval role's search path
 *     (two ranked searches, passage selection, the match count) over 200 queries;
 *   - a compliance check of a 10,000-transaction camt.053 statement and of a 10,000-row
 *     CSV export, screened against a 5,000-entry watch list, with dated rates.
 * Prints a table and writes bench/sources.json. Not a test: nothing here asserts.
 * Needs PostgreSQL on 127.0.0.1:5432 (database `test`); BENCH_PG_URL overrides it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Document, Packer, Paragraph } from 'docx';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import pg from 'pg';
import { FakeClock, systemClock } from '../src/domain/clock.js';
import { nullLogger } from '../src/logger.js';
import { openSourceDatabase } from '../src/store/adapters/source-db.js';
import { createSqliteSourceIndex } from '../src/store/adapters/source-index-sqlite.js';
import { parseRules } from '../src/workers/compliance/rules.js';
import { createComplianceRole } from '../src/workers/compliance.js';
import type { RoleContext } from '../src/workers/role.js';
import type { SourceSpec } from '../src/workers/sources/config.js';
import { SourceLibrary } from '../src/workers/sources/library.js';
import { selectPassages } from '../src/workers/sources/passages.js';
import { ROOT, log, percentile, round } from './harness.js';
import { sentence, vocabulary } from './preload.js';
import { rng } from './rng.js';

const DOCS = { markdown: 9_500, pdf: 300, docx: 200 };
const ROWS = 1_000_000;
const QUERIES = 200;
const TRANSACTIONS = 10_000;
const WATCH_LIST = 5_000;
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const r = rng(11);
const vocab = vocabulary();
const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
const COMPANIES = Array.from({ length: 2_000 }, () => `${cap(pick(vocab))} ${cap(pick(vocab))} ${pick(['Ltd', 'GmbH', 'Holdings', 'SA', 'Inc', 'BV', 'Trading', 'Logistics'])}`);
function cap(w: string) {
  return w.charAt(0).toUpperCase() + w.slice(1);
}
const paragraph = (n: number) => Array.from({ length: n }, () => (r() < 0.15 ? `${pick(COMPANIES)} ${sentence(r, vocab, 5, 12)}` : sentence(r, vocab))).join(' ');

async function writeCorpus(dir: string): Promise<void> {
  for (let i = 0; i < DOCS.markdown; i++) {
    const sub = join(dir, `d${i % 50}`);
    if (i < 50) mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `note-${i}.md`), `# ${sentence(r, vocab, 3, 6)}\n\n${paragraph(4)}\n\n## ${sentence(r, vocab, 2, 4)}\n\n${paragraph(5)}\n\n- ${sentence(r, vocab)}\n- ${sentence(r, vocab)}\n`);
  }
  for (let i = 0; i < DOCS.pdf; i++) {
    const doc = await PDFDocument.create();
    const f = await doc.embedFont(StandardFonts.Helvetica);
    for (let p = 0; p < 3; p++) {
      const page = doc.addPage();
      for (let l = 0; l < 30; l++) page.drawText(sentence(r, vocab, 6, 10), { x: 40, y: 780 - l * 22, size: 10, font: f });
    }
    writeFileSync(join(dir, `d${i % 50}`, `report-${i}.pdf`), await doc.save());
  }
  for (let i = 0; i < DOCS.docx; i++) {
    const children = Array.from({ length: 40 }, () => new Paragraph(paragraph(2)));
    writeFileSync(join(dir, `d${i % 50}`, `memo-${i}.docx`), await Packer.toBuffer(new Document({ sections: [{ children }] })));
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'longhaul-bench-sources-'));
  if (process.env.BENCH_ONLY === 'compliance') {
    // Profiling aid: the compliance part alone (BENCH_ONLY=compliance node --cpu-prof …).
    process.stdout.write(JSON.stringify(await complianceBench(work), null, 2) + '\n');
    rmSync(work, { recursive: true, force: true });
    return;
  }
  const docsDir = join(work, 'docs');
  mkdirSync(docsDir);
  const schema = `lh_bench_${process.pid}`;
  const pgc = new pg.Client({ connectionString: PG_URL });
  const out: Record<string, unknown> = { date: new Date().toISOString(), cpus: cpus().length, node: process.version };
  try {
    log(`writing ${DOCS.markdown + DOCS.pdf + DOCS.docx} documents…`);
    await writeCorpus(docsDir);
    log(`filling a ${ROWS.toLocaleString('en-US')}-row PostgreSQL table…`);
    await pgc.connect();
    await pgc.query(`CREATE SCHEMA ${schema}`);
    await pgc.query(`CREATE TABLE ${schema}.payments (id bigint PRIMARY KEY, payer text, payee text, memo text, amount numeric)`);
    // The payee and memo words come from the same vocabulary, so row text is like the documents'.
    await pgc.query(
      `INSERT INTO ${schema}.payments
       SELECT g, cs[1 + (g * 7) % 2000], cs[1 + (g * 13) % 2000],
              ws[1 + (g * 3) % 2000] || ' ' || ws[1 + (g * 11) % 2000] || ' ' || ws[1 + (g * 17) % 2000] || ' ' || ws[1 + (g * 29) % 2000],
              round((g % 100000) * 1.37, 2)
       FROM (SELECT $1::text[] AS cs, $2::text[] AS ws) AS v, generate_series(1, ${ROWS}) AS g`,
      [COMPANIES, vocab.slice(0, 2_000)],
    );
    await pgc.query(`ANALYZE ${schema}.payments`);

    const specs: SourceSpec[] = [
      { kind: 'folder', name: 'docs', folder: docsDir },
      { kind: 'database', name: 'erp', url: PG_URL, tables: [`${schema}.payments`], maxAgeMs: 3_600_000 },
    ];
    const lib = new SourceLibrary(createSqliteSourceIndex(join(work, 'index', 'sources.db')), specs, { clock: systemClock, logger: nullLogger, openDatabase: (s) => openSourceDatabase(s) });

    log('indexing…');
    let t0 = performance.now();
    const first = await lib.refresh();
    const total = performance.now() - t0;
    const [docsStatus, dbStatus] = first.sources;
    out.index = {
      documents: docsStatus!.documents,
      passages: docsStatus!.chunks,
      skipped: docsStatus!.skipped,
      documentsSeconds: round(docsStatus!.durationMs! / 1000, 2),
      documentsPerSecond: Math.round(docsStatus!.documents / (docsStatus!.durationMs! / 1000)),
      rows: dbStatus!.chunks,
      rowsSeconds: round(dbStatus!.durationMs! / 1000, 2),
      rowsPerSecond: Math.round(dbStatus!.chunks / (dbStatus!.durationMs! / 1000)),
      totalSeconds: round(total / 1000, 2),
    };
    t0 = performance.now();
    await lib.refresh();
    out.unchangedRefreshMs = Math.round(performance.now() - t0);
    await pgc.query(`UPDATE ${schema}.payments SET memo = memo || ' revised' WHERE id % 1000 = 0`);
    await pgc.query('SELECT pg_stat_force_next_flush()');
    await new Promise((res) => setTimeout(res, 1_500));
    t0 = performance.now();
    const again = await lib.refresh();
    out.changedTableRefresh = { ms: Math.round(performance.now() - t0), changedRows: ROWS / 1000, rowsAfter: again.sources[1]!.chunks };

    log('retrieval latency…');
    const path: number[] = [];
    const raw: number[] = [];
    for (let i = 0; i < QUERIES + 20; i++) {
      const subject = pick(COMPANIES).split(' ').slice(0, 2).join(' ');
      const terms = [pick(vocab.slice(0, 300)), pick(vocab.slice(0, 300)), 'payments'];
      const a = performance.now();
      const hits = [...(await lib.hits([subject, ...terms].join(' '), 60)), ...(await lib.hits(subject, 30))];
      const b = performance.now();
      selectPassages(hits, { subject, terms }, 10);
      await lib.countMatches(subject, 10_000);
      const c = performance.now();
      if (i >= 20) {
        raw.push(b - a);
        path.push(c - a);
      }
    }
    out.retrieval = { queries: QUERIES, searchP50Ms: round(percentile(raw, 50), 2), searchP95Ms: round(percentile(raw, 95), 2), pathP50Ms: round(percentile(path, 50), 2), pathP95Ms: round(percentile(path, 95), 2) };
    await lib.close();

    log('compliance on 10,000 transactions…');
    out.compliance = await complianceBench(work);
  } finally {
    await pgc.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await pgc.end().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
  writeFileSync(join(ROOT, 'bench', 'sources.json'), JSON.stringify(out, null, 2) + '\n');
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

async function complianceBench(work: string) {
  const listDir = join(work, 'lists');
  mkdirSync(listDir);
  const listed = COMPANIES.slice(0, 200);
  const entries = [...listed, ...Array.from({ length: WATCH_LIST - listed.length }, () => `${cap(pick(vocab))} ${cap(pick(vocab))} ${cap(pick(vocab))} Ltd`)];
  writeFileSync(join(listDir, 'watch-list.csv'), ['name,country,listed_on', ...entries.map((e) => `"${e}",CY,2026-01-01`)].join('\n'));
  const currencies = ['EUR', 'USD', 'GBP', 'CHF'];
  const txs = Array.from({ length: TRANSACTIONS }, (_, i) => ({
    date: `2026-11-${String(1 + (i % 28)).padStart(2, '0')}`,
    amount: Math.round(r() * 40_000 * 100) / 100,
    currency: pick(currencies),
    party: pick(COMPANIES),
    out: r() < 0.8,
  }));
  const camt = `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>B</MsgId><CreDtTm>2026-11-30T18:00:00</CreDtTm></GrpHdr><Stmt><Id>S</Id>
<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>
${txs
  .map(
    (t, i) => `<Ntry><NtryRef>${i}</NtryRef><Amt Ccy="${t.currency}">${t.amount.toFixed(2)}</Amt><CdtDbtInd>${t.out ? 'DBIT' : 'CRDT'}</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>${t.date}</Dt></BookgDt>
<NtryDtls><TxDtls><Refs><EndToEndId>E${i}</EndToEndId></Refs><RltdPties>${t.out ? `<Cdtr><Nm>${t.party}</Nm></Cdtr>` : `<Dbtr><Nm>${t.party}</Nm></Dbtr>`}</RltdPties><RmtInf><Ustrd>Invoice ${i}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>`,
  )
  .join('\n')}
</Stmt></BkToCstmrStmt></Document>`;
  const csv = ['Buchungstag;Auftraggeber/Empfänger;Verwendungszweck;Betrag;Währung', ...txs.map((t, i) => `${t.date.split('-').reverse().join('.')};"${t.party}";Rechnung ${i};${(t.out ? -t.amount : t.amount).toLocaleString('de-DE', { minimumFractionDigits: 2 })};${t.currency}`)].join('\n');
  const rules = parseRules(JSON.stringify({ currency: { base: 'EUR', rates: [{ date: '2026-11-01', USD: 0.919, GBP: 1.152, CHF: 1.041 }] }, requiredDocuments: { enabled: false } }));
  const lib = new SourceLibrary(createSqliteSourceIndex(':memory:'), [{ kind: 'folder', name: 'lists', folder: listDir }], { clock: systemClock, logger: nullLogger });
  await lib.refresh();
  const role = createComplianceRole(() => rules);
  const result: Record<string, unknown> = {};
  for (const [name, content, mediaType] of [
    ['camt053', camt, 'application/xml'],
    ['csv', csv, 'text/csv'],
  ] as const) {
    const bytes = new TextEncoder().encode(content);
    const times: number[] = [];
    let summary = '';
    for (let run = 0; run < 3; run++) {
      const ctx = context(lib, bytes, name, mediaType);
      const t0 = performance.now();
      const o = (await role.run(ctx)) as { summary: string };
      times.push(performance.now() - t0);
      summary = o.summary;
    }
    result[name] = { bytes: bytes.length, transactions: TRANSACTIONS, watchListEntries: WATCH_LIST, bestMs: Math.round(Math.min(...times)), medianMs: Math.round(percentile(times, 50)), summary };
  }
  await lib.close();
  return result;
}

function context(sources: SourceLibrary, bytes: Uint8Array, name: string, mediaType: string): RoleContext {
  const clock = new FakeClock(Date.UTC(2026, 11, 1));
  const inv = { id: 'inv_bench', tenantId: 'local', actorId: 'bench', subject: 'TechCorp', objective: 'Check TechCorp', status: 'open', outcome: null, summary: null, deadline: null, overdueAt: null, createdAt: clock.now(), updatedAt: clock.now(), closedAt: null, version: 1 } as const;
  const task = { id: 'tsk_bench', tenantId: 'local', investigationId: inv.id, role: 'compliance', instructions: 'Check the statement', status: 'running', waitFor: { signal: 'bank_data', timeoutMs: 86_400_000 }, wakeReason: 'signal', runAt: null, leaseOwner: 'bench', leaseUntil: null, attempts: 1, result: null, error: null, createdBy: 'bench', createdAt: clock.now(), updatedAt: clock.now(), finishedAt: null, version: 1 } as const;
  const signal = { id: 'sig_bench', tenantId: 'local', investigationId: inv.id, name: 'bank_data', payload: null, attachments: [{ index: 0, name: `statement.${name === 'csv' ? 'csv' : 'xml'}`, mediaType, size: bytes.length, sha256: '0'.repeat(64) }], idempotencyKey: null, receivedAt: clock.now(), actorId: 'bank' };
  return {
    task: { ...task },
    investigation: { ...inv },
    session: { id: 'ses_bench', tenantId: 'local', actorId: 'compliance-worker', kind: 'worker', role: 'compliance', investigationId: inv.id, taskId: task.id, status: 'active', terminationReason: null, startedAt: clock.now(), lastActivityAt: clock.now(), terminatedAt: null, idleTimeoutMs: 900_000, maxDurationMs: 28_800_000, inflight: 1, dueAt: null, version: 1 },
    wake: 'signal',
    attempt: 1,
    waits: [],
    signals: [signal],
    memory: { summaries: [], facts: [], openWaits: [], recentEvents: [], findings: [], search: async () => [], record: () => undefined },
    sources,
    readAttachment: async () => bytes,
    model: null,
    clock,
    logger: nullLogger,
    abort: new AbortController().signal,
    heartbeat: async () => undefined,
  } as unknown as RoleContext;
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:sources failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
