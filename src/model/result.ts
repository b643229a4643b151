/**
 * Syscall-like results are values. A failure carries the Linux errno, the spec rule that decided
 * it, and the sockets (or TIME_WAIT entries) that stood in the way, so every "no" can be explained.
 */

import type { Errno } from '../calls/index.js';

export type { Errno };

/** A spec rule or definition id: 'R31', 'D5', ... */
export type RuleId = `R${number}` | `D${number}`;

/** A reference to whatever holds a port: a socket, or a TIME_WAIT entry left by one. */
export interface OwnerRef {
  readonly kind: 'socket' | 'timewait';
  readonly id: number;
  /** Human label, e.g. "socket #3 127.0.0.1:40000 LISTEN". */
  readonly label: string;
}

export interface Failure {
  readonly ok: false;
  readonly errno: Errno;
  readonly rule: RuleId;
  readonly reason: string;
  readonly conflictsWith: readonly OwnerRef[];
}

export type Result<T extends object = object> = ({ readonly ok: true } & T) | Failure;

export function fail(
  errno: Errno,
  rule: RuleId,
  reason: string,
  conflictsWith: readonly OwnerRef[] = [],
): Failure {
  return { ok: false, errno, rule, reason, conflictsWith };
}
