import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMicroTime, parseDuration, parseDurationNanos, parseMicroTime } from '../../src/api/index.ts';

describe('formatMicroTime / parseMicroTime', () => {
  it.each([
    [0, '1970-01-01T00:00:00.000000Z'],
    [1_795_389_491_123_456, '2026-11-22T23:18:11.123456Z'],
    [951_782_400_000_001, '2000-02-29T00:00:00.000001Z'],
    [-1, '1969-12-31T23:59:59.999999Z'],
    // The largest µs count a double holds exactly: times stay exact until 2255.
    [Number.MAX_SAFE_INTEGER, '2255-06-05T23:47:34.740991Z'],
  ])('%d µs is %s', (micros, text) => {
    expect(formatMicroTime(micros)).toBe(text);
    expect(parseMicroTime(text)).toBe(micros);
  });

  it('agrees with Date to the millisecond', () => {
    fc.assert(
      fc.property(fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (micros) => {
        const text = formatMicroTime(micros);
        expect(text.slice(0, 23)).toBe(new Date(Math.floor(micros / 1000)).toISOString().slice(0, 23));
        expect(parseMicroTime(text)).toBe(micros);
      }),
    );
  });

  it('truncates a fractional microsecond', () => {
    expect(formatMicroTime(1.9)).toBe('1970-01-01T00:00:00.000001Z');
  });

  it('refuses times RFC 3339 cannot write', () => {
    expect(() => formatMicroTime(Number.NaN)).toThrow(RangeError);
    expect(() => formatMicroTime(Number.MAX_SAFE_INTEGER + 2)).toThrow(RangeError);
  });

  it.each([
    ['2026-11-22T23:18:11Z', 1_795_389_491_000_000],
    ['2026-11-22T23:18:11.5Z', 1_795_389_491_500_000],
    ['2026-11-22T23:18:11.123456789Z', 1_795_389_491_123_456],
    ['2026-11-23T00:18:11.123456+01:00', 1_795_389_491_123_456],
    ['2026-11-22t22:18:11.123456-01:00', 1_795_389_491_123_456],
  ])('parses %s', (text, micros) => {
    expect(parseMicroTime(text)).toBe(micros);
  });

  it.each(['', '2026-11-22', '2026-11-22T23:18:11', '2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', '2026-11-22T24:00:00Z', '2026-11-22T23:60:00Z', '2026-11-22T23:18:11.Z', 'yesterday'])(
    'refuses %j',
    (text) => {
      expect(parseMicroTime(text)).toBeUndefined();
    },
  );
});

describe('parseDuration (Go syntax)', () => {
  it.each([
    ['0', 0],
    ['0s', 0],
    ['5s', 5_000_000],
    ['5m', 300_000_000],
    ['1h30m', 5_400_000_000],
    ['1.5h', 5_400_000_000],
    ['300ms', 300_000],
    ['10us', 10],
    ['10µs', 10],
    ['10μs', 10],
    ['1500ns', 1],
    ['999ns', 0],
    ['1.s', 1_000_000],
    ['.5s', 500_000],
    ['-1m', -60_000_000],
    ['+2s', 2_000_000],
    ['2h45m30.5s', 9_930_500_000],
  ])('%s is %d µs', (text, micros) => {
    expect(parseDuration(text)).toBe(micros);
  });

  it.each(['', '5', '5x', 's', '.s', '1h 30m', '-', '9223372036854775808ns', '3000000h'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('keeps nanoseconds exact', () => {
    expect(parseDurationNanos('1ns')).toBe(1n);
    expect(parseDurationNanos('9223372036854775807ns')).toBe(9_223_372_036_854_775_807n);
    expect(parseDurationNanos('-9223372036854775808ns')).toBe(-9_223_372_036_854_775_808n);
  });
});
