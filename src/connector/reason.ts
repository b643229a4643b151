/**
 * Why no connection is possible towards a destination, in one line per source, with the rule
 * that decides: "127.0.0.2 -> 10.1.1.1:5432: 0 of 31,744 ports free; 31,500 in use, 244 in
 * TIME_WAIT without timestamps (R63)". Pure.
 */
import { fmtDest } from './destination.js';
import type { Strategy } from './options.js';

export interface SourceRow {
  readonly source: string;
  readonly free: number;
  readonly capacity: number;
  readonly inUse: number;
  readonly timeWait: number;
  readonly onHold: number;
  /** Bind strategy: ports bind(source, 0) holds on this source towards every destination. */
  readonly bindHeld: number | null;
}

const n = (x: number) => x.toLocaleString('en-US');

export function exhaustedReason(
  dest: string,
  dport: number,
  rows: readonly SourceRow[],
  ctx: { strategy: Strategy; timestamps: number; hostRange: readonly [number, number] },
): { text: string; rule: string } {
  const to = fmtDest(dest, dport);
  if (rows.length === 0) return { text: `no source address of ${to}'s family`, rule: 'R10' };
  let rule = 'R14';
  const parts = rows.map((r) => {
    const bits: string[] = [];
    if (r.bindHeld !== null) {
      // R23: each bind(ip, 0) holds a port of the range on that source, whatever the destination.
      rule = 'R23';
      bits.push(
        `${n(r.bindHeld)} held by bind(${r.source}, 0) across all destinations (R23; ${n(r.inUse)} of them towards ${to})`,
      );
    } else if (ctx.strategy === 'no-port') {
      // R22: the kernel's own search (R11-R14) refused this source towards the destination.
      rule = 'R22';
      bits.push(
        `the kernel's connect() found none in ip_local_port_range ${ctx.hostRange[0]}-${ctx.hostRange[1]} (R14); ${n(r.inUse)} ours in use, ${n(r.timeWait)} ours in TIME_WAIT`,
      );
    } else {
      bits.push(`${n(r.inUse)} in use`);
      if (r.timeWait > 0) {
        if (ctx.timestamps === 0) {
          rule = 'R63';
          bits.push(
            `${n(r.timeWait)} in TIME_WAIT without timestamps (tcp_timestamps=0: not recyclable for 60 s, R63)`,
          );
        } else bits.push(`${n(r.timeWait)} in TIME_WAIT`);
      }
      if (r.onHold > 0) bits.push(`${n(r.onHold)} refused by the kernel recently (another program's)`);
    }
    return `${r.source} -> ${to}: ${n(r.free)} of ${n(r.capacity)} ports free; ${bits.join(', ')}`;
  });
  return { text: parts.join('; '), rule };
}
