/**
 * The userspace strategy: the connector picks the local port. The pair with the most headroom
 * hands out a port in O(1); the model binds and connects it first (the reservation: a "no" costs
 * no syscall); then the kernel's handshake, from exactly that port. EADDRINUSE / EADDRNOTAVAIL
 * from the kernel (another program got there first) put the port on hold and try the next one,
 * up to maxAttempts kernel refusals.
 */
import type net from 'node:net';
import type { ConnectContext, Target } from './connect-context.js';
import { dial } from './dial.js';
import { type Attempt, errnoName, isCollision } from './errors.js';
import { collisionsError, exhaustedError } from './give-up-errors.js';
import type { PortPool } from './port-pool.js';

export async function connectUserspace(ctx: ConnectContext, t: Target): Promise<net.Socket> {
  const { book, mirror } = ctx;
  const { dest, dport, family } = t;
  const attempts: Attempt[] = [];
  // Each pass either reaches the kernel (at most maxAttempts times) or moves one port on hold,
  // which can happen at most once per port of each pool: the loop is bounded.
  let guard = ctx.maxAttempts + book.portCount * book.sources.length + 1;
  let kernelTries = 0;
  while (guard-- > 0) {
    const now = ctx.clock();
    mirror.advance(now);
    const pair = book.pickSource(dest, dport, family, now);
    if (!pair) throw exhaustedError(book, ctx.clock, dest, dport, family, attempts);
    const pool = pair.pool as PortPool;
    const taken = pool.take(now, book.twRecyclable());
    if (!taken) throw exhaustedError(book, ctx.clock, dest, dport, family, attempts);
    const lport = taken.port;
    if (book.isBlocked(pair.source.text, lport, now)) {
      pool.give(lport, 'held', now);
      continue;
    }
    const conn = mirror.open(pair.source, lport, dest, dport);
    if ('ok' in conn) {
      // The model refused before any syscall (a socket it knows holds the port or the 4-tuple).
      attempts.push({
        localAddress: pair.source.text,
        localPort: lport,
        result: conn.errno,
        byModel: true,
      });
      pool.give(lport, 'held', now);
      continue;
    }
    pair.attempts++;
    kernelTries++;
    try {
      const socket = await dial({
        host: dest,
        port: dport,
        family,
        localAddress: pair.source.text,
        localPort: lport,
        timeoutMs: ctx.connectTimeout,
        signal: t.signal,
      });
      attempts.push({ localAddress: pair.source.text, localPort: lport, result: 'connected' });
      ctx.live.track(socket, { pair, port: lport, conn });
      return socket;
    } catch (err) {
      const at = ctx.clock();
      mirror.advance(at);
      mirror.end(conn, 'aborted');
      pair.failures++;
      const errno = errnoName(err);
      attempts.push({ localAddress: pair.source.text, localPort: lport, result: errno });
      if (isCollision(errno)) {
        // Someone else holds it: the whole source port (bind conflict) or this 4-tuple.
        pair.collisions++;
        if (errno === 'EADDRINUSE') book.block(pair.source.text, lport, at);
        pool.give(lport, 'held', at);
        if (kernelTries >= ctx.maxAttempts)
          throw collisionsError(dest, dport, attempts, ctx.maxAttempts, err);
        continue;
      }
      pool.give(lport, 'free', at);
      throw err;
    }
  }
  throw collisionsError(dest, dport, attempts, ctx.maxAttempts, null);
}
