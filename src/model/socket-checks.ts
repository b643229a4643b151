/** The argument checks every socket call starts with, and the failures they give. */
import type { Addr } from './addr.js';
import type { Core } from './core.js';
import type { Socket, SockId } from './entities.js';
import { type Failure, fail, type RuleId } from './result.js';

export function validPort(p: number): boolean {
  return Number.isInteger(p) && p >= 0 && p <= 65535;
}

/** No open descriptor by that number (closed, never made, or a child not yet accepted). */
export function badf(sock: SockId): Failure {
  return fail('EBADF', 'D2', `no open socket #${sock}`);
}

export function notStream(): Failure {
  return fail('EOPNOTSUPP', 'R94', 'listen() and accept() are for TCP sockets; this one is UDP');
}

/** The open socket and the parsed address of a call that names ADDR:PORT; `rule` decides a bad argument. */
export function target(
  core: Core,
  sock: SockId,
  addr: string,
  port: number,
  rule: RuleId,
): Failure | { s: Socket; a: Addr } {
  const s = core.socket(sock);
  if (!s?.userOpen) return badf(sock);
  const a = core.addrs.parse(addr);
  if (!a) return fail('EINVAL', rule, `not an IP address: ${addr}`);
  if (!validPort(port)) return fail('EINVAL', rule, `port out of range: ${port}`);
  return { s, a };
}
