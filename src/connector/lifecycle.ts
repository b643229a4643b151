/**
 * Watches a connected Node socket until it closes and says how it ended, in the terms the
 * model needs (R60/R61): who sent the first FIN, or whether a reset ended it. A TLS socket on
 * top of ours sees the peer's FIN and errors instead of the TCP socket (TLS reads the stream
 * itself), so it can be watched too (`watchAlso`); the TCP socket's 'close' still ends it all.
 */
import type net from 'node:net';
import type { Ending } from './mirror.js';

interface Watch {
  peerFinFirst: boolean;
  reset: boolean;
  weReset: boolean;
}

const watches = new WeakMap<net.Socket, Watch>();

export function watchEnding(socket: net.Socket, onEnded: (how: Ending) => void): void {
  const w: Watch = { peerFinFirst: false, reset: false, weReset: false };
  watches.set(socket, w);
  observe(socket, w);
  socket.once('close', () => {
    onEnded(
      w.weReset
        ? 'aborted'
        : w.reset
          ? 'peer-reset'
          : w.peerFinFirst
            ? 'peer-closed-first'
            : 'we-closed-first',
    );
  });
}

/** Also watch `upper` (a TLS socket over `tcp`) for the peer's FIN, resets and resetAndDestroy. */
export function watchAlso(tcp: net.Socket, upper: net.Socket): void {
  const w = watches.get(tcp);
  if (w) observe(upper, w);
}

function observe(socket: net.Socket, w: Watch): void {
  socket.on('end', () => {
    // The peer's FIN arrived; if we had not ended our side yet, the peer closed first (R60).
    if (!socket.writableEnded) w.peerFinFirst = true;
  });
  socket.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE') w.reset = true;
  });
  // resetAndDestroy() sends an RST (SO_LINGER {1, 0}): nothing stays behind (R61).
  const original = socket.resetAndDestroy.bind(socket);
  socket.resetAndDestroy = () => {
    w.weReset = true;
    return original();
  };
}
