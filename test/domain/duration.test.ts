import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/domain/duration.js';
import { InvalidInputError } from '../../src/domain/errors.js';

describe('durations', () => {
  it.each([
    ['P3D', 3 * 86_400_000],
    ['PT15M', 15 * 60_000],
    ['PT72H', 72 * 3_600_000],
    ['P1DT2H', 26 * 3_600_000],
    ['PT1H30M', 90 * 60_000],
    ['PT0.5S', 500],
    ['P1W', 7 * 86_400_000],
    ['pt20s', 20_000],
    ['3d', 3 * 86_400_000],
    ['15m', 15 * 60_000],
    ['90s', 90_000],
    ['500ms', 500],
    ['1h30m', 90 * 60_000],
    ['2s', 2_000],
    [' 8h ', 8 * 3_600_000],
  ])('parses %s', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(['3 dayz', '', 'P', 'PT', '15', 'm15', '3x', 'P1Y', 'P1M', '-5s', '5s5', 'abc', '1h 30m'])('rejects %j with a message naming the setting', (input) => {
    expect(() => parseDuration(input, 'waitFor.timeout')).toThrow(InvalidInputError);
    expect(() => parseDuration(input, 'waitFor.timeout')).toThrow(/waitFor\.timeout: .* is not a duration\. Use ISO 8601/);
  });

  it.each(['99999999999999999999d', '9999999999999999w', 'P40000D', '101y'])('refuses %j: longer than 100 years or not a duration', (input) => {
    expect(() => parseDuration(input, 'waitFor.timeout')).toThrow(InvalidInputError);
  });

  it('formats compactly', () => {
    expect(formatDuration(90 * 60_000)).toBe('1h30m');
    expect(formatDuration(2_000)).toBe('2s');
    expect(formatDuration(72 * 3_600_000)).toBe('3d');
    expect(formatDuration(1_500)).toBe('1s500ms');
    expect(formatDuration(0)).toBe('0s');
  });
});
