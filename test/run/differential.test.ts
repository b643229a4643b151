/**
 * The differential runner on every script under test/scripts/ (recursively: rules/, regressions/,
 * wrong/): the model and the kernel must agree call by call (0 divergences). Scripts in wrong/
 * carry deliberately wrong expectations: they must be reported as failures, never as divergences.
 * Kernel runs skip with the printed reason where they are impossible (not root, no unshare).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { kernelAvailability } from '../../src/kernel/availability.js';
import { KernelBackend } from '../../src/kernel/kernel-backend.js';
import {
  compareOutcomes,
  type DiffOptions,
  diffScript,
  formatDivergence,
} from '../../src/run/differential.js';
import { ModelBackend } from '../../src/run/model-backend.js';
import { parseScript, SCRIPT_EXTENSION } from '../../src/script/index.js';

const root = new URL('../..', import.meta.url).pathname;
const scriptsDir = join(root, 'test', 'scripts');

function collect(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (name.endsWith(SCRIPT_EXTENSION)) out.push(path);
  }
  return out;
}

const files = collect(scriptsDir).map((f) => relative(root, f));

/**
 * Regression scripts of model bugs reported to the model's owner and still open: they run (as
 * todo, so the suite stays green) until the model is fixed; then delete the entry.
 */
const MODEL_TODO: Readonly<Record<string, string>> = {};
const availability = await kernelAvailability();
const opts: DiffOptions = {
  makeModel: () => new ModelBackend(),
  makeKernel: () => KernelBackend.start({ acceptWaitMs: 20 }),
  // A bound on each loop, not a speed claim: the 28,232-connect loops take ~20 s on an idle
  // machine and took over 60 s under a load average of 10, so give them room (the test's own
  // timeout is 300 s).
  budgetMs: 200_000,
};

test('compareOutcomes: errno, port, canonical address and peer', () => {
  const c = { op: 'connect', sock: 'c', addr: '::1', port: 1 } as const;
  assert.equal(
    compareOutcomes(
      c,
      { ok: true, port: 1, addr: '::FFFF:127.0.0.1' },
      { ok: true, port: 1, addr: '::ffff:127.0.0.1' },
    ),
    '',
  );
  assert.match(compareOutcomes(c, { ok: true, port: 1 }, { ok: true, port: 2 }), /port/);
  assert.match(compareOutcomes(c, { ok: false, errno: 'EINVAL' }, { ok: false, errno: 'EACCES' }), /EINVAL/);
  assert.match(compareOutcomes(c, { ok: false, errno: 'EINVAL' }, { ok: true, port: 3 }), /kernel -1 EINVAL/);
  const a = { op: 'accept', sock: 'l', name: 'x' } as const;
  assert.match(
    compareOutcomes(
      a,
      { ok: true, peer: { addr: '127.0.0.1', port: 5 } },
      { ok: true, peer: { addr: '127.0.0.1', port: 6 } },
    ),
    /peer/,
  );
});

test('there are scripts, including deliberately wrong ones', () => {
  assert.ok(files.length > 0, 'no .pst files under test/scripts/');
  assert.ok(
    files.some((f) => f.includes('/wrong/')),
    'no test/scripts/wrong/*.pst',
  );
});

for (const file of files) {
  const wrong = file.includes(`${join('scripts', 'wrong')}/`);
  const todo = MODEL_TODO[file];
  test(`differential: ${file}`, { timeout: 300_000, ...(todo === undefined ? {} : { todo }) }, async (t) => {
    if (!availability.ok) {
      t.skip(availability.reason);
      return;
    }
    const parsed = parseScript(readFileSync(join(root, file), 'utf8'), file);
    if (!parsed.ok) assert.fail(parsed.errors.map((e) => e.format()).join('\n'));
    const r = await diffScript(parsed.script, opts);
    assert.equal(r.error, null, `${file}: harness error: ${r.error}`);
    assert.equal(r.divergence, null, r.divergence ? formatDivergence(r.divergence) : '');
    assert.deepEqual(r.invariantErrors, []);
    assert.equal(r.agreements, r.calls);
    if (!wrong) {
      // Every expectation a script states holds on the kernel (the reference) and on the model
      // following it: this is the kernel half of the golden test (test/scripts/scripts.test.ts
      // runs the model alone, on several seeds).
      assert.deepEqual(r.failures.kernel, [], `${file}: expectations failed on the kernel`);
      assert.deepEqual(r.failures.model, [], `${file}: expectations failed on the model`);
    }
    if (wrong) {
      // A wrong expectation is a failure on the kernel (and, for single calls, on the model too).
      assert.ok(r.failures.kernel.length > 0, `${file}: its wrong expectation was not reported as a failure`);
      const loopOnly = parsed.script.steps.every((s) => s.kind === 'repeat' || s.expect.kind !== 'port');
      if (!loopOnly)
        assert.ok(r.failures.model.length > 0, `${file}: the model side did not report the failure`);
    }
  });
}
