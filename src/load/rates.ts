/**
 * Connections per second for each tenth of a run: the established connections in the order they
 * were made, cut into ten equal parts by count; each part's rate is its size over the time from
 * the end of the previous part (the start of the run for the first) to its last connection.
 * A slowdown as the port space fills (the kernel's connect() scans the used half on every call
 * once half the range is taken, spec R14) shows as falling rates in the later tenths.
 */
import type { Tenth } from './types.js';

/** `times` are wall-clock ms of each established connection; they need not be sorted. */
export function tenths(times: readonly number[], startMs: number): Tenth[] {
  const sorted = Float64Array.from(times).sort();
  const n = sorted.length;
  if (n === 0) return [];
  const parts = Math.min(10, n);
  const out: Tenth[] = [];
  let prevEnd = startMs;
  for (let k = 0; k < parts; k++) {
    const from = Math.floor((k * n) / parts);
    const to = Math.floor(((k + 1) * n) / parts);
    const end = sorted[to - 1] ?? prevEnd;
    const seconds = Math.max(end - prevEnd, 0) / 1000;
    // A part made within one clock tick: report its rate as unknown (Infinity would not be JSON).
    out.push({ from, to, seconds, perSecond: seconds > 0 ? (to - from) / seconds : 0 });
    prevEnd = end;
  }
  return out;
}
