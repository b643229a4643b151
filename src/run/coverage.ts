/**
 * Which spec rules a differential run exercised. Three sources:
 *  - the rule tags of the script's header;
 *  - the rule a model failure cites (`Failure.rule`);
 *  - a classifier here that looks at each call, the socket's options so far (a small shadow of
 *    what the script set) and the model's state just before and after (NetnsView), and names
 *    the rules whose condition the call met. Examples: a connect that autoselects exercises
 *    R11/R13, R12 when a bind-owned port lies in its window, R14 when it fails; a close after
 *    which a bind-owned port became connect-shareable with owners left exercises R15.
 * The classifier only reads; a wrong guess can make coverage look better or worse than it is,
 * never change a result. It skips the state views once a script holds many sockets (capacity
 * loops), where they would cost O(n) per call.
 */

import type { Call, Outcome } from '../calls/index.js';
import type { Netns, NetnsView, Result } from '../model/index.js';

/** The TCP rules of the spec (R37, devices, is not modelled; R34 and R43 do not exist). */
export const TCP_RULES: readonly string[] = [
  ...['R1', 'R2', 'R3', 'R4', 'R5', 'R6', 'R7', 'R8'],
  ...['R10', 'R11', 'R12', 'R13', 'R14', 'R15'],
  ...['R20', 'R21', 'R22', 'R23'],
  ...['R30', 'R31', 'R32', 'R33', 'R35', 'R36', 'R38'],
  ...['R40', 'R41', 'R42', 'R44', 'R45'],
  ...['R50', 'R51', 'R52', 'R53'],
  ...['R60', 'R61', 'R62', 'R63', 'R64'],
  ...['R70', 'R71', 'R72'],
];

const SYSCTL_RULES: Readonly<Record<string, readonly string[]>> = {
  'net.ipv4.ip_local_port_range': ['R1'],
  'net.ipv4.ip_local_reserved_ports': ['R2'],
  'net.ipv4.ip_unprivileged_port_start': ['R3'],
  'net.ipv4.tcp_tw_reuse': ['R4'],
  'net.ipv4.tcp_tw_reuse_delay': ['R4'],
  'net.ipv4.tcp_timestamps': ['R4'],
  'net.ipv4.ip_autobind_reuse': ['R5'],
  'net.ipv4.tcp_fin_timeout': ['R6'],
  'net.ipv4.tcp_max_tw_buckets': ['R6'],
  'net.ipv4.ip_nonlocal_bind': ['R7'],
  'net.ipv6.ip_nonlocal_bind': ['R7'],
  'net.ipv6.bindv6only': ['R8'],
};

/** Above this many sockets the state views are skipped (they are O(sockets) each). */
const VIEW_LIMIT = 200;

interface Shadow {
  family: 4 | 6;
  ra: boolean;
  rp: boolean;
  noPort: boolean;
  lpr: boolean;
  /** Local port after the last call (0: none). */
  port: number;
  /** How the port came: explicit bind, bind(0)/listen autobind, connect, or none. */
  portFrom: 'none' | 'explicit' | 'auto' | 'connect';
  addr: string;
  listening: boolean;
  /** The last connect failed after the kernel had chosen the port (R61 quirk for getsockname). */
  refusedAuto: boolean;
}

export interface Pre {
  readonly view: NetnsView | null;
  readonly sock: Shadow | null;
}

const isWildcard = (a: string) => a === '0.0.0.0' || a === '::' || a === '::ffff:0.0.0.0';

export class Coverage {
  private readonly hit = new Set<string>();
  private readonly socks = new Map<string, Shadow>();
  /** UDP sockets by name (their rules are R90-R96, not TCP's). */
  private readonly udp = new Set<string>();
  private open = 0;
  private uid = 0;
  private unprivStart = 1024;
  private autobindReuse = false;

  constructor(private readonly ns: Netns) {}

  add(rule: string): void {
    this.hit.add(rule);
  }

  list(): string[] {
    return [...this.hit].sort(byRule);
  }

  before(call: Call): Pre {
    const sock = 'sock' in call ? (this.socks.get(call.sock) ?? null) : null;
    const wantsView =
      call.op === 'bind' || call.op === 'listen' || call.op === 'connect' || call.op === 'close';
    const view = wantsView && this.open <= VIEW_LIMIT ? this.ns.inspect() : null;
    return { view, sock: sock === null ? null : { ...sock } };
  }

  after(call: Call, pre: Pre, k: Outcome, detail: Result<object> | undefined, random: boolean): void {
    if (detail && !detail.ok) this.add(detail.rule);
    const add = (...rules: string[]) => {
      for (const r of rules) this.hit.add(r);
    };
    const s = pre.sock;
    const v = pre.view;
    if (call.op === 'deliver') {
      add('R80', call.proto === 'tcp' ? 'R81' : 'R82');
      return;
    }
    if ('sock' in call && call.op !== 'accept' && this.udp.has(call.sock)) {
      this.udpRules(call, s, k, random, add);
      if (call.op !== 'setsockopt') return;
    }
    switch (call.op) {
      case 'sysctl': {
        add(...(SYSCTL_RULES[call.name] ?? []));
        if (k.ok && call.name === 'net.ipv4.ip_unprivileged_port_start')
          this.unprivStart = Number(call.value);
        if (k.ok && call.name === 'net.ipv4.ip_autobind_reuse')
          this.autobindReuse = call.value.trim() === '1';
        return;
      }
      case 'uid':
        this.uid = call.uid;
        return;
      case 'socket':
        if (k.ok) {
          this.open++;
          if (call.kind.startsWith('udp')) this.udp.add(call.name);
          this.socks.set(call.name, fresh(call.kind.endsWith('6') ? 6 : 4));
          if (call.kind.endsWith('6')) add('R36');
        }
        return;
      case 'accept':
        if (k.ok) {
          this.open++;
          const sh = fresh(s?.family ?? 4);
          sh.port = s?.port ?? 0;
          sh.portFrom = 'explicit';
          this.socks.set(call.name, sh);
        }
        return;
      case 'getsockopt':
        if (call.opt === 'IP_LOCAL_PORT_RANGE') add('R70');
        if (call.opt === 'IPV6_V6ONLY') add('R36');
        return;
      case 'setsockopt': {
        const cur = this.socks.get(call.sock);
        if (!cur || !k.ok) return;
        if (call.optlen !== undefined) {
          // What a short or long buffer sets is the model's business (sockopt.ts); the shadow
          // keeps its flags, which can only make the classifier's guesses coarser.
          if (call.opt === 'IP_LOCAL_PORT_RANGE') add('R70');
          return;
        }
        const on =
          typeof call.value === 'number' ? call.value !== 0 : call.value[0] !== 0 || call.value[1] !== 0;
        if (call.opt === 'SO_REUSEADDR') cur.ra = on;
        if (call.opt === 'SO_REUSEPORT') cur.rp = on;
        if (call.opt === 'IP_BIND_ADDRESS_NO_PORT') cur.noPort = on;
        if (call.opt === 'IP_LOCAL_PORT_RANGE') {
          cur.lpr = on;
          add('R70');
        }
        if (call.opt === 'IPV6_V6ONLY') add('R36');
        if (call.opt === 'IP_FREEBIND' || call.opt === 'IPV6_FREEBIND') add('R7');
        return;
      }
      case 'route':
        // A local route and its preferred source (R10; issue 10): every address of it is local (R7).
        add('R7', 'R10');
        return;
      case 'close': {
        add('R60');
        if (call.rst) add('R61');
        if (k.ok) {
          this.socks.delete(call.sock);
          this.open--;
        }
        if (v !== null) {
          const post = this.ns.inspect();
          if (post.timewaits.length > v.timewaits.length) add('R6');
          if (s?.portFrom === 'explicit' && post.timewaits.some((t) => t.local.port === s.port)) add('R64');
          const owned = new Set(post.bindOwnedPorts);
          for (const p of v.bindOwnedPorts) {
            if (!owned.has(p) && hasOwners(post, p)) add('R15');
          }
        }
        return;
      }
      case 'getsockname':
        if (s?.refusedAuto) add('R61');
        if (s && isWildcard(s.addr) && s.portFrom === 'explicit') add('R21');
        return;
      case 'bind':
        this.bind(call, s, v, k, random, add);
        return;
      case 'listen':
        this.listen(call, s, v, k, random, add);
        return;
      case 'connect':
        this.connect(call, s, v, k, random, add);
        return;
      default:
        return;
    }
  }

  /** R90-R96 for a call on a UDP socket. */
  private udpRules(
    call: Call,
    s: Shadow | null,
    k: Outcome,
    random: boolean,
    add: (...r: string[]) => void,
  ): void {
    if (random) add('R90');
    if (random && (s?.ra || s?.rp)) add('R92');
    if (!k.ok && k.errno === 'EAGAIN') add('R93');
    switch (call.op) {
      case 'bind':
        add(call.port === 0 ? (s?.noPort ? 'R96' : 'R90') : 'R91');
        if (k.ok && s) {
          s.port = k.port ?? 0;
          s.portFrom = call.port === 0 ? 'auto' : 'explicit';
        }
        return;
      case 'connect':
      case 'sendto':
      case 'disconnect':
        add('R94');
        if (s?.noPort) add('R96');
        return;
      case 'close':
        add('R95');
        if (k.ok) {
          this.udp.delete(call.sock);
          this.socks.delete(call.sock);
          this.open--;
        }
        return;
      default:
        return;
    }
  }

  private autobindRules(
    s: Shadow | null,
    v: NetnsView | null,
    addr: string,
    add: (...r: string[]) => void,
  ): void {
    add('R40');
    if (this.autobindReuse) add('R5', 'R41');
    if (s?.lpr) add('R45', ...(s.family === 6 ? ['R72'] : []));
    if (s?.family === 6) add('R36');
    if (v === null) return;
    const [lo, hi] = v.portRange;
    if (v.reserved.some((p) => lo <= p && p <= hi)) add('R44', 'R2');
    const inRange = ownersIn(v, lo, hi);
    if (inRange.length > 0) {
      if (s?.ra || s?.rp) add('R41');
      if (!isWildcard(addr) && inRange.some((o) => o.addr !== addr && !isWildcard(o.addr))) add('R42');
      if (v.timewaits.some((t) => lo <= t.local.port && t.local.port <= hi)) add('R64');
    }
  }

  private bind(
    call: Call & { op: 'bind' },
    s: Shadow | null,
    v: NetnsView | null,
    k: Outcome,
    random: boolean,
    add: (...r: string[]) => void,
  ): void {
    const cur = this.socks.get(call.sock);
    if (call.addr.includes(':')) add('R36');
    if (call.port === 0) {
      if (s?.noPort) add('R22');
      else if (random) this.autobindRules(s, v, call.addr, add);
    } else {
      if (!k.ok && k.errno !== 'EADDRINUSE') add('R30');
      if (s !== null && s.port !== 0) add('R30');
      if (call.port < this.unprivStart) add('R3');
      if (!k.ok && k.errno === 'EADDRNOTAVAIL') add('R7');
      if (v !== null) {
        const owners = ownersIn(v, call.port, call.port);
        if (owners.length > 0) {
          add('R31', 'R38');
          if (s?.ra) add('R32');
          if (s?.rp) add('R33');
          if (owners.some((o) => o.addr !== call.addr)) add('R35');
          if (owners.some((o) => o.addr.includes(':') !== call.addr.includes(':'))) add('R36');
          if (owners.some((o) => o.tw)) add('R64');
          if (s?.rp && this.uid !== 0) add('R33');
        }
      }
      if (s?.lpr && k.ok) add('R70');
    }
    if (cur && k.ok) {
      cur.port = k.port ?? 0;
      cur.addr = k.addr ?? call.addr;
      cur.portFrom = cur.port === 0 ? 'none' : call.port === 0 ? 'auto' : 'explicit';
    }
  }

  private listen(
    call: Call & { op: 'listen' },
    s: Shadow | null,
    v: NetnsView | null,
    k: Outcome,
    random: boolean,
    add: (...r: string[]) => void,
  ): void {
    const cur = this.socks.get(call.sock);
    if (s !== null && s.port === 0 && random) {
      add('R50');
      if (s.noPort && !isWildcard(s.addr)) add('R22');
      this.autobindRules(s, v, s.addr, add);
    } else if (s !== null && s.port !== 0) {
      add('R51');
      if (v !== null && ownersIn(v, s.port, s.port).length > 1) {
        add('R31');
        if (s.ra) add('R32');
        if (s.rp) add('R33');
      }
    }
    if (cur && k.ok) {
      cur.listening = true;
      if (cur.port === 0) cur.portFrom = 'auto';
      cur.port = k.port ?? cur.port;
    }
  }

  private connect(
    call: Call & { op: 'connect' },
    s: Shadow | null,
    v: NetnsView | null,
    k: Outcome,
    random: boolean,
    add: (...r: string[]) => void,
  ): void {
    const cur = this.socks.get(call.sock);
    const refused = !k.ok && k.errno === 'ECONNREFUSED';
    if (refused) add('R61');
    if (random) {
      add('R11', 'R13');
      if (s === null || isWildcard(s.addr)) add('R10');
      if (s?.noPort) add('R22');
      if (s?.lpr) add('R71', 'R70', ...(s.family === 6 ? ['R72'] : []));
      if (!k.ok && k.errno === 'EADDRNOTAVAIL') add('R14');
      if (v !== null) {
        const [lo, hi] = v.portRange;
        if (v.reserved.some((p) => lo <= p && p <= hi)) add('R2');
        if (v.bindOwnedPorts.some((p) => lo <= p && p <= hi)) add('R12');
        const dest = canonDest(call.addr);
        const sameDest = v.sockets.some(
          (x) =>
            x.remote !== null &&
            x.remote.port === call.port &&
            x.remote.addr === dest &&
            inR(x.local.port, lo, hi),
        );
        if (sameDest) add('R12', 'R14');
        if (v.timewaits.some((t) => t.remote.port === call.port && inR(t.local.port, lo, hi))) add('R62');
      }
    } else if (s !== null && s.port !== 0 && !s.listening) {
      add('R20');
      if (isWildcard(s.addr)) add('R21');
      if (s.portFrom === 'auto') add('R23');
      if (v?.timewaits.some((t) => t.local.port === s.port && t.remote.port === call.port)) add('R63');
    }
    if (cur) {
      cur.refusedAuto = refused && random;
      if (k.ok) {
        if (cur.port === 0) cur.portFrom = 'connect';
        cur.port = k.port ?? cur.port;
        cur.addr = k.addr ?? cur.addr;
      }
    }
  }
}

function fresh(family: 4 | 6): Shadow {
  return {
    family,
    ra: false,
    rp: false,
    noPort: false,
    lpr: false,
    port: 0,
    portFrom: 'none',
    addr: family === 4 ? '0.0.0.0' : '::',
    listening: false,
    refusedAuto: false,
  };
}

function inR(p: number, lo: number, hi: number): boolean {
  return lo <= p && p <= hi;
}

function canonDest(a: string): string {
  return a.startsWith('[') ? a.slice(1, -1) : a;
}

function hasOwners(v: NetnsView, port: number): boolean {
  return v.sockets.some((s) => s.local.port === port) || v.timewaits.some((t) => t.local.port === port);
}

function ownersIn(v: NetnsView, lo: number, hi: number): { addr: string; tw: boolean }[] {
  const out: { addr: string; tw: boolean }[] = [];
  for (const s of v.sockets) if (inR(s.local.port, lo, hi)) out.push({ addr: s.local.addr, tw: false });
  for (const t of v.timewaits) if (inR(t.local.port, lo, hi)) out.push({ addr: t.local.addr, tw: true });
  return out;
}

function byRule(a: string, b: string): number {
  const ka = a.charCodeAt(0);
  const kb = b.charCodeAt(0);
  if (ka !== kb) return ka - kb;
  return Number(a.slice(1)) - Number(b.slice(1));
}
