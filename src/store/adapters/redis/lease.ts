import { InvalidInputError } from '../../../domain/errors.js';
import type { RedisConnection } from './connection.js';

/** A lease held: its fencing token, higher than every token handed out before it. */
export interface HeldLease {
  token: number;
}

/**
 * Named leases with fencing tokens on Redis.
 *
 * A lease is the hash `<prefix>lease:<name>` `{owner, token}` with a PX expiry; taking,
 * renewing and releasing it are Lua scripts, so each is one atomic step (never
 * read-modify-write across round trips). A new acquisition draws its token from INCR
 * on `<prefix>fence`, one counter for every name, so tokens only grow — for one name
 * and across names. (One counter instead of one per name: the scheduler leases a name
 * per cron slot, and a counter per name that must never expire would grow without
 * bound.) While Redis keeps its data the counter never goes back; Redis here runs
 * without persistence, so after a Redis restart tokens start again from 1 — a process
 * that must fence across a Redis restart keeps the highest token it has seen in its
 * store write and refuses lower ones.
 *
 * Why the token: a lease only says who held it *when it was taken*. An instance that
 * is paused (a GC pause, a stopped VM, a laptop lid) after `acquire` can wake after its
 * lease expired and another instance took it — and act as if it still held it. It must
 * not: before acting (and again before each step of a long action) the job calls
 * `check(name, token)`, which is true only while the lease still exists with that very
 * token; a stale holder's token is lower than the current one and fails. A pause
 * between the check and the write itself can only be closed by the resource: the write
 * carries the token and the store refuses a token lower than the highest it has seen
 * (the fencing-token pattern). The scheduler's sweeps need neither: they are idempotent
 * and claim their work atomically, so a late duplicate pass does no harm.
 */
export interface RedisLeases {
  /**
   * Takes `name` for `owner` for `ttlMs` (SET NX PX semantics), or, when `owner` already
   * holds it, extends it to `ttlMs` from now and keeps its token. Null when another
   * owner holds it. Rejects (StorageUnavailableError) when Redis is away.
   */
  acquire(name: string, owner: string, ttlMs: number): Promise<HeldLease | null>;
  /** Extends a lease `owner` holds with `token` to `ttlMs` from now. False when it was lost (expired, or taken since). */
  renew(name: string, owner: string, token: number, ttlMs: number): Promise<boolean>;
  /** Ends the lease if `owner` holds it; another owner's lease is left alone. True when it was released. */
  release(name: string, owner: string): Promise<boolean>;
  /** True while `name` is held under exactly this token: what an action re-checks before it acts. */
  check(name: string, token: number): Promise<boolean>;
}

// KEYS[1] lease, KEYS[2] fence counter; ARGV[1] owner, ARGV[2] ttl ms.
// Returns the token held (new or kept), or nil (false) when another owner holds it.
const ACQUIRE = `
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(redis.call('HGET', KEYS[1], 'token'))
end
if owner then return false end
local token = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'token', token)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return token
`;

// KEYS[1] lease; ARGV[1] owner, ARGV[2] token, ARGV[3] ttl ms. 1 when renewed.
const RENEW = `
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] and redis.call('HGET', KEYS[1], 'token') == ARGV[2] then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0
`;

// KEYS[1] lease; ARGV[1] owner. 1 when released.
const RELEASE = `
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;

const OWNER_MAX = 200;

function checkedTtl(ttlMs: number): string {
  if (!Number.isFinite(ttlMs) || ttlMs < 1) throw new InvalidInputError(`a lease ttl must be at least 1 ms, not ${String(ttlMs)}.`);
  return String(Math.ceil(ttlMs));
}

function checkedOwner(owner: string): string {
  if (typeof owner !== 'string' || owner === '' || owner.length > OWNER_MAX) throw new InvalidInputError(`a lease owner must be 1–${OWNER_MAX} characters.`);
  return owner;
}

/**
 * The leases of `conn`. Names are `:`-separated allow-listed segments (the scheduler's
 * `cron:<task>:<slot ISO time>`); they become keys only through `conn.key`.
 */
export function redisLeases(conn: RedisConnection): RedisLeases {
  const fence = conn.key('fence');
  const leaseKey = (name: string) => conn.key('lease', name);
  const isToken = (token: number) => Number.isSafeInteger(token) && token > 0;

  return {
    async acquire(name, owner, ttlMs) {
      const keys = [leaseKey(name), fence];
      const args = [checkedOwner(owner), checkedTtl(ttlMs)];
      const r = await conn.run('lease acquire', () => conn.client.eval(ACQUIRE, { keys, arguments: args }));
      return typeof r === 'number' ? { token: r } : null;
    },
    async renew(name, owner, token, ttlMs) {
      const keys = [leaseKey(name)];
      if (!isToken(token)) return false;
      const args = [checkedOwner(owner), String(token), checkedTtl(ttlMs)];
      return (await conn.run('lease renew', () => conn.client.eval(RENEW, { keys, arguments: args }))) === 1;
    },
    async release(name, owner) {
      const keys = [leaseKey(name)];
      const args = [checkedOwner(owner)];
      return (await conn.run('lease release', () => conn.client.eval(RELEASE, { keys, arguments: args }))) === 1;
    },
    async check(name, token) {
      const key = leaseKey(name);
      if (!isToken(token)) return false;
      const held = await conn.run('lease check', () => conn.client.hGet(key, 'token'));
      return held === String(token);
    },
  };
}

/** The lease a Scheduler takes per cron slot (src/scheduler/scheduler.ts `LeaseProvider`). */
export interface SchedulerLeases {
  acquire(name: string, owner: string, ttlMs: number, now: number): Promise<boolean>;
  /** True while the lease this provider gave `owner` on `name` is still held under the same fencing token. */
  stillHeld(name: string, owner: string): Promise<boolean>;
}

/** Slot leases whose token is remembered for stillHeld: a job runs one slot at a time, so a few are plenty. */
const REMEMBERED_SLOTS = 256;

/**
 * Adapts RedisLeases to the Scheduler's lease provider: true when this owner holds the
 * slot's lease; `stillHeld` re-checks it by the fencing token it was acquired with.
 * Errors propagate (the Scheduler falls back to the store's lease).
 */
export function schedulerLeases(leases: RedisLeases): SchedulerLeases {
  const tokens = new Map<string, number>();
  return {
    async acquire(name, owner, ttlMs) {
      const held = await leases.acquire(name, owner, ttlMs);
      if (!held) return false;
      tokens.delete(`${owner}\n${name}`);
      tokens.set(`${owner}\n${name}`, held.token);
      if (tokens.size > REMEMBERED_SLOTS) tokens.delete(tokens.keys().next().value!);
      return true;
    },
    async stillHeld(name, owner) {
      const token = tokens.get(`${owner}\n${name}`);
      return token !== undefined && (await leases.check(name, token));
    },
  };
}
