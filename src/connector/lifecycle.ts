/**
 * Watches a connected Node socket until it closes and says how it ended, in the terms the
 * model needs (R60/R61): who sent the first FIN, or whether a reset ended it.
 */
import type net from 'node:net';
import type { Ending } from './mirror.js';

export function watchEnding(socket: net.Socket, onEnded: (how: Ending) => void): void {
  let peerFinFirst = false;
  let reset = false;
  let weReset = false;
  socket.on('end', () => {
    // The peer's FIN arrived; if we had not ended our side yet, the peer closed first (R60).
    if (!socket.writableEnded) peerFinFirst = true;
  });
  socket.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE') reset = true;
  });
  // resetAndDestroy() sends an RST (SO_LINGER {1, 0}): nothing stays behind (R61).
  const original = socket.resetAndDestroy.bind(socket);
  socket.resetAndDestroy = () => {
    weReset = true;
    return original();
  };
  socket.once('close', () => {
    onEnded(
      weReset ? 'aborted' : reset ? 'peer-reset' : peerFinFirst ? 'peer-closed-first' : 'we-closed-first',
    );
  });
}
