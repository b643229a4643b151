/**
 * getsockopt() and setsockopt() with an explicit option length: what the kernel reads from a
 * buffer of a given size, and what it reports back. Measured on 6.18.44
 * (experiments/exp_sockopt.py, results in experiments/results/exp_sockopt.txt); only the
 * IP_LOCAL_PORT_RANGE parts are in the spec (R70), the rest is measured, not in the spec.
 */
import type { Socket } from './entities.js';
import { type Failure, fail } from './result.js';

/** The options getsockopt reads (SO_LINGER is kept only as "linger 0 or not": not readable). */
export type ReadableOpt =
  | 'SO_REUSEADDR'
  | 'SO_REUSEPORT'
  | 'IP_BIND_ADDRESS_NO_PORT'
  | 'IP_LOCAL_PORT_RANGE'
  | 'IPV6_V6ONLY'
  | 'IP_FREEBIND'
  | 'IPV6_FREEBIND';

/** Every option getsockopt reads, in one list that the script language and the generator share. */
export const READABLE_OPTIONS: readonly ReadableOpt[] = [
  'SO_REUSEADDR',
  'SO_REUSEPORT',
  'IP_BIND_ADDRESS_NO_PORT',
  'IPV6_V6ONLY',
  'IP_LOCAL_PORT_RANGE',
  'IP_FREEBIND',
  'IPV6_FREEBIND',
];

export type OptValue = number | readonly [number, number];

/** The largest buffer a script may hand to setsockopt (the kernel reads at most 4 bytes of any). */
export const MAX_OPTLEN = 64;

/**
 * getsockopt(). Flags read back 0 or 1 whatever was set (GSO2). IPV6_V6ONLY on an IPv4 socket is
 * EOPNOTSUPP (GSO1; setsockopt says ENOPROTOOPT instead). IP_LOCAL_PORT_RANGE returns the stored
 * pair as it was set, bounds outside the netns range included (R70, GSO3).
 */
export function readOption(s: Socket, opt: ReadableOpt): Failure | { value: OptValue } {
  switch (opt) {
    case 'SO_REUSEADDR':
      return { value: s.reuseAddr ? 1 : 0 };
    case 'SO_REUSEPORT':
      return { value: s.reusePort ? 1 : 0 };
    case 'IP_BIND_ADDRESS_NO_PORT':
      return { value: s.noPort ? 1 : 0 };
    case 'IPV6_V6ONLY':
      if (s.family === 4)
        return fail('EOPNOTSUPP', 'R36', 'getsockopt(IPV6_V6ONLY) on an IPv4 socket (measured: EOPNOTSUPP)');
      return { value: s.v6only ? 1 : 0 };
    case 'IP_LOCAL_PORT_RANGE':
      return { value: [s.lpr & 0xffff, s.lpr >>> 16] };
    case 'IP_FREEBIND':
      return { value: s.freebind ? 1 : 0 };
    case 'IPV6_FREEBIND':
      // One flag behind both names on an IPv6 socket; an IPv4 socket has no IPv6 level (measured).
      if (s.family === 4)
        return fail('EOPNOTSUPP', 'R7', 'getsockopt(IPV6_FREEBIND) on an IPv4 socket (measured: EOPNOTSUPP)');
      return { value: s.freebind ? 1 : 0 };
    default:
      return fail('ENOPROTOOPT', 'D2', `getsockopt of ${String(opt)} is not modelled`);
  }
}

/** The low `bytes` bytes of the little-endian encoding of a non-negative integer, as a number. */
function lowBytes(value: number, bytes: number): number {
  if (bytes <= 0) return 0;
  if (bytes >= 4) return value % 2 ** 32;
  return value % 2 ** (8 * bytes);
}

/**
 * What the kernel takes from a buffer of `optlen` bytes holding `value` (SOL1, SOL2; measured,
 * not in the spec except R70's "exactly 4 bytes"):
 *  - SO_REUSEADDR, SO_REUSEPORT, IPV6_V6ONLY: fewer than 4 bytes is EINVAL and the option keeps
 *    its value; 4 or more bytes: the first 4 are the int (so 2^32 reads as 0 with 8 bytes).
 *  - IP_BIND_ADDRESS_NO_PORT: 4 or more bytes: the first 4; 1 to 3 bytes: the first byte only
 *    (256 with 2 bytes reads as 0); 0 bytes: the value 0 (it clears the option).
 *  - IP_FREEBIND: like IP_BIND_ADDRESS_NO_PORT, except that 0 bytes is EINVAL (the option keeps
 *    its value); IPV6_FREEBIND: like IPV6_V6ONLY (fewer than 4 bytes is EINVAL).
 *  - IP_LOCAL_PORT_RANGE: exactly 4 bytes, anything else EINVAL (R70).
 *  - SO_LINGER with an explicit length is not measured: EINVAL here (the parser refuses it).
 * Returns the value setsockopt then applies as if given with the option's own size.
 */
export function valueFromBuffer(
  opt: ReadableOpt | 'SO_LINGER',
  value: OptValue,
  optlen: number,
): Failure | { value: OptValue } {
  if (!Number.isInteger(optlen) || optlen < 0 || optlen > MAX_OPTLEN)
    return fail('EINVAL', 'D2', `option length ${optlen} out of 0..${MAX_OPTLEN}`);
  const raw =
    typeof value === 'number' ? value : opt === 'IP_LOCAL_PORT_RANGE' ? value[1] * 65536 + value[0] : -1;
  if (!Number.isSafeInteger(raw) || raw < 0)
    return fail('EINVAL', 'D2', `${opt} with an explicit option length needs a value >= 0`);
  switch (opt) {
    case 'SO_REUSEADDR':
    case 'SO_REUSEPORT':
    case 'IPV6_V6ONLY':
    case 'IPV6_FREEBIND':
      if (optlen < 4) return fail('EINVAL', 'D2', `${opt} needs an int: ${optlen} bytes is too short`);
      return { value: lowBytes(raw, 4) };
    case 'IP_FREEBIND':
      if (optlen === 0) return fail('EINVAL', 'D2', 'IP_FREEBIND needs at least one byte');
      return { value: lowBytes(raw, optlen >= 4 ? 4 : 1) };
    case 'IP_BIND_ADDRESS_NO_PORT':
      return { value: lowBytes(raw, optlen >= 4 ? 4 : Math.min(optlen, 1)) };
    case 'IP_LOCAL_PORT_RANGE': {
      if (optlen !== 4)
        return fail('EINVAL', 'R70', `IP_LOCAL_PORT_RANGE takes exactly 4 bytes, not ${optlen}`);
      const u32 = lowBytes(raw, 4);
      return { value: [u32 % 65536, Math.floor(u32 / 65536)] };
    }
    default:
      return fail('EINVAL', 'D2', `${opt} with an explicit option length is not modelled`);
  }
}
