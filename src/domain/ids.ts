import { randomBytes } from 'node:crypto';
import type { Clock } from './clock.js';
import { InvalidInputError } from './errors.js';

export type IdPrefix = 'inv' | 'ses' | 'tsk' | 'wait' | 'sig' | 'evt' | 'rec' | 'rpt' | 'inb' | 'era';

/** Generates ids of the form `{prefix}_{time}{random}`. Injected so tests can fix ids. */
export type IdGenerator = (prefix: IdPrefix) => string;

const B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford base32, as in ULID

/**
 * ULID-like ids: 10 chars of time (ms) then 20 of randomness, so ids sort by creation
 * time (cursors page by id). With the prefix they are 34–35 chars: valid AgentCore
 * session ids (`[a-zA-Z0-9][a-zA-Z0-9-_]*`, ≤ 100) and long enough for AgentCore
 * runtime session ids (33–256).
 */
export function createIdGenerator(clock: Clock): IdGenerator {
  let lastTime = -1;
  let lastRand: number[] = [];
  return (prefix) => {
    const t = clock.now();
    let rand: number[];
    if (t === lastTime) {
      // Same millisecond: increment the previous randomness so ids stay strictly ordered.
      rand = [...lastRand];
      for (let i = rand.length - 1; i >= 0; i--) {
        if (rand[i]! < 31) {
          rand[i]!++;
          break;
        }
        rand[i] = 0;
      }
    } else {
      const bytes = randomBytes(20);
      rand = Array.from(bytes, (b) => b & 31);
    }
    lastTime = t;
    lastRand = rand;
    let time = '';
    let n = t;
    for (let i = 0; i < 10; i++) {
      time = B32[n % 32]! + time;
      n = Math.floor(n / 32);
    }
    return `${prefix}_${time}${rand.map((r) => B32[r]).join('')}`;
  };
}

const ID_PATTERN = /^[a-z]{2,5}_[0-9A-Z]{30}$/;

/** Asserts that `value` is an id of the expected kind; a clear error otherwise. */
export function assertId(value: string, prefix: IdPrefix, what = `${prefix} id`): string {
  if (typeof value !== 'string' || !ID_PATTERN.test(value) || !value.startsWith(prefix + '_')) {
    throw new InvalidInputError(
      `${what}: "${truncate(value)}" is not a valid id; expected "${prefix}_" followed by 30 letters/digits (e.g. as returned by start_investigation).`,
      { value },
    );
  }
  return value;
}

/** Identifiers a caller chooses (actor ids, signal names, roles): allow-listed. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,254}$/;
export function assertName(value: string, what: string, max = 255): string {
  if (typeof value !== 'string' || value.length > max || !NAME.test(value) || value.includes('..')) {
    throw new InvalidInputError(
      `${what}: "${truncate(value)}" is not allowed; use letters, digits, ".", "_", "-" or "@" (start with a letter or digit, no "..", at most ${max} characters).`,
      { value },
    );
  }
  return value;
}

const truncate = (v: unknown) => {
  const s = String(v);
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
};
