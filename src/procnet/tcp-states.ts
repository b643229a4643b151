/**
 * The state codes /proc/net/tcp{,6} prints in its `st` column (include/net/tcp_states.h order),
 * and which of them hold a 4-tuple (spec D4: every socket with a remote end, from SYN_SENT on,
 * and every TIME_WAIT entry). UDP files reuse two of the codes: 01 for a connected socket and 07
 * for an unconnected one.
 */

export const TCP_STATES = [
  '',
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'CLOSING',
] as const;

export type TcpStateName = Exclude<(typeof TCP_STATES)[number], ''>;

export const ST = {
  ESTABLISHED: 1,
  SYN_SENT: 2,
  SYN_RECV: 3,
  FIN_WAIT1: 4,
  FIN_WAIT2: 5,
  TIME_WAIT: 6,
  CLOSE: 7,
  CLOSE_WAIT: 8,
  LAST_ACK: 9,
  LISTEN: 10,
  CLOSING: 11,
} as const;

/** The highest code this reader knows; anything else is reported as an unreadable line. */
export const MAX_STATE = 11;

/** D4: the states whose socket (or TIME_WAIT entry) occupies its 4-tuple. */
export function holdsFourTuple(state: number): boolean {
  return state !== ST.LISTEN && state !== ST.CLOSE && state >= 1 && state <= MAX_STATE;
}

export function stateName(state: number): string {
  return TCP_STATES[state] || `0x${state.toString(16).padStart(2, '0').toUpperCase()}`;
}
