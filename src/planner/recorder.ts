/**
 * Bookkeeping shared by both engines: each engine reports what happened (an attempt and its
 * outcome, the counts it measured after a connect or a close) and the recorder turns that into
 * the plan's numbers: first failure, failure fractions, peaks, per-pair peaks and the chart's
 * time slices. It decides nothing about ports, so the engines can differ only in what they report.
 */
import type { PairPeak, PlanConfig, SeriesBin, StrategyName, StrategyResult } from './plan-types.js';
import { capacityMaxOf, capacityOf, capacityUnit, portLifetimeMs } from './workload.js';

export const DEFAULT_BINS = 120;

export class Recorder {
  attempts = 0;
  failed = 0;
  private firstFailureMs = -1;
  private errno: string | null = null;
  private failedCall: 'connect' | 'bind' | null = null;
  private peakUnit = 0;
  private peakTw = 0;
  private peakOpen = 0;
  private readonly pairPeak: Int32Array;
  private readonly steadyFrom: number;
  private steadyAttempts = 0;
  private steadyFailed = 0;
  private readonly nBins: number;
  private readonly binInUse: Int32Array;
  private readonly binUnit: Int32Array;
  /** Ports held by the unit of the latest attempt: what a slice without attempts repeats. */
  private lastUnit = 0;
  private readonly binTw: Int32Array;
  private readonly binOpen: Int32Array;
  private readonly binAttempts: Int32Array;
  private readonly binFailed: Int32Array;
  private readonly binScale: number;
  /** Current totals, so a slice with no event still shows what is held. */
  private open = 0;
  private tw = 0;
  private lastBin = 0;

  constructor(
    private readonly cfg: PlanConfig,
    bins = DEFAULT_BINS,
  ) {
    this.pairPeak = new Int32Array(cfg.sources.length * cfg.destinations.length);
    const life = portLifetimeMs(cfg);
    this.steadyFrom = life > 0 && cfg.durationMs >= 2 * life ? cfg.durationMs - life : -1;
    this.nBins = Math.max(1, Math.min(bins, cfg.durationMs));
    this.binInUse = new Int32Array(this.nBins);
    this.binUnit = new Int32Array(this.nBins);
    this.binTw = new Int32Array(this.nBins);
    this.binOpen = new Int32Array(this.nBins);
    this.binAttempts = new Int32Array(this.nBins);
    this.binFailed = new Int32Array(this.nBins);
    this.binScale = this.nBins / cfg.durationMs;
  }

  private bin(t: number): number {
    const b = Math.min(this.nBins - 1, Math.floor(t * this.binScale));
    // Slices passed over without an event still hold what was held when they began.
    while (this.lastBin < b) {
      this.lastBin++;
      this.mark(this.lastBin);
    }
    return b;
  }

  private mark(b: number): void {
    const held = this.open + this.tw;
    if (held > (this.binInUse[b] ?? 0)) this.binInUse[b] = held;
    if (this.tw > (this.binTw[b] ?? 0)) this.binTw[b] = this.tw;
    if (this.open > (this.binOpen[b] ?? 0)) this.binOpen[b] = this.open;
    if (this.lastUnit > (this.binUnit[b] ?? 0)) this.binUnit[b] = this.lastUnit;
  }

  /** Ports held by the unit an attempt went to, sampled at that attempt. */
  private sampleUnit(b: number, held: number): void {
    this.lastUnit = held;
    if (held > (this.binUnit[b] ?? 0)) this.binUnit[b] = held;
  }

  /**
   * One attempt and its outcome. A failed one gives the ports its unit holds at that moment (the
   * unit is full: that is why it failed); a successful one reports its level in `connected`.
   */
  attempt(t: number, ok: boolean, errno: string | null, call: 'connect' | 'bind' | null, unitHeld = 0): void {
    this.attempts++;
    const b = this.bin(t);
    if (!ok) this.sampleUnit(b, unitHeld);
    this.binAttempts[b] = (this.binAttempts[b] ?? 0) + 1;
    const steady = this.steadyFrom >= 0 && t >= this.steadyFrom;
    if (steady) this.steadyAttempts++;
    if (ok) return;
    this.failed++;
    this.binFailed[b] = (this.binFailed[b] ?? 0) + 1;
    if (steady) this.steadyFailed++;
    if (this.firstFailureMs < 0) {
      this.firstFailureMs = t;
      this.errno = errno;
      this.failedCall = call;
    }
  }

  /** After a successful connect: ports held by its unit and its pair, open connections, TIME_WAIT. */
  connected(t: number, unitHeld: number, pair: number, pairHeld: number, open: number, tw: number): void {
    if (unitHeld > this.peakUnit) this.peakUnit = unitHeld;
    if (pairHeld > (this.pairPeak[pair] ?? 0)) this.pairPeak[pair] = pairHeld;
    if (open > this.peakOpen) this.peakOpen = open;
    this.open = open;
    this.tw = tw;
    const b = this.bin(t);
    this.sampleUnit(b, unitHeld);
    this.mark(b);
  }

  /** After a close (or a TIME_WAIT expiry seen later): open connections and TIME_WAIT entries now. */
  closed(t: number, open: number, tw: number): void {
    if (tw > this.peakTw) this.peakTw = tw;
    this.open = open;
    this.tw = tw;
    if (t < this.cfg.durationMs) this.mark(this.bin(t));
  }

  /** TIME_WAIT entries left (expiry or recycling) between events: only the chart cares. */
  timeWaitNow(tw: number): void {
    this.tw = tw;
  }

  finish(name: StrategyName): StrategyResult {
    this.bin(this.cfg.durationMs - 1);
    const { sources, destinations, durationMs } = this.cfg;
    const pairs: PairPeak[] = [];
    for (let s = 0; s < sources.length; s++)
      for (let d = 0; d < destinations.length; d++) {
        const peak = this.pairPeak[s * destinations.length + d] ?? 0;
        const dst = destinations[d];
        if (peak > 0 && dst) pairs.push({ from: sources[s] ?? '', to: endpoint(dst), peakInUse: peak });
      }
    const series: SeriesBin[] = [];
    for (let b = 0; b < this.nBins; b++)
      series.push({
        startMs: Math.round((b * durationMs) / this.nBins),
        inUse: this.binInUse[b] ?? 0,
        unitInUse: this.binUnit[b] ?? 0,
        timeWait: this.binTw[b] ?? 0,
        open: this.binOpen[b] ?? 0,
        attempts: this.binAttempts[b] ?? 0,
        failed: this.binFailed[b] ?? 0,
      });
    return {
      name,
      attempts: this.attempts,
      failed: this.failed,
      failedFraction: this.attempts === 0 ? 0 : this.failed / this.attempts,
      steadyFailedFraction:
        this.steadyFrom < 0 || this.steadyAttempts === 0 ? null : this.steadyFailed / this.steadyAttempts,
      firstFailureAtSec: this.firstFailureMs < 0 ? null : this.firstFailureMs / 1000,
      errno: this.errno,
      failedCall: this.failedCall,
      peakInUse: this.peakUnit,
      peakTimeWait: this.peakTw,
      peakOpen: this.peakOpen,
      capacity: capacityOf(this.cfg),
      capacityMax: Math.max(capacityOf(this.cfg), capacityMaxOf(this.cfg)),
      capacityUnit: capacityUnit(this.cfg.strategy),
      pairs,
      series,
    };
  }
}

export function endpoint(d: { addr: string; port: number }): string {
  return d.addr.includes(':') ? `[${d.addr}]:${d.port}` : `${d.addr}:${d.port}`;
}
