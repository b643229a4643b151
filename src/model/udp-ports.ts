/**
 * The UDP port table (spec R91, R95): per port, the UDP sockets that hold it, in the order they
 * were (re)hashed. TCP's buckets, flags and TIME_WAIT do not exist here: UDP has its own port
 * space and a closed socket frees its port at once (R95).
 *
 * The hash order matters for delivery: among equally good receivers the most recently hashed
 * one gets a datagram (measured: of two SO_REUSEADDR sockets on one address the second bound
 * receives, for IPv4 and IPv6). A socket is rehashed when connect() gives it a source address.
 * Connected sockets have an order of their own: of two sockets connected to one peer from one
 * address and port, the one that connected last receives (measured), whatever their bind order.
 */
import type { Socket } from './entities.js';

export class UdpPorts {
  private readonly byPort = new Map<number, Socket[]>();
  private readonly hashedAt = new Map<Socket, number>();
  private readonly connectedAt = new Map<Socket, number>();
  /** Connected sockets whose last datagram to their peer met a closed port (ICMP, R94). */
  readonly pendingRefused = new Set<Socket>();
  /**
   * Sockets that received a datagram while connected. The kernel then records the receiving CPU
   * on the socket, for good (disconnect does not forget it), and ranks the socket one point
   * higher for datagrams processed on that CPU (R80). The kernel backend runs on one CPU, so the
   * point always counts (measured: after a disconnect such a socket beats SO_REUSEADDR sockets
   * bound after it; a socket that only connected, or only sent, does not).
   */
  readonly receivedConnected = new Set<Socket>();
  private clock = 0;

  owners(port: number): readonly Socket[] {
    return this.byPort.get(port) ?? [];
  }

  /** Takes `port` for `s` (s.lport must already say so). */
  add(s: Socket, port: number): void {
    let list = this.byPort.get(port);
    if (!list) {
      list = [];
      this.byPort.set(port, list);
    }
    list.push(s);
    this.hashedAt.set(s, ++this.clock);
  }

  /** The socket's local address changed (connect): it moves to the head of the lookup order. */
  rehash(s: Socket): void {
    if (this.hashedAt.has(s)) this.hashedAt.set(s, ++this.clock);
  }

  /** The socket connected (again): it comes first among sockets with its 4-tuple. */
  connected(s: Socket): void {
    this.connectedAt.set(s, ++this.clock);
  }

  disconnected(s: Socket): void {
    this.connectedAt.delete(s);
  }

  /** Larger = first in line among equally good receivers (connected ones by connect order). */
  order(s: Socket): number {
    return (s.raddr ? this.connectedAt.get(s) : undefined) ?? this.hashedAt.get(s) ?? 0;
  }

  remove(s: Socket, port: number): void {
    const list = this.byPort.get(port);
    const i = list ? list.indexOf(s) : -1;
    if (list && i >= 0) {
      list.splice(i, 1);
      if (list.length === 0) this.byPort.delete(port);
    }
    this.hashedAt.delete(s);
    this.connectedAt.delete(s);
    this.pendingRefused.delete(s);
    this.receivedConnected.delete(s);
  }

  ports(): IterableIterator<number> {
    return this.byPort.keys();
  }
}
