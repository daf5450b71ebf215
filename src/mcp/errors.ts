import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { isLonghaulError } from '../domain/errors.js';
import type { Logger } from '../logger.js';

/** JSON-RPC code for "resource not found" (MCP specification, resources § error handling). */
export const RESOURCE_NOT_FOUND = -32002;

/**
 * Maps a failure in a resource/subscription handler to a protocol error: not_found →
 * -32002, invalid_input → InvalidParams, other longhaul errors keep their message with
 * InternalError; anything else is logged and reported without detail (no stack leaks).
 * The longhaul code travels in `data.code`.
 */
export function toMcpError(e: unknown, logger: Logger, what: string, fields: Record<string, unknown> = {}): McpError {
  if (e instanceof McpError) return e;
  if (isLonghaulError(e)) {
    const code = e.code === 'not_found' ? RESOURCE_NOT_FOUND : e.code === 'invalid_input' ? ErrorCode.InvalidParams : ErrorCode.InternalError;
    return new McpError(code, e.message, { code: e.code });
  }
  logger.error(`${what} failed`, { ...fields, error: e instanceof Error ? e.message : String(e) });
  return new McpError(ErrorCode.InternalError, `longhaul hit an unexpected error in ${what}; it has been logged.`, { code: 'internal' });
}
