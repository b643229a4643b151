/**
 * The TCP port table of one namespace: port buckets with their reuse flags and address
 * sub-buckets (D3, port-bucket.ts), the 4-tuple table (D4, tuple-table.ts), and the indexes that
 * let connect() and bind(0) find the kernel's port without walking the range.
 *
 * Indexes kept in step with the buckets (checkInvariants rebuilds and compares them):
 *  - bindOwned: ports whose bucket is bind-owned (R12 skips them in connect autoselection);
 *  - byAddress: for each distinct local address view (family, address, v6only), the ports its
 *    owners hold; bind(0) unions the views that overlap the new socket (R40-R42);
 *  - tuples: per (local address, remote address, remote port), the ports in use (R12, R14).
 */
import type { Addr } from './addr.js';
import type { Owner, TimeWait } from './entities.js';
import type { AddrView } from './overlap.js';
import { PortBitmap, type PortFinder } from './port-bitmap.js';
import {
  type Bucket,
  isConnectShareable,
  PortBucket,
  type RaFlag,
  type RpFlag,
  type SubBucket,
} from './port-bucket.js';
import { PortCounts } from './port-map.js';
import { PortTable } from './port-table.js';
import { type TupleSlot, TupleTable } from './tuple-table.js';

export interface AddressGroup {
  readonly view: AddrView;
  readonly ports: PortCounts;
}

function groupKey(o: AddrView): string {
  return `${o.family}/${o.laddr.text}/${o.v6only ? 1 : 0}`;
}

export class TcpPorts {
  /** Indexed by port: a paged array beats a Map for 16-bit keys. */
  private readonly byPort = new PortTable<PortBucket>();
  /**
   * Ports held by exactly one owner that connect() autoselection placed there, with nothing else
   * ever in the bucket: such a bucket is all defaults (flags 'unset', one sub-bucket of the owner's
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
    made.create(o.laddr.key, 'unset', 'unset');
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
      // A new bucket is connect-shareable (flags 'unset') until a bind()/listen() join updates it (R38).
      b = new PortBucket(port);
      this.byPort.set(port, b);
      this.bucketCount++;
    }
    b.add(owner);
    const key = owner.laddr.key;
    let k = b.find(key);
    // A new sub-bucket starts connect-shareable; a bind() join then copies the bucket's flags
    // into it (R38), a connect() join leaves it so (R13 finish).
    if (k < 0) k = b.create(key, 'unset', 'unset');
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
      if ((b.ra0 !== 'unset' || b.rp0 !== 'unset') && b.ncb0 === 0) {
        b.ra0 = 'unset';
        b.rp0 = 'unset';
      }
    } else {
      const s = (b.more as SubBucket[])[k - 1] as SubBucket;
      if (!isConnectShareable(s) && s.nonConnectBound === 0) {
        s.ra = 'unset';
        s.rp = 'unset';
      }
    }
    if (b.key0 === null) {
      this.byPort.set(port, undefined);
      this.bucketCount--;
      this.bindOwned.delete(port);
    } else if (!isConnectShareable(b) && b.allSubsShareable()) {
      this.setFlags(b, 'unset', 'unset');
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
    side.delete(lport);
    // A slot connect() searched keeps its finders and stays (a search may hold it across the
    // recycle that empties it); one only a server's accepted socket used goes with it.
    this.tuples.dropIfIdle(owner.laddr, raddr, rport, t);
  }

  /**
   * A closing socket's 4-tuple passes to its TIME_WAIT entry (R60) within its slot: removing the
   * socket first would drop a slot it held alone (dropIfIdle), only for the entry to make it again.
   */
  passTuple(from: Owner, to: TimeWait): void {
    const t = this.tuples.get(to.laddr, to.raddr, to.rport);
    if (t?.live.get(to.lport) === from) t.live.delete(to.lport);
    this.addTuple(to, to.raddr, to.rport, to.lport);
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
