/**
 * Makes the README's screenshots of `portspace web` (docs/img/web-*.png): the page on
 * docs/examples/web-parity.pst, the captured /proc copy and the headline plan, one PNG per view,
 * in Debian's chromium. Usage: npx tsx scripts/web-screenshots.ts [OUTDIR]  (default docs/img).
 * The PNGs are then made smaller by hand (`convert F -colors 64 PNG8:F`, ImageMagick).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../test/web/browser.js';

declare const document: { body: { dataset: Record<string, string | undefined> } };
declare const window: {
  portspace: { cellCenter(view: string, source: string, port: number): { x: number; y: number } | null };
};

const root = new URL('..', import.meta.url).pathname;
const out = process.argv[2] ?? join(root, 'docs', 'img');
mkdirSync(out, { recursive: true });

const args = [
  '--import',
  'tsx',
  'src/cli/main.ts',
  'web',
  'docs/examples/web-parity.pst',
  '--proc',
  'test/fixtures/proc/captured',
  '--plan',
  ...['--from', '10.0.0.1', '--to', '10.1.1.1:5432', '--rate', '500', '--tw-reuse', '0', '--duration', '180'],
  '--json',
];
const server = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((resolve, reject) => {
  let text = '';
  server.stdout.on('data', (d: Buffer) => {
    text += d.toString();
    const m = /"url":"([^"]+)"/.exec(text);
    if (m?.[1]) resolve(m[1]);
  });
  server.once('exit', (code) => reject(new Error(`portspace web exited with ${code}`)));
});
const profile = mkdtempSync(join(tmpdir(), 'portspace-shots-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  args: CHROMIUM_ARGS,
  viewport: { width: 1180, height: 760 },
  deviceScaleFactor: 1,
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  const open = async (view: string) => {
    await page.goto(`${url}?view=${view}`);
    await page.waitForFunction(() => document.body.dataset.ready === 'yes');
  };
  await open('live');
  // Let the second sample (with rates) arrive before hovering.
  await page.waitForTimeout(2500);
  // Hover the TIME_WAIT entry's port to show what the tooltip says.
  const box = await page.locator('#view-live canvas[data-source="127.0.0.1"]').boundingBox();
  const cell = await page.evaluate(() => window.portspace.cellCenter('live', '127.0.0.1', 40000));
  if (box && cell) {
    await page.mouse.move(box.x + cell.x + 1, box.y + cell.y + 1);
    await page.mouse.move(box.x + cell.x, box.y + cell.y);
    await page.waitForSelector('#tooltip:not([hidden])', { timeout: 5000 });
  }
  await page.screenshot({ path: join(out, 'web-live.png') });
  await open('script');
  await page.click('#step-last');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction(() => document.body.dataset.walk === 'done');
  await page.screenshot({ path: join(out, 'web-script.png') });
  await open('plan');
  await page.screenshot({ path: join(out, 'web-plan.png') });
  await open('table');
  await page.screenshot({ path: join(out, 'web-table.png') });
  console.log(`screenshots in ${out}`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  server.kill('SIGTERM');
}
