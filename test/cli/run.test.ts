// `portspace run`, run as a user would (the built CLI): passing and failing scripts, parse errors
// at file:line:col with exit 2, missing files, unknown options, --json, --help, colours.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { kernelAvailability } from '../../src/kernel/availability.js';
import { cli, ensureBuilt, hasAnsi, json, noStack } from './cli-helpers.js';

const PASS = 'docs/examples/r12-reserved-ports.pst';
const WRONG = 'test/scripts/wrong/r11-wrong-parity.pst';
let bad = '';

before(() => {
  ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'portspace-cli-'));
  bad = join(dir, 'bad.pst');
  writeFileSync(bad, 'srv = socket(tcp4)\nbind(srv, 127.0.0.1:99999) = 5000\nconect(srv)\n');
});

test('run: a passing script shows each call with its result and exits 0', () => {
  const r = cli(['run', PASS]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^docs\/examples\/r12-reserved-ports\.pst on model \(R2, R12\)$/m);
  assert.match(
    r.stdout,
    /ok {4}docs\/examples\/r12-reserved-ports\.pst:7:1 {2}bind\(srv, 127\.0\.0\.1:5000\) -> 127\.0\.0\.1:5000/,
  );
  assert.match(r.stdout, /:15:1 {2}connect\(c3, 127\.0\.0\.1:5000\) -> -1 EADDRNOTAVAIL/);
  // Issue 15: what passes is an expectation (6), not a call (13).
  assert.match(r.stdout, /PASS: all 6 expectations held; 13 calls, \d+ ms/);
  assert.equal(r.stderr, '');
});

test('run: a failed expectation is shown with what was expected, and exits 1', () => {
  const r = cli(['run', WRONG]);
  assert.equal(r.status, 1);
  assert.match(
    r.stdout,
    /FAIL {2}test\/scripts\/wrong\/r11-wrong-parity\.pst:10:1 {2}connect\(c1, 127\.0\.0\.1:27101\) -> 127\.0\.0\.1:40000 {2}expected 40001, got 127\.0\.0\.1:40000/,
  );
  assert.match(r.stdout, /^FAIL: 1 of 3 expectations failed; 6 calls/m);
});

test('run: several files get a total line; one failure makes the exit 1', () => {
  const r = cli(['run', PASS, WRONG]);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /2 scripts: 1 passed, 1 failed/);
});

test('run: a parse error is reported at file:line:col with a caret, nothing runs, exit 2, no stack', () => {
  const r = cli(['run', PASS, bad]);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '', 'nothing ran');
  assert.match(r.stderr, /bad\.pst:2:21: port 99999 is out of range 0\.\.65535/);
  assert.match(r.stderr, /bad\.pst:3:1: unknown call conect\(\)/);
  assert.match(r.stderr, /\n {2}\^/);
  assert.match(r.stderr, /2 errors; fix the script/);
  assert.ok(noStack(r));
});

test('run --json: a parse error is {"error": {code: PORTSPACE_SCRIPT_PARSE, errors: [file, line, col]}}', () => {
  const r = cli(['run', '--json', bad]);
  assert.equal(r.status, 2);
  const e = json(r).error as { code: string; exitCode: number; errors: { line: number; col: number }[] };
  assert.equal(e.code, 'PORTSPACE_SCRIPT_PARSE');
  assert.equal(e.exitCode, 2);
  assert.deepEqual(
    e.errors.map((x) => [x.line, x.col]),
    [
      [2, 21],
      [3, 1],
    ],
  );
});

test('run: a missing file says so (PORTSPACE_FILE_NOT_FOUND), exit 2, no stack', () => {
  const r = cli(['run', 'no/such/file.pst']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^portspace: cannot read 'no\/such\/file\.pst': no such file\. Check the path/);
  assert.ok(noStack(r));
  const j = cli(['run', '--json', 'no/such/file.pst']);
  assert.equal(j.status, 2);
  assert.deepEqual(json(j), {
    error: {
      code: 'PORTSPACE_FILE_NOT_FOUND',
      message:
        "cannot read 'no/such/file.pst': no such file. Check the path (scripts end in .pst; docs/examples/ has some).",
      exitCode: 2,
      file: 'no/such/file.pst',
    },
  });
});

test('run: unknown option, bad --target and no file are usage errors (PORTSPACE_USAGE, exit 2)', () => {
  for (const args of [['run', '--frob', PASS], ['run', '--target', 'vm', PASS], ['run']]) {
    const r = cli(args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, /^portspace: /);
    assert.ok(noStack(r));
    const j = cli([...args, '--json']);
    assert.equal((json(j).error as { code: string }).code, 'PORTSPACE_USAGE');
  }
  assert.match(cli(['run', '--frob', PASS]).stderr, /unknown option '--frob'\. See 'portspace run --help'/);
});

test('run --json: the report shape', () => {
  const r = cli(['run', '--json', PASS, WRONG]);
  assert.equal(r.status, 1);
  const j = json(r) as {
    target: string;
    ok: boolean;
    files: number;
    passed: number;
    failed: number;
    reports: {
      file: string;
      backend: string;
      rules: string[];
      ok: boolean;
      calls: number;
      steps: {
        kind: string;
        line: number;
        col: number;
        call: string;
        result: string;
        outcome: unknown;
        expected: string;
        pass: boolean;
        message: string;
      }[];
    }[];
  };
  assert.equal(j.target, 'model');
  assert.equal(j.ok, false);
  assert.deepEqual([j.files, j.passed, j.failed], [2, 1, 1]);
  const [first, second] = j.reports;
  assert.ok(first && second);
  assert.equal(first.backend, 'model');
  assert.deepEqual(first.rules, ['R2', 'R12']);
  assert.deepEqual(first.steps[3], {
    kind: 'call',
    line: 7,
    col: 1,
    call: 'bind(srv, 127.0.0.1:5000)',
    result: '127.0.0.1:5000',
    outcome: { ok: true, port: 5000, addr: '127.0.0.1' },
    expected: '5000',
    pass: true,
    message: '',
  });
  const failed = second.steps.find((s) => !s.pass);
  assert.equal(failed?.line, 10);
  assert.equal(failed?.message, 'expected 40001, got 127.0.0.1:40000');
});

test('run --json: a repeat loop is one step with its rounds', () => {
  const r = cli(['run', '--json', 'docs/examples/r14-capacity-loop.pst']);
  assert.equal(r.status, 0, r.stderr);
  const steps = (json(r).reports as { steps: Record<string, unknown>[] }[])[0]?.steps ?? [];
  const loop = steps.find((s) => s.kind === 'repeat');
  assert.equal(loop?.rounds, 10);
  assert.equal(loop?.stoppedBy, 'error');
  assert.deepEqual(loop?.outcome, { ok: false, errno: 'EADDRNOTAVAIL' });
});

test('run --help prints the usage with the exit codes, exit 0', () => {
  const r = cli(['run', '--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^usage: portspace run FILE\.\.\. \[--target model\|kernel\] \[--json\]/);
  assert.match(r.stdout, /exit codes: 0 every expectation held, 1 one failed, 2 bad input/);
  assert.equal(cli(['help', 'run']).stdout, r.stdout);
});

test('run: colours only when asked on a non-TTY (FORCE_COLOR), and never with NO_COLOR', () => {
  assert.ok(!hasAnsi(cli(['run', WRONG]).stdout), 'a pipe gets no colour');
  assert.ok(hasAnsi(cli(['run', WRONG], { FORCE_COLOR: '1' }).stdout));
  assert.ok(!hasAnsi(cli(['run', WRONG], { FORCE_COLOR: '1', NO_COLOR: '1' }).stdout));
  assert.ok(!hasAnsi(cli(['run', '--json', WRONG], { FORCE_COLOR: '1' }).stdout), 'JSON is never coloured');
});

test('run --target kernel: same script, same verdict on the real kernel', async (t) => {
  const a = await kernelAvailability();
  if (!a.ok) {
    const r = cli(['run', '--target', 'kernel', '--json', PASS]);
    assert.equal(r.status, 3);
    assert.equal((json(r).error as { code: string }).code, 'PORTSPACE_KERNEL_UNAVAILABLE');
    t.skip(`kernel part skipped: ${a.reason}`);
    return;
  }
  const r = cli(['run', '--target', 'kernel', PASS]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /r12-reserved-ports\.pst on kernel/);
  assert.match(r.stdout, /:15:1 {2}connect\(c3, 127\.0\.0\.1:5000\) -> -1 EADDRNOTAVAIL/);
});

test('run --target kernel without kernel access: PORTSPACE_KERNEL_UNAVAILABLE with the reason, exit 3', () => {
  const r = cli(['run', '--target', 'kernel', PASS], { PORTSPACE_SKIP_KERNEL: '1' });
  assert.equal(r.status, 3);
  assert.match(
    r.stderr,
    /--target kernel needs the real kernel, which is unavailable here: kernel runs disabled by PORTSPACE_SKIP_KERNEL=1/,
  );
  assert.ok(noStack(r));
});
