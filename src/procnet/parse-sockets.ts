/**
 * Parsing of /proc/net/{tcp,tcp6,udp,udp6}, pure and streaming: the reader hands over raw bytes
 * chunk by chunk, this parser splits lines itself and reads every field straight from the bytes
 * (no per-line strings), so a million-line file is parsed in well under a second.
 *
 * Line shape (after the header line):
 *   `  sl: LOCAL:PORT REMOTE:PORT ST TXQ:RXQ TR:WHEN RETRNSMT UID TIMEOUT INODE ...`
 * addresses are 8 (IPv4) or 32 (IPv6) hex digits, 32-bit words in host byte order; ports and the
 * state are big hex numbers; `WHEN` is in 1/100 s. Everything after WHEN is ignored.
 *
 * A line it cannot read (truncated, a bad hex digit, an unknown state, an address of the wrong
 * length) never stops the parse: it is counted, and the first few are kept with their line number
 * and reason for the report.
 */
import type { AddressTable } from './addresses.js';
import type { SocketTable } from './socket-table.js';
import { MAX_STATE } from './tcp-states.js';

export interface UnreadableLine {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
  /** The line, cut to 120 characters. */
  readonly text: string;
}

export interface ParseIssues {
  unreadable: number;
  /** The first MAX_KEPT unreadable lines. */
  readonly examples: UnreadableLine[];
}

export const MAX_KEPT = 5;

const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX[65 + c] = 10 + c;
  HEX[97 + c] = 10 + c;
}

const SPACE = 32;
const COLON = 58;
const NL = 10;

class LineError {
  constructor(readonly reason: string) {}
}

/** Parses one file's bytes, fed in chunks; lines may straddle chunks. */
export class ProcNetParser {
  private carry: Uint8Array | null = null;
  private lineNo = 0;
  private pos = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private end = 0;

  constructor(
    readonly file: string,
    /** 4 for tcp/udp, 6 for tcp6/udp6. */
    readonly family: 4 | 6,
    readonly table: SocketTable,
    readonly addrs: AddressTable,
    readonly issues: ParseIssues,
  ) {}

  feed(chunk: Uint8Array): void {
    let data = chunk;
    if (this.carry !== null) {
      data = new Uint8Array(this.carry.length + chunk.length);
      data.set(this.carry);
      data.set(chunk, this.carry.length);
      this.carry = null;
    }
    let start = 0;
    for (;;) {
      const nl = data.indexOf(NL, start);
      if (nl < 0) break;
      this.line(data, start, nl);
      start = nl + 1;
    }
    if (start < data.length) this.carry = data.slice(start);
  }

  /** The last line may lack its newline. */
  finish(): void {
    if (this.carry !== null && this.carry.length > 0) this.line(this.carry, 0, this.carry.length);
    this.carry = null;
  }

  private line(data: Uint8Array, start: number, end: number): void {
    this.lineNo++;
    if (this.lineNo === 1) return; // the header
    this.buf = data;
    this.pos = start;
    this.end = end;
    try {
      this.skipSpaces();
      if (this.pos >= end) return; // a blank line is not a socket
      this.slot();
      const [lfam, laddr] = this.addr();
      this.expect(COLON, 'local port');
      const lport = this.hex(4, 'local port');
      this.expect(SPACE, 'remote address');
      this.skipSpaces();
      const [rfam, raddr] = this.addr();
      if (rfam !== lfam) throw new LineError('local and remote addresses of different lengths');
      this.expect(COLON, 'remote port');
      const rport = this.hex(4, 'remote port');
      this.expect(SPACE, 'state');
      this.skipSpaces();
      const state = this.hex(2, 'state');
      if (state < 1 || state > MAX_STATE) throw new LineError(`unknown state 0x${hex2(state)}`);
      this.expect(SPACE, 'tx_queue');
      this.skipSpaces();
      this.hex(8, 'tx_queue');
      this.expect(COLON, 'rx_queue');
      this.hex(8, 'rx_queue');
      this.expect(SPACE, 'timer');
      this.skipSpaces();
      const timer = this.hex(2, 'timer');
      this.expect(COLON, 'timer expiry');
      const when = this.hex(8, 'timer expiry');
      if (this.pos < end && this.buf[this.pos] !== SPACE && this.buf[this.pos] !== 13)
        throw new LineError('timer expiry longer than 8 hex digits');
      this.table.push(this.family, laddr, lport, raddr, rport, state, timer, when * 10);
    } catch (e) {
      if (!(e instanceof LineError)) throw e;
      this.unreadable(data, start, end, e.reason);
    }
  }

  private unreadable(data: Uint8Array, start: number, end: number, reason: string): void {
    this.issues.unreadable++;
    if (this.issues.examples.length >= MAX_KEPT) return;
    let text = '';
    for (let i = start; i < Math.min(end, start + 120); i++) text += String.fromCharCode(data[i] ?? 63);
    this.issues.examples.push({ file: this.file, line: this.lineNo, reason, text: text.trim() });
  }

  private skipSpaces(): void {
    while (this.pos < this.end && this.buf[this.pos] === SPACE) this.pos++;
  }

  private expect(c: number, what: string): void {
    if (this.pos >= this.end) throw new LineError(`line ends before the ${what}`);
    if (this.buf[this.pos] !== c)
      throw new LineError(`unexpected '${String.fromCharCode(this.buf[this.pos] ?? 0)}' before the ${what}`);
    this.pos++;
  }

  /** `  12:` */
  private slot(): void {
    let digits = 0;
    while (this.pos < this.end) {
      const c = this.buf[this.pos] ?? 0;
      if (c < 48 || c > 57) break;
      this.pos++;
      digits++;
    }
    if (digits === 0) throw new LineError('no slot number at the start of the line');
    this.expect(COLON, 'local address');
    this.skipSpaces();
  }

  /** Exactly `n` hex digits as a number (n <= 8). */
  private hex(n: number, what: string): number {
    if (this.pos + n > this.end) throw new LineError(`line ends inside the ${what}`);
    let v = 0;
    for (let i = 0; i < n; i++) {
      const d = HEX[this.buf[this.pos + i] ?? 0] ?? -1;
      if (d < 0) throw new LineError(`bad hex digit in the ${what}`);
      v = v * 16 + d;
    }
    this.pos += n;
    return v;
  }

  /** An address of 8 or 32 hex digits (counted up to the ':'), as [family, address id]. */
  private addr(): [4 | 6, number] {
    let n = 0;
    while (this.pos + n < this.end && this.buf[this.pos + n] !== COLON && this.buf[this.pos + n] !== SPACE)
      n++;
    if (n === 8) return [4, this.addrs.v4Id(this.hex(8, 'address'))];
    if (n === 32) {
      const w0 = this.hex(8, 'address');
      const w1 = this.hex(8, 'address');
      const w2 = this.hex(8, 'address');
      const w3 = this.hex(8, 'address');
      return [6, this.addrs.v6Id(w0, w1, w2, w3)];
    }
    if (this.pos + n >= this.end) throw new LineError('line ends inside an address');
    throw new LineError(`address of ${n} hex digits (8 for IPv4, 32 for IPv6)`);
  }
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

/** Parses a whole file's text at once (tests, small files). */
export function parseProcNetText(
  text: string,
  file: string,
  family: 4 | 6,
  table: SocketTable,
  addrs: AddressTable,
  issues: ParseIssues,
): void {
  const p = new ProcNetParser(file, family, table, addrs, issues);
  p.feed(new TextEncoder().encode(text));
  p.finish();
}
