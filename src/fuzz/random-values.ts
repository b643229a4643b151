/**
 * Values random scripts write (random-scripts.ts): a sysctl selection as its call, and a socket
 * option's value, both relative to the port range the script has set at that point.
 */
import type { Call, SockOptValue } from '../calls/index.js';
import type { OptSpec, SysctlSel } from './random-plan.js';

export function sysctlCall(sel: SysctlSel, lo: number, size: number): Call {
  const s = (name: string, value: string): Call => ({ op: 'sysctl', name, value });
  switch (sel.k) {
    case 'range':
      return s('net.ipv4.ip_local_port_range', `${sel.lo} ${sel.lo + sel.size - 1}`);
    case 'reserved': {
      if (sel.none) return s('net.ipv4.ip_local_reserved_ports', '');
      const a = lo + (sel.a % size);
      const b = Math.min(lo + size - 1, a + (sel.b - sel.a));
      return s('net.ipv4.ip_local_reserved_ports', a === b ? `${a}` : `${a}-${b}`);
    }
    case 'twReuse':
      return s('net.ipv4.tcp_tw_reuse', String(sel.v));
    case 'autobindReuse':
      return s('net.ipv4.ip_autobind_reuse', String(sel.v));
    case 'timestamps':
      return s('net.ipv4.tcp_timestamps', String(sel.v));
    case 'bindv6only':
      return s('net.ipv6.bindv6only', String(sel.v));
    case 'nonlocal':
      return s(sel.v6 ? 'net.ipv6.ip_nonlocal_bind' : 'net.ipv4.ip_nonlocal_bind', String(sel.v));
    case 'unprivStart':
      return s('net.ipv4.ip_unprivileged_port_start', String(sel.v));
    case 'maxTw':
      return s('net.ipv4.tcp_max_tw_buckets', String(sel.v));
  }
}

/** A socket option's value; IP_LOCAL_PORT_RANGE bounds are placed in (or around) [lo, lo + size). */
export function optValue(o: OptSpec, lo: number, size: number): SockOptValue {
  if (o.opt !== 'IP_LOCAL_PORT_RANGE') return o.v;
  const l = o.lpr;
  const at = (i: number) => lo + (i % size);
  switch (l.k) {
    case 'in':
      return [at(l.a), Math.max(at(l.a), at(l.b))];
    case 'openLo':
      return [0, at(l.b)];
    case 'openHi':
      return [at(l.a), 0];
    case 'outside':
      return [30000, 30010];
    case 'straddle':
      return [lo - 2, at(l.b)];
    case 'unset':
      return [0, 0];
  }
}
