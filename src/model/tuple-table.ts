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
 * The 4-tuple table: (local address, remote address, remote port) -> ports. Keyed by one number
 * built from the interned addresses' ids (a single map lookup on connect's hot path), with a
 * string-keyed map for the rare namespace that has met more than 2^18 distinct addresses.
 */
export class TupleTable {
  /** local address id and remote port -> remote address id -> slot: small-integer keys only. */
  private readonly bySmall = new Map<number, Map<number, TupleSlot>>();
  private readonly byString = new Map<string, TupleSlot>();
  private count = 0;

  /** Small-integer outer key, or -1 when the ids are too large for one (then a string key is used). */
  private static outer(laddr: Addr, rport: number): number {
    const l = laddr.canon.id;
    return l < 32768 ? l * 65536 + rport : -1;
  }

  /** The last slot found by small keys: slots are never removed, so it can never be stale. */
  private lastOuter = -1;
  private lastInner = -1;
  private lastSlot: TupleSlot | undefined = undefined;

  get(laddr: Addr, raddr: Addr, rport: number): TupleSlot | undefined {
    const o = TupleTable.outer(laddr, rport);
    if (o < 0) return this.byString.get(`${laddr.key}>${raddr.key}:${rport}`);
    const inner = raddr.canon.id;
    // A run of connects to one destination asks for the same slot again and again.
    if (o === this.lastOuter && inner === this.lastInner) return this.lastSlot;
    const slot = this.bySmall.get(o)?.get(inner);
    if (slot) {
      this.lastOuter = o;
      this.lastInner = inner;
      this.lastSlot = slot;
    }
    return slot;
  }

  getOrCreate(laddr: Addr, raddr: Addr, rport: number): TupleSlot {
    let slot = this.get(laddr, raddr, rport);
    if (slot) return slot;
    slot = { live: new PortMap<Owner>(), tw: new PortMap<Owner>(), idx: -1, base: 0 };
    const o = TupleTable.outer(laddr, rport);
    if (o < 0) this.byString.set(`${laddr.key}>${raddr.key}:${rport}`, slot);
    else {
      let inner = this.bySmall.get(o);
      if (!inner) {
        inner = new Map();
        this.bySmall.set(o, inner);
      }
      inner.set(raddr.canon.id, slot);
    }
    this.count++;
    return slot;
  }

  get size(): number {
    return this.count;
  }

  *values(): IterableIterator<TupleSlot> {
    for (const inner of this.bySmall.values()) yield* inner.values();
    yield* this.byString.values();
  }
}
