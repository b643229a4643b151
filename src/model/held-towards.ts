/** Counts read off a namespace's state for capacity planners (the typed picture is inspect.ts). */
import type { Core } from './core.js';

/** R14 with R60: live 4-tuples plus TIME_WAIT entries from `source` towards `destination`:`port`. */
export function heldTowards(c: Core, source: string, destination: string, port: number): number {
  const s = c.addrs.parse(source);
  const d = c.addrs.parse(destination);
  const slot = s && d ? c.ports.tuples.get(s, d, port) : undefined;
  return slot ? slot.live.size + slot.tw.size : 0;
}
