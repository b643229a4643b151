/**
 * `portspace plan --concurrent N` as text: the answer of src/planner/concurrent.ts (N connections
 * open at once to one destination: ports per source, sources needed, or a wider range).
 */
import { fmt } from '../../doctor/text.js';
import { FULL_RANGE } from '../../planner/advice.js';
import type { ConcurrentAnswer } from '../../planner/concurrent.js';
import type { Output } from '../output.js';

export function printConcurrent(a: ConcurrentAnswer, out: Output): void {
  const p = out.paint;
  const sources = (k: number) => `${fmt(k)} source address${k === 1 ? '' : 'es'}`;
  out.line(
    `${fmt(a.concurrent)} connections open at once to ${a.destination}: each (source address, destination) holds at most ${fmt(a.perSource)} (ip_local_port_range ${a.range[0]} ${a.range[1]}, R14)`,
  );
  const have = a.perSource * a.sourcesGiven;
  out.line(
    a.fits
      ? p(
          'green',
          `  fits: ${sources(a.sourcesGiven)} hold${a.sourcesGiven === 1 ? 's' : ''} up to ${fmt(have)}`,
        )
      : p(
          'red',
          `  does not fit: ${sources(a.sourcesGiven)} hold${a.sourcesGiven === 1 ? 's' : ''} ${fmt(have)}, ${fmt(a.concurrent - have)} short`,
        ),
  );
  out.line(
    `  needs ${sources(a.sourcesNeeded)}, each used with IP_BIND_ADDRESS_NO_PORT + bind(ip, 0) before connect() (plain connect() uses the route's one source, R10; bind(ip, 0) without the option spends each source's range for every destination, R23)`,
  );
  out.line(
    `  or with ip_local_port_range ${FULL_RANGE[0]} ${FULL_RANGE[1]} (${fmt(a.wideRange.perSource)} per source): ${sources(a.wideRange.sourcesNeeded)}`,
  );
  out.line(
    p(
      'dim',
      '  (each more destination port or address has ranges of its own; TIME_WAIT after close adds to this, see --rate)',
    ),
  );
}
