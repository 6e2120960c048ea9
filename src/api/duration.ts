// Go duration strings ("90s", "1h30m", "1.5h", "300ms"), the syntax Kubernetes
// users know from every duration field, parsed as Go's time.ParseDuration does.

const nanosPerUnit: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n], // µs, MICRO SIGN
  ['\u03bcs', 1_000n], // μs, GREEK SMALL LETTER MU
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

/** Go's time.Duration is an int64 of nanoseconds. */
const maxNanos = (1n << 63n) - 1n;

/**
 * What the CRD admits for a duration field: a positive Go duration without a
 * sign. Go's parser (and parseDuration) also takes a sign, a bare "0" and a
 * leading dot; the API keeps to the plain form.
 */
export const durationPattern = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;

/**
 * Parses a Go duration to nanoseconds. Returns undefined when Go would return
 * an error: bad syntax, a missing or unknown unit, or more than 2^63-1 ns.
 */
export function parseDurationNanos(text: string): bigint | undefined {
  let s = text;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') return undefined;
  let total = 0n;
  while (s !== '') {
    const number = /^([0-9]*)(?:\.([0-9]*))?/.exec(s);
    const whole = number?.[1] ?? '';
    const fraction = number?.[2] ?? '';
    if (whole === '' && fraction === '') return undefined;
    s = s.slice(number?.[0].length ?? 0);
    const unitText = /^[^0-9.]*/.exec(s)?.[0] ?? '';
    const unit = nanosPerUnit.get(unitText);
    if (unit === undefined) return undefined;
    s = s.slice(unitText.length);
    total += BigInt(whole || '0') * unit;
    if (fraction !== '') total += (BigInt(fraction) * unit) / 10n ** BigInt(fraction.length);
    if (total > maxNanos + (negative ? 1n : 0n)) return undefined;
  }
  return negative ? -total : total;
}

/**
 * Parses a Go duration to microseconds, truncated toward zero like Go's
 * Duration.Microseconds; undefined where parseDurationNanos is.
 */
export function parseDuration(text: string): number | undefined {
  const nanos = parseDurationNanos(text);
  if (nanos === undefined) return undefined;
  const micros = Number(nanos / 1_000n);
  return micros === 0 ? 0 : micros;
}
