/**
 * One connect per strategy, as a client worker makes it (issue 13):
 *  - kernel: plain net.connect; the kernel picks the source address (the route's) and the port.
 *  - bind: net.connect({ localAddress }), i.e. bind(ip, 0) then connect() (libuv sets
 *    SO_REUSEADDR first): one port range per source address, shared by every destination (R23).
 *  - userspace: the connector (src/connector, issue 12): the model picks source and port, and
 *    this worker owns its own slice of the ports so that workers never pick the same one.
 * Each resolves to the connected socket or rejects with Node's error.
 */
import net from 'node:net';
import { portShard } from './plan.js';
import type { Destination, Strategy } from './types.js';

export type ConnectOne = (i: number, signal: AbortSignal) => Promise<net.Socket>;

/**
 * A strategy's connect, and the lane of each attempt: the source it uses (the route's for
 * `kernel`, the connector's whole pool for `userspace`). A lane that answered "no port left" is
 * never tried again in the connect phase: nothing closes meanwhile, so it could only fail again.
 */
export interface StrategyConnect {
  readonly connect: ConnectOne;
  readonly lane: (i: number) => string;
}

/**
 * "No port left" answers: EADDRNOTAVAIL from connect() (R14), EADDRINUSE from bind(ip, 0) (R40;
 * libuv reports it on connect), and the connector's PORTSPACE_PORTS_EXHAUSTED (its model found
 * no (source, port) left) and PORTSPACE_TOO_MANY_COLLISIONS (the kernel refused it repeatedly).
 */
export function isExhaustion(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return (
    code === 'EADDRNOTAVAIL' ||
    code === 'EADDRINUSE' ||
    code === 'PORTSPACE_PORTS_EXHAUSTED' ||
    code === 'PORTSPACE_TOO_MANY_COLLISIONS'
  );
}

export interface StrategySetup {
  readonly strategy: Strategy;
  readonly to: Destination;
  readonly sources: readonly string[];
  /** This worker's index among `workers` (it starts its round-robin over sources there). */
  readonly worker: number;
  readonly workers: number;
  /** The namespace's port range; the connector takes this worker's shard of it (userspace). */
  readonly ports: readonly [number, number];
  readonly connectTimeoutMs: number;
}

/** Resolves on 'connect', rejects on 'error', on the timeout and on abort; never leaks the socket. */
export function netConnect(
  options: net.TcpNetConnectOpts,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(options);
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      sock.off('error', onError);
      sock.off('connect', onConnect);
    };
    const onConnect = () => {
      done();
      resolve(sock);
    };
    const onError = (e: Error) => {
      done();
      sock.destroy();
      reject(e);
    };
    const onAbort = () => onError(Object.assign(new Error('connect aborted'), { code: 'ABORT_ERR' }));
    const timer = setTimeout(
      () =>
        onError(
          Object.assign(
            new Error(`connect ETIMEDOUT ${options.host}:${options.port} (no answer in ${timeoutMs} ms)`),
            {
              code: 'ETIMEDOUT',
              syscall: 'connect',
              address: options.host,
              port: options.port,
            },
          ),
        ),
      timeoutMs,
    );
    sock.once('connect', onConnect);
    sock.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The strategy's connect function, or the reason it cannot run in this build. */
export async function strategyConnect(s: StrategySetup): Promise<StrategyConnect | { unavailable: string }> {
  const { host, port } = { host: s.to.addr, port: s.to.port };
  switch (s.strategy) {
    case 'kernel':
      return {
        connect: (_i, signal) => netConnect({ host, port }, s.connectTimeoutMs, signal),
        lane: () => 'route',
      };
    case 'bind': {
      const n = s.sources.length;
      const source = (i: number) => s.sources[(s.worker + i) % n] ?? '';
      return {
        connect: (i, signal) =>
          netConnect({ host, port, localAddress: source(i) }, s.connectTimeoutMs, signal),
        lane: source,
      };
    }
    case 'explicit': {
      // The i-th connection: source i mod n, port lo + i div n of this worker's slice.
      const [lo, hi] = portShard(s.ports, s.worker, s.workers);
      const n = s.sources.length;
      const pairs = (hi - lo + 1) * n;
      return {
        connect: (i, signal) =>
          i >= pairs
            ? Promise.reject(
                Object.assign(new Error('no (source, port) left in this slice'), { code: 'EADDRNOTAVAIL' }),
              )
            : netConnect(
                { host, port, localAddress: s.sources[i % n] ?? '', localPort: lo + Math.floor(i / n) },
                s.connectTimeoutMs,
                signal,
              ),
        lane: () => 'slice',
      };
    }
    case 'userspace': {
      // Loaded only for this strategy: kernel and bind runs measure plain node:net alone.
      const { createConnector } = await import('../connector/index.js');
      const connector = createConnector({
        sources: s.sources,
        strategy: 'userspace',
        // The whole namespace range, this worker's slice of it: workers never pick the same port.
        ports: [[s.ports[0], s.ports[1]]],
        shard: { index: s.worker, count: s.workers },
        connectTimeout: s.connectTimeoutMs,
        // Keep away from what the namespace already holds (our listener, if a source is its address).
        avoidHostSockets: true,
      });
      return { connect: (_i, signal) => connector.connect({ host, port, signal }), lane: () => 'connector' };
    }
  }
}
