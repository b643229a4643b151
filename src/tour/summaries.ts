/**
 * Small readers over a script run's record, for the one-line summaries of the tour's table: the
 * result of one named socket's call, and how a repeat loop ended. They never throw: a run that
 * stopped early (a divergence, a harness error) shows `?` where a result is missing.
 */
import type { CallOp } from '../calls/index.js';
import type { RepeatRecord } from '../run/runner.js';
import type { ScriptTrace } from './script-measurement.js';

/** The result of `op` on socket `sock` (the n-th such call, 0-based): a port, `0`, or the errno. */
export function result(t: ScriptTrace, sock: string, op: CallOp, nth = 0): string {
  let seen = 0;
  for (const { call, outcome } of t.calls) {
    if (call.op !== op) continue;
    const name = call.op === 'socket' ? call.name : 'sock' in call ? call.sock : '';
    if (name !== sock) continue;
    if (seen++ < nth) continue;
    if (!outcome.ok) return outcome.errno;
    return outcome.port === undefined ? 'ok' : String(outcome.port);
  }
  return '?';
}

/** The result of a sysctl write: `ok` or the errno. */
export function sysctlResult(t: ScriptTrace, name: string): string {
  for (const { call, outcome } of t.calls) {
    if (call.op === 'sysctl' && call.name === name) return outcome.ok ? 'ok' : outcome.errno;
  }
  return '?';
}

/** The n-th repeat loop (0-based) of the script, if it ran. */
function loop(t: ScriptTrace, nth: number): RepeatRecord | undefined {
  return t.report.records.filter((r): r is RepeatRecord => r.kind === 'repeat')[nth];
}

/** How a loop ended: `1,000 then EADDRNOTAVAIL`, or `1,000 ok, no error`. */
export function loopEnd(t: ScriptTrace, nth: number): string {
  const r = loop(t, nth);
  if (r === undefined) return '?';
  const n = r.rounds.toLocaleString('en-US');
  if (r.outcome !== null && !r.outcome.ok) return `${n} then ${r.outcome.errno}`;
  return r.stoppedBy === 'budget' ? `${n} (out of time)` : `${n} ok, no error`;
}

/** Ports of the sockets' first connect, in order, as numbers (NaN where there is none). */
export function connectPorts(t: ScriptTrace, socks: readonly string[]): number[] {
  return socks.map((s) => Number(result(t, s, 'connect')));
}

/** `50830, 50834 (gap 4)`: ports and the gaps between successive ones. */
export function portsWithGaps(ports: readonly number[]): string {
  const shown = ports.map((p) => (Number.isNaN(p) ? '?' : String(p))).join(', ');
  const gaps = ports.slice(1).map((p, k) => Math.abs(p - (ports[k] ?? p)));
  return gaps.length === 0 ? shown : `${shown} (gaps ${gaps.join(', ')})`;
}
