/** The one source of time. Everything that judges a deadline takes a Clock. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The wall clock. The only place in src/ that reads it. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told: for unit tests and time-skipping. */
export class FakeClock implements Clock {
  constructor(private t: number = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): number {
    this.t += ms;
    return this.t;
  }
  set(t: number): void {
    this.t = t;
  }
}

export const iso = (ms: number): string => new Date(ms).toISOString();
