/**
 * Test helper: renders a model namespace's sockets as /proc/net/tcp text, the way Linux prints
 * it (addresses as host-order hex words on a little-endian machine, ports and states as hex, the
 * TIME_WAIT timer in 1/100 s). Like the real file it leaves out sockets that are only bound
 * (state CLOSE): /proc/net/tcp lists the listening and established tables only.
 */
import type { Netns } from '../../src/model/index.js';

const STATE_CODE: Readonly<Record<string, number>> = { ESTABLISHED: 1, LISTEN: 10, CLOSE_WAIT: 8 };

function hex(n: number, width: number): string {
  return n.toString(16).toUpperCase().padStart(width, '0');
}

/** IPv4 text -> the 8 hex digits of its host-order (little-endian) word. */
export function v4Hex(addr: string): string {
  const b = addr.split('.').map(Number);
  return hex((((b[3] ?? 0) << 24) | ((b[2] ?? 0) << 16) | ((b[1] ?? 0) << 8) | (b[0] ?? 0)) >>> 0, 8);
}

export const HEADER =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';

export function procLine(
  slot: number,
  local: [string, number],
  remote: [string, number],
  state: number,
  timer = 0,
  whenCs = 0,
): string {
  return `${String(slot).padStart(4)}: ${v4Hex(local[0])}:${hex(local[1], 4)} ${v4Hex(remote[0])}:${hex(remote[1], 4)} ${hex(state, 2)} 00000000:00000000 ${hex(timer, 2)}:${hex(whenCs, 8)} 00000000     0        0 0 1 0000000000000000 20 4 0 10 -1`;
}

/** The namespace's IPv4 TCP sockets and TIME_WAIT entries as /proc/net/tcp text. */
export function renderProcNetTcp(ns: Netns): string {
  const v = ns.inspect();
  const lines = [HEADER];
  let slot = 0;
  for (const s of v.sockets) {
    const code = STATE_CODE[s.state];
    if (code === undefined || s.local.port === 0) continue; // CLOSE: not in /proc/net/tcp
    const remote: [string, number] = s.remote ? [s.remote.addr, s.remote.port] : ['0.0.0.0', 0];
    lines.push(procLine(slot++, [s.local.addr, s.local.port], remote, code));
  }
  for (const t of v.timewaits) {
    const code = t.substate === 'TIME_WAIT' ? 6 : 5;
    const whenCs = Math.max(0, Math.floor((t.expiresMs - v.now) / 10));
    lines.push(
      procLine(slot++, [t.local.addr, t.local.port], [t.remote.addr, t.remote.port], code, 3, whenCs),
    );
  }
  return `${lines.join('\n')}\n`;
}
