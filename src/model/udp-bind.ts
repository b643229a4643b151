/**
 * UDP bind() and close() (spec R91-R93, R95, R96), and the one move every UDP port change is
 * made of: taking a port (which also joins a reuseport group, R80) and giving it back.
 * The argument checks before the port (R30) are TCP's, shared from tcp-bind.ts.
 */
import { type Addr, ANY4, ANY6 } from './addr.js';
import type { Core } from './core.js';
import type { Socket } from './entities.js';
import { type Failure, fail } from './result.js';
import { choose, type Picker } from './search.js';
import { checkBindArgs, ownerRef } from './tcp-bind.js';
import { udpAutobindPhases } from './udp-autobind.js';
import { type UdpView, udpConflicts } from './udp-conflict.js';

/** The socket as the conflict rule sees it after taking `laddr`. */
export function udpView(s: Socket, laddr: Addr = s.laddr, v6only: boolean = s.v6only): UdpView {
  return { family: s.family, laddr, v6only, reuseAddr: s.reuseAddr, reusePort: s.reusePort, uid: s.uid };
}

/** Takes `port` on `laddr`; a socket with SO_REUSEPORT joins (or starts) its group here (R80). */
function takeUdpPort(core: Core, s: Socket, laddr: Addr, v6only: boolean, port: number): void {
  s.laddr = laddr;
  s.v6only = v6only;
  s.lport = port;
  s.namePort = port;
  core.udp.add(s, port);
  core.groups.join(s, core.udp.owners(port));
}

/** R90 autobind on the socket's current address; the caller maps failure to its errno (R93). */
export function udpAutobind(core: Core, s: Socket, pick?: Picker): boolean {
  core.rules.add('R90');
  // R92: an owner that may share the port (R91) does not make it busy for this socket.
  if (s.reuseAddr || s.reusePort) core.rules.add('R92');
  if (s.lpr !== 0) core.rules.add('R72'); // the effective range (D7) narrows UDP autobind too
  const phases = udpAutobindPhases(core, udpView(s), s.lpr);
  const found = pick ? pick(phases) : choose(phases);
  if (!found) return false;
  takeUdpPort(core, s, s.laddr, s.v6only, found.port);
  return true;
}

export function bindUdp(
  core: Core,
  s: Socket,
  addr: Addr,
  port: number,
  pick?: Picker,
): Failure | { port: number } {
  const args = checkBindArgs(core, s, addr, port);
  if ('ok' in args) return args;
  if (port === 0 && s.noPort) {
    // R96: the address is recorded, the port waits for connect().
    core.rules.add('R96');
    s.laddr = addr;
    s.v6only = args.v6only;
    s.addrLocked = !addr.wildcard;
    return { port: 0 };
  }
  if (port !== 0) {
    core.rules.add('R91');
    const blockers = udpConflicts(udpView(s, addr, args.v6only), s, core.udp.owners(port));
    if (blockers.length > 0) {
      return fail(
        'EADDRINUSE',
        'R91',
        `UDP port ${port} is held by a socket that does not share it with this one (SO_REUSEADDR on both, or SO_REUSEPORT on both with the same uid)`,
        blockers.slice(0, 8).map(ownerRef),
      );
    }
    takeUdpPort(core, s, addr, args.v6only, port);
    s.portLocked = true;
  } else {
    const oldAddr = s.laddr;
    const oldV6only = s.v6only;
    s.laddr = addr;
    s.v6only = args.v6only;
    if (!udpAutobind(core, s, pick)) {
      s.laddr = oldAddr;
      s.v6only = oldV6only;
      return fail('EADDRINUSE', 'R93', 'no port of the range is free for this UDP socket (R90 found none)');
    }
  }
  s.addrLocked = !addr.wildcard;
  return { port: s.lport };
}

/** Gives the port back at once (R95: no TIME_WAIT), leaving the reuseport group (R81). */
export function releaseUdpPort(core: Core, s: Socket): void {
  if (s.lport === 0) return;
  core.groups.leave(s);
  core.udp.remove(s, s.lport);
  s.lport = 0;
  s.namePort = 0;
}

export function closeUdp(core: Core, s: Socket): void {
  core.rules.add('R95'); // the port is free at once: no TIME_WAIT
  releaseUdpPort(core, s);
  s.userOpen = false;
  core.sockets.remove(s);
}

/** The wildcard of the socket's family. */
export function wildcardOf(s: Socket): Addr {
  return s.family === 4 ? ANY4 : ANY6;
}
