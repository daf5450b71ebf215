/** A filed report. A new filing never overwrites an earlier one. */
export interface Report {
  id: string;
  tenantId: string;
  investigationId: string;
  taskId: string | null;
  /** False for an escalation's incomplete report. */
  complete: boolean;
  title: string;
  markdown: string;
  createdAt: number;
}

export type InboxKind = 'escalation' | 'report' | 'failed_task' | 'overdue';

/** Something that needs a person, shown in `longhaul://inbox`. */
export interface InboxItem {
  id: string;
  tenantId: string;
  investigationId: string;
  kind: InboxKind;
  title: string;
  detail: string;
  taskId: string | null;
  reportId: string | null;
  createdAt: number;
}
