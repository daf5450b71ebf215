/**
 * One base error with a stable `code`. Subclasses exist only where callers branch.
 * Tool handlers map these to `isError` results carrying `structuredContent.code`.
 */
export type ErrorCode =
  | 'invalid_input'
  | 'not_found'
  | 'illegal_transition'
  | 'conflict'
  | 'storage_unavailable'
  | 'unauthorized'
  | 'internal';

export class LonghaulError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidInputError extends LonghaulError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('invalid_input', message, details);
  }
}

export class NotFoundError extends LonghaulError {
  constructor(kind: string, id: string, hint = 'list_investigations shows yours') {
    super('not_found', `No ${kind} with id "${id}" exists for this tenant. Check the id (${hint}).`, { kind, id });
  }
}

export class IllegalTransitionError extends LonghaulError {
  constructor(entity: string, from: string, to: string, hint?: string) {
    super('illegal_transition', `A ${entity} cannot go from "${from}" to "${to}".${hint ? ' ' + hint : ''}`, { entity, from, to });
  }
}

/** A compare-and-set lost a race, or a uniqueness rule was hit. Retry after re-reading. */
export class ConflictError extends LonghaulError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('conflict', message, details);
  }
}

/** The backend could not be reached or failed. Never reported as "not found". */
export class StorageUnavailableError extends LonghaulError {
  constructor(message: string, cause?: unknown) {
    super('storage_unavailable', message);
    if (cause !== undefined) (this as { cause?: unknown }).cause = cause;
  }
}

export const isLonghaulError = (e: unknown): e is LonghaulError => e instanceof LonghaulError;
