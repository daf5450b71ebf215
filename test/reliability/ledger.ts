/**
 * The oracle of the crash suites: every tool call whose result came back (acknowledged)
 * is written here with what it returned; after a restart everything is read back through
 * the real client (get_investigation, the timeline, signal files, report filings) and
 * compared field by field. Calls whose result never came back are kept aside: they may be
 * present or absent after the restart, but never half-present (a signal without its
 * files or without the wait it resolved, a task without its wait, an investigation
 * without its tasks), and never twice.
 */
import { expect } from 'vitest';
import type { Conn } from './backends.js';

type Json = Record<string, any>;

/** A call that was sent; `ack` is set when its result came back. */
export interface Sent {
  tool: 'record_event' | 'submit_signal' | 'delegate_task' | 'start_investigation' | 'close_investigation';
  args: Json;
  ack?: Json;
}

interface SignalEntry {
  investigationId: string;
  view: Json;
  files: string[];
}

/** The fields of a task that never change after it is created. */
const TASK_FIXED = ['taskId', 'uri', 'role', 'instructions', 'waitFor', 'createdAt'] as const;
const INV_FIXED = ['investigationId', 'subject', 'objective', 'openedBy', 'deadline', 'createdAt'] as const;
const WAIT_FIXED = ['waitId', 'taskId', 'signal', 'deadline'] as const;
const pick = (o: Json, keys: readonly string[]) => Object.fromEntries(keys.map((k) => [k, o[k]]));

/** Every page of an investigation's timeline. */
export async function timeline(c: Conn, investigationId: string): Promise<Json[]> {
  const events: Json[] = [];
  let cursor: string | null = null;
  do {
    const uri: string = `longhaul://investigations/${investigationId}/timeline?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page: Json = await c.readJson(uri);
    events.push(...page.events);
    cursor = page.nextCursor;
  } while (cursor);
  return events;
}

/** One read of an investigation: its state and whole timeline. */
export interface Snapshot {
  state: Json;
  events: Json[];
}

export async function snapshot(c: Conn, investigationId: string): Promise<Snapshot> {
  const [state, events] = await Promise.all([c.call('get_investigation', { investigationId }), timeline(c, investigationId)]);
  return { state, events };
}

export class Ledger {
  readonly investigations = new Map<string, Json>();
  readonly events = new Map<string, Json>();
  readonly signals = new Map<string, SignalEntry>();
  readonly tasks = new Map<string, { investigationId: string; view: Json; wait: Json | null }>();
  readonly reports = new Map<string, { investigationId: string; markdown: string }>();
  /** Calls sent whose result never came back, to judge after the next restart. */
  unacknowledged: Sent[] = [];
  counts = { acknowledged: 0, unacknowledged: 0, presentAfterCrash: 0, absentAfterCrash: 0 };

  /** Files what an acknowledged call wrote. */
  acknowledge(s: Sent): void {
    const r = s.ack!;
    this.counts.acknowledged++;
    switch (s.tool) {
      case 'record_event':
        this.events.set(r.event.eventId, r.event);
        break;
      case 'submit_signal':
        if (!r.duplicate) this.signals.set(r.signal.signalId, { investigationId: r.investigationId, view: r.signal, files: (s.args.attachments ?? []).map((a: Json) => a.text) });
        break;
      case 'delegate_task':
        this.tasks.set(r.task.taskId, { investigationId: r.investigationId, view: r.task, wait: r.wait });
        break;
      case 'start_investigation':
        this.investigations.set(r.investigation.investigationId, r.investigation);
        for (const t of r.tasks) this.tasks.set(t.taskId, { investigationId: r.investigation.investigationId, view: t, wait: r.waits.find((w: Json) => w.taskId === t.taskId) ?? null });
        break;
      case 'close_investigation':
        break;
    }
  }

  /** Sorts a burst's calls into acknowledged and not. */
  settle(sent: Sent[]): void {
    for (const s of sent) {
      if (s.ack) this.acknowledge(s);
      else {
        this.counts.unacknowledged++;
        this.unacknowledged.push(s);
      }
    }
  }

  /** Reads one investigation back and checks every acknowledged item of it, field by field. */
  async verifyInvestigation(c: Conn, investigationId: string, snap?: Snapshot): Promise<Json> {
    const { state, events } = snap ?? (await snapshot(c, investigationId));
    const inv = this.investigations.get(investigationId);
    if (inv) expect(pick(state.investigation, INV_FIXED), `investigation ${investigationId}`).toEqual(pick(inv, INV_FIXED));
    const ids = events.map((e) => e.eventId);
    expect(new Set(ids).size, `duplicate event ids in the timeline of ${investigationId}`).toBe(ids.length);
    const byId = new Map(events.map((e) => [e.eventId, e]));
    for (const [id, e] of this.events) if (e.investigationId === investigationId) expect(byId.get(id), `acknowledged event ${id}`).toEqual(e);
    expect(state.shown.signals, 'the per-cycle investigations stay under the 20 signals shown').not.toMatch(/of (2[1-9]|[3-9]\d)/);
    const signals = new Map<string, Json>(state.signals.map((s: Json) => [s.signalId, s]));
    const keys = state.signals.map((s: Json) => s.idempotencyKey).filter((k: string | null) => k !== null);
    expect(new Set(keys).size, `an idempotency key stored twice on ${investigationId}: ${keys.join(', ')}`).toBe(keys.length);
    for (const [id, s] of this.signals) {
      if (s.investigationId !== investigationId) continue;
      expect(signals.get(id), `acknowledged signal ${id}`).toEqual(s.view);
      for (const [i, a] of s.view.attachments.entries()) expect(await c.readText(a.uri), `file ${i} of signal ${id}`).toBe(s.files[i]);
    }
    const tasks = new Map<string, Json>(state.tasks.map((t: Json) => [t.taskId, t]));
    const waits = new Map<string, Json>(state.waits.map((w: Json) => [w.waitId, w]));
    for (const [id, t] of this.tasks) {
      if (t.investigationId !== investigationId) continue;
      const now = tasks.get(id);
      expect(now, `acknowledged task ${id}`).toBeDefined();
      expect(pick(now!, TASK_FIXED), `task ${id}`).toEqual(pick(t.view, TASK_FIXED));
      if (t.wait) {
        const w = waits.get(t.wait.waitId);
        expect(w, `the wait of acknowledged task ${id}`).toBeDefined();
        expect(pick(w!, WAIT_FIXED)).toEqual(pick(t.wait, WAIT_FIXED));
        // A resolved wait names a signal that is there.
        if (w!.status === 'resolved') expect(signals.has(w!.signalId), `signal ${w!.signalId} that resolved ${w!.waitId}`).toBe(true);
      }
    }
    for (const [id, r] of this.reports) {
      if (r.investigationId !== investigationId) continue;
      expect(await c.readText(`longhaul://investigations/${investigationId}/reports/${id}`), `report ${id}`).toBe(r.markdown);
    }
    // A report once seen is acknowledged from then on.
    if (state.report && !this.reports.has(state.report.reportId)) {
      this.reports.set(state.report.reportId, { investigationId, markdown: await c.readText(`longhaul://investigations/${investigationId}/reports/${state.report.reportId}`) });
    }
    return state;
  }

  /**
   * Judges the calls of the last burst that were never acknowledged: each is either
   * absent or wholly present, and at most once. Signals with an idempotency key are sent
   * again (a client's retry): the retry must find the first delivery when it landed, and
   * store exactly one otherwise.
   */
  async judgeUnacknowledged(c: Conn, snaps = new Map<string, Snapshot>()): Promise<void> {
    const pending = this.unacknowledged;
    this.unacknowledged = [];
    const read = async (id: string) => {
      if (!snaps.has(id)) snaps.set(id, await snapshot(c, id));
      return snaps.get(id)!;
    };
    // Signals last: their retries change what the others read.
    const ordered = [...pending.filter((s) => s.tool !== 'submit_signal'), ...pending.filter((s) => s.tool === 'submit_signal')];
    for (const s of ordered) {
      const present = await this.judge(c, s, read);
      this.counts[present ? 'presentAfterCrash' : 'absentAfterCrash']++;
    }
  }

  private async judge(c: Conn, s: Sent, read: (id: string) => Promise<Snapshot>): Promise<boolean> {
    const a = s.args;
    switch (s.tool) {
      case 'record_event': {
        const found = (await read(a.investigationId)).events.filter((e) => e.text === a.text);
        expect(found.length, `unacknowledged event "${a.text}" stored twice`).toBeLessThanOrEqual(1);
        if (found[0]) {
          expect(found[0].data).toEqual(a.data ?? null);
          // Seen once, it is durable from now on like an acknowledged one.
          this.events.set(found[0].eventId, found[0]);
        }
        return found.length === 1;
      }
      case 'submit_signal': {
        const before = (await read(a.investigationId)).state;
        const found = before.signals.filter((x: Json) => x.idempotencyKey === a.idempotencyKey);
        expect(found.length, `unacknowledged signal ${a.idempotencyKey} stored twice`).toBeLessThanOrEqual(1);
        if (found[0]) {
          expect(found[0].attachments).toHaveLength((a.attachments ?? []).length);
          for (const [i, f] of found[0].attachments.entries()) expect(await c.readText(f.uri)).toBe(a.attachments[i].text);
          this.signals.set(found[0].signalId, { investigationId: a.investigationId, view: found[0], files: (a.attachments ?? []).map((x: Json) => x.text) });
          // The waits for it were open when it was sent: the delivery resolved them in the same step.
          for (const w of before.waits.filter((w: Json) => w.signal === a.signal)) expect(w.status, `wait ${w.waitId} for ${a.signal}`).not.toBe('open');
        }
        const retry = await c.call('submit_signal', a);
        expect(retry.duplicate, `retry of ${a.idempotencyKey}`).toBe(found.length === 1);
        if (!retry.duplicate) this.acknowledge({ ...s, ack: retry });
        return found.length === 1;
      }
      case 'delegate_task': {
        const { state } = await read(a.investigationId);
        const found = state.tasks.filter((t: Json) => t.instructions === a.instructions);
        expect(found.length, `unacknowledged task "${a.instructions}" stored twice`).toBeLessThanOrEqual(1);
        if (found[0] && a.waitFor) {
          expect(found[0].waitFor).toEqual(a.waitFor);
          expect(state.waits.filter((w: Json) => w.taskId === found[0].taskId && w.signal === a.waitFor.signal), `the wait of task ${found[0].taskId}`).toHaveLength(1);
        }
        return found.length === 1;
      }
      case 'start_investigation': {
        const page = await c.call('list_investigations', { query: a.subject, limit: 10 });
        const found = page.investigations.filter((i: Json) => i.subject === a.subject);
        expect(found.length, `unacknowledged investigation "${a.subject}" opened twice`).toBeLessThanOrEqual(1);
        if (found[0]) {
          const { state } = await read(found[0].investigationId);
          expect(state.tasks.map((t: Json) => t.instructions).sort()).toEqual(a.tasks.map((t: Json) => t.instructions).sort());
          for (const t of state.tasks) if (t.waitFor) expect(state.waits.filter((w: Json) => w.taskId === t.taskId), `the wait of ${t.taskId}`).toHaveLength(1);
        }
        return found.length === 1;
      }
      case 'close_investigation': {
        const { state } = await read(a.investigationId);
        if (state.investigation.status === 'closed') {
          // Closing cancels open tasks and terminates sessions in the same step.
          for (const t of state.tasks) expect(['pending', 'running', 'waiting'], `task ${t.taskId} of a closed investigation`).not.toContain(t.status);
          for (const w of state.waits) expect(w.status, `wait ${w.waitId} of a closed investigation`).not.toBe('open');
        }
        return state.investigation.status === 'closed';
      }
    }
  }

  /** Every investigation the ledger knows, read back whole. */
  async verifyAll(c: Conn): Promise<number> {
    const ids = new Set([...this.investigations.keys(), ...[...this.events.values()].map((e) => e.investigationId as string)]);
    for (const id of ids) await this.verifyInvestigation(c, id);
    return ids.size;
  }
}
