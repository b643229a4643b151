/**
 * What a connect() that found its port does at the other end: a local listener gets a
 * server-side socket in its accept queue, no listener means ECONNREFUSED (R61; R53 for port 0),
 * a SYN that cannot come back times out (R10), and an address outside this namespace is a remote
 * host that accepts.
 */
import { type Addr, mapToV6, unmap } from './addr.js';
import type { Core } from './core.js';
import type { Socket } from './entities.js';
import { type Failure, fail } from './result.js';
import type { TupleSlot } from './tuple-table.js';

/** The listener a connection to dest:dport reaches: exact address first, then wildcard (R80). */
function findListener(core: Core, dest: Addr, dport: number, v4: boolean): Socket | null {
  const set = core.listeners.get(dport);
  if (!set) return null;
  let best: Socket | null = null;
  let bestScore = -1;
  for (const l of set) {
    let score = -1;
    if (v4) {
      if (l.family === 4) score = l.laddr.wildcard ? 2 : l.laddr.v4 === unmap(dest).v4 ? 4 : -1;
      else if (!l.v6only) {
        // [::ffff:0.0.0.0] listens on every IPv4 address, like 0.0.0.0.
        if (l.laddr.wildcard || (l.laddr.mapped && l.laddr.v4 === 0)) score = 1;
        else score = l.laddr.mapped && l.laddr.v4 === unmap(dest).v4 ? 3 : -1;
      }
    } else if (l.family === 6 && !l.laddr.mapped) {
      score = l.laddr.wildcard ? 1 : l.laddr === dest ? 3 : -1;
    }
    if (score > bestScore) {
      best = l;
      bestScore = score;
    }
  }
  return best;
}

/** An address as a socket of `family` sees it: IPv4 connections appear v4-mapped on IPv6 sockets. */
function inFamily(a: Addr, family: 4 | 6, v4: boolean): Addr {
  if (family === 4) return unmap(a);
  return v4 ? mapToV6(unmap(a)) : a;
}

/**
 * The SYN of socket `s` (its port and source now set) towards dest:dport: connected (and the
 * 4-tuple slot it took), or the failure, with a port the kernel chose given back (R61).
 * `hadPort` and `oldAddr` are what the socket had before this connect(); `knownSlot` is the
 * 4-tuple slot the search already looked up.
 */
export function establish(
  core: Core,
  s: Socket,
  dest: Addr,
  dport: number,
  hadPort: boolean,
  oldAddr: Addr,
  knownSlot: TupleSlot | undefined,
): Failure | TupleSlot {
  const v4 = s.family === 4 || dest.mapped;
  const destLocal = core.isLocalDest(dest);
  // A SYN to our own address and port meets this very socket: TCP simultaneous open, the
  // socket is connected to itself (and nothing is refused).
  const self = destLocal && dport === s.lport && dest.key === s.laddr.key;
  const listener = destLocal && !self ? findListener(core, dest, dport, v4) : null;
  // SYNs that go nowhere: an IPv6 loopback source towards another device, or an IPv6 socket
  // still wired for the IPv4 path (a connect through a v4-mapped address came first).
  // And an IPv6 source that is not this host's (bound with FREEBIND or ip_nonlocal_bind): the SYN
  // leaves, the answer has nowhere to go (measured: the connect times out; issue 10).
  const lost = !v4 && ((s.laddr.loopback && !destLocal) || s.viaV4 || !core.isLocalDest(s.laddr));
  if (s.family === 6 && v4) s.viaV4 = true;
  // R52: from here on a SYN has left; whatever comes of it, this socket will never listen.
  s.synSent = true;
  // R53: nothing listens on port 0, here or on a remote host: the SYN is answered with a reset.
  if (lost || dport === 0 || (destLocal && !self && !listener)) {
    // R61: a refused connect gives back a port the kernel chose (connect or bind(0)); an explicit
    // port stays. getsockname keeps showing the old port.
    const namePort = s.namePort;
    if (s.portLocked) {
      if (!s.addrLocked && s.laddr !== oldAddr)
        core.ports.moveAddress(s, s.lport, s.laddr, () => Object.assign(s, { laddr: oldAddr }));
    } else {
      core.releasePort(s);
      if (!s.addrLocked) s.laddr = oldAddr;
    }
    s.namePort = namePort;
    if (lost)
      return fail('ETIMEDOUT', 'R10', `no answer from ${dest.text}:${dport}: the SYN cannot be delivered`);
    return fail(
      'ECONNREFUSED',
      dport === 0 ? 'R53' : 'R61',
      `nothing listens on ${dest.text}:${dport}${hadPort ? '' : '; the chosen port was released'}`,
    );
  }
  s.raddr = dest;
  s.rport = dport;
  s.state = 'ESTABLISHED';
  s.peerTs = core.sysctl.timestamps !== 0;
  const slot = core.addTuple(s, knownSlot);
  if (!slot) throw new Error('model bug: a connected socket without a remote end');
  if (listener) {
    // The SYN may meet an older connection on the server side with the same 4-tuple: a
    // TIME_WAIT entry accepts a new SYN and dies; a live socket (say in CLOSE_WAIT after our
    // side closed) answers with an ACK our side resets, and the retransmitted SYN then reaches
    // the listener.
    const childLaddr = inFamily(dest, listener.family, v4);
    const childRaddr = inFamily(s.laddr, listener.family, v4);
    const old = core.ports.tupleOwner(childLaddr, listener.lport, childRaddr, s.lport);
    if (old?.kind === 'timewait') core.removeTimeWait(old);
    else if (old) core.resetByPeer(old);
    const child = core.newSocket('tcp', listener.family);
    child.uid = listener.uid;
    child.reuseAddr = listener.reuseAddr;
    child.reusePort = listener.reusePort;
    child.v6only = listener.v6only;
    // An accepted socket does not hold its port the way bind() does: reset by the peer, it gives
    // the port back (measured; test/scripts/regressions/model-bug-reset-child-keeps-port.pst).
    child.portLocked = false;
    child.addrLocked = true;
    child.laddr = childLaddr;
    child.lport = listener.lport;
    child.namePort = listener.lport;
    child.raddr = childRaddr;
    child.rport = s.lport;
    child.state = 'ESTABLISHED';
    child.peerTs = s.peerTs;
    child.peer = s;
    child.queuedOn = listener;
    child.userOpen = false;
    s.peer = child;
    // The child inherits the listener's port: it joins the bucket without a new bind check.
    const b = core.ports.join(child, child.lport);
    const sub = core.ports.sub(b, child.laddr);
    if (sub && sub.count === 1) {
      sub.ra = b.ra;
      sub.rp = b.rp;
    }
    core.addTuple(child);
    listener.acceptQueue.push(child);
  }
  return slot;
}
