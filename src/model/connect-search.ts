/**
 * connect() autoselection's search (R11-R14): the window and start offset of R11's single phase
 * and R12's per-port verdict, as one object that is also the connect plan (ConnectPlanAuto).
 */
import type { Addr } from './addr.js';
import type { Core } from './core.js';
import type { Owner, TimeWait } from './entities.js';
import { LINUX41_CONNECT_LABEL, linux41ConnectStart } from './linux41-search.js';
import { nextClearInAll, type PortFinder } from './port-bitmap.js';
import { isConnectShareable } from './port-bucket.js';
import type { DeferredRules, RuleLog } from './rule-log.js';
import { roundedRemaining, type ScanWindow } from './scan-order.js';
import type { Phase, PortJudge, Skip, Taken } from './search.js';
import type { TupleSlot } from './tuple-table.js';
import { recyclingPossible, twRecyclable } from './tw-recycle.js';

/**
 * R11's single phase and R12's tryPort in one object: the search window and start offset, and
 * the per-port verdict (bind-owned buckets are skipped whatever their addresses; then the
 * 4-tuple). A class rather than closures: connect() is the hot path of every benchmark. A plain
 * connect() reuses the one kept in its 4-tuple slot (`reuse`) and takes the result in `port`
 * and `i`: no object is made per call. Plans handed out (planConnect) are always fresh.
 */
export class ConnectSearch implements Phase, PortJudge, ScanWindow, ConnectPlanAuto, Taken, DeferredRules {
  // Set by `reuse`, which the constructor runs: they depend on the socket and the sysctls.
  src!: Addr;
  dest!: Addr;
  remaining!: number;
  step!: 1 | 2;
  lo!: number;
  end!: number;
  private perSocket!: boolean;
  private recycle!: boolean;
  private finders!: PortFinder[];
  /** What the last chooseOneInto found: the port and its scan position. */
  port = -1;
  i = 0;

  constructor(
    private readonly core: Core,
    readonly slot: TupleSlot | undefined,
    src: Addr,
    dest: Addr,
    readonly dport: number,
    readonly idx: number,
    readonly base: number,
    perSocket: boolean,
    lo: number,
    end: number,
    /** linux-4.1 profile: start from the one global hint (step 1, no parity; spec section 10). */
    readonly legacyHint = false,
  ) {
    this.reuse(src, dest, perSocket, lo, end);
  }

  /**
   * Readies the search for a new call on the same triple. src and dest are given again: an IPv4
   * socket and an IPv6 one through v4-mapped addresses share the triple's slot (and hash).
   */
  reuse(src: Addr, dest: Addr, perSocket: boolean, lo: number, end: number): this {
    this.src = src;
    this.dest = dest;
    this.perSocket = perSocket;
    this.lo = lo;
    this.end = end;
    this.step = perSocket ? 1 : 2;
    this.remaining = roundedRemaining(lo, end, !perSocket);
    const ports = this.core.ports;
    const slot = this.slot;
    this.recycle = recyclingPossible(this.core, src, dest);
    // The finder lists depend only on long-lived sets, so they are built once and kept.
    if (!slot) this.finders = ports.baseFinders;
    else if (this.recycle)
      this.finders = slot.findersRecycling ??= [ports.reserved, ports.bindOwned, slot.live];
    else this.finders = slot.finders ??= [ports.reserved, ports.bindOwned, slot.live, slot.tw];
    return this;
  }

  get kind(): 'auto' {
    return 'auto';
  }

  // The search is its own plan, phase, judge and window: one object per connect, not five.
  get judge(): PortJudge {
    return this;
  }

  get window(): ScanWindow {
    return this;
  }

  get search(): ConnectSearch {
    return this;
  }

  get phases(): Phase[] {
    return [this];
  }

  get label(): string {
    if (this.legacyHint) return LINUX41_CONNECT_LABEL;
    return this.perSocket
      ? 'connect() search, IP_LOCAL_PORT_RANGE: step 1'
      : 'connect() search: parity of the low end first';
  }

  draw(): number {
    if (this.legacyHint) return linux41ConnectStart(this.core.hint41, this.base, this.remaining);
    const offset = ((this.core.host.perturb.get(this.idx) + this.base) >>> 0) % this.remaining;
    return this.perSocket ? offset : offset & ~1;
  }

  *offsets(): Iterable<number> {
    for (let o = 0; o < this.remaining; o += this.perSocket ? 1 : 2) yield o;
  }

  get passDelta(): number {
    return this.perSocket || this.remaining <= 1 ? 0 : 1;
  }

  /** The TIME_WAIT entry holding this port's 4-tuple, if any. */
  timeWaitAt(port: number): TimeWait | undefined {
    return this.slot?.tw.get(port) as TimeWait | undefined;
  }

  first(from: number, to: number, step: 1 | 2): number {
    let p = from;
    while (p <= to) {
      const q = nextClearInAll(this.finders, p, to, step);
      if (q < 0 || !this.recycle) return q;
      const tw = this.timeWaitAt(q);
      if (!tw || twRecyclable(this.core, tw, 'AUTOSELECT')) return q;
      p = q + step;
    }
    return -1;
  }

  /**
   * R11 (order) and R13 (offset) decided the search; the window [lo, end) held reserved ports
   * (R2), bind-owned ones (R12), live 4-tuples towards the destination other than the one taken
   * (R14), or TIME_WAIT entries on ports connect may share (R62: an entry blocks its own 4-tuple
   * until it may be recycled, and no other). Which of them a given draw passed over depends on
   * the kernel's secret (R13): these are the rules that shaped the set of possible results.
   */
  recordRules(log: RuleLog, taken: number): void {
    log.add('R11');
    log.add('R13');
    const lo = this.lo;
    const hi = this.end - 1;
    const core = this.core;
    const ports = core.ports;
    if (ports.reserved.anyIn(lo, hi)) log.add('R2');
    if (ports.bindOwned.anyIn(lo, hi)) log.add('R12');
    const live = this.slot?.live;
    if (live && (taken < 0 ? live.anyIn(lo, hi) : live.anyIn(lo, taken - 1) || live.anyIn(taken + 1, hi)))
      log.add('R14');
    for (const tw of core.timewaits.values()) {
      if (lo <= tw.lport && tw.lport <= hi && !ports.bindOwned.has(tw.lport)) {
        log.add('R62');
        break;
      }
    }
  }

  verdict(port: number): Skip | null {
    const core = this.core;
    if (core.sysctl.reserved.has(port)) return { reason: 'reserved', rule: 'R2', by: null };
    const b = core.ports.bucket(port);
    if (!b) return null;
    if (!isConnectShareable(b))
      return { reason: 'bind-owned', rule: 'R12', by: firstNonConnectBound(b.owners) };
    const e = this.slot?.live.get(port) ?? this.slot?.tw.get(port);
    if (!e) return null;
    if (e.kind === 'socket') return { reason: '4-tuple', rule: 'R14', by: e };
    if (twRecyclable(core, e, 'AUTOSELECT')) return null;
    const young =
      this.recycle &&
      e.hasPeerTs &&
      e.substate === 'TIME_WAIT' &&
      core.now <= e.entryMs + core.sysctl.twReuseDelayMs;
    return { reason: young ? 'time-wait-too-young' : '4-tuple', rule: 'R62', by: e };
  }
}

function firstNonConnectBound(owners: Iterable<Owner>): Owner | null {
  let any: Owner | null = null;
  for (const o of owners) {
    if (!o.connectBound) return o;
    any ??= o;
  }
  return any;
}

export interface ConnectPlanAuto {
  readonly kind: 'auto';
  readonly src: Addr;
  readonly dest: Addr;
  readonly dport: number;
  readonly phases: Phase[];
  readonly search: ConnectSearch;
  /** R13: the perturbation slot, the hash's base, and the increment step used when a port is found. */
  readonly idx: number;
  readonly base: number;
  readonly step: 1 | 2;
}
