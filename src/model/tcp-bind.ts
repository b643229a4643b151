/**
 * TCP bind() and listen(): argument checks in the kernel's order (R30), the explicit-port check
 * with its fast path (R31-R38), bind(port 0) and listen() autobind (R40-R51), and
 * IP_BIND_ADDRESS_NO_PORT (R22).
 */
import type { Addr } from './addr.js';
import { recordAutobindRules, recordExplicitPortRules } from './bind-rules.js';
import { fastPathAccepts, updateFlags } from './bucket-flags.js';
import { conflictingOwners } from './conflict.js';
import type { Core } from './core.js';
import { describeOwner, type Owner, type OwnerView, type Socket } from './entities.js';
import { type Failure, fail, type OwnerRef } from './result.js';
import { choose, type Picker } from './search.js';
import { autobindPhases } from './tcp-autobind.js';

export function ownerRef(o: Owner): OwnerRef {
  return { kind: o.kind === 'timewait' ? 'timewait' : 'socket', id: o.id, label: describeOwner(o) };
}

/** A view of socket `s` as it would be after taking `laddr` (and LISTEN when `listening`). */
export function viewAs(s: Socket, laddr: Addr, v6only: boolean, listening: boolean): OwnerView {
  return {
    family: s.family,
    laddr,
    v6only,
    reuseAddr: s.reuseAddr,
    reusePort: s.reusePort,
    uid: s.uid,
    listening,
    isTimeWait: false,
    connectBound: false,
  };
}

/** R30 steps 1-5 (IPv4) / 1-7 (IPv6): everything before the port itself is looked at (TCP and UDP). */
export function checkBindArgs(
  core: Core,
  s: Socket,
  addr: Addr,
  port: number,
): Failure | { v6only: boolean } {
  const privileged = port !== 0 && port < core.sysctl.unprivilegedPortStart && core.uid !== 0;
  const busy = s.state !== 'CLOSE' || s.lport !== 0;
  if (s.family === 4) {
    if (addr.family === 6) return fail('EAFNOSUPPORT', 'R30', 'an IPv4 socket was given an IPv6 address');
    const local = addr.wildcard || core.isLocal(addr) || addr.multicast || core.isBroadcast(addr);
    if (!local && core.sysctl.nonlocalBind4 === 0 && !s.freebind)
      return fail('EADDRNOTAVAIL', 'R7', `${addr.text} is not an address of this namespace`);
    if (privileged)
      return fail('EACCES', 'R3', `port ${port} is below ip_unprivileged_port_start for uid ${core.uid}`);
    if (busy) return fail('EINVAL', 'R30', 'the socket is already bound or not in CLOSE state');
    return { v6only: false };
  }
  if (addr.family === 4) return fail('EINVAL', 'R30', 'an IPv6 socket was given an IPv4 (16-byte) address');
  if (addr.multicast && s.proto === 'tcp')
    return fail('EINVAL', 'R7', 'TCP cannot bind an IPv6 multicast address');
  if (privileged)
    return fail('EACCES', 'R3', `port ${port} is below ip_unprivileged_port_start for uid ${core.uid}`);
  if (busy) return fail('EINVAL', 'R30', 'the socket is already bound or not in CLOSE state');
  let v6only = s.v6only;
  if (addr.mapped) {
    if (s.v6only) return fail('EINVAL', 'R36', 'an IPV6_V6ONLY socket cannot bind a v4-mapped address');
    if (
      !addr.wildcard &&
      addr.v4 !== 0 &&
      !core.isLocal(addr) &&
      core.sysctl.nonlocalBind4 === 0 &&
      !s.freebind &&
      !core.isBroadcast(addr) &&
      !addr.multicast
    ) {
      return fail('EADDRNOTAVAIL', 'R7', `${addr.text} is not an address of this namespace`);
    }
  } else if (!addr.wildcard) {
    if (addr.linkLocal)
      return fail('EINVAL', 'R30', 'a link-local address needs a scope id or a bound device');
    if (!core.isLocal(addr) && core.sysctl.nonlocalBind6 === 0 && !s.freebind)
      return fail('EADDRNOTAVAIL', 'R7', `${addr.text} is not an address of this namespace`);
    v6only = true; // R36: a specific non-mapped IPv6 address forces v6only
  }
  return { v6only };
}

/**
 * R38: explicit port (bind with port != 0) or the listen() re-check (R51). On success the socket
 * joins (or stays in) the bucket and the flags are updated.
 */
export function takeExplicitPort(core: Core, s: Socket, view: OwnerView, port: number): Failure | null {
  const b = core.ports.bucket(port);
  const already = s.lport === port;
  const fast = fastPathAccepts(b, view);
  recordExplicitPortRules(core, view, s, b, fast);
  if (!fast) {
    const blockers = conflictingOwners(view, s, b, 'explicit-bind');
    if (blockers.length > 0) {
      return fail(
        'EADDRINUSE',
        view.listening ? 'R51' : 'R31',
        `port ${port} is held by an owner that does not allow sharing with this socket`,
        blockers.slice(0, 8).map(ownerRef),
      );
    }
  }
  if (already) {
    if (!b) throw new Error('model bug: re-check of a port without bucket');
    updateFlags(core.ports, b, view, false);
    copyFlagsToSub(core, s, port);
    return null;
  }
  joinByBind(core, s, view, port);
  return null;
}

/**
 * A bind()/listen() join (R38): the socket takes the view's address and the port, joins the bucket,
 * and the bucket's summary flags are updated and copied into the address sub-bucket.
 */
function joinByBind(core: Core, s: Socket, view: OwnerView, port: number): void {
  const b = core.ports.bucket(port);
  const first = !b || b.owners.size === 0;
  s.laddr = view.laddr;
  s.v6only = view.v6only;
  s.lport = port;
  s.namePort = port;
  s.connectBound = false;
  const bucket = core.ports.join(s, port);
  updateFlags(core.ports, bucket, view, first);
  copyFlagsToSub(core, s, port);
}

function copyFlagsToSub(core: Core, s: Socket, port: number): void {
  const b = core.ports.bucket(port);
  const sub = b && core.ports.sub(b, s.laddr);
  if (b && sub) {
    sub.ra = b.ra;
    sub.rp = b.rp;
  }
}

/** Runs an autobind search (R40) and takes the port found. `pick` replaces the random choice (follow mode). */
export function autobind(core: Core, s: Socket, view: OwnerView, pick?: Picker): Failure | number {
  recordAutobindRules(core, s, view);
  const phases = autobindPhases(core, view, s.lpr);
  const found = pick ? pick(phases) : choose(phases);
  if (!found) {
    return fail(
      'EADDRINUSE',
      'R40',
      'no port of the range is free on this address (bind(0) never shares by default, R41)',
    );
  }
  joinByBind(core, s, view, found.port);
  return found.port;
}

export type BindPlan = { kind: 'noport'; v6only: boolean } | { kind: 'explicit' | 'auto'; view: OwnerView };

/** Everything bind() decides before it changes anything. Pure. */
export function planBind(core: Core, s: Socket, addr: Addr, port: number): Failure | BindPlan {
  const args = checkBindArgs(core, s, addr, port);
  if ('ok' in args) return args;
  // R22: with IP_BIND_ADDRESS_NO_PORT, bind(addr, 0) records the address only.
  if (port === 0 && s.noPort) return { kind: 'noport', v6only: args.v6only };
  return { kind: port === 0 ? 'auto' : 'explicit', view: viewAs(s, addr, args.v6only, false) };
}

export function bindTcp(
  core: Core,
  s: Socket,
  addr: Addr,
  port: number,
  pick?: Picker,
): Failure | { port: number } {
  // R3: a port below ip_unprivileged_port_start needs privilege.
  if (port !== 0 && port < core.sysctl.unprivilegedPortStart) core.rules.add('R3');
  const plan = planBind(core, s, addr, port);
  if ('ok' in plan) return plan;
  // R7: an address that is not this host's, bound through ip_nonlocal_bind or IP_FREEBIND.
  if (!addr.wildcard && !core.isLocal(addr)) core.rules.add('R7');
  if (s.family === 6) core.rules.add('R36');
  if (plan.kind === 'noport') {
    core.rules.add('R22');
    // No port is taken, so this bind never fails with EADDRINUSE.
    s.laddr = addr;
    s.v6only = plan.v6only;
    s.addrLocked = !addr.wildcard;
    return { port: 0 };
  }
  if (plan.kind === 'explicit') {
    const f = takeExplicitPort(core, s, plan.view, port);
    if (f) return f;
    s.portLocked = true;
    if (s.lpr !== 0) core.rules.add('R70'); // IP_LOCAL_PORT_RANGE does not limit an explicit port
  } else {
    const r = autobind(core, s, plan.view, pick);
    if (typeof r !== 'number') return r;
  }
  s.addrLocked = !addr.wildcard;
  return { port: s.lport };
}

export function listenTcp(core: Core, s: Socket, pick?: Picker): Failure | { port: number } {
  if (s.state === 'LISTEN') return { port: s.lport };
  // A socket that was ever connected stays so for the socket layer, even after a reset.
  if (s.state !== 'CLOSE' || s.raddr || s.wasReset)
    return fail('EINVAL', 'R51', 'listen() needs an unconnected socket');

  if (s.lport === 0) {
    // R50: autobind as bind(0) would, but as a listener (never reusable in the bucket summary),
    // on the wildcard or on the IP_BIND_ADDRESS_NO_PORT address.
    core.rules.add('R50');
    if (s.noPort && !s.laddr.wildcard) core.rules.add('R22');
    const view = viewAs(s, s.laddr, s.v6only, true);
    s.state = 'LISTEN';
    const r = autobind(core, s, view, pick);
    if (typeof r !== 'number') {
      s.state = 'CLOSE';
      return r;
    }
  } else {
    // R51: the explicit-port check runs again, now as a listener.
    core.rules.add('R51');
    s.state = 'LISTEN';
    const f = takeExplicitPort(core, s, viewAs(s, s.laddr, s.v6only, true), s.lport);
    if (f) {
      s.state = 'CLOSE';
      return f;
    }
  }
  if ((s.synSent || s.onceConnected) && core.profile !== 'linux-4.1') {
    // R52: a socket whose connect() sent a SYN (refused or timed out), or that was connected and
    // then disconnected by connect(AF_UNSPEC) (an accepted socket too: tcp-disconnect.ts), has
    // done all of listen()'s work above, an autobind or the R51 re-check with their errors, but
    // does not listen: it
    // stays in CLOSE, keeps the port (not locked: a later refused connect gives it back, R61)
    // and the call returns EINVAL. Measured on the build 6.18.44-fc-v1045 only; the earlier
    // 6.18 build listened, and nothing says linux-4.1 did otherwise, so that profile listens.
    s.state = 'CLOSE';
    return fail('EINVAL', 'R52', 'listen() on a socket whose connect() failed (this kernel build)');
  }
  core.listen(s);
  return { port: s.lport };
}
