/**
 * The syntax tree of a portspace script (.pst). Every statement that is a call carries exactly one
 * `Call` from src/run/calls.ts, so backends never see script syntax. Comments are kept (header,
 * leading and trailing) so the printer can reproduce a script a human wrote.
 */
import type { Call, ErrnoName, SockOptValue } from '../calls/index.js';

/** 1-based line and column of the first character of a statement. */
export interface Pos {
  readonly line: number;
  readonly col: number;
}

/** What a port (or a repeat count) must be. */
export type PortExpect =
  | { readonly kind: 'port'; readonly port: number }
  /** Inclusive. */
  | { readonly kind: 'range'; readonly lo: number; readonly hi: number }
  /** Written order kept; no duplicates. */
  | { readonly kind: 'set'; readonly ports: readonly number[] };

/**
 * The expected result of a call:
 * - none: `connect(c, 127.0.0.1:80)`, run it and check nothing;
 * - ok: `= 0`, the call succeeded (any port);
 * - errno: `= -1 EADDRINUSE`;
 * - port / range / set: `= 40000`, `= 40000..40003`, `= {40000, 40002}` (the local port afterwards;
 *   for accept, the peer's port);
 * - endpoint: `= 127.0.0.1:40000` (local address for bind/listen/connect/getsockname, the peer for
 *   accept); the port part may be a range or a set.
 * - member / members: `= srvB`, `= {srvA, srvB}` (deliver only: the socket that received).
 */
export type Expect =
  | { readonly kind: 'none' }
  | { readonly kind: 'ok' }
  | { readonly kind: 'errno'; readonly errno: ErrnoName }
  | PortExpect
  | { readonly kind: 'endpoint'; readonly addr: string; readonly port: PortExpect }
  /** deliver: `= srvB`, this socket received it. */
  | { readonly kind: 'member'; readonly name: string }
  /** deliver: `= {srvA, srvB}`, one of these received it (a reuseport group; written order kept). */
  | { readonly kind: 'members'; readonly names: readonly string[] }
  /** getsockopt: `= 1`, `= 40000 40010`, the option's value (sockopt-syntax.ts). */
  | { readonly kind: 'optval'; readonly value: SockOptValue };

/** Comments and spacing around a statement, kept for the printer. Texts exclude the `#`. */
export interface Trivia {
  /** A blank line precedes this statement (runs of blank lines collapse to one). */
  readonly blankBefore: boolean;
  /** Full-line comments directly above the statement. */
  readonly comments: readonly string[];
  /** Comment at the end of the statement's line, or null. */
  readonly trailing: string | null;
}

export interface CallStep extends Trivia {
  readonly kind: 'call';
  readonly call: Call;
  readonly expect: Expect;
  readonly pos: Pos;
}

/**
 * `repeat MAX { body } expect COUNT then ERRNO`: runs the body until one of its calls fails or MAX
 * rounds complete. `expectCount` is the number of complete rounds (null: not checked);
 * `thenErrno` the errno that must end the loop (null: the loop must run all MAX rounds).
 */
export interface RepeatStep extends Trivia {
  readonly kind: 'repeat';
  readonly max: number;
  readonly body: readonly Step[];
  readonly expectCount: PortExpect | null;
  readonly thenErrno: ErrnoName | null;
  readonly pos: Pos;
  /** Position of the closing `}`. */
  readonly endPos: Pos;
  /** Comments after the last body statement, before `}`. */
  readonly footer: readonly string[];
  /** Comment on the `}` line. */
  readonly endTrailing: string | null;
}

export type Step = CallStep | RepeatStep;

export interface Script {
  readonly file: string;
  /** The leading comment block (texts without `#`): says what the script demonstrates. */
  readonly header: readonly string[];
  /** Rule tags (R11, A3, D5) found in the header, in order of first appearance. */
  readonly rules: readonly string[];
  readonly steps: readonly Step[];
  /** Comments after the last statement. */
  readonly footer: readonly string[];
}

/** R\d+, A\d+ and D\d+ tags mentioned in the header, deduplicated, in order. */
export function rulesOf(header: readonly string[]): string[] {
  const out: string[] = [];
  for (const line of header) {
    for (const m of line.matchAll(/\b([RAD]\d+)\b/g)) {
      const tag = m[1] ?? '';
      if (!out.includes(tag)) out.push(tag);
    }
  }
  return out;
}

/** Every call step in execution order of the text (repeat bodies once), for tools that list calls. */
export function* callSteps(steps: readonly Step[]): Generator<CallStep> {
  for (const s of steps) {
    if (s.kind === 'call') yield s;
    else yield* callSteps(s.body);
  }
}
