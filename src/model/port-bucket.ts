/**
 * A TCP port bucket and its address sub-buckets (spec D3), with the bucket's summary flags:
 * what connect() (R12), the release rule (R15) and the bind fast path (R38) read.
 */
import type { AddrView } from './overlap.js';
import { OwnerList } from './owner-list.js';

/**
 * D3 B.ra / S.ra (the spec writes -1, 0, 1). 'unset': no bind()/listen() join has set it (with
 * rp 'unset' too the bucket is connect-shareable); then 'yes' while every owner that joined
 * through bind()/listen() allows SO_REUSEADDR sharing (R38 updateFlags), else 'no'.
 */
export type RaFlag = 'unset' | 'no' | 'yes';
/**
 * D3 B.rp / S.rp (the spec writes -1, 0, ANY, STRICT). 'unset' as for RaFlag; 'off' once an
 * owner without SO_REUSEPORT joined; 'any' when every owner has it (one uid), 'strict' when the
 * owners must also match the remembered address (R38 reuseportMatch).
 */
export type RpFlag = 'unset' | 'off' | 'any' | 'strict';

export interface SubBucket {
  readonly key: string;
  count: number;
  /** Owners that were not placed by connect() autoselection (R15 looks for zero). */
  nonConnectBound: number;
  ra: RaFlag;
  rp: RpFlag;
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

/** D3 connect-shareable: no bind()/listen() join has set the flags; any other value is bind-owned. */
export function isConnectShareable(b: { ra: RaFlag; rp: RpFlag }): boolean {
  return b.ra === 'unset' && b.rp === 'unset';
}

/**
 * A bucket is its own owner list, and holds its first address sub-bucket in fields of its own
 * (key0...rp0): a port taken by connect() costs one object beside its socket, not five. Further
 * sub-buckets (several local addresses on one port) are plain objects in `more`.
 */
export class PortBucket extends OwnerList implements Bucket {
  ra: RaFlag = 'unset';
  rp: RpFlag = 'unset';
  fastUid = -1;
  fastAddr: AddrView | null = null;
  /** The first sub-bucket's key; null when the bucket has no sub-bucket. */
  key0: string | null = null;
  count0 = 0;
  ncb0 = 0;
  ra0: RaFlag = 'unset';
  rp0: RpFlag = 'unset';
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
    if (this.key0 !== null && (this.ra0 !== 'unset' || this.rp0 !== 'unset')) return false;
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
