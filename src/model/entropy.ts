/**
 * Randomness as parameters (DESIGN idea 5; spec section 12). The kernel draws:
 *  - bind(0)/listen autobind: a bounded random offset (R40)       -> Entropy.below(n)
 *  - connect: the increment rand(0..7) after each success (R13)     -> Entropy.below(8)
 *  - connect: a keyed hash of (saddr, daddr, dport) (R13)           -> ConnectHash
 *  - connect: the global perturbation table PERTURB (D1, R13)       -> PerturbTable
 *  - UDP autobind: a random u32 (R90)                                -> Entropy.u32()
 * A seeded implementation makes runs reproducible; the model never draws from a global random source.
 */
import type { Addr } from './addr.js';

export interface Entropy {
  /** Uniform integer in [0, n). */
  below(n: number): number;
  /** Uniform 32-bit unsigned integer. */
  u32(): number;
}

export interface ConnectHash {
  /** R13 portOffset: idx = low 16 bits of a keyed 64-bit hash, base = its high 32 bits. */
  portOffset(saddr: Addr, daddr: Addr, dport: number): { idx: number; base: number };
}

/**
 * sfc32: small, fast, and good enough for simulation; seeded from one 32-bit number. A class,
 * not closures: every namespace makes one, and calls through one shared method stay monomorphic
 * for the JIT (closures made per namespace are new call targets each time).
 */
class Sfc32 implements Entropy {
  private a: number;
  private b: number;
  private c: number;
  private d = 1;

  constructor(seed: number) {
    this.a = 0x9e3779b9 ^ seed;
    this.b = 0x243f6a88 + seed;
    this.c = 0xb7e15162 ^ (seed * 31);
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  below(n: number): number {
    return Math.floor((this.u32() / 4294967296) * n);
  }
}

export function seededEntropy(seed: number): Entropy {
  return new Sfc32(seed);
}

function mix32(h: number): number {
  let x = h | 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A keyed hash standing in for the kernel's siphash with a boot secret: same shape, other values. */
class SeededConnectHash implements ConnectHash {
  constructor(private readonly seed: number) {}

  portOffset(saddr: Addr, daddr: Addr, dport: number): { idx: number; base: number } {
    let h1 = mix32(this.seed ^ 0x5bd1e995);
    let h2 = mix32(this.seed + 0x27d4eb2f);
    for (const b of saddr.bytes) {
      h1 = mix32(h1 ^ b);
      h2 = mix32(h2 + b);
    }
    for (const b of daddr.bytes) {
      h1 = mix32(h1 ^ (b + 0x100));
      h2 = mix32(h2 + b * 7);
    }
    h1 = mix32(h1 ^ dport);
    h2 = mix32(h2 ^ (dport * 0x9e37));
    return { idx: h1 & 0xffff, base: h2 };
  }
}

export function seededConnectHash(seed: number): ConnectHash {
  return new SeededConnectHash(seed);
}

/**
 * PERTURB: 65536 32-bit counters shared by every namespace on a host (D1). Share one instance
 * between Netns objects to model that (spec R13, consequence 4).
 */
export class PerturbTable {
  private readonly slots = new Uint32Array(65536);

  get(idx: number): number {
    return this.slots[idx] ?? 0;
  }

  add(idx: number, delta: number): void {
    this.slots[idx] = ((this.slots[idx] ?? 0) + delta) >>> 0;
  }
}

/** The host-wide state and draws a namespace uses. */
export interface HostEntropy {
  readonly entropy: Entropy;
  readonly hash: ConnectHash;
  readonly perturb: PerturbTable;
}

export function seededHost(seed: number): HostEntropy {
  return {
    entropy: seededEntropy(seed),
    hash: seededConnectHash(seed ^ 0x85ebca6b),
    perturb: new PerturbTable(),
  };
}
