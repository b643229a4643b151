/**
 * R62/R63 for the model's own connect(): the entry and the sysctls come from the Core; the
 * verdict itself is timewait-reuse.ts's, the one place every user (doctor, planner, page) asks.
 */
import type { Addr } from './addr.js';
import type { Core } from './core.js';
import type { TimeWait } from './entities.js';
import { mayReuseTimeWait, type TimeWaitReuseMode, twReuseAllows } from './timewait-reuse.js';

/** R62 twRecyclable: may this TIME_WAIT entry give its 4-tuple to a new connection now? */
export function twRecyclable(core: Core, e: TimeWait, mode: TimeWaitReuseMode): boolean {
  return mayReuseTimeWait(e, core.now, core.sysctl, mode);
}

/** Could any TIME_WAIT entry of this (src, dst) pair be recycled by autoselection now? (R62) */
export function recyclingPossible(core: Core, src: Addr, dest: Addr): boolean {
  return twReuseAllows(core.sysctl.twReuse, src.loopback, dest.loopback);
}
