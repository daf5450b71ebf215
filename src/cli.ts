#!/usr/bin/env node
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createApp, type App } from './app.js';
import { ConfigError, loadConfig, SETTINGS, type Config, type RawSettings, type SettingName } from './config.js';
import { iso, systemClock } from './domain/clock.js';
import { isLonghaulError } from './domain/errors.js';
import { createLogger } from './logger.js';
import { attachmentTooLargeError, formatBytes, type AttachmentInput } from './runtime/attachments.js';
import { LIMITS } from './runtime/limits.js';
import { displayUrl } from './store/adapters/postgres/db.js';
import { migratePostgres } from './store/adapters/postgres/index.js';
import { openSqliteStore } from './store/adapters/sqlite/index.js';
import { MIGRATIONS as SQLITE_MIGRATIONS } from './store/adapters/sqlite/migrations.js';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const USAGE = `longhaul ${VERSION} — long-running investigations, runtime sessions and memory for MCP clients

Usage:
  longhaul serve [--stdio | --http] [settings]   serve MCP (stdio by default: what Claude Desktop runs)
  longhaul serve --http [--host H] [--port P]    serve MCP over streamable HTTP at /mcp (default 127.0.0.1:8787);
                                                 a non-loopback address needs --tokens-file or --oauth-issuer
  longhaul status [settings]                     sessions, open investigations, waits, extraction backlog, sources
  longhaul migrate [settings]                    apply the store's pending schema migrations (serve also does, at start)
  longhaul signal <investigationId> <signal> [--data file.json | --data -] [--file path]… [--key idempotency-key]
                                                 deliver a signal from a shell, a cron job or a mail hook;
                                                 --file attaches a document (CSV, camt.053 XML, MT940, PDF…), repeatable
  longhaul token create --tenant T --actor A [--scopes read,write]
                                                 add a bearer token for serve --http to the tokens file; prints it once
  longhaul token list [--json]                   the tokens file: hash prefix, tenant, actor, scopes (never a token)
  longhaul token revoke <hash-prefix>            remove a token; the server refuses it from its next request
  longhaul export [--tenant T[,T2…]] [--out file]
                                                 write everything durable (of those tenants) to a gzip JSON Lines archive,
                                                 from one consistent snapshot while the server runs (stdout without --out)
  longhaul import <file> [--tenant T[,T2…]]      load an archive into LONGHAUL_STORE; importing twice changes nothing
  longhaul backup <dir>                          online copy of the embedded SQLite store, with a manifest (SHA-256, counts), verified
  longhaul restore <dir> [--force]               verify a backup and restore it to the store file (--force replaces an existing store)
  longhaul erase --tenant T (--actor A | --event evt_…)
                                                 erase an actor (or one event) and what was derived from it; prints the receipt
  longhaul demo [--keep]                         the TechCorp story end to end on a temporary store (about 10 s)
  longhaul help | --help                         this text
  longhaul --version

Settings (flags override LONGHAUL_* env vars, which override --config file.json):
${Object.entries(SETTINGS)
  .map(([k, s]) => `  --${k.padEnd(22)} ${s.env.padEnd(30)} ${s.doc.replace(/`/g, '')} [${s.default || 'none'}]`)
  .join('\n')}
`;

/** Writes to stdout: the CLI's own output (never used by `serve`, whose stdout is protocol). */
const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : s + '\n');
const err = (s: string) => process.stderr.write(s.endsWith('\n') ? s : s + '\n');

class UsageError extends Error {}

function parse(argv: string[], extra: ParseArgsConfig['options'] = {}) {
  const options: NonNullable<ParseArgsConfig['options']> = { ...extra };
  for (const name of Object.keys(SETTINGS)) options[name] = { type: 'string' };
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    const flags: RawSettings = {};
    for (const name of Object.keys(SETTINGS) as SettingName[]) {
      const v = values[name];
      if (typeof v === 'string') flags[name] = v;
    }
    return { values, positionals, flags };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

async function withApp<T>(flags: RawSettings, fn: (app: App) => Promise<T>): Promise<T> {
  const config = loadConfig({ flags });
  const app = createApp(config, { logger: createLogger({ level: config.logLevel === 'debug' ? 'debug' : 'warn' }) });
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

async function serve(argv: string[]): Promise<void> {
  const { values, flags } = parse(argv, { stdio: { type: 'boolean' }, http: { type: 'boolean' }, host: { type: 'string' }, port: { type: 'string' } });
  if (values.stdio && values.http) throw new UsageError('Choose one of --stdio or --http.');
  if ((values.host !== undefined || values.port !== undefined) && !values.http) throw new UsageError('--host and --port go with --http.');
  if (typeof values.host === 'string') flags['http-host'] = values.host;
  if (typeof values.port === 'string') flags['http-port'] = values.port;
  const config = loadConfig({ flags });
  if (values.http) return serveHttp(config);
  const app = createApp(config);
  if (process.stdin.isTTY) {
    err(
      `longhaul ${VERSION} is serving MCP over stdio and waiting for a client on this terminal.\n` +
        `Data: ${app.store.location}\n` +
        `Connect a client instead of typing here, e.g. in Claude Desktop's claude_desktop_config.json:\n` +
        `  { "mcpServers": { "longhaul": { "command": "node", "args": [${JSON.stringify(fileURLToPath(import.meta.url))}, "serve"] } } }\n` +
        `Press Ctrl+C to stop.`,
    );
  }
  const stop = async (signal: string) => {
    app.logger.info('stopping', { signal });
    await app.close().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  const { serveStdio } = await import('./transports/stdio.js');
  await serveStdio(app);
  await app.close();
}

/**
 * `serve --http`: refuses an unsafe bind or public URL without credentials (exit 2)
 * before opening anything, serves until SIGTERM or SIGINT, then drains (in-flight calls
 * finish, at most 10 s), closes the MCP sessions and the app (releasing leases) and
 * exits 0. A second signal stops at once.
 */
async function serveHttp(config: Readonly<Config>): Promise<void> {
  const { assertSafeBind } = await import('./transports/http/perimeter.js');
  const { startHttpServer } = await import('./transports/http/server.js');
  const { HttpServedTenants, tokenFileTenants } = await import('./transports/http/served-tenants.js');
  const { tenantsFileTenants } = await import('./tenants.js');
  assertSafeBind(config);
  // The served tenants follow the tokens file: a tenant given a token while serving gets its background work.
  const served = new HttpServedTenants(config, tokenFileTenants(config), tenantsFileTenants(config));
  // Expired stream events are pruned by the retention job, with the change log.
  const app = createApp(config, { servedTenants: served.current });
  let handle: Awaited<ReturnType<typeof startHttpServer>> | undefined;
  try {
    handle = await startHttpServer(app, { servedTenants: served });
    await app.start();
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await app.close().catch(() => undefined);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new ConfigError(`Cannot listen on ${config.http.host}:${config.http.port} (${code}); choose another LONGHAUL_HTTP_HOST / LONGHAUL_HTTP_PORT (--host, --port).`);
    }
    throw e;
  }
  if (process.stderr.isTTY) err(`longhaul ${VERSION} is serving MCP at ${handle.url}/mcp (data: ${app.store.location}). Press Ctrl+C to stop.`);
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  const force = () => {
    app.logger.warn('second signal: stopping now');
    process.exit(1);
  };
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  app.logger.info('stopping', { signal });
  await handle.close();
  await app.close();
  // Anything still holding the event loop open after a clean stop must not keep the process.
  setTimeout(() => process.exit(process.exitCode ?? 0), 2_000).unref();
}

/** `longhaul token create|list|revoke`: edits LONGHAUL_TOKENS_FILE (--tokens-file). */
async function token(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  const { values, positionals, flags } = parse(rest, { scopes: { type: 'string' }, json: { type: 'boolean' } });
  const config = loadConfig({ flags });
  const file = config.http.tokensFile;
  if (!file) throw new UsageError('token: which tokens file? Pass --tokens-file path or set LONGHAUL_TOKENS_FILE.');
  const { createToken, hashPrefix, listTokens, revokeToken } = await import('./transports/http/tokens-file.js');
  switch (sub) {
    case 'create': {
      if (positionals.length) throw new UsageError(`token create takes no arguments besides flags (got "${positionals[0]}").`);
      if (typeof values.tenant !== 'string' || typeof values.actor !== 'string') throw new UsageError('token create needs --tenant T and --actor A.');
      const scopes = (typeof values.scopes === 'string' ? values.scopes : 'read,write').split(',');
      const { token: secret, entry } = createToken(file, { tenant: values.tenant, actor: values.actor, scopes, createdAt: iso(systemClock.now()) });
      out(secret);
      err(
        `Created a token for tenant ${entry.tenant}, actor ${entry.actor}, scopes ${entry.scopes.join(', ')} (hash ${hashPrefix(entry.sha256)}) in ${file}.\n` +
          `It is shown only this once: store it now. Clients send it as Authorization: Bearer <token>. Revoke it with: longhaul token revoke ${hashPrefix(entry.sha256)}`,
      );
      return;
    }
    case 'list': {
      const entries = listTokens(file).map((t) => ({ hash: hashPrefix(t.sha256), tenant: t.tenant, actor: t.actor, scopes: t.scopes, ...(typeof t.createdAt === 'string' ? { createdAt: t.createdAt } : {}) }));
      if (values.json) out(JSON.stringify(entries, null, 2));
      else if (entries.length === 0) out(`No tokens in ${file}. Create one with: longhaul token create --tenant T --actor A`);
      else {
        const row = (h: string, t: string, a: string, sc: string, c: string) => `${h.padEnd(14)}${t.padEnd(20)}${a.padEnd(24)}${sc.padEnd(14)}${c}`;
        out([row('hash', 'tenant', 'actor', 'scopes', 'created'), ...entries.map((e) => row(e.hash, e.tenant, e.actor, e.scopes.join(','), e.createdAt ?? ''))].join('\n'));
      }
      return;
    }
    case 'revoke': {
      if (positionals.length !== 1) throw new UsageError('token revoke needs the hash prefix that `longhaul token list` shows.');
      const entry = revokeToken(file, positionals[0]!);
      out(`Revoked token ${hashPrefix(entry.sha256)} (tenant ${entry.tenant}, actor ${entry.actor}); a running server refuses it from its next request.`);
      return;
    }
    default:
      throw new UsageError(sub === undefined ? 'token needs create, list or revoke.' : `Unknown token command "${sub}"; use create, list or revoke.`);
  }
}

/**
 * `longhaul migrate`: the store's pending schema migrations. PostgreSQL: applied under
 * an advisory lock, so several instances (or a deploy job and a starting instance) never
 * run one twice; SQLite: applied when the file opens. Prints what was applied.
 */
async function migrate(argv: string[]): Promise<void> {
  const { flags } = parse(argv);
  const config = loadConfig({ flags });
  const spec = config.store;
  if (spec.kind === 'postgres') {
    const applied = await migratePostgres(spec.url, spec.schema ?? 'public');
    out(applied.length ? `applied migrations ${applied.join(', ')} to ${displayUrl(spec.url)} (schema ${spec.schema ?? 'public'})` : `${displayUrl(spec.url)} (schema ${spec.schema ?? 'public'}) is up to date`);
    return;
  }
  if (spec.kind === 'sqlite') {
    const store = openSqliteStore({ path: spec.path, logger: createLogger({ level: 'warn' }) });
    await store.close();
    out(`${spec.path} is up to date (schema version ${SQLITE_MIGRATIONS.length})`);
    return;
  }
  out('the memory store has no schema to migrate');
}

async function status(argv: string[]): Promise<void> {
  const { flags, values } = parse(argv, { json: { type: 'boolean' } });
  await withApp(flags, async (app) => {
    const now = app.clock.now();
    const s = await app.store.stats(now);
    // The configured tenant's sources, as their last refresh left them (status never indexes).
    const sources = await app.sources.for(app.config.tenant).status();
    const outbox = await app.store.outboxStats();
    const memory = app.config.memory.kind === 'agentcore' ? `agentcore ${app.config.memory.memoryId} (${app.config.memory.region}), extraction by ${app.config.memory.extraction}` : 'store';
    if (values.json) return out(JSON.stringify({ ...s, memory, outbox, sources }, null, 2));
    const lines = [
      `store: ${app.store.location}${app.config.store.kind === 'postgres' ? ` (schema ${app.config.store.schema ?? 'public'})` : ''}`,
      `sessions: ${Object.entries(s.sessionsByStatus).map(([k, v]) => `${k} ${v}`).join(', ')}`,
      `open investigations: ${s.openInvestigations}`,
      `tasks: ${Object.entries(s.tasksByStatus).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
      `open waits: ${s.openWaits.length}`,
      ...s.openWaits.slice(0, 20).map((w) => `  ${w.investigationId} task ${w.taskId} waits for "${w.signal}" until ${iso(w.deadline)}${w.deadline <= now ? ' (past due; the next sweep times it out)' : ''}`),
      `events: ${s.events}, memory records: ${s.records}`,
      `extraction backlog: ${s.extractionBacklog.events} events in ${s.extractionBacklog.sessions} sessions`,
      `memory: ${memory}`,
      ...(outbox.enabled || outbox.pending + outbox.parked > 0
        ? [
            `memory outbox: ${outbox.pending} to ship${outbox.oldestPendingAt === null ? '' : ` (oldest from ${iso(outbox.oldestPendingAt)})`}, ${outbox.parked} refused (parked)`,
            ...outbox.errors.map((e) => `  ${e.parked ? 'refused' : 'retrying'}: ${e.kind} entry ${e.id} (tenant ${e.tenantId}, ${e.attempts} attempts): ${e.error.slice(0, 200)}`),
          ]
        : []),
      `sources (tenant ${app.config.tenant}): ${sources.length || 'none configured'}`,
      ...sources.flatMap((x) => [
        `  ${x.name} (${x.kind}, ${x.location}): ${x.kind === 'folder' ? `${x.documents} documents, ${x.chunks} passages` : `${x.documents} tables, ${x.chunks} rows`}${x.skipped ? `, ${x.skipped} ${x.kind === 'folder' ? 'files skipped' : 'tables failed'}` : ''}; ${x.refreshedAt === null ? 'not indexed yet' : `last indexed ${iso(x.refreshedAt)}`}`,
        ...x.errors.slice(0, 5).map((e) => `    error: ${e}`),
      ]),
    ];
    out(lines.join('\n'));
  });
}

/**
 * `--file` paths as attachments: name = the file's base name, media type from its
 * extension (the runtime infers it), bytes as base64. A file over the per-file limit
 * is refused from its size, before it is read.
 */
function readAttachments(paths: readonly string[]): AttachmentInput[] {
  return paths.map((p) => {
    if (p === '-') throw new UsageError('--file -: standard input can carry only --data; give --file a path.');
    let bytes: Buffer;
    try {
      const st = statSync(p);
      if (!st.isFile()) throw new UsageError(`--file ${p}: not a regular file; give the path of a document to attach.`);
      if (st.size > LIMITS.attachmentBytes) throw attachmentTooLargeError(basename(p), st.size);
      bytes = readFileSync(p);
    } catch (e) {
      if (e instanceof UsageError || isLonghaulError(e)) throw e;
      throw new UsageError(`--file ${p}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give the path of a readable file.`);
    }
    return { name: basename(p), base64: bytes.toString('base64') };
  });
}

async function signal(argv: string[]): Promise<void> {
  const { positionals, values, flags } = parse(argv, { data: { type: 'string' }, file: { type: 'string', multiple: true }, key: { type: 'string' } });
  if (positionals.length !== 2) throw new UsageError('signal needs <investigationId> <signal>.');
  const [investigationId, name] = positionals as [string, string];
  let payload: unknown = null;
  if (typeof values.data === 'string') {
    let text: string;
    try {
      text = values.data === '-' ? readFileSync(0, 'utf8') : readFileSync(values.data, 'utf8');
    } catch (e) {
      throw new UsageError(`--data ${values.data}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give a JSON file or - for standard input.`);
    }
    try {
      payload = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`--data ${values.data}: not valid JSON (${(e as Error).message}).`);
    }
  }
  const attachments = readAttachments(Array.isArray(values.file) ? values.file.filter((f): f is string => typeof f === 'string') : []);
  await withApp(flags, async (app) => {
    const r = await app.runtime.signals.submit(app.localCaller, {
      investigationId,
      signal: name,
      payload,
      attachments,
      idempotencyKey: typeof values.key === 'string' ? values.key : null,
    });
    const files = r.signal.attachments.map((a) => `  ${a.name} (${a.mediaType}) ${formatBytes(a.size)}, sha256 ${a.sha256.slice(0, 12)}…`);
    out(
      [
        r.duplicate
          ? `Signal "${name}" was already delivered with this key (${r.signal.signalId}); nothing changed.`
          : `Delivered "${name}" to ${investigationId} (${r.signal.signalId}); resolved ${r.resolvedWaits.length} wait(s), woke ${r.wokenTasks.length} task(s).`,
        ...(files.length ? [`${r.duplicate ? 'Files of the earlier delivery' : 'Files'}:`, ...files] : []),
      ].join('\n'),
    );
  });
}

async function demo(argv: string[]): Promise<void> {
  const { values } = parse(argv, { keep: { type: 'boolean' } });
  const { runDemo } = await import('./demo.js');
  // The demo is not the MCP server: its stdout is for the person watching.
  await runDemo({ write: out, keep: values.keep === true, env: process.env });
}

/** `--tenant a,b` of export/import: a list of tenants, kept out of the settings (where --tenant is the stdio tenant). */
function tenantList(values: Record<string, unknown>, flags: RawSettings): string[] | undefined {
  if (typeof values.tenant !== 'string') return undefined;
  delete flags.tenant;
  const list = values.tenant.split(',').map((t) => t.trim()).filter(Boolean);
  if (list.length === 0) throw new UsageError('--tenant needs at least one tenant id.');
  return list;
}

/** `longhaul export`: a gzip JSON Lines archive of the store (src/store/archive/), from one snapshot. */
async function exportCommand(argv: string[]): Promise<void> {
  const { values, positionals, flags } = parse(argv, { out: { type: 'string' } });
  if (positionals.length) throw new UsageError(`export takes no arguments besides flags (got "${positionals[0]}").`);
  const tenants = tenantList(values, flags);
  const toStdout = typeof values.out !== 'string' || values.out === '-';
  if (toStdout && process.stdout.isTTY) throw new UsageError('export writes a gzip archive: give --out file, or redirect standard output to a file.');
  const { exportArchive } = await import('./store/archive/export.js');
  await withApp(flags, async (app) => {
    const started = performance.now();
    const r = await exportArchive(app.store, { out: toStdout ? process.stdout : (values.out as string), clock: app.clock, ...(tenants ? { tenants } : {}) });
    const s = (performance.now() - started) / 1000;
    const counts = Object.entries(r.counts).filter(([, n]) => n > 0).map(([t, n]) => `${t} ${n}`).join(', ');
    err(`Exported ${r.rows} rows (${counts || 'none'}) from ${app.store.location}${tenants ? ` (tenants ${tenants.join(', ')})` : ''} to ${toStdout ? 'standard output' : values.out}: ${formatBytes(r.bytes)} in ${s.toFixed(1)} s, sha256 ${r.sha256.slice(0, 16)}….`);
  });
}

/** `longhaul import <file>`: verifies the archive, then loads it into LONGHAUL_STORE (idempotent). */
async function importCommand(argv: string[]): Promise<void> {
  const { values, positionals, flags } = parse(argv);
  if (positionals.length !== 1) throw new UsageError('import needs the archive file: longhaul import <file>.');
  const tenants = tenantList(values, flags);
  const { importArchive } = await import('./store/archive/import.js');
  await withApp(flags, async (app) => {
    const started = performance.now();
    const r = await importArchive(app.store, positionals[0]!, tenants ? { tenants } : {});
    const s = (performance.now() - started) / 1000;
    out(
      `Imported ${positionals[0]} (exported ${r.header.exportedAt} from ${r.header.source.kind}) into ${app.store.location}: ${r.rows} rows, ${r.inserted} new, ${r.skipped} already there, in ${s.toFixed(1)} s.`,
    );
  });
}

/** `longhaul backup <dir>` / `longhaul restore <dir> [--force]`: the embedded SQLite store only. */
async function backupCommand(cmd: 'backup' | 'restore', argv: string[]): Promise<void> {
  const { values, positionals, flags } = parse(argv, cmd === 'restore' ? { force: { type: 'boolean' } } : {});
  if (positionals.length !== 1) throw new UsageError(`${cmd} needs a directory: longhaul ${cmd} <dir>.`);
  const config = loadConfig({ flags });
  if (config.store.kind !== 'sqlite') {
    throw new UsageError(`${cmd} is for the embedded SQLite store; this store is ${config.store.kind}. Use longhaul export / import${config.store.kind === 'postgres' ? ', or pg_dump' : ''}.`);
  }
  const { backupSqlite, restoreSqlite } = await import('./store/adapters/sqlite/backup.js');
  if (cmd === 'backup') {
    const m = await backupSqlite(config.store.path, positionals[0]!, systemClock);
    out(`Backed up ${m.source} to ${positionals[0]} (${formatBytes(m.size)}, schema ${m.schemaVersion}, sha256 ${m.sha256.slice(0, 16)}…); verified: checksum, integrity_check, ${m.counts.events ?? 0} events, ${m.counts.records ?? 0} records.`);
    return;
  }
  const m = await restoreSqlite(positionals[0]!, config.store.path, { force: values.force === true });
  out(`Restored the backup of ${m.createdAt} (sha256 ${m.sha256.slice(0, 16)}…, verified) to ${config.store.path}.`);
}

/** `longhaul erase --tenant T --actor A | --event E`: run by whoever holds the store, so with an admin's authority. */
async function eraseCommand(argv: string[]): Promise<void> {
  const { values, positionals, flags } = parse(argv, { event: { type: 'string' } });
  if (positionals.length) throw new UsageError(`erase takes no arguments besides flags (got "${positionals[0]}").`);
  if (typeof values.tenant !== 'string') throw new UsageError('erase needs --tenant T (the tenant whose data is erased).');
  const actor = typeof values.actor === 'string' ? values.actor : null;
  const event = typeof values.event === 'string' ? values.event : null;
  if ((actor === null) === (event === null)) throw new UsageError('erase needs exactly one of --actor A or --event evt_….');
  delete flags.actor;
  const { userInfo } = await import('node:os');
  await withApp(flags, async (app) => {
    const who = { caller: { tenantId: values.tenant as string, actorId: 'cli' }, admin: true, requestedBy: `cli:${userInfo().username}` };
    const receipt = actor !== null ? await app.runtime.erasure.forgetActor(who, actor) : await app.runtime.erasure.forgetEvent(who, event!);
    out(JSON.stringify(receipt, null, 2));
  });
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'serve':
        await serve(rest);
        return 0;
      case 'status':
        await status(rest);
        return 0;
      case 'migrate':
        await migrate(rest);
        return 0;
      case 'signal':
        await signal(rest);
        return 0;
      case 'token':
        await token(rest);
        return 0;
      case 'demo':
        await demo(rest);
        return 0;
      case 'export':
        await exportCommand(rest);
        return 0;
      case 'import':
        await importCommand(rest);
        return 0;
      case 'backup':
      case 'restore':
        await backupCommand(cmd, rest);
        return 0;
      case 'erase':
        await eraseCommand(rest);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out(USAGE);
        return cmd === undefined ? 1 : 0;
      case '--version':
      case '-v':
        out(VERSION);
        return 0;
      default:
        throw new UsageError(`Unknown command "${cmd}".`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(`longhaul: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof ConfigError) {
      err(`longhaul: ${e.message}`);
      return 2;
    }
    if (isLonghaulError(e)) {
      err(`longhaul: [${e.code}] ${e.message}`);
      return 1;
    }
    err(`longhaul: unexpected error: ${(e as Error)?.stack ?? String(e)}`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = 1;
  },
);
