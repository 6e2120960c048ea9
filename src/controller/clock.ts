// Time for the controller, in microseconds since the epoch: queuedAt orders runs,
// so two runs seen in the same millisecond must still get different, increasing
// times. The engine never reads a clock; the controller passes it `now`.
let last = 0;

export function nowMicros(): number {
  const micros = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  last = Math.max(micros, last + 1);
  return last;
}
