/**
 * D5: do two owners claim a common local address? (D6, devices, is always true here: the model
 * has no SO_BINDTODEVICE, so every owner is device-less.)
 */
import type { Addr } from './addr.js';

export interface AddrView {
  readonly family: 4 | 6;
  readonly laddr: Addr;
  readonly v6only: boolean;
}

const NONE = -2;

/** The IPv4 address an owner covers as u32 (0 = 0.0.0.0), or NONE. */
function v4view(s: AddrView): number {
  if (s.family === 4) return s.laddr.v4;
  if (s.v6only) return NONE;
  if (s.laddr.wildcard) return 0;
  if (s.laddr.mapped) return s.laddr.v4;
  // A native IPv6 address reached only through connect() (bind would have set v6only): the
  // kernel gives such a socket the IPv4 receive address 127.0.0.6 (its "loopback for IPv6"
  // marker), so it still overlaps 0.0.0.0 and 127.0.0.6. Found by the differential tests.
  return LOOPBACK4_IPV6;
}

const LOOPBACK4_IPV6 = 0x7f000006;

enum Kind {
  Mapped = 0,
  Any = 1,
  Other = 2,
}

function kind(s: AddrView): Kind {
  if (s.family === 4 || s.laddr.mapped) return Kind.Mapped;
  if (s.laddr.wildcard) return Kind.Any;
  return Kind.Other;
}

/** D5 overlaps(N, E): N is the socket being checked, E an existing owner. */
export function overlaps(n: AddrView, e: AddrView): boolean {
  if (n.family === 4) {
    const ev = v4view(e);
    if (ev === NONE) return false;
    return n.laddr.v4 === ev || n.laddr.v4 === 0 || ev === 0;
  }
  const kn = kind(n);
  const ke = kind(e);
  if (kn === Kind.Mapped && ke === Kind.Mapped) {
    const nv = n.laddr.v4;
    const ev = e.laddr.v4;
    return !e.v6only && (nv === ev || nv === 0 || ev === 0);
  }
  if (kn === Kind.Any && ke === Kind.Any) return true;
  if (ke === Kind.Any && !(e.v6only && kn === Kind.Mapped)) return true;
  if (kn === Kind.Any && !(n.v6only && ke === Kind.Mapped)) return true;
  return e.family === 6 && n.laddr === e.laddr;
}
