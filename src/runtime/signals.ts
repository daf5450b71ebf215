import { createHash } from 'node:crypto';
import { InvalidInputError, IllegalTransitionError, NotFoundError } from '../domain/errors.js';
import { DEFAULT_SIGNAL_LIMITS, SignalLimitError, type SignalLimits } from '../domain/signal-limits.js';
import { assertId } from '../domain/ids.js';
import type { Signal, SignalAttachment } from '../domain/task.js';
import { tenantKey } from '../store/keys.js';
import { describeFiles, formatBytes, prepareAttachments, type AttachmentInput } from './attachments.js';
import type { Caller, RuntimeDeps } from './deps.js';
import { makeEvent } from './event-factory.js';
import type { Investigations } from './investigations.js';
import { LIMITS, assertSignalName, jsonSize } from './limits.js';
import { signalView, taskView, waitView } from './views.js';

/** How long a repeated idempotency key is answered from the keyv cache. */
const IDEMPOTENCY_CACHE_MS = 7 * 86_400_000;

/**
 * `submit_signal` (and `longhaul signal`): stores the signal with its files and, in the
 * same store step, resolves the waits for it and wakes their tasks. A repeated
 * idempotency key resolves once: the store's unique key on (investigation,
 * idempotencyKey) is the guarantee; the keyv entry only answers repeats without
 * touching the tables.
 */
export class Signals {
  constructor(
    private readonly d: RuntimeDeps,
    private readonly investigations: Investigations,
  ) {}

  /**
   * Delivers a signal: `payload` (any JSON, default null) and/or `attachments` (files,
   * each exactly one of `text` or `base64`; checked and limited by prepareAttachments,
   * which names the file and the limit in its errors).
   */
  async submit(
    caller: Caller,
    input: { investigationId: string; signal: string; payload?: unknown; attachments?: readonly AttachmentInput[] | null; idempotencyKey?: string | null },
  ) {
    const inv = await this.investigations.load(caller, input.investigationId);
    const name = assertSignalName(input.signal);
    const key = input.idempotencyKey ?? null;
    if (key !== null && (key.length === 0 || key.length > LIMITS.idempotencyKey)) {
      throw new InvalidInputError(`idempotencyKey must be 1–${LIMITS.idempotencyKey} characters.`);
    }
    const bytes = jsonSize(input.payload, 'payload');
    if (bytes > LIMITS.signalPayloadBytes) {
      throw new InvalidInputError(
        `payload is ${bytes} bytes of JSON; the limit is ${LIMITS.signalPayloadBytes}. Send large data as attachments (files), or store it in a document source and send a reference.`,
      );
    }
    const files = prepareAttachments(input.attachments);
    const t = this.d.store.tenant(caller.tenantId);
    const cacheKey = key === null ? null : tenantKey(caller.tenantId, 'idem', 'signal', inv.id, hashKey(key));
    if (cacheKey) {
      // The cache only answers repeats early; the store's idempotency is the guarantee,
      // so a cache that cannot answer (Redis down) is a miss, not a failed delivery.
      const cached = await this.d.store.kv.get<{ signalId: string }>(cacheKey).catch((e: unknown) => {
        this.d.logger.warn('idempotency cache unavailable; the store decides', { error: e instanceof Error ? e.message : String(e) });
        return undefined;
      });
      if (cached) {
        const found = await t.getSignal(cached.signalId);
        const earlier = found && found.investigationId === inv.id && found.name === name ? found : null;
        if (earlier) return { investigationId: inv.id, duplicate: true, signal: signalView(earlier), resolvedWaits: [], wokenTasks: [] };
      }
    }
    if (inv.status !== 'open') {
      throw new IllegalTransitionError('investigation', inv.status, 'open', 'It is closed; a signal can no longer be delivered to it.');
    }
    const now = this.d.clock.now();
    const signal: Signal = {
      id: this.d.ids('sig'),
      tenantId: caller.tenantId,
      investigationId: inv.id,
      name,
      payload: input.payload ?? null,
      attachments: files.map((f) => f.meta),
      idempotencyKey: key,
      receivedAt: now,
      actorId: caller.actorId,
    };
    const deliver = async (sessionId: string | null) => {
      const event = makeEvent(this.d, {
        tenantId: caller.tenantId,
        actorId: caller.actorId,
        sessionId,
        investigationId: inv.id,
        role: 'system',
        kind: 'signal',
        text: `Signal "${name}" received (${receivedWhat(signal.payload, bytes, signal.attachments)}).`,
        data: { signalId: signal.id, name, ...(files.length ? { attachments: signal.attachments } : {}) },
      });
      return t.deliverSignal({ signal, attachments: files, events: [event], limits });
    };
    const limits = this.limits(caller.tenantId);
    const r = await this.investigations.touchIfLive(caller, inv.id, deliver).catch((e: unknown) => {
      throw e instanceof SignalLimitError ? limitMessage(e) : e;
    });
    // After the commit: a cache that cannot be written must not turn an acknowledged delivery into an error.
    if (cacheKey) {
      await this.d.store.kv.set(cacheKey, { signalId: r.signal.id }, IDEMPOTENCY_CACHE_MS).catch((e: unknown) => {
        this.d.logger.warn('idempotency cache not written; the store still holds the key', { error: e instanceof Error ? e.message : String(e) });
      });
    }
    if (!r.duplicate) {
      await t.touchInvestigation(inv.id, now);
      this.d.feed.publish({ type: 'investigation', tenantId: caller.tenantId, id: inv.id });
      if (r.wokenTasks.length) this.d.feed.publish({ type: 'tasks', tenantId: caller.tenantId, investigationId: inv.id });
      if (r.resolvedWaits.length) this.d.logger.info('signal resolved waits', { tenantId: caller.tenantId, investigationId: inv.id, signal: name, waits: r.resolvedWaits.length });
    }
    return {
      investigationId: inv.id,
      duplicate: r.duplicate,
      signal: signalView(r.signal),
      resolvedWaits: r.resolvedWaits.map(waitView),
      wokenTasks: r.wokenTasks.map(taskView),
    };
  }

  /** The signal limits of a tenant: its own (tenants file), else the process-wide settings. */
  private limits(tenantId: string): SignalLimits {
    return this.d.limitsFor?.(tenantId).signals ?? this.d.settings.signalLimits ?? DEFAULT_SIGNAL_LIMITS;
  }

  /**
   * One file of a signal of the investigation, with its bytes (the resource
   * `longhaul://investigations/{id}/signals/{signalId}/attachments/{index}`).
   * NotFoundError when the investigation, the signal (in it) or the index is not the
   * caller's tenant's.
   */
  async attachment(caller: Caller, investigationId: string, signalId: string, index: string | number): Promise<{ signal: Signal; meta: SignalAttachment; content: Uint8Array }> {
    const { signal, meta } = await this.attachmentMeta(caller, investigationId, signalId, index);
    const file = await this.d.store.tenant(caller.tenantId).readSignalAttachment(signal.id, meta.index);
    if (!file) throw attachmentNotFound(signal.investigationId, signal.id, meta.index);
    return { signal, meta: file.meta, content: file.content };
  }

  /** The metadata of one file of a signal of the investigation (no bytes read); NotFoundError as `attachment`. */
  async attachmentMeta(caller: Caller, investigationId: string, signalId: string, index: string | number): Promise<{ signal: Signal; meta: SignalAttachment }> {
    const inv = await this.investigations.load(caller, investigationId);
    assertId(signalId, 'sig', 'signalId');
    const i = parseIndex(index);
    const found = await this.d.store.tenant(caller.tenantId).getSignal(signalId);
    const signal = found && found.investigationId === inv.id ? found : null;
    const meta = signal?.attachments[i];
    if (!signal || !meta) throw attachmentNotFound(inv.id, signalId, i);
    return { signal, meta };
  }

  /**
   * The investigation's newest signals that carry files (of its newest WITH_ATTACHMENTS_SCAN
   * signals), oldest first (completion of attachment URIs).
   */
  async withAttachments(caller: Caller, investigationId: string): Promise<Signal[]> {
    const inv = await this.investigations.load(caller, investigationId);
    const newest = await this.d.store.tenant(caller.tenantId).listSignals(inv.id, undefined, { order: 'desc', limit: WITH_ATTACHMENTS_SCAN });
    return newest.filter((s) => s.attachments.length > 0).reverse();
  }
}

/** How many of an investigation's newest signals completion looks through for files. */
const WITH_ATTACHMENTS_SCAN = 200;

/**
 * The store's refusal, told with the setting that sets the limit: the store knows the
 * numbers, not where they came from.
 */
function limitMessage(e: SignalLimitError): InvalidInputError {
  const { investigationId: id, held, max, adding } = e;
  const text =
    e.limit === 'count'
      ? `Investigation ${id} already holds ${held.count} signals, the most one investigation may hold (${max}: LONGHAUL_MAX_SIGNALS, or the tenant's limits.maxSignals in LONGHAUL_TENANTS_FILE). ` +
        'Close it and open a new investigation for further signals, or ask the operator to raise the limit.'
      : `Investigation ${id} holds ${formatBytes(held.bytes)} of signal payloads and files; this signal (${formatBytes(adding)}) would take it past the limit of ${formatBytes(max)} ` +
        `(LONGHAUL_MAX_SIGNAL_BYTES, or the tenant's limits.maxSignalBytes in LONGHAUL_TENANTS_FILE). Send less (a reference instead of the file), close it and open a new investigation, or ask the operator to raise the limit.`;
  return new InvalidInputError(text, { ...e.details, setting: e.limit === 'count' ? 'LONGHAUL_MAX_SIGNALS' : 'LONGHAUL_MAX_SIGNAL_BYTES' });
}

/** "812 bytes of JSON, 2 files: statement.xml 14.2 KiB, …" — what a signal brought, for its event. */
function receivedWhat(payload: unknown, bytes: number, files: readonly SignalAttachment[]): string {
  const parts: string[] = [];
  if (payload !== null || files.length === 0) parts.push(`${bytes} bytes of JSON`);
  if (files.length) parts.push(describeFiles(files));
  return parts.join(', ');
}

function parseIndex(index: string | number): number {
  const s = String(index);
  if (!/^(0|[1-9][0-9]{0,5})$/.test(s)) throw new InvalidInputError(`attachment index "${s.slice(0, 20)}" is not a file's position; give 0 for the first file, 1 for the second, …`);
  return Number(s);
}

const attachmentNotFound = (investigationId: string, signalId: string, index: number) =>
  new NotFoundError('signal attachment', `${signalId}/attachments/${index}`, `get_investigation on ${investigationId} lists its signals with their files`);

// Keys are caller-chosen free text: hash them so any string can live in a key part.
const hashKey = (k: string) => createHash('sha256').update(k).digest('hex').slice(0, 32);
