/**
 * bind(port 0) and listen() autobind for TCP: the search of R40-R45, as phases for search.ts.
 * Parity is the opposite of connect's (odd offsets first), SO_REUSEADDR sockets try the lower
 * half of the range first, and the strict rounds refuse any port with an overlapping owner;
 * ip_autobind_reuse = 1 adds one relaxed round (R41).
 */
import { ownerBlocks, type SharingMode } from './conflict.js';
import type { Core } from './core.js';
import { effectiveRange } from './effective-range.js';
import type { OwnerView } from './entities.js';
import { linux41AutobindPhases } from './linux41-search.js';
import { overlaps } from './overlap.js';
import { nextClearInAll, type PortFinder } from './port-bitmap.js';
import { roundedRemaining } from './scan-order.js';
import type { Phase, PortJudge, Skip } from './search.js';

function strictJudge(core: Core, n: OwnerView): PortJudge {
  // Only address views that overlap N can block it (R42): union their port sets.
  const finders: PortFinder[] = [core.ports.reserved];
  for (const g of core.ports.byAddress.values()) if (overlaps(n, g.view)) finders.push(g.ports);
  return {
    first: (from, to, step) => nextClearInAll(finders, from, to, step),
    verdict: (port) => verdict(core, n, port, 'autobind-strict'),
  };
}

function relaxedJudge(core: Core, n: OwnerView): PortJudge {
  const judge: PortJudge = {
    first: (from, to, step) => {
      for (let p = from; p <= to; p += step) if (!judge.verdict(p)) return p;
      return -1;
    },
    verdict: (port) => verdict(core, n, port, 'autobind-reuse'),
  };
  return judge;
}

function verdict(core: Core, n: OwnerView, port: number, mode: SharingMode): Skip | null {
  if (core.sysctl.reserved.has(port)) return { reason: 'reserved', rule: 'R44', by: null };
  const b = core.ports.bucket(port);
  if (!b) return null;
  for (const e of b.owners) {
    if (ownerBlocks(n, e, mode))
      return { reason: 'conflict', rule: mode === 'autobind-reuse' ? 'R41' : 'R42', by: e };
  }
  return null;
}

/** R40's `half`: the whole range (0), its lower half (1) or its upper half (2). */
type RangeHalf = 'whole' | 'lower' | 'upper';

/** The phases of one bind(0)/listen autobind search for socket view `n` with per-socket range `lpr`. */
export function autobindPhases(core: Core, n: OwnerView, lpr: number): Phase[] {
  const { lo: rlo, hi: rhi } = effectiveRange({ lpr }, core.sysctl);
  if (core.profile === 'linux-4.1') return linux41AutobindPhases(core, n, strictJudge(core, n), rlo, rhi);
  const rounds: SharingMode[] =
    core.sysctl.autobindReuse === 1 ? ['autobind-strict', 'autobind-reuse'] : ['autobind-strict'];
  const phases: Phase[] = [];
  for (const mode of rounds) {
    const relax = mode === 'autobind-reuse';
    const judge = relax ? relaxedJudge(core, n) : strictJudge(core, n);
    // R40: SO_REUSEADDR sockets scan the lower half, then the upper; a range under 4 ports is whole.
    let halves: RangeHalf[] = n.reuseAddr ? ['lower', 'upper'] : ['whole'];
    if (rhi + 1 - rlo < 4) halves = ['whole'];
    for (const half of halves) {
      let lo = rlo;
      let end = rhi + 1;
      const mid = rlo + Math.floor((end - rlo) / 4) * 2;
      if (half === 'lower') end = mid;
      if (half === 'upper') lo = mid;
      const remaining = roundedRemaining(lo, end, true);
      const label = `${relax ? 'relaxed (ip_autobind_reuse) ' : ''}bind(0) search${half === 'whole' ? '' : ` ${half} half`}`;
      phases.push({
        label,
        window: { lo, end, remaining, step: 2 },
        judge,
        draw: () => core.host.entropy.below(remaining) | 1,
        *offsets() {
          const seen = new Set<number>();
          for (let x = 0; x < remaining; x++) {
            const o = x | 1;
            if (!seen.has(o)) {
              seen.add(o);
              yield o;
            }
          }
        },
        passDelta: -1,
      });
    }
  }
  return phases;
}
