/** One idempotent, bounded sweep. `run` does one pass and says what it did. */
export interface Job {
  name: string;
  intervalMs: number;
  run(): Promise<JobResult>;
}

export interface JobResult {
  /** Items acted on in this pass. */
  processed: number;
  /** True when the batch was full: more due work may remain (the next pass continues). */
  more: boolean;
  detail?: Record<string, unknown>;
}

/** Default batch per pass: bounded, so one tick never monopolises the process or the store. */
export const SWEEP_BATCH = 200;
