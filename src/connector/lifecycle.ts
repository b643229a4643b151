/**
 * How a connection ended, in the terms the model needs (R60/R61): who sent the first FIN, or
 * whether a reset ended it. Worked out when the TCP socket closes, from what Node's socket says
 * then, so that watching needs only listeners shared by all sockets (live-sockets.ts) and no
 * closure, bound function or added property per socket: the 50,000-connection benchmark lost a
 * fifth of its rate to per-socket watchers (docs/load.md).
 *  - A reset we sent: resetAndDestroy() on our socket class (ConnectorSocket) notes it.
 *  - A reset the peer sent: the socket was destroyed with ECONNRESET or EPIPE (`errored`).
 *  - The peer's FIN first: 'end' arrived while our side was still writable.
 * A TLS socket on top of ours reads the stream itself, so it sees the peer's FIN and resets
 * instead of the TCP socket: it is watched too (`watchUpper`); the TCP socket's 'close' ends
 * it all.
 */
import net from 'node:net';
import type { Ending } from './mirror.js';

/** What the close alone cannot tell, kept with the connection's record. */
export interface EndingWatch {
  /** The peer's FIN came before we ended our side (R60: no TIME_WAIT on our side). */
  peerFinFirst: boolean;
  /** The TLS socket over ours, if any. */
  upper: net.Socket | null;
  /** resetAndDestroy() was called on the TLS socket over ours. */
  upperReset: boolean;
}

/**
 * The sockets the connector dials. The one thing Node does not tell at 'close' is whether we
 * sent a reset (resetAndDestroy() clears its own mark before the socket closes), so the class
 * notes it in a field every instance has from birth: no per-socket closure or added property.
 */
export class ConnectorSocket extends net.Socket {
  resetByUs = false;

  override resetAndDestroy(): this {
    this.resetByUs = true;
    return super.resetAndDestroy();
  }
}

function wasResetByUs(s: net.Socket): boolean {
  return s instanceof ConnectorSocket && s.resetByUs;
}

function isResetError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

/** The ending, once the TCP socket has closed. */
export function endingOf(tcp: net.Socket, w: EndingWatch): Ending {
  if (wasResetByUs(tcp) || w.upperReset) return 'aborted';
  if (isResetError(tcp.errored) || (w.upper !== null && isResetError(w.upper.errored))) return 'peer-reset';
  return w.peerFinFirst ? 'peer-closed-first' : 'we-closed-first';
}

/** The peer's FIN: if we had not ended our side yet, the peer closed first (R60). */
export function notePeerEnd(socket: net.Socket, w: EndingWatch): void {
  if (!socket.writableEnded) w.peerFinFirst = true;
}

/**
 * Also watch `upper` (a TLS socket over the TCP socket of `w`). Per-connection closures are fine
 * here: TLS costs far more. A TLS socket has no TCP handle of its own, so its resetAndDestroy()
 * is noted before Node acts on it.
 */
export function watchUpper(upper: net.Socket, w: EndingWatch): void {
  w.upper = upper;
  upper.on('end', () => notePeerEnd(upper, w));
  const original = upper.resetAndDestroy.bind(upper);
  upper.resetAndDestroy = () => {
    w.upperReset = true;
    return original();
  };
}
