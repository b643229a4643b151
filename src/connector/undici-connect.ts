/**
 * A function for undici's `connect` option (undici 7: `(opts, callback)`), so an undici Agent,
 * Pool or Client (and fetch through setGlobalDispatcher) opens its connections here. undici and
 * fetch never retry EADDRINUSE / EADDRNOTAVAIL; the connector does. For https the TCP socket is
 * handed to undici's own buildConnector as `httpSocket`: its TLS session cache, servername and
 * ALPN (allowH2) keep working.
 */
import { createRequire } from 'node:module';
import type net from 'node:net';
import type { buildConnector } from 'undici';
import type { Connector } from './connector.js';
import type { LiveSockets } from './live-sockets.js';

export type UndiciConnectOptions = buildConnector.BuildOptions;

interface UndiciConnectArgs {
  hostname: string;
  host?: string;
  protocol: string;
  port: string;
  servername?: string;
  localAddress?: string | null;
  httpSocket?: net.Socket;
  signal?: AbortSignal;
}

type UndiciCallback = (...args: [null, net.Socket] | [Error, null]) => void;

export function makeUndiciConnect(
  connector: Connector,
  live: LiveSockets,
  tlsOptions: UndiciConnectOptions = {},
): (opts: UndiciConnectArgs, cb: UndiciCallback) => void {
  // One TLS connector for the lifetime of this function: it owns the session cache. undici is
  // loaded here, on first use, not when the connector is imported: loading it took 384 ms of CPU
  // in a `portspace load` client worker (a CPU profile), and most users never call this.
  const undici = createRequire(import.meta.url)('undici') as typeof import('undici');
  const tlsConnect = undici.buildConnector(tlsOptions);
  const keepAlive = (tlsOptions as { keepAlive?: boolean | null }).keepAlive;
  const keepAliveDelay = (tlsOptions as { keepAliveInitialDelay?: number | null }).keepAliveInitialDelay;
  return (opts, cb) => {
    const https = opts.protocol === 'https:';
    const raw = opts.hostname;
    const host = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw;
    const port = opts.port ? Number(opts.port) : https ? 443 : 80;
    connector.connect({ host, port, signal: opts.signal }).then(
      (tcp) => {
        if (!https) {
          // What buildConnector does for plain sockets: keep-alive and no Nagle.
          if (keepAlive !== false) tcp.setKeepAlive(true, keepAliveDelay ?? 60_000);
          tcp.setNoDelay(true);
          cb(null, tcp);
          return;
        }
        const { signal: _signal, ...rest } = opts;
        let secure: net.Socket | undefined;
        try {
          secure = tlsConnect({ ...rest, httpSocket: tcp }, (err, s) => {
            if (err) {
              tcp.destroy();
              cb(err, null);
            } else cb(null, s as net.Socket);
          }) as unknown as net.Socket | undefined;
        } catch (err) {
          tcp.destroy();
          cb(err as Error, null);
          return;
        }
        if (secure) live.watchUpper(tcp, secure);
      },
      (err: Error) => cb(err, null),
    );
  };
}
