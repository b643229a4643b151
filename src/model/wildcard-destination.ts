/**
 * A wildcard destination means this host, for TCP connect() (R10) and UDP connect()/sendto()
 * (R94) alike (measured on this kernel for both protocols).
 *
 * IPv4 0.0.0.0 (and ::ffff:0.0.0.0): the socket's own IPv4 address, else 127.0.0.1. IPv6 [::]:
 * ::1, or ::ffff:127.0.0.1 for a socket bound to a v4-mapped address. Any other address is
 * returned unchanged.
 */
import { type Addr, LOOP4, LOOP6, mapToV6, unmap } from './addr.js';
import type { Socket } from './entities.js';

export function wildcardDestination(s: Socket, target: Addr): Addr {
  const ownV4 = s.laddr.v4 > 0 ? unmap(s.laddr) : LOOP4;
  if (target.family === 4 && target.wildcard) return ownV4;
  if (target.mapped && target.v4 === 0) return mapToV6(ownV4);
  if (target.wildcard) return s.laddr.mapped ? mapToV6(LOOP4) : LOOP6;
  return target;
}
