/**
 * The socket calls behind Netns: each checks its arguments (socket-checks.ts), sends the call to
 * its protocol's module (tcp-*.ts, udp-*.ts) with the chooser its options ask for (choice.ts),
 * and shapes the result value.
 */
import type { Endpoint } from '../calls/index.js';
import type { Addr } from './addr.js';
import { type ChoiceOptions, chooser, traced, withTrace } from './choice.js';
import type { Core } from './core.js';
import type { Socket, SockId } from './entities.js';
import { type Failure, fail, type Result } from './result.js';
import type { Picker, TraceEvent } from './search.js';
import { badf, notStream, target, validPort } from './socket-checks.js';
import { bindTcp, listenTcp } from './tcp-bind.js';
import { acceptTcp, closeTcp } from './tcp-close.js';
import { connectTcp } from './tcp-connect.js';
import { disconnectTcp } from './tcp-disconnect.js';
import { bindUdp, closeUdp } from './udp-bind.js';
import { connectUdp, disconnectUdp, sendtoUdp } from './udp-connect.js';

/** What a call that may choose a port returns: the local end, and the trace when asked for. */
export type ChoiceResult = Result<Endpoint & { trace?: TraceEvent[] }>;

export function bindCall(
  core: Core,
  sock: SockId,
  addr: string,
  port: number,
  opts: ChoiceOptions,
): ChoiceResult {
  const t = target(core, sock, addr, port, 'R30');
  if ('ok' in t) return t;
  const { s, a } = t;
  const c = chooser(opts);
  const r = (s.proto === 'udp' ? bindUdp : bindTcp)(core, s, a, port, c.pick);
  if ('ok' in r) return withTrace(r, c.trace);
  return { ok: true, addr: s.laddr.text, port: r.port, ...traced(c.trace) };
}

export function listenCall(core: Core, sock: SockId, opts: ChoiceOptions): ChoiceResult {
  const s = core.socket(sock);
  if (!s?.userOpen) return badf(sock);
  if (s.proto === 'udp') return notStream();
  const c = chooser(opts);
  const r = listenTcp(core, s, c.pick);
  if ('ok' in r) return withTrace(r, c.trace);
  return { ok: true, addr: s.laddr.text, port: r.port, ...traced(c.trace) };
}

export function connectCall(
  core: Core,
  sock: SockId,
  addr: string,
  port: number,
  opts: ChoiceOptions | undefined,
): ChoiceResult {
  const s = core.socket(sock);
  if (!s?.userOpen) return badf(sock);
  const a = core.addrs.parse(addr);
  if (!a) return fail('EINVAL', 'R10', `not an IP address: ${addr}`);
  if (!validPort(port)) return fail('EINVAL', 'R10', `port out of range: ${port}`);
  if (s.proto === 'udp') return udpCall(core, s, connectUdp, a, port, opts);
  if (!opts || (opts.follow === undefined && !opts.trace)) {
    // The common case, kept free of extra allocations: connect() is what benchmarks hammer.
    const r = connectTcp(core, s, a, port);
    return 'ok' in r ? r : { ok: true, addr: r.laddr.text, port: r.lport };
  }
  const c = chooser(opts);
  const r = connectTcp(core, s, a, port, c.pick && ((plan) => c.pick?.(plan.phases) ?? null));
  if ('ok' in r) return withTrace(r, c.trace);
  return { ok: true, addr: r.laddr.text, port: r.lport, ...traced(c.trace) };
}

export function acceptCall(core: Core, sock: SockId): Result<{ sock: SockId; peer: Endpoint }> {
  const s = core.socket(sock);
  if (!s?.userOpen) return badf(sock);
  if (s.proto === 'udp') return notStream();
  const r = acceptTcp(core, s);
  if ('ok' in r) return r;
  const ch = r.child;
  const peer = ch.raddr ? { addr: ch.raddr, port: ch.rport } : core.formerPeers.get(ch);
  return { ok: true, sock: ch.id, peer: { addr: peer?.addr.text ?? '', port: peer?.port ?? 0 } };
}

export function closeCall(core: Core, sock: SockId, rst: boolean): Result {
  const s = core.socket(sock);
  if (!s?.userOpen) return badf(sock);
  if (s.proto === 'udp') closeUdp(core, s);
  else closeTcp(core, s, rst);
  return { ok: true };
}

/** The remote peer closed first (FIN, R60) or reset the connection (`rst`, R61): see Netns.remotePeerClosed. */
export function remotePeerClosedCall(core: Core, sock: SockId, rst: boolean): Result {
  const s = core.socket(sock);
  if (!s?.userOpen) return badf(sock);
  if (s.proto !== 'tcp' || (s.state !== 'ESTABLISHED' && s.state !== 'CLOSE_WAIT'))
    return fail('ENOTCONN', 'R60', `socket #${sock} is not a connected TCP socket`);
  if (s.peer || s.peerEntry)
    return fail('EINVAL', 'R60', `socket #${sock} is connected inside this namespace: close its peer`);
  core.rules.add(rst ? 'R61' : 'R60');
  if (rst) core.resetByPeer(s);
  else s.state = 'CLOSE_WAIT';
  return { ok: true };
}

export function sendtoCall(
  core: Core,
  sock: SockId,
  addr: string,
  port: number,
  opts: ChoiceOptions,
): ChoiceResult {
  const t = target(core, sock, addr, port, 'R94');
  if ('ok' in t) return t;
  const { s, a } = t;
  if (s.proto === 'udp') return udpCall(core, s, sendtoUdp, a, port, opts);
  if (s.state !== 'ESTABLISHED' && s.state !== 'CLOSE_WAIT')
    return fail('EPIPE', 'R94', 'a TCP socket sends only once connected');
  return { ok: true, addr: s.laddr.text, port: s.namePort };
}

export function disconnectCall(core: Core, sock: SockId): Result {
  const s = core.socket(sock);
  if (!s?.userOpen) return badf(sock);
  if (s.proto === 'udp') disconnectUdp(core, s);
  else disconnectTcp(core, s);
  return { ok: true };
}

export function getsocknameCall(core: Core, sock: SockId): Result<Endpoint> {
  const s = core.socket(sock);
  if (!s?.userOpen) return badf(sock);
  if (s.namePort !== s.lport) core.rules.add('R61'); // the port went back, getsockname still shows it
  if (s.laddr.wildcard && s.portLocked) core.rules.add('R21'); // the address is filled in at connect()
  return { ok: true, addr: s.laddr.text, port: s.namePort };
}

/** A UDP connect() or sendto(): autobinds first when the socket has no port (R90). */
function udpCall(
  core: Core,
  s: Socket,
  op: (core: Core, s: Socket, a: Addr, port: number, pick?: Picker) => Failure | null,
  a: Addr,
  port: number,
  opts: ChoiceOptions | undefined,
): ChoiceResult {
  const c = chooser(opts ?? {});
  const f = op(core, s, a, port, c.pick);
  if (f) return withTrace(f, c.trace);
  return { ok: true, addr: s.laddr.text, port: s.namePort, ...traced(c.trace) };
}
