import { describe, expect, it } from 'vitest';
import { Lru } from '../src/lru.js';

describe('Lru', () => {
  it('keeps at most its capacity, dropping the least recently used (reads count as use)', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1); // a is now the most recent
    lru.set('c', 3); // drops b
    expect(lru.size).toBe(2);
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('a')).toBe(1);
    expect(lru.get('c')).toBe(3);
    lru.set('a', 10); // overwrite: no growth
    expect(lru.size).toBe(2);
    expect(lru.get('a')).toBe(10);
    lru.delete('a');
    expect(lru.get('a')).toBeUndefined();
    expect(lru.size).toBe(1);
  });

  it('refuses a capacity below 1', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => new Lru(bad), String(bad)).toThrow(RangeError);
  });
});
