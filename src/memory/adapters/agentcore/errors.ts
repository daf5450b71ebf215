import { InvalidInputError, LonghaulError, StorageUnavailableError } from '../../../domain/errors.js';
import type { Logger } from '../../../logger.js';

/**
 * How an AgentCore failure is judged — by the SDK's error name and HTTP status, never by
 * its message text:
 * - retryable: throttling (ThrottledException, ThrottlingException, 429), a quota that
 *   frees up (ServiceQuotaExceededException), RetryableConflictException, 5xx, and errors
 *   with no HTTP response at all (connection reset, timeout, DNS);
 * - not retryable: the service refused the request (ValidationException, AccessDenied,
 *   ResourceNotFound on a write, …) or longhaul refused it before sending (InvalidInputError).
 */
export interface Classified {
  retryable: boolean;
  /** A sentence for logs, outbox entries and tool errors, with the service's message. */
  message: string;
  /** The SDK exception name (or the Node error code), for logs. */
  name: string;
  status: number | null;
}

const RETRYABLE_NAMES = new Set([
  'ThrottledException',
  'ThrottlingException',
  'TooManyRequestsException',
  'ServiceQuotaExceededException',
  'RetryableConflictException',
  'ServiceException',
  'InternalServerException',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

export function classify(err: unknown): Classified {
  if (err instanceof LonghaulError) {
    return { retryable: err.code === 'storage_unavailable', message: err.message, name: err.name, status: null };
  }
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorShape;
  const name = e.name ?? 'Error';
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : null;
  const message = `AgentCore Memory: ${name}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? String(err)}`;
  const retryable =
    RETRYABLE_NAMES.has(name) ||
    (status !== null && (status === 429 || status >= 500)) ||
    e.$fault === 'server' ||
    // No HTTP response at all: the request may not have reached AgentCore (reset, timeout, DNS).
    (status === null && e.$fault === undefined);
  return { retryable, message, name, status };
}

export const isNotFound = (err: unknown): boolean => {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorShape;
  return e.name === 'ResourceNotFoundException' || e.$metadata?.httpStatusCode === 404;
};

/**
 * The error a read raises: a retryable failure is "storage unavailable" (never "not
 * found"); a request the service calls invalid is invalid input; any other refusal
 * (access denied, unknown memory) is an internal error naming the settings to check.
 * `classify` keeps them apart, so a delivery that fails on such a read is retried or
 * parked as the read's own failure would be.
 */
export function readError(err: unknown, what: string, logger?: Logger): LonghaulError {
  if (err instanceof LonghaulError) return err;
  const c = classify(err);
  if (c.retryable) return new StorageUnavailableError(`${what} failed: ${c.message}. Try again shortly.`, err);
  if (c.name === 'ValidationException' || c.name === 'InvalidInputException') return new InvalidInputError(`${what}: ${c.message}`);
  // Refused for good (access denied, unknown memory): not retryable, and not "not found"
  // either. The service's own words (an AccessDenied names the server's IAM role, account
  // and memory ARN) go to the server log, not to every tenant's caller; the caller learns
  // what it can do about it: nothing but tell the operator.
  logger?.error('agentcore memory: request refused', { what, error: c.message });
  return new LonghaulError(
    'internal',
    `${what} failed: AgentCore Memory refused the server's request (${c.name}${c.status ? `, HTTP ${c.status}` : ''}). This is the server's setup, not your request, and retrying will not help: ` +
      `its operator must check LONGHAUL_AGENTCORE_MEMORY_ID, AWS_REGION and the IAM permissions (the server log has the details).`,
  );
}
