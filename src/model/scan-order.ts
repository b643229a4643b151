/**
 * The order in which the kernel tries ports (spec R11 for connect, R40 for bind(0)), apart from
 * the question "is this port free?" (DESIGN idea 6).
 *
 * Both searches visit lo + offset + i for i = 0, step, 2*step, ... < remaining, wrapping a port
 * that reaches `end` back by `remaining` (not by the range size: with an odd-sized range that is
 * what makes one port unreachable from a given start). The visit order is therefore at most two
 * ascending arithmetic runs, which is what the fast search works on.
 */

export interface Segment {
  /** First port of the run. */
  readonly from: number;
  /** Last port of the run (inclusive); the run steps by the scan's step. */
  readonly to: number;
  /** Scan position i of `from` (the kernel's loop counter, which advances by step). */
  readonly i0: number;
}

export interface ScanWindow {
  readonly lo: number;
  /** Exclusive. */
  readonly end: number;
  readonly remaining: number;
  readonly step: 1 | 2;
}

/** `remaining` as both searches compute it: the window size, rounded down to even when asked. */
export function roundedRemaining(lo: number, end: number, roundToEven: boolean): number {
  const r = end - lo;
  return roundToEven && r > 1 ? r & ~1 : r;
}

/** The (at most two) runs of ports one pass visits from `offset`, in visit order. */
export function passSegments(w: ScanWindow, offset: number): Segment[] {
  const { lo, end, remaining, step } = w;
  const lastI = step * Math.floor((remaining - 1) / step);
  const start = lo + offset;
  const segs: Segment[] = [];
  let n1 = 0;
  if (start < end) {
    const last = Math.min(end - 1, start + lastI);
    n1 = Math.floor((last - start) / step) + 1;
    segs.push({ from: start, to: start + (n1 - 1) * step, i0: 0 });
  }
  const i2 = n1 * step;
  if (i2 <= lastI) segs.push({ from: start + i2 - remaining, to: start + lastI - remaining, i0: i2 });
  return segs;
}

/** Every port of a pass in visit order, literally as the kernel loops (the reference walk). */
export function* passPorts(w: ScanWindow, offset: number): Generator<{ port: number; i: number }> {
  let port = w.lo + offset;
  for (let i = 0; i < w.remaining; i += w.step, port += w.step) {
    if (port >= w.end) port -= w.remaining;
    yield { port, i };
  }
}
