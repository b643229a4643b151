/**
 * The golden test of the `.pst` scripts: every script under test/scripts/ (except wrong/ and
 * regressions/, which have their own test) and every example in docs/examples/ is parsed and run
 * on fresh ModelBackends with several seeds; every expectation must pass whatever the model's
 * random choices. The kernel half: test/run/differential.test.ts runs every test/scripts/ script
 * on the kernel and the model in lockstep and requires the same expectations to hold there; the
 * docs/examples scripts, which it does not see, run on the kernel here. A script that passes on
 * the kernel but not on the model is a model bug, listed in MODEL_TODO with its reason so the
 * suite stays green while it is open.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { kernelAvailability } from '../../src/kernel/availability.js';
import { KernelBackend } from '../../src/kernel/kernel-backend.js';
import type { Backend } from '../../src/run/backend.js';
import { ModelBackend } from '../../src/run/model-backend.js';
import { formatReport, runScript } from '../../src/run/runner.js';
import { parseScript, SCRIPT_EXTENSION } from '../../src/script/index.js';

const root = new URL('../..', import.meta.url).pathname;
const scriptsDir = join(root, 'test', 'scripts');
const examplesDir = join(root, 'docs', 'examples');

/** Directories under test/scripts/ that other tests own. */
const OWNED_ELSEWHERE = new Set(['wrong', 'regressions']);

/**
 * Scripts that pass on the kernel but fail on the model: model bugs. Key: the path relative to
 * the project root; value: why (rule, what the kernel does, what the model does).
 */
const MODEL_TODO: Readonly<Record<string, string>> = {};

function collect(dir: string, top: boolean): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (top && OWNED_ELSEWHERE.has(name)) continue;
      out.push(...collect(path, false));
    } else if (name.endsWith(SCRIPT_EXTENSION)) out.push(path);
  }
  return out;
}

const files = [...collect(scriptsDir, true), ...collect(examplesDir, false)].map((f) => relative(root, f));

test('there are scripts to run, and every MODEL_TODO entry names one of them', () => {
  assert.ok(files.length > 0, 'no .pst files found under test/scripts/ or docs/examples/');
  for (const f of Object.keys(MODEL_TODO))
    assert.ok(files.includes(f), `MODEL_TODO names a missing script: ${f}`);
});

const availability = await kernelAvailability();

const MODEL_SEEDS = [1, 2, 3, 4, 5];

/** Kernel runs sleep for real and fill tiny ranges; loops stay well under this. */
const LOOP_BUDGET_MS = 60_000;

async function runOn(file: string, backend: Backend): Promise<void> {
  const text = readFileSync(join(root, file), 'utf8');
  const parsed = parseScript(text, file);
  if (!parsed.ok) assert.fail(parsed.errors.map((e) => e.format()).join('\n'));
  assert.ok(parsed.script.rules.length > 0, `${file}: the header names no rule (R<n>, A<n> or D<n>)`);
  try {
    const report = await runScript(parsed.script, backend, { loopBudgetMs: LOOP_BUDGET_MS });
    assert.ok(report.ok, `${file} on the ${backend.name}:\n${formatReport(report)}`);
  } finally {
    await backend.close();
  }
}

for (const file of files) {
  test(file, { timeout: 180_000 }, async (t) => {
    await t.test('model', { todo: MODEL_TODO[file] }, async () => {
      // Several seeds: a script must hold whatever the model's random choices are.
      for (const seed of MODEL_SEEDS) await runOn(file, new ModelBackend({ seed }));
    });
    if (!file.startsWith('docs/')) return; // test/scripts/: the kernel half is the differential test
    await t.test('kernel', async (k) => {
      if (!availability.ok) {
        k.skip(availability.reason);
        return;
      }
      await runOn(file, await KernelBackend.start());
    });
  });
}
