import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { isWorkerActor, RESERVED_ACTOR_HELP } from '../../domain/actors.js';
import { ConfigError } from '../../config.js';
import { systemClock } from '../../domain/clock.js';
import { InvalidInputError, LonghaulError, NotFoundError } from '../../domain/errors.js';
import type { Logger } from '../../logger.js';

/**
 * LONGHAUL_TOKENS_FILE: bearer tokens for `serve --http`, stored only as SHA-256 hashes.
 *
 *   {"tokens": [{"sha256": "<hex>", "tenant": "T", "actor": "A", "scopes": ["read", "write"]}]}
 *
 * The server re-reads the file when it changes (a stat per request, and on a timer: a
 * revoked token stops working on the next request, and the MCP sessions it holds are
 * closed within seconds). The CLI edits it under a lock file, writing a temporary file
 * and renaming it over the old one, so a reader never sees half a file.
 */

/** Scopes a token can carry: `read` (read-only tools, resources, prompts, subscriptions), `write` (every tool). */
export const KNOWN_SCOPES = ['read', 'write', 'admin'] as const;

const ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,254}$/;
const ID_HELP = 'letters, digits, ".", "_", "-", "@" (≤ 255)';

const EntrySchema = z.looseObject({
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits (the SHA-256 of the token)'),
  tenant: z.string().regex(ID, `must be ${ID_HELP}`),
  actor: z.string().regex(ID, `must be ${ID_HELP}`).refine((a) => !isWorkerActor(a), RESERVED_ACTOR_HELP),
  // Unknown scopes are kept (a later version may define them) but grant nothing here.
  scopes: z.array(z.string().regex(/^[a-z][a-z0-9:_-]{0,63}$/, 'must be a scope name such as "read"')).max(16),
});
const FileSchema = z.looseObject({ tokens: z.array(EntrySchema).max(100_000) });

export type TokenEntry = z.infer<typeof EntrySchema>;
type TokensDocument = z.infer<typeof FileSchema>;

/** The SHA-256 of a token, in hex: what the file stores and what rate limits are keyed by. */
export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** A new bearer token: `lh_` and 32 random bytes in base64url. */
export const newToken = (): string => `lh_${randomBytes(32).toString('base64url')}`;

/** How a token is shown by `token list` and named by `token revoke`: the first 12 hex digits of its hash. */
export const hashPrefix = (sha256: string): string => sha256.slice(0, 12);

/** Parses the file's text; throws ConfigError naming the file and the first bad entry. */
export function parseTokensFile(text: string, path: string): TokensDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`tokens file ${path}: not valid JSON (${(e as Error).message}).`);
  }
  const r = FileSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new ConfigError(`tokens file ${path}: ${i.path.join('.') || '(top level)'} ${i.message}. Expected {"tokens": [{"sha256": "<hex>", "tenant": "T", "actor": "A", "scopes": ["read", "write"]}]}.`);
  }
  return r.data;
}

interface Loaded {
  /** What the file looked like when read (inode, size, mtime): a change means re-read. */
  stamp: string;
  entries: readonly TokenEntry[];
  hashes: readonly Buffer[];
  /** The entries' hashes in hex, for `has`. */
  listed: ReadonlySet<string>;
}

/** What a reload tells listeners: the entries now in force, and whether the file was read (false: missing or invalid, so none is). */
export interface TokensChange {
  entries: readonly TokenEntry[];
  ok: boolean;
}

const loadedOf = (stamp: string, entries: readonly TokenEntry[]): Loaded => ({
  stamp,
  entries,
  hashes: entries.map((t) => Buffer.from(t.sha256, 'hex')),
  listed: new Set(entries.map((t) => t.sha256)),
});

const stampOf = (path: string): string | null => {
  try {
    const st = statSync(path);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return null;
  }
};

/**
 * The tokens file as the server reads it. `verify` and `entries` stat the file first
 * (cheap) and re-read it when its inode, size or mtime changed; each re-read is told to
 * the `onChange` listeners (the server closes sessions of tokens no longer listed and
 * updates the tenants it serves). A file that becomes unreadable or invalid while the
 * server runs grants nothing until it is fixed (fail closed: a half-edited file must not
 * keep a revoked token alive), and the error is logged once.
 */
export class TokensFile {
  private loaded: Loaded = loadedOf('', []);
  private readonly listeners = new Set<(change: TokensChange) => void>();

  constructor(
    readonly path: string,
    private readonly logger: Logger,
  ) {}

  /** Reads the file now; throws ConfigError when it is missing or invalid (start-up). */
  load(): readonly TokenEntry[] {
    const stamp = stampOf(this.path);
    if (stamp === null) {
      throw new ConfigError(`tokens file ${this.path} (LONGHAUL_TOKENS_FILE) does not exist. Create it with a first token: longhaul token create --tenant T --actor A --tokens-file ${this.path}`);
    }
    this.loaded = this.read(stamp);
    return this.loaded.entries;
  }

  /** Calls `listener` after every re-read of the file (not the first `load`); returns the function that stops it. */
  onChange(listener: (change: TokensChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The current entries, re-read if the file changed (then the listeners hear of it). */
  entries(): readonly TokenEntry[] {
    const stamp = stampOf(this.path) ?? 'missing';
    if (stamp !== this.loaded.stamp) {
      let ok = false;
      try {
        this.loaded = stamp === 'missing' ? loadedOf(stamp, []) : this.read(stamp);
        ok = stamp !== 'missing';
        if (stamp === 'missing') this.logger.error('the tokens file is gone; no token is accepted until it is back', { file: this.path });
        else this.logger.info('tokens file reloaded', { file: this.path, tokens: this.loaded.entries.length });
      } catch (e) {
        this.loaded = loadedOf(stamp, []);
        this.logger.error('the tokens file is invalid; no token is accepted until it is fixed', { file: this.path, error: (e as Error).message });
      }
      const change: TokensChange = { entries: this.loaded.entries, ok };
      for (const listener of this.listeners) {
        try {
          listener(change);
        } catch (e) {
          this.logger.error('a tokens file listener failed', { error: (e as Error).message });
        }
      }
    }
    return this.loaded.entries;
  }

  /**
   * Is a token hash (hex) listed, as of the last read? No stat: the server's reads (each
   * request, and its timer) keep this current. What a session's liveness is judged by.
   */
  has(sha256: string): boolean {
    return this.loaded.listed.has(sha256);
  }

  /**
   * The entry whose hash is the token's, or null. Compares the token's hash with every
   * entry in constant time per entry and without stopping at a match, so the time taken
   * says nothing about which hashes exist.
   */
  verify(token: string): TokenEntry | null {
    const entries = this.entries();
    const hash = createHash('sha256').update(token, 'utf8').digest();
    let found: TokenEntry | null = null;
    for (let i = 0; i < entries.length; i++) {
      if (timingSafeEqual(hash, this.loaded.hashes[i]!) && found === null) found = entries[i]!;
    }
    return found;
  }

  private read(stamp: string): Loaded {
    const doc = parseTokensFile(readFileSync(this.path, 'utf8'), this.path);
    return loadedOf(stamp, doc.tokens);
  }
}

// ---- editing the file (the `longhaul token` commands) ----

const LOCK_WAIT_MS = 5_000;
const STALE_LOCK_MS = 30_000;

/** Runs `fn` holding `<file>.lock` (created exclusively), so two `token` commands never lose each other's edit. */
function withLock<T>(path: string, fn: () => T): T {
  const lock = `${path}.lock`;
  // The wall clock, not an injected one: a lock's age is judged against its file's mtime.
  const now = () => systemClock.now();
  const deadline = now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        // A lock left by a crashed command is taken over after a while.
        if (now() - statSync(lock).mtimeMs > STALE_LOCK_MS) unlinkSync(lock);
      } catch {
        /* gone meanwhile */
      }
      if (now() > deadline) throw new LonghaulError('conflict', `${lock} is held by another longhaul token command; try again (or remove the lock file if no such command runs).`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
  try {
    return fn();
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      /* already gone */
    }
  }
}

function readForEdit(path: string): TokensDocument {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { tokens: [] };
    throw new ConfigError(`tokens file ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  }
  return parseTokensFile(text, path);
}

/** Writes the whole file atomically: a temporary file (mode 0600) in the same folder, fsynced, renamed over the old one. */
function writeAtomic(path: string, doc: TokensDocument): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, JSON.stringify(doc, null, 2) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* nothing to clean */
    }
    throw e;
  }
}

function parseScopes(scopes: readonly string[]): string[] {
  const out = [...new Set(scopes.map((s) => s.trim()).filter(Boolean))];
  if (out.length === 0) throw new InvalidInputError(`--scopes: give at least one of ${KNOWN_SCOPES.join(', ')}.`);
  for (const s of out) {
    if (!(KNOWN_SCOPES as readonly string[]).includes(s)) throw new InvalidInputError(`--scopes: "${s}" is not a scope; use ${KNOWN_SCOPES.join(', ')} (comma-separated).`);
  }
  return out;
}

/**
 * Adds a new token for (tenant, actor) to the file (creating it, mode 0600) and returns
 * the token — the only time it exists in clear; the file keeps its hash.
 */
export function createToken(path: string, input: { tenant: string; actor: string; scopes: readonly string[]; createdAt: string }): { token: string; entry: TokenEntry } {
  if (!ID.test(input.tenant)) throw new InvalidInputError(`--tenant "${input.tenant}": must be ${ID_HELP}.`);
  if (!ID.test(input.actor)) throw new InvalidInputError(`--actor "${input.actor}": must be ${ID_HELP}.`);
  if (isWorkerActor(input.actor)) throw new InvalidInputError(`--actor "${input.actor}": ${RESERVED_ACTOR_HELP}; choose a person's id.`);
  const scopes = parseScopes(input.scopes);
  const token = newToken();
  const entry: TokenEntry = { sha256: hashToken(token), tenant: input.tenant, actor: input.actor, scopes, createdAt: input.createdAt };
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  withLock(path, () => {
    const doc = readForEdit(path);
    writeAtomic(path, { ...doc, tokens: [...doc.tokens, entry] });
  });
  return { token, entry };
}

/** The file's entries (hashes, never tokens); none when the file does not exist yet. */
export function listTokens(path: string): readonly TokenEntry[] {
  return readForEdit(path).tokens;
}

/** Removes the token whose hash starts with `prefix` (at least 6 hex digits, matching exactly one entry). */
export function revokeToken(path: string, prefix: string): TokenEntry {
  const p = prefix.trim().toLowerCase();
  if (!/^[0-9a-f]{6,64}$/.test(p)) throw new InvalidInputError(`"${prefix}" is not a hash prefix: give at least 6 hex digits as \`longhaul token list\` shows them.`);
  if (stampOf(path) === null) throw new NotFoundError('token', p, `the tokens file ${path} does not exist`);
  return withLock(path, () => {
    const doc = readForEdit(path);
    const matches = doc.tokens.filter((t) => t.sha256.startsWith(p));
    if (matches.length === 0) throw new NotFoundError('token', p, '`longhaul token list` shows the hash prefixes');
    if (matches.length > 1) throw new InvalidInputError(`"${p}" matches ${matches.length} tokens; give more digits of the hash.`);
    writeAtomic(path, { ...doc, tokens: doc.tokens.filter((t) => t !== matches[0]) });
    return matches[0]!;
  });
}
