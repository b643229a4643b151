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
 * length) never stops the parse: it is counted, and the first few are kept with their line number,
 * the column where reading stopped, and the reason for the report. The column is the byte the
 * reason is about: the bad digit, the unexpected character, the start of a field of the wrong
 * length, or, for a line cut short, the column just past its last character.
 */
import type { AddressTable } from './addresses.js';
import type { SocketTable } from './socket-table.js';
import { MAX_STATE } from './tcp-states.js';

export interface UnreadableLine {
  readonly file: string;
  readonly line: number;
  /** 1-based column (bytes from the line's start) where the line stops being readable. */
  readonly col: number;
  readonly reason: string;
  /**
   * The line, cut to 120 characters (leading spaces kept, so `col` points into it). When `col`
   * lies further in, the part of the line that ends 20 characters after it, marked by a leading
   * '...' (found by the fuzzer: a long line's excerpt used to end before its column).
   */
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
const CR = 13;

/**
 * The fields of the line being scanned. One scratch object, so the hot loop allocates nothing:
 * scanLine() fills it and returns null, or returns why the line cannot be read.
 */
interface Scan {
  pos: number;
  /** Address words: [0] for IPv4, [0..3] for IPv6. */
  readonly l: Float64Array;
  readonly r: Float64Array;
  lwords: number;
  rwords: number;
  lport: number;
  rport: number;
  state: number;
  timer: number;
  when: number;
}

const BLANK = 'blank';

/** `n` hex digits at `pos` as a number, or -1 (n <= 8, so the value is exact). */
function hexAt(buf: Uint8Array, pos: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = HEX[buf[pos + i] ?? 0] ?? -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

function skipSpaces(buf: Uint8Array, pos: number, end: number): number {
  let p = pos;
  while (p < end && buf[p] === SPACE) p++;
  return p;
}

/** The first of `n` bytes at `pos` that is not a hex digit (pos + n when all are). */
function firstNonHex(buf: Uint8Array, pos: number, n: number): number {
  let p = pos;
  while (p < pos + n && (HEX[buf[p] ?? 0] ?? -1) >= 0) p++;
  return p;
}

/**
 * `n` hex digits at sc.pos, advancing. Otherwise -2 when the line ends first (sc.pos left at the
 * line's end) or -1 for a bad digit (sc.pos left on it).
 */
function field(buf: Uint8Array, sc: Scan, end: number, n: number): number {
  if (sc.pos + n > end) {
    sc.pos = end;
    return -2;
  }
  const v = hexAt(buf, sc.pos, n);
  if (v >= 0) sc.pos += n;
  else sc.pos = firstNonHex(buf, sc.pos, n);
  return v;
}

function fieldError(code: number, what: string): string {
  return code === -2 ? `line ends inside the ${what}` : `bad hex digit in the ${what}`;
}

/**
 * An address of 8 or 32 hex digits up to the ':'; returns the word count or an error, with sc.pos
 * on the address's start (wrong length), the bad digit, or the line's end.
 */
function address(buf: Uint8Array, sc: Scan, end: number, words: Float64Array): number | string {
  let n = 0;
  while (sc.pos + n < end && buf[sc.pos + n] !== COLON && buf[sc.pos + n] !== SPACE) n++;
  if (n !== 8 && n !== 32) {
    if (sc.pos + n >= end) {
      sc.pos = end;
      return 'line ends inside an address';
    }
    return `address of ${n} hex digits (8 for IPv4, 32 for IPv6)`;
  }
  for (let w = 0; w < n / 8; w++) {
    const v = hexAt(buf, sc.pos, 8);
    if (v < 0) {
      sc.pos = firstNonHex(buf, sc.pos, 8);
      return 'bad hex digit in the address';
    }
    words[w] = v;
    sc.pos += 8;
  }
  return n / 8;
}

function expect(buf: Uint8Array, sc: Scan, end: number, c: number, what: string): string | null {
  if (sc.pos >= end) return `line ends before the ${what}`;
  if (buf[sc.pos] !== c) return `unexpected '${String.fromCharCode(buf[sc.pos] ?? 0)}' before the ${what}`;
  sc.pos++;
  return null;
}

/**
 * Reads one data line into `sc`: null when readable, BLANK for a blank line, else the reason, with
 * sc.pos on the byte the reason is about.
 */
function scanLine(buf: Uint8Array, start: number, end: number, sc: Scan): string | null {
  let p = skipSpaces(buf, start, end);
  if (p >= end) return BLANK;
  const slotStart = p;
  while (p < end && (buf[p] ?? 0) >= 48 && (buf[p] ?? 0) <= 57) p++;
  sc.pos = p;
  if (p === slotStart) return 'no slot number at the start of the line';
  let e = expect(buf, sc, end, COLON, 'local address');
  if (e !== null) return e;
  sc.pos = skipSpaces(buf, sc.pos, end);
  const lw = address(buf, sc, end, sc.l);
  if (typeof lw === 'string') return lw;
  sc.lwords = lw;
  e = expect(buf, sc, end, COLON, 'local port');
  if (e !== null) return e;
  sc.lport = field(buf, sc, end, 4);
  if (sc.lport < 0) return fieldError(sc.lport, 'local port');
  e = expect(buf, sc, end, SPACE, 'remote address');
  if (e !== null) return e;
  sc.pos = skipSpaces(buf, sc.pos, end);
  const remoteStart = sc.pos;
  const rw = address(buf, sc, end, sc.r);
  if (typeof rw === 'string') return rw;
  if (rw !== lw) {
    sc.pos = remoteStart;
    return 'local and remote addresses of different lengths';
  }
  sc.rwords = rw;
  e = expect(buf, sc, end, COLON, 'remote port');
  if (e !== null) return e;
  sc.rport = field(buf, sc, end, 4);
  if (sc.rport < 0) return fieldError(sc.rport, 'remote port');
  e = expect(buf, sc, end, SPACE, 'state');
  if (e !== null) return e;
  sc.pos = skipSpaces(buf, sc.pos, end);
  sc.state = field(buf, sc, end, 2);
  if (sc.state < 0) return fieldError(sc.state, 'state');
  if (sc.state < 1 || sc.state > MAX_STATE) {
    sc.pos -= 2;
    return `unknown state 0x${hex2(sc.state)}`;
  }
  e = expect(buf, sc, end, SPACE, 'tx_queue');
  if (e !== null) return e;
  sc.pos = skipSpaces(buf, sc.pos, end);
  const tx = field(buf, sc, end, 8);
  if (tx < 0) return fieldError(tx, 'tx_queue');
  e = expect(buf, sc, end, COLON, 'rx_queue');
  if (e !== null) return e;
  const rx = field(buf, sc, end, 8);
  if (rx < 0) return fieldError(rx, 'rx_queue');
  e = expect(buf, sc, end, SPACE, 'timer');
  if (e !== null) return e;
  sc.pos = skipSpaces(buf, sc.pos, end);
  sc.timer = field(buf, sc, end, 2);
  if (sc.timer < 0) return fieldError(sc.timer, 'timer');
  e = expect(buf, sc, end, COLON, 'timer expiry');
  if (e !== null) return e;
  sc.when = field(buf, sc, end, 8);
  if (sc.when < 0) return fieldError(sc.when, 'timer expiry');
  if (sc.pos < end && buf[sc.pos] !== SPACE && buf[sc.pos] !== CR)
    return 'timer expiry longer than 8 hex digits';
  return null;
}

/**
 * What one file held, to tell a real copy of /proc from a broken one: `tar` and `cp -r` of /proc
 * give size-0 files (procfs reports size 0), and a wrong file gives no readable line at all.
 */
export interface FileStats {
  readonly file: string;
  bytes: number;
  /** Data lines (after the header), blank ones not counted. */
  dataLines: number;
  /** Of them, read into the table. */
  parsed: number;
  /** Whether the first line is the kernel's header (`sl  local_address rem_address ...`). */
  header: boolean;
}

const HEADER_RE = /^\s*sl\s+local_address\s+rem(ote)?_address\s+st\b/;

/** Parses one file's bytes, fed in chunks; lines may straddle chunks. */
export class ProcNetParser {
  private carry: Uint8Array | null = null;
  private lineNo = 0;
  readonly stats: FileStats;
  private readonly sc: Scan = {
    pos: 0,
    l: new Float64Array(4),
    r: new Float64Array(4),
    lwords: 0,
    rwords: 0,
    lport: 0,
    rport: 0,
    state: 0,
    timer: 0,
    when: 0,
  };

  constructor(
    readonly file: string,
    /** 4 for tcp/udp, 6 for tcp6/udp6. */
    readonly family: 4 | 6,
    readonly table: SocketTable,
    readonly addrs: AddressTable,
    readonly issues: ParseIssues,
  ) {
    this.stats = { file, bytes: 0, dataLines: 0, parsed: 0, header: false };
  }

  feed(chunk: Uint8Array): void {
    this.stats.bytes += chunk.length;
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
    if (this.lineNo === 1) {
      let head = '';
      for (let i = start; i < Math.min(end, start + 200); i++) head += String.fromCharCode(data[i] ?? 63);
      this.stats.header = HEADER_RE.test(head);
      return;
    }
    const sc = this.sc;
    const why = scanLine(data, start, end, sc);
    if (why !== BLANK) this.stats.dataLines++;
    if (why === null) {
      this.stats.parsed++;
      const laddr = this.addrId(sc.l, sc.lwords, this.lastL);
      const raddr = this.addrId(sc.r, sc.rwords, this.lastR);
      this.table.push(this.family, laddr, sc.lport, raddr, sc.rport, sc.state, sc.timer, sc.when * 10);
    } else if (why !== BLANK) this.unreadable(data, start, end, sc.pos - start + 1, why);
  }

  /** Consecutive lines mostly share their addresses: remembering the last one per side saves most lookups. */
  private readonly lastL = { word: -1, id: -1 };
  private readonly lastR = { word: -1, id: -1 };

  private addrId(w: Float64Array, words: number, last: { word: number; id: number }): number {
    if (words === 1) {
      const word = w[0] ?? 0;
      if (word !== last.word) {
        last.word = word;
        last.id = this.addrs.v4Id(word);
      }
      return last.id;
    }
    return this.addrs.v6Id(w[0] ?? 0, w[1] ?? 0, w[2] ?? 0, w[3] ?? 0);
  }

  private unreadable(data: Uint8Array, start: number, end: number, col: number, reason: string): void {
    this.issues.unreadable++;
    if (this.issues.examples.length >= MAX_KEPT) return;
    let text = '';
    const from = col > 120 ? start + col - 100 : start;
    for (let i = from; i < Math.min(end, from + 120); i++) text += String.fromCharCode(data[i] ?? 63);
    if (from > start) text = `...${text}`;
    this.issues.examples.push({ file: this.file, line: this.lineNo, col, reason, text: text.trimEnd() });
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
