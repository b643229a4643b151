/** What each connect strategy works with: the connector's books, model mirror and live sockets. */
import type { LiveSockets } from './live-sockets.js';
import type { Mirror } from './mirror.js';
import type { PairBook } from './pair-book.js';

export interface ConnectContext {
  readonly book: PairBook;
  readonly mirror: Mirror;
  readonly live: LiveSockets;
  readonly clock: () => number;
  /** Kernel refusals (EADDRINUSE / EADDRNOTAVAIL) one connect() takes before it gives up. */
  readonly maxAttempts: number;
  /** Milliseconds a handshake may take; 0 = no limit. */
  readonly connectTimeout: number;
}

/** One connect(): the resolved destination and its family. */
export interface Target {
  readonly dest: string;
  readonly dport: number;
  readonly family: 4 | 6;
  readonly signal: AbortSignal | undefined;
}
