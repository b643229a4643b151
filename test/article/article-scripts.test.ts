/**
 * The tour's scripts (examples/article/): each must hold on the linux-6.18 model whatever its
 * random choices (several seeds), and, where kernel runs are possible, on the kernel in lockstep
 * with the model (the differential runner: same answer to every call, every expectation held).
 * The full-scale scripts (full/) run on the model only here: on the kernel they take minutes
 * (`portspace tour --full` runs them, see README).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { kernelAvailability } from '../../src/kernel/availability.js';
import { KernelBackend } from '../../src/kernel/kernel-backend.js';
import { diffScript } from '../../src/run/differential.js';
import { ModelBackend } from '../../src/run/model-backend.js';
import { formatReport, runScript } from '../../src/run/runner.js';
import type { Script } from '../../src/script/ast.js';
import { parseScript } from '../../src/script/parse.js';

const root = join(import.meta.dirname, '..', '..');
const dir = join(root, 'examples', 'article');
const fast = readdirSync(dir)
  .filter((f) => f.endsWith('.pst'))
  .map((f) => join(dir, f));
const full = readdirSync(join(dir, 'full'))
  .filter((f) => f.endsWith('.pst'))
  .map((f) => join(dir, 'full', f));

function load(file: string): Script {
  const rel = relative(root, file);
  const parsed = parseScript(readFileSync(file, 'utf8'), rel);
  if (!parsed.ok) return assert.fail(parsed.errors.map((e) => e.format()).join('\n'));
  assert.ok(parsed.script.rules.length > 0, `${rel}: the header names no rule or claim`);
  return parsed.script;
}

const availability = await kernelAvailability();

test('examples/article has a script for every claim A1-A7 and both full-scale versions', () => {
  const tags = new Set(fast.flatMap((f) => load(f).rules));
  for (const id of ['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7', 'R64', 'R32', 'R35', 'R62'])
    assert.ok(tags.has(id), `no script names ${id}`);
  assert.equal(full.length, 2);
});

for (const file of [...fast, ...full]) {
  const rel = relative(root, file);
  test(rel, { timeout: 300_000 }, async (t) => {
    const script = load(file);
    await t.test('model linux-6.18, seeds 1-3', async () => {
      for (const seed of [1, 2, 3]) {
        const report = await runScript(script, new ModelBackend({ seed }), { loopBudgetMs: 120_000 });
        assert.ok(report.ok, `seed ${seed}:\n${formatReport(report)}`);
      }
    });
    if (full.includes(file)) return;
    await t.test('kernel, in lockstep with the model', async (k) => {
      if (!availability.ok) {
        console.log(`# kernel part skipped: ${availability.reason}`);
        k.skip(availability.reason);
        return;
      }
      const d = await diffScript(script, {
        makeModel: () => new ModelBackend({ seed: 1 }),
        makeKernel: () => KernelBackend.start(),
      });
      assert.equal(d.error, null);
      assert.equal(d.divergence, null, d.divergence?.message);
      assert.deepEqual(d.failures, { kernel: [], model: [] });
    });
  });
}
