/**
 * The strategies where the kernel picks the local port, and the model follows after the
 * handshake:
 *  - bind: bind(source, 0) then connect(); the kernel picks from the source's whole range (R23),
 *    one port per connection per source;
 *  - no-port: IP_BIND_ADDRESS_NO_PORT + bind(source, 0), then connect(); the kernel picks per
 *    destination (R22), so each source gives a whole ip_local_port_range to each destination.
 * Both retry a kernel refusal (EADDRINUSE / EADDRNOTAVAIL) the same way: kernelPicksAttempt.
 */
import type net from 'node:net';
import type { Failure } from '../model/index.js';
import type { ConnectContext, Target } from './connect-context.js';
import { dial } from './dial.js';
import { type Attempt, errnoName, isCollision } from './errors.js';
import { collisionsError, exhaustedError } from './give-up-errors.js';
import type { MirrorConn } from './mirror.js';
import type { NoPortAddon } from './noport.js';
import type { Pair } from './pairs.js';

/** bind(source, 0) then connect(): the kernel picks (R23): one port of the range per connection per source. */
export async function connectBind(ctx: ConnectContext, t: Target): Promise<net.Socket> {
  const attempts: Attempt[] = [];
  for (let tries = 0; tries < ctx.maxAttempts; tries++) {
    const now = ctx.clock();
    ctx.mirror.advance(now);
    const pair = ctx.book.pickSource(t.dest, t.dport, t.family, now);
    if (!pair) throw exhaustedError(ctx.book, ctx.clock, t.dest, t.dport, t.family, attempts);
    const socket = await kernelPicksAttempt(ctx, t, pair, attempts, {
      follow: (lport) => {
        const conn = ctx.mirror.open(pair.source, 0, t.dest, t.dport, lport);
        // The kernel connected where the model says it could not: keep the socket, note it.
        if ('ok' in conn && conn.step === 'connect') ctx.mirror.divergences++;
        return conn;
      },
    });
    if (socket) return socket;
  }
  throw collisionsError(t.dest, t.dport, attempts, ctx.maxAttempts, null);
}

/**
 * IP_BIND_ADDRESS_NO_PORT + bind(source, 0), then connect(): the kernel picks the port per
 * destination (R22). EADDRNOTAVAIL means that source is full towards this destination: the
 * next source is tried.
 */
export async function connectNoPort(ctx: ConnectContext, t: Target, addon: NoPortAddon): Promise<net.Socket> {
  const attempts: Attempt[] = [];
  const tried = new Set<string>();
  for (let tries = 0; tries < ctx.maxAttempts; tries++) {
    const now = ctx.clock();
    ctx.mirror.advance(now);
    const pair = ctx.book.pickSource(t.dest, t.dport, t.family, now, {
      exclude: tried,
      evenWithoutHeadroom: true,
    });
    if (!pair) break;
    tried.add(pair.source.text);
    const socket = await kernelPicksAttempt(ctx, t, pair, attempts, {
      bindFd: () => addon.bindNoPort(pair.source.text),
      // openNoPort counts its own divergences (a port the model thinks impossible).
      follow: (lport) => ctx.mirror.openNoPort(pair.source, t.dest, t.dport, lport),
    });
    if (socket) return socket;
  }
  throw exhaustedError(ctx.book, ctx.clock, t.dest, t.dport, t.family, attempts);
}

interface KernelPicksSteps {
  /** No-port: a descriptor already bound to the source without a port (R22). */
  readonly bindFd?: () => number;
  /** The model follows the port the kernel chose; a Failure when it cannot (not mirrored). */
  readonly follow: (kernelPort: number) => MirrorConn | Failure;
}

/**
 * One handshake from `pair`'s source, the kernel picking the port: the connected socket, or
 * null after a kernel refusal (EADDRINUSE / EADDRNOTAVAIL: another program got there first, so
 * the caller tries again). Any other error is thrown as it came.
 */
async function kernelPicksAttempt(
  ctx: ConnectContext,
  t: Target,
  pair: Pair,
  attempts: Attempt[],
  steps: KernelPicksSteps,
): Promise<net.Socket | null> {
  pair.attempts++;
  pair.bindInUse++;
  let socket: net.Socket;
  try {
    const fd = steps.bindFd?.();
    socket = await dial({
      host: t.dest,
      port: t.dport,
      family: t.family,
      localAddress: pair.source.text,
      timeoutMs: ctx.connectTimeout,
      signal: t.signal,
      ...(fd === undefined ? {} : { fd }),
    });
  } catch (err) {
    pair.bindInUse--;
    pair.failures++;
    const errno = errnoName(err);
    attempts.push({ localAddress: pair.source.text, localPort: 0, result: errno });
    if (isCollision(errno)) {
      pair.collisions++;
      return null;
    }
    throw err;
  }
  const lport = socket.localPort ?? 0;
  ctx.mirror.advance(ctx.clock());
  const conn = steps.follow(lport);
  if ('ok' in conn) {
    pair.bindInUse--;
    ctx.live.trackUnmirrored(socket);
    return socket;
  }
  attempts.push({ localAddress: pair.source.text, localPort: lport, result: 'connected' });
  ctx.live.track(socket, { pair, port: lport, conn });
  return socket;
}
