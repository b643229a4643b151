// The page on a live host: a private network namespace (unshare -n) holding a few loopback
// connections, whose /proc/PID/net the server reads afresh on every refresh (the sysctls are
// copied once by the worker). The connections must appear in the table and on the grid, and
// five more opened while the page is open must show up with the headroom they cost and a time
// to exhaustion (R14, R23, R62).
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { kernelAvailability } from '../../src/kernel/availability.js';
import { readProcSnapshot } from '../../src/procnet/reader.js';
import { LiveSource, startWebServer } from '../../src/web/index.js';
import { cellCenter, launch, pixel, waitForBody } from './browser.js';
import type { PageDocument, PageWindow } from './page-dom.js';

/** The page's globals, for the functions that run in it (Node has no DOM types). */
declare const window: PageWindow;
declare const document: PageDocument;

const worker = new URL('./live-ns-worker.py', import.meta.url).pathname;

async function skipReason(): Promise<string | null> {
  const a = await kernelAvailability();
  if (!a.ok) return a.reason;
  if (spawnSync('python3', ['-c', 'pass']).status !== 0) return 'python3 is not installed';
  return null;
}

/** Lines the worker printed, awaited one pattern at a time. */
function lines(child: ChildProcessWithoutNullStreams) {
  let text = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout.on('data', (d: Buffer) => {
    text += d.toString();
    for (const w of waiters) w();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return (re: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (re.test(text)) {
          waiters.delete(check);
          resolve();
        }
      };
      waiters.add(check);
      child.once('exit', () => reject(new Error(`worker exited: ${err}`)));
      check();
    });
}

test('live namespace: its loopback connections appear, and new ones with their cost (R14, R23, R62)', async (t) => {
  const why = await skipReason();
  if (why !== null) {
    t.skip(why);
    console.log(`skipped: ${why}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'portspace-web-live-'));
  const child = spawn('unshare', ['-n', 'python3', worker, dir], { stdio: ['pipe', 'pipe', 'pipe'] });
  // Generous: on a loaded shared machine the browser steps below can take minutes.
  const killer = setTimeout(() => child.kill('SIGKILL'), 600_000);
  const session = await launch(t).catch((e: unknown) => {
    child.kill('SIGKILL');
    throw e;
  });
  let server: Awaited<ReturnType<typeof startWebServer>> | null = null;
  try {
    if (session === null) return;
    const waitFor = lines(child);
    await waitFor(/ready\n/);
    // unshare execs python: the child's pid is the worker's, inside the namespace.
    symlinkSync(`/proc/${child.pid}/net`, join(dir, 'net'));
    server = await startWebServer({
      title: 'live namespace',
      refreshMs: 1000,
      sources: {
        live: new LiveSource({
          read: () => readProcSnapshot(dir),
          clock: () => performance.now(),
          minIntervalMs: 0,
        }),
      },
    });
    const page = session.page;
    await page.goto(`${server.url}?view=table`);
    await waitForBody(page, 'ready', 'yes');
    const row = () =>
      page.$$eval('#table-live-headroom tbody tr', (rows) =>
        rows.map((r) => [...r.children].map((c) => (c.textContent ?? '').trim())),
      );
    const first = (await row()).find((r) => r[1] === '127.0.0.1:5000');
    // 64 ports, one bind-held by the bind(127.0.0.1, 0) socket (R23): 63 candidates; 3
    // connections and a TIME_WAIT that tcp_tw_reuse=0 never recycles (R62) hold 4 of them.
    assert.deepEqual(first?.slice(0, 7), ['127.0.0.1', '127.0.0.1:5000', '3', '1', '0', '0', '59']);
    const six = (await row()).find((r) => r[1] === '127.0.0.1:6000');
    assert.equal(six?.[5], '1', 'the bind-before-connect socket is counted as bind-held');

    // The grid: the TIME_WAIT entry's port, read from the JSON, is drawn as a blocking TIME_WAIT.
    const data = (await page.evaluate(() => fetch('/api/live').then((r) => r.json()))) as {
      space: { holders: { port: number; state: string; destination: string | null }[] };
    };
    const tw = data.space.holders.find((h) => h.state === 'TIME_WAIT');
    assert.ok(tw, 'a TIME_WAIT holder');
    await page.click('nav button[data-view="live"]');
    const pal = await page.evaluate(() => window.portspace.palette);
    const c = await cellCenter(page, 'live', '127.0.0.1', tw.port);
    assert.equal(await pixel(page, '#view-live canvas[data-source="127.0.0.1"]', c.x, c.y), pal.twBlock);
    await page.screenshot({ path: join(dir, 'live-namespace.png'), fullPage: true });

    // Five more connections while the page refreshes: ESTABLISHED 8, headroom 54, shrinking.
    child.stdin.write('more\n');
    await waitFor(/more-ready\n/);
    await page.click('nav button[data-view="table"]');
    await page.waitForFunction(
      () => {
        const rows = [...document.querySelectorAll('#table-live-headroom tbody tr')].map((r) =>
          [...r.children].map((c) => (c.textContent ?? '').trim()),
        );
        const r = rows.find((x) => x[1] === '127.0.0.1:5000');
        return (
          r !== undefined && r[2] === '8' && r[6] === '54' && Number(r[9]) > 0 && /s|min|h$/.test(r[10] ?? '')
        );
      },
      undefined,
      { timeout: 90_000, polling: 50 },
    );
    const after = (await row()).find((r) => r[1] === '127.0.0.1:5000');
    assert.ok(after && Number(after[9]) > 0, `headroom lost/s: ${after?.[9]}`);
    console.log(`live namespace screenshot: ${join(dir, 'live-namespace.png')} (kept until the next run)`);
    assert.deepEqual(session.problems, []);
  } finally {
    clearTimeout(killer);
    child.stdin.end('quit\n');
    await server?.close();
    await session?.close();
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(join(dir, 'net'), { force: true });
  }
});
