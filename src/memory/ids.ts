import { createHash } from 'node:crypto';
import type { Strategy } from '../domain/record.js';

const B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford base32, as in generated ids

/**
 * A record id derived from what the record came from, so re-running extraction over
 * the same events (after a crash, a lost CAS, a retry) names the same record and never
 * duplicates it. `rec_` + 30 base32 chars (150 bits of SHA-256): the shape
 * `assertId(…, 'rec')` accepts.
 *
 * - facts / preferences: (tenant, strategy, namespace, first source event id)
 * - summary: (tenant, 'summary', session id) — one per session, refreshed in place
 */
export function derivedRecordId(tenantId: string, strategy: Strategy, ...parts: string[]): string {
  const digest = createHash('sha256').update([tenantId, strategy, ...parts].join('\u0000')).digest();
  let bits = 0;
  let acc = 0;
  let out = '';
  for (const byte of digest) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 30) {
      out += B32[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
    if (out.length === 30) break;
  }
  return `rec_${out}`;
}
