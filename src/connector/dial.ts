/**
 * One real TCP handshake through node:net, from a chosen source (and port), with a timeout and
 * an AbortSignal. Whatever happens, the socket is either handed over connected or destroyed:
 * no file descriptor outlives a failed try.
 */
import type net from 'node:net';
import { abortError, ConnectorError } from './errors.js';
import { ConnectorSocket } from './lifecycle.js';

export interface DialOptions {
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
  readonly localAddress: string;
  /** Omitted for the bind strategy: bind(localAddress, 0), the kernel picks (R23). */
  readonly localPort?: number;
  /** 0 = no timeout. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  /** No-port strategy: a descriptor already bound with IP_BIND_ADDRESS_NO_PORT (R22). */
  readonly fd?: number;
}

export function dial(o: DialOptions): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) {
      reject(abortError(o.signal));
      return;
    }
    // libuv sets SO_REUSEADDR before bind() when localAddress is given: one source port is
    // shared across destinations, and only the 4-tuple must be unique (R20, R32). A no-port
    // descriptor is already bound to its address: Node wraps it and connect() picks the port.
    // What net.connect() does, with our socket class (lifecycle.ts: it notes resets we send).
    const socket =
      o.fd === undefined
        ? new ConnectorSocket().connect({
            host: o.host,
            port: o.port,
            family: o.family,
            localAddress: o.localAddress,
            ...(o.localPort === undefined ? {} : { localPort: o.localPort }),
          })
        : new ConnectorSocket({ fd: o.fd, readable: true, writable: true }).connect(o.port, o.host);
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      if (timer) clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      socket.off('connect', onConnect);
      socket.off('error', onError);
    };
    const onConnect = () => {
      done();
      resolve(socket);
    };
    const onError = (err: Error) => {
      done();
      socket.destroy();
      reject(err);
    };
    const onAbort = () => {
      done();
      socket.destroy();
      reject(abortError(o.signal as AbortSignal));
    };
    socket.once('connect', onConnect);
    socket.once('error', onError);
    o.signal?.addEventListener('abort', onAbort, { once: true });
    if (o.timeoutMs > 0) {
      timer = setTimeout(() => {
        done();
        socket.destroy();
        reject(
          new ConnectorError(
            'PORTSPACE_CONNECT_TIMEOUT',
            `connect ETIMEDOUT ${o.host}:${o.port} - Local (${o.localAddress}:${o.localPort ?? 0}): no answer within ${o.timeoutMs} ms (connectTimeout)`,
            {
              errno: 'ETIMEDOUT',
              syscall: 'connect',
              address: o.host,
              port: o.port,
              localAddress: o.localAddress,
              ...(o.localPort === undefined ? {} : { localPort: o.localPort }),
            },
          ),
        );
      }, o.timeoutMs);
    }
  });
}
