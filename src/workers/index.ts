import { agentCoreRole, type AgentCoreClients } from './agentcore-runtime.js';
import { DEFAULT_RULES, type ComplianceRules } from './compliance/rules.js';
import { createComplianceRole } from './compliance.js';
import type { Logger } from '../logger.js';
import { createRetrievalRole } from './retrieval.js';
import { RoleRegistry, type Role } from './role.js';

/** Roles bound to AgentCore Runtime agents (LONGHAUL_ROLE_<NAME>_AGENT_ARN, a tenant's `agents`). */
export interface AgentBindings {
  /** Every role name bound to an agent for some tenant. */
  roles: readonly string[];
  /** The agent a role is bound to for a tenant (its tenants-file entry over the env), or null. */
  agentFor(role: string, tenantId: string): string | null;
  clients: AgentCoreClients;
  logger?: Logger;
}

/**
 * The registry with the built-in roles (`retrieval`, `compliance`) and any custom
 * roles, each behind the same Role interface. A role bound to an AgentCore agent
 * (`agents`) runs on the agent for the tenants bound to it and as before for the
 * others; a bound name with no built-in role is a role of its own.
 */
export function createRoleRegistry(opts: { rulesFor?: (tenantId: string) => ComplianceRules; custom?: readonly Role[]; agents?: AgentBindings } = {}): RoleRegistry {
  const roles: Role[] = [createRetrievalRole(), createComplianceRole(opts.rulesFor ?? (() => DEFAULT_RULES)), ...(opts.custom ?? [])];
  const a = opts.agents;
  if (!a) return new RoleRegistry(roles);
  const onAgent = (name: string, fallback?: Role) => agentCoreRole(name, (tenantId) => a.agentFor(name, tenantId), a.clients, { fallback, logger: a.logger });
  const bound = new Set(a.roles);
  const out = roles.map((r) => (bound.has(r.name) ? onAgent(r.name, r) : r));
  for (const name of bound) if (!roles.some((r) => r.name === name)) out.push(onAgent(name));
  return new RoleRegistry(out);
}

export { RoleRegistry } from './role.js';
export type { Role, RoleContext, Outcome, ReportDraft } from './role.js';
