/**
 * node:http and node:https agents whose connections come from the connector. Node's Agent lets
 * createConnection answer later through its callback, which the connector needs (the handshake
 * is asynchronous). For https, TLS runs on top of our TCP socket through the parent class's own
 * createConnection, so the agent's TLS session cache and servername handling stay Node's.
 */
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type tls from 'node:tls';
import type { Connector } from './connector.js';
import type { LiveSockets } from './live-sockets.js';

type Callback = (err: Error | null, socket?: Duplex) => void;

interface ConnOpts {
  host?: string | null;
  hostname?: string | null;
  port?: number | string | null;
  signal?: AbortSignal;
}

function target(options: ConnOpts, dflt: number): { host: string; port: number } {
  const raw = options.host ?? options.hostname ?? 'localhost';
  const host = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw;
  const port =
    options.port === undefined || options.port === null || options.port === '' ? dflt : Number(options.port);
  return { host, port };
}

export function makeHttpAgent(connector: Connector, opts: http.AgentOptions = {}): http.Agent {
  class PortspaceHttpAgent extends http.Agent {
    override createConnection(options: ConnOpts, cb: Callback): undefined {
      connector.connect({ ...target(options, 80), signal: options.signal }).then(
        (socket) => cb(null, socket),
        (err: Error) => cb(err),
      );
      return undefined;
    }
  }
  return new PortspaceHttpAgent(opts);
}

export function makeHttpsAgent(
  connector: Connector,
  live: LiveSockets,
  opts: https.AgentOptions = {},
): https.Agent {
  // https.Agent.prototype.createConnection makes the TLS socket (session cache, servername).
  const parentCreate = https.Agent.prototype.createConnection as unknown as (
    this: https.Agent,
    options: tls.ConnectionOptions,
  ) => tls.TLSSocket;
  class PortspaceHttpsAgent extends https.Agent {
    override createConnection(options: ConnOpts & tls.ConnectionOptions, cb: Callback): undefined {
      connector.connect({ ...target(options, 443), signal: options.signal }).then(
        (tcp: net.Socket) => {
          let secure: tls.TLSSocket;
          try {
            secure = parentCreate.call(this, { ...options, socket: tcp });
          } catch (err) {
            tcp.destroy();
            cb(err as Error);
            return;
          }
          live.watchUpper(tcp, secure);
          cb(null, secure);
        },
        (err: Error) => cb(err),
      );
      return undefined;
    }
  }
  return new PortspaceHttpsAgent(opts);
}
