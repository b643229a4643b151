/**
 * Checking one Outcome against one expectation. Shared by the single-backend runner and (later)
 * the differential runner. Addresses are compared in canonical form, so a backend that reports
 * `::FFFF:127.0.0.1` matches a script that wrote `[::ffff:127.0.0.1]`.
 */

import type { Call, Outcome } from '../calls/index.js';
import { canonicalAddr, endpointText } from '../script/addr.js';
import type { Expect, PortExpect } from '../script/ast.js';
import { printExpect } from '../script/print.js';
import { printOptval, sameOptval } from '../script/sockopt-syntax.js';

export interface Check {
  readonly pass: boolean;
  /** '' when the expectation held; else what was expected and what came back. */
  readonly message: string;
}

export function portMatches(p: PortExpect, port: number): boolean {
  switch (p.kind) {
    case 'port':
      return port === p.port;
    case 'range':
      return p.lo <= port && port <= p.hi;
    case 'set':
      return p.ports.includes(port);
  }
}

/** The result as a script would write it: `-1 EADDRINUSE`, `40000`, `127.0.0.1:40000`, `0`. */
export function printOutcome(call: Call, o: Outcome): string {
  if (!o.ok) return `-1 ${o.errno}`;
  if (call.op === 'deliver') return o.member ?? '0';
  if (call.op === 'getsockopt') return o.optval === undefined ? '0' : printOptval(o.optval);
  if (call.op === 'accept' && o.peer)
    return endpointText(canonicalAddr(o.peer.addr) ?? o.peer.addr, o.peer.port);
  if (o.port === undefined) return '0';
  if (o.addr === undefined) return `${o.port}`;
  return endpointText(canonicalAddr(o.addr) ?? o.addr, o.port);
}

/** The (address, port) an expectation on this call refers to: the peer for accept, else local. */
function subject(
  call: Call,
  o: Outcome & { ok: true },
): { addr: string | undefined; port: number | undefined } {
  if (call.op === 'accept') return { addr: o.peer?.addr, port: o.peer?.port };
  return { addr: o.addr, port: o.port };
}

export function matchExpect(call: Call, expect: Expect, o: Outcome): Check {
  const good: Check = { pass: true, message: '' };
  const bad = (why = ''): Check => ({
    pass: false,
    message: `expected ${printExpect(expect)}, got ${printOutcome(call, o)}${why}`,
  });
  switch (expect.kind) {
    case 'none':
      return good;
    case 'ok':
      return o.ok ? good : bad();
    case 'errno':
      return !o.ok && o.errno === expect.errno ? good : bad();
    case 'optval':
      if (!o.ok) return bad();
      return sameOptval(o.optval, expect.value) ? good : bad();
    case 'member':
    case 'members': {
      if (!o.ok) return bad();
      if (o.member === undefined) return bad(' (the backend reported no receiving socket)');
      const names = expect.kind === 'member' ? [expect.name] : expect.names;
      return names.includes(o.member) ? good : bad();
    }
    default: {
      if (!o.ok) return bad();
      const { addr, port } = subject(call, o);
      const what = call.op === 'accept' ? 'peer' : 'local';
      if (port === undefined) return bad(` (the backend reported no ${what} port)`);
      if (expect.kind !== 'endpoint') return portMatches(expect, port) ? good : bad();
      if (addr === undefined) return bad(` (the backend reported no ${what} address)`);
      const same = (canonicalAddr(addr) ?? addr) === expect.addr;
      if (!same) return bad(` (${what} address differs)`);
      return portMatches(expect.port, port) ? good : bad();
    }
  }
}
