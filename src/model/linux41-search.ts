/**
 * The article-era port searches of the 'linux-4.1' profile (spec section 10, first row), kept
 * apart from the 6.18 searches so those stay untouched:
 *  - connect(): port = low + (i + hint + hash(saddr, daddr, dport)) % range, i = 0, 1, 2, ...
 *    with step 1 (no parity split, no per-destination perturbation slot) and ONE global hint.
 *    "The hint advanced after each success": we read it as hint += i + 1, so the next search
 *    towards the same destination starts on the port right after the one just taken. Successive
 *    connects to one destination therefore get consecutive ports, and a connect to another
 *    destination moves every destination's start on by one.
 *  - bind(0) / listen() autobind: a random start and a sequential scan (step 1, no halves, no
 *    parity) for a port nobody overlapping holds; when the whole range is taken, the port whose
 *    owners all allow sharing (SO_REUSEADDR on both and nobody listening, or SO_REUSEPORT with
 *    the same uid: the explicit-bind rule R31) and that has the fewest owners, the first such
 *    port in scan order. So bind(0) could share ports, which 4.6 stopped (R41).
 * The port checks themselves (reserved R2, bind-owned R12, 4-tuple R14, conflicts R42) are 6.18's.
 */
import { ownerBlocks } from './conflict.js';
import type { Core } from './core.js';
import type { Owner, OwnerView } from './entities.js';
import type { ScanWindow } from './scan-order.js';
import type { Phase, PortJudge, Skip } from './search.js';

export const LINUX41_CONNECT_LABEL = 'connect() search (Linux 4.1): global hint + hash, step 1';

/** Start offset of a linux-4.1 connect() search: (hint + hash) mod range. */
export function linux41ConnectStart(hint: number, hash: number, remaining: number): number {
  return ((hint + hash) >>> 0) % remaining;
}

/** After a successful linux-4.1 connect() search that took the port at scan position i. */
export function advanceHint41(core: Core, i: number): void {
  core.hint41 = (core.hint41 + i + 1) >>> 0;
}

function* allOffsets(remaining: number): Iterable<number> {
  for (let o = 0; o < remaining; o++) yield o;
}

/**
 * The fallback judge: accepts exactly the shareable ports with the fewest owners. The minimum is
 * found on first use (only when the whole range was taken, so the cost comes with exhaustion).
 */
function leastUsedJudge(core: Core, n: OwnerView, w: ScanWindow): PortJudge {
  /** Owners of a port that block sharing (the explicit-bind rule), or the owner count when none do. */
  const blockerOrCount = (port: number): Owner | number | null => {
    const b = core.ports.bucket(port);
    if (!b || b.owners.size === 0) return null;
    for (const e of b.owners) if (ownerBlocks(n, e, 'explicit-bind')) return e;
    return b.owners.size;
  };
  let fewest: number | undefined;
  const minimum = (): number => {
    if (fewest !== undefined) return fewest;
    fewest = Number.POSITIVE_INFINITY;
    for (let p = w.lo; p < w.end; p++) {
      if (core.sysctl.reserved.has(p)) continue;
      const c = blockerOrCount(p);
      if (typeof c === 'number' && c < fewest) fewest = c;
    }
    return fewest;
  };
  const verdict = (port: number): Skip | null => {
    if (core.sysctl.reserved.has(port)) return { reason: 'reserved', rule: 'R44', by: null };
    const c = blockerOrCount(port);
    if (c === null) return null;
    if (typeof c !== 'number') return { reason: 'conflict', rule: 'R42', by: c };
    return c === minimum() ? null : { reason: 'more-owners', rule: 'R41', by: null };
  };
  return {
    verdict,
    first: (from, to, step) => {
      for (let p = from; p <= to; p += step) if (!verdict(p)) return p;
      return -1;
    },
  };
}

/** The phases of a linux-4.1 bind(0)/listen() autobind over [lo, hi]: the scan, then the fallback. */
export function linux41AutobindPhases(
  core: Core,
  n: OwnerView,
  strict: PortJudge,
  lo: number,
  hi: number,
): Phase[] {
  const remaining = hi + 1 - lo;
  const window: ScanWindow = { lo, end: hi + 1, remaining, step: 1 };
  // The fallback continues the same scan, so it starts where the first phase did.
  let start = 0;
  return [
    {
      label: 'bind(0) search (Linux 4.1): random start, step 1',
      window,
      judge: strict,
      draw: () => {
        start = core.host.entropy.below(remaining);
        return start;
      },
      offsets: () => allOffsets(remaining),
      passDelta: 0,
    },
    {
      label: 'bind(0), range exhausted (Linux 4.1): the shareable port with the fewest owners',
      window,
      judge: leastUsedJudge(core, n, window),
      draw: () => start,
      offsets: () => allOffsets(remaining),
      passDelta: 0,
    },
  ];
}
