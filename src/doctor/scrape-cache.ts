/**
 * `doctor --listen`: one reading of /proc serves every scrape that arrives while it is fresh.
 * Reading and analysing /proc is synchronous (about 200 ms at 100,000 sockets), so scrapes that
 * arrive together would each pay it in turn, and a scraper polling fast could keep a core busy.
 * Here a result is kept for `minIntervalMs` (default 1 s), and for longer when building it was
 * slow: the next build waits until the last one is at most `maxBusyShare` of the time since
 * (default 0.2: at most a fifth of a core, whatever the scrape rate). A failed reading is kept
 * just as long, so a broken /proc is not re-read on every scrape either.
 */

export interface ScrapeResult {
  readonly ok: boolean;
  /** The Prometheus text, or the error message. */
  readonly body: string;
  /** When it was built (clock ms). */
  readonly at: number;
  /** How long building it took (ms). */
  readonly tookMs: number;
}

export interface ScrapeCacheOptions {
  readonly minIntervalMs?: number;
  readonly maxBusyShare?: number;
  /** Clock, for tests. Default performance.now. */
  readonly now?: () => number;
}

export interface ScrapeCache {
  /** The fresh result, building one only when the last is older than its interval. */
  get(): ScrapeResult;
  /** Results built so far (each a full read of /proc). */
  readonly builds: number;
}

export function scrapeCache(render: () => string, opts: ScrapeCacheOptions = {}): ScrapeCache {
  const minInterval = opts.minIntervalMs ?? 1000;
  const share = opts.maxBusyShare ?? 0.2;
  const now = opts.now ?? (() => performance.now());
  let last: (ScrapeResult & { readonly validMs: number }) | null = null;
  let builds = 0;
  return {
    get builds() {
      return builds;
    },
    get(): ScrapeResult {
      const t = now();
      if (last !== null && t - last.at < last.validMs) return last;
      let ok = true;
      let body: string;
      try {
        body = render();
      } catch (e) {
        ok = false;
        body = e instanceof Error ? e.message : String(e);
      }
      const end = now();
      const tookMs = end - t;
      builds++;
      last = { ok, body, at: end, tookMs, validMs: Math.max(minInterval, tookMs / share) };
      return last;
    },
  };
}
