import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/domain/clock.js';
import { InvalidInputError } from '../../src/domain/errors.js';
import { assertId, createIdGenerator } from '../../src/domain/ids.js';
import { namespaceHasPrefix, parseNamespace } from '../../src/domain/namespace.js';
import { tenantKey } from '../../src/store/keys.js';

describe('namespaces', () => {
  it('accepts ordinary paths', () => {
    expect(parseNamespace('investigations/inv_01ABC/facts')).toBe('investigations/inv_01ABC/facts');
    expect(parseNamespace('actors/alice@example.com/preferences')).toBe('actors/alice@example.com/preferences');
    expect(parseNamespace('investigations/')).toBe('investigations');
  });
  it.each(['', '/abs', 'a//b', 'a/../b', '..', 'a/./b', 'a/*', 'a/%2e%2e', 'a b', 'a\\b', 'a/b?c', '.hidden', 'x'.repeat(600)])('rejects %j', (ns) => {
    expect(() => parseNamespace(ns)).toThrow(InvalidInputError);
  });
  it('matches prefixes by segment, not by string', () => {
    expect(namespaceHasPrefix('investigations/inv_A/facts', 'investigations/inv_A')).toBe(true);
    expect(namespaceHasPrefix('investigations/inv_AB/facts', 'investigations/inv_A')).toBe(false);
    expect(namespaceHasPrefix('investigations', 'investigations')).toBe(true);
  });
});

describe('ids', () => {
  it('are time-ordered, unique and valid AgentCore session ids', () => {
    const clock = new FakeClock();
    const ids = createIdGenerator(clock);
    const a = ids('ses');
    const b = ids('ses');
    clock.advance(1);
    const c = ids('ses');
    expect(new Set([a, b, c]).size).toBe(3);
    expect([a, b, c].sort()).toEqual([a, b, c]);
    for (const id of [a, b, c]) {
      expect(id).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9-_]*$/);
      expect(id.length).toBeGreaterThanOrEqual(33);
      expect(id.length).toBeLessThanOrEqual(100);
      expect(assertId(id, 'ses')).toBe(id);
    }
  });
  it('rejects malformed and wrong-kind ids', () => {
    const ids = createIdGenerator(new FakeClock());
    expect(() => assertId(ids('ses'), 'inv')).toThrow(/not a valid id/);
    expect(() => assertId('inv_../../x', 'inv')).toThrow(InvalidInputError);
  });
});

describe('tenant keys', () => {
  it('builds every key from the tenant', () => {
    expect(tenantKey('acme', 'idem', 'signal', 'inv_1')).toBe('t:acme:idem:signal:inv_1');
  });
  it.each([['a:b'], ['a/b'], ['*'], ['..'], [''], ['a b']])('refuses part %j', (p) => {
    expect(() => tenantKey('acme', p)).toThrow(InvalidInputError);
    expect(() => tenantKey(p, 'x')).toThrow(InvalidInputError);
  });
});
