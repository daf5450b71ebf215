import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, parseBytes, SETTINGS, type Config } from './config.js';
import { parseDuration } from './domain/duration.js';
import { agentRuntimeArnProblem } from './workers/agentcore-contract.js';
import { DEFAULT_RULES, loadRules, parseRules, type ComplianceRules } from './workers/compliance/rules.js';
import { parseSourceEntries, sourceSpecs, type SourceSpec } from './workers/sources/config.js';

/**
 * Per-tenant configuration: `LONGHAUL_TENANTS_FILE` (DESIGN "Sources"), for a process
 * that serves several tenants (HTTP):
 *
 * ```json
 * {"tenants": {
 *   "acme": {
 *     "sources": [{"name": "docs", "folder": "acme/documents"}, {"name": "crm", "database": "sqlite:acme/crm.db", "tables": ["accounts"]}],
 *     "rulesFile": "rules/acme.json",
 *     "model": "openai:http://llm.acme.internal:11434/v1", "modelName": "llama3", "apiKeyEnv": "ACME_OPENAI_KEY",
 *     "limits": {"maxSignals": 200, "maxSignalBytes": "50MiB", "rateLimit": "120/1m"},
 *     "agents": {"compliance": "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/acme_compliance-AbCdEf1234"}
 *   },
 *   "globex": {"sources": [{"name": "docs", "folder": "/srv/globex/docs"}], "model": "sampling"}
 * }}
 * ```
 *
 * Relative paths (folders, `sqlite:` files, `rulesFile`) resolve against the tenants
 * file's folder. Every field is optional; what a tenant's entry gives replaces the
 * process-wide setting for that tenant only. What it leaves out (or a tenant without
 * an entry) falls back, field by field:
 * - sources: the stdio tenant (`LONGHAUL_TENANT`) keeps `LONGHAUL_SOURCES` and
 *   `LONGHAUL_SOURCES_FILE`; every other tenant has none — sources are data, and a
 *   tenant only ever searches the ones named for it;
 * - rulesFile: the stdio tenant keeps `LONGHAUL_RULES_FILE`; every other tenant gets the
 *   built-in rules;
 * - model: `LONGHAUL_MODEL` (with `LONGHAUL_MODEL_NAME`);
 * - limits: `LONGHAUL_MAX_SIGNALS`, `LONGHAUL_MAX_SIGNAL_BYTES`, `LONGHAUL_HTTP_RATE_LIMIT`;
 * - agents, role by role: `LONGHAUL_ROLE_<NAME>_AGENT_ARN` (config `roleAgents`); a role
 *   bound to an AgentCore Runtime agent runs there instead of its built-in code, and
 *   `null` keeps a tenant on the built-in role whatever the env binds.
 *
 * An `openai:` model of a tenant is sent an API key only from `apiKeyEnv` (the name of
 * an environment variable), or `OPENAI_API_KEY` when its base URL is LONGHAUL_MODEL's
 * own: the process-wide key never goes to an endpoint a tenant's entry names.
 *
 * The file is read once, at start-up; a mistake is a ConfigError naming the file, the
 * tenant and the field, and the server does not start.
 */

/** Per-tenant limits, each defaulting to its process-wide setting. */
export interface TenantLimits {
  /** Per investigation: at most `count` signals and `bytes` of payloads and files together. */
  signals: { count: number; bytes: number };
  /** HTTP: requests per token of this tenant per window (LONGHAUL_HTTP_RATE_LIMIT's meaning). */
  rateLimit: { requests: number; windowMs: number };
}

/** One tenant's entry, parsed: only the fields it gave. */
export interface TenantEntry {
  readonly id: string;
  readonly sources?: readonly SourceSpec[];
  readonly rulesFile?: string;
  readonly rules?: ComplianceRules;
  readonly model?: Config['model'];
  readonly limits: { maxSignals?: number; maxSignalBytes?: number; rateLimit?: { requests: number; windowMs: number } };
  /** Role → AgentCore Runtime agent ARN for this tenant; null: the built-in role, whatever the env binds. */
  readonly agents?: Readonly<Record<string, string | null>>;
}

export interface TenantsFile {
  readonly file: string;
  readonly tenants: ReadonlyMap<string, TenantEntry>;
}

const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,254}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

const Limits = z
  .object({
    maxSignals: z.number().int('must be a whole number').min(1).max(10_000_000).optional().describe('signals one investigation may hold'),
    maxSignalBytes: z
      .union([z.number().int().min(1024), z.string()])
      .transform((v, ctx) => {
        const b = typeof v === 'number' ? v : parseBytes(v);
        if (b === null || b < 1024) {
          ctx.addIssue({ code: 'custom', message: `"${v}" must be a size such as "200MiB", "1GiB" or a number of bytes (at least 1 KiB)` });
          return z.NEVER;
        }
        return b;
      })
      .optional(),
    rateLimit: z
      .string()
      .transform((v, ctx) => {
        const r = parseRateLimit(v);
        if (!r) {
          ctx.addIssue({ code: 'custom', message: `"${v}" must be requests per window, such as "600/1m" (at least 1 request, a window of at least 1s)` });
          return z.NEVER;
        }
        return r;
      })
      .optional(),
  })
  .strict();

const Entry = z
  .object({
    sources: z.array(z.unknown()).optional(),
    rulesFile: z.string().min(1).optional(),
    model: z
      .string()
      .refine((v) => v === 'none' || v === 'sampling' || /^openai:https?:\/\/\S+$/.test(v), 'must be `none`, `sampling` or `openai:<http(s) base url>`')
      .optional(),
    modelName: z.string().min(1).max(200).optional(),
    apiKeyEnv: z.string().regex(ENV_NAME, 'must be the name of an environment variable').optional(),
    limits: Limits.optional(),
    agents: z
      .record(
        z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'must be a role name (lower-case letters, digits, "_", "-")'),
        z
          .string()
          .nullable()
          .superRefine((v, ctx) => {
            const problem = v === null ? null : agentRuntimeArnProblem(v);
            if (problem) ctx.addIssue({ code: 'custom', message: problem });
          }),
      )
      .optional(),
  })
  .strict();

const TopLevel = z.object({ tenants: z.record(z.string(), z.unknown()) }).strict();

/** `600/1m` → 600 requests per 60 s; null when it is not one (at least 1 request, a window of at least 1 s). */
export function parseRateLimit(v: string): { requests: number; windowMs: number } | null {
  const m = /^(\d+)\s*\/\s*(\S+)$/.exec(v.trim());
  if (!m || Number(m[1]) < 1) return null;
  try {
    const windowMs = parseDuration(m[2]!, 'rateLimit');
    return windowMs >= 1000 ? { requests: Number(m[1]), windowMs } : null;
  } catch {
    return null;
  }
}

export interface TenantsFileOptions {
  /** Process-wide model settings: `modelName` default, and the key that may go to LONGHAUL_MODEL's own endpoint. */
  model: Config['model'];
  defaultModelName: string;
  /** Where `apiKeyEnv` names are looked up (the composition root passes process.env). */
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * Parses the tenants file's JSON. `file` is its absolute path: relative paths resolve
 * against its folder, and errors name it. Rules files are read and checked here.
 */
export function parseTenantsFile(json: string, file: string, opts: TenantsFileOptions): TenantsFile {
  const where = `tenants-file: ${file}`;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new ConfigError(`${where} is not valid JSON (${(e as Error).message}).`);
  }
  const top = TopLevel.safeParse(raw);
  if (!top.success) throw new ConfigError(`${where} must hold {"tenants": {"<tenant id>": {"sources": [...], "rulesFile": "...", "model": "...", "limits": {...}}}} (README "Host it for a team").`);
  const base = dirname(file);
  const tenants = new Map<string, TenantEntry>();
  for (const [id, value] of Object.entries(top.data.tenants)) {
    const at = `tenants.${id}`;
    if (!TENANT_ID.test(id)) throw new ConfigError(`${where}: ${at}: "${id.slice(0, 60)}" is not a tenant id (letters, digits, ".", "_", "-", "@"; ≤ 255).`);
    const r = Entry.safeParse(value);
    if (!r.success) {
      const lines = r.error.issues.map((i) => `${at}${i.path.length ? '.' + i.path.join('.') : ''}: ${i.message}`);
      throw new ConfigError(`${where} has an invalid tenant (each is {"sources"?, "rulesFile"?, "model"?, "modelName"?, "apiKeyEnv"?, "limits"?, "agents"?}):\n  ${lines.join('\n  ')}`);
    }
    const e = r.data;
    const entry: { -readonly [K in keyof TenantEntry]: TenantEntry[K] } = { id, limits: { ...e.limits } };
    if (e.sources) entry.sources = Object.freeze(parseSourceEntries(e.sources, { baseDir: base, where, path: `${at}.sources` }));
    if (e.rulesFile) {
      entry.rulesFile = resolve(base, e.rulesFile);
      entry.rules = tenantRules(entry.rulesFile, `${where}: ${at}.rulesFile`);
    }
    if (e.model) entry.model = tenantModel(e, opts, `${where}: ${at}`);
    else if (e.modelName || e.apiKeyEnv) throw new ConfigError(`${where}: ${at}: modelName and apiKeyEnv go with "model": "openai:<base url>".`);
    if (e.agents) entry.agents = Object.freeze({ ...e.agents });
    tenants.set(id, Object.freeze(entry));
  }
  return Object.freeze({ file, tenants });
}

function tenantRules(path: string, where: string): ComplianceRules {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`${where}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  }
  try {
    return parseRules(text, path, dirname(path));
  } catch (e) {
    throw e instanceof ConfigError ? new ConfigError(`${where}: ${e.message}`) : e;
  }
}

function tenantModel(e: { model?: string; modelName?: string; apiKeyEnv?: string }, opts: TenantsFileOptions, where: string): Config['model'] {
  const v = e.model!;
  if (v === 'none' || v === 'sampling') {
    if (e.modelName || e.apiKeyEnv) throw new ConfigError(`${where}: modelName and apiKeyEnv go with "model": "openai:<base url>", not "${v}".`);
    return { kind: v };
  }
  const baseUrl = v.slice('openai:'.length).replace(/\/+$/, '');
  let apiKey: string | null = null;
  if (e.apiKeyEnv) {
    apiKey = opts.env[e.apiKeyEnv] || null;
    if (!apiKey) throw new ConfigError(`${where}.apiKeyEnv: the environment variable ${e.apiKeyEnv} is not set.`);
  } else if (opts.model.kind === 'openai' && opts.model.baseUrl === baseUrl) {
    apiKey = opts.model.apiKey;
  }
  return { kind: 'openai', baseUrl, modelName: e.modelName ?? (opts.model.kind === 'openai' ? opts.model.modelName : opts.defaultModelName), apiKey };
}

/** Reads and parses the tenants file (ConfigError when it cannot be read). */
export function loadTenantsFile(file: string, opts: TenantsFileOptions): TenantsFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`tenants-file (LONGHAUL_TENANTS_FILE=${file}): cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  }
  return parseTenantsFile(text, file, opts);
}

/**
 * Every tenant's settings with the precedence above: the tenants file's entry, field by
 * field, over the process-wide settings (sources and rules only for the stdio tenant).
 * Built once by the composition root; everything per tenant asks here.
 */
export class TenantSettings {
  private readonly stdioSources: readonly SourceSpec[];
  private readonly stdioRules: ComplianceRules;

  constructor(
    private readonly config: Readonly<Config>,
    /** The parsed tenants file, or null when none is configured. */
    readonly file: TenantsFile | null,
  ) {
    // Bad process-wide files stop start-up here too, each error naming its file.
    this.stdioSources = Object.freeze(sourceSpecs(config.sources, config.sourcesFile));
    this.stdioRules = loadRules(config.rulesFile);
  }

  /** The tenants of the tenants file, in its order (none without one). */
  ids(): string[] {
    return this.file ? [...this.file.tenants.keys()] : [];
  }

  entry(tenantId: string): TenantEntry | undefined {
    return this.file?.tenants.get(tenantId);
  }

  /** The folders and databases a tenant's retrieval searches; none for a tenant nothing names them for. */
  sourcesFor(tenantId: string): readonly SourceSpec[] {
    return this.entry(tenantId)?.sources ?? (tenantId === this.config.tenant ? this.stdioSources : []);
  }

  /** The compliance rules of a tenant. */
  rulesFor(tenantId: string): ComplianceRules {
    return this.entry(tenantId)?.rules ?? (tenantId === this.config.tenant ? this.stdioRules : DEFAULT_RULES);
  }

  /** The models the tenants file names, per tenant (the others use LONGHAUL_MODEL). */
  models(): Map<string, Config['model']> {
    const out = new Map<string, Config['model']>();
    for (const [id, e] of this.file?.tenants ?? []) if (e.model) out.set(id, e.model);
    return out;
  }

  /**
   * The AgentCore Runtime agent a role runs on for a tenant: its tenants-file entry's
   * `agents` (where `null` means the built-in role), else LONGHAUL_ROLE_<NAME>_AGENT_ARN,
   * else null.
   */
  agentFor(role: string, tenantId: string): string | null {
    const own = this.entry(tenantId)?.agents;
    if (own && Object.hasOwn(own, role)) return own[role] ?? null;
    return Object.hasOwn(this.config.roleAgents ?? {}, role) ? this.config.roleAgents[role]! : null;
  }

  /** Every role bound to an agent for some tenant (the env's and the tenants file's). */
  agentRoles(): string[] {
    const names = new Set(Object.keys(this.config.roleAgents ?? {}));
    for (const e of this.file?.tenants.values() ?? []) for (const [role, arn] of Object.entries(e.agents ?? {})) if (arn) names.add(role);
    return [...names];
  }

  /** A tenant's limits: its entry's, else the process-wide settings. */
  limitsFor(tenantId: string): TenantLimits {
    const own = this.entry(tenantId)?.limits ?? {};
    return {
      signals: { count: own.maxSignals ?? this.config.signalLimits.count, bytes: own.maxSignalBytes ?? this.config.signalLimits.bytes },
      rateLimit: own.rateLimit ?? this.config.http.rateLimit,
    };
  }
}

/**
 * The tenants whose background work (workers, extraction, source indexing) a process
 * runs by default: without a tenants file, the stdio tenant; with one, its tenants and
 * the stdio tenant (the identity of stdio and of credential-less loopback HTTP), whose
 * work would otherwise never run. `createApp` uses this unless given `servedTenants`;
 * the HTTP transport need not pass anything.
 */
export function servedTenantsFor(config: Readonly<Config>, tenants: TenantSettings): readonly string[] {
  const ids = tenants.ids();
  return ids.includes(config.tenant) ? ids : [...ids, config.tenant];
}

/**
 * The tenant ids LONGHAUL_TENANTS_FILE names (none without one), read without building
 * anything — for deciding `servedTenants` before `createApp`, which validates the whole
 * file (a mistake there still stops start-up). ConfigError when it cannot be read as
 * `{"tenants": {...}}`.
 */
export function tenantsFileTenants(config: Readonly<Config>): string[] {
  const file = config.tenantsFile;
  if (!file) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(`tenants-file (LONGHAUL_TENANTS_FILE=${file}): cannot read it as JSON (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  }
  const top = TopLevel.safeParse(raw);
  if (!top.success) throw new ConfigError(`tenants-file: ${file} must hold {"tenants": {"<tenant id>": {...}}} (README "Host it for a team").`);
  return Object.keys(top.data.tenants);
}

/** The tenants settings for a config: reads the tenants file when one is configured. */
export function loadTenantSettings(config: Readonly<Config>, env: Readonly<Record<string, string | undefined>> = {}): TenantSettings {
  const file = config.tenantsFile ? loadTenantsFile(config.tenantsFile, { model: config.model, defaultModelName: SETTINGS['model-name'].default, env }) : null;
  return new TenantSettings(config, file);
}
