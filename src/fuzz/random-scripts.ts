/**
 * Random scripts for differential testing: a fast-check arbitrary of whole scripts over the
 * language: TCP, UDP (R90-R96) and deliveries to reuseport groups (R80-R82), to listeners and to
 * plain UDP sockets (SO_REUSEADDR twins, connected ones: R80, R94).
 *
 * A script is generated as a plan (range, destination ports, listeners, a list of abstract
 * actions that name sockets by index) and then materialised into statements, so every socket is
 * created before use and shrinking can drop any action. The text is printed and parsed back, so
 * the Script carries real line numbers and is known to round-trip (regression files are text).
 *
 * What the generator avoids, by design (spec section 13 and the model's "not modelled" list):
 *  - timing boundaries: tcp_tw_reuse_delay is fixed at 100 ms in the preamble and never changed;
 *    sleeps are 300 ms, or 10 ms at most three times per script, so the model's elapsed time
 *    between any two calls is 300a + 10b (b <= 3), always >= 100 ms away from the 100 ms
 *    boundary on one side and more than 60 ms of real-time slack on the other. Nothing runs
 *    near TIME_WAIT's 60 s or tcp_fin_timeout (never written), so the orphan-RST race (R6) and
 *    the FIN_WAIT2 expiry cannot occur;
 *  - SO_BINDTODEVICE (R37) is not in the language; listen backlogs stay at the default, so no
 *    SYN is ever dropped and connect never times out;
 *  - the orphan race (R6, section 13): when we close an established connection whose local peer
 *    has not closed, the orphan becomes a FIN_WAIT2 TIME_WAIT entry or (when the ACK of our FIN
 *    is processed while close() holds the socket) stays a full FIN_WAIT2 socket. A bound connect
 *    onto that 4-tuple is recycled in the first case and refused (EADDRNOTAVAIL) in the second,
 *    and which one happens varies run to run (observed). The generator never reconnects from an
 *    explicitly bound port to a local destination port it closed such a connection on;
 *  - reuseport groups (R81: the member a connection lands on depends on a secret hash): at most
 *    one socket with SO_REUSEPORT listens on the destination ports per script, because connect()
 *    cannot tell which member queued it; groups are made on a group port of their own instead
 *    (dbase + 8, dbase + 9) and reached only by `deliver`, whose member the runner compares;
 *  - UDP datagrams and connections go to loopback destinations only: an ICMP error from the
 *    remote namespace is rate-limited (not so on lo), and a connected UDP socket's next send
 *    depends on it (R94); UDP sockets never listen or accept (EOPNOTSUPP, and the helper's
 *    accept() would wait for its bound);
 *  - destination ports are a random block of four per script in 10000..29999 (outside every
 *    range used), so no other test shares a PERTURB triple (R13), and now and then port 0 for
 *    TCP (R53). The comparison does not depend on PERTURB anyway: the model's candidate set
 *    covers every start offset.
 */
import type fc from 'fast-check';
import type { Call, SocketKind, SockOptValue } from '../calls/index.js';
import type { Script } from '../script/ast.js';
import { parseScript } from '../script/parse.js';
import { printCall, printScript } from '../script/print.js';
import { callsActionToCall } from './random-calls.js';
import {
  BIND4,
  BIND6,
  DEST4,
  DEST6,
  LONG_SLEEP_MS,
  MAX_SHORT_SLEEPS,
  type OptSpec,
  type Plan,
  type PortSel,
  planArb,
  SHORT_SLEEP_MS,
  type SysctlSel,
  TW_REUSE_DELAY_MS,
} from './random-plan.js';
import { routeAddr, routeCalls, steerConnect } from './random-routes.js';

export { type Plan, planArb, TW_REUSE_DELAY_MS };

/** Addresses a socket of this family may bind, given the plan's prefixes (v4 list, v6 list). */
function bindAddr(kind: 'tcp4' | 'tcp6', i: number, plan: Plan): string {
  const list = kind === 'tcp4' ? BIND4 : BIND6;
  let a = list[i % list.length] ?? list[0] ?? '';
  if (!plan.prefix4 && a.includes('10.0.0.1')) a = kind === 'tcp4' ? '127.0.0.1' : '::ffff:127.0.0.1';
  if (!plan.prefix6 && a === 'fd00::1') a = '::1';
  return routeAddr(a, plan.routes);
}

/**
 * A loopback address that reaches a UDP socket bound to `bound` (see the header: datagrams go
 * to loopback only): a wildcard picks by `k` (IPv4 address, or for [::] IPv6 or IPv4), a
 * v4-mapped address is its IPv4 one, any other address falls back to the family's loopback.
 */
function udpDeliveryAddr(bound: string, kind: SocketKind, k: number): string {
  if (bound === '0.0.0.0') return k % 2 === 0 ? '127.0.0.1' : '127.0.0.2';
  if (bound === '::') return k % 2 === 0 ? '::1' : '127.0.0.1';
  if (bound.startsWith('::ffff:127.')) return bound.slice(7);
  if (bound.startsWith('127.') || bound === '::1') return bound;
  return kind === 'udp6' ? '::1' : '127.0.0.1';
}

/** Loopback destinations for UDP (see the header). */
const UDP_DEST4 = ['127.0.0.1', '127.0.0.2'];
const UDP_DEST6 = ['::1', '::ffff:127.0.0.1', '::ffff:127.0.0.2'];

function udpDest(kind: SocketKind, i: number): string {
  const list = kind === 'udp4' ? UDP_DEST4 : UDP_DEST6;
  return list[i % list.length] ?? '127.0.0.1';
}

const isUdp = (k: SocketKind) => k === 'udp4' || k === 'udp6';

function destAddr(kind: 'tcp4' | 'tcp6', i: number, plan: Plan): string {
  const list = kind === 'tcp4' ? DEST4 : DEST6;
  let a = list[i % list.length] ?? list[0] ?? '';
  if (!plan.prefix4 && a.includes('10.0.0.')) a = kind === 'tcp4' ? '127.0.0.1' : '::ffff:127.0.0.1';
  if (!plan.prefix6 && a === 'fd00::2') a = '::1';
  return routeAddr(a, plan.routes);
}

/**
 * Model bugs found by the random differential run and not fixed yet. While an entry is open the
 * generator may steer around it, so the run can still find everything else; each entry says what
 * the kernel does and what the model does. Empty: the seven found so far are fixed, and their
 * scripts in test/scripts/regressions/ run on both backends forever.
 */
export const KNOWN_MODEL_BUGS: readonly string[] = [];

const isRemoteText = (a: string) =>
  a.startsWith('10.') || a.startsWith('fd00:') || a.startsWith('::ffff:10.');

/** Materialises a plan into calls (with repeat blocks) and prints it as a script. */
export function planToText(plan: Plan, title: string): string {
  /** Last address each socket name was bound to (at generation time; the bind may fail). */
  const boundTo = new Map<string, string>();
  const out: string[] = [
    `# ${title}`,
    '# generated by src/run/random-scripts.ts (no expectations: the kernel is the oracle)',
    '',
  ];
  let lo = plan.lo;
  let size = plan.size;
  const dports = [0, 1, 2, 3].map((i) => plan.dbase + i);
  const boundPort = new Map<string, number>();
  /** `boundPort>dport` of closed connections from an explicit port to a local destination. */
  const orphanTuples = new Set<string>();
  const tupleOf = new Map<string, string>();
  /** Sockets that ever had SO_REUSEPORT set (clearing it is not trusted), and ever listened. */
  const rpSet = new Set<string>();
  const listened = new Set<string>();
  let rpListeners = 0;
  const emit = (c0: Call, indent = '') => {
    let c = c0;
    if (c.op === 'close' && !c.rst) {
      const t = tupleOf.get(c.sock);
      if (t !== undefined) orphanTuples.add(t);
    }
    // R81: which member of a reuseport group gets a connection is a keyed hash with a boot-time
    // secret, so the model cannot know it. At most one SO_REUSEPORT socket listens per script.
    if (c.op === 'setsockopt' && c.opt === 'SO_REUSEPORT' && !c.sock.startsWith('g')) {
      if (c.value !== 0 && listened.has(c.sock) && !rpSet.has(c.sock)) {
        if (rpListeners > 0) return;
        rpListeners++;
      }
      if (c.value !== 0) rpSet.add(c.sock);
    }
    if (c.op === 'listen' && !c.sock.startsWith('g')) {
      if (rpSet.has(c.sock) && !listened.has(c.sock)) {
        if (rpListeners > 0) return;
        rpListeners++;
      }
      listened.add(c.sock);
    }
    if (c.op === 'bind') {
      // Only the first bind of a socket can succeed (a second one is EINVAL).
      if (!boundTo.has(c.sock)) {
        boundTo.set(c.sock, c.addr);
        if (c.port !== 0) boundPort.set(c.sock, c.port);
      }
    }
    if (c.op === 'connect') {
      c = steerConnect(c, boundTo.get(c.sock), isRemoteText);
      // The orphan race (see the header): shift to another destination port while it applies.
      const bp = boundPort.get(c.sock);
      const local = !isRemoteText(c.addr);
      const bad = (port: number) => bp !== undefined && local && orphanTuples.has(`${bp}>${port}`);
      for (let n = 0; n < 4 && bad(c.port); n++)
        c = { ...c, port: c.port === plan.dbase + 3 ? plan.dbase : c.port + 1 };
      if (bp !== undefined && local) tupleOf.set(c.sock, `${bp}>${c.port}`);
    }
    out.push(indent + printCall(c));
  };
  emit({ op: 'sysctl', name: 'net.ipv4.tcp_tw_reuse_delay', value: String(TW_REUSE_DELAY_MS) });
  emit({ op: 'sysctl', name: 'net.ipv4.ip_local_port_range', value: `${lo} ${lo + size - 1}` });
  if (plan.prefix4) emit({ op: 'addr', cidr: '10.0.0.1/24' });
  if (plan.prefix6) emit({ op: 'addr', cidr: 'fd00::1/64' });
  const routes = (which: 4 | 6) => {
    for (const c of routeCalls(plan.routes, which, plan.prefix4, plan.prefix6)) emit(c);
  };
  routes(6);
  if (!plan.routes.late) routes(4);
  const lateAt = plan.routes.late ? Math.floor(plan.actions.length / 2) : -1;
  let counter = 0;
  const open: { name: string; kind: SocketKind }[] = [];
  const fresh = (p: string) => `${p}${++counter}`;
  const portOf = (sel: PortSel): number => {
    switch (sel.k) {
      case 'zero':
        return 0;
      case 'range':
        return lo + (sel.i % (size + 1));
      case 'dport':
        return dports[sel.i % dports.length] ?? plan.dbase;
      case 'priv':
        return sel.p;
    }
  };
  const optValue = (o: OptSpec): SockOptValue => {
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
  };
  for (const l of plan.listeners) {
    const name = fresh('L');
    emit({ op: 'socket', name, kind: l.kind });
    if (l.ra) emit({ op: 'setsockopt', sock: name, opt: 'SO_REUSEADDR', value: 1 });
    if (l.rp) emit({ op: 'setsockopt', sock: name, opt: 'SO_REUSEPORT', value: 1 });
    const addr =
      l.kind === 'tcp4'
        ? (['0.0.0.0', '127.0.0.1'][l.addr % 2] ?? '0.0.0.0')
        : (['::', '::1', '::ffff:127.0.0.1'][l.addr % 3] ?? '::');
    emit({ op: 'bind', sock: name, addr, port: dports[l.dport % 3] ?? plan.dbase });
    emit({ op: 'listen', sock: name, backlog: 128 });
    open.push({ name, kind: l.kind });
  }
  let shortSleeps = 0;
  const pick = (s: number) => (open.length === 0 ? null : (open[s % open.length] ?? null));
  const pickUdp = (s: number) => {
    const u = open.filter((o) => isUdp(o.kind));
    return u.length === 0 ? null : (u[s % u.length] ?? null);
  };
  /** Reuseport groups on the group ports: their members (in join order) and where they listen. */
  const groups: { proto: 'tcp' | 'udp'; v6: boolean; port: number; addr: string; members: string[] }[] = [];
  const fam = (k: SocketKind): 'tcp4' | 'tcp6' => (k === 'tcp6' || k === 'udp6' ? 'tcp6' : 'tcp4');
  /** A client or UDP action's start: socket(), its options, and the bind it asks for. */
  const openSocket = (
    prefix: string,
    a: Extract<Plan['actions'][number], { t: 'client' | 'udp' }>,
  ): string => {
    const name = fresh(prefix);
    emit({ op: 'socket', name, kind: a.kind });
    open.push({ name, kind: a.kind });
    for (const o of a.opts) emit({ op: 'setsockopt', sock: name, opt: o.opt, value: optValue(o) });
    if (a.bind)
      emit({
        op: 'bind',
        sock: name,
        addr: bindAddr(fam(a.kind), a.bind.addr, plan),
        port: portOf(a.bind.port),
      });
    return name;
  };
  for (const [i, a] of plan.actions.entries()) {
    if (i === lateAt) routes(4);
    switch (a.t) {
      case 'client': {
        const name = openSocket('s', a);
        if (a.next === 'connect') {
          const other = a.kind === 'tcp4' ? 'tcp6' : 'tcp4';
          const addr = destAddr(a.crossFamily ? other : a.kind, a.dest, plan);
          emit({ op: 'connect', sock: name, addr, port: dports[a.dport % 4] ?? plan.dbase });
        } else if (a.next === 'listen') emit({ op: 'listen', sock: name, backlog: 128 });
        break;
      }
      case 'connect': {
        const s = pick(a.s);
        if (s)
          emit({
            op: 'connect',
            sock: s.name,
            addr: isUdp(s.kind) ? udpDest(s.kind, a.dest) : destAddr(fam(s.kind), a.dest, plan),
            // R53: a TCP connect() to port 0 now and then (the fifth dport choice, which would
            // otherwise repeat the first): a port is chosen, the SYN is reset, and R52 applies.
            port: !isUdp(s.kind) && a.dport === 4 ? 0 : (dports[a.dport % 4] ?? plan.dbase),
          });
        break;
      }
      case 'tuple': {
        const name = fresh('t');
        const remote = a.remote && plan.prefix4;
        emit({ op: 'socket', name, kind: 'tcp4' });
        emit({ op: 'setsockopt', sock: name, opt: 'SO_REUSEADDR', value: 1 });
        emit({ op: 'bind', sock: name, addr: remote ? '10.0.0.1' : '127.0.0.1', port: lo + (a.i % size) });
        emit({
          op: 'connect',
          sock: name,
          addr: remote ? '10.0.0.2' : '127.0.0.1',
          port: dports[a.dport % 4] ?? plan.dbase,
        });
        if (a.close) emit({ op: 'close', sock: name, rst: false });
        else open.push({ name, kind: 'tcp4' });
        break;
      }
      case 'bind': {
        const s = pick(a.s);
        if (s)
          emit({ op: 'bind', sock: s.name, addr: bindAddr(fam(s.kind), a.addr, plan), port: portOf(a.port) });
        break;
      }
      case 'listen': {
        const s = pick(a.s);
        if (s && !isUdp(s.kind)) emit({ op: 'listen', sock: s.name, backlog: 128 });
        break;
      }
      case 'accept': {
        const s = pick(a.s);
        if (s && !isUdp(s.kind)) {
          const name = fresh('a');
          emit({ op: 'accept', sock: s.name, name });
          open.push({ name, kind: s.kind });
        }
        break;
      }
      case 'close': {
        const s = pick(a.s);
        if (s) {
          emit({ op: 'close', sock: s.name, rst: a.rst });
          open.splice(open.indexOf(s), 1);
        }
        break;
      }
      case 'getsockname': {
        const s = pick(a.s);
        if (s) emit({ op: 'getsockname', sock: s.name });
        break;
      }
      case 'getsockopt':
      case 'optlen':
      case 'tcpDisconnect': {
        const c = callsActionToCall(a, pick(a.s), lo, size);
        if (c) emit(c);
        break;
      }
      case 'opt': {
        const s = pick(a.s);
        if (s) emit({ op: 'setsockopt', sock: s.name, opt: a.o.opt, value: optValue(a.o) });
        break;
      }
      case 'sleep':
        if (a.long) emit({ op: 'sleep', ms: LONG_SLEEP_MS });
        else if (shortSleeps < MAX_SHORT_SLEEPS) {
          shortSleeps++;
          emit({ op: 'sleep', ms: SHORT_SLEEP_MS });
        }
        break;
      case 'uid':
        emit({ op: 'uid', uid: a.uid });
        break;
      case 'sysctl': {
        const c = sysctlCall(a.sel, lo, size);
        if (a.sel.k === 'range') {
          lo = a.sel.lo;
          size = a.sel.size;
        }
        emit(c);
        break;
      }
      case 'udp': {
        const name = openSocket('u', a);
        const addr = udpDest(a.kind, a.dest);
        const port = dports[a.dport % 4] ?? plan.dbase;
        if (a.next !== 'none') emit({ op: a.next, sock: name, addr, port });
        break;
      }
      case 'sendto': {
        const s = pickUdp(a.s);
        if (s)
          emit({
            op: 'sendto',
            sock: s.name,
            addr: udpDest(s.kind, a.dest),
            port: dports[a.dport % 4] ?? plan.dbase,
          });
        break;
      }
      case 'disconnect': {
        const s = pickUdp(a.s);
        if (s) emit({ op: 'disconnect', sock: s.name });
        break;
      }
      case 'group': {
        const port = plan.dbase + 8 + a.port;
        const addr = a.v6 ? (a.specific ? '::1' : '::') : a.specific ? '127.0.0.1' : '0.0.0.0';
        const g = { proto: a.proto, v6: a.v6, port, addr, members: [] as string[] };
        const kind: SocketKind = a.proto === 'tcp' ? (a.v6 ? 'tcp6' : 'tcp4') : a.v6 ? 'udp6' : 'udp4';
        for (let i = 0; i < a.n; i++) {
          const name = fresh('g');
          emit({ op: 'socket', name, kind });
          emit({ op: 'setsockopt', sock: name, opt: 'SO_REUSEPORT', value: 1 });
          emit({ op: 'bind', sock: name, addr, port });
          if (a.proto === 'tcp') emit({ op: 'listen', sock: name, backlog: 128 });
          g.members.push(name);
        }
        groups.push(g);
        // Two flows right away, from sources later deliveries reuse (the R81 stability check
        // compares a 4-tuple's member across deliveries while the group is unchanged).
        for (let i = 0; i < 2; i++) {
          const from = a.v6 ? '::1' : '127.0.0.1';
          const to = a.v6 ? '::1' : '127.0.0.1';
          emit({
            op: 'deliver',
            proto: a.proto,
            from: { addr: from, port: 50000 + i },
            to: { addr: to, port },
          });
        }
        break;
      }
      case 'deliver': {
        const g = groups.length === 0 ? undefined : groups[a.g % groups.length];
        const plain = a.toDport || !g;
        // Plain UDP (R80, R94): the port and an address of an open UDP socket bound to a known
        // port, so the datagram has receivers to rank (SO_REUSEADDR twins, connected ones).
        const bound = open.filter((o) => o.kind.startsWith('udp') && boundPort.has(o.name));
        const target = plain && a.udp ? bound[a.dest % Math.max(1, bound.length)] : undefined;
        let v6 = plain ? a.src === 5 : g.v6 && a.src % 3 === 0;
        let to = v6 ? '::1' : (['127.0.0.1', '127.0.0.2'][(a.dest >> 2) % 2] ?? '127.0.0.1');
        let port = plain ? (dports[a.dest % 4] ?? plan.dbase) : g.port;
        if (target) {
          to = udpDeliveryAddr(boundTo.get(target.name) ?? '', target.kind, a.dest >> 2);
          v6 = to.includes(':');
          port = boundPort.get(target.name) ?? port;
        }
        const from = v6 ? '::1' : (['127.0.0.1', '127.0.0.2', '127.0.0.3'][a.src % 3] ?? '127.0.0.1');
        const proto = plain ? (a.udp ? 'udp' : 'tcp') : g.proto;
        // Now and then a datagram from a destination port: the peer of sockets connected there
        // (a connected socket that receives ranks higher from then on, R80).
        const sport = proto === 'udp' && a.sport === 7 ? (dports[a.src % 4] ?? plan.dbase) : 50000 + a.sport;
        emit({
          op: 'deliver',
          proto,
          from: { addr: from, port: sport },
          to: { addr: to, port },
        });
        break;
      }
      case 'udpShare': {
        // Plain (not SO_REUSEPORT) sharing: later connect/sendto/disconnect/deliver actions
        // pick these sockets like any other UDP socket.
        const kind: SocketKind = a.v6 ? 'udp6' : 'udp4';
        const addrs = a.v6
          ? ['::1', '::', '::ffff:127.0.0.1', '::']
          : ['127.0.0.1', '0.0.0.0', '127.0.0.2', '0.0.0.0'];
        const addr = addrs[a.addr % addrs.length] ?? '0.0.0.0';
        const port = dports[a.dport % 4] ?? plan.dbase;
        for (let i = 0; i < a.n; i++) {
          const name = fresh('u');
          emit({ op: 'socket', name, kind });
          open.push({ name, kind });
          emit({ op: 'setsockopt', sock: name, opt: 'SO_REUSEADDR', value: 1 });
          emit({ op: 'bind', sock: name, addr, port });
        }
        break;
      }
      case 'groupClose': {
        const g = groups.length === 0 ? undefined : groups[a.g % groups.length];
        const name = g?.members.splice(a.i % Math.max(1, g.members.length), 1)[0];
        if (name !== undefined) emit({ op: 'close', sock: name, rst: false });
        break;
      }
      case 'repeat': {
        const name = fresh('r');
        out.push(`repeat ${a.max} {`);
        emit({ op: 'socket', name, kind: a.kind }, '  ');
        if (a.ra) emit({ op: 'setsockopt', sock: name, opt: 'SO_REUSEADDR', value: 1 }, '  ');
        if (a.mode === 'connect') {
          if (a.noPort) {
            emit({ op: 'setsockopt', sock: name, opt: 'IP_BIND_ADDRESS_NO_PORT', value: 1 }, '  ');
            emit({ op: 'bind', sock: name, addr: bindAddr(a.kind, a.addr, plan), port: 0 }, '  ');
          }
          emit(
            {
              op: 'connect',
              sock: name,
              addr: destAddr(a.kind, a.dest, plan),
              port: dports[a.dport % 4] ?? plan.dbase,
            },
            '  ',
          );
        } else if (a.mode === 'bind0') {
          emit({ op: 'bind', sock: name, addr: bindAddr(a.kind, a.addr, plan), port: 0 }, '  ');
        } else {
          emit({ op: 'listen', sock: name, backlog: 128 }, '  ');
        }
        out.push('}');
        break;
      }
    }
  }
  return `${out.join('\n')}\n`;
}

function sysctlCall(sel: SysctlSel, lo: number, size: number): Call {
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

/** Plan -> parsed Script (with real positions). Throws if the printed text does not parse: a bug here. */
export function planToScript(plan: Plan, file: string, title = 'random differential script'): Script {
  const text = planToText(plan, title);
  const r = parseScript(text, file);
  if (!r.ok)
    throw new Error(`random script does not parse:\n${r.errors.map((e) => e.format()).join('\n')}\n${text}`);
  return r.script;
}

/** Random whole scripts (parsed, with positions); `file` names them in reports. */
export function scriptArb(file = 'random.pst'): fc.Arbitrary<Script> {
  return planArb.map((p) => planToScript(p, file));
}

export { printScript };
