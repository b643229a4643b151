/**
 * setsockopt() and getsockopt() behind Netns: which options the model keeps, what each one
 * changes on the socket, and the profile's missing options. Buffers of a given length are read
 * as the kernel reads them (sockopt.ts).
 */
import type { SockOpt } from '../calls/index.js';
import { forgetReuseAddrSummary } from './bucket-flags.js';
import type { Core } from './core.js';
import type { SockId } from './entities.js';
import { missingOption } from './profile.js';
import { fail, type Result, type RuleId } from './result.js';
import { badf } from './socket-checks.js';
import { type OptValue, type ReadableOpt, readOption, valueFromBuffer } from './sockopt.js';

/**
 * The options whose value a spec rule is about, reported by setsockopt() and getsockopt():
 * IPV6_V6ONLY (R36), IP_FREEBIND (R7), IP_LOCAL_PORT_RANGE (R70). The others matter where a
 * later call reads them (R22, R32, R33), and that call reports them.
 */
const OPTION_RULE: Partial<Record<SockOpt, RuleId>> = {
  IPV6_V6ONLY: 'R36',
  IP_FREEBIND: 'R7',
  IPV6_FREEBIND: 'R7',
  IP_LOCAL_PORT_RANGE: 'R70',
};

export function setsockoptCall(
  core: Core,
  sock: SockId,
  opt: SockOpt,
  value: number | readonly [number, number],
  optlen: number | undefined,
): Result {
  const s = core.socket(sock);
  if (!s?.userOpen) return badf(sock);
  const absent = missingOption(core.profile, opt);
  if (absent) return absent;
  if (optlen !== undefined) {
    // The level is checked before the length: IPV6_V6ONLY on IPv4 is ENOPROTOOPT at any length.
    if ((opt === 'IPV6_V6ONLY' || opt === 'IPV6_FREEBIND') && s.family === 4)
      return fail('ENOPROTOOPT', 'R36', `${opt} is an IPv6 socket option`);
    const v = valueFromBuffer(opt, value, optlen);
    if ('ok' in v) return v;
    value = v.value;
  }
  const flag = typeof value === 'number' ? value !== 0 : value[0] !== 0;
  const rule = OPTION_RULE[opt];
  if (rule) core.rules.add(rule);
  switch (opt) {
    case 'SO_REUSEADDR':
      s.reuseAddr = flag;
      if (!flag && s.proto === 'tcp' && s.lport !== 0) {
        const b = core.ports.bucket(s.lport);
        if (b) forgetReuseAddrSummary(core.ports, b);
      }
      break;
    case 'SO_REUSEPORT':
      // Not so for SO_REUSEPORT: the kernel's reuseport summary stays as it was (measured).
      s.reusePort = flag;
      break;
    case 'IP_BIND_ADDRESS_NO_PORT':
      s.noPort = flag;
      break;
    case 'IPV6_V6ONLY':
      if (s.family === 4) return fail('ENOPROTOOPT', 'R36', 'IPV6_V6ONLY is an IPv6 socket option');
      if (s.lport !== 0) return fail('EINVAL', 'R36', 'IPV6_V6ONLY cannot change once the socket has a port');
      s.v6only = flag;
      break;
    case 'IP_FREEBIND':
    case 'IPV6_FREEBIND':
      // R7: one flag behind both names; an IPv4 socket has no IPv6 options (measured: ENOPROTOOPT).
      if (opt === 'IPV6_FREEBIND' && s.family === 4)
        return fail('ENOPROTOOPT', 'R7', 'IPV6_FREEBIND is an IPv6 socket option');
      s.freebind = flag;
      break;
    case 'SO_LINGER': {
      const [on, secs] = typeof value === 'number' ? [value, 0] : value;
      s.linger0 = on !== 0 && secs === 0;
      break;
    }
    case 'IP_LOCAL_PORT_RANGE': {
      // R70: raw u32 (hi << 16 | lo); both set and lo > hi is EINVAL; 0 on a side = unbounded.
      const [lo, hi] = typeof value === 'number' ? [value & 0xffff, value >>> 16] : value;
      if (lo < 0 || hi < 0 || lo > 65535 || hi > 65535)
        return fail('EINVAL', 'R70', 'IP_LOCAL_PORT_RANGE bounds must be 0..65535');
      if (lo !== 0 && hi !== 0 && lo > hi)
        return fail('EINVAL', 'R70', 'IP_LOCAL_PORT_RANGE low bound above high bound');
      s.lpr = ((hi << 16) | lo) >>> 0;
      break;
    }
    default:
      return fail('ENOPROTOOPT', 'D2', `unknown socket option ${String(opt)}`);
  }
  return { ok: true };
}

/** getsockopt() of an option the model keeps (sockopt.ts); IP_LOCAL_PORT_RANGE as [lo, hi]. */
export function getsockoptCall(core: Core, sock: SockId, opt: ReadableOpt): Result<{ value: OptValue }> {
  const s = core.socket(sock);
  if (!s?.userOpen) return badf(sock);
  const absent = missingOption(core.profile, opt);
  if (absent) return absent;
  const rule = OPTION_RULE[opt];
  if (rule) core.rules.add(rule);
  const r = readOption(s, opt);
  return 'ok' in r ? r : { ok: true, value: r.value };
}
