/**
 * R62/R63 in one place: may a TIME_WAIT (or orphaned FIN_WAIT2) entry give its 4-tuple to a new
 * connection now? Everything that judges an entry asks here: the model's own connect(), its
 * `inspect()` and `headroom()`, the doctor (entries read from /proc), the planner and the page.
 * The facts are a small structural type, so the model's entries pass as they are (connect()'s hot
 * path allocates nothing) and a /proc row becomes one without the model knowing /proc.
 */

/** What R62 reads of an entry. The model's TimeWait entries are one as they are. */
export interface TimeWaitFacts {
  readonly substate: 'TIME_WAIT' | 'FIN_WAIT2';
  /** The peer sends timestamps: tcp_timestamps was on when the connection was made (R4). */
  readonly hasPeerTs: boolean;
  /** spec R62 isLoopback of the local and the remote address. */
  readonly laddr: { readonly loopback: boolean };
  readonly raddr: { readonly loopback: boolean };
  /** When the entry was made, on the same clock as `now` (ms). */
  readonly entryMs: number;
}

/** The two sysctls R62 reads (R4). */
export interface TimeWaitReuseSysctls {
  /** 0 never, 1 always, 2 loopback only. */
  readonly twReuse: number;
  /** Milliseconds an entry must be older than. */
  readonly twReuseDelayMs: number;
}

/** AUTOSELECT: connect() picks the port (R62). BOUND: the user bound it (R63). */
export type TimeWaitReuseMode = 'AUTOSELECT' | 'BOUND';

/**
 * R4/R62: does tcp_tw_reuse let an autoselecting connect() recycle entries between these two
 * addresses at all (1: always, 2: when either end is loopback, 0: never)?
 */
export function twReuseAllows(twReuse: number, localLoopback: boolean, remoteLoopback: boolean): boolean {
  if (twReuse === 0) return false;
  return twReuse === 1 || localLoopback || remoteLoopback;
}

/**
 * R62 twRecyclable (R63 for BOUND): may this entry give its 4-tuple to a new connection at `now`?
 * Never without the peer's timestamps; a bound connect() at once; an autoselecting one when
 * tcp_tw_reuse allows it for the entry's addresses, the entry is TIME_WAIT (not FIN_WAIT2) and
 * older than tcp_tw_reuse_delay.
 */
export function mayReuseTimeWait(
  e: TimeWaitFacts,
  now: number,
  s: TimeWaitReuseSysctls,
  mode: TimeWaitReuseMode,
): boolean {
  if (!e.hasPeerTs) return false;
  if (mode === 'BOUND') return true; // R63
  if (e.substate === 'FIN_WAIT2') return false;
  if (!twReuseAllows(s.twReuse, e.laddr.loopback, e.raddr.loopback)) return false;
  return now > e.entryMs + s.twReuseDelayMs;
}
