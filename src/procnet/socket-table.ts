/**
 * The sockets of one /proc snapshot as columns (structure of arrays): a million sockets are a few
 * typed arrays, not a million objects, so reading and analysing them stays fast and small.
 * Addresses are ids into the snapshot's AddressTable.
 */

export type Proto = 'tcp' | 'udp';

export class SocketTable {
  count = 0;
  laddr = new Uint32Array(1024);
  lport = new Uint16Array(1024);
  raddr = new Uint32Array(1024);
  rport = new Uint16Array(1024);
  state = new Uint8Array(1024);
  /** 4 for tcp/udp, 6 for tcp6/udp6 (a v4-mapped socket is 6 with IPv4 address ids). */
  family = new Uint8Array(1024);
  /** The `tr` column: 3 is the TIME_WAIT timer. */
  timer = new Uint8Array(1024);
  /** The `tm->when` column in milliseconds (the file prints 1/100 s). */
  whenMs = new Float64Array(1024);

  constructor(readonly proto: Proto) {}

  push(
    family: number,
    laddr: number,
    lport: number,
    raddr: number,
    rport: number,
    state: number,
    timer: number,
    whenMs: number,
  ): void {
    if (this.count === this.laddr.length) this.grow();
    const i = this.count++;
    this.family[i] = family;
    this.laddr[i] = laddr;
    this.lport[i] = lport;
    this.raddr[i] = raddr;
    this.rport[i] = rport;
    this.state[i] = state;
    this.timer[i] = timer;
    this.whenMs[i] = whenMs;
  }

  private grow(): void {
    const n = this.laddr.length * 2;
    const up = <T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(
      a: T,
      make: (n: number) => T,
    ) => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.laddr = up(this.laddr, (k) => new Uint32Array(k));
    this.lport = up(this.lport, (k) => new Uint16Array(k));
    this.raddr = up(this.raddr, (k) => new Uint32Array(k));
    this.rport = up(this.rport, (k) => new Uint16Array(k));
    this.state = up(this.state, (k) => new Uint8Array(k));
    this.family = up(this.family, (k) => new Uint8Array(k));
    this.timer = up(this.timer, (k) => new Uint8Array(k));
    this.whenMs = up(this.whenMs, (k) => new Float64Array(k));
  }
}
