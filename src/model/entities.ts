/**
 * What holds ports: sockets and TIME_WAIT entries (spec D2, D4). Both are "owners" of a port
 * bucket; the conflict rules read the same few attributes from either.
 */
import { type Addr, ANY4, ANY6 } from './addr.js';
import type { TimerSlot } from './timers.js';

export type SockId = number & { readonly __brand: 'SockId' };
export type Proto = 'tcp' | 'udp';

/**
 * TCP states the model distinguishes. CLOSE covers fresh, bound, refused and reset sockets.
 * Sockets the user has closed but the kernel still keeps (FIN_WAIT2 orphans, TIME_WAIT) are not
 * sockets any more: they are TimeWait entries.
 */
export type TcpState = 'CLOSE' | 'LISTEN' | 'ESTABLISHED' | 'CLOSE_WAIT';

/** The attributes the conflict predicates (D5, R31, R38) read from any owner. */
export interface OwnerView {
  readonly family: 4 | 6;
  readonly laddr: Addr;
  readonly v6only: boolean;
  readonly reuseAddr: boolean;
  readonly reusePort: boolean;
  readonly uid: number;
  readonly listening: boolean;
  readonly isTimeWait: boolean;
  readonly connectBound: boolean;
}

export interface Socket extends OwnerView {
  /** Position in its port bucket's owner list (kept by OwnerList). */
  bucketSlot: number;
  readonly kind: 'socket';
  readonly id: SockId;
  readonly proto: Proto;
  family: 4 | 6;
  uid: number;
  reuseAddr: boolean;
  reusePort: boolean;
  v6only: boolean;
  noPort: boolean;
  /** IP_FREEBIND / IPV6_FREEBIND (one flag): bind() may take an address that is not local (R7). */
  freebind: boolean;
  /** R70 raw value: lo in the low 16 bits, hi in the high 16 bits; 0 = unset. */
  lpr: number;
  linger0: boolean;
  state: TcpState;
  laddr: Addr;
  /** The port this socket owns in its bucket (0 = none). */
  lport: number;
  /** What getsockname reports; it keeps a released port after a failed connect (R61 quirk). */
  namePort: number;
  raddr: Addr | null;
  rport: number;
  addrLocked: boolean;
  portLocked: boolean;
  connectBound: boolean;
  /** Timestamps were on (tcp_timestamps != 0) when the connection was made: the peer sends them. */
  peerTs: boolean;
  /** The other end when it lives in this namespace (a local connection). */
  peer: Socket | null;
  /** The TIME_WAIT / FIN_WAIT2 entry the local peer left when it closed first. */
  peerEntry: TimeWait | null;
  /** For a server-side socket not yet accepted: the listener whose queue holds it. */
  queuedOn: Socket | null;
  /** Listener only: children waiting for accept(), oldest first. */
  acceptQueue: Socket[];
  /** False once the user's descriptor is gone (un-accepted children have none yet). */
  userOpen: boolean;
  /** Was reset by an RST from the peer (reads would fail with ECONNRESET). */
  wasReset: boolean;
  /** An IPv6 socket that once connected along the IPv4 path keeps the IPv4-mapped operations (R10). */
  viaV4: boolean;
  /**
   * R52: connect() got as far as sending a SYN (refused, timed out, or connected). On the kernel
   * build the model follows, such a socket never listens again: listen() does its work, keeps the
   * port, and returns EINVAL.
   */
  synSent: boolean;
  /** Was connected, then connect(AF_UNSPEC): listen() is EINVAL for good (tcp-disconnect.ts). */
  onceConnected: boolean;
  /** Was listening, then connect(AF_UNSPEC): connect() is EINVAL for good (tcp-disconnect.ts). */
  onceListened: boolean;
  readonly listening: boolean;
  readonly isTimeWait: false;
}

const NO_QUEUE: Socket[] = Object.freeze([]) as unknown as Socket[];

/** The socket's boolean attributes, packed into one small integer (sockets are many). */
enum Bit {
  ReuseAddr = 1,
  ReusePort = 2,
  NoPort = 4,
  Linger0 = 8,
  AddrLocked = 16,
  PortLocked = 32,
  ConnectBound = 64,
  PeerTs = 128,
  UserOpen = 256,
  WasReset = 512,
  ViaV4 = 1024,
  V6Only = 2048,
  /** family 6 (else 4) */
  Family6 = 4096,
  /** proto udp (else tcp) */
  Udp = 8192,
  /** The flags below sit above the three state bits (STATE_SHIFT). R52: connect() sent a SYN. */
  SynSent = 1 << 17,
  /** Was connected, then connect(AF_UNSPEC) (tcp-disconnect.ts). */
  OnceConnected = 1 << 18,
  /** Was listening, then connect(AF_UNSPEC) (tcp-disconnect.ts). */
  OnceListened = 1 << 19,
}

/** The TCP state is three bits of the bit field, above the flags: its index in STATES. */
const STATES: readonly TcpState[] = ['CLOSE', 'LISTEN', 'ESTABLISHED', 'CLOSE_WAIT'];
const STATE_SHIFT = 14;

/**
 * The attributes few sockets ever set: a local peer (connections inside the namespace), a
 * listener's queue, IP_LOCAL_PORT_RANGE, IP_FREEBIND. Kept out of the socket until first set, so
 * the common socket (a connect() to a remote host) is a smaller object for the garbage collector
 * to move.
 */
class SocketExtras {
  lpr = 0;
  freebind = false;
  peer: Socket | null = null;
  peerEntry: TimeWait | null = null;
  queuedOn: Socket | null = null;
  acceptQueue: Socket[] = NO_QUEUE;
}

/**
 * A socket as a class: one hidden class for all sockets keeps the hot paths monomorphic, the
 * booleans (and family, protocol and state) live in one bit field, both port numbers in one
 * integer, and the rarely set attributes in SocketExtras: a connected socket is 9 fields, where a
 * plain object would have 28 (the garbage collector copies every socket of a fill).
 */
export class TcpSocket implements Socket {
  private bits: number = Bit.UserOpen;
  private extras: SocketExtras | null = null;
  laddr: Addr;
  /** lport in the low 16 bits, namePort in the high 16 (an int32, so still a small integer). */
  private ports = 0;
  raddr: Addr | null = null;
  rport = 0;
  bucketSlot = -1;

  constructor(
    readonly id: SockId,
    proto: Proto,
    family: 4 | 6,
    public uid: number,
    v6only: boolean,
  ) {
    this.laddr = family === 4 ? ANY4 : ANY6;
    if (v6only) this.bits |= Bit.V6Only;
    if (family === 6) this.bits |= Bit.Family6;
    if (proto === 'udp') this.bits |= Bit.Udp;
  }

  get state(): TcpState {
    return STATES[(this.bits >>> STATE_SHIFT) & 7] as TcpState;
  }
  set state(v: TcpState) {
    const i = STATES.indexOf(v);
    if (i < 0) throw new Error(`model bug: TCP state ${v} has no code in STATES`);
    this.bits = (this.bits & ~(7 << STATE_SHIFT)) | (i << STATE_SHIFT);
  }
  get lport(): number {
    return this.ports & 0xffff;
  }
  set lport(v: number) {
    this.ports = (this.ports & ~0xffff) | v;
  }
  get namePort(): number {
    return this.ports >>> 16;
  }
  set namePort(v: number) {
    this.ports = (v << 16) | (this.ports & 0xffff);
  }

  private more(): SocketExtras {
    if (this.extras === null) this.extras = new SocketExtras();
    return this.extras;
  }

  get proto(): Proto {
    return (this.bits & Bit.Udp) !== 0 ? 'udp' : 'tcp';
  }
  get family(): 4 | 6 {
    return (this.bits & Bit.Family6) !== 0 ? 6 : 4;
  }
  set family(v: 4 | 6) {
    this.bits = v === 6 ? this.bits | Bit.Family6 : this.bits & ~Bit.Family6;
  }

  /** IP_FREEBIND is rare: kept with the extras rather than in the bit field. */
  get freebind(): boolean {
    return this.extras === null ? false : this.extras.freebind;
  }
  set freebind(v: boolean) {
    if (v || this.extras !== null) this.more().freebind = v;
  }
  get lpr(): number {
    return this.extras === null ? 0 : this.extras.lpr;
  }
  set lpr(v: number) {
    if (v !== 0 || this.extras !== null) this.more().lpr = v;
  }
  get peer(): Socket | null {
    return this.extras === null ? null : this.extras.peer;
  }
  set peer(v: Socket | null) {
    if (v !== null || this.extras !== null) this.more().peer = v;
  }
  get peerEntry(): TimeWait | null {
    return this.extras === null ? null : this.extras.peerEntry;
  }
  set peerEntry(v: TimeWait | null) {
    if (v !== null || this.extras !== null) this.more().peerEntry = v;
  }
  get queuedOn(): Socket | null {
    return this.extras === null ? null : this.extras.queuedOn;
  }
  set queuedOn(v: Socket | null) {
    if (v !== null || this.extras !== null) this.more().queuedOn = v;
  }
  /** Shared and frozen until listen() gives the socket a queue of its own. */
  get acceptQueue(): Socket[] {
    return this.extras === null ? NO_QUEUE : this.extras.acceptQueue;
  }
  set acceptQueue(v: Socket[]) {
    if (v !== NO_QUEUE || this.extras !== null) this.more().acceptQueue = v;
  }

  get kind(): 'socket' {
    return 'socket';
  }

  get isTimeWait(): false {
    return false;
  }

  get listening(): boolean {
    return this.state === 'LISTEN';
  }

  get reuseAddr(): boolean {
    return (this.bits & Bit.ReuseAddr) !== 0;
  }
  set reuseAddr(v: boolean) {
    this.bits = v ? this.bits | Bit.ReuseAddr : this.bits & ~Bit.ReuseAddr;
  }
  get reusePort(): boolean {
    return (this.bits & Bit.ReusePort) !== 0;
  }
  set reusePort(v: boolean) {
    this.bits = v ? this.bits | Bit.ReusePort : this.bits & ~Bit.ReusePort;
  }
  get noPort(): boolean {
    return (this.bits & Bit.NoPort) !== 0;
  }
  set noPort(v: boolean) {
    this.bits = v ? this.bits | Bit.NoPort : this.bits & ~Bit.NoPort;
  }
  get linger0(): boolean {
    return (this.bits & Bit.Linger0) !== 0;
  }
  set linger0(v: boolean) {
    this.bits = v ? this.bits | Bit.Linger0 : this.bits & ~Bit.Linger0;
  }
  get addrLocked(): boolean {
    return (this.bits & Bit.AddrLocked) !== 0;
  }
  set addrLocked(v: boolean) {
    this.bits = v ? this.bits | Bit.AddrLocked : this.bits & ~Bit.AddrLocked;
  }
  get portLocked(): boolean {
    return (this.bits & Bit.PortLocked) !== 0;
  }
  set portLocked(v: boolean) {
    this.bits = v ? this.bits | Bit.PortLocked : this.bits & ~Bit.PortLocked;
  }
  get connectBound(): boolean {
    return (this.bits & Bit.ConnectBound) !== 0;
  }
  set connectBound(v: boolean) {
    this.bits = v ? this.bits | Bit.ConnectBound : this.bits & ~Bit.ConnectBound;
  }
  get peerTs(): boolean {
    return (this.bits & Bit.PeerTs) !== 0;
  }
  set peerTs(v: boolean) {
    this.bits = v ? this.bits | Bit.PeerTs : this.bits & ~Bit.PeerTs;
  }
  get userOpen(): boolean {
    return (this.bits & Bit.UserOpen) !== 0;
  }
  set userOpen(v: boolean) {
    this.bits = v ? this.bits | Bit.UserOpen : this.bits & ~Bit.UserOpen;
  }
  get wasReset(): boolean {
    return (this.bits & Bit.WasReset) !== 0;
  }
  set wasReset(v: boolean) {
    this.bits = v ? this.bits | Bit.WasReset : this.bits & ~Bit.WasReset;
  }
  get synSent(): boolean {
    return (this.bits & Bit.SynSent) !== 0;
  }
  set synSent(v: boolean) {
    this.bits = v ? this.bits | Bit.SynSent : this.bits & ~Bit.SynSent;
  }
  get viaV4(): boolean {
    return (this.bits & Bit.ViaV4) !== 0;
  }
  set viaV4(v: boolean) {
    this.bits = v ? this.bits | Bit.ViaV4 : this.bits & ~Bit.ViaV4;
  }
  get onceConnected(): boolean {
    return (this.bits & Bit.OnceConnected) !== 0;
  }
  set onceConnected(v: boolean) {
    this.bits = v ? this.bits | Bit.OnceConnected : this.bits & ~Bit.OnceConnected;
  }
  get onceListened(): boolean {
    return (this.bits & Bit.OnceListened) !== 0;
  }
  set onceListened(v: boolean) {
    this.bits = v ? this.bits | Bit.OnceListened : this.bits & ~Bit.OnceListened;
  }
  get v6only(): boolean {
    return (this.bits & Bit.V6Only) !== 0;
  }
  set v6only(v: boolean) {
    this.bits = v ? this.bits | Bit.V6Only : this.bits & ~Bit.V6Only;
  }
}

export type TwSubstate = 'TIME_WAIT' | 'FIN_WAIT2';

/** A TIME_WAIT (or orphaned FIN_WAIT2) entry: the kernel's memory of a closed connection (D4). */
export interface TimeWait extends OwnerView {
  bucketSlot: number;
  readonly kind: 'timewait';
  readonly id: number;
  readonly origin: SockId;
  readonly family: 4 | 6;
  readonly laddr: Addr;
  readonly lport: number;
  readonly raddr: Addr;
  readonly rport: number;
  readonly v6only: boolean;
  readonly reuseAddr: boolean;
  readonly reusePort: boolean;
  readonly uid: number;
  readonly connectBound: boolean;
  readonly hasPeerTs: boolean;
  substate: TwSubstate;
  /** Virtual ms when the entry was created (the tcp_tw_reuse_delay clock, R4/R62). */
  readonly entryMs: number;
  expiresMs: number;
  /** The local peer still in CLOSE_WAIT, if any: its close moves us from FIN_WAIT2 to TIME_WAIT. */
  peer: Socket | null;
  readonly listening: false;
  readonly isTimeWait: true;
  /** Its place in the Core's timer heap while it waits to expire; null once it has left. */
  timer: TimerSlot<TimeWait> | null;
}

export type Owner = Socket | TimeWait;

export function describeOwner(o: Owner): string {
  const local = `${o.family === 6 ? `[${o.laddr.text}]` : o.laddr.text}:${o.lport}`;
  if (o.kind === 'timewait') {
    const remote = `${o.raddr.family === 6 ? `[${o.raddr.text}]` : o.raddr.text}:${o.rport}`;
    return `${o.substate} entry of socket #${o.origin} ${local} -> ${remote}`;
  }
  const remote = o.raddr ? ` -> ${o.family === 6 ? `[${o.raddr.text}]` : o.raddr.text}:${o.rport}` : '';
  const flags = [o.reuseAddr ? 'SO_REUSEADDR' : '', o.reusePort ? 'SO_REUSEPORT' : '']
    .filter(Boolean)
    .join(',');
  return `socket #${o.id} ${o.proto}${o.family} ${local}${remote} ${o.state}${flags ? ` (${flags})` : ''}`;
}
