/**
 * The connector's open connections, from the handshake until the socket closes: when one ends,
 * the model hears how (R60/R61, lifecycle.ts) and the pair gets its port back (free, or in
 * TIME_WAIT when we closed first). A connection the model could not mirror is still counted, for
 * close() and the leak check. Each socket gets two listeners shared by all sockets ('end' and
 * 'close', called with the socket as `this`): nothing is allocated per socket but its record.
 */
import type net from 'node:net';
import { type EndingWatch, endingOf, notePeerEnd, watchUpper } from './lifecycle.js';
import type { Mirror, MirrorConn } from './mirror.js';
import type { Pair } from './pairs.js';

export interface LiveConn {
  readonly pair: Pair;
  readonly port: number;
  readonly conn: MirrorConn;
}

/** One open connection: what the model and the pair need at its end, and how it is ending. */
interface Tracked extends EndingWatch {
  /** null: a connection the model does not mirror (it disagreed with the kernel). */
  readonly l: LiveConn | null;
}

export class LiveSockets {
  private readonly live = new Map<net.Socket, Tracked>();
  private readonly onEnd: (this: net.Socket) => void;
  private readonly onClose: (this: net.Socket) => void;

  constructor(
    private readonly mirror: Mirror,
    private readonly clock: () => number,
  ) {
    const live = this.live;
    this.onEnd = function (this: net.Socket) {
      const t = live.get(this);
      if (t) notePeerEnd(this, t);
    };
    const ended = (socket: net.Socket) => this.ended(socket);
    this.onClose = function (this: net.Socket) {
      ended(this);
    };
  }

  get size(): number {
    return this.live.size;
  }

  track(socket: net.Socket, l: LiveConn): void {
    this.watch(socket, l);
  }

  trackUnmirrored(socket: net.Socket): void {
    this.watch(socket, null);
  }

  /** A TLS socket was put over one of ours: it sees the peer's FIN and resets (lifecycle.ts). */
  watchUpper(tcp: net.Socket, upper: net.Socket): void {
    const t = this.live.get(tcp);
    if (t) watchUpper(upper, t);
  }

  destroyAll(): void {
    for (const s of [...this.live.keys()]) s.destroy();
  }

  private watch(socket: net.Socket, l: LiveConn | null): void {
    this.live.set(socket, { l, peerFinFirst: false, upper: null, upperReset: false });
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
  }

  private ended(socket: net.Socket): void {
    const t = this.live.get(socket);
    if (!t) return;
    this.live.delete(socket);
    const l = t.l;
    if (l === null) return;
    const how = endingOf(socket, t);
    const now = this.clock();
    this.mirror.advance(now);
    this.mirror.end(l.conn, how);
    if (l.pair.pool) l.pair.pool.give(l.port, how === 'we-closed-first' ? 'timewait' : 'free', now);
    else {
      l.pair.bindInUse--;
      if (how === 'we-closed-first') l.pair.bindTimeWait.push(now);
    }
  }
}
