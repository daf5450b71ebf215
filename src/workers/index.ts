import { DEFAULT_RULES, type ComplianceRules } from './compliance/rules.js';
import { createComplianceRole } from './compliance.js';
import { createRetrievalRole } from './retrieval.js';
import { RoleRegistry, type Role } from './role.js';

/**
 * The registry with the built-in roles (`retrieval`, `compliance`) and any custom
 * roles, each behind the same Role interface.
 */
export function createRoleRegistry(opts: { rulesFor?: (tenantId: string) => ComplianceRules; custom?: readonly Role[] } = {}): RoleRegistry {
  return new RoleRegistry([createRetrievalRole(), createComplianceRole(opts.rulesFor ?? (() => DEFAULT_RULES)), ...(opts.custom ?? [])]);
}

export { RoleRegistry } from './role.js';
export type { Role, RoleContext, Outcome, ReportDraft } from './role.js';
