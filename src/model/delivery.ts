/**
 * Which socket receives an incoming TCP connection or UDP datagram (spec R80-R82).
 *
 * Receivers are ranked: a socket bound to the exact destination address beats a wildcard one, an
 * IPv4 socket beats a dual-stack IPv6 socket for IPv4 packets, and (UDP) a connected socket whose
 * peer is the sender beats both. When the best receiver belongs to a reuseport group, the kernel
 * picks a member by a keyed hash of the 4-tuple (R81/R82): the model cannot name that member, so
 * it returns the eligible set, a stand-in choice that is stable per 4-tuple, and the group
 * versions under which that choice stays valid. Among equally ranked UDP sockets outside any group
 * the model names the one receiver (the most recently hashed, or connected; see udp-ports.ts).
 *
 * UDP groups with a connected member fall back to plain ranking (R82, source only): the eligible
 * set is then every equally ranked socket. A UDP socket that received a datagram while connected
 * ranks one point higher from then on (the kernel's receiving-CPU point; see udp-ports.ts).
 */
import { type Addr, unmap } from './addr.js';
import type { Core } from './core.js';
import { describeOwner, type Owner, type Socket } from './entities.js';
import { overlaps } from './overlap.js';
import { type Failure, fail } from './result.js';
import { type ReuseportGroup, slotOf } from './reuseport-groups.js';

export interface Delivery {
  /** The receiver the model picks (stable for a 4-tuple while the groups are unchanged). */
  readonly chosen: Socket;
  /** Every socket the kernel could pick, given its secret hash. */
  readonly eligible: readonly Socket[];
  /** The groups involved, as `id.version`; '' when no group decides. */
  readonly epoch: string;
}

/** How well `s` matches the destination; -1 = it cannot receive. */
function rank(core: Core, s: Socket, v4: boolean, daddr: Addr, saddr: Addr, sport: number): number {
  let score: number;
  if (v4) {
    const d = unmap(daddr).v4;
    if (s.family === 4) score = s.laddr.wildcard ? 2 : s.laddr.v4 === d ? 6 : -1;
    else if (s.v6only) score = -1;
    else if (s.laddr.wildcard || (s.laddr.mapped && s.laddr.v4 === 0)) score = 1;
    else score = s.laddr.mapped && s.laddr.v4 === d ? 5 : -1;
  } else if (s.family === 6 && !s.laddr.mapped) {
    score = s.laddr.wildcard ? 1 : s.laddr.key === daddr.key ? 5 : -1;
  } else score = -1;
  if (score < 0 || s.proto !== 'udp') return score;
  // The CPU point: a socket that received while connected ranks one higher (udp-ports.ts).
  if (core.udp.receivedConnected.has(s)) score += 1;
  if (!s.raddr) return score;
  // A connected UDP socket receives only from its peer, and then it is the best match.
  return s.raddr.key === saddr.key && s.rport === sport ? score + 8 : -1;
}

/** One incoming connection or datagram: its protocol and 4-tuple. */
export interface Flow {
  readonly proto: 'tcp' | 'udp';
  readonly saddr: Addr;
  readonly sport: number;
  readonly daddr: Addr;
  readonly dport: number;
}

/** A keyed hash of the flow standing in for the kernel's secret one (R81). */
function flowHash(core: Core, f: Flow): number {
  const h = core.host.hash.portOffset(unmap(f.saddr), unmap(f.daddr), f.dport * 65536 + f.sport).base;
  return (f.proto === 'udp' ? h ^ 0x9e3779b9 : h) >>> 0;
}

export function findReceiver(core: Core, flow: Flow): Delivery | null {
  const { proto, saddr, sport, daddr, dport } = flow;
  const v4 = daddr.family === 4 || daddr.mapped;
  const candidates: Iterable<Socket> =
    proto === 'tcp' ? (core.listeners.get(dport) ?? []) : core.udp.owners(dport);
  let best = -1;
  let tied: Socket[] = [];
  for (const s of candidates) {
    const r = rank(core, s, v4, daddr, saddr, sport);
    if (r > best) {
      best = r;
      tied = [s];
    } else if (r === best && r >= 0) tied.push(s);
  }
  if (best < 0) return null;
  const groups: ReuseportGroup[] = [];
  const loose: Socket[] = [];
  for (const s of tied) {
    const g = core.groups.groupOf(s);
    const decides = g && !(proto === 'udp' && g.members.some((m) => m.raddr));
    if (g && decides) {
      if (!groups.includes(g)) groups.push(g);
    } else loose.push(s);
  }
  const epoch = groups.map((g) => `${g.id}.${g.version}`).join(',');
  const only = groups[0];
  if (only && groups.length === 1 && loose.length === 0) {
    const chosen = only.members[slotOf(flowHash(core, flow), only.members.length)];
    if (chosen) return { chosen, eligible: [...only.members], epoch };
  }
  const latest = (a: Socket, b: Socket) => (core.udp.order(b) > core.udp.order(a) ? b : a);
  const chosen = tied.reduce(latest);
  if (!tied.some((s) => core.groups.groupOf(s))) return { chosen, eligible: [chosen], epoch };
  const eligible = [...loose];
  for (const g of groups) for (const m of g.members) if (!eligible.includes(m)) eligible.push(m);
  return { chosen, eligible, epoch };
}

/** A datagram reached `s`: a connected socket now holds the CPU point (udp-ports.ts, R80). */
export function noteUdpReceived(core: Core, s: Socket): void {
  if (s.proto === 'udp' && s.raddr) core.udp.receivedConnected.add(s);
}

/**
 * The delivery probe binds its source address and port with no options, so any owner of that
 * port on an overlapping address (D5) blocks it: TCP sockets and TIME_WAIT entries for a
 * connection, UDP sockets for a datagram.
 */
export function probeBlocked(core: Core, proto: 'tcp' | 'udp', a: Addr, port: number): Failure | null {
  const view = { family: a.family, laddr: a, v6only: a.family === 6 && !a.wildcard };
  const owners: Iterable<Owner> =
    proto === 'udp' ? core.udp.owners(port) : (core.ports.bucket(port)?.owners ?? []);
  for (const e of owners) {
    if (overlaps(view, e))
      return fail('EADDRINUSE', 'R80', `the probe's source ${a.text}:${port} is held by ${describeOwner(e)}`);
  }
  return null;
}
