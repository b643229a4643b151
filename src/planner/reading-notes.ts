/**
 * A plan's reading notes: what the reader must know to read its numbers right (an odd-sized
 * range, a source plain connect() cannot use, TIME_WAIT recycling the fast engine bounds).
 * Text, like the advice; the CLI prints them and puts them in --json.
 */
import type { PlanConfig } from './plan-types.js';
import { autoselectRecycles, capacityOf, rangeIsExact } from './workload.js';

/** Things the reader must know to read the numbers right. */
export function readingNotes(
  cfg: PlanConfig,
  engine: 'fast' | 'exact',
  strategies: readonly PlanConfig[],
): string[] {
  const out: string[] = [];
  if (!rangeIsExact(cfg.range))
    out.push(
      `the range has an odd number of ports: connect() and bind(ip, 0) scan an even count, so one port (which one depends on the random start) is out of reach on each attempt (R11, R40); the fast engine counts ${capacityOf({ ...cfg, strategy: 'connect' })} ports, the lower bound.`,
    );
  if (cfg.sources.length > 1 && strategies.some((s) => s.strategy === 'connect'))
    out.push(
      `plain connect() takes its source from the route (R10): ${cfg.sources[0]} only; the other --from addresses need a bind strategy (noport, bind0, reuseaddr).`,
    );
  const recycling = strategies.some((s) =>
    s.sources.some((a) => s.destinations.some((d) => autoselectRecycles(s, a, d.addr))),
  );
  if (recycling && engine === 'fast')
    out.push(
      'tcp_tw_reuse lets connect() recycle TIME_WAIT entries (R62): failures are exact, but which entry the kernel recycles rather than a free port is its random walk (R13); peak TIME_WAIT and ports in use are upper bounds here (--engine exact samples them).',
    );
  return out;
}
