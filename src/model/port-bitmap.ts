/**
 * A set of ports (0..65535) that answers "first port >= from, <= to, of this parity, NOT in the
 * set" in a few word operations, whatever the fill. This is what lets the model reach the
 * kernel's connect() decision without walking an exhausted range port by port (the kernel does
 * walk it: 1.3 ms per connect above half fill, spec R14).
 *
 * Three levels per parity: l0 holds one bit per port; l1 marks l0 words whose ports of that
 * parity are all taken; l2 marks l1 words that are all ones. Parity has its own summaries
 * because connect() and bind(0) scan one parity at a time (R11, R40).
 */

const WORDS = 2048; // 65536 / 32
const EVEN = 0x55555555 | 0;
const ODD = 0xaaaaaaaa | 0;
const PARITY_MASK = [EVEN, ODD] as const;

function ctz(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** Anything that can answer nextClear; implemented by PortBitmap and by small sparse sets. */
export interface PortFinder {
  /** First port q with from <= q <= to and q not in the set, stepping by `step` (1 or 2) from `from`; -1 if none. */
  nextClear(from: number, to: number, step: 1 | 2): number;
}

export class PortBitmap implements PortFinder {
  private readonly l0 = new Uint32Array(WORDS);
  private readonly l1: readonly [Uint32Array, Uint32Array] = [new Uint32Array(64), new Uint32Array(64)];
  private readonly l2: readonly [Uint32Array, Uint32Array] = [new Uint32Array(2), new Uint32Array(2)];
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(port: number): boolean {
    return ((this.l0[port >>> 5] ?? 0) & (1 << (port & 31))) !== 0;
  }

  add(port: number): void {
    const w = port >>> 5;
    const bit = 1 << (port & 31);
    const word = this.l0[w] ?? 0;
    if (word & bit) return;
    this.count++;
    const next = (word | bit) >>> 0;
    this.l0[w] = next;
    const parity = (port & 1) as 0 | 1;
    const mask = PARITY_MASK[parity];
    if ((next & mask) === mask) {
      const l1 = this.l1[parity];
      const i = w >>> 5;
      l1[i] = ((l1[i] ?? 0) | (1 << (w & 31))) >>> 0;
      if (l1[i] === 0xffffffff) {
        const l2 = this.l2[parity];
        l2[i >>> 5] = ((l2[i >>> 5] ?? 0) | (1 << (i & 31))) >>> 0;
      }
    }
  }

  delete(port: number): void {
    const w = port >>> 5;
    const bit = 1 << (port & 31);
    const word = this.l0[w] ?? 0;
    if (!(word & bit)) return;
    this.count--;
    this.l0[w] = (word & ~bit) >>> 0;
    const parity = (port & 1) as 0 | 1;
    const i = w >>> 5;
    const l1 = this.l1[parity];
    l1[i] = ((l1[i] ?? 0) & ~(1 << (w & 31))) >>> 0;
    const l2 = this.l2[parity];
    l2[i >>> 5] = ((l2[i >>> 5] ?? 0) & ~(1 << (i & 31))) >>> 0;
  }

  clear(): void {
    this.l0.fill(0);
    for (const a of this.l1) a.fill(0);
    for (const a of this.l2) a.fill(0);
    this.count = 0;
  }

  nextClear(from: number, to: number, step: 1 | 2): number {
    if (from > to || from > 65535) return -1;
    const a = this.nextClearOfParity(from, to, from & 1);
    if (step === 2) return a;
    const b = this.nextClearOfParity(from + 1, to, (from + 1) & 1);
    if (a < 0) return b;
    if (b < 0) return a;
    return Math.min(a, b);
  }

  /** First clear port >= from of the given parity (from must have that parity), <= to, or -1. */
  private nextClearOfParity(from: number, to: number, parity: number): number {
    if (from > to || from > 65535) return -1;
    const mask = PARITY_MASK[parity as 0 | 1];
    let w = from >>> 5;
    const free = ~(this.l0[w] ?? 0) & mask & (-1 << (from & 31));
    if (free !== 0) {
      const q = (w << 5) + ctz(free);
      return q <= to ? q : -1;
    }
    w = this.nextNotFullWord(parity, w + 1);
    if (w < 0) return -1;
    const q = (w << 5) + ctz(~(this.l0[w] ?? 0) & mask);
    return q <= to ? q : -1;
  }

  /** First l0 word index >= w that has a clear port of this parity, or -1. */
  private nextNotFullWord(parity: number, w: number): number {
    if (w >= WORDS) return -1;
    const l1 = this.l1[parity as 0 | 1];
    let i = w >>> 5;
    let open = ~(l1[i] ?? 0) & (-1 << (w & 31));
    if (open !== 0) return (i << 5) + ctz(open);
    i = this.nextNotFullL1(parity, i + 1);
    if (i < 0) return -1;
    open = ~(l1[i] ?? 0);
    return (i << 5) + ctz(open);
  }

  /** First l1 word index >= i that is not all ones, or -1. */
  private nextNotFullL1(parity: number, i: number): number {
    const l2 = this.l2[parity as 0 | 1];
    for (let j = i >>> 5; j < 2; j++) {
      const open = ~(l2[j] ?? 0) & (j === i >>> 5 ? -1 << (i & 31) : -1);
      if (open !== 0) return (j << 5) + ctz(open);
    }
    return -1;
  }

  /** Does the set hold a port of [from, to]? A word at a time (rule reports read it, not searches). */
  anyIn(from: number, to: number): boolean {
    if (this.count === 0 || from > to) return false;
    const last = to >>> 5;
    for (let w = from >>> 5; w <= last; w++) {
      let word = this.l0[w] ?? 0;
      if (word === 0) continue;
      if (w === from >>> 5) word &= -1 << (from & 31);
      if (w === last && (to & 31) !== 31) word &= (1 << ((to & 31) + 1)) - 1;
      if (word !== 0) return true;
    }
    return false;
  }

  *[Symbol.iterator](): IterableIterator<number> {
    for (let w = 0; w < WORDS; w++) {
      let word = this.l0[w] ?? 0;
      while (word !== 0) {
        const b = ctz(word);
        yield (w << 5) + b;
        word = (word & (word - 1)) >>> 0;
      }
    }
  }
}

/**
 * First port in [from, to] (stepping by `step`) that none of the finders holds: each finder
 * jumps past its own run of taken ports until all agree on one port.
 */
export function nextClearInAll(
  finders: readonly PortFinder[],
  from: number,
  to: number,
  step: 1 | 2,
): number {
  let p = from;
  for (;;) {
    let moved = false;
    for (const f of finders) {
      const q = f.nextClear(p, to, step);
      if (q < 0) return -1;
      if (q !== p) {
        p = q;
        moved = true;
      }
    }
    if (!moved) return p;
  }
}
