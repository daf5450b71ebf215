import { readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { parseDuration, DURATION_HELP } from './domain/duration.js';
import { InvalidInputError } from './domain/errors.js';
import type { LogLevel } from './logger.js';
import type { StoreSpec } from './store/open-store.js';

/**
 * Every setting of DESIGN's configuration table, parsed once into a frozen object.
 * Sources, strongest first: CLI flags (kebab case), env (`LONGHAUL_*`), a JSON file
 * (`--config` / `LONGHAUL_CONFIG`, kebab-case keys), defaults.
 */
export interface Config {
  dataDir: string;
  store: StoreSpec;
  memory: { kind: 'store' } | { kind: 'agentcore'; memoryId: string; region: string };
  tenant: string;
  actor: string;
  idleTimeoutMs: number;
  maxSessionDurationMs: number;
  sweepIntervalMs: number;
  extractionIntervalMs: number;
  eventRetentionMs: number;
  sources: string[];
  /** LONGHAUL_SOURCES_FILE: folders and databases with allow-lists (parsed when the app is built). */
  sourcesFile: string | null;
  /** How often the served tenants' sources are re-indexed in the background. */
  sourcesRefreshMs: number;
  model: { kind: 'none' } | { kind: 'sampling' } | { kind: 'openai'; baseUrl: string; modelName: string; apiKey: string | null };
  http: { host: string; port: number; tokensFile: string | null; allowedOrigins: string[] };
  logLevel: LogLevel;
  workers: { concurrency: number; maxAttempts: number; leaseMs: number };
  rulesFile: string | null;
}

/** Setting name (kebab) → env var. The table README's configuration section is generated from. */
export const SETTINGS = {
  'data-dir': { env: 'LONGHAUL_DATA_DIR', default: '$XDG_DATA_HOME/longhaul (else ~/.local/share/longhaul)', doc: 'where the embedded store lives' },
  store: { env: 'LONGHAUL_STORE', default: 'sqlite', doc: '`sqlite` (longhaul.db in the data dir), `sqlite:/path/x.db`, `redis://host:port/db`, `memory` (tests only; nothing persists)' },
  memory: { env: 'LONGHAUL_MEMORY', default: 'store', doc: '`store` (memory lives in the store); `agentcore` is not available yet' },
  'agentcore-memory-id': { env: 'LONGHAUL_AGENTCORE_MEMORY_ID', default: '', doc: 'AgentCore Memory id (memory=agentcore)' },
  'aws-region': { env: 'AWS_REGION', default: '', doc: 'AWS region (memory=agentcore)' },
  tenant: { env: 'LONGHAUL_TENANT', default: 'local', doc: 'tenant for stdio (HTTP takes it from credentials)' },
  actor: { env: 'LONGHAUL_ACTOR', default: 'the OS user', doc: 'actor for stdio' },
  'idle-timeout': { env: 'LONGHAUL_IDLE_TIMEOUT', default: '15m', doc: 'idle → terminated' },
  'max-session-duration': { env: 'LONGHAUL_MAX_SESSION_DURATION', default: '8h', doc: 'any state → terminated' },
  'sweep-interval': { env: 'LONGHAUL_SWEEP_INTERVAL', default: '30s', doc: 'lifecycle + deadline sweeps (seconds granularity)' },
  'extraction-interval': { env: 'LONGHAUL_EXTRACTION_INTERVAL', default: '1m', doc: 'long-term memory extraction' },
  'event-retention': { env: 'LONGHAUL_EVENT_RETENTION', default: '90d', doc: 'short-term event expiry' },
  sources: { env: 'LONGHAUL_SOURCES', default: '', doc: 'document folders (`:`-separated) the retrieval worker searches' },
  'sources-file': { env: 'LONGHAUL_SOURCES_FILE', default: '', doc: 'JSON file of folders and SQL databases (PostgreSQL, SQLite) to search, with allow-lists of tables (README "Sources")' },
  'sources-refresh': { env: 'LONGHAUL_SOURCES_REFRESH', default: '5m', doc: 'how often the sources are re-indexed in the background (changed files and tables only)' },
  model: { env: 'LONGHAUL_MODEL', default: 'none', doc: '`none`, `sampling`, `openai:<base-url>`' },
  'model-name': { env: 'LONGHAUL_MODEL_NAME', default: 'gpt-4o-mini', doc: 'model name for `openai:`' },
  'openai-api-key': { env: 'OPENAI_API_KEY', default: '', doc: 'API key for `openai:` (optional for local servers)' },
  'http-host': { env: 'LONGHAUL_HTTP_HOST', default: '127.0.0.1', doc: 'HTTP bind address (for the HTTP transport, not yet available)' },
  'http-port': { env: 'LONGHAUL_HTTP_PORT', default: '8787', doc: 'HTTP port (for the HTTP transport, not yet available)' },
  'tokens-file': { env: 'LONGHAUL_TOKENS_FILE', default: '', doc: 'HTTP credentials: token hash → tenant, actor, scopes (for the HTTP transport, not yet available)' },
  'allowed-origins': { env: 'LONGHAUL_ALLOWED_ORIGINS', default: '', doc: 'browser origins allowed on HTTP (comma-separated) (for the HTTP transport, not yet available)' },
  'log-level': { env: 'LONGHAUL_LOG_LEVEL', default: 'info', doc: '`debug`, `info`, `warn`, `error` (stderr)' },
  'worker-concurrency': { env: 'LONGHAUL_WORKER_CONCURRENCY', default: '2', doc: 'worker tasks run at once per process' },
  'task-max-attempts': { env: 'LONGHAUL_TASK_MAX_ATTEMPTS', default: '3', doc: 'attempts before a failing task is `failed`' },
  'task-lease': { env: 'LONGHAUL_TASK_LEASE', default: '30s', doc: 'a running task\'s lease; a crashed run is retried after it' },
  'rules-file': { env: 'LONGHAUL_RULES_FILE', default: '', doc: 'JSON file overriding the compliance rules' },
  config: { env: 'LONGHAUL_CONFIG', default: '', doc: 'JSON file with any of these settings (kebab-case keys)' },
} as const;

export type SettingName = keyof typeof SETTINGS;
export type RawSettings = Partial<Record<SettingName, string>>;

const duration = (name: SettingName) =>
  z.string().transform((v, ctx) => {
    try {
      const ms = parseDuration(v, name);
      if (ms <= 0) throw new Error('zero');
      return ms;
    } catch (e) {
      const tooLong = e instanceof InvalidInputError && e.details?.reason === 'too_long';
      ctx.addIssue({ code: 'custom', message: tooLong ? `"${v}" is longer than 100 years.` : `"${v}" is not a positive duration. ${DURATION_HELP}` });
      return z.NEVER;
    }
  });

const intIn = (min: number, max: number) =>
  z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min).max(max));

const Schema = z.object({
  'data-dir': z.string().min(1),
  store: z.string().refine((v) => v === 'sqlite' || v === 'memory' || v.startsWith('sqlite:') || /^rediss?:\/\//.test(v), {
    message: 'must be `sqlite`, `sqlite:/path/file.db`, `redis://host:port/db` or `memory`',
  }),
  memory: z.enum(['store', 'agentcore']),
  'agentcore-memory-id': z.string(),
  'aws-region': z.string(),
  tenant: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,254}$/, 'must be letters, digits, ".", "_", "-", "@"'),
  actor: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,254}$/, 'must be letters, digits, ".", "_", "-", "@" (≤ 255)'),
  'idle-timeout': duration('idle-timeout'),
  'max-session-duration': duration('max-session-duration'),
  'sweep-interval': duration('sweep-interval').refine((ms) => ms >= 1000, 'must be at least 1s (the scheduler has seconds granularity)'),
  'extraction-interval': duration('extraction-interval').refine((ms) => ms >= 1000, 'must be at least 1s'),
  'event-retention': duration('event-retention'),
  sources: z.string(),
  'sources-file': z.string(),
  'sources-refresh': duration('sources-refresh').refine((ms) => ms >= 1000, 'must be at least 1s'),
  model: z.string().refine((v) => v === 'none' || v === 'sampling' || /^openai:https?:\/\/\S+$/.test(v), {
    message: 'must be `none`, `sampling` or `openai:<http(s) base url>`',
  }),
  'model-name': z.string().min(1),
  'openai-api-key': z.string(),
  'http-host': z.string().min(1),
  'http-port': intIn(0, 65535),
  'tokens-file': z.string(),
  'allowed-origins': z.string(),
  'log-level': z.enum(['debug', 'info', 'warn', 'error']),
  'worker-concurrency': intIn(1, 64),
  'task-max-attempts': intIn(1, 100),
  'task-lease': duration('task-lease'),
  'rules-file': z.string(),
  config: z.string(),
});

export class ConfigError extends InvalidInputError {}

/** Reads settings from env vars. */
export function settingsFromEnv(env: NodeJS.ProcessEnv): RawSettings {
  const out: RawSettings = {};
  for (const [name, s] of Object.entries(SETTINGS) as [SettingName, (typeof SETTINGS)[SettingName]][]) {
    const v = env[s.env];
    if (v !== undefined && v !== '') out[name] = v;
  }
  return out;
}

function settingsFromFile(path: string): RawSettings {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`config: cannot read ${path} as JSON (${(e as Error).message}).`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`config: ${path} must hold a JSON object of settings.`);
  const out: RawSettings = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (!(k in SETTINGS)) throw new ConfigError(`config: ${path} has an unknown setting "${k}". Known: ${Object.keys(SETTINGS).join(', ')}.`);
    out[k as SettingName] = Array.isArray(v) ? v.join(k === 'sources' ? ':' : ',') : String(v);
  }
  return out;
}

/**
 * Builds the frozen config. `flags` (from the CLI) override env, which overrides the
 * optional JSON file. Throws ConfigError naming the setting, its env var and what is
 * accepted; the server never starts on a bad config.
 */
export function loadConfig(opts: { env?: NodeJS.ProcessEnv; flags?: RawSettings } = {}): Readonly<Config> {
  const env = opts.env ?? process.env;
  const fromEnv = settingsFromEnv(env);
  const flags = opts.flags ?? {};
  const file = flags.config ?? fromEnv.config;
  const fromFile = file ? settingsFromFile(file) : {};
  const home = env.HOME || homedir();
  const xdg = env.XDG_DATA_HOME && isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : join(home, '.local', 'share');
  let osUser = 'user';
  try {
    osUser = userInfo().username.replace(/[^A-Za-z0-9._@-]/g, '_') || 'user';
  } catch {
    /* no passwd entry (containers) */
  }
  const defaults: Record<SettingName, string> = {} as Record<SettingName, string>;
  for (const [name, s] of Object.entries(SETTINGS) as [SettingName, (typeof SETTINGS)[SettingName]][]) defaults[name] = s.default;
  defaults['data-dir'] = join(xdg, 'longhaul');
  defaults.actor = osUser;
  const raw = { ...defaults, ...fromFile, ...fromEnv, ...flags };
  const r = Schema.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((i) => {
      const name = String(i.path[0]) as SettingName;
      const s = SETTINGS[name];
      return `${name} (${s?.env ?? '?'}=${JSON.stringify(raw[name])}): ${i.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const v = r.data;
  if (v['max-session-duration'] < v['idle-timeout']) {
    throw new ConfigError(`Invalid configuration:\n  max-session-duration (${raw['max-session-duration']}) must not be shorter than idle-timeout (${raw['idle-timeout']}).`);
  }
  const dataDir = resolve(v['data-dir']);
  let store: StoreSpec;
  if (v.store === 'sqlite') store = { kind: 'sqlite', path: join(dataDir, 'longhaul.db') };
  else if (v.store === 'memory') store = { kind: 'memory' };
  else if (v.store.startsWith('sqlite:')) store = { kind: 'sqlite', path: resolve(v.store.slice('sqlite:'.length)) };
  else store = { kind: 'redis', url: v.store };
  if (v.memory === 'agentcore') {
    if (!v['agentcore-memory-id'] || !v['aws-region']) {
      throw new ConfigError('Invalid configuration:\n  memory (LONGHAUL_MEMORY=agentcore) needs LONGHAUL_AGENTCORE_MEMORY_ID and AWS_REGION.');
    }
    // Refused rather than silently ignored: the memory would land in the local store.
    throw new ConfigError('Invalid configuration:\n  memory (LONGHAUL_MEMORY=agentcore): AgentCore Memory is not available in this version yet; use `store`.');
  }
  const memory: Config['memory'] = { kind: 'store' };
  let model: Config['model'] = { kind: 'none' };
  if (v.model === 'sampling') model = { kind: 'sampling' };
  else if (v.model.startsWith('openai:')) {
    model = { kind: 'openai', baseUrl: v.model.slice('openai:'.length).replace(/\/+$/, ''), modelName: v['model-name'], apiKey: v['openai-api-key'] || null };
  }
  const list = (s: string, sep: string) => s.split(sep).map((x) => x.trim()).filter(Boolean);
  const config: Config = {
    dataDir,
    store,
    memory,
    tenant: v.tenant,
    actor: v.actor,
    idleTimeoutMs: v['idle-timeout'],
    maxSessionDurationMs: v['max-session-duration'],
    sweepIntervalMs: v['sweep-interval'],
    extractionIntervalMs: v['extraction-interval'],
    eventRetentionMs: v['event-retention'],
    sources: list(v.sources, ':').map((p) => resolve(p)),
    sourcesFile: v['sources-file'] ? resolve(v['sources-file']) : null,
    sourcesRefreshMs: v['sources-refresh'],
    model,
    http: { host: v['http-host'], port: v['http-port'], tokensFile: v['tokens-file'] || null, allowedOrigins: list(v['allowed-origins'], ',') },
    logLevel: v['log-level'],
    workers: { concurrency: v['worker-concurrency'], maxAttempts: v['task-max-attempts'], leaseMs: v['task-lease'] },
    rulesFile: v['rules-file'] ? resolve(v['rules-file']) : null,
  };
  return deepFreeze(config);
}

function deepFreeze<T>(o: T): Readonly<T> {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
