/**
 * Parsers for AgentCore Memory's JSON shapes, with the constraints of the service model
 * (aws/api-models-aws `bedrock-agentcore-2024-02-28.json`, plus the newer members the
 * installed SDK sends: the `json` payload and record metadata). Each parser returns the
 * wire value unchanged when it is valid, so what the stub stores is what the SDK sent.
 */
import {
  isObject,
  optionalArray,
  optionalString,
  optionalTimestamp,
  requireArray,
  requireString,
  validationError,
} from './validate.js';

export const ACTOR_ID = { min: 1, max: 255, pattern: /^[a-zA-Z0-9][a-zA-Z0-9-_/]*(?::[a-zA-Z0-9-_/]+)*[a-zA-Z0-9-_/]*$/ };
export const SESSION_ID = { min: 1, max: 100, pattern: /^[a-zA-Z0-9][a-zA-Z0-9-_]*$/ };
export const EVENT_ID = { pattern: /^[0-9]+#[a-fA-F0-9]+$/ };
export const BRANCH_NAME = { min: 1, max: 100, pattern: /^[a-zA-Z0-9][a-zA-Z0-9-_]*$/ };
export const MEMORY_ID_PATTERN =
  /^(?:arn:(?:aws|aws-cn|aws-us-gov):bedrock-agentcore:[a-z0-9-]+:[0-9]{12}:memory\/)?([a-zA-Z][a-zA-Z0-9-_]{0,99}-[a-zA-Z0-9]{10})$/;
export const MEMORY_RECORD_ID = { min: 40, max: 50, pattern: /^mem-[a-zA-Z0-9-_]*$/ };
export const STRATEGY_ID = { min: 1, max: 100, pattern: /^[a-zA-Z0-9][a-zA-Z0-9-_]*$/ };
export const NAMESPACE = {
  min: 1,
  max: 1024,
  pattern: /^[a-zA-Z0-9/*][a-zA-Z0-9-_/*]*(?::[a-zA-Z0-9-_/*]+)*[a-zA-Z0-9-_/*]*$/,
};
export const REQUEST_IDENTIFIER = { min: 1, max: 80, pattern: /^[a-zA-Z0-9_-]+$/ };
const METADATA_KEY = { min: 1, max: 128, pattern: /^[a-zA-Z0-9\s._:/=+@-]*$/ };
const METADATA_STRING = { min: 0, max: 256, pattern: /^[a-zA-Z0-9\s._:/=+@-]*$/ };
const RECORD_STRING = { min: 1, max: 256, pattern: METADATA_STRING.pattern };
const RECORD_LIST_MEMBER = { min: 1, max: 64, pattern: METADATA_STRING.pattern };
/** Conversational text: 1–100,000 characters. */
export const EVENT_TEXT = { min: 1, max: 100_000 };
/** Memory record content: 1–16,000 characters. */
export const RECORD_TEXT = { min: 1, max: 16_000 };
/** A `json` payload's content: at most 100 KB (SDK documentation). */
const JSON_PAYLOAD_MAX_BYTES = 100 * 1024;
export const ROLES = ['USER', 'ASSISTANT', 'TOOL', 'OTHER'] as const;

/** A Smithy union: exactly one member set. Returns the member name. */
function unionMember(value: unknown, field: string, members: readonly string[]): string {
  if (!isObject(value)) throw validationError(`${field} must be an object`, field);
  const set = Object.keys(value).filter((k) => value[k] !== undefined && value[k] !== null);
  if (set.length !== 1) throw validationError(`${field} must set exactly one of ${members.join(', ')}`, field);
  const member = set[0]!;
  if (!members.includes(member)) throw validationError(`${field} has an unknown member ${member}`, field);
  return member;
}

/** PayloadTypeList: at most 100 items of conversational | blob | json. */
export function parsePayload(value: unknown): unknown[] {
  const items = requireArray(value, 'payload', 0, 100);
  items.forEach((item, i) => {
    const field = `payload[${i}]`;
    const member = unionMember(item, field, ['conversational', 'blob', 'json']);
    const body = (item as Record<string, unknown>)[member];
    if (member === 'conversational') {
      if (!isObject(body)) throw validationError(`${field}.conversational must be an object`, field);
      if (unionMember(body.content, `${field}.conversational.content`, ['text']) === 'text') {
        requireString((body.content as Record<string, unknown>).text, `${field}.conversational.content.text`, EVENT_TEXT);
      }
      const role = requireString(body.role, `${field}.conversational.role`);
      if (!(ROLES as readonly string[]).includes(role)) {
        throw validationError(`${field}.conversational.role must be one of ${ROLES.join(', ')}`, `${field}.conversational.role`);
      }
    } else if (member === 'json') {
      if (!isObject(body) || body.content === undefined) {
        throw validationError(`${field}.json.content is required`, `${field}.json.content`);
      }
      if (Buffer.byteLength(JSON.stringify(body.content)) > JSON_PAYLOAD_MAX_BYTES) {
        throw validationError(`${field}.json.content exceeds 100 KB`, `${field}.json.content`);
      }
    }
  });
  return items;
}

/** Event MetadataMap: at most 15 entries; key 1–128, value `{stringValue}` 0–256, both of a restricted charset. */
export function parseEventMetadata(value: unknown): Record<string, { stringValue: string }> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw validationError('metadata must be a map', 'metadata');
  const entries = Object.entries(value);
  if (entries.length > 15) throw validationError('metadata must have at most 15 entries', 'metadata');
  for (const [key, v] of entries) {
    requireString(key, 'metadata key', METADATA_KEY);
    if (unionMember(v, `metadata.${key}`, ['stringValue']) === 'stringValue') {
      requireString((v as Record<string, unknown>).stringValue, `metadata.${key}.stringValue`, METADATA_STRING);
    }
  }
  return value as Record<string, { stringValue: string }>;
}

export type RecordMetadataValue =
  | { stringValue: string }
  | { stringListValue: string[] }
  | { numberValue: number }
  | { dateTimeValue: number };

function parseRecordMetadataValue(v: unknown, field: string): RecordMetadataValue {
  const member = unionMember(v, field, ['stringValue', 'stringListValue', 'numberValue', 'dateTimeValue']);
  const raw = (v as Record<string, unknown>)[member];
  if (member === 'stringValue') return { stringValue: requireString(raw, `${field}.stringValue`, RECORD_STRING) };
  if (member === 'stringListValue') {
    const list = requireArray(raw, `${field}.stringListValue`, 1, 5);
    return { stringListValue: list.map((s, i) => requireString(s, `${field}.stringListValue[${i}]`, RECORD_LIST_MEMBER)) };
  }
  if (member === 'numberValue') {
    if (typeof raw !== 'number' || !Number.isFinite(raw)) throw validationError(`${field}.numberValue must be a number`, field);
    return { numberValue: raw };
  }
  return { dateTimeValue: optionalTimestamp(raw, `${field}.dateTimeValue`)! / 1000 };
}

/** MemoryRecordMetadataMap: 1–20 entries. */
export function parseRecordMetadata(value: unknown, field = 'metadata'): Record<string, RecordMetadataValue> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw validationError(`${field} must be a map`, field);
  const entries = Object.entries(value);
  if (entries.length < 1 || entries.length > 20) throw validationError(`${field} must have 1 to 20 entries`, field);
  const out: Record<string, RecordMetadataValue> = {};
  for (const [key, v] of entries) {
    requireString(key, `${field} key`, METADATA_KEY);
    out[key] = parseRecordMetadataValue(v, `${field}.${key}`);
  }
  return out;
}

export interface EventMetadataFilter {
  key: string;
  operator: 'EQUALS_TO' | 'EXISTS' | 'NOT_EXISTS';
  value?: string;
}

/** ListEvents filter.eventMetadata: 1–5 expressions, all of which must hold. */
export function parseEventMetadataFilters(value: unknown): EventMetadataFilter[] | undefined {
  const list = optionalArray(value, 'filter.eventMetadata', 1, 5);
  return list?.map((item, i) => {
    const field = `filter.eventMetadata[${i}]`;
    if (!isObject(item)) throw validationError(`${field} must be an object`, field);
    unionMember(item.left, `${field}.left`, ['metadataKey']);
    const key = requireString((item.left as Record<string, unknown>).metadataKey, `${field}.left.metadataKey`, METADATA_KEY);
    const operator = requireString(item.operator, `${field}.operator`);
    if (operator !== 'EQUALS_TO' && operator !== 'EXISTS' && operator !== 'NOT_EXISTS') {
      throw validationError(`${field}.operator must be one of EQUALS_TO, EXISTS, NOT_EXISTS`, `${field}.operator`);
    }
    if (operator !== 'EQUALS_TO') return { key, operator };
    if (!isObject(item.right)) throw validationError(`${field}.right is required for EQUALS_TO`, `${field}.right`);
    unionMember(item.right, `${field}.right`, ['metadataValue']);
    const mv = (item.right as Record<string, unknown>).metadataValue;
    unionMember(mv, `${field}.right.metadataValue`, ['stringValue']);
    const v = requireString((mv as Record<string, unknown>).stringValue, `${field}.right.metadataValue.stringValue`, METADATA_STRING);
    return { key, operator, value: v };
  });
}

const RECORD_OPERATORS = [
  'EQUALS_TO',
  'EXISTS',
  'NOT_EXISTS',
  'BEFORE',
  'AFTER',
  'CONTAINS',
  'GREATER_THAN',
  'GREATER_THAN_OR_EQUALS',
  'LESS_THAN',
  'LESS_THAN_OR_EQUALS',
] as const;
export type RecordOperator = (typeof RECORD_OPERATORS)[number];
export interface RecordMetadataFilter {
  key: string;
  operator: RecordOperator;
  value?: RecordMetadataValue;
}

/** MemoryMetadataFilterList: 1–5 expressions; `right` is required except for EXISTS / NOT_EXISTS. */
export function parseRecordMetadataFilters(value: unknown, fieldName: string): RecordMetadataFilter[] | undefined {
  const list = optionalArray(value, fieldName, 1, 5);
  return list?.map((item, i) => {
    const field = `${fieldName}[${i}]`;
    if (!isObject(item)) throw validationError(`${field} must be an object`, field);
    unionMember(item.left, `${field}.left`, ['metadataKey']);
    const key = requireString((item.left as Record<string, unknown>).metadataKey, `${field}.left.metadataKey`, METADATA_KEY);
    const operator = requireString(item.operator, `${field}.operator`) as RecordOperator;
    if (!RECORD_OPERATORS.includes(operator)) {
      throw validationError(`${field}.operator must be one of ${RECORD_OPERATORS.join(', ')}`, `${field}.operator`);
    }
    if (operator === 'EXISTS' || operator === 'NOT_EXISTS') return { key, operator };
    if (!isObject(item.right)) throw validationError(`${field}.right is required for ${operator}`, `${field}.right`);
    unionMember(item.right, `${field}.right`, ['metadataValue']);
    const v = parseRecordMetadataValue((item.right as Record<string, unknown>).metadataValue, `${field}.right.metadataValue`);
    return { key, operator, value: v };
  });
}

/** Whether a record's metadata satisfies one filter expression. */
export function recordFilterHolds(metadata: Record<string, RecordMetadataValue> | undefined, f: RecordMetadataFilter): boolean {
  const actual = metadata?.[f.key];
  if (f.operator === 'EXISTS') return actual !== undefined;
  if (f.operator === 'NOT_EXISTS') return actual === undefined;
  if (actual === undefined || f.value === undefined) return false;
  const scalar = (v: RecordMetadataValue): string | number | undefined =>
    'stringValue' in v ? v.stringValue : 'numberValue' in v ? v.numberValue : 'dateTimeValue' in v ? v.dateTimeValue : undefined;
  const a = scalar(actual);
  const b = scalar(f.value);
  switch (f.operator) {
    case 'EQUALS_TO':
      if ('stringListValue' in actual && 'stringListValue' in f.value) {
        return JSON.stringify(actual.stringListValue) === JSON.stringify(f.value.stringListValue);
      }
      return a !== undefined && a === b;
    case 'CONTAINS':
      if ('stringListValue' in actual) {
        const wanted = 'stringListValue' in f.value ? f.value.stringListValue : typeof b === 'string' ? [b] : [];
        return wanted.length > 0 && wanted.every((w) => actual.stringListValue.includes(w));
      }
      return typeof a === 'string' && typeof b === 'string' && a.includes(b);
    case 'BEFORE':
      return 'dateTimeValue' in actual && 'dateTimeValue' in f.value && actual.dateTimeValue < f.value.dateTimeValue;
    case 'AFTER':
      return 'dateTimeValue' in actual && 'dateTimeValue' in f.value && actual.dateTimeValue > f.value.dateTimeValue;
    default: {
      if (!('numberValue' in actual) || !('numberValue' in f.value)) return false;
      const x = actual.numberValue;
      const y = f.value.numberValue;
      if (f.operator === 'GREATER_THAN') return x > y;
      if (f.operator === 'GREATER_THAN_OR_EQUALS') return x >= y;
      if (f.operator === 'LESS_THAN') return x < y;
      return x <= y;
    }
  }
}

/** `namespace` (string prefix) or `namespacePath` (the hierarchy under a path): one is required. */
export function parseNamespaceScope(body: Record<string, unknown>): (ns: string) => boolean {
  const namespace = optionalString(body.namespace, 'namespace', NAMESPACE);
  const namespacePath = optionalString(body.namespacePath, 'namespacePath', NAMESPACE);
  if (namespace === undefined && namespacePath === undefined) {
    throw validationError('Either namespace or namespacePath is required', 'namespace');
  }
  const path = namespacePath?.replace(/\/+$/, '');
  return (ns) =>
    (namespace === undefined || ns.startsWith(namespace)) &&
    (path === undefined || path === '' || ns === path || ns.startsWith(`${path}/`));
}

/** NamespacesList: at most one namespace per record. */
export function parseNamespaces(value: unknown, field: string, required: boolean): string[] | undefined {
  const list = required ? requireArray(value, field, 0, 1) : optionalArray(value, field, 0, 1);
  return list?.map((ns, i) => requireString(ns, `${field}[${i}]`, NAMESPACE));
}

/** MemoryContent union: `{ text }`, 1–16,000 characters. */
export function parseRecordContent(value: unknown, field: string): string {
  if (value === undefined || value === null) throw validationError(`${field} is required`, field);
  unionMember(value, field, ['text']);
  return requireString((value as Record<string, unknown>).text, `${field}.text`, RECORD_TEXT);
}
