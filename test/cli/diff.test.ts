// `portspace diff`, run as a user would (the built CLI): a small script and a few random scripts
// on model and kernel, the summary, --json shapes (kept from scripts/diff.ts), --help, bad input,
// and the unavailable-kernel path. The kernel part skips with the reason printed where kernel
// runs cannot happen (not root, no unshare).
import assert from 'node:assert/strict';
import { release, version } from 'node:os';
import { before, test } from 'node:test';
import { cli, ensureBuilt, json, kernelOr, noStack } from './cli-helpers.js';

const SMALL = 'docs/examples/r12-reserved-ports.pst';
const WRONG = 'test/scripts/wrong/r11-wrong-parity.pst';

before(() => ensureBuilt());

test('diff FILE: model and kernel agree on a small script; the summary counts scripts, calls, agreements, divergences, rules', async (t) => {
  if (!(await kernelOr(t))) return;
  const r = cli(['diff', SMALL]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^ok {2}docs\/examples\/r12-reserved-ports\.pst: 13 calls, 13 agreements/m);
  assert.match(
    r.stdout,
    /^1 script, 13 calls, 13 agreements, 0 divergences, 0 failed expectations, 0 errors$/m,
  );
  assert.match(r.stdout, /^rules covered \(\d+\): .*\bR2\b.*\bR14\b/m);
  assert.match(r.stdout, /model and kernel agree/);
});

test('diff --json FILE...: the shape of scripts/diff.ts, plus agreements; failed expectations exit 1', async (t) => {
  if (!(await kernelOr(t))) return;
  const r = cli(['diff', '--json', SMALL, WRONG]);
  assert.equal(r.status, 1, r.stderr);
  const j = json(r) as Record<string, unknown> & { reports: Record<string, unknown>[] };
  assert.equal(j.kernel, 'linux');
  assert.equal(j.scripts, 2);
  assert.equal(j.calls, 19);
  assert.equal(j.agreements, 19);
  assert.equal(j.divergences, 0);
  assert.equal(j.failures, 2, 'the wrong script fails on both sides');
  assert.equal(j.errors, 0);
  assert.equal(j.firstDivergence, null);
  assert.ok(Array.isArray(j.rulesCovered) && j.rulesCovered.includes('R14'));
  assert.ok(Array.isArray(j.rulesMissing));
  assert.deepEqual(
    j.reports.map((x) => x.file),
    [SMALL, WRONG],
  );
});

test('diff --random N --seed S --json: seeded random scripts, summary with rules covered and the judging kernel', async (t) => {
  if (!(await kernelOr(t))) return;
  // The shape and its internal consistency are checked here, not the verdict: whether this seed
  // diverges is the random differential test's business (test/run/random-diff.test.ts), so this
  // test passes or fails the same way on any kernel build.
  const r = cli(['diff', '--random', '6', '--seed', '3', '--no-write', '--no-shrink', '--json']);
  const j = json(r);
  assert.equal(r.status, (j.divergences as number) > 0 || (j.errors as number) > 0 ? 1 : 0, r.stderr);
  assert.equal(j.kernel, 'linux');
  assert.equal(j.kernelRelease, release(), 'uname -r of the judge');
  assert.equal(j.kernelBuild, version(), 'uname -v of the judge');
  assert.equal(j.seed, 3);
  assert.ok((j.scripts as number) >= 1 && (j.scripts as number) <= 6);
  assert.equal(typeof j.calls, 'number');
  assert.equal(j.agreements, (j.calls as number) - (j.divergences as number));
  assert.equal(j.firstDivergence === null, j.divergences === 0);
  assert.ok(Array.isArray(j.rulesCovered) && j.rulesCovered.length > 0);
  assert.match(
    r.stderr,
    /random differential run: seed 3, up to 6 scripts/,
    'log lines go to stderr with --json',
  );
  const text = cli(['diff', '--random', '6', '--seed', '3', '--no-write', '--no-shrink']);
  assert.equal(text.status, r.status, 'text and JSON runs of one seed agree');
  assert.match(
    text.stdout,
    /^seed 3: \d+ scripts?, \d+ calls, \d+ agreements, \d+ divergences?, \d+ errors?/m,
  );
  assert.match(text.stdout, /^rules covered \(\d+\): R/m);
  assert.ok(
    text.stdout.includes(`kernel: Linux ${release()} ${version()}`),
    `the summary names the judging kernel:\n${text.stdout}`,
  );
  assert.equal(text.stderr, '', 'no progress bar on a pipe');
});

test('diff without kernel access: the reason, PORTSPACE_KERNEL_UNAVAILABLE, exit 3 (JSON keeps "kernel": null)', () => {
  const env = { PORTSPACE_SKIP_KERNEL: '1' };
  const r = cli(['diff', SMALL], env);
  assert.equal(r.status, 3);
  assert.match(
    r.stderr,
    /^portspace: diff needs the real kernel, which is unavailable here: kernel runs disabled by PORTSPACE_SKIP_KERNEL=1/,
  );
  assert.ok(noStack(r));
  const j = cli(['diff', '--json', SMALL], env);
  assert.equal(j.status, 3);
  const o = json(j) as Record<string, unknown> & { error: { code: string } };
  assert.equal(o.kernel, null);
  assert.equal(o.reason, 'kernel runs disabled by PORTSPACE_SKIP_KERNEL=1');
  assert.equal(o.scripts, 0);
  assert.equal(o.error.code, 'PORTSPACE_KERNEL_UNAVAILABLE');
});

test('diff: bad input is exit 2 before any kernel work', () => {
  const cases: [string[], RegExp][] = [
    [['diff'], /give script files or --random N/],
    [['diff', '--random', 'x'], /--random must be an integer >= 1, got 'x'/],
    [['diff', '--random', '3', SMALL], /either --random N or script files, not both/],
    [['diff', '--seed', '4', SMALL], /--seed only applies to --random N/],
    [['diff', 'missing.pst'], /cannot read 'missing\.pst': no such file/],
    [['diff', '--frob'], /unknown option '--frob'/],
  ];
  for (const [args, msg] of cases) {
    const r = cli(args, { PORTSPACE_SKIP_KERNEL: '1' });
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, msg);
    assert.ok(noStack(r));
  }
});

test('diff --help, exit 0', () => {
  const r = cli(['diff', '--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^usage: portspace diff FILE\.\.\. \[--json\]/);
  assert.match(r.stdout, /--random N/);
  assert.match(r.stdout, /--no-shrink/);
});
