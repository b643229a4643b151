/**
 * The connector's books on its (source, destination) pairs: each pair's port pool (userspace)
 * or tallies (bind, no-port), how much headroom each has, which source to take next, and the
 * ports the kernel showed are someone else's (put on hold for a while). Plain bookkeeping on a
 * clock: no sockets and no model here.
 */
import { TIME_WAIT_MS } from '../model/index.js';
import type { ForeignPorts, HostPorts } from './host.js';
import type { SourceAddr, Strategy } from './options.js';
import { Pair, pairKey } from './pairs.js';
import { PortPool } from './port-pool.js';

/** R6: TIME_WAIT lasts 60 s (the model's TIME_WAIT_MS); the pools wait a little longer than the kernel before reuse. */
const TIME_WAIT_MARGIN_MS = 2_000;
/** A port the kernel refused is left alone this long (another program's TIME_WAIT lasts 60 s). */
const HOLD_MS = 60_000;

/** One row of stats(): a (source, destination) pair. */
export interface PairStats {
  readonly source: string;
  /** `ip:port` or `[ip6]:port`. */
  readonly destination: string;
  /** Our connections on this pair now (including handshakes in flight). */
  readonly inUse: number;
  /** Our TIME_WAIT entries on this pair (R60). */
  readonly timeWait: number;
  /** Ports the kernel refused recently (other programs'), left alone for a while. */
  readonly onHold: number;
  /** Connections this pair could still take now. */
  readonly headroom: number;
  /** Ports this pair can ever use (userspace: our share of the ports; bind: ip_local_port_range). */
  readonly capacity: number;
  /** Handshakes started by the kernel on this pair. */
  readonly attempts: number;
  /** Handshakes that failed for any reason (refused, reset, timeout, abort, collision). */
  readonly failures: number;
  /** Of the failures: EADDRINUSE / EADDRNOTAVAIL from the kernel, retried elsewhere. */
  readonly collisions: number;
}

export interface PairBookOptions {
  readonly sources: readonly SourceAddr[];
  readonly strategy: Strategy;
  /** The local ports the userspace pools hand out (after reserved ports and the shard). */
  readonly candidates: Uint16Array;
  readonly sysctls: HostPorts['sysctls'];
  /** Other programs' ports (avoidHostSockets), or null. */
  readonly foreign: ForeignPorts | null;
  readonly clock: () => number;
  readonly random: () => number;
}

/** Which source pickSource may take. */
export interface PickRule {
  /** Sources already tried for this connect() (no-port: a full source is not asked twice). */
  readonly exclude?: ReadonlySet<string>;
  /**
   * The no-port strategy asks the kernel even where our books show no headroom: other programs'
   * sockets are the kernel's to count (R22), and our count can only be too high, never too low.
   */
  readonly evenWithoutHeadroom?: boolean;
}

export class PairBook {
  readonly sources: readonly SourceAddr[];
  readonly strategy: Strategy;
  readonly sysctls: HostPorts['sysctls'];
  private readonly candidates: Uint16Array;
  private readonly foreign: ForeignPorts | null;
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly pairs = new Map<string, Pair>();
  /** Ports EADDRINUSE showed taken on a whole source (another program's bind or listen). */
  private readonly blocked = new Map<string, Map<number, number>>();

  constructor(o: PairBookOptions) {
    this.sources = o.sources;
    this.strategy = o.strategy;
    this.sysctls = o.sysctls;
    this.candidates = o.candidates;
    this.foreign = o.foreign;
    this.clock = o.clock;
    this.random = o.random;
    if (this.foreign) {
      const now = this.clock();
      for (const [src, ports] of this.foreign.bySource) {
        const m = new Map<number, number>();
        for (const p of ports) m.set(p, now + HOLD_MS);
        this.blocked.set(src, m);
      }
    }
  }

  /** How many local ports each userspace pool can hand out. */
  get portCount(): number {
    return this.candidates.length;
  }

  /** Per (source, destination) pair: in use, TIME_WAIT, headroom, attempts, failures. */
  stats(): PairStats[] {
    const now = this.clock();
    const out: PairStats[] = [];
    for (const p of this.pairs.values()) {
      p.pool?.expire(now);
      p.bindTimeWait.expire(now - TIME_WAIT_MS);
      out.push({
        source: p.source.text,
        destination: p.destination,
        inUse: p.inUse,
        timeWait: p.timeWait,
        onHold: p.pool?.onHold ?? 0,
        headroom: this.headroom(p),
        capacity: this.capacity(p),
        attempts: p.attempts,
        failures: p.failures,
        collisions: p.collisions,
      });
    }
    return out;
  }

  /** Pool ports taken now, over every pair (a leak check). */
  inUse(): number {
    let n = 0;
    for (const p of this.pairs.values()) n += p.inUse;
    return n;
  }

  /** The source with the most headroom towards dest (ties: the first listed). */
  pickSource(dest: string, dport: number, family: 4 | 6, now: number, rule: PickRule = {}): Pair | null {
    let best: Pair | null = null;
    let bestRoom = rule.evenWithoutHeadroom ? -1 : 0;
    for (const s of this.sources) {
      if (s.family !== family || rule.exclude?.has(s.text)) continue;
      const p = this.pair(s, dest, dport, now);
      const room = this.headroom(p);
      if (room > bestRoom) {
        best = p;
        bestRoom = room;
      }
    }
    return best;
  }

  pair(source: SourceAddr, dest: string, dport: number, now: number): Pair {
    const key = pairKey(source.text, dest, dport);
    let p = this.pairs.get(key);
    if (p) return p;
    let pool: PortPool | null = null;
    if (this.strategy === 'userspace') {
      const start = Math.floor(this.random() * this.candidates.length) % Math.max(1, this.candidates.length);
      pool = new PortPool(this.candidates, start, TIME_WAIT_MS + TIME_WAIT_MARGIN_MS, HOLD_MS);
      for (const port of this.foreign?.byTuple.get(key) ?? []) pool.holdUntaken(port, now);
    }
    p = new Pair(source, dest, dport, pool);
    this.pairs.set(key, p);
    return p;
  }

  headroom(p: Pair): number {
    if (p.pool) {
      p.pool.expire(this.clock());
      return p.pool.headroom(this.twRecyclable());
    }
    if (this.strategy === 'no-port') {
      // R22: the port is chosen per destination; our connections and TIME_WAIT entries towards
      // it count (other programs' do too, but only the kernel knows them: it has the last word).
      p.bindTimeWait.expire(this.clock() - TIME_WAIT_MS);
      return Math.max(0, this.capacity(p) - p.bindInUse - p.bindTimeWait.size);
    }
    return Math.max(0, this.capacity(p) - this.bindHeld(p.source.text));
  }

  capacity(p: Pair): number {
    if (p.pool) return p.pool.capacity;
    const [lo, hi] = this.sysctls.range;
    return hi - lo + 1 - this.sysctls.reserved.filter((r) => r >= lo && r <= hi).length;
  }

  /** Ports bind(source, 0) holds now: our connections and their TIME_WAIT entries on that source (R23, R64). */
  bindHeld(source: string): number {
    const before = this.clock() - TIME_WAIT_MS;
    let n = 0;
    for (const p of this.pairs.values()) {
      if (p.source.text !== source) continue;
      p.bindTimeWait.expire(before);
      n += p.bindInUse + p.bindTimeWait.size;
    }
    return n;
  }

  /** R63: a bound connect() recycles a TIME_WAIT 4-tuple at once, if the entry has timestamps. */
  twRecyclable(): boolean {
    return this.sysctls.timestamps !== 0;
  }

  /** Whether another program was seen holding this port on the whole source (EADDRINUSE). */
  isBlocked(source: string, port: number, now: number): boolean {
    const m = this.blocked.get(source);
    const until = m?.get(port);
    if (until === undefined) return false;
    if (until > now) return true;
    m?.delete(port);
    return false;
  }

  block(source: string, port: number, now: number): void {
    let m = this.blocked.get(source);
    if (!m) {
      m = new Map();
      this.blocked.set(source, m);
    }
    m.set(port, now + HOLD_MS);
  }
}
