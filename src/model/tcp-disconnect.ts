/**
 * connect(AF_UNSPEC) on a TCP socket, and what the socket may do afterwards. The spec has this
 * for UDP only (R94); everything here is measured, not in the spec
 * (experiments/exp_tcp_disconnect.py, TD1-TD7, on 6.18.44):
 *  - never connected nor listening (fresh, bound, IP_BIND_ADDRESS_NO_PORT, refused): nothing
 *    changes, not even a port bind(0) chose (TD1);
 *  - connected (ESTABLISHED, CLOSE_WAIT, or reset by its peer): the peer gets an RST and no
 *    TIME_WAIT is left; a port bind() fixed stays held, any other port (connect's choice,
 *    bind(addr, 0), IP_BIND_ADDRESS_NO_PORT) is given back while getsockname keeps showing it,
 *    as after a refused connect (R61); an address bind() did not fix goes back to the wildcard,
 *    also in the bind table (a wildcard-bound port then blocks every address again) (TD3-TD5);
 *  - listening: the listener stops and resets its queued connections; port and address as for
 *    a connected socket (TD2).
 * Afterwards (TD6, TD7): connect() works again, from the kept port or a new search. A socket
 * that was connected can never listen again: listen() is EINVAL, but when the socket has no port
 * it first runs the bind(0) search (R40, odd ports first) and keeps what it found (EADDRINUSE
 * when nothing is free), as R52 says of listen() after a failed connect. A socket that was
 * listening can never connect again: connect() is EINVAL and changes nothing; listen() works.
 */
import { ANY4, ANY6 } from './addr.js';
import type { Core } from './core.js';
import type { Socket } from './entities.js';
import { type Failure, fail } from './result.js';
import { resetAcceptQueue, resetPeer } from './tcp-close.js';

export function disconnectTcp(core: Core, s: Socket): void {
  switch (s.state) {
    case 'LISTEN': {
      resetAcceptQueue(core, s);
      if (s.portLocked) core.unlisten(s);
      else core.releasePort(s); // leaves the listener set too; getsockname keeps the port
      s.state = 'CLOSE';
      s.onceListened = true;
      forgetSource(core, s);
      return;
    }
    case 'ESTABLISHED':
    case 'CLOSE_WAIT': {
      resetPeer(core, s);
      core.removeTuple(s);
      s.raddr = null;
      s.rport = 0;
      s.peer = null;
      s.peerEntry = null;
      s.state = 'CLOSE';
      s.onceConnected = true;
      if (s.lport && !s.portLocked) core.releasePort(s);
      forgetSource(core, s);
      return;
    }
    case 'CLOSE':
      // A reset socket is still connected for the socket layer (connect() says so); AF_UNSPEC
      // ends that. Its port went back with the reset unless bind() fixed it (core.resetByPeer).
      if (s.wasReset) {
        s.wasReset = false;
        s.onceConnected = true;
        forgetSource(core, s);
      }
      return;
  }
}

/** The source address goes back to the wildcard unless bind() fixed it, in the bind table too. */
function forgetSource(core: Core, s: Socket): void {
  if (s.addrLocked) return;
  const any = s.family === 4 ? ANY4 : ANY6;
  if (s.laddr.key === any.key) return;
  if (s.lport !== 0)
    core.ports.moveAddress(s, s.lport, s.laddr, () => {
      s.laddr = any;
    });
  else s.laddr = any;
}

/**
 * connect() on a socket that once listened: EINVAL, nothing changes. Measured order: after the
 * address family, V6ONLY (ENETUNREACH), v4-mapped source (EAFNOSUPPORT) and route (ENETUNREACH)
 * checks, before port 0 is refused.
 */
export function connectOnceListened(s: Socket): Failure | null {
  if (!s.onceListened || s.state !== 'CLOSE') return null;
  return fail(
    'EINVAL',
    'R10',
    'a TCP socket that once listened cannot connect, even after connect(AF_UNSPEC) (measured, not in the spec)',
  );
}
