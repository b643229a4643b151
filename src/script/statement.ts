/**
 * Parses one statement line into a call (with its expectation), a `repeat N {` opener or a
 * `} expect ...` closer. Socket names are reported as uses/creations; the line driver in parse.ts
 * checks them against what exists.
 */
import type { Call, ErrnoName, SocketKind, SockOptName, SockOptValue } from '../calls/index.js';
import { canonicalCidr, deliverEndProblem } from './addr.js';
import type { Expect, PortExpect } from './ast.js';
import { Cursor } from './cursor.js';
import {
  MAX_PORT,
  parseEndpointArg,
  parseErrno,
  parseExpect,
  parseMemberExpect,
  parsePortExpect,
} from './expect-parse.js';
import { parseRoute } from './route-statement.js';
import { parseGetOption, parseOptlen, parseOptvalExpect } from './sockopt-syntax.js';
import {
  CALL_OPS,
  DEFAULT_BACKLOG,
  DELIVER_PROTOS,
  PAIR_OPTIONS,
  RESERVED_WORDS,
  SCRIPT_SYSCTLS,
  SOCKET_KINDS,
  SOCKET_OPTIONS,
  STATEMENT_KEYWORDS,
  suggest,
} from './vocab.js';

export interface NameRef {
  readonly name: string;
  readonly col: number;
}

export type LineResult =
  | {
      kind: 'call';
      call: Call;
      expect: Expect;
      /** Column of the `=` of the expectation (for errors about it), else the statement's. */
      expectCol: number;
      trailing: string | null;
      uses: NameRef[];
      creates: NameRef | null;
      closes: NameRef | null;
    }
  | { kind: 'open'; max: number; trailing: string | null }
  | { kind: 'close'; expectCount: PortExpect | null; thenErrno: ErrnoName | null; trailing: string | null };

const MAX_UID = 4294967294;

/** Which results make sense for each call. */
function allowedExpect(op: Call['op'], e: Expect): string | null {
  if (e.kind === 'none') return null;
  if (op === 'sleep') return 'sleep has no result; remove the expectation';
  if (e.kind === 'optval') return op === 'getsockopt' ? null : `${op} returns no option value`;
  if (e.kind === 'member' || e.kind === 'members')
    return op === 'deliver' ? null : `${op} returns no socket; a socket name makes no sense here`;
  if (op === 'deliver' && e.kind !== 'ok' && e.kind !== 'errno')
    return 'deliver names the socket that received, like = srvB or = {srvA, srvB}, or -1 ERRNO';
  const portLike = ['bind', 'listen', 'connect', 'accept', 'getsockname', 'sendto'];
  if (e.kind === 'ok' || e.kind === 'errno' || portLike.includes(op)) return null;
  return `${op} returns 0 or -1 ERRNO; a port or address makes no sense here`;
}

export function parseStatement(text: string): LineResult {
  const c: Cursor = new Cursor(text);
  if (c.eat('}')) return parseClose(c);
  c.skipWs();
  const col = c.col;
  const w = c.word();
  if (w === '')
    c.fail(`expected a statement (a call, sysctl, addr, route, uid, sleep or repeat), ${c.found()}`);
  let call: Call;
  const uses: NameRef[] = [];
  let creates: NameRef | null = null;
  let closes: NameRef | null = null;
  const sock = (): string => {
    c.skipWs();
    const at = c.col;
    const name = c.word();
    if (name === '') c.fail(`expected a socket name, ${c.found()}`);
    uses.push({ name, col: at });
    return name;
  };
  if (w === 'sysctl') call = parseSysctl(c);
  else if (w === 'addr') {
    c.skipWs();
    const at = c.col;
    const raw = c.take(/[0-9A-Za-z.:/]/);
    if (raw === '') c.fail(`expected an address with a prefix length, like 10.0.0.1/24, ${c.found()}`);
    const cidr = canonicalCidr(raw);
    if (cidr === null)
      c.fail(`malformed address '${raw}': expected something like 10.0.0.1/24 or fd00::1/64`, at);
    call = { op: 'addr', cidr };
  } else if (w === 'route') call = parseRoute(c);
  else if (w === 'uid') call = { op: 'uid', uid: c.int('a uid', MAX_UID) };
  else if (w === 'sleep') call = { op: 'sleep', ms: parseDuration(c) };
  else if (w === 'repeat') {
    const max = c.int('a round count after repeat', MAX_ROUNDS, 'round count');
    if (max === 0) c.fail('a repeat needs at least 1 round', col + 'repeat '.length);
    c.expect('{', 'after the repeat count');
    return { kind: 'open', max, trailing: c.end("after '{'") };
  } else if (c.startsWith('=') && !c.startsWith('==')) {
    if (RESERVED_WORDS.includes(w)) c.fail(`'${w}' is a keyword and cannot name a socket`, col);
    c.expect('=', '');
    c.skipWs();
    const rcol = c.col;
    const rhs = c.word();
    if (rhs !== 'socket' && rhs !== 'accept')
      c.fail(`expected socket(KIND) or accept(SOCKET) after '${w} ='`, rcol);
    c.expect('(', `after ${rhs}`);
    if (rhs === 'socket') {
      c.skipWs();
      const kcol = c.col;
      const kind = c.word();
      if (!(SOCKET_KINDS as readonly string[]).includes(kind)) {
        c.fail(`unknown socket kind '${kind}' (known: ${SOCKET_KINDS.join(', ')})`, kcol);
      }
      call = { op: 'socket', name: w, kind: kind as SocketKind };
    } else {
      call = { op: 'accept', sock: sock(), name: w };
    }
    c.expect(')', `to close ${rhs}(`);
    creates = { name: w, col };
  } else if (c.startsWith('(')) {
    if (w === 'socket' || w === 'accept') c.fail(unnamed(w), col);
    if (!(CALL_OPS as readonly string[]).includes(w)) {
      c.fail(`unknown call ${w}() (known: socket, accept, ${CALL_OPS.join(', ')})`, col);
    }
    c.expect('(', '');
    if (w === 'deliver') call = parseDeliver(c);
    else
      call = parseSocketCall(c, w as Exclude<(typeof CALL_OPS)[number], 'deliver'>, sock, (n) => {
        closes = { name: n, col: uses[0]?.col ?? col };
      });
    c.expect(
      ')',
      call.op === 'bind' || call.op === 'connect' || call.op === 'sendto' || call.op === 'deliver'
        ? 'after the port'
        : `to close ${w}(`,
    );
  } else if ((CALL_OPS as readonly string[]).includes(w)) {
    // A call name without its parentheses: say what is missing, not "unknown statement".
    c.fail(`expected '(' after ${w}, ${c.found()}`);
  } else if (w === 'socket' || w === 'accept') {
    c.fail(unnamed(w), col);
  } else {
    const hint = suggest(w, [...CALL_OPS, ...STATEMENT_KEYWORDS]);
    c.fail(`unknown statement '${w}'${hint ? ` (did you mean ${hint}?)` : ''}`, col);
  }
  let expect: Expect = { kind: 'none' };
  c.skipWs();
  const expectCol = c.col;
  if (c.eat('=')) {
    expect =
      call.op === 'deliver'
        ? parseMemberExpect(c, uses)
        : call.op === 'getsockopt'
          ? parseOptvalExpect(c, call.opt)
          : parseExpect(c);
    const bad = allowedExpect(call.op, expect);
    if (bad !== null) c.fail(bad, expectCol);
  }
  const trailing = c.end('after the statement');
  return { kind: 'call', call, expect, expectCol, trailing, uses, creates, closes };
}

/** socket() and accept() create a socket, so the statement must name it. */
function unnamed(w: 'socket' | 'accept'): string {
  return `${w}() must name its socket, like \`c1 = ${w === 'socket' ? 'socket(tcp4)' : 'accept(srv)'}\``;
}

/** `deliver(tcp|udp, FROM_ADDR:PORT -> TO_ADDR:PORT`, up to the closing parenthesis. */
function parseDeliver(c: Cursor): Call {
  c.skipWs();
  const pcol = c.col;
  const proto = c.word();
  if (!(DELIVER_PROTOS as readonly string[]).includes(proto))
    c.fail(`expected tcp or udp as the first argument of deliver, found '${proto}'`, pcol);
  c.expect(',', 'after the protocol');
  c.skipWs();
  const fcol = c.col;
  const from = parseEndpointArg(c);
  c.skipWs();
  if (!c.eat('->')) c.fail(`expected '->' between the source and the destination, ${c.found()}`);
  c.skipWs();
  const tcol = c.col;
  const to = parseEndpointArg(c);
  const fromProblem = deliverEndProblem(from.addr, 'source');
  if (fromProblem !== null) c.fail(fromProblem, fcol);
  if (from.port === 0) c.fail('the source port of a delivery cannot be 0', fcol);
  const toProblem = deliverEndProblem(to.addr, 'destination');
  if (toProblem !== null) c.fail(toProblem, tcol);
  if (from.addr.includes(':') !== to.addr.includes(':'))
    c.fail('the source and the destination of a delivery must both be IPv4 or both IPv6', fcol);
  return { op: 'deliver', proto: proto as 'tcp' | 'udp', from, to };
}

/** The calls whose first argument is a socket, after that socket. */
function parseSocketCall(
  c: Cursor,
  w: Exclude<(typeof CALL_OPS)[number], 'deliver'>,
  sock: () => string,
  onClose: (name: string) => void,
): Call {
  const s = sock();
  let call: Call;
  switch (w) {
    case 'setsockopt': {
      c.expect(',', 'after the socket');
      const { opt, value, valueCol } = parseOption(c);
      const optlen = parseOptlen(c, opt);
      // Past a C int only with an explicit buffer: its low bytes are what the kernel reads.
      if (optlen === null && typeof value === 'number' && value > MAX_INT)
        c.fail(
          `option value ${value} is out of range 0..${MAX_INT} (a wider value needs 'optlen N')`,
          valueCol,
        );
      call = { op: 'setsockopt', sock: s, opt, value, ...(optlen === null ? {} : { optlen }) };
      break;
    }
    case 'getsockopt':
      c.expect(',', 'after the socket');
      call = { op: 'getsockopt', sock: s, opt: parseGetOption(c) };
      break;
    case 'bind':
    case 'connect':
    case 'sendto': {
      c.expect(',', 'after the socket');
      const ep = parseEndpointArg(c);
      call = { op: w, sock: s, addr: ep.addr, port: ep.port };
      break;
    }
    case 'disconnect':
      call = { op: 'disconnect', sock: s };
      break;
    case 'listen':
      call = {
        op: 'listen',
        sock: s,
        backlog: c.eat(',') ? c.int('a backlog', MAX_INT, 'backlog') : DEFAULT_BACKLOG,
      };
      break;
    case 'close': {
      let rst = false;
      if (c.eat(',')) {
        c.skipWs();
        const at = c.col;
        if (c.word() !== 'rst') c.fail("expected 'rst' (close(c, rst) closes with a reset)", at);
        rst = true;
      }
      call = { op: 'close', sock: s, rst };
      onClose(s);
      break;
    }
    case 'getsockname':
      call = { op: 'getsockname', sock: s };
      break;
  }
  return call;
}

function parseClose(c: Cursor): LineResult {
  let expectCount: PortExpect | null = null;
  let thenErrno: ErrnoName | null = null;
  c.skipWs();
  const at = c.col;
  const w = c.word();
  if (w === 'expect') {
    expectCount = parsePortExpect(c, 'count', Number.MAX_SAFE_INTEGER);
    c.skipWs();
    const at2 = c.col;
    const w2 = c.word();
    if (w2 === 'then') thenErrno = parseErrno(c, "after 'then'");
    else if (w2 !== '') c.fail(`expected 'then ERRNO' after the count, found '${w2}'`, at2);
  } else if (w === 'then') thenErrno = parseErrno(c, "after 'then'");
  else if (w !== '') c.fail(`expected 'expect COUNT' or 'then ERRNO' after '}', found '${w}'`, at);
  return { kind: 'close', expectCount, thenErrno, trailing: c.end('after the end of the repeat') };
}

function parseSysctl(c: Cursor): Call {
  c.skipWs();
  const col = c.col;
  const name = c.take(/[A-Za-z0-9_./-]/);
  if (name === '') c.fail(`expected a sysctl name like net.ipv4.ip_local_port_range, ${c.found()}`);
  if (!(SCRIPT_SYSCTLS as readonly string[]).includes(name)) {
    const hint = suggest(name, SCRIPT_SYSCTLS);
    c.fail(
      `unknown sysctl ${name}${hint ? ` (did you mean ${hint}?)` : ` (known: ${SCRIPT_SYSCTLS.join(', ')})`}`,
      col,
    );
  }
  c.expect('=', 'after the sysctl name');
  c.skipWs();
  let value: string;
  if (c.startsWith('"')) value = quoted(c);
  else {
    value = c.take(/[^=#"]/).trim();
    if (value === '') c.fail(`expected a value after '=' (write "" for an empty value), ${c.found()}`);
  }
  return { op: 'sysctl', name, value };
}

/** A double-quoted string with \" and \\ escapes. */
function quoted(c: Cursor): string {
  const col = c.col;
  c.i++;
  let out = '';
  while (c.i < c.text.length) {
    const ch = c.text[c.i++] ?? '';
    if (ch === '"') return out;
    if (ch === '\\') {
      const next = c.text[c.i++] ?? '';
      if (next !== '"' && next !== '\\')
        c.fail('only \\" and \\\\ may be escaped in a quoted value', c.col - 2);
      out += next;
    } else out += ch;
  }
  return c.fail("unterminated quoted value: expected a closing '\"'", col);
}

function parseOption(c: Cursor): { opt: SockOptName; value: SockOptValue; valueCol: number } {
  c.skipWs();
  const col = c.col;
  const opt = c.word();
  if (opt === '') c.fail(`expected a socket option name like SO_REUSEADDR, ${c.found()}`);
  if (!(SOCKET_OPTIONS as readonly string[]).includes(opt)) {
    const hint = suggest(opt, SOCKET_OPTIONS);
    c.fail(
      `unknown socket option ${opt}${hint ? ` (did you mean ${hint}?)` : ''} (known: ${SOCKET_OPTIONS.join(', ')})`,
      col,
    );
  }
  c.expect(',', 'after the option name');
  const o = opt as SockOptName;
  c.skipWs();
  const valueCol = c.col;
  // A flag's value may fill an 8-byte buffer (setsockopt with optlen); the caller bounds it to a
  // C int when no optlen follows.
  if (!PAIR_OPTIONS.includes(o))
    return { opt: o, value: c.int('an option value', MAX_OPTVAL, 'option value'), valueCol };
  const what = o === 'SO_LINGER' ? 'onoff seconds, like 1 0' : 'low high, like 40000 40010 (0 = open end)';
  const a = c.int(`two numbers (${what})`, o === 'SO_LINGER' ? MAX_INT : MAX_PORT, 'port');
  const b = c.int(`a second number (${what})`, o === 'SO_LINGER' ? MAX_INT : MAX_PORT, 'port');
  return { opt: o, value: [a, b], valueCol };
}

/**
 * Bounds of numbers, checked where they are parsed (a script never fails mid-run on a number it
 * could have refused): a sleep at most what the kernel backend allows (600 s), a repeat at most
 * 1,000,000 rounds (more than any range has ports; a run also stops a loop after 120 s), socket
 * option values and backlogs what a C int holds.
 */
export const MAX_SLEEP_MS = 600_000;
export const MAX_ROUNDS = 1_000_000;
export const MAX_INT = 2_147_483_647;
/** The largest value an option buffer carries here: 2^53 - 1, exact as a number (the helper takes up to 2^53). */
export const MAX_OPTVAL = Number.MAX_SAFE_INTEGER;

/** `1.2s`, `61s`, `200ms` -> milliseconds (whole numbers only), at most MAX_SLEEP_MS. */
function parseDuration(c: Cursor): number {
  c.skipWs();
  const col = c.col;
  const ms = parseDurationText(c);
  if (ms > MAX_SLEEP_MS)
    c.fail(
      `sleep is out of range: at most 600s (${MAX_SLEEP_MS}ms), the longest the kernel backend sleeps`,
      col,
    );
  return ms;
}

function parseDurationText(c: Cursor): number {
  c.skipWs();
  const col = c.col;
  const num = c.take(/[0-9.]/);
  const m = /^(\d+)(?:\.(\d+))?$/.exec(num);
  if (!m) c.fail(`expected a duration like 1.2s or 200ms, ${num === '' ? c.found() : `found '${num}'`}`, col);
  const unit = c.word();
  const whole = m[1] ?? '0';
  const frac = m[2] ?? '';
  // More digits than any allowed sleep has: out of range (and never an inexact Number).
  if (whole.length > 9) return Number.POSITIVE_INFINITY;
  if (unit === 'ms') {
    if (frac !== '') c.fail(`sleep ${num}ms is not a whole number of milliseconds`, col);
    return Number(whole);
  }
  if (unit !== 's')
    c.fail('expected a unit after the duration: s or ms (sleep 1.2s, sleep 200ms)', col + num.length);
  if (/[1-9]/.test(frac.slice(3))) c.fail(`sleep ${num}s is not a whole number of milliseconds`, col);
  return Number(whole) * 1000 + Number(frac.slice(0, 3).padEnd(3, '0'));
}
