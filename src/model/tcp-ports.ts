/**
 * The TCP port table of one namespace: port buckets with their reuse flags (D3), address
 * sub-buckets (D3), the 4-tuple table (D4), and the indexes that let connect() and bind(0) find
 * the kernel's port without walking the range.
 *
 * Indexes kept in step with the buckets (checkInvariants rebuilds and compares them):
 *  - bindOwned: ports whose bucket is bind-owned (R12 skips them in connect autoselection);
 *  - byAddress: for each distinct local address view (family, address, v6only), the ports its
 *    owners hold; bind(0) unions the views that overlap the new socket (R40-R42);
 *  - tuples: per (local address, remote address, remote port), the ports in use (R12, R14).
 */
import type { Addr } from './addr.js';
import type { Owner } from './entities.js';
import type { AddrView } from './overlap.js';
import { PortBitmap, type PortFinder } from './port-bitmap.js';
import { PortCounts, PortMap } from './port-map.js';

/** B.ra / S.ra: -1 none, 0 no, 1 yes. */
export type RaFlag = -1 | 0 | 1;
/** B.rp / S.rp: -1 none, 0 off, 1 ANY, 2 STRICT. */
export type RpFlag = -1 | 0 | 1 | 2;
export const RP_ANY = 1;
export const RP_STRICT = 2;

export interface SubBucket {
  readonly key: string;
  count: number;
  /** Owners that were not placed by connect() autoselection (R15 looks for zero). */
  nonConnectBound: number;
  ra: RaFlag;
  rp: RpFlag;
}

/** The owners of one port: an array with each owner's slot stored on the owner (an owner holds one port). */
export class OwnerList implements Iterable<Owner> {
  // Made on the first add as a one-element literal: pushing onto [] reserves 17 slots, and most
  // ports have exactly one owner.
  private items: Owner[] | null = null;

  get size(): number {
    return this.items?.length ?? 0;
  }

  add(o: Owner): void {
    if (this.items === null) {
      o.bucketSlot = 0;
      this.items = [o];
      return;
    }
    o.bucketSlot = this.items.length;
    this.items.push(o);
  }

  has(o: Owner): boolean {
    return this.items?.[o.bucketSlot] === o;
  }

  delete(o: Owner): boolean {
    const items = this.items;
    const i = o.bucketSlot;
    if (items?.[i] !== o) return false;
    const last = items.pop() as Owner;
    if (last !== o) {
      items[i] = last;
      last.bucketSlot = i;
    }
    o.bucketSlot = -1;
    return true;
  }

  [Symbol.iterator](): Iterator<Owner> {
    return (this.items ?? [])[Symbol.iterator]();
  }
}

export interface Bucket {
  readonly port: number;
  readonly owners: OwnerList;
  ra: RaFlag;
  rp: RpFlag;
  fastUid: number;
  fastAddr: AddrView | null;
  subs: SubBucket[];
}

/** A bucket is its own owner list: one object less per port in use. */
class PortBucket extends OwnerList implements Bucket {
  ra: RaFlag = -1;
  rp: RpFlag = -1;
  fastUid = -1;
  fastAddr: AddrView | null = null;
  subs: SubBucket[] = [];

  constructor(readonly port: number) {
    super();
  }

  get owners(): OwnerList {
    return this;
  }
}

export interface AddressGroup {
  readonly view: AddrView;
  readonly ports: PortCounts;
}

export interface TupleSlot {
  readonly live: PortMap<Owner>;
  readonly tw: PortMap<Owner>;
  /** R13 portOffset of this (saddr, daddr, dport), cached: the hash is fixed per triple. -1 = not yet. */
  idx: number;
  base: number;
  /** connect()'s finder lists for this triple (with and without TIME_WAIT recycling), made once. */
  finders?: PortFinder[];
  findersRecycling?: PortFinder[];
}

export function isConnectShareable(b: { ra: RaFlag; rp: RpFlag }): boolean {
  return b.ra === -1 && b.rp === -1;
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

  get(laddr: Addr, raddr: Addr, rport: number): TupleSlot | undefined {
    const o = TupleTable.outer(laddr, rport);
    if (o < 0) return this.byString.get(`${laddr.key}>${raddr.key}:${rport}`);
    return this.bySmall.get(o)?.get(raddr.canon.id);
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

function groupKey(o: AddrView): string {
  return `${o.family}/${o.laddr.text}/${o.v6only ? 1 : 0}`;
}

export class TcpPorts {
  /** Indexed by port: a dense array beats a Map for 16-bit keys. */
  private readonly byPort: (Bucket | undefined)[] = new Array<Bucket | undefined>(65536).fill(undefined);
  private bucketCount = 0;
  readonly bindOwned = new PortBitmap();
  readonly byAddress = new Map<string, AddressGroup>();
  private readonly groupCache = new Map<Addr, (AddressGroup | undefined)[]>();
  /** Per (laddr, raddr, rport): live sockets and TIME_WAIT entries apart, since only the latter can be recycled (R62). */
  readonly tuples = new TupleTable();
  /** R2 reserved ports as a finder (rebuilt when the sysctl changes). */
  readonly reserved = new PortBitmap();
  /** connect()'s finders towards a destination not in use yet. */
  readonly baseFinders: PortFinder[] = [this.reserved, this.bindOwned];

  /** Ports that have a bucket, ascending. */
  *bucketPorts(): IterableIterator<number> {
    if (this.bucketCount === 0) return;
    for (let p = 0; p < 65536; p++) if (this.byPort[p]) yield p;
  }

  bucket(port: number): Bucket | undefined {
    return this.byPort[port];
  }

  /** Adds an owner to port's bucket and to the sub-bucket of its address (creating either). */
  join(owner: Owner, port: number): Bucket {
    let b = this.byPort[port];
    if (!b) {
      // A new bucket is connect-shareable (-1, -1) until a bind()/listen() join updates it (R38).
      b = new PortBucket(port);
      this.byPort[port] = b;
      this.bucketCount++;
    }
    b.owners.add(owner);
    let s = this.sub(b, owner.laddr);
    if (!s) {
      // A new sub-bucket starts connect-shareable; a bind() join then copies the bucket's
      // flags into it (R38), a connect() join leaves it so (R13 finish).
      s = { key: owner.laddr.key, count: 0, nonConnectBound: 0, ra: -1, rp: -1 };
      if (b.subs.length === 0) b.subs = [s];
      else b.subs.push(s);
    }
    s.count++;
    if (!owner.connectBound) s.nonConnectBound++;
    this.addToGroup(owner, port);
    return b;
  }

  sub(b: Bucket, laddr: Addr): SubBucket | undefined {
    const key = laddr.key;
    for (const x of b.subs) if (x.key === key) return x;
    return undefined;
  }

  /** R15: removes an owner; a bucket whose remaining owners are all connect-bound becomes connect-shareable. */
  release(owner: Owner, port: number): void {
    const b = this.byPort[port];
    if (!b?.owners.delete(owner))
      throw new Error(`model bug: ${owner.kind} #${owner.id} does not own port ${port}`);
    this.removeFromGroup(owner, port);
    const idx = b.subs.findIndex((x) => x.key === owner.laddr.key);
    const s = b.subs[idx];
    if (!s) throw new Error(`model bug: no sub-bucket ${owner.laddr.key} on port ${port}`);
    s.count--;
    if (!owner.connectBound) s.nonConnectBound--;
    if (s.count === 0) b.subs.splice(idx, 1);
    else if (!isConnectShareable(s) && s.nonConnectBound === 0) {
      s.ra = -1;
      s.rp = -1;
    }
    if (b.subs.length === 0) {
      this.byPort[port] = undefined;
      this.bucketCount--;
      this.bindOwned.delete(port);
    } else if (!isConnectShareable(b) && b.subs.every(isConnectShareable)) {
      this.setFlags(b, -1, -1);
    }
  }

  /** Moves an owner between address sub-buckets of its port (R21: the source address is filled in at connect). */
  moveAddress(owner: Owner, port: number, from: Addr, apply: () => void): void {
    const b = this.byPort[port];
    if (!b) throw new Error(`model bug: port ${port} has no bucket`);
    const old = this.sub(b, from);
    if (!old) throw new Error(`model bug: no sub-bucket ${from.key} on port ${port}`);
    this.removeFromGroup(owner, port);
    old.count--;
    if (!owner.connectBound) old.nonConnectBound--;
    if (old.count === 0) b.subs.splice(b.subs.indexOf(old), 1);
    apply();
    let s = this.sub(b, owner.laddr);
    if (!s) {
      s = { key: owner.laddr.key, count: 0, nonConnectBound: 0, ra: old.ra, rp: old.rp };
      b.subs.push(s);
    }
    s.count++;
    if (!owner.connectBound) s.nonConnectBound++;
    this.addToGroup(owner, port);
  }

  setFlags(b: Bucket, ra: RaFlag, rp: RpFlag): void {
    b.ra = ra;
    b.rp = rp;
    if (isConnectShareable(b)) this.bindOwned.delete(b.port);
    else this.bindOwned.add(b.port);
  }

  addTuple(owner: Owner, raddr: Addr, rport: number, lport: number, known?: TupleSlot): TupleSlot {
    // With a known slot the caller's search just proved the port free for this 4-tuple (connect's
    // hot path); otherwise check, since two owners of one 4-tuple would be a model bug.
    const t = known ?? this.tuples.getOrCreate(owner.laddr, raddr, rport);
    if (!known) {
      const prev = t.live.get(lport) ?? t.tw.get(lport);
      if (prev && prev !== owner)
        throw new Error(`model bug: 4-tuple ${owner.laddr.key}:${lport} > ${raddr.key}:${rport} taken twice`);
    }
    (owner.kind === 'timewait' ? t.tw : t.live).set(lport, owner);
    return t;
  }

  removeTuple(owner: Owner, raddr: Addr, rport: number, lport: number): void {
    const t = this.tuples.get(owner.laddr, raddr, rport);
    const side = owner.kind === 'timewait' ? t?.tw : t?.live;
    if (!t || !side || side.get(lport) !== owner)
      throw new Error(`model bug: 4-tuple ${owner.laddr.key}:${lport} > ${raddr.key}:${rport} not held`);
    // Empty slots stay: they keep the triple's cached hash, and a caller may hold the slot
    // across a recycle that empties it (connect's known-slot path).
    side.delete(lport);
  }

  tupleOwner(laddr: Addr, lport: number, raddr: Addr, rport: number): Owner | undefined {
    const t = this.tuples.get(laddr, raddr, rport);
    return t ? (t.live.get(lport) ?? t.tw.get(lport)) : undefined;
  }

  setReserved(ports: ReadonlySet<number>): void {
    this.reserved.clear();
    for (const p of ports) this.reserved.add(p);
  }

  /** The address group of an owner, found through a per-address cache (no key string on the hot path). */
  private groupOf(o: Owner): AddressGroup {
    let byAddr = this.groupCache.get(o.laddr);
    if (!byAddr) {
      byAddr = [];
      this.groupCache.set(o.laddr, byAddr);
    }
    const slot = (o.family === 4 ? 0 : 2) + (o.v6only ? 1 : 0);
    let g = byAddr[slot];
    if (!g) {
      const key = groupKey(o);
      g = this.byAddress.get(key);
      if (!g) {
        g = { view: { family: o.family, laddr: o.laddr, v6only: o.v6only }, ports: new PortCounts() };
        this.byAddress.set(key, g);
      }
      byAddr[slot] = g;
    }
    return g;
  }

  private addToGroup(o: Owner, port: number): void {
    this.groupOf(o).ports.add(port);
  }

  private removeFromGroup(o: Owner, port: number): void {
    this.groupOf(o).ports.remove(port);
  }
}
