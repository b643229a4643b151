/**
 * TCP connect(): the source address (R10), the plan (every error before a port is chosen, and
 * autoselection's search, R11-R15, connect-search.ts), connect from a bound port (R20, R21, R63),
 * IP_BIND_ADDRESS_NO_PORT (R22), and taking the port found (R13 finish). What happens at the
 * other end is tcp-establish.ts.
 */
import { type Addr, mapToV6, unmap } from './addr.js';
import { type ConnectPlanAuto, ConnectSearch } from './connect-search.js';
import type { Core } from './core.js';
import { effectiveRange } from './effective-range.js';
import type { Socket } from './entities.js';
import { advanceHint41 } from './linux41-search.js';
import { localSourceFor } from './local-routes.js';
import { type Failure, fail } from './result.js';
import { chooseOneInto, type Found, type Taken } from './search.js';
import { ownerRef } from './tcp-bind.js';
import { connectOnceListened } from './tcp-disconnect.js';
import { establish } from './tcp-establish.js';
import { twRecyclable } from './tw-recycle.js';
import { wildcardDestination } from './wildcard-destination.js';

export interface ConnectPlanBound {
  readonly kind: 'bound';
  readonly src: Addr;
  readonly dest: Addr;
  readonly dport: number;
}

/** Everything connect() decides before it changes anything: errors, source address, search. Pure. */
export function planConnect(
  core: Core,
  s: Socket,
  target: Addr,
  dport: number,
): Failure | ConnectPlanAuto | ConnectPlanBound {
  return planConnectWith(core, s, target, dport, false);
}

/** planConnect; with `reuse`, an auto plan may be the triple's kept search, readied again. */
function planConnectWith(
  core: Core,
  s: Socket,
  target: Addr,
  dport: number,
  reuse: boolean,
): Failure | ConnectPlanAuto | ConnectPlanBound {
  if (s.family === 4 && target.family === 6)
    return fail('EAFNOSUPPORT', 'R10', 'an IPv4 socket cannot connect to an IPv6 address');
  if (s.family === 6 && target.family === 4)
    return fail('EINVAL', 'R10', 'an IPv6 socket needs an IPv6 (or v4-mapped) address');
  if (s.state !== 'CLOSE' || s.raddr || s.wasReset)
    return fail('EISCONN', 'R10', 'the socket is listening or already connected');
  // R53: port 0 is not refused here: the kernel chooses a source port, sends the SYN and gets a
  // reset (see establish). A once-listening socket answers EINVAL after the route lookup, port 0
  // or not (tcp-disconnect.ts).
  // Connecting to the wildcard means this host.
  const dest = wildcardDestination(s, target);
  const v4path = s.family === 4 || dest.mapped;
  if (s.family === 6 && dest.mapped && s.v6only)
    return fail('ENETUNREACH', 'R10', 'an IPV6_V6ONLY socket cannot reach an IPv4 address');
  if (s.family === 6 && !dest.mapped && s.laddr.mapped) {
    return fail('EAFNOSUPPORT', 'R10', 'a socket bound to a v4-mapped address can only reach IPv4');
  }
  let src = s.laddr;
  // An IPv4 source bound with ip_nonlocal_bind that is not (yet) an address here has no route.
  if (v4path && !src.wildcard && src.v4 > 0 && !core.isLocal(unmap(src)))
    return fail('ENETUNREACH', 'R10', `the bound source ${src.text} is not an address of this namespace`);
  // No route at all: ENETUNREACH whatever the source (measured with bound loopback and wildcard
  // sources, IPv4 and IPv6, TCP and UDP; experiments/exp_routes_freebind.py, issue 10).
  if (!src.wildcard && !(src.mapped && src.v4 === 0) && sourceFor(core, v4path ? unmap(dest) : dest) === null)
    return fail('ENETUNREACH', 'R10', `no route to ${dest.text}`);
  if (src.wildcard || (src.mapped && src.v4 === 0)) {
    const chosen = sourceFor(core, v4path ? unmap(dest) : dest);
    if (!chosen)
      return fail(
        'ENETUNREACH',
        'R10',
        `no route to ${dest.text}: add a local address whose prefix covers it`,
      );
    src = s.family === 6 && v4path ? mapToV6(chosen) : chosen;
  }
  const once = connectOnceListened(s);
  if (once) return once;
  // A loopback source can't leave through another device: IPv4 refuses the route at once
  // (EINVAL, before any port is chosen); IPv6 sends the SYN and it is dropped (see establish).
  if (v4path && src.loopback && !core.isLocalDest(unmap(dest))) {
    return fail('EINVAL', 'R10', `a loopback source (${src.text}) cannot reach ${dest.text}`);
  }
  if (s.lport !== 0) return { kind: 'bound', src, dest, dport };
  // D7: the namespace range unless IP_LOCAL_PORT_RANGE narrows it (no object on the common path).
  let lo = core.sysctl.portRange[0];
  let hi = core.sysctl.portRange[1];
  if (s.lpr !== 0) ({ lo, hi } = effectiveRange(s, core.sysctl));
  // The hash depends on the triple only: cached in its 4-tuple slot once the triple is in use.
  const slot = core.ports.tuples.get(src, dest, dport);
  const legacy = core.profile === 'linux-4.1';
  const perSocket = legacy || s.lpr !== 0;
  let idx: number;
  let base: number;
  if (slot && slot.idx >= 0) {
    if (reuse && slot.search instanceof ConnectSearch)
      return slot.search.reuse(src, dest, perSocket, lo, hi + 1);
    idx = slot.idx;
    base = slot.base;
  } else ({ idx, base } = core.host.hash.portOffset(unmap(src), unmap(dest), dport));
  const search = new ConnectSearch(core, slot, src, dest, dport, idx, base, perSocket, lo, hi + 1, legacy);
  if (reuse && slot && slot.idx >= 0) slot.search = search;
  return search;
}

/** R10: the route's preferred source for a destination (IPv4 view for v4-mapped). */
export function sourceFor(core: Core, dest: Addr): Addr | null {
  // The local table first (addresses, 127.0.0.0/8, local routes with their src), then the prefixes.
  const local = localSourceFor(core, dest);
  if (local !== undefined) return local;
  return core.routeFor(dest)?.addr ?? null;
}
/**
 * A connect() that fails with EADDRNOTAVAIL has already set the source address the route chose.
 * A socket whose address bind() fixed keeps it: the one case where that address was a wildcard
 * is an IPv6 socket bound to [::ffff:0.0.0.0], which is not the IPv6 wildcard, so bind() fixed
 * it (measured: getsockname then shows [::ffff:127.0.0.1], with or without a port; R21). An
 * unfixed address is reset, as for a refused connect.
 */
function keepLockedSource(core: Core, s: Socket, src: Addr): void {
  if (!s.addrLocked || src === s.laddr) return;
  if (s.lport === 0) s.laddr = src;
  else core.ports.moveAddress(s, s.lport, s.laddr, () => Object.assign(s, { laddr: src }));
}

export type ConnectPicker = (plan: ConnectPlanAuto) => Found | null;

export function connectTcp(
  core: Core,
  s: Socket,
  target: Addr,
  dport: number,
  pick?: ConnectPicker,
): Failure | Socket {
  const plan = planConnectWith(core, s, target, dport, pick === undefined);
  if ('ok' in plan) return plan;
  const { src, dest } = plan;
  const hadPort = s.lport !== 0;
  const oldAddr = s.laddr;
  const log = core.rules;
  if (src !== oldAddr) log.add('R10'); // the route chose the source address
  if (dport === 0) log.add('R53');
  if (s.lpr !== 0) {
    log.add('R70');
    log.add('R71');
    if (s.family === 6) log.add('R72');
  }
  if (plan.kind === 'bound') {
    // R20/R63: only the 4-tuple is checked; a TIME_WAIT holding it is recycled if it has timestamps.
    log.add('R20');
    if (src !== s.laddr) log.add('R21');
    if (!s.portLocked) log.add('R23'); // the port came from bind(0) or a listen() autobind
    const e = core.ports.tupleOwner(src, s.lport, dest, dport);
    if (e?.kind === 'timewait') log.add('R63');
    if (e) {
      if (e.kind === 'timewait' && twRecyclable(core, e, 'BOUND')) core.removeTimeWait(e);
      else {
        keepLockedSource(core, s, src);
        return fail(
          'EADDRNOTAVAIL',
          e.kind === 'timewait' ? 'R63' : 'R20',
          `the 4-tuple ${src.text}:${s.lport} -> ${dest.text}:${dport} is in use`,
          [ownerRef(e)],
        );
      }
    }
    // R21: a wildcard-bound socket moves to the sub-bucket of its new source address.
    if (src !== s.laddr) core.ports.moveAddress(s, s.lport, s.laddr, () => Object.assign(s, { laddr: src }));
  } else {
    const search = plan.search;
    if (s.noPort) log.add('R22');
    const found: Taken | null = pick ? pick(plan) : chooseOneInto(search, search) ? search : null;
    // R11-R14, R62: what the search's window holds is worked out only if the log is read.
    log.defer(search, found ? found.port : -1);
    if (!found) {
      keepLockedSource(core, s, src);
      return fail(
        'EADDRNOTAVAIL',
        'R14',
        `every port of the range is in use towards ${dest.text}:${dport} (or held by bind())`,
      );
    }
    // R13 finish: move the perturbation slot on, take the port as connect-bound, recycle a TW entry.
    if (plan.search.legacyHint) advanceHint41(core, found.i);
    else {
      const r = core.host.entropy.below(8);
      core.host.perturb.add(plan.idx, Math.max(found.i, r * plan.step) + plan.step);
    }
    const tw = plan.search.timeWaitAt(found.port);
    if (tw) {
      log.add('R62');
      core.removeTimeWait(tw);
    }
    s.laddr = src;
    s.lport = found.port;
    s.namePort = found.port;
    s.connectBound = true;
    core.ports.joinConnectBound(s, found.port);
  }
  const slot = establish(
    core,
    s,
    dest,
    dport,
    hadPort,
    oldAddr,
    plan.kind === 'auto' ? plan.search.slot : undefined,
  );
  if ('ok' in slot) return slot;
  if (plan.kind === 'auto' && slot.idx < 0) {
    slot.idx = plan.idx;
    slot.base = plan.base;
  }
  return s;
}
