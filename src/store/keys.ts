import { InvalidInputError } from '../domain/errors.js';

const PART = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,254}$/;

/**
 * The one function that builds a storage key for tenant data. Every adapter key
 * (keyv keys, Redis keys, lease names scoped to a tenant) comes from here, so a
 * tenant can only ever address its own keys. Each part is allow-listed: no `:`,
 * `/`, `*`, `..` or whitespace can smuggle in another tenant's prefix.
 */
export function tenantKey(tenantId: string, ...parts: string[]): string {
  for (const p of [tenantId, ...parts]) {
    if (typeof p !== 'string' || !PART.test(p) || p.includes('..')) {
      throw new InvalidInputError(`"${String(p).slice(0, 60)}" cannot be part of a storage key (allowed: letters, digits, ".", "_", "-", "@").`);
    }
  }
  return ['t', tenantId, ...parts].join(':');
}

/** Asserts a tenant id is well-formed (the same rule as key parts). */
export function assertTenantId(tenantId: string): string {
  tenantKey(tenantId);
  return tenantId;
}
