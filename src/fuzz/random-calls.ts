/**
 * Random-script actions for the calls of issue 10: getsockopt, setsockopt with an explicit
 * option length (short and long buffers), and connect(AF_UNSPEC) on any socket (TCP listeners,
 * connected and accepted sockets included; tcp-disconnect.ts in the model). Kept apart from
 * random-plan.ts so the plan's other actions stay as they were; random-scripts.ts turns them into
 * calls with `callsActionToCall`.
 */
import fc from 'fast-check';
import type { Call, GetSockOptName, SocketKind } from '../calls/index.js';
import { READABLE_OPTIONS } from '../model/index.js';

export type CallsAction =
  | { readonly t: 'getsockopt'; readonly s: number; readonly opt: number }
  | {
      readonly t: 'optlen';
      readonly s: number;
      readonly opt: number;
      readonly len: number;
      /** Flags: an index into FLAG_VALUES; IP_LOCAL_PORT_RANGE: the low end's offset in the range. */
      readonly v: number;
      /** IP_LOCAL_PORT_RANGE: the high end's offset in the range (below the low end: EINVAL). */
      readonly w: number;
    }
  | { readonly t: 'tcpDisconnect'; readonly s: number };

const GET_OPTS: readonly GetSockOptName[] = READABLE_OPTIONS;
/** Buffer sizes around the 4 bytes every option has: 0 and 1-3 (short), 8 (long). */
const LENS = [0, 1, 2, 3, 4, 8] as const;
/** Values whose low byte, low 4 bytes and whole differ in being zero (what each size reads). */
const FLAG_VALUES = [0, 1, 256, 65536, 4294967296, 4294967297] as const;

const nat = (n: number) => fc.nat(n);

export const callsActionArb: fc.Arbitrary<CallsAction> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('getsockopt' as const),
      s: nat(20),
      opt: nat(GET_OPTS.length - 1),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('optlen' as const),
      s: nat(20),
      opt: nat(GET_OPTS.length - 1),
      len: nat(LENS.length - 1),
      v: nat(7),
      w: nat(7),
    }),
  },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('tcpDisconnect' as const), s: nat(20) }) },
);

/** How much of the plan's action weight these get (the TCP actions have 100, UDP about 29). */
export const CALLS_ACTION_WEIGHT = 16;

/** The call for an action on socket `sock` (null when no socket is open); lo/size: the range now. */
export function callsActionToCall(
  a: CallsAction,
  sock: { readonly name: string; readonly kind: SocketKind } | null,
  lo: number,
  size: number,
): Call | null {
  if (sock === null) return null;
  switch (a.t) {
    case 'getsockopt':
      return { op: 'getsockopt', sock: sock.name, opt: GET_OPTS[a.opt % GET_OPTS.length] ?? 'SO_REUSEADDR' };
    case 'tcpDisconnect':
      return { op: 'disconnect', sock: sock.name };
    case 'optlen': {
      const opt = GET_OPTS[a.opt % GET_OPTS.length] ?? 'SO_REUSEADDR';
      const optlen = LENS[a.len % LENS.length] ?? 4;
      if (opt !== 'IP_LOCAL_PORT_RANGE')
        return {
          op: 'setsockopt',
          sock: sock.name,
          opt,
          value: FLAG_VALUES[a.v % FLAG_VALUES.length] ?? 1,
          optlen,
        };
      const at = (i: number) => lo + (i % size);
      return { op: 'setsockopt', sock: sock.name, opt, value: [at(a.v), at(a.w)], optlen };
    }
  }
}
