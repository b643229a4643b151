// The portspace command as a whole (built CLI): the shebang, top-level help and version, unknown
// commands (text and JSON), `demo` through the bin; a real terminal (via util-linux `script`)
// gets colours and a progress bar, NO_COLOR removes the colours. Plus the Progress and colour
// helpers on fake streams.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { before, test } from 'node:test';
import { colorEnabled, painter } from '../../src/cli/output.js';
import { Progress } from '../../src/cli/progress.js';
import { kernelAvailability } from '../../src/kernel/availability.js';
import { cli, cliPath, ensureBuilt, json, noStack, root } from './cli-helpers.js';

before(() => ensureBuilt());

/** Escape characters made visible, so regexes need no control characters. */
const vis = (s: string) => s.replaceAll('\u001b', '<ESC>');
const COLOUR = /<ESC>\[3\dm/;

test('dist/cli/main.js starts with the node shebang (it is the package bin)', () => {
  const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { bin: Record<string, string> };
  assert.equal(pkg.bin.portspace, 'dist/cli/main.js');
  assert.ok(readFileSync(cliPath, 'utf8').startsWith('#!/usr/bin/env node\n'));
});

test('portspace --help lists the commands and exit codes; no command is exit 2 with the usage on stderr', () => {
  const r = cli(['--help']);
  assert.equal(r.status, 0);
  for (const c of ['run', 'explain', 'diff', 'demo', 'help'])
    assert.match(r.stdout, new RegExp(`^  ${c} +\\S`, 'm'));
  assert.match(
    r.stdout,
    /exit codes: 0 ok, 1 an expectation failed or a divergence, 2 bad input, 3 kernel unavailable/,
  );
  const none = cli([]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /^usage: portspace <command>/);
});

test('portspace --version prints the package version', () => {
  const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version: string };
  const r = cli(['--version']);
  assert.equal(r.status, 0);
  assert.equal(r.stdout.trim(), pkg.version);
});

test('an unknown command is PORTSPACE_USAGE, exit 2, in text and in JSON', () => {
  const r = cli(['frobnicate']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^portspace: unknown command 'frobnicate'/);
  assert.ok(noStack(r));
  const j = cli(['frobnicate', '--json']);
  assert.equal(j.status, 2);
  assert.equal((json(j).error as { code: string }).code, 'PORTSPACE_USAGE');
  assert.equal(cli(['help', 'frobnicate']).status, 2);
});

test('portspace demo still works through the built bin', () => {
  const r = cli(['demo']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /connect\(127\.0\.0\.1:5000\) = EADDRNOTAVAIL \[R14\]/);
  assert.equal(cli(['demo', '--help']).status, 0);
});

/** Runs the CLI under a pseudo-terminal (util-linux `script`), so stdout and stderr are TTYs. */
function onTty(
  args: string,
  env: Record<string, string> = {},
): { status: number | null; out: string } | null {
  const has = spawnSync('script', ['--version'], { encoding: 'utf8' });
  if (has.status !== 0) return null;
  const base = { ...process.env };
  delete base.NO_COLOR;
  delete base.FORCE_COLOR;
  const r = spawnSync('script', ['-qec', `${process.execPath} ${cliPath} ${args}`, '/dev/null'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...base, TERM: 'xterm', ...env },
  });
  return { status: r.status, out: r.stdout };
}

test('on a terminal: colours; with NO_COLOR: none', (t) => {
  const tty = onTty('run test/scripts/wrong/r11-wrong-parity.pst');
  if (tty === null) {
    t.skip('util-linux `script` is not installed: no pseudo-terminal to test with');
    return;
  }
  assert.equal(tty.status, 1);
  assert.match(vis(tty.out), COLOUR);
  const plain = onTty('run test/scripts/wrong/r11-wrong-parity.pst', { NO_COLOR: '1' });
  assert.doesNotMatch(vis(plain?.out ?? ''), COLOUR);
  assert.match(plain?.out ?? '', /FAIL: 1 of 3 expectations failed/);
});

test('on a terminal, diff --random draws a progress bar on stderr', async (t) => {
  const a = await kernelAvailability();
  if (!a.ok) {
    t.skip(`kernel part skipped: ${a.reason}`);
    return;
  }
  const tty = onTty('diff --random 4 --seed 9 --no-write --no-shrink', { NO_COLOR: '1' });
  if (tty === null) {
    t.skip('util-linux `script` is not installed');
    return;
  }
  // Exit 0 or 1: the bar is drawn either way, and whether seed 9 diverges on this kernel build
  // is the random differential test's business, not this one's.
  assert.ok(tty.status === 0 || tty.status === 1, `exit ${tty.status}: ${tty.out}`);
  assert.match(vis(tty.out), /\r<ESC>\[2Kdiff seed 9 \[[#-]+\] \d\/4 \d+%/);
  assert.match(tty.out, /seed 9: [1-4] scripts?/);
});

function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, columns: 60, write: (s: string) => chunks.push(s) } };
}

test('Progress: nothing on a non-TTY except log lines; on a TTY a bar redrawn in place, cleared at the end', () => {
  const pipe = fakeStream(false);
  const p1 = new Progress({ stream: pipe.stream, total: 3, label: 'x' });
  p1.update(1);
  p1.log('a line');
  p1.stop();
  assert.deepEqual(pipe.chunks, ['a line\n']);

  let now = 0;
  const tty = fakeStream(true);
  const p2 = new Progress({ stream: tty.stream, total: 4, label: 'diff', now: () => now, intervalMs: 100 });
  p2.update(1);
  now = 10;
  p2.update(2); // too soon: not drawn
  now = 200;
  p2.update(2);
  p2.log('between');
  p2.update(4); // the last one is always drawn
  p2.stop();
  const text = vis(tty.chunks.join(''));
  assert.match(text, /^\r<ESC>\[2Kdiff \[#+-+\] 1\/4 25% 0\.0 s/);
  assert.equal(
    tty.chunks.filter((c) => c.includes(' 2/4 ')).length,
    2,
    'the throttled update is skipped, the log redraws',
  );
  assert.match(text, /\r<ESC>\[2Kbetween\n/);
  assert.match(text, /4\/4 100%/);
  assert.ok(text.endsWith('\r<ESC>[2K'));
});

test('colour: only on a TTY; NO_COLOR wins; FORCE_COLOR turns it on for pipes; TERM=dumb turns it off', () => {
  const tty = { isTTY: true, write: () => true };
  const pipe = { isTTY: false, write: () => true };
  assert.equal(colorEnabled(tty, {}), true);
  assert.equal(colorEnabled(pipe, {}), false);
  assert.equal(colorEnabled(tty, { NO_COLOR: '1' }), false);
  assert.equal(colorEnabled(tty, { NO_COLOR: '' }), true, 'an empty NO_COLOR does not count (no-color.org)');
  assert.equal(colorEnabled(pipe, { FORCE_COLOR: '1' }), true);
  assert.equal(colorEnabled(pipe, { FORCE_COLOR: '0' }), false);
  assert.equal(colorEnabled(tty, { FORCE_COLOR: '1', NO_COLOR: '1' }), false);
  assert.equal(colorEnabled(tty, { TERM: 'dumb' }), false);
  assert.equal(painter(false)('red', 'x'), 'x');
  assert.equal(painter(true)('red', 'x'), '\u001b[31mx\u001b[39m');
});
