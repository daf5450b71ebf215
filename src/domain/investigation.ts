import { IllegalTransitionError } from './errors.js';

export type InvestigationStatus = 'open' | 'closed';
export type InvestigationOutcome = 'completed' | 'inconclusive' | 'cancelled';

export interface Investigation {
  id: string;
  tenantId: string;
  /** The actor who opened it. */
  actorId: string;
  subject: string;
  objective: string;
  status: InvestigationStatus;
  outcome: InvestigationOutcome | null;
  summary: string | null;
  /** Optional overall deadline (epoch ms). */
  deadline: number | null;
  /** When the deadline sweep found it still open past its deadline (flagged once; it stays open). */
  overdueAt: number | null;
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
  version: number;
}

export const INVESTIGATION_TRANSITIONS: Record<InvestigationStatus, readonly InvestigationStatus[]> = {
  open: ['closed'],
  closed: [],
};

export function assertInvestigationTransition(from: InvestigationStatus, to: InvestigationStatus): void {
  if (!INVESTIGATION_TRANSITIONS[from].includes(to)) {
    throw new IllegalTransitionError('investigation', from, to, from === 'closed' ? 'It is already closed; start a new investigation to continue the work.' : undefined);
  }
}

/** How closing maps to the termination reason of its sessions. */
export const terminationForOutcome = (o: InvestigationOutcome) => (o === 'cancelled' ? 'cancelled' : 'completed') as 'cancelled' | 'completed';

/** An open investigation as closing leaves it (after assertInvestigationTransition and the version check). */
export function closedInvestigation(inv: Investigation, outcome: InvestigationOutcome, summary: string | null, now: number): Investigation {
  return { ...inv, status: 'closed', outcome, summary, closedAt: now, updatedAt: now, version: inv.version + 1 };
}

/** An open investigation flagged overdue by the deadline sweep (once; it stays open). */
export const overdueInvestigation = (inv: Investigation, now: number): Investigation => ({ ...inv, overdueAt: now, updatedAt: now, version: inv.version + 1 });

/** An investigation touched: updatedAt now, one version more. */
export const touchedInvestigation = (inv: Investigation, now: number): Investigation => ({ ...inv, updatedAt: now, version: inv.version + 1 });
