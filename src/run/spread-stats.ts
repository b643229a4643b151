/**
 * Statistics of a reuseport spread (spec R81/R82, article claim A6): how evenly flows fall on the
 * members of a group, whether consecutive flows walk the slots in turn (what "round-robin" would
 * mean), and whether a flow sent again reaches the same member. Pure: counts in, numbers out.
 */

/** ln Γ(x) for x > 0 (Lanczos approximation, g = 7, 9 terms). */
function logGamma(x: number): number {
  const c = [
    0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406,
    12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0] ?? 1;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += (c[i] ?? 0) / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The regularised upper incomplete gamma function Q(a, x). */
function upperGammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lead = Math.exp(-x + a * Math.log(x) - logGamma(a));
  if (x < a + 1) {
    // Series for P(a, x); Q = 1 - P.
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 1000 && Math.abs(term) > Math.abs(sum) * 1e-15; n++) {
      term *= x / (a + n);
      sum += term;
    }
    return Math.max(0, 1 - sum * lead);
  }
  // Continued fraction for Q(a, x) (modified Lentz).
  const tiny = 1e-300;
  let b = x + 1 - a;
  let cc = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    cc = b + an / cc;
    if (Math.abs(cc) < tiny) cc = tiny;
    d = 1 / d;
    const delta = d * cc;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.min(1, lead * h);
}

/** P(X >= x) for a chi-square variable with `df` degrees of freedom. */
export function chiSquarePValue(x: number, df: number): number {
  return upperGammaQ(df / 2, x / 2);
}

/** The value a chi-square variable with `df` degrees of freedom exceeds with probability `alpha`. */
export function chiSquareCritical(df: number, alpha = 0.05): number {
  let lo = 0;
  let hi = Math.max(10, df * 10);
  while (chiSquarePValue(hi, df) > alpha) hi *= 2;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (chiSquarePValue(mid, df) > alpha) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Pearson's statistic of the counts against a uniform spread. */
export function chiSquareUniform(counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  if (counts.length === 0 || total === 0) return 0;
  const expected = total / counts.length;
  return counts.reduce((s, c) => s + ((c - expected) * (c - expected)) / expected, 0);
}

/**
 * How often the next flow lands on the next slot (k -> k+1 mod n): 1.0 for round-robin, about
 * 1/n for a random-looking spread.
 */
export function alternationRate(slots: readonly number[], members: number): number {
  if (slots.length < 2 || members < 1) return 0;
  let next = 0;
  for (let i = 1; i < slots.length; i++) if (slots[i] === ((slots[i - 1] ?? 0) + 1) % members) next++;
  return next / (slots.length - 1);
}

/** A spread needs two members to spread over (one member has 0 degrees of freedom). */
export const MIN_MEMBERS = 2;
/**
 * Below this many flows per member the test cannot tell: the chi-square approximation wants an
 * expected count of at least 5 per cell (the usual rule), and the alternation rate needs pairs.
 */
export const MIN_FLOWS_PER_MEMBER = 5;

/** The fewest flows for which a group of `members` gets a verdict. */
export function minFlowsFor(members: number): number {
  return MIN_FLOWS_PER_MEMBER * members;
}

export type SpreadVerdict = 'round-robin' | 'not round-robin' | 'too few flows to tell';

export interface SpreadReport {
  readonly proto: 'tcp' | 'udp';
  readonly members: number;
  readonly flows: number;
  /** Flows per member, in slot (join) order. */
  readonly counts: readonly number[];
  readonly chiSquare: number;
  /** Degrees of freedom of the chi-square test: members - 1. */
  readonly df: number;
  /** Probability of a statistic at least this large if the spread were uniform. */
  readonly pValue: number;
  /** The 95 % critical value for `df` degrees of freedom. */
  readonly critical: number;
  readonly alternationRate: number;
  /** Fraction of re-sent flows that reached the same member again (R81: 1.0). */
  readonly stablePerFlow: number;
  /** Fewer than MIN_FLOWS_PER_MEMBER flows per member: no verdict (`verdict` says so). */
  readonly tooFewFlows: boolean;
  /**
   * Round-robin would give an alternation rate of 1.0 and counts that differ by at most one;
   * false when there are too few flows to tell (see `verdict`).
   */
  readonly roundRobin: boolean;
  readonly verdict: SpreadVerdict;
}

/** The report for flows that reached `slots` (slot index per flow, in sending order). */
export function spreadReport(
  proto: 'tcp' | 'udp',
  members: number,
  slots: readonly number[],
  stable: { readonly same: number; readonly resent: number },
): SpreadReport {
  if (!Number.isInteger(members) || members < MIN_MEMBERS)
    throw new RangeError(`a spread needs at least ${MIN_MEMBERS} members, got ${members}`);
  const counts = Array.from({ length: members }, () => 0);
  for (const s of slots) counts[s] = (counts[s] ?? 0) + 1;
  const chi = chiSquareUniform(counts);
  const df = members - 1;
  const alt = alternationRate(slots, members);
  const tooFewFlows = slots.length < minFlowsFor(members);
  const roundRobin = !tooFewFlows && alt > 0.99 && Math.max(...counts) - Math.min(...counts) <= 1;
  return {
    proto,
    members,
    flows: slots.length,
    counts,
    chiSquare: chi,
    df,
    pValue: chiSquarePValue(chi, df),
    critical: chiSquareCritical(df),
    alternationRate: alt,
    stablePerFlow: stable.resent === 0 ? 1 : stable.same / stable.resent,
    tooFewFlows,
    roundRobin,
    verdict: tooFewFlows ? 'too few flows to tell' : roundRobin ? 'round-robin' : 'not round-robin',
  };
}
