/**
 * The local ports of one (source, destination) pair, ready to hand out in O(1) at any fill: no
 * scan of the range ever happens. A port is in exactly one place:
 *  - never used towards this destination yet: the `fresh` sequence (a cursor over the candidates);
 *  - free: a FIFO of ports given back without TIME_WAIT (the peer closed first, a reset, a failure);
 *  - TIME_WAIT: a FIFO in the order the entries were made, so the oldest is recycled first; with
 *    timestamps a bound connect() may recycle one at once (R63), without them it waits 60 s (R6);
 *  - held: ports the kernel refused (another program's socket): tried again after `holdMs`;
 *  - in use by one of our sockets.
 * Pure: time comes in as a number, the start of the fresh sequence is given.
 */

/**
 * A FIFO of ports with the time each was put in. It starts small and doubles as needed, up to
 * `max` (a port is in one ring at most): a pair that sees a few connections costs a few hundred
 * bytes, not the 10 bytes x range a full ring would.
 */
class TimedRing {
  private ports = new Uint16Array(16);
  private times = new Float64Array(16);
  private head = 0;
  size = 0;

  constructor(private readonly max: number) {}

  push(port: number, at: number): void {
    if (this.size >= this.max) throw new Error('connector bug: port ring overflow (a port given back twice)');
    if (this.size === this.ports.length) this.grow();
    const i = (this.head + this.size) % this.ports.length;
    this.ports[i] = port;
    this.times[i] = at;
    this.size++;
  }

  /** Time of the oldest entry (Infinity when empty). */
  peekAt(): number {
    return this.size === 0 ? Number.POSITIVE_INFINITY : (this.times[this.head] ?? 0);
  }

  shift(): number {
    if (this.size === 0) return -1;
    const p = this.ports[this.head] ?? -1;
    this.head = (this.head + 1) % this.ports.length;
    this.size--;
    return p;
  }

  private grow(): void {
    const n = Math.min(Math.max(16, this.max), this.ports.length * 2);
    const ports = new Uint16Array(n);
    const times = new Float64Array(n);
    for (let k = 0; k < this.size; k++) {
      const i = (this.head + k) % this.ports.length;
      ports[k] = this.ports[i] ?? 0;
      times[k] = this.times[i] ?? 0;
    }
    this.ports = ports;
    this.times = times;
    this.head = 0;
  }
}

export type GiveBack =
  /** No TIME_WAIT left behind: the peer closed first (R60 CLOSE_WAIT), a reset, or a failed connect. */
  | 'free'
  /** We closed first: the 4-tuple is in TIME_WAIT (R60). */
  | 'timewait'
  /** The kernel refused the port (EADDRINUSE / EADDRNOTAVAIL): someone else holds it. */
  | 'held';

export interface Taken {
  readonly port: number;
  /** It was taken over from one of our TIME_WAIT entries (R63 recycling). */
  readonly recycled: boolean;
}

export class PortPool {
  private freshUsed = 0;
  private readonly free: TimedRing;
  private readonly tw: TimedRing;
  private readonly held: TimedRing;
  /** Ports put on hold before the fresh cursor reached them: the cursor skips them once. */
  private readonly skipFresh = new Set<number>();
  inUse = 0;
  attempts = 0;
  failures = 0;
  collisions = 0;

  constructor(
    private readonly candidates: Uint16Array,
    /** Index in `candidates` where the fresh sequence starts. */
    private readonly start: number,
    /** How long a TIME_WAIT entry holds its 4-tuple (R6: 60 s, plus a safety margin). */
    private readonly twMs: number,
    /** How long a refused port is left alone. */
    private readonly holdMs: number,
  ) {
    const n = candidates.length;
    this.free = new TimedRing(n);
    this.tw = new TimedRing(n);
    this.held = new TimedRing(n);
  }

  get capacity(): number {
    return this.candidates.length;
  }

  get timeWait(): number {
    return this.tw.size;
  }

  get onHold(): number {
    return this.held.size;
  }

  /** Ports a connect() could have now: free, fresh, and TIME_WAIT ones when they are recyclable (R63). */
  headroom(twRecyclable: boolean): number {
    return this.free.size + this.freshLeft() + (twRecyclable ? this.tw.size : 0);
  }

  /** Moves entries whose time is up back to the free list (amortised O(1): each moves once). */
  expire(now: number): void {
    while (this.tw.peekAt() + this.twMs <= now) this.free.push(this.tw.shift(), now);
    while (this.held.peekAt() + this.holdMs <= now) this.free.push(this.held.shift(), now);
  }

  /** A port for the next connection, or null when none is left. */
  take(now: number, twRecyclable: boolean): Taken | null {
    this.expire(now);
    let p = this.free.shift();
    if (p >= 0) return this.took(p, false);
    p = this.nextFresh();
    if (p >= 0) return this.took(p, false);
    if (twRecyclable) {
      p = this.tw.shift();
      if (p >= 0) return this.took(p, true);
    }
    return null;
  }

  /** Gives a taken port back. */
  give(port: number, how: GiveBack, now: number): void {
    this.inUse--;
    this.place(port, how, now);
  }

  /** Puts a port that was never taken on hold (another program holds it at start-up). */
  holdUntaken(port: number, now: number): void {
    if (!this.isFreshAhead(port)) return;
    this.skipFresh.add(port);
    this.held.push(port, now);
  }

  private place(port: number, how: GiveBack, now: number): void {
    if (how === 'free') this.free.push(port, now);
    else if (how === 'timewait') this.tw.push(port, now);
    else this.held.push(port, now);
  }

  private took(port: number, recycled: boolean): Taken {
    this.inUse++;
    return { port, recycled };
  }

  private freshLeft(): number {
    return this.candidates.length - this.freshUsed - this.skipFresh.size;
  }

  private nextFresh(): number {
    const n = this.candidates.length;
    while (this.freshUsed < n) {
      const p = this.candidates[(this.start + this.freshUsed) % n] ?? -1;
      this.freshUsed++;
      if (this.skipFresh.delete(p)) continue;
      return p;
    }
    return -1;
  }

  /** Is this port still ahead of the fresh cursor? (O(log n): the candidates are sorted.) */
  private isFreshAhead(port: number): boolean {
    const c = this.candidates;
    let lo = 0;
    let hi = c.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = c[mid] ?? 0;
      if (v === port) {
        const n = c.length;
        const pos = (mid - this.start + n) % n;
        return pos >= this.freshUsed && !this.skipFresh.has(port);
      }
      if (v < port) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }
}
