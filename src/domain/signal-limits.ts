import { InvalidInputError } from './errors.js';

/**
 * How much one investigation may hold in signals: at most `count` signals, and `bytes`
 * of payloads and files together (`LONGHAUL_MAX_SIGNALS`, `LONGHAUL_MAX_SIGNAL_BYTES`).
 * The store checks them in the same step as the insert, so two deliveries racing for
 * the last slot cannot both get it.
 */
export interface SignalLimits {
  count: number;
  bytes: number;
}

/** The defaults of LONGHAUL_MAX_SIGNALS and LONGHAUL_MAX_SIGNAL_BYTES (config.ts), for runtimes built without config. */
export const DEFAULT_SIGNAL_LIMITS: SignalLimits = Object.freeze({ count: 1_000, bytes: 200 * 1024 * 1024 });

/** What an investigation holds in signals: how many, and their payload and file bytes. */
export interface SignalTotals {
  count: number;
  bytes: number;
}

/**
 * The bytes a signal adds to its investigation's total: its payload as JSON (nothing for
 * no payload) plus the size of each file. Every adapter counts with this one function.
 */
export function signalBytes(payload: unknown, fileSizes: readonly number[]): number {
  const json = payload === null || payload === undefined ? 0 : Buffer.byteLength(JSON.stringify(payload), 'utf8');
  return fileSizes.reduce((n, s) => n + s, json);
}

/**
 * A delivery that would take an investigation past a signal limit. An InvalidInputError
 * (the caller can act: send less, close the investigation, raise the setting); its own
 * class because the runtime rewrites the message with the setting's name, which the
 * store does not know.
 */
export class SignalLimitError extends InvalidInputError {
  constructor(
    readonly investigationId: string,
    readonly limit: 'count' | 'bytes',
    /** What the investigation holds now (without this signal). */
    readonly held: SignalTotals,
    readonly max: number,
    /** The bytes this signal would add. */
    readonly adding: number,
  ) {
    super(
      limit === 'count'
        ? `Investigation ${investigationId} holds ${held.count} signals; the limit is ${max}.`
        : `Investigation ${investigationId} holds ${held.bytes} bytes of signal payloads and files; this signal adds ${adding} and the limit is ${max}.`,
      { investigationId, limit, held, max, adding },
    );
  }
}

/** Would one more signal of `adding` bytes take `held` past `limits`? The error if so, else null. */
export function signalLimitExceeded(investigationId: string, held: SignalTotals, adding: number, limits: SignalLimits | undefined): SignalLimitError | null {
  if (!limits) return null;
  if (held.count + 1 > limits.count) return new SignalLimitError(investigationId, 'count', held, limits.count, adding);
  if (held.bytes + adding > limits.bytes) return new SignalLimitError(investigationId, 'bytes', held, limits.bytes, adding);
  return null;
}
