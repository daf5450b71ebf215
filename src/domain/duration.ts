import { InvalidInputError } from './errors.js';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

// ISO 8601 durations without years/months (their length is ambiguous): PnW, PnDTnHnMnS.
const ISO = /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;
// Short forms, optionally chained: 3d, 15m, 90s, 500ms, 1h30m.
const SHORT_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;

export const DURATION_HELP =
  'Use ISO 8601 (P3D, PT15M, PT1H30M) or a short form (3d, 15m, 90s, 500ms, 1h30m).';

/** No duration is longer than 100 years: past that a deadline is not a date any more (Date's range ends in 275760). */
export const MAX_DURATION_MS = 100 * 365 * 86_400_000;

/**
 * Parses a duration to milliseconds. Accepts ISO 8601 (`P3D`, `PT15M`, `P1DT2H`) and
 * short forms (`3d`, `15m`, `90s`, `500ms`, `1h30m`). Throws InvalidInputError naming
 * `what` (a setting or argument) on anything else, including zero-length input.
 */
export function parseDuration(input: string, what = 'duration'): number {
  const s = String(input).trim();
  const fail = (): never => {
    throw new InvalidInputError(`${what}: "${input}" is not a duration. ${DURATION_HELP}`, { setting: what, value: input });
  };
  if (!s) fail();
  const iso = ISO.exec(s);
  if (iso && s.length > 1 && !/T$/i.test(s)) {
    const [, w, d, h, m, sec] = iso;
    if ([w, d, h, m, sec].every((x) => x === undefined)) fail();
    const ms =
      Number(w ?? 0) * UNIT_MS.w! +
      Number(d ?? 0) * UNIT_MS.d! +
      Number(h ?? 0) * UNIT_MS.h! +
      Number(m ?? 0) * UNIT_MS.m! +
      Number(sec ?? 0) * UNIT_MS.s!;
    return capped(Math.round(ms), input, what);
  }
  SHORT_PART.lastIndex = 0;
  let total = 0;
  let pos = 0;
  let parts = 0;
  const lower = s.toLowerCase();
  while (pos < lower.length) {
    SHORT_PART.lastIndex = pos;
    const m = SHORT_PART.exec(lower);
    if (!m) fail();
    total += Number(m![1]) * UNIT_MS[m![2]!]!;
    pos = SHORT_PART.lastIndex;
    parts++;
  }
  if (parts === 0) fail();
  return capped(Math.round(total), input, what);
}

function capped(ms: number, input: string, what: string): number {
  if (!Number.isFinite(ms) || ms > MAX_DURATION_MS) {
    throw new InvalidInputError(`${what}: "${input}" is longer than 100 years; give a realistic duration. ${DURATION_HELP}`, { setting: what, value: input, reason: 'too_long' });
  }
  return ms;
}

/** Renders milliseconds in the short form, largest units first (`1h30m`, `2s`, `500ms`). */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  const out: string[] = [];
  let rest = Math.round(ms);
  for (const u of ['d', 'h', 'm', 's'] as const) {
    const n = Math.floor(rest / UNIT_MS[u]!);
    if (n > 0) {
      out.push(`${n}${u}`);
      rest -= n * UNIT_MS[u]!;
    }
  }
  if (rest > 0 && out.length < 2) out.push(`${rest}ms`);
  return out.join('');
}
