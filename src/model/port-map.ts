/**
 * A map from port to a value that can also answer nextClear (PortFinder). Small maps (most
 * destinations hold a handful of ports) stay a plain Map and step over taken ports one by one;
 * past a threshold a PortBitmap takes over, so a destination that fills a whole range stays fast.
 */
import { PortBitmap, type PortFinder } from './port-bitmap.js';

const BITMAP_FROM = 24;

export class PortMap<T> implements PortFinder {
  private readonly map = new Map<number, T>();
  private bits: PortBitmap | null = null;

  get size(): number {
    return this.map.size;
  }

  get(port: number): T | undefined {
    return this.map.get(port);
  }

  has(port: number): boolean {
    return this.map.has(port);
  }

  set(port: number, value: T): void {
    this.map.set(port, value);
    if (this.bits) this.bits.add(port);
    else if (this.map.size > BITMAP_FROM) {
      this.bits = new PortBitmap();
      for (const p of this.map.keys()) this.bits.add(p);
    }
  }

  delete(port: number): boolean {
    const had = this.map.delete(port);
    if (had && this.bits) this.bits.delete(port);
    return had;
  }

  values(): IterableIterator<T> {
    return this.map.values();
  }

  entries(): IterableIterator<[number, T]> {
    return this.map.entries();
  }

  nextClear(from: number, to: number, step: 1 | 2): number {
    if (this.bits) return this.bits.nextClear(from, to, step);
    let p = from;
    while (p <= to && this.map.has(p)) p += step;
    return p <= to ? p : -1;
  }
}

/** A multiset of ports (reference counts) with a PortFinder view: "ports held at least once". */
export class PortCounts implements PortFinder {
  private readonly counts = new Uint32Array(65536);
  private readonly bits = new PortBitmap();

  add(port: number): void {
    const c = this.counts[port] ?? 0;
    this.counts[port] = c + 1;
    if (c === 0) this.bits.add(port);
  }

  remove(port: number): void {
    const c = this.counts[port] ?? 0;
    if (c === 0) throw new Error(`model bug: port ${port} removed more often than added`);
    this.counts[port] = c - 1;
    if (c === 1) this.bits.delete(port);
  }

  has(port: number): boolean {
    return this.bits.has(port);
  }

  *entries(): IterableIterator<[number, number]> {
    for (const p of this.bits) yield [p, this.counts[p] ?? 0];
  }

  nextClear(from: number, to: number, step: 1 | 2): number {
    return this.bits.nextClear(from, to, step);
  }
}
