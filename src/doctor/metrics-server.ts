/**
 * `--listen HOST:PORT`: serves the Prometheus text at /metrics (404 anywhere else, 405 for other
 * methods), building a fresh report for every scrape. It listens only where the user says; there
 * is no default address.
 */
import { createServer, type Server } from 'node:http';

export interface MetricsServer {
  readonly server: Server;
  /** The address actually bound (port 0 gives a free port). */
  readonly url: string;
  close(): Promise<void>;
}

export function serveMetrics(host: string, port: number, render: () => string): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('not found: metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' });
      res.end();
      return;
    }
    let body: string;
    try {
      body = render();
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`portspace doctor could not read the host: ${e instanceof Error ? e.message : String(e)}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const a = server.address();
      const bound = typeof a === 'object' && a !== null ? a.port : port;
      const h = host.includes(':') ? `[${host}]` : host;
      resolve({
        server,
        url: `http://${h}:${bound}/metrics`,
        close: () => new Promise((res) => server.close(() => res())),
      });
    });
  });
}
