/**
 * Per (source, destination) bookkeeping: the port pool (userspace strategy) or plain tallies
 * (bind strategy), and the counters stats() and the metrics report.
 */
import { fmtDest } from './destination.js';
import type { SourceAddr } from './options.js';
import type { PortPool } from './port-pool.js';

/** A FIFO of times: TIME_WAIT entries of the bind strategy, which owns no pool. */
export class ExpiryQueue {
  private times: number[] = [];
  private head = 0;

  get size(): number {
    return this.times.length - this.head;
  }

  push(at: number): void {
    this.times.push(at);
  }

  expire(before: number): void {
    while (this.head < this.times.length && (this.times[this.head] ?? 0) <= before) this.head++;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }
}

export class Pair {
  attempts = 0;
  failures = 0;
  collisions = 0;
  /** Bind strategy: our connections on this pair now, and their TIME_WAIT entries (expiry times). */
  bindInUse = 0;
  readonly bindTimeWait = new ExpiryQueue();

  constructor(
    readonly source: SourceAddr,
    readonly dest: string,
    readonly dport: number,
    readonly pool: PortPool | null,
  ) {}

  get destination(): string {
    return fmtDest(this.dest, this.dport);
  }

  get inUse(): number {
    return this.pool ? this.pool.inUse : this.bindInUse;
  }

  get timeWait(): number {
    return this.pool ? this.pool.timeWait : this.bindTimeWait.size;
  }
}

export function pairKey(source: string, dest: string, dport: number): string {
  return `${source}|${dest}|${dport}`;
}
