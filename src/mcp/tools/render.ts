import type { z } from 'zod';
import type { taskSchema, waitSchema } from '../schemas.js';

/** Small helpers for the one-paragraph text renderings of tool results. */
type TaskView = z.output<typeof taskSchema>;
type WaitView = z.output<typeof waitSchema>;

export const clip = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

export function taskLine(t: TaskView, waits: readonly WaitView[] = []): string {
  const wait = waits.find((w) => w.taskId === t.taskId && w.status === 'open');
  return `- ${t.role} ${t.taskId}: ${t.status}${wait ? ` (waits for "${wait.signal}" until ${wait.deadline})` : ''}`;
}

export const WRITE = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false } as const;
export const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;
