/**
 * A map from port to a value that can also answer nextClear (PortFinder). Small maps (most
 * destinations hold a handful of ports) stay a plain Map and step over taken ports one by one;
 * past a threshold the values move to a table indexed by port and a PortBitmap takes over the
 * searches, so a destination that fills a whole range stays fast and its map never rehashes.
 */
import { PortBitmap, type PortFinder } from './port-bitmap.js';
import { PortTable } from './port-table.js';

const BITMAP_FROM = 24;

export class PortMap<T> implements PortFinder {
  /**
   * One port held inline, before any Map: most maps of the 4-tuple table stay empty (the
   * TIME_WAIT side) or hold one port (a server's accepted socket). -1 = none.
   */
  private onePort = -1;
  private oneValue: T | undefined = undefined;
  /** The values while the map is small (from the second port); null again once `dense` takes over. */
  private map: Map<number, T> | null = null;
  /** Values by port once the map has grown past BITMAP_FROM (with `bits` saying which are set). */
  private dense: PortTable<T> | null = null;
  private bits: PortBitmap | null = null;

  get size(): number {
    if (this.bits) return this.bits.size;
    return this.map ? this.map.size : this.onePort >= 0 ? 1 : 0;
  }

  get(port: number): T | undefined {
    if (this.dense) return this.dense.get(port);
    if (this.map) return this.map.get(port);
    return port === this.onePort ? this.oneValue : undefined;
  }

  has(port: number): boolean {
    if (this.bits) return this.bits.has(port);
    return this.map ? this.map.has(port) : port === this.onePort;
  }

  set(port: number, value: T): void {
    if (this.dense && this.bits) {
      this.dense.set(port, value);
      this.bits.add(port);
      return;
    }
    if (!this.map) {
      if (this.onePort < 0 || this.onePort === port) {
        this.onePort = port;
        this.oneValue = value;
        return;
      }
      this.map = new Map([[this.onePort, this.oneValue as T]]);
      this.onePort = -1;
      this.oneValue = undefined;
    }
    this.map.set(port, value);
    if (this.map.size > BITMAP_FROM) {
      const dense = new PortTable<T>();
      const bits = new PortBitmap();
      for (const [p, v] of this.map) {
        dense.set(p, v);
        bits.add(p);
      }
      this.map = null;
      this.dense = dense;
      this.bits = bits;
    }
  }

  delete(port: number): boolean {
    if (this.dense && this.bits) {
      if (!this.bits.has(port)) return false;
      this.bits.delete(port);
      this.dense.set(port, undefined);
      return true;
    }
    if (this.map) return this.map.delete(port);
    if (port !== this.onePort || port < 0) return false;
    this.onePort = -1;
    this.oneValue = undefined;
    return true;
  }

  /** The values: in insertion order while small, in port order once dense. */
  *values(): IterableIterator<T> {
    for (const [, v] of this.entries()) yield v;
  }

  /** The entries: in insertion order while small, in port order once dense. */
  *entries(): IterableIterator<[number, T]> {
    const { dense, bits } = this;
    if (dense && bits) {
      for (const p of bits) yield [p, dense.get(p) as T];
    } else if (this.map) yield* this.map.entries();
    else if (this.onePort >= 0) yield [this.onePort, this.oneValue as T];
  }

  /** Does the map hold a port of [from, to]? */
  anyIn(from: number, to: number): boolean {
    if (this.bits) return this.bits.anyIn(from, to);
    if (this.map) {
      for (const p of this.map.keys()) if (from <= p && p <= to) return true;
      return false;
    }
    return from <= this.onePort && this.onePort <= to;
  }

  nextClear(from: number, to: number, step: 1 | 2): number {
    if (this.bits) return this.bits.nextClear(from, to, step);
    let p = from;
    while (p <= to && this.has(p)) p += step;
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

  /** Is a port of [from, to] held at least once? */
  anyIn(from: number, to: number): boolean {
    return this.bits.anyIn(from, to);
  }

  nextClear(from: number, to: number, step: 1 | 2): number {
    return this.bits.nextClear(from, to, step);
  }
}
