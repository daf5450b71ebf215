import { readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { isWorkerActor, RESERVED_ACTOR_HELP } from './domain/actors.js';
import { parseDuration, DURATION_HELP } from './domain/duration.js';
import { InvalidInputError } from './domain/errors.js';
import { agentRuntimeArnProblem } from './workers/agentcore-contract.js';
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
  memory:
    | { kind: 'store' }
    | {
        kind: 'agentcore';
        memoryId: string;
        region: string;
        /** Who extracts long-term records: longhaul's strategies (records shipped with BatchCreateMemoryRecords) or AgentCore's own. */
        extraction: 'longhaul' | 'agentcore';
        /** AWS_ENDPOINT_URL_BEDROCK_AGENTCORE (else AWS_ENDPOINT_URL): a local stub or a VPC endpoint; null: the SDK's default. */
        endpoint: string | null;
        /** LONGHAUL_AGENTCORE_RATE_LIMIT: requests per second under the account's quotas (absent: the adapter's defaults). */
        rate: { session?: number; account?: number; records?: number };
      };
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
  http: {
    host: string;
    port: number;
    tokensFile: string | null;
    allowedOrigins: string[];
    /** The URL clients reach this server at (behind a proxy: the proxy's), for the protected-resource metadata. Null: http://host:port. */
    publicUrl: string | null;
    /** Requests per token (or per address without one) per window; 429 with Retry-After beyond. */
    rateLimit: { requests: number; windowMs: number };
    /** JWT access tokens from an OAuth issuer, instead of (or beside) the tokens file. */
    oauth: { issuer: string; audience: string; jwksUrl: string | null; tenantClaim: string; actorClaim: string; scopeClaim: string } | null;
  };
  /** LONGHAUL_TENANTS_FILE: per tenant its sources, rules, model and limits (HTTP). */
  tenantsFile: string | null;
  /** LONGHAUL_REDIS_URL: shared short-lived state for several instances; every key and channel starts with `prefix`. */
  redis: { url: string; prefix: string } | null;
  /** Per investigation: at most this many signals, and this many bytes of payloads and files together. */
  signalLimits: { count: number; bytes: number };
  logLevel: LogLevel;
  workers: { concurrency: number; maxAttempts: number; leaseMs: number };
  rulesFile: string | null;
  /** Role → AgentCore Runtime agent ARN (LONGHAUL_ROLE_<NAME>_AGENT_ARN, `--role-agents`): the role runs on that agent. */
  roleAgents: Readonly<Record<string, string>>;
}

/** Setting name (kebab) → env var. The table README's configuration section is generated from. */
export const SETTINGS = {
  'data-dir': { env: 'LONGHAUL_DATA_DIR', default: '$XDG_DATA_HOME/longhaul (else ~/.local/share/longhaul)', doc: 'where the embedded store lives' },
  store: { env: 'LONGHAUL_STORE', default: 'sqlite', doc: '`sqlite` (longhaul.db in the data dir), `sqlite:/path/x.db`, `postgres://user@host:5432/db` (several instances; `?schema=name` for a schema of its own), `memory` (tests only; nothing persists)' },
  'redis-url': { env: 'LONGHAUL_REDIS_URL', default: '', doc: '`redis://host:6379/0`: what several HTTP instances share briefly (expiring keys, change notifications, scheduler leases, resumable streams); `?prefix=lh:` for a key prefix of its own' },
  memory: { env: 'LONGHAUL_MEMORY', default: 'store', doc: '`store` (memory lives in the store) or `agentcore` (AWS Bedrock AgentCore Memory; README "On AWS AgentCore")' },
  'agentcore-memory-id': { env: 'LONGHAUL_AGENTCORE_MEMORY_ID', default: '', doc: 'AgentCore Memory id (memory=agentcore)' },
  'agentcore-extraction': { env: 'LONGHAUL_AGENTCORE_EXTRACTION', default: 'longhaul', doc: '`longhaul` (longhaul\'s strategies extract; records written with BatchCreateMemoryRecords) or `agentcore` (the memory\'s own strategies extract)' },
  'aws-region': { env: 'AWS_REGION', default: '', doc: 'AWS region of the AgentCore memory (memory=agentcore; workers use the region in their agent ARN); credentials come from the default AWS chain' },
  'aws-endpoint-url-bedrock-agentcore': { env: 'AWS_ENDPOINT_URL_BEDROCK_AGENTCORE', default: '', doc: 'AgentCore data-plane endpoint override (a VPC endpoint, or a local stub in tests)' },
  'agentcore-rate-limit': {
    env: 'LONGHAUL_AGENTCORE_RATE_LIMIT',
    default: 'session=4,account=20,records=10',
    doc: 'client-side requests per second under the AgentCore account\'s quotas: CreateEvent per investigation (`session`) and per process (`account`), record writes (`records`); raise them to what Service Quotas shows',
  },
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
  'http-host': { env: 'LONGHAUL_HTTP_HOST', default: '127.0.0.1', doc: 'HTTP bind address (`serve --http`); a non-loopback address needs tokens or OAuth' },
  'http-port': { env: 'LONGHAUL_HTTP_PORT', default: '8787', doc: 'HTTP port (`serve --http`)' },
  'http-public-url': { env: 'LONGHAUL_HTTP_PUBLIC_URL', default: '', doc: 'the URL clients reach the server at, when behind a reverse proxy (default `http://host:port`)' },
  'http-rate-limit': { env: 'LONGHAUL_HTTP_RATE_LIMIT', default: '600/1m', doc: 'requests per token per window (`600/1m`); beyond it 429 with Retry-After' },
  'oauth-issuer': { env: 'LONGHAUL_OAUTH_ISSUER', default: '', doc: 'HTTP: accept JWT access tokens from this issuer (its JWKS)' },
  'oauth-audience': { env: 'LONGHAUL_OAUTH_AUDIENCE', default: '', doc: 'HTTP: the audience JWTs must name (default: the public URL of /mcp)' },
  'oauth-jwks-url': { env: 'LONGHAUL_OAUTH_JWKS_URL', default: '', doc: "HTTP: the issuer's JWKS (default: from its metadata)" },
  'oauth-tenant-claim': { env: 'LONGHAUL_OAUTH_TENANT_CLAIM', default: 'tenant', doc: 'HTTP: the JWT claim that names the tenant' },
  'oauth-actor-claim': { env: 'LONGHAUL_OAUTH_ACTOR_CLAIM', default: 'sub', doc: 'HTTP: the JWT claim that names the actor' },
  'oauth-scope-claim': { env: 'LONGHAUL_OAUTH_SCOPE_CLAIM', default: 'scope', doc: 'HTTP: the JWT claim with the scopes (`read`, `write`; space-separated or a list)' },
  'tenants-file': { env: 'LONGHAUL_TENANTS_FILE', default: '', doc: 'HTTP: per tenant its sources, rules file, model and limits (JSON; README "Host it for a team")' },
  'max-signals': { env: 'LONGHAUL_MAX_SIGNALS', default: '1000', doc: 'signals one investigation may hold' },
  'max-signal-bytes': { env: 'LONGHAUL_MAX_SIGNAL_BYTES', default: '200MiB', doc: 'payloads and files one investigation may hold, together' },
  'tokens-file': { env: 'LONGHAUL_TOKENS_FILE', default: '', doc: 'HTTP credentials: token hash → tenant, actor, scopes (`longhaul token create`); reloaded when it changes' },
  'allowed-origins': { env: 'LONGHAUL_ALLOWED_ORIGINS', default: '', doc: 'browser origins allowed on HTTP (comma-separated); other origins get 403' },
  'log-level': { env: 'LONGHAUL_LOG_LEVEL', default: 'info', doc: '`debug`, `info`, `warn`, `error` (stderr)' },
  'worker-concurrency': { env: 'LONGHAUL_WORKER_CONCURRENCY', default: '2', doc: 'worker tasks run at once per process' },
  'task-max-attempts': { env: 'LONGHAUL_TASK_MAX_ATTEMPTS', default: '3', doc: 'attempts before a failing task is `failed`' },
  'task-lease': { env: 'LONGHAUL_TASK_LEASE', default: '30s', doc: 'a running task\'s lease; a crashed run is retried after it' },
  'rules-file': { env: 'LONGHAUL_RULES_FILE', default: '', doc: 'JSON file overriding the compliance rules' },
  'role-agents': {
    env: 'LONGHAUL_ROLE_<NAME>_AGENT_ARN',
    default: '',
    doc: 'runs role `<name>` (e.g. `LONGHAUL_ROLE_COMPLIANCE_AGENT_ARN`) on an AWS Bedrock AgentCore Runtime agent, `arn:aws:bedrock-agentcore:<region>:<account>:runtime/<id>`; one env var per role, or `--role-agents compliance=arn:…,legal=arn:…`; a tenant\'s `agents` in the tenants file wins (README "Workers on AgentCore Runtime")',
  },
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
  store: z
    .string()
    .refine((v) => !/^rediss?:\/\//.test(v), {
      message: 'Redis is not a store: keep the durable data in PostgreSQL (LONGHAUL_STORE=postgres://…) and give Redis as LONGHAUL_REDIS_URL',
    })
    .refine((v) => v === 'sqlite' || v === 'memory' || v.startsWith('sqlite:') || /^postgres(ql)?:\/\/./.test(v), {
      message: 'must be `sqlite`, `sqlite:/path/file.db`, `postgres://user@host:5432/db` or `memory`',
    }),
  'redis-url': z.string().refine((v) => v === '' || /^rediss?:\/\/./.test(v), { message: 'must be a redis:// or rediss:// URL' }),
  memory: z.enum(['store', 'agentcore']),
  'agentcore-memory-id': z.string().regex(/^$|^[a-zA-Z][a-zA-Z0-9-_]{0,99}-[a-zA-Z0-9]{10}$/, 'is not an AgentCore Memory id (e.g. longhaul_memory-AbCdEf1234, as create-memory returns it)'),
  'agentcore-extraction': z.enum(['longhaul', 'agentcore']),
  'aws-region': z.string(),
  'aws-endpoint-url-bedrock-agentcore': z.union([z.literal(''), z.url({ protocol: /^https?$/ })]),
  'agentcore-rate-limit': z
    .string()
    .regex(/^(?:(?:session|account|records)=\d{1,6}(?:\.\d{1,3})?)(?:,(?:session|account|records)=\d{1,6}(?:\.\d{1,3})?)*$/, 'must be like session=4,account=20,records=10 (requests per second)')
    .transform((v) => Object.fromEntries(v.split(',').map((kv) => kv.split('=')).map(([k, n]) => [k!, Number(n)])) as { session?: number; account?: number; records?: number })
    .refine((r) => Object.values(r).every((n) => n > 0), 'every rate must be above 0'),
  tenant: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,254}$/, 'must be letters, digits, ".", "_", "-", "@"'),
  actor: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,254}$/, 'must be letters, digits, ".", "_", "-", "@" (≤ 255)')
    .refine((a) => !isWorkerActor(a), RESERVED_ACTOR_HELP),
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
  'http-public-url': z.string().refine((v) => v === '' || /^https?:\/\/[^\s/]+(\/\S*)?$/.test(v), 'must be an http(s) URL such as https://longhaul.example.com'),
  'http-rate-limit': z.string().transform((v, ctx) => {
    const m = /^(\d+)\s*\/\s*(\S+)$/.exec(v.trim());
    let windowMs = 0;
    try {
      windowMs = m ? parseDuration(m[2]!, 'http-rate-limit') : 0;
    } catch {
      /* reported below */
    }
    if (!m || Number(m[1]) < 1 || windowMs < 1000) {
      ctx.addIssue({ code: 'custom', message: `"${v}" must be requests per window, such as "600/1m" (at least 1 request, a window of at least 1s)` });
      return z.NEVER;
    }
    return { requests: Number(m[1]), windowMs };
  }),
  'oauth-issuer': z.string().refine((v) => v === '' || /^https?:\/\/\S+$/.test(v), 'must be the issuer URL, such as https://auth.example.com'),
  'oauth-audience': z.string(),
  'oauth-jwks-url': z.string().refine((v) => v === '' || /^https?:\/\/\S+$/.test(v), 'must be an http(s) URL'),
  'oauth-tenant-claim': z.string().min(1),
  'oauth-actor-claim': z.string().min(1),
  'oauth-scope-claim': z.string().min(1),
  'tenants-file': z.string(),
  'max-signals': intIn(1, 10_000_000),
  'max-signal-bytes': z.string().transform((v, ctx) => {
    const b = parseBytes(v);
    if (b === null || b < 1024) {
      ctx.addIssue({ code: 'custom', message: `"${v}" must be a size such as "200MiB", "1GiB" or a number of bytes (at least 1 KiB)` });
      return z.NEVER;
    }
    return b;
  }),
  'tokens-file': z.string(),
  'allowed-origins': z.string(),
  'log-level': z.enum(['debug', 'info', 'warn', 'error']),
  'worker-concurrency': intIn(1, 64),
  'task-max-attempts': intIn(1, 100),
  'task-lease': duration('task-lease'),
  'rules-file': z.string(),
  'role-agents': z.string(),
  config: z.string(),
});

export class ConfigError extends InvalidInputError {}

/** A size: bytes, or with a unit (`200MiB`, `1GiB`, `512KiB`, `10MB`). Null when it is not one. */
export function parseBytes(v: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?$/i.exec(v.trim());
  if (!m) return null;
  const unit = (m[2] ?? 'b').toLowerCase();
  const mult = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3 }[unit]!;
  return Math.floor(Number(m[1]) * mult);
}

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

/** `postgres://…[?schema=name]`: the schema parameter is longhaul's (pg does not know it), taken out of the URL. */
function postgresSpec(value: string): StoreSpec {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('Invalid configuration:\n  store (LONGHAUL_STORE): not a valid postgres:// URL.');
  }
  const schema = url.searchParams.get('schema');
  url.searchParams.delete('schema');
  if (schema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new ConfigError('Invalid configuration:\n  store (LONGHAUL_STORE): ?schema= must be lower-case letters, digits and "_" (at most 63), starting with a letter or "_".');
  }
  return { kind: 'postgres', url: url.toString(), ...(schema ? { schema } : {}) };
}

/** `redis://…[?prefix=lh:]`: the prefix parameter is longhaul's, taken out of the URL. */
function redisSettings(value: string): Config['redis'] {
  if (!value) return null;
  const url = new URL(value);
  const prefix = url.searchParams.get('prefix') ?? 'lh:';
  url.searchParams.delete('prefix');
  if (!/^[A-Za-z0-9:_.-]{1,64}$/.test(prefix)) {
    throw new ConfigError('Invalid configuration:\n  redis-url (LONGHAUL_REDIS_URL): ?prefix= must be 1-64 letters, digits, ":", "_", ".", "-".');
  }
  return { url: url.toString(), prefix };
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
      // A URL's password never reaches a message.
      const shown = typeof raw[name] === 'string' ? raw[name].replace(/(\/\/[^/:@]*:)[^@/]*@/, '$1***@') : raw[name];
      return `${name} (${s?.env ?? '?'}=${JSON.stringify(shown)}): ${i.message}`;
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
  else store = postgresSpec(v.store);
  if (v.memory === 'agentcore') {
    if (!v['agentcore-memory-id'] || !v['aws-region']) {
      throw new ConfigError('Invalid configuration:\n  memory (LONGHAUL_MEMORY=agentcore) needs LONGHAUL_AGENTCORE_MEMORY_ID and AWS_REGION.');
    }
  }
  const memory: Config['memory'] =
    v.memory === 'agentcore'
      ? {
          kind: 'agentcore',
          memoryId: v['agentcore-memory-id'],
          region: v['aws-region'],
          extraction: v['agentcore-extraction'],
          endpoint: v['aws-endpoint-url-bedrock-agentcore'] || null,
          rate: v['agentcore-rate-limit'],
        }
      : { kind: 'store' };
  let model: Config['model'] = { kind: 'none' };
  if (v.model === 'sampling') model = { kind: 'sampling' };
  else if (v.model.startsWith('openai:')) {
    model = { kind: 'openai', baseUrl: v.model.slice('openai:'.length).replace(/\/+$/, ''), modelName: v['model-name'], apiKey: v['openai-api-key'] || null };
  }
  const list = (s: string, sep: string) => s.split(sep).map((x) => x.trim()).filter(Boolean);
  const config: Config = {
    dataDir,
    store,
    redis: redisSettings(v['redis-url']),
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
    http: {
      host: v['http-host'],
      port: v['http-port'],
      tokensFile: v['tokens-file'] ? resolve(v['tokens-file']) : null,
      allowedOrigins: list(v['allowed-origins'], ','),
      publicUrl: v['http-public-url'] ? v['http-public-url'].replace(/\/+$/, '') : null,
      rateLimit: v['http-rate-limit'],
      oauth: v['oauth-issuer']
        ? {
            issuer: v['oauth-issuer'].replace(/\/+$/, ''),
            audience: v['oauth-audience'],
            jwksUrl: v['oauth-jwks-url'] || null,
            tenantClaim: v['oauth-tenant-claim'],
            actorClaim: v['oauth-actor-claim'],
            scopeClaim: v['oauth-scope-claim'],
          }
        : null,
    },
    tenantsFile: v['tenants-file'] ? resolve(v['tenants-file']) : null,
    signalLimits: { count: v['max-signals'], bytes: v['max-signal-bytes'] },
    logLevel: v['log-level'],
    workers: { concurrency: v['worker-concurrency'], maxAttempts: v['task-max-attempts'], leaseMs: v['task-lease'] },
    rulesFile: v['rules-file'] ? resolve(v['rules-file']) : null,
    roleAgents: roleAgentSettings(env, v['role-agents']),
  };
  return deepFreeze(config);
}

/**
 * Roles bound to AgentCore Runtime agents: every `LONGHAUL_ROLE_<NAME>_AGENT_ARN` in the
 * env (NAME lower-cased is the role: COMPLIANCE → compliance, DUE_DILIGENCE →
 * due_diligence), then `role-agents` (flag or config file, `role=arn` comma-separated),
 * which wins for the roles it names. Each ARN is checked here: a bad one stops start-up.
 */
export function roleAgentSettings(env: NodeJS.ProcessEnv, setting: string): Record<string, string> {
  const out: Record<string, string> = {};
  const problems: string[] = [];
  const bind = (role: string, arn: string, where: string) => {
    if (!/^[a-z][a-z0-9_-]{0,63}$/.test(role)) problems.push(`${where}: "${role.slice(0, 60)}" is not a role name (lower-case letters, digits, "_", "-")`);
    else {
      const problem = agentRuntimeArnProblem(arn.trim());
      if (problem) problems.push(`${where}: ${problem}`);
      else out[role] = arn.trim();
    }
  };
  for (const [key, value] of Object.entries(env)) {
    const m = /^LONGHAUL_ROLE_([A-Z0-9_]+)_AGENT_ARN$/.exec(key);
    if (m && value) bind(m[1]!.toLowerCase(), value, key);
  }
  for (const pair of setting.split(',').map((x) => x.trim()).filter(Boolean)) {
    const i = pair.indexOf('=');
    if (i <= 0) problems.push(`role-agents: "${pair.slice(0, 80)}" must be role=arn (e.g. compliance=arn:aws:bedrock-agentcore:…)`);
    else bind(pair.slice(0, i).trim(), pair.slice(i + 1), `role-agents (${pair.slice(0, i).trim()})`);
  }
  if (problems.length) throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  return out;
}

function deepFreeze<T>(o: T): Readonly<T> {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
