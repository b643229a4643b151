/**
 * Test helper: Debian's chromium driven by playwright-core (which downloads nothing). Headless,
 * no sandbox (CI runs as root), no background networking, a fresh profile per launch. When the
 * browser is missing, tests fail under CI=true and skip elsewhere, saying why.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import type { PageDocument, PageWindow } from './page-dom.js';

export const CHROMIUM = '/usr/bin/chromium';

/** The page's globals, for functions that run in the browser (page.evaluate). */
declare const window: PageWindow;
declare const document: PageDocument;

/** Chromium's flags for a headless run in CI (also used by scripts/web-screenshots.ts). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export interface Session {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors, page errors and failed or non-2xx requests seen so far. */
  readonly problems: string[];
  /** Every URL the page requested. */
  readonly requests: string[];
  close(): Promise<void>;
}

/** Launches the browser, or skips (fails under CI) when it is not installed. */
export async function launch(t: TestContext): Promise<Session | null> {
  if (!existsSync(CHROMIUM)) {
    const why = `${CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)`;
    if (process.env.CI === 'true') throw new Error(`browser tests need chromium in CI: ${why}`);
    t.skip(why);
    console.log(`skipped: ${why}`);
    return null;
  }
  const profile = mkdtempSync(join(tmpdir(), 'portspace-chromium-'));
  // A persistent context is what takes a user-data-dir: a fresh one per launch.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 1000 },
    deviceScaleFactor: 1,
    timeout: 60_000,
  });
  // The machine is shared: under load a page may take long; every wait polls on a timer.
  context.setDefaultTimeout(90_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  page.on('requestfailed', (r) =>
    problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`),
  );
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`);
  });
  return {
    context,
    page,
    problems,
    requests,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export type { Browser, Page };

/** The RGB hex of one canvas pixel (canvas coordinates), read in the page. */
export async function pixel(page: Page, selector: string, x: number, y: number): Promise<string> {
  return page.$eval(
    selector,
    (c, [px, py]) => {
      const canvas = c as unknown as {
        getContext(
          kind: '2d',
        ): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
      };
      const d = canvas.getContext('2d')?.getImageData(px ?? 0, py ?? 0, 1, 1).data;
      if (!d) return 'none';
      return `#${[d[0], d[1], d[2]].map((v) => (v ?? 0).toString(16).padStart(2, '0')).join('')}`;
    },
    [x, y],
  );
}

/** Where a port's cell centre is on a grid (canvas pixels), from the page's own geometry. */
export async function cellCenter(
  page: Page,
  view: 'live' | 'script',
  source: string,
  port: number,
): Promise<{ x: number; y: number }> {
  const c = await page.evaluate(
    ([v, s, p]) => window.portspace.cellCenter(v as string, s as string, p as number),
    [view, source, port] as const,
  );
  if (c === null) throw new Error(`no grid for ${source} in the ${view} view`);
  return c;
}

/** Waits until `document.body.dataset[key]` is `value` (the page sets ready, view, walk). */
export async function waitForBody(page: Page, key: string, value: string): Promise<void> {
  await page.waitForFunction(([k, v]) => document.body.dataset[k as string] === v, [key, value] as const, {
    polling: 100,
  });
}
