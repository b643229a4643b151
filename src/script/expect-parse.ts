/**
 * Parsing of results: what follows `=` after a call, ports, ranges, sets and endpoints, and the
 * counts of `} expect COUNT then ERRNO`.
 */

import { type ErrnoName, isKnownErrno } from '../calls/index.js';
import { canonicalV4, canonicalV6 } from './addr.js';
import type { Expect, PortExpect } from './ast.js';
import type { Cursor } from './cursor.js';
import type { NameRef } from './statement.js';
import { ERRNO_NAMES, suggest } from './vocab.js';

export const MAX_PORT = 65535;

/** An errno name such as EADDRINUSE, validated against ERRNO_NAMES. */
export function parseErrno(c: Cursor, context: string): ErrnoName {
  c.skipWs();
  const col = c.col;
  const name = c.word();
  if (name === '') c.fail(`expected an errno name ${context} (like EADDRINUSE), ${c.found()}`);
  if (!isKnownErrno(name)) {
    const hint = suggest(name, ERRNO_NAMES);
    c.fail(`unknown errno ${name}${hint ? ` (did you mean ${hint}?)` : ''}`, col);
  }
  return name;
}

/** `40000`, `40000..40003` or `{40000, 40002}`; `what` is "port" or "count". */
export function parsePortExpect(c: Cursor, what: 'port' | 'count', max: number): PortExpect {
  if (c.eat('{')) {
    const ports: number[] = [];
    do {
      c.skipWs();
      const col = c.col;
      const p = c.int(`a ${what} in the set`, max, what);
      if (ports.includes(p)) c.fail(`${what} ${p} appears twice in the set`, col);
      ports.push(p);
    } while (c.eat(','));
    c.expect('}', `to close the set of ${what}s`);
    return { kind: 'set', ports };
  }
  c.skipWs();
  const col = c.col;
  const lo = c.int(`a ${what}`, max);
  if (!c.eat('..')) return { kind: 'port', port: lo };
  const hi = c.int(`the upper end of the range after '..'`, max, what);
  if (hi < lo) c.fail(`empty range ${lo}..${hi}: the upper end is below the lower end`, col);
  return { kind: 'range', lo, hi };
}

const EXPECT_HELP =
  '0, -1 ERRNO, a port (40000), a range (40000..40003), a set ({40000, 40002}) or an address:port';

/** Parses what follows the `=` of a call. */
export function parseExpect(c: Cursor): Expect {
  c.skipWs();
  const col = c.col;
  if (c.eat('-1')) return { kind: 'errno', errno: parseErrno(c, "after '-1'") };
  if (c.startsWith('{')) return parsePortExpect(c, 'port', MAX_PORT);
  if (c.startsWith('[')) {
    const addr = bracketedV6(c);
    c.expect(':', 'between the address and the port');
    return { kind: 'endpoint', addr, port: parsePortExpect(c, 'port', MAX_PORT) };
  }
  const run = c.take(/[0-9.]/);
  if (run === '') c.fail(`expected a result after '=': ${EXPECT_HELP}; ${c.found()}`);
  if (/^\d+$/.test(run) || /^\d+\.\./.test(run)) {
    c.i -= run.length;
    const p = parsePortExpect(c, 'port', MAX_PORT);
    return p.kind === 'port' && p.port === 0 ? { kind: 'ok' } : p;
  }
  const addr = canonicalV4(run);
  if (addr === null) c.fail(`malformed result '${run}': expected ${EXPECT_HELP}`, col);
  c.expect(':', 'between the address and the port');
  return { kind: 'endpoint', addr, port: parsePortExpect(c, 'port', MAX_PORT) };
}

/**
 * What follows the `=` of a deliver: `-1 ERRNO`, `0`, a socket name or a set of them. The names
 * are reported in `uses`, so the line driver checks that they exist.
 */
export function parseMemberExpect(c: Cursor, uses: NameRef[]): Expect {
  c.skipWs();
  if (c.eat('-1')) return { kind: 'errno', errno: parseErrno(c, "after '-1'") };
  const name = (): string => {
    c.skipWs();
    const col = c.col;
    const n = c.word();
    if (n === '') c.fail(`expected the name of the socket that receives, like srvB, ${c.found()}`);
    uses.push({ name: n, col });
    return n;
  };
  if (c.eat('{')) {
    const names: string[] = [];
    do {
      c.skipWs();
      const col = c.col;
      const n = name();
      if (names.includes(n)) c.fail(`socket ${n} appears twice in the set`, col);
      names.push(n);
    } while (c.eat(','));
    c.expect('}', 'to close the set of sockets');
    return { kind: 'members', names };
  }
  if (c.eat('0')) return { kind: 'ok' };
  return { kind: 'member', name: name() };
}

/** `[v6]`, returning the canonical address without brackets. */
export function bracketedV6(c: Cursor): string {
  c.expect('[', 'before an IPv6 address');
  const col = c.col;
  const text = c.take(/[^\]\s#]/);
  const addr = canonicalV6(text);
  if (addr === null) c.fail(`malformed IPv6 address '${text}'`, col);
  c.expect(']', 'after the IPv6 address');
  return addr;
}

/** `127.0.0.1:5000` or `[::1]:5000` as a call argument. */
export function parseEndpointArg(c: Cursor): { addr: string; port: number } {
  c.skipWs();
  let addr: string;
  if (c.startsWith('[')) {
    addr = bracketedV6(c);
  } else {
    const col = c.col;
    const run = c.take(/[0-9A-Za-z._-]/);
    const v4 = canonicalV4(run);
    if (v4 === null) {
      if (c.text[c.i] === ':' && /^[0-9a-fA-F]*$/.test(run)) {
        c.fail('IPv6 addresses go in brackets, like [::1]:5000', col);
      }
      c.fail(
        `expected an IPv4 address like 127.0.0.1 or an IPv6 address in brackets like [::1], found '${run || c.text.slice(c.i, c.i + 1)}'`,
        col,
      );
    }
    addr = v4;
  }
  c.expect(':', 'between the address and the port');
  const port = c.int('a port', MAX_PORT);
  return { addr, port };
}
