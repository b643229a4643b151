/** A small seeded PRNG (mulberry32) and the picks the mutators need. Deterministic per seed. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  /** [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    const x = xs[this.int(xs.length)];
    if (x === undefined) throw new Error('pick from an empty list');
    return x;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** The seed of input `index` of a run with seed `seed`: any input can be re-made alone. */
export function inputSeed(seed: number, index: number): number {
  return (Math.imul(seed ^ 0x85ebca6b, 0x27d4eb2d) + Math.imul(index + 1, 0x9e3779b1)) >>> 0;
}
