/**
 * Random differential testing in CI: >= 2000 random scripts, seeded from the date (printed), on
 * the model and the kernel, 0 divergences, and every TCP rule of the spec exercised. Then the
 * tester is tested: two deliberately broken models must be caught within a small budget.
 * Kernel runs skip with the printed reason where they are impossible.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  FirstMemberOnlyModel,
  ParitySwappedModel,
  ReuseAddrIgnoresListenModel,
} from '../../src/fuzz/broken-models.js';
import { dateSeed, randomDiff } from '../../src/fuzz/random-diff.js';
import { KNOWN_MODEL_BUGS, planArb, planToScript, planToText } from '../../src/fuzz/random-scripts.js';
import { kernelAvailability } from '../../src/kernel/availability.js';
import { KernelBackend } from '../../src/kernel/kernel-backend.js';
import { TCP_RULES } from '../../src/run/coverage.js';
import { ModelBackend } from '../../src/run/model-backend.js';
import { parseScript, printScript } from '../../src/script/index.js';

const availability = await kernelAvailability();
const makeKernel = () => KernelBackend.start({ acceptWaitMs: 20 });
const SEED = Number(process.env.PORTSPACE_DIFF_SEED ?? dateSeed());
const COUNT = Number(process.env.PORTSPACE_DIFF_COUNT ?? 2000);

test('random scripts print, parse back and round-trip', () => {
  for (const plan of fc.sample(planArb, { seed: 42, numRuns: 300 })) {
    const text = planToText(plan, 't');
    const s = planToScript(plan, 't.pst');
    const again = parseScript(printScript(s), 't.pst');
    assert.ok(again.ok, text);
    assert.equal(printScript(again.script), printScript(s));
  }
});

test(`random differential run: ${COUNT} scripts, seed ${SEED}`, { timeout: 420_000 }, async (t) => {
  if (!availability.ok) {
    t.skip(availability.reason);
    return;
  }
  console.log(
    `random differential seed: ${SEED} (rerun: PORTSPACE_DIFF_SEED=${SEED} npm test -- random-diff)`,
  );
  for (const b of KNOWN_MODEL_BUGS) t.diagnostic(`generator steers around known model bug: ${b}`);
  const s = await randomDiff({
    makeModel: () => new ModelBackend(),
    makeKernel,
    count: COUNT,
    seed: SEED,
    budgetMs: 300_000,
    log: (l) => console.log(l),
  });
  console.log(
    `seed ${s.seed}: ${s.scripts} scripts, ${s.calls} calls, ${s.divergences} divergences, ${(s.ms / 1000).toFixed(1)} s, ${s.scriptsPerSecond.toFixed(1)} scripts/s`,
  );
  console.log(`rules covered: ${s.rulesCovered.join(' ')}`);
  assert.equal(s.divergences, 0, s.firstDivergence?.report ?? '');
  assert.equal(s.errors, 0, s.firstError ?? '');
  assert.ok(s.scripts >= COUNT, `only ${s.scripts} of ${COUNT} scripts ran within the budget`);
  assert.deepEqual(s.rulesMissing, [], `TCP rules not exercised: ${s.rulesMissing.join(' ')}`);
  for (const r of TCP_RULES) assert.ok(s.rulesCovered.includes(r), r);
  // UDP and reuseport groups are about a fifth of the random actions; these come up in every run.
  for (const r of ['R80', 'R81', 'R82', 'R90', 'R91', 'R94', 'R95']) assert.ok(s.rulesCovered.includes(r), r);
});

for (const [name, make] of [
  ['connect parity swapped (R11)', () => new ParitySwappedModel()],
  ['SO_REUSEADDR ignores LISTEN (R31, R32, R51)', () => new ReuseAddrIgnoresListenModel()],
  ['a reuseport group always picks its first member (R81, R82)', () => new FirstMemberOnlyModel()],
] as const) {
  test(`test the tester: a broken model is caught: ${name}`, { timeout: 180_000 }, async (t) => {
    if (!availability.ok) {
      t.skip(availability.reason);
      return;
    }
    const s = await randomDiff({
      makeModel: make,
      makeKernel,
      count: 400,
      seed: SEED,
      budgetMs: 60_000,
      shrinkBudgetMs: 30_000,
      regressionsDir: null,
    });
    assert.ok(s.divergences > 0, `the broken model (${name}) survived ${s.scripts} random scripts`);
    const f = s.firstDivergence;
    assert.ok(f);
    console.log(`${name}: caught by script ${f.index} of seed ${s.seed}; shrunk:\n${f.report}`);
  });
}
