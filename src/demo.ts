import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp, type App } from './app.js';
import { loadConfig } from './config.js';
import { systemClock } from './domain/clock.js';
import type { Session } from './domain/session.js';
import { createLogger } from './logger.js';

/** The bundled fictional TechCorp documents (fixtures/techcorp, shipped in the package). */
export const DEMO_SOURCES = fileURLToPath(new URL('../fixtures/techcorp', import.meta.url));

/** The bank's data as it arrives on "day 3": one watch-listed counterparty, two large payments, a document missing. */
export const DEMO_BANK_DATA = {
  bank: 'Hanse Bank AG',
  account: 'DE89 3704 0044 0532 0130 00',
  period: '2026-10',
  currency: 'EUR',
  transactions: [
    { date: '2026-10-03', amount: 4_200, counterparty: 'Umbrella Logistics BV', reference: 'Freight Q3' },
    { date: '2026-10-11', amount: 25_000, counterparty: 'Globex Holdings Ltd', reference: 'Procurement services' },
    { date: '2026-10-19', amount: 12_500, counterparty: 'Initech Services', reference: 'IT services' },
  ],
  documents: ['bank_statement', 'certificate_of_incorporation'],
};

/** Demo time: "three days" of waiting pass in seconds. */
const DEMO_ENV = {
  LONGHAUL_STORE: 'sqlite',
  LONGHAUL_TENANT: 'demo',
  LONGHAUL_ACTOR: 'priya',
  LONGHAUL_IDLE_TIMEOUT: '2s',
  LONGHAUL_SWEEP_INTERVAL: '1s',
  LONGHAUL_EXTRACTION_INTERVAL: '1s',
  LONGHAUL_TASK_LEASE: '5s',
};
const THREE_DAYS = '8s';
const DATA_ARRIVES_AFTER_MS = 5_000;

export interface DemoOptions {
  /** Where the demo prints (the CLI passes stdout: the demo is not the MCP server). */
  write: (line: string) => void;
  /** Keep the temporary data directory (and print where it is). */
  keep?: boolean;
  /** The caller's environment: LONGHAUL_MODEL / LONGHAUL_MODEL_NAME / OPENAI_API_KEY are honoured. */
  env?: NodeJS.ProcessEnv;
}

/**
 * `longhaul demo`: the whole TechCorp story on a temporary SQLite store with
 * second-scale timeouts — open the investigation with a retrieval and a compliance
 * task, let the chat end (sessions idle and time out), restart the server, deliver the
 * bank data, watch compliance wake in a new session that remembers Day 0 and file its
 * report, and resume with a briefing. Meanwhile a second investigation's data never
 * arrives and escalates. Prints the timeline as it happens; returns the elapsed ms.
 */
export async function runDemo(o: DemoOptions): Promise<number> {
  const t0 = systemClock.now();
  const dir = mkdtempSync(join(tmpdir(), 'longhaul-demo-'));
  const model = Object.fromEntries(Object.entries(o.env ?? {}).filter(([k]) => ['LONGHAUL_MODEL', 'LONGHAUL_MODEL_NAME', 'OPENAI_API_KEY'].includes(k))) as Record<string, string>;
  const config = loadConfig({ env: { HOME: o.env?.HOME ?? tmpdir(), ...model, ...DEMO_ENV, LONGHAUL_DATA_DIR: dir, LONGHAUL_SOURCES: DEMO_SOURCES } });
  const say = (s = '') => o.write(s);
  const stamp = () => `[${((systemClock.now() - t0) / 1000).toFixed(1).padStart(5)}s]`;
  const open = () => createApp(config, { logger: createLogger({ level: 'error' }) });
  let app = open();
  const watch = new Watcher(say, stamp);
  try {
    say(`longhaul demo — the TechCorp story on a temporary store (${dir})`);
    say(`Three days pass in ${THREE_DAYS}; sessions idle out after 2s. Sources: ${DEMO_SOURCES}. Model: ${config.model.kind === 'none' ? 'none (deterministic)' : config.model.kind}.`);
    say();
    say('Day 0 — "Investigate TechCorp."');
    watch.attach(app);
    await app.start();
    const caller = app.localCaller;
    const tc = await app.runtime.investigations.start(caller, {
      subject: 'TechCorp',
      objective: 'Check TechCorp GmbH for compliance risks before onboarding it as a client',
      tasks: [
        { role: 'retrieval', instructions: 'Search the internal sources for TechCorp, its suppliers and its payments' },
        { role: 'compliance', instructions: "Check the bank's data against our AML policy and file a report", waitFor: { signal: 'bank_data', timeout: THREE_DAYS } },
      ],
    });
    const id = tc.investigation.investigationId;
    const side = await app.runtime.investigations.start(caller, {
      subject: 'Initech',
      objective: 'Check Initech Services before renewing its IT contract',
      tasks: [{ role: 'compliance', instructions: "Check Initech's bank data", waitFor: { signal: 'bank_data', timeout: '6s' } }],
    });
    watch.follow(id, 'TechCorp');
    watch.follow(side.investigation.investigationId, 'Initech');
    await until(async () => (await task(app, id, 'retrieval'))?.status === 'completed', 20_000, 'the retrieval task to complete');
    await until(async () => (await app.store.tenant(caller.tenantId).getSession(tc.sessionId))?.status === 'terminated', 20_000, 'the supervisor session to time out');
    say(`${stamp()} The chat has ended. Stopping the server…`);
    watch.detach();
    await app.close();
    app = open();
    say(`${stamp()} …and starting it again on the same data: everything durable was in ${config.store.kind === 'sqlite' ? config.store.path : dir}.`);
    watch.attach(app);
    await app.start();
    await sleep(Math.max(0, DATA_ARRIVES_AFTER_MS - (systemClock.now() - t0)));
    say();
    say(`Day 3 — the bank's data arrives (as \`longhaul signal ${id} bank_data --data bank.json\` would deliver it).`);
    await app.runtime.signals.submit(caller, { investigationId: id, signal: 'bank_data', payload: DEMO_BANK_DATA, idempotencyKey: 'hanse-2026-10' });
    await until(async () => (await app.store.tenant(caller.tenantId).listReports(id)).length > 0, 20_000, 'the compliance report');
    await until(async () => (await app.store.tenant(caller.tenantId).listReports(side.investigation.investigationId)).length > 0, 20_000, 'the Initech escalation');
    await app.workers.idle();
    say();
    say('The next chat — resume_investigation:');
    const resumed = await app.runtime.resume(caller, id);
    await watch.flush();
    watch.detach();
    say(indent(resumed.briefing.text));
    say();
    say(`The report — longhaul://investigations/${id}/report:`);
    say(indent(await app.reports.latestMarkdown(caller, id)));
    say();
    const inbox = await app.reports.inbox(caller);
    say(`The inbox — longhaul://inbox (${inbox.total} item(s)):`);
    for (const i of inbox.items) say(`  - [${i.kind}] ${i.title} — ${i.detail}`);
    const elapsed = systemClock.now() - t0;
    say();
    say(`Done in ${(elapsed / 1000).toFixed(1)}s.${o.keep ? ` Data kept in ${dir} (LONGHAUL_DATA_DIR=${dir} longhaul status).` : ''}`);
    return elapsed;
  } finally {
    watch.detach();
    await app.close();
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
}

/** Prints new timeline events and session transitions of the followed investigations, as they happen. */
class Watcher {
  private app: App | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly followed = new Map<string, string>();
  /** Last event seq printed, per investigation. */
  private readonly seqs = new Map<string, number>();
  private readonly sessions = new Map<string, Session['status']>();
  private busy: Promise<void> = Promise.resolve();

  constructor(
    private readonly say: (s: string) => void,
    private readonly stamp: () => string,
  ) {}

  attach(app: App) {
    this.app = app;
    this.unsubscribe = app.feed.subscribe(() => {
      this.busy = this.busy.then(() => this.poll()).catch(() => undefined);
    });
  }
  detach() {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
  /** Waits until what has happened so far is printed. */
  async flush() {
    this.busy = this.busy.then(() => this.poll()).catch(() => undefined);
    await this.busy;
  }
  follow(id: string, label: string) {
    this.followed.set(id, label);
    this.busy = this.busy.then(() => this.poll()).catch(() => undefined);
  }

  private async poll() {
    const app = this.app;
    if (!app) return;
    const t = app.store.tenant(app.localCaller.tenantId);
    for (const [id, label] of this.followed) {
      const page = await t.listEvents({ investigationId: id, afterSeq: this.seqs.get(id) ?? 0, limit: 200 });
      for (const e of page.items) {
        this.seqs.set(id, e.seq);
        const who = e.sessionId ? (e.actorId.endsWith('-worker') ? e.actorId.replace('-worker', ' worker') : e.actorId) : 'longhaul';
        this.say(`${this.stamp()} ${label.padEnd(8)} ${who.padEnd(17)} ${e.kind.padEnd(8)} ${oneLine(e.text, 150)}`);
      }
      for (const s of await t.listSessions({ investigationId: id, limit: 20 })) {
        if (this.sessions.get(s.id) === s.status) continue;
        const known = this.sessions.has(s.id);
        this.sessions.set(s.id, s.status);
        if (!known && s.status !== 'terminated' && s.status !== 'idle') continue; // its opening event says it
        const what = s.kind === 'worker' ? `${s.role} worker session` : 'supervisor session';
        this.say(`${this.stamp()} ${label.padEnd(8)} ${'session'.padEnd(17)} ${'status'.padEnd(8)} ${what} ${s.id} is ${s.status}${s.terminationReason ? ` (${s.terminationReason})` : ''}`);
      }
    }
  }
}

async function task(app: App, investigationId: string, role: string) {
  return (await app.store.tenant(app.localCaller.tenantId).listTasks(investigationId)).find((t) => t.role === role);
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = systemClock.now() + timeoutMs;
  while (!(await check())) {
    if (systemClock.now() > end) throw new Error(`The demo timed out waiting for ${what}.`);
    await sleep(100);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const oneLine = (s: string, n: number) => {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? one.slice(0, n - 1) + '…' : one;
};
const indent = (s: string) =>
  s
    .split('\n')
    .map((l) => `  │ ${l}`)
    .join('\n');
