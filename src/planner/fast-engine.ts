/**
 * The fast engine: the plan replayed on counts instead of sockets. It keeps only what decides
 * whether an attempt succeeds, in typed arrays, and is proven equal to the exact engine (which
 * drives the full model) by test/planner/engines-equal.test.ts.
 *
 * Why counts are enough (even-sized range; every rule is the model's):
 *  - connect / noport: connect() autoselection succeeds iff some non-reserved port of the range
 *    has a free 4-tuple towards this (source, destination), or one whose TIME_WAIT it may
 *    recycle (R11, R12, R14, R62). Ports held towards other destinations are connect-shareable
 *    and never block (R14). So: success iff open + TIME_WAIT of the pair < capacity, or the
 *    pair's oldest TIME_WAIT is recyclable (tcp_tw_reuse applies and it is older than
 *    tcp_tw_reuse_delay; entries only age, so the oldest is recyclable if any is). Which port the
 *    kernel then takes (a free one or a recyclable one) is its random walk's business (R13):
 *    this engine takes a free port first, so its TIME_WAIT and ports-in-use peaks are upper
 *    bounds when recycling happens; first failure, errno and failure counts are exact.
 *  - bind0: bind(src, 0) succeeds iff the source holds fewer ports than the capacity: every
 *    port held on that address (open or TIME_WAIT, any destination) blocks the strict search,
 *    ports on other addresses do not (R40-R42, R64). EADDRINUSE from bind() (R23); the connect
 *    that follows cannot meet its 4-tuple (no other owner on that address and port).
 *  - reuseaddr: bind(src, p) with SO_REUSEADDR on every socket never conflicts (R31/R32: no
 *    listener); connect fails only when the 4-tuple is open (R20), and recycles a TIME_WAIT on
 *    it at once (R63). With the round-robin policy and a constant hold, the open connections of
 *    a pair are its last `open` port uses, so the next port is open only when all are.
 *  - tcp_max_tw_buckets: a close makes no TIME_WAIT entry once that many exist (R6).
 */
import { mayReuseTimeWait, TIME_WAIT_MS } from '../model/index.js';
import type { PlanConfig, StrategyResult } from './plan-types.js';
import { Recorder } from './recorder.js';
import {
  arrivalClock,
  attemptCount,
  autoselects,
  capacityOf,
  destinationIndex,
  isLoopback,
  sourceIndex,
} from './workload.js';

export interface EngineOptions {
  /** Called now and then with the attempts done so far (a progress bar at the CLI edge). */
  readonly onProgress?: (done: number, total: number) => void;
  readonly bins?: number;
}

/** A FIFO of records in parallel typed arrays, indexed by a sequence number (grows by doubling). */
class Ring {
  mask: number;
  time: Float64Array;
  pair: Int32Array;
  use: Float64Array;
  next: Int32Array;
  dead: Uint8Array;
  head = 0;
  tail = 0;

  constructor(size = 1024) {
    this.mask = size - 1;
    this.time = new Float64Array(size);
    this.pair = new Int32Array(size);
    this.use = new Float64Array(size);
    this.next = new Int32Array(size);
    this.dead = new Uint8Array(size);
  }

  push(time: number, pair: number, use: number): number {
    if (this.tail - this.head > this.mask) this.grow();
    const seq = this.tail++;
    const k = seq & this.mask;
    this.time[k] = time;
    this.pair[k] = pair;
    this.use[k] = use;
    this.next[k] = -1;
    this.dead[k] = 0;
    return seq;
  }

  private grow(): void {
    const size = (this.mask + 1) * 2;
    const mask = size - 1;
    const time = new Float64Array(size);
    const pair = new Int32Array(size);
    const use = new Float64Array(size);
    const next = new Int32Array(size);
    const dead = new Uint8Array(size);
    for (let s = this.head; s < this.tail; s++) {
      const a = s & this.mask;
      const b = s & mask;
      time[b] = this.time[a] ?? 0;
      pair[b] = this.pair[a] ?? 0;
      use[b] = this.use[a] ?? 0;
      next[b] = this.next[a] ?? -1;
      dead[b] = this.dead[a] ?? 0;
    }
    Object.assign(this, { mask, time, pair, use, next, dead });
  }
}

export function runFast(cfg: PlanConfig, opts: EngineOptions = {}): StrategyResult {
  const S = cfg.sources.length;
  const D = cfg.destinations.length;
  const P = S * D;
  const cap = capacityOf(cfg);
  const strategy = cfg.strategy;
  const bindCounts = strategy === 'bind0';
  const userspace = strategy === 'reuseaddr';
  const client = cfg.closer === 'client';
  const hold = cfg.holdMs;
  const maxTw = cfg.maxTwBuckets;
  const rec = new Recorder(cfg, opts.bins);

  // R62 is asked of the model about the pair's oldest TIME_WAIT entry (entries only age, so the
  // oldest is recyclable if any is), through one reused description of it: the pair's two ends
  // (loopback or not) and when it was made. The plan's peers send timestamps (R4).
  const ends = { loopback: false };
  const srcEnds = cfg.sources.map((a) => ({ loopback: isLoopback(a) }));
  const dstEnds = cfg.destinations.map((d) => ({ loopback: isLoopback(d.addr) }));
  const oldest = { substate: 'TIME_WAIT' as const, hasPeerTs: true, laddr: ends, raddr: ends, entryMs: 0 };
  const autoselecting = autoselects(strategy);
  const live = new Int32Array(P);
  const tw = new Int32Array(P);
  const uses = new Float64Array(P);
  const srcHeld = new Int32Array(S);
  const twHead = new Int32Array(P).fill(-1);
  const twTail = new Int32Array(P).fill(-1);
  const closes = new Ring();
  const tws = new Ring();
  let open = 0;
  let twTotal = 0;

  /** Removes the pair's oldest TIME_WAIT entry (expiry: it is the ring's head; recycling: any). */
  const dropOldest = (p: number) => {
    const seq = twHead[p] ?? -1;
    const k = seq & tws.mask;
    tws.dead[k] = 1;
    const nxt = tws.next[k] ?? -1;
    twHead[p] = nxt;
    if (nxt < 0) twTail[p] = -1;
    tw[p] = (tw[p] ?? 0) - 1;
    const s = Math.floor(p / D);
    srcHeld[s] = (srcHeld[s] ?? 0) - 1;
    twTotal--;
  };

  const expireUpTo = (t: number) => {
    while (tws.head < tws.tail) {
      const k = tws.head & tws.mask;
      if ((tws.time[k] ?? 0) + TIME_WAIT_MS > t) break;
      if (tws.dead[k] === 0) dropOldest(tws.pair[k] ?? 0);
      tws.head++;
    }
  };

  const closeOne = () => {
    const k = closes.head & closes.mask;
    const c = closes.time[k] ?? 0;
    const p = closes.pair[k] ?? 0;
    closes.head++;
    expireUpTo(c);
    live[p] = (live[p] ?? 0) - 1;
    open--;
    if (client && twTotal < maxTw) {
      // R60: the active closer keeps port and 4-tuple in TIME_WAIT for 60 s.
      const seq = tws.push(c, p, closes.use[k] ?? 0);
      const last = twTail[p] ?? -1;
      if (last < 0) twHead[p] = seq;
      else tws.next[last & tws.mask] = seq;
      twTail[p] = seq;
      tw[p] = (tw[p] ?? 0) + 1;
      twTotal++;
    } else {
      const s = Math.floor(p / D);
      srcHeld[s] = (srcHeld[s] ?? 0) - 1;
    }
    rec.closed(c, open, twTotal);
  };

  const total = attemptCount(cfg);
  const progressEvery = 1 << 18;
  const clock = arrivalClock(cfg);
  let i = 0;
  for (let t = clock.next(); t < cfg.durationMs; t = clock.next(), i++) {
    while (closes.head < closes.tail && (closes.time[closes.head & closes.mask] ?? 0) <= t) closeOne();
    expireUpTo(t);
    rec.timeWaitNow(twTotal);
    const s = sourceIndex(i, cfg);
    const p = s * D + destinationIndex(i, cfg);
    const pl = live[p] ?? 0;
    const ptw = tw[p] ?? 0;
    let ok: boolean;
    let recycle = false;
    if (bindCounts) {
      ok = (srcHeld[s] ?? 0) < cap;
    } else if (userspace) {
      ok = pl < cap;
      // R63: the next port's 4-tuple is in TIME_WAIT iff the pair's oldest entry is that port's last use.
      const h = twHead[p] ?? -1;
      recycle = ok && h >= 0 && (tws.use[h & tws.mask] ?? 0) === (uses[p] ?? 0) - cap;
    } else if (pl + ptw < cap) {
      ok = true;
    } else {
      const h = twHead[p] ?? -1;
      if (autoselecting && h >= 0) {
        oldest.laddr = srcEnds[s] ?? ends;
        oldest.raddr = dstEnds[p % D] ?? ends;
        oldest.entryMs = tws.time[h & tws.mask] ?? 0;
        recycle = mayReuseTimeWait(oldest, t, cfg, 'AUTOSELECT');
      }
      ok = recycle;
    }
    if (!ok) {
      rec.attempt(
        t,
        false,
        bindCounts ? 'EADDRINUSE' : 'EADDRNOTAVAIL',
        bindCounts ? 'bind' : 'connect',
        bindCounts ? (srcHeld[s] ?? 0) : pl + ptw,
      );
    } else {
      rec.attempt(t, true, null, null);
      if (recycle) dropOldest(p);
      live[p] = pl + 1;
      srcHeld[s] = (srcHeld[s] ?? 0) + 1;
      open++;
      closes.push(t + hold, p, uses[p] ?? 0);
      uses[p] = (uses[p] ?? 0) + 1;
      const pairHeld = (live[p] ?? 0) + (tw[p] ?? 0);
      rec.connected(t, bindCounts ? (srcHeld[s] ?? 0) : pairHeld, p, pairHeld, open, twTotal);
      if (hold === 0) closeOne();
    }
    if ((i & (progressEvery - 1)) === 0) opts.onProgress?.(Math.min(i, total), total);
  }
  // Connections closing before the end of the run still count (their TIME_WAIT peak).
  while (closes.head < closes.tail && (closes.time[closes.head & closes.mask] ?? 0) < cfg.durationMs)
    closeOne();
  opts.onProgress?.(total, total);
  return rec.finish(cfg.strategy);
}
