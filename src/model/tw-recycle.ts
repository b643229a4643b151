/**
 * R62/R63: when a TIME_WAIT entry may give its 4-tuple to a new connection. connect()
 * autoselection (AUTOSELECT) follows tcp_tw_reuse and its delay; a connect() from a bound port
 * (BOUND) recycles any entry whose peer sent timestamps.
 */
import type { Addr } from './addr.js';
import type { Core } from './core.js';
import type { TimeWait } from './entities.js';

/** R62 twRecyclable: may this TIME_WAIT entry give its 4-tuple to a new connection now? */
export function twRecyclable(core: Core, e: TimeWait, mode: 'AUTOSELECT' | 'BOUND'): boolean {
  if (!e.hasPeerTs) return false;
  if (mode === 'BOUND') return true; // R63
  let reuse: number = core.sysctl.twReuse;
  if (e.substate === 'FIN_WAIT2') reuse = 0;
  if (reuse === 2 && !(e.laddr.loopback || e.raddr.loopback)) reuse = 0;
  return reuse !== 0 && core.now > e.entryMs + core.sysctl.twReuseDelayMs;
}

/** Could any TIME_WAIT entry of this (src, dst) pair be recycled by autoselection now? (R62) */
export function recyclingPossible(core: Core, src: Addr, dest: Addr): boolean {
  const reuse = core.sysctl.twReuse;
  if (reuse === 0) return false;
  return reuse === 1 || src.loopback || dest.loopback;
}
