/**
 * The page's HTTP server (node:http). It serves a fixed set of routes: the page's own assets,
 * held in memory from startup, and JSON built from the model, the doctor and the planner.
 * Nothing in a request path ever reaches the file system: a path either equals a route or is a
 * 404, undecoded, so `/../../etc/passwd` and `%2e%2e` lead nowhere.
 *
 * Safety: it listens on loopback unless the caller allows a remote address explicitly; on
 * loopback it answers only requests whose Host header names loopback (a web page elsewhere
 * cannot reach it through DNS rebinding); GET and HEAD only; no request bodies; bounded URL and
 * header sizes, timeouts and connection count; a Content-Security-Policy that lets the page
 * load nothing from anywhere but this server.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { parseAddr } from '../model/index.js';
import { type PageAssets, pageAssets } from './assets.js';
import type { LiveSource } from './live.js';
import type { PlanViewJson } from './plan-view.js';
import type { SteppedScript } from './script-steps.js';

export type WebErrorCode = 'PORTSPACE_LISTEN_REFUSED' | 'PORTSPACE_LISTEN_FAILED';

/** A listen address the server will not take, or cannot. */
export class WebError extends Error {
  constructor(
    readonly code: WebErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WebError';
  }
}

export interface WebSources {
  readonly live?: LiveSource;
  readonly script?: SteppedScript;
  readonly plan?: PlanViewJson;
}

export interface WebOptions {
  /** An IP address (or `localhost`); default 127.0.0.1. */
  readonly host?: string;
  /** Default 0: any free port. */
  readonly port?: number;
  /** Needed for an address that is not loopback. */
  readonly allowRemote?: boolean;
  readonly title: string;
  /** How often the live view refreshes, ms. */
  readonly refreshMs: number;
  readonly sources: WebSources;
}

export interface WebServer {
  readonly server: Server;
  readonly url: string;
  close(): Promise<void>;
}

/** Longest request target served (the routes are short; anything longer is not ours). */
export const MAX_URL = 1024;
export const MAX_HEADER_BYTES = 8192;
const MAX_CONNECTIONS = 64;

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
} as const;

/** Resolves `localhost`, and refuses a non-loopback address unless allowed. */
export function listenHost(host: string, allowRemote: boolean): string {
  const h = host === 'localhost' ? '127.0.0.1' : host.replace(/^\[(.*)\]$/, '$1');
  const a = parseAddr(h);
  if (a === null)
    throw new WebError(
      'PORTSPACE_LISTEN_REFUSED',
      `--listen needs an IP address (or localhost), got '${host}'`,
    );
  if (!a.loopback && !allowRemote)
    throw new WebError(
      'PORTSPACE_LISTEN_REFUSED',
      `${host} is not a loopback address: the page would be reachable from other hosts. Listen on 127.0.0.1 or ::1, or pass --allow-remote if that is what you want.`,
    );
  return h;
}

function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': type,
    'content-length': String(Buffer.byteLength(body)),
    ...extra,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

function sendJson(req: IncomingMessage, res: ServerResponse, value: unknown): void {
  send(req, res, 200, JSON_TYPE, typeof value === 'string' ? value : JSON.stringify(value));
}

/** The route table: exact paths only. */
function router(opts: WebOptions, assets: PageAssets) {
  const { live, script, plan } = opts.sources;
  const views = [live ? 'live' : null, script ? 'script' : null, plan ? 'plan' : null].filter(
    (v): v is string => v !== null,
  );
  const meta = JSON.stringify({ title: opts.title, views, refreshMs: opts.refreshMs });
  const scriptJson = script ? JSON.stringify(script.json) : null;
  const planJson = plan ? JSON.stringify(plan) : null;
  const exact = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>([
    ['/', (req, res) => send(req, res, 200, 'text/html; charset=utf-8', assets.html)],
    ['/index.html', (req, res) => send(req, res, 200, 'text/html; charset=utf-8', assets.html)],
    ['/page.css', (req, res) => send(req, res, 200, 'text/css; charset=utf-8', assets.css)],
    ['/api/meta', (req, res) => sendJson(req, res, meta)],
  ]);
  for (const [name, text] of assets.scripts)
    exact.set(`/${name}`, (req, res) => send(req, res, 200, 'text/javascript; charset=utf-8', text));
  if (live)
    exact.set('/api/live', (req, res) => {
      let body: string;
      try {
        body = JSON.stringify(live.sample());
      } catch (e) {
        send(
          req,
          res,
          503,
          JSON_TYPE,
          JSON.stringify({ error: `cannot read the host: ${e instanceof Error ? e.message : String(e)}` }),
        );
        return;
      }
      sendJson(req, res, body);
    });
  if (scriptJson !== null) exact.set('/api/script', (req, res) => sendJson(req, res, scriptJson));
  if (planJson !== null) exact.set('/api/plan', (req, res) => sendJson(req, res, planJson));
  return (path: string) => {
    const handler = exact.get(path);
    if (handler) return handler;
    // The only parametrised route: a step's port space, by its index (digits only).
    const m = /^\/api\/script\/step\/(\d{1,6})$/.exec(path);
    const space = m && script ? script.spaces[Number(m[1])] : undefined;
    if (space !== undefined) return (req: IncomingMessage, res: ServerResponse) => sendJson(req, res, space);
    return null;
  };
}

function allowedHosts(host: string, port: number): Set<string> {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]', host.includes(':') ? `[${host}]` : host]);
  return new Set([...names].map((n) => `${n}:${port}`.toLowerCase()));
}

export function startWebServer(opts: WebOptions): Promise<WebServer> {
  const allowRemote = opts.allowRemote === true;
  const host = listenHost(opts.host ?? '127.0.0.1', allowRemote);
  const loopbackOnly = parseAddr(host)?.loopback === true;
  const route = router(opts, pageAssets());
  let hosts = new Set<string>();

  const server = createServer(
    { maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 10_000, headersTimeout: 5_000 },
    (req, res) => {
      const target = req.url ?? '/';
      if (target.length > MAX_URL) return send(req, res, 414, TEXT, 'request target too long\n');
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return send(req, res, 405, TEXT, 'only GET and HEAD\n', { allow: 'GET, HEAD' });
      const length = req.headers['content-length'];
      if ((length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined)
        return send(req, res, 413, TEXT, 'requests carry no body here\n');
      // On loopback, only a browser that asked for loopback by name gets an answer (DNS rebinding).
      if (loopbackOnly && !hosts.has((req.headers.host ?? '').toLowerCase()))
        return send(req, res, 421, TEXT, 'this server answers only to its loopback address\n');
      const path = target.split('?')[0] ?? '/';
      const handler = route(path);
      if (handler === null) return send(req, res, 404, TEXT, 'not found\n');
      handler(req, res);
    },
  );
  server.maxConnections = MAX_CONNECTIONS;
  // CONNECT never reaches the request handler: node hands its socket to 'connect' listeners and,
  // with none, closes it without a word. Answer it like any other method but GET and HEAD (the
  // fuzzer found the silent close: fuzzing/web-target.ts).
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    const body = 'only GET and HEAD\n';
    socket.end(
      `HTTP/1.1 405 Method Not Allowed\r\n${Object.entries({
        ...SECURITY_HEADERS,
        'content-type': TEXT,
        'content-length': String(body.length),
        allow: 'GET, HEAD',
        connection: 'close',
      })
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('')}\r\n${body}`,
    );
  });
  // A request that is not HTTP, or whose headers are too big: node answers 400/431 and closes.
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new WebError(
          'PORTSPACE_LISTEN_FAILED',
          `cannot listen on ${host}:${opts.port ?? 0}: ${e.code ?? e.message}`,
          {
            cause: e,
          },
        ),
      ),
    );
    server.listen(opts.port ?? 0, host, () => {
      const a = server.address();
      const port = typeof a === 'object' && a !== null ? a.port : (opts.port ?? 0);
      hosts = allowedHosts(host, port);
      const shown = host.includes(':') ? `[${host}]` : host;
      resolve({
        server,
        url: `http://${shown}:${port}/`,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
