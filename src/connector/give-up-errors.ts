/**
 * The two errors a connect() ends with when it gives up: no port left towards the destination
 * (with the model's reason: what holds them, which rule), or too many kernel refusals in a row
 * (another program takes the ports).
 */
import { fmtDest } from './destination.js';
import { type Attempt, ConnectorError } from './errors.js';
import type { PairBook } from './pair-book.js';
import { exhaustedReason } from './reason.js';

/** PORTSPACE_PORTS_EXHAUSTED: every source of the family is full towards dest. */
export function exhaustedError(
  book: PairBook,
  now: () => number,
  dest: string,
  dport: number,
  family: 4 | 6,
  attempts: Attempt[],
): ConnectorError {
  const rows = book.sources
    .filter((s) => s.family === family)
    .map((s) => {
      const p = book.pair(s, dest, dport, now());
      return {
        source: s.text,
        free: book.headroom(p),
        capacity: book.capacity(p),
        inUse: p.inUse,
        timeWait: p.timeWait,
        onHold: p.pool?.onHold ?? 0,
        bindHeld: p.pool || book.strategy === 'no-port' ? null : book.bindHeld(s.text),
      };
    });
  const r = exhaustedReason(dest, dport, rows, {
    strategy: book.strategy,
    timestamps: book.sysctls.timestamps,
    hostRange: book.sysctls.range,
  });
  const last = attempts[attempts.length - 1];
  return new ConnectorError(
    'PORTSPACE_PORTS_EXHAUSTED',
    `connect EADDRNOTAVAIL ${fmtDest(dest, dport)}: ${r.text}`,
    {
      errno: 'EADDRNOTAVAIL',
      syscall: 'connect',
      address: dest,
      port: dport,
      ...(last ? { localAddress: last.localAddress, localPort: last.localPort } : {}),
      attempts,
      rule: r.rule,
    },
  );
}

/** PORTSPACE_TOO_MANY_COLLISIONS: the kernel refused maxAttempts ports in a row. */
export function collisionsError(
  dest: string,
  dport: number,
  attempts: Attempt[],
  maxAttempts: number,
  cause: unknown,
): ConnectorError {
  const last = attempts[attempts.length - 1];
  const tries = attempts.filter((a) => !a.byModel).length;
  return new ConnectorError(
    'PORTSPACE_TOO_MANY_COLLISIONS',
    `connect ${last?.result ?? 'EADDRNOTAVAIL'} ${fmtDest(dest, dport)}: the kernel refused ${tries} ports in a row (${attempts
      .filter((a) => !a.byModel)
      .map((a) => `${a.localAddress}:${a.localPort} ${a.result}`)
      .join(
        ', ',
      )}); another program holds them. Give each process its own share (shard) or raise maxAttempts (${maxAttempts})`,
    {
      errno: last?.result === 'EADDRINUSE' ? 'EADDRINUSE' : 'EADDRNOTAVAIL',
      syscall: 'connect',
      address: dest,
      port: dport,
      ...(last ? { localAddress: last.localAddress, localPort: last.localPort } : {}),
      attempts,
      cause,
    },
  );
}
