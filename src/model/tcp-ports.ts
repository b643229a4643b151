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
import { PortTable } from './port-table.js';

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

/**
 * The owners of one port, each owner's position stored on the owner (an owner holds one port).
 * Most ports have exactly one owner (every port a connect() fill takes), so the first owner is
 * held in a field and an array is made only when a second one joins: one object less per port.
 */
export class OwnerList implements Iterable<Owner> {
  /** The only owner while the list never had two; null once `items` exists. */
  private one: Owner | null = null;
  /** Every owner, in join order (with swap-removal), once a second owner has joined. */
  private items: Owner[] | null = null;

  get size(): number {
    if (this.items !== null) return this.items.length;
    return this.one === null ? 0 : 1;
  }

  add(o: Owner): void {
    const items = this.items;
    if (items !== null) {
      o.bucketSlot = items.length;
      items.push(o);
    } else if (this.one === null) {
      o.bucketSlot = 0;
      this.one = o;
    } else {
      // A literal, not pushes onto []: pushing reserves 17 slots for what is usually 2 owners.
      this.items = [this.one, o];
      this.one = null;
      o.bucketSlot = 1;
    }
  }

  has(o: Owner): boolean {
    if (this.items === null) return this.one === o;
    return this.items[o.bucketSlot] === o;
  }

  delete(o: Owner): boolean {
    const items = this.items;
    if (items === null) {
      if (this.one !== o) return false;
      this.one = null;
      o.bucketSlot = -1;
      return true;
    }
    const i = o.bucketSlot;
    if (items[i] !== o) return false;
    const last = items.pop() as Owner;
    if (last !== o) {
      items[i] = last;
      last.bucketSlot = i;
    }
    o.bucketSlot = -1;
    return true;
  }

  [Symbol.iterator](): Iterator<Owner> {
    if (this.items !== null) return this.items[Symbol.iterator]();
    return (this.one === null ? [] : [this.one])[Symbol.iterator]();
  }
}

export interface Bucket {
  readonly port: number;
  readonly owners: OwnerList;
  ra: RaFlag;
  rp: RpFlag;
  fastUid: number;
  fastAddr: AddrView | null;
  /** The address sub-buckets, in creation order (a fresh array: for reading). */
  readonly subs: readonly SubBucket[];
}

/**
 * A bucket is its own owner list, and holds its first address sub-bucket in fields of its own
 * (key0...rp0): a port taken by connect() costs one object beside its socket, not five. Further
 * sub-buckets (several local addresses on one port) are plain objects in `more`.
 */
class PortBucket extends OwnerList implements Bucket {
  ra: RaFlag = -1;
  rp: RpFlag = -1;
  fastUid = -1;
  fastAddr: AddrView | null = null;
  /** The first sub-bucket's key; null when the bucket has no sub-bucket. */
  key0: string | null = null;
  count0 = 0;
  ncb0 = 0;
  ra0: RaFlag = -1;
  rp0: RpFlag = -1;
  more: SubBucket[] | null = null;

  constructor(readonly port: number) {
    super();
  }

  get owners(): OwnerList {
    return this;
  }

  get subs(): SubBucket[] {
    const out: SubBucket[] = this.key0 === null ? [] : [new FirstSub(this)];
    if (this.more) out.push(...this.more);
    return out;
  }

  /** The sub-bucket of an address key: 0 = the inline first one, k > 0 = more[k - 1], -1 = none. */
  find(key: string): number {
    if (this.key0 === key) return 0;
    const more = this.more;
    if (more) for (let k = 0; k < more.length; k++) if ((more[k] as SubBucket).key === key) return k + 1;
    return -1;
  }

  /** Adds an empty sub-bucket with the given flags after the existing ones; returns its index. */
  create(key: string, ra: RaFlag, rp: RpFlag): number {
    if (this.key0 === null) {
      this.key0 = key;
      this.count0 = 0;
      this.ncb0 = 0;
      this.ra0 = ra;
      this.rp0 = rp;
      return 0;
    }
    const s: SubBucket = { key, count: 0, nonConnectBound: 0, ra, rp };
    if (this.more === null) this.more = [s];
    else this.more.push(s);
    return this.more.length;
  }

  /** Removes sub-bucket k; the later ones move up one place (creation order is kept). */
  drop(k: number): void {
    const more = this.more;
    if (k > 0) {
      more?.splice(k - 1, 1);
      return;
    }
    const next = more?.shift();
    if (next === undefined) {
      this.key0 = null;
      return;
    }
    this.key0 = next.key;
    this.count0 = next.count;
    this.ncb0 = next.nonConnectBound;
    this.ra0 = next.ra;
    this.rp0 = next.rp;
  }

  /** Sub-bucket k as an object (the first one as a live view onto the bucket's fields). */
  subAt(k: number): SubBucket {
    return k === 0 ? new FirstSub(this) : ((this.more as SubBucket[])[k - 1] as SubBucket);
  }

  /** Every sub-bucket connect-shareable (R15's "all remaining owners connect-bound")? */
  allSubsShareable(): boolean {
    if (this.key0 !== null && (this.ra0 !== -1 || this.rp0 !== -1)) return false;
    return this.more === null || this.more.every(isConnectShareable);
  }
}

/** The first sub-bucket of a PortBucket, read and written through to the bucket's fields. */
class FirstSub implements SubBucket {
  constructor(private readonly b: PortBucket) {}
  get key(): string {
    return this.b.key0 as string;
  }
  get count(): number {
    return this.b.count0;
  }
  set count(v: number) {
    this.b.count0 = v;
  }
  get nonConnectBound(): number {
    return this.b.ncb0;
  }
  set nonConnectBound(v: number) {
    this.b.ncb0 = v;
  }
  get ra(): RaFlag {
    return this.b.ra0;
  }
  set ra(v: RaFlag) {
    this.b.ra0 = v;
  }
  get rp(): RpFlag {
    return this.b.rp0;
  }
  set rp(v: RpFlag) {
    this.b.rp0 = v;
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
  /** connect()'s search object for this triple, reused by every plain connect() (tcp-connect.ts). */
  search?: unknown;
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

function groupKey(o: AddrView): string {
  return `${o.family}/${o.laddr.text}/${o.v6only ? 1 : 0}`;
}

export class TcpPorts {
  /** Indexed by port: a paged array beats a Map for 16-bit keys. */
  private readonly byPort = new PortTable<PortBucket>();
  /**
   * Ports held by exactly one owner that connect() autoselection placed there, with nothing else
   * ever in the bucket: such a bucket is all defaults (flags -1, one sub-bucket of the owner's
   * address counting one connect-bound owner), so only the owner is stored. The PortBucket is
   * made from it the first time anyone asks for the bucket or another owner joins. This is every
   * port of a connect() fill: one object (the socket) per connection instead of two.
   */
  private readonly soleConnect = new PortTable<Owner>();
  private bucketCount = 0;
  readonly bindOwned = new PortBitmap();
  readonly byAddress = new Map<string, AddressGroup>();
  private readonly groupCache = new Map<Addr, (AddressGroup | undefined)[]>();
  private lastGroup: AddressGroup | null = null;
  /** Per (laddr, raddr, rport): live sockets and TIME_WAIT entries apart, since only the latter can be recycled (R62). */
  readonly tuples = new TupleTable();
  /** R2 reserved ports as a finder (rebuilt when the sysctl changes). */
  readonly reserved = new PortBitmap();
  /** connect()'s finders towards a destination not in use yet. */
  readonly baseFinders: PortFinder[] = [this.reserved, this.bindOwned];

  /** Ports that have a bucket, ascending. */
  *bucketPorts(): IterableIterator<number> {
    if (this.bucketCount === 0) return;
    for (let p = 0; p < 65536; p++) if (this.byPort.get(p) || this.soleConnect.get(p)) yield p;
  }

  bucket(port: number): Bucket | undefined {
    return this.full(port);
  }

  /** The port's PortBucket, made from its sole connect-bound owner if it has only that so far. */
  private full(port: number): PortBucket | undefined {
    const b = this.byPort.get(port);
    if (b !== undefined) return b;
    const o = this.soleConnect.get(port);
    if (o === undefined) return undefined;
    const made = new PortBucket(port);
    made.add(o);
    made.create(o.laddr.key, -1, -1);
    made.count0 = 1;
    this.soleConnect.set(port, undefined);
    this.byPort.set(port, made);
    return made;
  }

  /**
   * connect() autoselection's join (R13 finish): the same as `join` for a connect-bound owner,
   * without making a bucket object when the port was free.
   */
  joinConnectBound(owner: Owner, port: number): void {
    if (!owner.connectBound) throw new Error('model bug: joinConnectBound for an owner placed by bind()');
    if (this.byPort.get(port) === undefined && this.soleConnect.get(port) === undefined) {
      this.soleConnect.set(port, owner);
      owner.bucketSlot = 0;
      this.bucketCount++;
      this.addToGroup(owner, port);
    } else this.join(owner, port);
  }

  /** Adds an owner to port's bucket and to the sub-bucket of its address (creating either). */
  join(owner: Owner, port: number): Bucket {
    let b = this.full(port);
    if (!b) {
      // A new bucket is connect-shareable (-1, -1) until a bind()/listen() join updates it (R38).
      b = new PortBucket(port);
      this.byPort.set(port, b);
      this.bucketCount++;
    }
    b.add(owner);
    const key = owner.laddr.key;
    let k = b.find(key);
    // A new sub-bucket starts connect-shareable; a bind() join then copies the bucket's flags
    // into it (R38), a connect() join leaves it so (R13 finish).
    if (k < 0) k = b.create(key, -1, -1);
    this.count(b, k, owner, 1);
    this.addToGroup(owner, port);
    return b;
  }

  sub(b: Bucket, laddr: Addr): SubBucket | undefined {
    const pb = b as PortBucket;
    const k = pb.find(laddr.key);
    return k < 0 ? undefined : pb.subAt(k);
  }

  /** Counts an owner into (delta 1) or out of (delta -1) sub-bucket k; returns the new count. */
  private count(b: PortBucket, k: number, owner: Owner, delta: 1 | -1): number {
    const ncb = owner.connectBound ? 0 : delta;
    if (k === 0) {
      b.ncb0 += ncb;
      b.count0 += delta;
      return b.count0;
    }
    const s = (b.more as SubBucket[])[k - 1] as SubBucket;
    s.nonConnectBound += ncb;
    s.count += delta;
    return s.count;
  }

  /** R15: removes an owner; a bucket whose remaining owners are all connect-bound becomes connect-shareable. */
  release(owner: Owner, port: number): void {
    if (this.soleConnect.get(port) === owner) {
      this.soleConnect.set(port, undefined);
      owner.bucketSlot = -1;
      this.bucketCount--;
      this.removeFromGroup(owner, port);
      return;
    }
    const b = this.byPort.get(port);
    if (!b?.delete(owner)) throw new Error(`model bug: ${owner.kind} #${owner.id} does not own port ${port}`);
    this.removeFromGroup(owner, port);
    const k = b.find(owner.laddr.key);
    if (k < 0) throw new Error(`model bug: no sub-bucket ${owner.laddr.key} on port ${port}`);
    if (this.count(b, k, owner, -1) === 0) b.drop(k);
    else if (k === 0) {
      if ((b.ra0 !== -1 || b.rp0 !== -1) && b.ncb0 === 0) {
        b.ra0 = -1;
        b.rp0 = -1;
      }
    } else {
      const s = (b.more as SubBucket[])[k - 1] as SubBucket;
      if (!isConnectShareable(s) && s.nonConnectBound === 0) {
        s.ra = -1;
        s.rp = -1;
      }
    }
    if (b.key0 === null) {
      this.byPort.set(port, undefined);
      this.bucketCount--;
      this.bindOwned.delete(port);
    } else if (!isConnectShareable(b) && b.allSubsShareable()) {
      this.setFlags(b, -1, -1);
    }
  }

  /** Moves an owner between address sub-buckets of its port (R21: the source address is filled in at connect). */
  moveAddress(owner: Owner, port: number, from: Addr, apply: () => void): void {
    const b = this.full(port);
    if (!b) throw new Error(`model bug: port ${port} has no bucket`);
    const k = b.find(from.key);
    if (k < 0) throw new Error(`model bug: no sub-bucket ${from.key} on port ${port}`);
    const old = b.subAt(k);
    const ra = old.ra;
    const rp = old.rp;
    this.removeFromGroup(owner, port);
    if (this.count(b, k, owner, -1) === 0) b.drop(k);
    apply();
    const key = owner.laddr.key;
    let n = b.find(key);
    if (n < 0) n = b.create(key, ra, rp);
    this.count(b, n, owner, 1);
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
    // Groups are never removed, so the last one found stays right for the same view.
    const last = this.lastGroup;
    if (
      last !== null &&
      last.view.laddr === o.laddr &&
      last.view.family === o.family &&
      last.view.v6only === o.v6only
    )
      return last;
    const g = this.findGroup(o);
    this.lastGroup = g;
    return g;
  }

  private findGroup(o: Owner): AddressGroup {
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
