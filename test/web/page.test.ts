// The page in a real browser (Debian's chromium via playwright-core), on fixture data: the
// captured /proc copy (range 40000-40009; 127.0.0.1 has one TIME_WAIT and one connection to
// :5000, 127.0.0.2 two, one of them on a port it bound first), the walk.pst script and a plan.
// It checks the numbers in the table against the doctor, canvas pixels at known ports, the hover
// text, stepping through the script while the search walks the grid, the plan's numbers, and
// that nothing went wrong in the console or was fetched from elsewhere. One screenshot per view
// goes to a temporary folder (and to PORTSPACE_SCREENSHOTS when set).
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildReport } from '../../src/doctor/index.js';
import { readProcSnapshot } from '../../src/procnet/reader.js';
import { cellCenter, launch, type Page, pixel, type Session, waitForBody } from './browser.js';
import { captured, type FixtureServer, fixtureServer } from './helpers.js';
import type { PageDocument, PageMutationObserver, PageWindow } from './page-dom.js';

/** The page's globals, for the functions that run in it (Node has no DOM types). */
declare const window: PageWindow;
declare const document: PageDocument;
declare const MutationObserver: PageMutationObserver;

const shots = mkdtempSync(join(tmpdir(), 'portspace-web-shots-'));
let fx: FixtureServer;
let session: Session | null = null;

before(async () => {
  fx = await fixtureServer();
});
after(async () => {
  await session?.close();
  await fx.server.close();
  console.log(`screenshots: ${shots}`);
});

async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  const file = join(shots, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  const keep = process.env.PORTSPACE_SCREENSHOTS;
  if (keep) {
    mkdirSync(keep, { recursive: true });
    copyFileSync(file, join(keep, `${name}.png`));
  }
}

async function palette(page: Page): Promise<Record<string, string>> {
  return page.evaluate(() => {
    const w = window;
    return {
      ...w.portspace.palette,
      ...Object.fromEntries(Object.entries(w.portspace.marks).map(([k, v]) => [`mark.${k}`, v])),
    };
  });
}

async function cellColour(
  page: Page,
  view: 'live' | 'script',
  source: string,
  port: number,
): Promise<string> {
  const c = await cellCenter(page, view, source, port);
  return pixel(page, `#view-${view} canvas[data-source="${source}"]`, c.x, c.y);
}

/** The cells of a table, row by row, as text. */
async function tableRows(page: Page, id: string): Promise<string[][]> {
  return page.$$eval(`#${id} tbody tr`, (rows) =>
    rows.map((r) => [...r.children].map((c) => (c.textContent ?? '').trim())),
  );
}

async function open(t: Parameters<typeof launch>[0], view: string): Promise<Page | null> {
  session ??= await launch(t);
  if (session === null) return null;
  const page = session.page;
  await page.goto(`${fx.server.url}?view=${view}`);
  await waitForBody(page, 'ready', 'yes');
  return page;
}

test('live view: the table holds the doctor numbers; the grid agrees with them (R12, R14, R62)', async (t) => {
  const page = await open(t, 'table');
  if (page === null) return;
  const report = buildReport(readProcSnapshot(captured));
  const rows = await tableRows(page, 'table-live-headroom');
  // source, destination, ESTABLISHED, TIME_WAIT, recyclable, bind-held, headroom, ...
  assert.deepEqual(
    rows.map((r) => r.slice(0, 7)),
    report.destinations.map((d) => [
      d.source,
      d.destination,
      String(d.established),
      String(d.timeWait),
      String(d.recyclableTimeWait),
      String(d.bindHeld),
      String(d.headroom),
    ]),
  );
  // The README's numbers for this copy: 7 more connects from 127.0.0.1, 8 from 127.0.0.2.
  assert.deepEqual(
    rows.map((r) => [r[0], r[1], r[6]]),
    [
      ['127.0.0.1', '127.0.0.1:5000', '7'],
      ['127.0.0.2', '127.0.0.1:5000', '8'],
    ],
  );
  // Per-category cell counts of each grid for 127.0.0.1:5000: free cells = headroom.
  const grid = await tableRows(page, 'table-live-grid');
  const head = await page.$$eval('#table-live-grid thead th', (ths) => ths.map((h) => h.textContent ?? ''));
  const col = (name: string) => head.indexOf(name);
  const bySource = new Map(grid.map((r) => [r[0], r]));
  const one = bySource.get('127.0.0.1');
  const two = bySource.get('127.0.0.2');
  assert.ok(one && two, `grid rows: ${JSON.stringify(grid)}`);
  assert.equal(one[col('free')], '7');
  assert.equal(one[col('in use to this destination')], '1'); // 40002, a v4-mapped IPv6 client
  assert.equal(one[col('TIME_WAIT, not recyclable (yet)')], '1'); // 40000, 0.2 s old < 1 s delay
  assert.equal(one[col('blocked: bind-owned')], '1'); // 40007, bound first by 127.0.0.2 (R12)
  assert.equal(two[col('free')], '8');
  assert.equal(two[col('in use to this destination')], '1');
  await screenshot(page, 'table', false);
});

test('live view: canvas pixels at known ports, parity split, hover names sockets and rule', async (t) => {
  const page = await open(t, 'live');
  if (page === null) return;
  const pal = await palette(page);
  const src = '127.0.0.1';
  assert.equal(
    await page.$eval('#live-dest', (s) => (s as unknown as { value: string }).value),
    '127.0.0.1:5000',
  );
  assert.equal(await cellColour(page, 'live', src, 40000), pal.twBlock);
  assert.equal(await cellColour(page, 'live', src, 40002), pal.inUse);
  assert.equal(await cellColour(page, 'live', src, 40007), pal.bindOwned);
  assert.equal(await cellColour(page, 'live', src, 40001), pal.free);
  assert.equal(
    await cellColour(page, 'live', src, 40006),
    pal.free,
    "127.0.0.2's port is free for 127.0.0.1",
  );
  assert.equal(await cellColour(page, 'live', '127.0.0.2', 40006), pal.inUse);
  // The even/odd split: every even port (connect() first, R11) left of every odd one (bind(ip, 0), R40).
  const xs = async (ports: number[]) =>
    Promise.all(ports.map(async (p) => (await cellCenter(page, 'live', src, p)).x));
  const even = await xs([40000, 40002, 40004, 40006, 40008]);
  const odd = await xs([40001, 40003, 40005, 40007, 40009]);
  assert.ok(Math.max(...even) < Math.min(...odd), `even ${even} odd ${odd}`);

  // Hover: the TIME_WAIT entry, its rule, and what it means for this destination.
  const hover = async (source: string, port: number) => {
    const box = await page.$eval(`#view-live canvas[data-source="${source}"]`, (c) => {
      const r = c.getBoundingClientRect();
      return { x: r.left, y: r.top };
    });
    const c = await cellCenter(page, 'live', source, port);
    await page.mouse.move(box.x + c.x, box.y + c.y);
    await page.waitForSelector('#tooltip:not([hidden])', { timeout: 30_000 });
    return (await page.textContent('#tooltip')) ?? '';
  };
  const tw = await hover(src, 40000);
  assert.match(tw, /^port 40000 · from 127\.0\.0\.1 to 127\.0\.0\.1:5000/);
  assert.match(tw, /TIME_WAIT to 127\.0\.0\.1:5000 that connect\(\) may not recycle \(yet\).*\(R62\)/);
  assert.match(tw, /tcp 127\.0\.0\.1:40000 -> 127\.0\.0\.1:5000 TIME_WAIT, 60 s left \(not recyclable yet\)/);
  const bound = await hover(src, 40007);
  assert.match(bound, /bind-owned .*\(R12\)/);
  assert.match(bound, /tcp 127\.0\.0\.2:40007 -> 127\.0\.0\.1:5000 ESTABLISHED/);
  assert.match(
    await hover(src, 40004),
    /free: connect\(\) to 127\.0\.0\.1:5000 may take it \(R12\)\n.*connect\(\) tries it first \(R11\)/,
  );
  await page.mouse.move(0, 0);

  // Headroom bars, tightest first, and the doctor's fixes with what each buys.
  const bars = await page.$$eval('#live-headroom .bar', (bs) => bs.map((b) => b.getAttribute('data-pair')));
  assert.deepEqual(bars, ['127.0.0.1 127.0.0.1:5000', '127.0.0.2 127.0.0.1:5000']);
  const fixes = await page.$$eval('#live-warnings .fix', (fs) => fs.map((f) => f.textContent ?? ''));
  assert.ok(
    fixes.includes(
      'fix: sysctl -w net.ipv4.ip_local_port_range="1024 65535": +64,500 connections per destination (127.0.0.1 -> 127.0.0.1:5000)',
    ),
    fixes.join('\n'),
  );
  const barFixes = await page.$$eval(
    '#live-headroom .bar[data-pair="127.0.0.1 127.0.0.1:5000"] .bar-fix',
    (fs) => fs.map((f) => f.textContent ?? ''),
  );
  assert.ok(
    barFixes.includes('RANGE_SMALL: sysctl -w net.ipv4.ip_local_port_range="1024 65535": +64,500 here'),
    barFixes.join('\n'),
  );
  await screenshot(page, 'live');
  // Another destination recolours without a request: for a new destination the TIME_WAIT and
  // the connection become "used only towards other destinations" (R14).
  await page.selectOption('#live-dest', '');
  assert.equal(await cellColour(page, 'live', src, 40000), pal.other);
  assert.equal(await cellColour(page, 'live', src, 40007), pal.bindOwned);
});

test('script view: step through walk.pst and watch connect() walk the grid (R11, R12, R14)', async (t) => {
  const page = await open(t, 'script');
  if (page === null) return;
  const pal = await palette(page);
  const steps = fx.stepped.json.steps;
  assert.equal(await page.textContent('#step-pos'), `step 1 of ${steps.length}`);
  // Next, next... with the keyboard: to bind(b, 127.0.0.1:0), the first search.
  const bindStep = steps.findIndex((s) => s.call.startsWith('bind(b'));
  for (let i = 0; i < bindStep; i++) await page.keyboard.press('ArrowRight');
  await waitForBody(page, 'walk', 'done');
  assert.equal(await page.textContent('#step-pos'), `step ${bindStep + 1} of ${steps.length}`);
  const bindPort = steps[bindStep]?.search?.took;
  assert.ok(
    bindPort !== undefined && bindPort !== null && bindPort % 2 === 1,
    'bind(ip, 0) takes an odd port (R40)',
  );
  assert.match((await page.textContent('#step-detail')) ?? '', /bind\(b, 127\.0\.0\.1:0\)/);
  assert.equal(await cellColour(page, 'script', '127.0.0.1', bindPort), pal['mark.take']);

  // The loop: its last connect() walked every port of the range and failed; the page animates it.
  const loop = steps.findIndex((s) => s.call.startsWith('repeat'));
  const seen: string[] = [];
  await page.exposeFunction('noteWalk', (s: string) => seen.push(s));
  await page.evaluate(() => {
    const box = document.getElementById('walk-status');
    if (!box) return;
    new MutationObserver(() => window.noteWalk(box.textContent ?? '')).observe(box, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  });
  await page.click(`#script-steps li[data-index="${loop}"]`);
  await page.waitForFunction(
    () =>
      document.body.dataset.walk === 'done' &&
      /none taken/.test(document.getElementById('walk-status')?.textContent ?? ''),
    undefined,
    { polling: 100 },
  );
  const status = (await page.textContent('#walk-status')) ?? '';
  // 16 ports: 14 held by 4-tuples to :5000, 1 TIME_WAIT (tcp_tw_reuse = 0), 1 bind-owned.
  assert.equal(status, 'search: 16 of 16 ports passed over, none taken');
  const counts = seen
    .map((s) => Number(/search: (\d+) of/.exec(s)?.[1] ?? Number.NaN))
    .filter((n) => !Number.isNaN(n));
  assert.ok(
    counts.some((n) => n > 0 && n < 16),
    `the walk was drawn step by step: ${counts.join(',')}`,
  );
  for (let i = 1; i < counts.length; i++)
    assert.ok((counts[i] ?? 0) >= (counts[i - 1] ?? 0), 'the walk only moves forward');
  for (const p of [40000, 40007, bindPort, 40015])
    assert.equal(await cellColour(page, 'script', '127.0.0.1', p), pal['mark.skip'], `port ${p}`);
  const runs = await page.$$eval('#search-runs li', (ls) => ls.map((l) => l.textContent ?? ''));
  assert.ok(
    runs.some((r) => /passed over .*owned by bind\(\)\/listen\(\) users.*\(R12\)/.test(r)),
    runs.join('\n'),
  );
  assert.ok(
    runs.some((r) => /passed over .*held by (a )?4-tuples? towards 127\.0\.0\.1:5000 \(R14\)/.test(r)),
    runs.join('\n'),
  );
  assert.ok(
    runs.some((r) => /pass 2 starts at/.test(r)),
    'both parity passes are listed (R11)',
  );
  assert.match((await page.textContent('#step-detail')) ?? '', /EADDRNOTAVAIL by rule R14/);
  await screenshot(page, 'script');
  // After the loop the grid (without marks, another destination) shows the state: all held towards :5000.
  await page.keyboard.press('ArrowRight');
  await waitForBody(page, 'walk', 'none');
  const twPort = steps.find((st) => st.call.startsWith('connect(t'))?.search?.took;
  assert.ok(typeof twPort === 'number' && twPort % 2 === 0, 'connect() takes an even port (R11)');
  assert.equal(
    await cellColour(page, 'script', '127.0.0.1', twPort),
    pal.twBlock,
    'TIME_WAIT, tcp_tw_reuse = 0 (R62)',
  );
  assert.equal(await cellColour(page, 'script', '127.0.0.1', bindPort), pal.bindOwned, 'R12, R23');
  const other = [40000, 40002].find((p) => p !== twPort) ?? 40004;
  assert.equal(await cellColour(page, 'script', '127.0.0.1', other), pal.inUse);
});

test('plan view: ports in use and TIME_WAIT over time, and the same numbers in the table (R14, R60)', async (t) => {
  const page = await open(t, 'plan');
  if (page === null) return;
  const head = (await page.textContent('#plan-head')) ?? '';
  // 1,000 ports, every connection keeps its port 60 s in TIME_WAIT: the 1,001st attempt, at 20 s, fails.
  assert.match(head, /connect: first failure at 20 s \(connect\(\) EADDRNOTAVAIL\)/);
  assert.equal(await page.locator('#plan-chart svg polyline').count(), 3);
  await screenshot(page, 'plan');
  await page.click('nav button[data-view="table"]');
  const rows = await tableRows(page, 'table-plan-strategies');
  // 4,500 attempts; the 2,000 of 20-60 s fail, those of 60-80 s take the ports whose TIME_WAIT
  // ended, those of 80-90 s (500) fail again: 2,500.
  assert.deepEqual(rows[0]?.slice(0, 8), [
    'connect',
    '4,500',
    '2,500',
    '20',
    'EADDRNOTAVAIL',
    '1,000',
    '1,000',
    '1,000',
  ]);
  const series = await tableRows(page, 'table-plan-series');
  assert.ok(series.length > 10);
  assert.ok(
    series.some((r) => r[1] === '1,000'),
    'the unit fills up',
  );
  assert.equal(
    Math.max(...series.map((r) => Number((r[2] ?? '').replaceAll(',', '')))),
    1000,
    'peak TIME_WAIT',
  );
});

test('no console errors, no failed request, nothing fetched from elsewhere', async (t) => {
  if (session === null) session = await launch(t);
  if (session === null) return;
  assert.ok(session.requests.length > 0);
  const origin = new URL(fx.server.url).origin;
  assert.deepEqual(
    session.requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:')),
    [],
  );
  assert.deepEqual(session.problems, []);
});
