// RFC 3339 timestamps with microseconds, the precision of sluice's status times
// (and of Kubernetes' MicroTime): 2026-11-22T23:18:11.123456Z. Times inside
// sluice are integers, microseconds since the Unix epoch. Pure arithmetic on
// the proleptic Gregorian calendar (H. Hinnant's civil-day algorithms), so this
// module reads no clock and needs no Date.

const microsPerSecond = 1_000_000;
const microsPerDay = 86_400 * microsPerSecond;

function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function daysInMonth(year: number, month: number): number {
  return daysFromCivil(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1) - daysFromCivil(year, month, 1);
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/**
 * Formats microseconds since the epoch as RFC 3339 in UTC with exactly six
 * fractional digits. A non-integer is truncated to the microsecond. A double
 * holds microseconds exactly up to 2^53 (years 1684 to 2255); beyond that, or
 * for NaN, it is a RangeError.
 */
export function formatMicroTime(micros: number): string {
  const t = Math.floor(micros);
  if (!Number.isSafeInteger(t)) {
    throw new RangeError(`${micros} µs is not a time RFC 3339 can write`);
  }
  const days = Math.floor(t / microsPerDay);
  let rest = t - days * microsPerDay;
  const { year, month, day } = civilFromDays(days);
  const fraction = rest % microsPerSecond;
  rest = (rest - fraction) / microsPerSecond;
  const second = rest % 60;
  const minute = Math.floor(rest / 60) % 60;
  const hour = Math.floor(rest / 3600);
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}.${pad(fraction, 6)}Z`;
}

const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses an RFC 3339 timestamp (any number of fractional digits, `Z` or an
 * offset) to microseconds since the epoch, truncating below the microsecond.
 * Returns undefined for anything else, including impossible dates and times
 * formatMicroTime cannot write.
 */
export function parseMicroTime(text: string): number | undefined {
  const m = rfc3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (!m[8]) {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const fraction = Number((m[7] ?? '').slice(0, 6).padEnd(6, '0'));
  const seconds = daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60;
  const micros = seconds * microsPerSecond + fraction;
  return Number.isSafeInteger(micros) ? micros : undefined;
}
