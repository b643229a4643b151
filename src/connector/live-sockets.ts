/**
 * The connector's open connections, from the handshake until the socket closes: when one ends,
 * the model hears how (R60/R61) and the pair gets its port back (free, or in TIME_WAIT when we
 * closed first). A connection the model could not mirror is still counted, for close() and the
 * leak check.
 */
import type net from 'node:net';
import { watchEnding } from './lifecycle.js';
import type { Ending, Mirror, MirrorConn } from './mirror.js';
import type { Pair } from './pairs.js';

export interface LiveConn {
  readonly pair: Pair;
  readonly port: number;
  readonly conn: MirrorConn;
}

export class LiveSockets {
  /** null: a connection the model does not mirror (it disagreed with the kernel). */
  private readonly live = new Map<net.Socket, LiveConn | null>();

  constructor(
    private readonly mirror: Mirror,
    private readonly clock: () => number,
  ) {}

  get size(): number {
    return this.live.size;
  }

  track(socket: net.Socket, l: LiveConn): void {
    this.live.set(socket, l);
    watchEnding(socket, (how: Ending) => {
      const now = this.clock();
      this.mirror.advance(now);
      this.mirror.end(l.conn, how);
      this.live.delete(socket);
      if (l.pair.pool) l.pair.pool.give(l.port, how === 'we-closed-first' ? 'timewait' : 'free', now);
      else {
        l.pair.bindInUse--;
        if (how === 'we-closed-first') l.pair.bindTimeWait.push(now);
      }
    });
  }

  trackUnmirrored(socket: net.Socket): void {
    this.live.set(socket, null);
    socket.once('close', () => this.live.delete(socket));
  }

  destroyAll(): void {
    for (const s of [...this.live.keys()]) s.destroy();
  }
}
