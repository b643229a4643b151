/**
 * How a call that makes a random choice (bind(0), listen() autobind, connect() autoselection,
 * UDP autobind) gets its port, per ChoiceOptions:
 *  - default: the injected entropy decides, reproducibly for a given seed (no picker);
 *  - `follow`: the caller says what the kernel chose; the model checks it is a possible outcome
 *    (search.ts `isOutcome`) and adopts it. This is how differential runs stay exact.
 *  - `trace`: the search is walked port by port and every port passed over is explained.
 */
import { describeOwner } from './entities.js';
import type { Failure } from './result.js';
import { isOutcome, type Outcomes, outcomes, type Picker, type TraceEvent, walk } from './search.js';

export interface ChoiceOptions {
  /** The port the real kernel chose, or 'fail' when it failed: adopt it (it must be a possible outcome). */
  readonly follow?: number | 'fail';
  /** Walk the search port by port and return the trace. */
  readonly trace?: boolean;
}

/** A choice-making call, for `outcomes`. */
export type ChoiceCall =
  | { readonly op: 'bind'; readonly addr: string; readonly port: number }
  | { readonly op: 'listen' }
  | { readonly op: 'connect'; readonly addr: string; readonly port: number }
  | { readonly op: 'sendto'; readonly addr: string; readonly port: number };

/** Thrown when `follow` names a result the kernel could not have produced: a caller bug. */
export class NotAnOutcomeError extends Error {
  constructor(
    readonly followed: number | 'fail',
    readonly possible: Outcomes,
  ) {
    super(
      `follow: ${followed} is not a possible outcome (ports ${possible.ports.join(',') || 'none'}${possible.mayFail ? ', or failure' : ''})`,
    );
  }
}

/** The picker for a call's options (none: the entropy decides) and the trace it fills. */
export interface Chooser {
  readonly pick?: Picker;
  readonly trace?: TraceEvent[];
}

export function chooser(opts: ChoiceOptions): Chooser {
  if (opts.follow !== undefined) {
    const followed = opts.follow;
    return {
      pick: (phases) => {
        if (!isOutcome(phases, followed)) throw new NotAnOutcomeError(followed, outcomes(phases));
        if (followed === 'fail') return null;
        return { port: followed, phase: 0, pass: 0, i: 0, offset: 0 };
      },
    };
  }
  if (opts.trace) {
    const trace: TraceEvent[] = [];
    return {
      trace,
      pick: (phases) => {
        const r = walk(phases, describeOwner);
        trace.push(...r.trace);
        return r.found;
      },
    };
  }
  return {};
}

/** The trace to add to a successful result, if one was asked for. */
export function traced(trace: TraceEvent[] | undefined): { trace?: TraceEvent[] } {
  return trace ? { trace } : {};
}

/** A failure with the trace, if one was asked for. */
export function withTrace(f: Failure, trace: TraceEvent[] | undefined): Failure & { trace?: TraceEvent[] } {
  return trace ? { ...f, trace } : f;
}
