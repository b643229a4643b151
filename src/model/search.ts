/**
 * Running a port search in one of four ways, over the same description of it:
 *  - choose: the kernel's way, with the injected randomness, using the fast index (PortJudge.first);
 *  - walk: the same start, port by port, with the reason each port is passed over (explanations,
 *    and the reference the fast path is tested against);
 *  - outcomes: every result the real kernel could produce, whatever its secret hash and random
 *    draws (DESIGN idea 7: where the kernel is random, the model knows the set);
 *  - a chosen port is "followed" by the caller after checking it is among the outcomes.
 *
 * A search is a list of phases. Each phase makes one random draw (a start offset) and runs one or
 * two passes from it; the next phase runs only if every pass of this one failed (R11, R40).
 */
import type { Owner } from './entities.js';
import type { RuleId } from './result.js';
import { passPorts, type ScanWindow } from './scan-order.js';

export type SkipReason =
  | 'reserved'
  | 'bind-owned'
  | '4-tuple'
  | 'conflict'
  | 'time-wait-too-young'
  /** linux-4.1 bind(0) fallback: shareable, but another shareable port has fewer owners. */
  | 'more-owners';

export interface Skip {
  readonly reason: SkipReason;
  readonly rule: RuleId;
  readonly by: Owner | null;
}

/** Decides, for one search, whether a port may be taken. */
export interface PortJudge {
  /** First acceptable port of [from, to] stepping by `step`, or -1. Must agree with `verdict`. */
  first(from: number, to: number, step: 1 | 2): number;
  /** Why a port is passed over, or null when it is acceptable. */
  verdict(port: number): Skip | null;
}

export interface Phase {
  readonly label: string;
  readonly window: ScanWindow;
  readonly judge: PortJudge;
  /** The start offset the kernel would draw now. Called once per phase, in order. */
  draw(): number;
  /** Every start offset the draw can yield. */
  offsets(): Iterable<number>;
  /** The second pass starts at offset + passDelta (connect +1, bind(0) -1); 0 = one pass only. */
  readonly passDelta: number;
}

/** Pass offsets that follow from a start offset ([o] or [o, o + delta]). */
export function passOffsets(phase: Phase, start: number): number[] {
  return phase.passDelta === 0 ? [start] : [start, start + phase.passDelta];
}

/** Replaces a search's random choice (follow and trace modes): the port to take, or null for "the call fails". */
export type Picker = (phases: Phase[]) => Found | null;

export interface Found {
  readonly port: number;
  readonly phase: number;
  readonly pass: number;
  /** The scan position i inside the pass that succeeded (R13 finish uses it). */
  readonly i: number;
  readonly offset: number;
}

/**
 * Which port a pass from `offset` takes, by the fast index, or -1. The pass visits at most two
 * ascending runs (scan-order.ts); computed inline because this is connect()'s hot path.
 */
function runPass(phase: Phase, offset: number): number {
  const { lo, end, remaining, step } = phase.window;
  const lastI = step * Math.floor((remaining - 1) / step);
  const start = lo + offset;
  let n1 = 0;
  if (start < end) {
    const last = Math.min(end - 1, start + lastI);
    n1 = Math.floor((last - start) / step) + 1;
    const q = phase.judge.first(start, start + (n1 - 1) * step, step);
    if (q >= 0) return q;
  }
  const i2 = n1 * step;
  if (i2 > lastI) return -1;
  return phase.judge.first(start + i2 - remaining, start + lastI - remaining, step);
}

/** The kernel's loop counter i for a port a pass from `offset` reached. */
function positionOf(phase: Phase, offset: number, port: number): number {
  const start = phase.window.lo + offset;
  return port >= start ? port - start : port - start + phase.window.remaining;
}

function runPhase(phase: Phase, start: number, phaseIndex: number): Found | null {
  let q = runPass(phase, start);
  if (q >= 0) return { port: q, i: positionOf(phase, start, q), phase: phaseIndex, pass: 0, offset: start };
  if (phase.passDelta === 0) return null;
  const second = start + phase.passDelta;
  q = runPass(phase, second);
  if (q >= 0) return { port: q, i: positionOf(phase, second, q), phase: phaseIndex, pass: 1, offset: second };
  return null;
}

/** One phase, the kernel's way (connect() has exactly one). */
export function chooseOne(phase: Phase): Found | null {
  return runPhase(phase, phase.draw(), 0);
}

/** Where `chooseOneInto` puts what it found. */
export interface Taken {
  port: number;
  /** The scan position i inside the pass that succeeded (R13 finish uses it). */
  i: number;
}

/**
 * `chooseOne` without a result object (connect()'s hot path): the port found and its scan
 * position go into `out`; false when every pass failed.
 */
export function chooseOneInto(phase: Phase, out: Taken): boolean {
  let from = phase.draw();
  let q = runPass(phase, from);
  if (q < 0 && phase.passDelta !== 0) {
    from += phase.passDelta;
    q = runPass(phase, from);
  }
  if (q < 0) return false;
  out.port = q;
  out.i = positionOf(phase, from, q);
  return true;
}

/** The kernel's way: draw, then search with the index. */
export function choose(phases: readonly Phase[]): Found | null {
  for (let n = 0; n < phases.length; n++) {
    const phase = phases[n] as Phase;
    const hit = runPhase(phase, phase.draw(), n);
    if (hit) return hit;
  }
  return null;
}

export type TraceEvent =
  | {
      readonly kind: 'phase';
      readonly label: string;
      readonly lo: number;
      readonly hi: number;
      readonly step: 1 | 2;
    }
  | { readonly kind: 'pass'; readonly pass: number; readonly offset: number; readonly startPort: number }
  | {
      readonly kind: 'skip';
      readonly port: number;
      readonly reason: SkipReason;
      readonly rule: RuleId;
      readonly by: string | null;
    }
  | { readonly kind: 'take'; readonly port: number; readonly i: number }
  | { readonly kind: 'exhausted' };

/**
 * The reference walk: same draws as `choose`, but port by port with `verdict`, recording every
 * port passed over and why. `describe` turns an owner into a label for the trace.
 */
export function walk(
  phases: readonly Phase[],
  describe: (o: Owner) => string,
  starts?: readonly number[],
): { found: Found | null; trace: TraceEvent[] } {
  const trace: TraceEvent[] = [];
  for (let n = 0; n < phases.length; n++) {
    const phase = phases[n] as Phase;
    const w = phase.window;
    trace.push({ kind: 'phase', label: phase.label, lo: w.lo, hi: w.end - 1, step: w.step });
    const start = starts?.[n] ?? phase.draw();
    const passes = passOffsets(phase, start);
    for (let k = 0; k < passes.length; k++) {
      const offset = passes[k] ?? 0;
      trace.push({ kind: 'pass', pass: k, offset, startPort: w.lo + offset });
      for (const { port, i } of passPorts(w, offset)) {
        const skip = phase.judge.verdict(port);
        if (!skip) {
          trace.push({ kind: 'take', port, i });
          return { found: { port, i, phase: n, pass: k, offset }, trace };
        }
        trace.push({
          kind: 'skip',
          port,
          reason: skip.reason,
          rule: skip.rule,
          by: skip.by ? describe(skip.by) : null,
        });
      }
    }
  }
  trace.push({ kind: 'exhausted' });
  return { found: null, trace };
}

/** Same as `choose` but with given start offsets (one per phase) and no draws: for tests. */
export function chooseFrom(phases: readonly Phase[], starts: readonly number[]): Found | null {
  for (let n = 0; n < phases.length; n++) {
    const hit = runPhase(phases[n] as Phase, starts[n] ?? 0, n);
    if (hit) return hit;
  }
  return null;
}

/**
 * Is `result` (a port, or 'fail') one of the outcomes? The same answer as `outcomes()`, without
 * listing them: a connect() search over an even-sized range is a full rotation of each parity
 * class, so its outcomes are "every acceptable port of the first class that has one" (R11). That
 * keeps following the kernel O(1) per call on a 28,232-port range; other searches enumerate.
 */
export function isOutcome(phases: readonly Phase[], result: number | 'fail'): boolean {
  const only = phases.length === 1 ? phases[0] : undefined;
  if (only && only.window.remaining === only.window.end - only.window.lo && only.passDelta >= 0) {
    const { lo, end, step } = only.window;
    const j = only.judge;
    const any1 = j.first(lo, end - 1, step) >= 0;
    const any2 = only.passDelta === 1 && j.first(lo + 1, end - 1, 2) >= 0;
    if (result === 'fail') return !any1 && !any2;
    if (result < lo || result >= end || j.verdict(result) !== null) return false;
    if (step === 1) return true;
    const firstClass = (result - lo) % 2 === 0;
    return firstClass ? any1 : !any1 && any2;
  }
  const o = outcomes(phases);
  return result === 'fail' ? o.mayFail : o.ports.includes(result);
}

export interface Outcomes {
  /** Every port the kernel could take, ascending. */
  readonly ports: readonly number[];
  /** Whether the kernel could also fail (e.g. an odd-sized range, R11/R40). */
  readonly mayFail: boolean;
}

/**
 * Every possible result over all draws. Phases draw independently, so a later phase matters
 * exactly when some draw of every earlier phase fails.
 */
export function outcomes(phases: readonly Phase[]): Outcomes {
  const ports = new Set<number>();
  for (let n = 0; n < phases.length; n++) {
    const phase = phases[n] as Phase;
    let someFail = false;
    for (const start of phase.offsets()) {
      const hit = runPhase(phase, start, n);
      if (hit) ports.add(hit.port);
      else someFail = true;
    }
    if (!someFail) return { ports: [...ports].sort((a, b) => a - b), mayFail: false };
  }
  return { ports: [...ports].sort((a, b) => a - b), mayFail: true };
}
