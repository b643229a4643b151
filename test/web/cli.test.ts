// `portspace web` as users run it (the built CLI): prints the URL and serves until SIGTERM;
// refuses a non-loopback --listen without --allow-remote, plan options without --plan, bad
// intervals, missing scripts and /proc copies, each with exit 2 and a message that says what to do.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { before, test } from 'node:test';
import { cli, cliPath, ensureBuilt, root } from '../cli/cli-helpers.js';
import { captured, walkScript } from './helpers.js';

before(() => ensureBuilt());

test('web --json prints the URL on loopback, serves the page and its JSON, and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, [cliPath, 'web', walkScript, '--proc', captured, '--json'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /\{"url":"([^"]+)"\}\n/.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script type="module" src="\/page.js">/);
    // The built page.js (copied into dist by tsc) is served without its source map comment.
    const js = await (await fetch(new URL('page.js', url))).text();
    assert.match(js, /portspace page/);
    assert.doesNotMatch(js, /sourceMappingURL/);
    const grid = await (await fetch(new URL('grid.js', url))).text();
    assert.match(grid, /export function geometry/);
    assert.doesNotMatch(grid, /sourceMappingURL/);
    const meta = (await (await fetch(new URL('api/meta', url))).json()) as { views: string[] };
    assert.deepEqual(meta.views, ['live', 'script']);
    const live = (await (await fetch(new URL('api/live', url))).json()) as {
      report: { candidatePorts: number };
    };
    assert.equal(live.report.candidatePorts, 9);
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exit, 0);
  } finally {
    clearTimeout(killer);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('web refuses bad input with exit 2 and says what to do', () => {
  const cases: [string[], RegExp][] = [
    [['--listen', '0.0.0.0:0'], /0\.0\.0\.0 is not a loopback address.*--allow-remote/s],
    [['--listen', '10.1.2.3:8080'], /not a loopback address/],
    [['--listen', 'nohost'], /--listen must be HOST:PORT/],
    [['--rate', '5'], /--rate is a plan option: add --plan/],
    [['--plan', '--to', '10.1.1.1:80', '--rate', '5'], /give at least one source address with --from/],
    [['--interval', '0.1'], /--interval must be a number of seconds from 0.5 to 3600/],
    [['/no/such/script.pst'], /no\/such\/script\.pst/],
    [['--proc', '/no/such/dir'], /cannot read '\/no\/such\/dir': no such directory/],
    [['a.pst', 'b.pst'], /at most one script file/],
  ];
  for (const [args, message] of cases) {
    const r = cli(['web', '--proc', captured, ...args], {}, 30_000);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  }
  const json = cli(['web', '--listen', '0.0.0.0:0', '--json'], {}, 30_000);
  assert.equal(json.status, 2);
  assert.equal(
    (JSON.parse(json.stdout) as { error: { code: string } }).error.code,
    'PORTSPACE_LISTEN_REFUSED',
  );
});
