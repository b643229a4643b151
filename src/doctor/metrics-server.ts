/**
 * `--listen HOST:PORT`: serves the Prometheus text at /metrics (404 anywhere else, 405 for other
 * methods). Scrapes are served from a ScrapeCache (scrape-cache.ts): concurrent scrapes share one
 * reading of /proc, a reading is reused for a short interval, and the work per second is bounded.
 * It listens only where the user says; there is no default address.
 */
import { createServer, type Server } from 'node:http';
import { type ScrapeCache, type ScrapeCacheOptions, scrapeCache } from './scrape-cache.js';

export interface MetricsServer {
  readonly server: Server;
  /** The address actually bound (port 0 gives a free port). */
  readonly url: string;
  /** The readings of /proc made so far, shared by the scrapes. */
  readonly cache: ScrapeCache;
  close(): Promise<void>;
}

export function serveMetrics(
  host: string,
  port: number,
  render: () => string,
  cacheOptions: ScrapeCacheOptions = {},
): Promise<MetricsServer> {
  const cache = scrapeCache(render, cacheOptions);
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
    const r = cache.get();
    if (!r.ok) {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`portspace doctor could not read the host: ${r.body}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(req.method === 'HEAD' ? undefined : r.body);
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
        cache,
        close: () => new Promise((res) => server.close(() => res())),
      });
    });
  });
}
