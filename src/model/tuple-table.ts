/**
 * The 4-tuple table (spec D4): per (local address, remote address, remote port), the ports in
 * use by live sockets and by TIME_WAIT entries, kept apart since only the latter can be recycled
 * (R62). connect() reads it for every candidate port (R12, R14).
 */
import type { Addr } from './addr.js';
import type { Owner } from './entities.js';
import type { PortFinder } from './port-bitmap.js';
import { PortMap } from './port-map.js';

export interface TupleSlot {
  readonly live: PortMap<Owner>;
  readonly tw: PortMap<Owner>;
  /** R13 portOffset of this (saddr, daddr, dport), cached: the hash is fixed per triple. -1 = not yet. */
  idx: number;
  base: number;
  /** connect()'s finder lists for this triple (with and without TIME_WAIT recycling), made once. */
  finders?: PortFinder[];
  findersRecycling?: PortFinder[];
  /** connect()'s search object for this triple, reused by every plain connect() (tcp-connect.ts). */
  search?: unknown;
}

/**
 * The 4-tuple table: (local address, remote address, remote port) -> ports. Keyed by the
 * interned addresses' ids, then the remote port (small-integer keys, a single lookup chain on
 * connect's hot path), with a string-keyed map for the rare namespace that has met more than
 * 2^15 distinct addresses. The remote port is the inner key so that a server's accepted sockets,
 * one triple per client port, share one inner map instead of making one each.
 */
export class TupleTable {
  /** (local address id, remote address id) -> remote port -> slot. */
  private readonly bySmall = new Map<number, Map<number, TupleSlot>>();
  private readonly byString = new Map<string, TupleSlot>();
  private count = 0;

  /** Small-integer outer key, or -1 when the ids are too large for one (then a string key is used). */
  private static outer(laddr: Addr, raddr: Addr): number {
    const l = laddr.canon.id;
    const r = raddr.canon.id;
    return l < 32768 && r < 32768 ? l * 32768 + r : -1;
  }

  /** The last slot found by small keys (forgotten when a slot is dropped). */
  private lastOuter = -1;
  private lastInner = -1;
  private lastSlot: TupleSlot | undefined = undefined;

  get(laddr: Addr, raddr: Addr, rport: number): TupleSlot | undefined {
    const o = TupleTable.outer(laddr, raddr);
    if (o < 0) return this.byString.get(`${laddr.key}>${raddr.key}:${rport}`);
    // A run of connects to one destination asks for the same slot again and again.
    if (o === this.lastOuter && rport === this.lastInner) return this.lastSlot;
    const slot = this.bySmall.get(o)?.get(rport);
    if (slot) {
      this.lastOuter = o;
      this.lastInner = rport;
      this.lastSlot = slot;
    }
    return slot;
  }

  getOrCreate(laddr: Addr, raddr: Addr, rport: number): TupleSlot {
    let slot = this.get(laddr, raddr, rport);
    if (slot) return slot;
    slot = { live: new PortMap<Owner>(), tw: new PortMap<Owner>(), idx: -1, base: 0 };
    const o = TupleTable.outer(laddr, raddr);
    if (o < 0) this.byString.set(`${laddr.key}>${raddr.key}:${rport}`, slot);
    else {
      let inner = this.bySmall.get(o);
      if (!inner) {
        inner = new Map();
        this.bySmall.set(o, inner);
      }
      inner.set(rport, slot);
    }
    this.count++;
    return slot;
  }

  /**
   * Drops a slot that holds nothing and remembers nothing: no owner, and no hash, finder list or
   * search that connect() cached in it (a search holding a slot has set its finders, so a slot
   * in use by a connect() in progress is never dropped). Such slots are the server side's, one
   * per accepted connection: keeping them would grow the table with every client port seen.
   */
  dropIfIdle(laddr: Addr, raddr: Addr, rport: number, slot: TupleSlot): void {
    if (slot.live.size !== 0 || slot.tw.size !== 0 || slot.idx >= 0) return;
    if (slot.finders || slot.findersRecycling || slot.search) return;
    const o = TupleTable.outer(laddr, raddr);
    if (o < 0) {
      if (!this.byString.delete(`${laddr.key}>${raddr.key}:${rport}`)) return;
    } else {
      const inner = this.bySmall.get(o);
      if (inner?.get(rport) !== slot) return;
      inner.delete(rport);
      if (inner.size === 0) this.bySmall.delete(o);
    }
    if (this.lastSlot === slot) {
      this.lastOuter = -1;
      this.lastInner = -1;
      this.lastSlot = undefined;
    }
    this.count--;
  }

  get size(): number {
    return this.count;
  }

  *values(): IterableIterator<TupleSlot> {
    for (const inner of this.bySmall.values()) yield* inner.values();
    yield* this.byString.values();
  }
}
